"""Eligibility rules of a selection policy: one rule per requirement of the seeds.

Every rule has an id (the name a policy YAML uses), a message in Bahasa Indonesia shown when the
requirement is not met, and a check ``(candidate, params, policy) -> bool`` (True: met). A policy lists
the rules it applies, in order, with their parameters; ``unmet`` evaluates them and returns what failed.

Seed 003 (2016) letters are given per rule: ``(a)``–``(j)`` are the PF/PLPG requirements of §1,
``SG-PPG (x)`` those of §2, ``KU (x)`` the general provisions (Ketentuan Umum). The 2024 criteria come
from seed 000.

Where the seeds are silent, the choices made here:

* Appointment windows (2016): "diangkat sebelum 30 Desember 2005" (PF/PLPG) and "sejak 31 Desember 2005
  sampai dengan 31 Desember 2015" (SG-PPG) leave 30 Dec 2005 itself in neither. It goes to PF/PLPG: UU
  14/2005 on teachers was enacted on 30 Dec 2005, and a teacher appointed that day was already in office
  when it came into force, which is what the earlier pattern is for; it also leaves no gap. So PF/PLPG is
  TMT <= 30 Dec 2005, SG-PPG is 31 Dec 2005 <= TMT <= 31 Dec 2015, both bounds inclusive.
* ``usia_maksimal``: "belum memasuki usia 60 tahun" on the date: whoever has their 60th birthday on or
  before that date fails.
* ``guru_tetap``: a GT with a yayasan, or any GTY, is a private-school teacher (SK from the yayasan, plus
  the notarial deed); a GT without a yayasan teaches at a public school (SK from the regional head). The
  number of consecutive SK years is a parameter (2 for PF/PLPG; 0 for SG-PPG, whose text asks for none).
* ``nuptk``: having one (non-blank) is the requirement; its format is not checked here.
* ``pengawas_sebelum_pp74``: PP 74/2008 came into force on its enactment, 1 Dec 2008 (a parameter);
  a supervisor appointed on that day or later fails, a candidate who is not a supervisor passes.
* KU (c), failed last year: not a requirement but a shortcut to candidacy, see ``straight_to_candidacy``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from lms.core.formatting import long_date
from lms.selection.candidate import JENJANG, Candidate
from lms.selection.policy import Policy

#: 2016 appointment windows (seed 003 §1 and §2; 30 Dec 2005 decided as PF/PLPG, see the module text).
PF_PLPG_LAST_DAY = date(2005, 12, 30)
PPG_FIRST_DAY = date(2005, 12, 31)
PPG_LAST_DAY = date(2015, 12, 31)
#: PP 74/2008 on teachers: enacted and in force on 1 Dec 2008.
PP74_IN_FORCE = date(2008, 12, 1)

Check = Callable[[Candidate, dict, Policy], bool]


@dataclass(frozen=True)
class Rule:
    id: str
    #: Shown when the requirement is unmet; may use %(name)s placeholders filled from the parameters.
    message: object
    check: Check
    #: Parameter defaults, used both by the check and by the message.
    defaults: dict
    #: Extra message values computed from the (merged) parameters.
    message_values: Callable[[dict], dict] | None = None

    def params(self, params: dict | None) -> dict:
        return {**self.defaults, **_normalise(params or {})}

    def is_met(self, candidate: Candidate, params: dict | None, policy: Policy) -> bool:
        return bool(self.check(candidate, self.params(params), policy))

    def message_for(self, params: dict | None = None) -> str:
        merged = self.params(params)
        values = {k: _shown(v) for k, v in merged.items()}
        if self.message_values:
            values.update(self.message_values(merged))
        return str(self.message) % values


@dataclass(frozen=True)
class Unmet:
    rule: str
    message: str


class UnknownRule(KeyError):
    pass


def _normalise(params: dict) -> dict:
    # YAML 1.1 reads an unquoted ``on:`` key as the boolean True; accept it as "on".
    if True in params and "on" not in params:
        params = {("on" if k is True else k): v for k, v in params.items()}
    return params


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _shown(value):
    if isinstance(value, date):
        return long_date(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    return value


def age_on(born: date, on: date) -> int:
    """Completed years of age on ``on`` (the birthday itself counts as reached)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# --- the checks -----------------------------------------------------------------------------------------------

def _di_bawah_kemendikbud(c: Candidate, p: dict, policy: Policy) -> bool:
    return c.di_bawah_kemendikbud


def _belum_bersertifikat(c: Candidate, p: dict, policy: Policy) -> bool:
    return not c.bersertifikat or (c.sertifikat_pengecualian is not None
                                   and c.sertifikat_pengecualian in p["pengecualian"])


def _nuptk(c: Candidate, p: dict, policy: Policy) -> bool:
    return bool(c.nuptk and c.nuptk.strip())


def _kualifikasi(c: Candidate, p: dict, policy: Policy) -> bool:
    lowest = JENJANG.index(p["minimal"])
    return any(JENJANG.index(q.jenjang) >= lowest and q.prodi_terakreditasi for q in c.kualifikasi)


