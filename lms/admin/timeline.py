"""The cohorts on one date axis, laid out for an inline SVG (attributes only: the CSP forbids style attributes).

Each cohort gets a row with its learning window as a bar (and its UKPPPG registration window, when set, as a
thin bar under it), so that windows that overlap in time are seen overlapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from babel.dates import format_date
from flask_babel import get_locale

from lms.cohorts.models import Cohort

WIDTH = 960
LABEL_WIDTH = 150
RIGHT_PAD = 16
TOP = 28
ROW = 34
BAR = 18
REG = 5
BOTTOM = 24
MAX_LABELLED_TICKS = 14


@dataclass
class Bar:
    code: str
    name: str
    x: float
    y: float
    width: float
    label_y: float
    title: str
    state: str  #: past, current, future (relative to today)
    reg: tuple[float, float, float] | None = None  #: x, y, width of the registration window


@dataclass
class Tick:
    x: float
    label: str | None


@dataclass
class Timeline:
    width: int
    height: int
    top: int
    bottom: int
    left: int
    right: int
    bar_height: int = BAR
    reg_height: int = REG
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    today_x: float | None = None


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _short(day: date) -> str:
    return format_date(day, "d MMM y", locale=str(get_locale() or "id"))


def build(cohorts: list[Cohort], today: date) -> Timeline | None:
    """Geometry of the timeline of ``cohorts`` (None when there is none); ``today`` in WIB."""
    if not cohorts:
        return None
    starts = [c.learning_start for c in cohorts] + [c.registration_start for c in cohorts if c.registration_start]
    ends = [c.learning_end for c in cohorts] + [c.registration_end for c in cohorts if c.registration_end]
    axis_start, axis_end = _first_of_month(min(starts)), _next_month(max(ends))
    days = (axis_end - axis_start).days
    plot = WIDTH - LABEL_WIDTH - RIGHT_PAD
    bottom = TOP + ROW * len(cohorts)
    timeline = Timeline(WIDTH, bottom + BOTTOM, TOP, bottom, LABEL_WIDTH, WIDTH - RIGHT_PAD)

    def x(day: date) -> float:
        return round(LABEL_WIDTH + plot * (day - axis_start).days / days, 1)

    for row, cohort in enumerate(cohorts):
        first, last = cohort.learning_start, cohort.learning_end
        y = TOP + ROW * row + (ROW - BAR - REG - 2) / 2
        state = "past" if last < today else "future" if first > today else "current"
        bar = Bar(cohort.code, cohort.name, x(first), y, max(x(last + timedelta(days=1)) - x(first), 2.0),
                  y + BAR / 2, f"{cohort.code} · {cohort.name}: {_short(first)} – {_short(last)}", state)
        reg_first = cohort.registration_start or first
        reg_last = cohort.registration_end or last
        if cohort.registration_start or cohort.registration_end:
            bar.reg = (x(reg_first), y + BAR + 2, max(x(reg_last + timedelta(days=1)) - x(reg_first), 2.0))
        timeline.bars.append(bar)

    months = []
    month = axis_start
    while month <= axis_end:
        months.append(month)
        month = _next_month(month)
    step = max(1, -(-len(months) // MAX_LABELLED_TICKS))
    locale = str(get_locale() or "id")
    for i, month in enumerate(months):
        label = format_date(month, "MMM y", locale=locale) if i % step == 0 and month < axis_end else None
        timeline.ticks.append(Tick(x(month), label))
    if axis_start <= today < axis_end:
        timeline.today_x = x(today) + (x(today + timedelta(days=1)) - x(today)) / 2
    return timeline
