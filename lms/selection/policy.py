"""Selection policies as data (YAML under lms/selection/policies/): requirements, priority keys, quotas,
the region allow-list and the reference date.

```yaml
id: pgt2024
name: "PPG bagi Guru Tertentu 2024"
reference_date: 2024-01-01         # ages, masa kerja and "last two years" are counted at this date
lowest_qualifying: D-III           # the lowest diploma from which teaching counts as masa kerja
requirements:                      # rule ids of lms.selection.rules.RULES, with their parameters
  - rule: administrasi_2023
  - rule: usia_maksimal
    params: {years: 60, on: 2017-01-01}
priority: [usia, dapodik]          # keys of lms.selection.ranking.PRIORITY_KEYS, in order
quota: {kind: national_by_province}   # or {kind: kabkota_table} (a CSV kode_kabkota,kuota given to the run)
regions: [1101, 1102]              # allowed kab/kota (optional: all when absent)
placeholder: true                  # some data is a stand-in, not official: runs on it say so and publishing
                                   # them needs an explicit, audited override
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources

import yaml

POLICY_IDS = ("sg2016-pf-plpg", "sg2016-ppg", "pgt2024")


@dataclass(frozen=True)
class Requirement:
    rule: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    id: str
    name: str
    reference_date: date
    requirements: tuple[Requirement, ...]
    priority: tuple[str, ...]
    quota: dict
    regions: frozenset[str] | None = None
    lowest_qualifying: str = "D-III"
    #: Part of the policy's data (e.g. the region list) is a generated stand-in, not the official one.
    placeholder: bool = False


class UnknownPolicy(ValueError):
    pass


@lru_cache(maxsize=16)
def load_policy(policy_id: str) -> Policy:
    if policy_id not in POLICY_IDS:
        raise UnknownPolicy(f"unknown policy {policy_id}; known: {', '.join(POLICY_IDS)}")
    source = resources.files("lms.selection").joinpath(f"policies/{policy_id}.yaml").read_text(encoding="utf-8")
    return policy_from_dict(yaml.safe_load(source))


def policy_from_dict(data: dict) -> Policy:
    regions = data.get("regions")
    return Policy(
        id=data["id"], name=data["name"], reference_date=_day(data["reference_date"]),
        requirements=tuple(Requirement(r["rule"], dict(r.get("params") or {})) for r in data.get("requirements", [])),
        priority=tuple(data.get("priority", [])), quota=dict(data.get("quota") or {}),
        regions=frozenset(str(r).zfill(4) for r in regions) if regions else None,
        lowest_qualifying=data.get("lowest_qualifying", "D-III"), placeholder=bool(data.get("placeholder", False)),
    )


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