def _guru_tetap(c: Candidate, p: dict, policy: Policy) -> bool:
    status = c.status_kepegawaian
    if status == "PNS":
        return True
    if status not in p["status"]:
        return False
    years = int(p["min_tahun_sk"])
    if status == "GTY" or c.yayasan:
        # Private school: SK from the same yayasan, and the yayasan's notarial deed.
        return bool(c.yayasan) and c.akta_notaris_yayasan and c.sk_berturut_tahun >= years
    # GT at a public school: SK from the regional head (Bupati/Walikota/Gubernur).
    return c.sk_pejabat_daerah and c.sk_berturut_tahun >= years


def _guru_tetap_values(p: dict) -> dict:
    years = int(p["min_tahun_sk"])
    return {"syarat_tahun": f" minimal {years} tahun berturut-turut" if years else ""}


def _aktif_mengajar(c: Candidate, p: dict, policy: Policy) -> bool:
    return c.sk_mengajar_2_tahun


def _usia_maksimal(c: Candidate, p: dict, policy: Policy) -> bool:
    on = _day(p["on"]) if p.get("on") is not None else policy.reference_date
    return age_on(c.tanggal_lahir, on) < int(p["years"])


def _usia_values(p: dict) -> dict:
    return {"on": long_date(_day(p["on"])) if p.get("on") is not None else "tanggal acuan"}


def _ukg_tahun(c: Candidate, p: dict, policy: Policy) -> bool:
    return c.ukg_tahun == int(p["tahun"])


def _ukg_skor_minimal(c: Candidate, p: dict, policy: Policy) -> bool:
    if c.ukg_skor is None:
        return False
    if p.get("tahun") is not None and c.ukg_tahun != int(p["tahun"]):
        return False
    return c.ukg_skor >= float(p["min"])


def _surat_sehat(c: Candidate, p: dict, policy: Policy) -> bool:
    return c.surat_sehat


def _pengawas_sebelum_pp74(c: Candidate, p: dict, policy: Policy) -> bool:
    if not c.pengawas:
        return True
    return c.tmt_pengawas is not None and c.tmt_pengawas < _day(p["berlaku"])


def _tidak_didiskualifikasi(c: Candidate, p: dict, policy: Policy) -> bool:
    return not c.diskualifikasi_pemalsuan


def _diangkat_sebelum(c: Candidate, p: dict, policy: Policy) -> bool:
    return c.tmt_pengangkatan is not None and c.tmt_pengangkatan <= _day(p["sampai"])


def _diangkat_antara(c: Candidate, p: dict, policy: Policy) -> bool:
    return c.tmt_pengangkatan is not None and _day(p["dari"]) <= c.tmt_pengangkatan <= _day(p["sampai"])


def _pola_2016(c: Candidate, p: dict, policy: Policy) -> bool:
    return policy_for_2016(c) is not None


def _administrasi_2023(c: Candidate, p: dict, policy: Policy) -> bool:
    return c.memenuhi_administrasi_2023


def _wilayah(c: Candidate, p: dict, policy: Policy) -> bool:
    return policy.regions is None or c.kode_kabkota in policy.regions


