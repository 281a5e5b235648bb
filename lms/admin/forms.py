"""Form parsing for the admin pages: typed text in, values or per-field errors out (typed text always kept)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from lms.cohorts.models import Cohort
from lms.cohorts.services import TIMEZONES
from lms.core.errors import Invalid
from lms.core.regions import WIB
from lms.curriculum.models import Curriculum

__all__ = ["TIMEZONES", "FormState", "cohort_values", "parse_cohort", "parse_extension", "roster_filename"]
COHORT_FIELDS = ("code", "name", "programme_year", "learning_start", "learning_end", "registration_start",
                 "registration_end", "timezone", "curriculum_id")
EXTENSION_FIELDS = ("email", "until", "reason")


@dataclass
class FormState:
    """What the admin typed, and what was wrong with it, to show the form again."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def typed(cls, form, names) -> FormState:
        return cls({name: (form.get(name) or "").strip() for name in names})


def cohort_values(cohort: Cohort) -> dict[str, str]:
    """An existing cohort as the edit form shows it."""
    def iso(day: date | None) -> str:
        return day.isoformat() if day else ""

    return {"code": cohort.code, "name": cohort.name, "programme_year": str(cohort.programme_year),
            "learning_start": iso(cohort.learning_start), "learning_end": iso(cohort.learning_end),
            "registration_start": iso(cohort.registration_start), "registration_end": iso(cohort.registration_end),
            "timezone": cohort.timezone, "curriculum_id": str(cohort.curriculum_id or "")}


def _date(values: dict, name: str, errors: dict, *, required: bool) -> date | None:
    text = values.get(name, "")
    if not text:
        if required:
            errors[name] = _("Tanggal wajib diisi.")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Tanggal tidak valid: gunakan format TTTT-BB-HH (misalnya 2024-07-24).")
        return None


def parse_cohort(state: FormState, *, creating: bool, curricula: dict[int, Curriculum]) -> dict:
    """Keyword arguments for the cohort services, read from the typed text: only the shape (dates, numbers, the
    curriculum chosen from the list). The rules (code, time zone, windows, year) are the service's; raises
    ``Invalid`` with every field whose text cannot be read."""
    values, errors = state.values, {}
    parsed: dict = {"name": values.get("name", ""), "timezone": values.get("timezone") or WIB, "curriculum": None}
    if creating:
        parsed["code"] = values.get("code", "")
    try:
        parsed["programme_year"] = int(values.get("programme_year", ""))
    except ValueError:
        errors["programme_year"] = _("Tahun program harus berupa tahun, misalnya 2024.")
    for name in ("learning_start", "learning_end"):
        parsed[name] = _date(values, name, errors, required=True)
    for name in ("registration_start", "registration_end"):
        parsed[name] = _date(values, name, errors, required=False)
    if values.get("curriculum_id"):
        text = values["curriculum_id"]
        parsed["curriculum"] = curricula.get(int(text)) if text.isascii() and text.isdigit() and len(text) < 12 \
            else None
        if parsed["curriculum"] is None:
            errors["curriculum_id"] = _("Pilih kurikulum dari daftar.")
    if errors:
        raise Invalid(details=errors)
    return parsed


def parse_extension(state: FormState) -> tuple[str, date, str]:
    values, errors = state.values, {}
    if not values.get("email"):
        errors["email"] = _("E-mail peserta wajib diisi.")
    until = _date(values, "until", errors, required=True)
    if not values.get("reason"):
        errors["reason"] = _("Alasan perpanjangan wajib diisi.")
    if errors:
        raise Invalid(details=errors)
    return values["email"], until, values["reason"]


def roster_filename(upload: FileStorage | None) -> str:
    """The uploaded file's own name (no client path); refuses a missing file or a name not ending in .csv."""
    name = PurePosixPath((upload.filename or "").replace("\\", "/")).name if upload else ""
    if not name:
        raise Invalid(_("Pilih berkas CSV daftar peserta untuk diunggah."),
                      details={"file": _("Berkas wajib dipilih.")})
    if not name.lower().endswith(".csv"):
        raise Invalid(_("Berkas harus CSV (nama berakhiran .csv), bukan %(name)s. Simpan daftar peserta sebagai "
                        "CSV UTF-8 lalu unggah lagi.", name=name), details={"file": _("Bukan berkas .csv.")})
    return name
