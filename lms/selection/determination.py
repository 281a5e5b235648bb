"""A teacher's own determination ("why not me?"): the status in the latest published run that lists the
account's e-mail, the deciding facts (rank, quota group, quota, cut-off rank, or the unmet requirements) and
a plain-language explanation in the request's language. Used alike by the API, the pages and the CLI.

The unmet requirements are stored as their Indonesian messages (``SelectionEntry.alasan``); they are mapped
back to the rule ids of the run's policy, and shown in the current language.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from lms.core.nik import nik_hash
from lms.core.regions import kabkota_name, province_name
from lms.extensions import db
from lms.selection.models import SelectionEntry, SelectionQuota, SelectionRun
from lms.selection.policy import POLICY_IDS, load_policy
from lms.selection.rules import rule as find_rule

#: The priority keys of ``lms.selection.ranking.PRIORITY_KEYS`` as the explanation names them.
PRIORITY_LABELS = {
    "tidak_lulus_tahun_lalu": _l("tidak lulus sertifikasi tahun lalu"), "ukg_2015": _l("nilai UKG 2015"),
    "resertifikasi_kurikulum": _l("resertifikasi karena perubahan kurikulum"), "pengawas": _l("pengawas"),
    "daerah_3t": _l("bertugas di daerah 3T"), "usia": _l("usia"), "masa_kerja": _l("masa kerja"),
    "pangkat_golongan": _l("pangkat/golongan"), "dapodik": _l("lama terdata di Dapodik"),
}
#: The one line that names a status: the personal notice's subject, and the heading of the gate, the dashboard
#: and the teacher's own page, so that all four say the same.
HEADLINES = {
    "ditetapkan": _l("Anda ditetapkan sebagai peserta PPG"),
    "cadangan": _l("Anda calon peserta cadangan PPG"),
    "tidak_memenuhi_syarat": _l("Hasil penetapan PPG: tidak memenuhi syarat"),
    "dihapus": _l("Hasil penetapan PPG: dihapus dari daftar"),
}
#: The 2016 combined run uses these two policies (``lms.selection.runs.COMBINED_2016``).
_COMBINED = {"sg2016": ("sg2016-pf-plpg", "sg2016-ppg")}
#: The message given to a 2016 candidate whose appointment date fits neither pattern (``runs._stage``).
_NO_2016_PATTERN = "Tanggal pengangkatan tidak termasuk kebijakan sertifikasi 2016."


@dataclass(frozen=True)
class UnmetRule:
    rule: str
    message: str


@dataclass(frozen=True)
class Determination:
    """``status`` is ``None`` when the account is in no published run (every other field is then empty)."""

    status: str | None
    run_id: int | None = None
    rank: int | None = None
    quota_group: str | None = None
    quota_group_name: str | None = None
    quota: int | None = None
    cut_off_rank: int | None = None
    unmet: list[UnmetRule] = field(default_factory=list)
    explanation: str | None = None
    policy_name: str | None = None

    @property
    def headline(self) -> str | None:
        return headline_of(self.status)


def _latest_published(statement):
    """``statement`` (over ``selection_entries`` joined to ``selection_runs``) narrowed to the entry of the
    candidate with the bound ``email`` (lower case, as entries store it) in the most recently published run that
    lists it: the e-mail index finds the candidate's few entries."""
    return (statement.where(SelectionRun.published_at.is_not(None), SelectionEntry.email == bindparam("email"))
            .order_by(SelectionRun.published_at.desc(), SelectionRun.id.desc()).limit(1))


def determination_for(email: str | None) -> Determination:
    """The determination of the candidate with ``email`` in the most recently published run that lists it:
    one statement (the quota and the current cut-off rank are scalar subqueries)."""
    if not email:
        return Determination(status=None)
    row = db.session.execute(_BY_EMAIL, {"email": email_key(email)}).first()
    return build(*row) if row else Determination(status=None)


#: Only the status of that entry, as a scalar subquery (NULL when no published run lists the e-mail) bound to
#: ``email``: a page adds it to a statement it sends anyway (the dashboard's headline, in its progress rows).
LATEST_STATUS = (_latest_published(select(SelectionEntry.status)
                                   .join(SelectionRun, SelectionRun.id == SelectionEntry.run_id))
                 .scalar_subquery())


def email_key(email: str | None) -> str | None:
    """``email`` as entries store it (the value to bind as ``email``); None matches no entry."""
    return email.strip().lower() if email else None


def headline_of(status: str | None) -> str | None:
    """The headline of a determination's status, in the request's language (None for no or an unknown status)."""
    return str(HEADLINES[status]) if status in HEADLINES else None


def determination_in_run(run_id: int, nik: str) -> Determination:
    """The determination of the candidate with ``nik`` in run ``run_id``, published or not (for the helpdesk's
    ``lms selection explain``); ``status`` None when the run does not list that NIK."""
    row = db.session.execute(_facts().where(SelectionEntry.run_id == run_id,
                                            SelectionEntry.nik_hash == nik_hash(nik.strip()))
                             .order_by(SelectionEntry.line).limit(1)).first()
    return build(*row) if row else Determination(status=None)