RULES: dict[str, Rule] = {rule.id: rule for rule in (
    # (a), SG-PPG (a)
    Rule("di_bawah_kemendikbud", _l("Bukan guru di bawah pembinaan Kementerian Pendidikan dan Kebudayaan."),
         _di_bawah_kemendikbud, {}),
    # (a) with the exceptions of (f); SG-PPG (a) allows none
    Rule("belum_bersertifikat", _l("Sudah memiliki sertifikat pendidik (pengecualian yang diterima: "
                                   "%(pengecualian)s)."),
         _belum_bersertifikat, {"pengecualian": []}),
    # (b), SG-PPG (b)
    Rule("nuptk", _l("Belum memiliki NUPTK."), _nuptk, {}),
    # (c), SG-PPG (c)
    Rule("kualifikasi_s1_d4", _l("Belum memiliki kualifikasi akademik S-1 atau D-IV dari program studi yang "
                                 "terakreditasi atau memiliki izin penyelenggaraan."),
         _kualifikasi, {"minimal": "D-IV"}),
    # (d), SG-PPG (d)
    Rule("guru_tetap", _l("Belum berstatus guru tetap: guru PNS; GT/GTY dengan SK pengangkatan dari yayasan yang "
                          "sama%(syarat_tahun)s dan akta notaris pendirian yayasan dari Kementerian Hukum dan HAM; "
                          "atau GT di sekolah negeri dengan SK pengangkatan dari Bupati/Walikota/Gubernur"
                          "%(syarat_tahun)s."),
         _guru_tetap, {"status": ["PNS", "GT", "GTY"], "min_tahun_sk": 2}, _guru_tetap_values),
    # (e), SG-PPG (e)
    Rule("aktif_mengajar", _l("Tidak memiliki SK pembagian tugas mengajar dari kepala sekolah 2 tahun terakhir."),
         _aktif_mengajar, {}),
    # (g)
    Rule("usia_maksimal", _l("Sudah memasuki usia %(years)s tahun pada %(on)s."),
         _usia_maksimal, {"years": 60, "on": None}, _usia_values),
    # (h)
    Rule("ukg_2015", _l("Belum mengikuti Uji Kompetensi Guru (UKG) tahun %(tahun)s."), _ukg_tahun, {"tahun": 2015}),
    # SG-PPG (f)
    Rule("ukg_skor_minimal", _l("Skor UKG di bawah skor minimal %(min)s yang ditetapkan Konsorsium Sertifikasi "
                                "Guru."),
         _ukg_skor_minimal, {"min": 0, "tahun": None}),
    # (i), SG-PPG (g)
    Rule("surat_sehat", _l("Tidak memiliki surat keterangan sehat jasmani dan rohani dari dokter pemerintah."),
         _surat_sehat, {}),
    # (j)
    Rule("pengawas_sebelum_pp74", _l("Diangkat sebagai pengawas satuan pendidikan pada atau setelah berlakunya "
                                     "PP Nomor 74 Tahun 2008 tentang Guru (%(berlaku)s), atau TMT pengawas "
                                     "tidak ada."),
         _pengawas_sebelum_pp74, {"berlaku": PP74_IN_FORCE}),
    # KU (b)
    Rule("tidak_didiskualifikasi", _l("Didiskualifikasi pada sertifikasi guru tahun 2007–2015 karena pemalsuan "
                                      "dokumen (PP 74/2008 Pasal 63 ayat 5)."),
         _tidak_didiskualifikasi, {}),
    # §1 heading: PF/PLPG
    Rule("diangkat_sebelum", _l("Tanggal pengangkatan (TMT) tidak ada atau setelah %(sampai)s."),
         _diangkat_sebelum, {"sampai": PF_PLPG_LAST_DAY}),
    # §2 heading: SG-PPG
    Rule("diangkat_antara", _l("Tanggal pengangkatan (TMT) tidak ada atau di luar %(dari)s sampai dengan "
                               "%(sampai)s."),
         _diangkat_antara, {"dari": PPG_FIRST_DAY, "sampai": PPG_LAST_DAY}),
    # Either 2016 pattern (used when the pattern is chosen per candidate)
    Rule("pola_2016", _l("Tanggal pengangkatan (TMT) tidak ada atau setelah 31 Desember 2015: tidak termasuk "
                         "pola PF/PLPG maupun SG-PPG."),
         _pola_2016, {}),
    # 2024 (seed 000, criterion 1)
    Rule("administrasi_2023", _l("Belum dinyatakan memenuhi persyaratan administrasi PPG pada tahun 2023."),
         _administrasi_2023, {}),
    # 2024 (seed 000, regions)
    Rule("wilayah", _l("Kabupaten/kota tempat mengajar tidak termasuk wilayah penyelenggaraan."), _wilayah, {}),
)}


def rule(rule_id: str) -> Rule:
    try:
        return RULES[rule_id]
    except KeyError:
        raise UnknownRule(f"unknown rule {rule_id}; known: {', '.join(RULES)}") from None


def unmet(candidate: Candidate, policy: Policy) -> list[Unmet]:
    """The requirements of ``policy`` that ``candidate`` does not meet, in the policy's order."""
    found = []
    for requirement in policy.requirements:
        r = rule(requirement.rule)
        if not r.is_met(candidate, requirement.params, policy):
            found.append(Unmet(r.id, r.message_for(requirement.params)))
    return found


def eligible(candidate: Candidate, policy: Policy) -> bool:
    return all(rule(req.rule).is_met(candidate, req.params, policy) for req in policy.requirements)


def straight_to_candidacy(candidate: Candidate, policy: Policy) -> bool:
    """General provision c (2016): a teacher who failed certification the previous year goes straight to
    candidacy, provided every requirement is met. The ranking puts these candidates first.

    Applies only to policies that rank by ``tidak_lulus_tahun_lalu`` (the 2016 ones); False otherwise.
    """
    return ("tidak_lulus_tahun_lalu" in policy.priority and candidate.tidak_lulus_tahun_lalu
            and eligible(candidate, policy))


def policy_for_2016(candidate: Candidate) -> str | None:
    """The 2016 policy by appointment date (TMT): PF/PLPG up to and including 30 Dec 2005, SG-PPG from
    31 Dec 2005 to 31 Dec 2015 inclusive, None after that or without a date (see the module text)."""
    tmt = candidate.tmt_pengangkatan
    if tmt is None:
        return None
    if tmt <= PF_PLPG_LAST_DAY:
        return "sg2016-pf-plpg"
    if PPG_FIRST_DAY <= tmt <= PPG_LAST_DAY:
        return "sg2016-ppg"
    return None
