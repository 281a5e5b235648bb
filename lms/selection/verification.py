"""What the announcement offers to check a run: the policy files exactly as the run read them (with the SHA-256 of
the bytes served), and what the input hash covers.

The input hash (``RunInputs.digest``) is SHA-256 over, in order: each policy file's bytes; ``\\0file\\0`` and the
pool file's bytes; ``\\0file\\0`` and the quota file's bytes (nothing when the run had none); then
``\\0<policy>\\0<total>\\0<as_of>``. The pool is personal data (NIK, birth date, e-mail) and is never published:
the announcement names it and gives its own SHA-256, so that whoever holds it (Ditjen GTK, an auditor) can check
they hold the same file and re-run ``lms selection run`` to get the same list and the same input hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from lms.core.errors import NotFound
from lms.extensions import db
from lms.selection.models import SelectionPool, SelectionRun
from lms.selection.runs import COMBINED_2016, policy_bytes

#: The policies each run id reads (``runs._policy_ids``, without its refusal of unknown ids).
_COMBINED = {COMBINED_2016: ("sg2016-pf-plpg", "sg2016-ppg")}


@dataclass(frozen=True)
class PolicyFile:
    policy_id: str
    content: bytes
    sha256: str
    #: False for a run made before runs kept their policy files: the packaged file is served instead.
    as_used: bool


@dataclass(frozen=True)
class Recipe:
    """The inputs of a run as the announcement lists them (nothing personal)."""

    policy: str
    pool_name: str | None
    pool_sha256: str | None
    quota_name: str | None
    total: int | None
    as_of: str | None

    @property
    def tail(self) -> str:
        """The last bytes hashed, as Python writes them (``RunInputs.digest``)."""
        return f"\\x00{self.policy}\\x00{self.total}\\x00{self.as_of}"

    @property
    def command(self) -> str:
        parts = ["lms selection run", f"--policy {self.policy}", f"--pool {self.pool_name or 'POOL.jsonl'}"]
        if self.quota_name:
            parts.append(f"--quota {self.quota_name}")
        if self.total is not None:
            parts.append(f"--total {self.total}")
        if self.as_of:
            parts.append(f"--as-of {self.as_of}")
        return " ".join([*parts, "--out hasil.csv"])


def policy_ids(run: SelectionRun) -> tuple[str, ...]:
    return _COMBINED.get(run.policy_id, (run.policy_id,))


def policy_files(run: SelectionRun) -> list[PolicyFile]:
    stored = run.policy_files or {}
    files = []
    for policy_id in policy_ids(run):
        if policy_id in stored:
            content, as_used = stored[policy_id].encode("utf-8"), True
        else:
            try:
                content, as_used = policy_bytes(policy_id), False
            except (FileNotFoundError, OSError):
                continue
        files.append(PolicyFile(policy_id, content, hashlib.sha256(content).hexdigest(), as_used))
    return files


def policy_file(run: SelectionRun, policy_id: str) -> PolicyFile:
    found = next((f for f in policy_files(run) if f.policy_id == policy_id), None)
    if found is None:
        raise NotFound()
    return found


def recipe(run: SelectionRun) -> Recipe:
    params = run.params or {}
    pool_sha = params.get("pool_sha256")
    if pool_sha is None and params.get("pool_id"):
        pool = db.session.get(SelectionPool, params["pool_id"])
        pool_sha = pool.sha256 if pool else None
    return Recipe(policy=run.policy_id, pool_name=params.get("pool"), pool_sha256=pool_sha,
                  quota_name=params.get("quota"), total=params.get("total"), as_of=params.get("as_of"))
