"""One page of a listing (LIMIT/OFFSET), with what the pager needs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Page:
    rows: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