def _facts():
    quota = (select(SelectionQuota.quota).where(SelectionQuota.run_id == SelectionEntry.run_id,
                                                SelectionQuota.quota_group == SelectionEntry.quota_group)
             .scalar_subquery())
    other = aliased(SelectionEntry)
    cut_off = (select(func.max(other.rank)).where(other.run_id == SelectionEntry.run_id,
                                                  other.quota_group == SelectionEntry.quota_group,
                                                  other.status == "ditetapkan").scalar_subquery())
    return (select(SelectionEntry, SelectionRun.policy_id, quota.label("quota"), cut_off.label("cut_off"))
            .join(SelectionRun, SelectionRun.id == SelectionEntry.run_id))


#: Built once (the scalar subqueries and the alias cost more to build than the statement takes to run).
_BY_EMAIL = _latest_published(_facts())


def build(entry: SelectionEntry, policy_id: str, quota: int | None, cut_off_rank: int | None) -> Determination:
    policies = _policies(policy_id)
    group_name = _group_name(entry.quota_group)
    unmet = unmet_rules(entry.alasan, policies) if entry.status == "tidak_memenuhi_syarat" else []
    facts = {"rank": _n(entry.rank), "group": group_name, "quota": _n(quota), "cut": _n(cut_off_rank),
             "kind": _("kabupaten/kota") if len(entry.quota_group) == 4 else _("provinsi"),
             "keys": _keys(policies)}
    if entry.status == "ditetapkan":
        text = _("Anda ditetapkan sebagai peserta. Anda memenuhi syarat. Peringkat Anda %(rank)s di %(group)s; "
                 "kuota %(kind)s %(quota)s; peringkat terakhir yang ditetapkan %(cut)s; penetapan berdasarkan "
                 "%(keys)s.", **facts)
    elif entry.status == "cadangan":
        text = _("Anda memenuhi syarat, tetapi belum ditetapkan: Anda cadangan. Peringkat Anda %(rank)s di "
                 "%(group)s; kuota %(kind)s %(quota)s, sehingga yang ditetapkan sampai peringkat %(cut)s; "
                 "penetapan berdasarkan %(keys)s. Jika peserta yang ditetapkan dihapus, cadangan dengan "
                 "peringkat terbaik di %(group)s dinaikkan.", **facts)
    elif entry.status == "tidak_memenuhi_syarat":
        text = _("Anda tidak ditetapkan karena tidak memenuhi syarat berikut: %(rules)s",
                 rules=" ".join(u.message for u in unmet) or entry.alasan)
    elif entry.status == "dihapus":
        text = _("Anda dihapus dari daftar yang ditetapkan: %(reason)s.", reason=entry.alasan or "-")
    else:
        text = _("Penetapan Anda belum selesai diproses.")
    return Determination(
        status=entry.status, run_id=entry.run_id, rank=entry.rank, quota_group=entry.quota_group,
        quota_group_name=group_name, quota=quota,
        cut_off_rank=cut_off_rank if entry.rank is not None else None, unmet=unmet, explanation=text,
        policy_name=" / ".join(p.name for p in policies) or policy_id)


def unmet_rules(alasan: str, policies: list) -> list[UnmetRule]:
    """The stored (Indonesian) messages of ``alasan`` as rule ids with their message in the current language,
    in the stored order; a message that matches no rule of the policy is kept as rule ``lainnya``."""
    if not alasan:
        return []
    known: dict[str, tuple[str, str]] = {}
    for policy in policies:
        for requirement in policy.requirements:
            r = find_rule(requirement.rule)
            with force_locale("id"):
                stored = r.message_for(requirement.params)
            known[stored] = (r.id, r.message_for(requirement.params))
    with force_locale("id"):
        stored_2016 = _(_NO_2016_PATTERN)
    known[stored_2016] = ("pola_2016", _(_NO_2016_PATTERN))
    found = sorted((alasan.index(stored), rule_id, message)
                   for stored, (rule_id, message) in known.items() if stored in alasan)
    if not found:
        return [UnmetRule("lainnya", alasan)]
    return [UnmetRule(rule_id, message) for _pos, rule_id, message in found]


def _policies(policy_id: str) -> list:
    ids = _COMBINED.get(policy_id, (policy_id,))
    return [load_policy(p) for p in ids if p in POLICY_IDS]


def _keys(policies: list) -> str:
    keys = policies[0].priority if policies else ()
    labels = [str(PRIORITY_LABELS.get(k, k)) for k in keys]
    if len(labels) <= 1:
        return "".join(labels) or "-"
    return _("%(first)s, lalu %(rest)s", first=labels[0], rest=_(", lalu ").join(labels[1:]))


def _group_name(group: str) -> str:
    return kabkota_name(group) if len(group) == 4 else province_name(group)


def _n(value: int | None) -> str:
    return format_decimal(value) if value is not None else "-"
