"""Eligibility rules (seed 003: 2016 requirements and general provisions; seed 000: 2024 criteria), the
three policy files, and the ``check`` command."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from click.testing import CliRunner

from lms.core.regions import PROVINCES, kabkota_table
from lms.selection.candidate import Candidate, Qualification
from lms.selection.check import check_command
from lms.selection.policy import POLICY_IDS, Policy, load_policy
from lms.selection.rules import (
    RULES,
    age_on,
    eligible,
    policy_for_2016,
    straight_to_candidacy,
    unmet,
)

PRIORITY_KEYS = {"tidak_lulus_tahun_lalu", "ukg_2015", "resertifikasi_kurikulum", "pengawas", "daerah_3t", "usia",
                 "masa_kerja", "pangkat_golongan", "dapodik"}

#: Meets every requirement of sg2016-pf-plpg and of pgt2024 (and of sg2016-ppg once appointed in its window).
BASE = Candidate(
    nik="3171011507800001", nama="Guru Contoh", email="guru.contoh@guru.sd.belajar.id",
    tanggal_lahir=date(1970, 7, 15), kode_kabkota="3171", nuptk="1234567890123456",
    status_kepegawaian="PNS", tmt_pengangkatan=date(2000, 1, 1),
    kualifikasi=(Qualification("S-1", date(1995, 8, 1)),),
    ukg_skor=70.0, ukg_tahun=2015, surat_sehat=True, memenuhi_administrasi_2023=True,
)
PPG_BASE = replace(BASE, tmt_pengangkatan=date(2010, 1, 1))


def policy(policy_id: str) -> Policy:
    return load_policy(policy_id)


def some_code_outside(regions) -> str:
    return next(code for code in sorted(kabkota_table()) if code not in regions)


# --- every rule: one candidate that passes, one that fails ---------------------------------------------------

PF = "sg2016-pf-plpg"
# rule id -> (policy id, params, changes that pass, changes that fail)
CASES = {
    "di_bawah_kemendikbud": (PF, {}, {}, {"di_bawah_kemendikbud": False}),
    "belum_bersertifikat": (PF, {"pengecualian": []}, {}, {"bersertifikat": True}),
    "nuptk": (PF, {}, {}, {"nuptk": None}),
    "kualifikasi_s1_d4": (PF, {"minimal": "D-IV"}, {"kualifikasi": (Qualification("D-IV", date(1999, 1, 1)),)},
                          {"kualifikasi": (Qualification("D-III", date(1999, 1, 1)),)}),
    "guru_tetap": (PF, {"min_tahun_sk": 2}, {"status_kepegawaian": "PNS"}, {"status_kepegawaian": "HONORER"}),
    "aktif_mengajar": (PF, {}, {}, {"sk_mengajar_2_tahun": False}),
    "usia_maksimal": (PF, {"years": 60, "on": date(2017, 1, 1)}, {"tanggal_lahir": date(1957, 1, 2)},
                      {"tanggal_lahir": date(1957, 1, 1)}),
    "ukg_2015": (PF, {"tahun": 2015}, {"ukg_tahun": 2015}, {"ukg_tahun": 2014}),
    "ukg_skor_minimal": (PF, {"min": 55}, {"ukg_skor": 55.0}, {"ukg_skor": 54.9}),
    "surat_sehat": (PF, {}, {}, {"surat_sehat": False}),
    "pengawas_sebelum_pp74": (PF, {"berlaku": date(2008, 12, 1)},
                              {"pengawas": True, "tmt_pengawas": date(2008, 11, 30)},
                              {"pengawas": True, "tmt_pengawas": date(2008, 12, 1)}),
    "tidak_didiskualifikasi": (PF, {}, {}, {"diskualifikasi_pemalsuan": True}),
    "diangkat_sebelum": (PF, {"sampai": date(2005, 12, 30)}, {"tmt_pengangkatan": date(2005, 12, 30)},
                         {"tmt_pengangkatan": date(2005, 12, 31)}),
    "diangkat_antara": (PF, {"dari": date(2005, 12, 31), "sampai": date(2015, 12, 31)},
                        {"tmt_pengangkatan": date(2015, 12, 31)}, {"tmt_pengangkatan": date(2016, 1, 1)}),
    "pola_2016": (PF, {}, {"tmt_pengangkatan": date(2015, 12, 31)}, {"tmt_pengangkatan": None}),
    "administrasi_2023": ("pgt2024", {}, {}, {"memenuhi_administrasi_2023": False}),
    "wilayah": ("pgt2024", {}, {"kode_kabkota": "3171"},
                {"kode_kabkota": some_code_outside(load_policy("pgt2024").regions)}),
}


def test_every_rule_has_a_case():
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_and_fails(rule_id):
    policy_id, params, passing, failing = CASES[rule_id]
    rule, p = RULES[rule_id], policy(policy_id)
    assert rule.is_met(replace(BASE, **passing), params, p)
    assert not rule.is_met(replace(BASE, **failing), params, p)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_message_is_indonesian_text(rule_id):
    message = RULES[rule_id].message_for(CASES[rule_id][1])
    assert message and "%(" not in message


def test_usia_message_names_the_date():
    assert RULES["usia_maksimal"].message_for({"years": 60, "on": date(2017, 1, 1)}) == (
        "Sudah memasuki usia 60 tahun pada 1 Januari 2017.")


def test_age_counts_the_birthday_as_reached():
    assert age_on(date(1957, 1, 1), date(2017, 1, 1)) == 60
    assert age_on(date(1957, 1, 2), date(2017, 1, 1)) == 59
    assert age_on(date(1956, 2, 29), date(2016, 2, 28)) == 59


def test_usia_defaults_to_the_reference_date():
    rule, p = RULES["usia_maksimal"], policy("pgt2024")  # reference date 2024-01-01
    assert rule.is_met(replace(BASE, tanggal_lahir=date(1964, 1, 2)), {"years": 60}, p)
    assert not rule.is_met(replace(BASE, tanggal_lahir=date(1964, 1, 1)), {"years": 60}, p)


def test_nuptk_blank_fails():
    assert not RULES["nuptk"].is_met(replace(BASE, nuptk="  "), {}, policy(PF))


def test_qualification_needs_an_accredited_programme():
    rule, p = RULES["kualifikasi_s1_d4"], policy(PF)
    unaccredited = replace(BASE, kualifikasi=(Qualification("S-1", date(1995, 1, 1), prodi_terakreditasi=False),))
    assert not rule.is_met(unaccredited, {"minimal": "D-IV"}, p)
    assert rule.is_met(replace(BASE, kualifikasi=(Qualification("S-2", date(2001, 1, 1)),)), {"minimal": "D-IV"}, p)


@pytest.mark.parametrize(("changes", "years", "met"), [
    # private school: SK from the same yayasan for N consecutive years, plus the notarial deed
    ({"status_kepegawaian": "GTY", "yayasan": "Y", "sk_berturut_tahun": 2, "akta_notaris_yayasan": True}, 2, True),
    ({"status_kepegawaian": "GTY", "yayasan": "Y", "sk_berturut_tahun": 1, "akta_notaris_yayasan": True}, 2, False),
    ({"status_kepegawaian": "GTY", "yayasan": "Y", "sk_berturut_tahun": 5, "akta_notaris_yayasan": False}, 2, False),
    ({"status_kepegawaian": "GT", "yayasan": "Y", "sk_berturut_tahun": 3, "akta_notaris_yayasan": True}, 2, True),
    # public school: SK from the regional head for N consecutive years
    ({"status_kepegawaian": "GT", "sk_pejabat_daerah": True, "sk_berturut_tahun": 2}, 2, True),
    ({"status_kepegawaian": "GT", "sk_pejabat_daerah": False, "sk_berturut_tahun": 2}, 2, False),
    ({"status_kepegawaian": "GT", "sk_pejabat_daerah": True, "sk_berturut_tahun": 1}, 2, False),
    # SG-PPG: no SK years; GTY with the deed
    ({"status_kepegawaian": "GTY", "yayasan": "Y", "akta_notaris_yayasan": True}, 0, True),
    ({"status_kepegawaian": "GTY", "yayasan": "Y", "akta_notaris_yayasan": False}, 0, False),
    ({"status_kepegawaian": "GTT"}, 0, False),
    ({"status_kepegawaian": "PPPK"}, 2, False),
])
def test_guru_tetap(changes, years, met):
    params = {"status": ["PNS", "GT", "GTY"], "min_tahun_sk": years}
    assert RULES["guru_tetap"].is_met(replace(BASE, **changes), params, policy(PF)) is met


def test_ukg_score_missing_or_from_another_year_fails():
    rule, p = RULES["ukg_skor_minimal"], policy("sg2016-ppg")
    assert not rule.is_met(replace(BASE, ukg_skor=None), {"min": 55}, p)
    assert not rule.is_met(replace(BASE, ukg_tahun=2014, ukg_skor=90.0), {"min": 55, "tahun": 2015}, p)


def test_wilayah_without_an_allow_list_passes():
    assert load_policy(PF).regions is None
    assert RULES["wilayah"].is_met(replace(BASE, kode_kabkota="9101"), {}, policy(PF))


# --- whole policies ------------------------------------------------------------------------------------------

def test_base_candidates_are_eligible():
    assert unmet(BASE, policy(PF)) == []
    assert unmet(PPG_BASE, policy("sg2016-ppg")) == []
    assert unmet(BASE, policy("pgt2024")) == []


def test_unmet_lists_every_failed_requirement_in_policy_order():
    candidate = replace(BASE, surat_sehat=False, nuptk=None, diskualifikasi_pemalsuan=True)
    found = unmet(candidate, policy(PF))
    assert [u.rule for u in found] == ["tidak_didiskualifikasi", "nuptk", "surat_sehat"]
    assert all(u.message for u in found)
    assert not eligible(candidate, policy(PF))


@pytest.mark.parametrize("exception", ["penyesuaian_kurikulum", "mutasi_peraturan_bersama"])
def test_certified_teacher_with_a_2016_exception_passes_pf_plpg(exception):
    certified = replace(BASE, bersertifikat=True, sertifikat_pengecualian=exception)
    assert eligible(certified, policy(PF))


def test_certified_teacher_without_exception_fails_pf_plpg():
    found = unmet(replace(BASE, bersertifikat=True), policy(PF))
    assert [u.rule for u in found] == ["belum_bersertifikat"]


def test_sg_ppg_allows_no_certificate_exception():
    certified = replace(PPG_BASE, bersertifikat=True, sertifikat_pengecualian="penyesuaian_kurikulum")
    assert [u.rule for u in unmet(certified, policy("sg2016-ppg"))] == ["belum_bersertifikat"]


def test_supervisor_appointed_before_pp74_passes_after_fails():
    before = replace(BASE, pengawas=True, tmt_pengawas=date(2007, 6, 1))
    after = replace(BASE, pengawas=True, tmt_pengawas=date(2009, 1, 1))
    assert eligible(before, policy(PF))
    assert [u.rule for u in unmet(after, policy(PF))] == ["pengawas_sebelum_pp74"]


@pytest.mark.parametrize("policy_id", ["sg2016-pf-plpg", "sg2016-ppg"])
def test_forged_documents_2007_2015_are_excluded(policy_id):
    base = BASE if policy_id == PF else PPG_BASE
    found = unmet(replace(base, diskualifikasi_pemalsuan=True), policy(policy_id))
    assert [u.rule for u in found] == ["tidak_didiskualifikasi"]
    assert "pemalsuan dokumen" in found[0].message


def test_failed_last_year_goes_straight_to_candidacy_when_eligible():
    failed = replace(BASE, tidak_lulus_tahun_lalu=True)
    assert straight_to_candidacy(failed, policy(PF))
    assert straight_to_candidacy(replace(PPG_BASE, tidak_lulus_tahun_lalu=True), policy("sg2016-ppg"))
    # ...only if every requirement is met
    assert not straight_to_candidacy(replace(failed, surat_sehat=False), policy(PF))
    assert not straight_to_candidacy(BASE, policy(PF))
    # a 2016 provision: not in the 2024 policy
    assert not straight_to_candidacy(failed, policy("pgt2024"))


@pytest.mark.parametrize(("tmt", "expected"), [
    (date(2005, 12, 29), "sg2016-pf-plpg"),
    # Between the seed's two rules ("before 30 Dec" / "from 31 Dec"): decided PF/PLPG (UU 14/2005 enacted
    # that day: the teacher was in office when it came into force).
    (date(2005, 12, 30), "sg2016-pf-plpg"),
    (date(2005, 12, 31), "sg2016-ppg"),
    (date(2015, 12, 31), "sg2016-ppg"),
    (date(2016, 1, 1), None),
    (None, None),
])
def test_policy_for_2016_boundaries(tmt, expected):
    candidate = replace(BASE, tmt_pengangkatan=tmt)
    assert policy_for_2016(candidate) == expected
    # the policy files agree: the chosen policy's appointment rule passes, the other's fails
    for policy_id in ("sg2016-pf-plpg", "sg2016-ppg"):
        rules = [u.rule for u in unmet(candidate, policy(policy_id))]
        window = "diangkat_sebelum" if policy_id == PF else "diangkat_antara"
        assert (window not in rules) is (policy_id == expected)


# --- the policy files ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("policy_id", POLICY_IDS)
def test_policy_loads_with_known_rules_params_and_priority_keys(policy_id):
    p = load_policy(policy_id)
    assert p.id == policy_id and p.name
    assert p.requirements
    for requirement in p.requirements:
        assert requirement.rule in RULES
        assert set(RULES[requirement.rule].params(requirement.params)) == set(RULES[requirement.rule].defaults)
    assert set(p.priority) <= PRIORITY_KEYS
    assert p.lowest_qualifying == "D-III"
    if p.regions is not None:
        assert "wilayah" in [r.rule for r in p.requirements]


def test_policy_details():
    pf, ppg, pgt = (load_policy(i) for i in POLICY_IDS)
    assert pf.priority == ("tidak_lulus_tahun_lalu", "ukg_2015", "resertifikasi_kurikulum", "pengawas", "daerah_3t",
                           "usia", "masa_kerja", "pangkat_golongan")
    assert ppg.priority == ("tidak_lulus_tahun_lalu", "ukg_2015", "daerah_3t", "usia", "masa_kerja",
                            "pangkat_golongan")
    assert pgt.priority == ("usia", "dapodik")
    assert pf.quota == ppg.quota == {"kind": "kabkota_table"}
    assert pgt.quota == {"kind": "national_by_province"}
    assert pf.reference_date == ppg.reference_date == date(2016, 1, 1)
    assert pgt.reference_date == date(2024, 1, 1)
    age = next(r for r in pf.requirements if r.rule == "usia_maksimal")
    assert RULES["usia_maksimal"].params(age.params) == {"years": 60, "on": date(2017, 1, 1)}
    exceptions = next(r for r in pf.requirements if r.rule == "belum_bersertifikat").params["pengecualian"]
    assert set(exceptions) == {"mutasi_peraturan_bersama", "penyesuaian_kurikulum"}
    assert next(r for r in ppg.requirements if r.rule == "belum_bersertifikat").params["pengecualian"] == []
    assert "ukg_skor_minimal" in [r.rule for r in ppg.requirements]
    assert "pengawas_sebelum_pp74" in [r.rule for r in pf.requirements]


def test_pgt2024_regions_are_217_real_kabkota_in_all_38_provinces():
    regions = load_policy("pgt2024").regions
    table = kabkota_table()
    assert len(regions) == 217
    assert regions <= set(table)
    assert {table[code][1] for code in regions} == set(PROVINCES)
    assert len(PROVINCES) == 38


# --- the check command ---------------------------------------------------------------------------------------

def pool_line(**changes) -> str:
    data = {
        "nik": "3171011507800001", "nama": "Guru Baik", "email": "guru.baik@guru.sd.belajar.id",
        "tanggal_lahir": "1970-07-15", "kode_kabkota": "3171", "nuptk": "1234567890123456",
        "status_kepegawaian": "PNS", "tmt_pengangkatan": "2000-01-01",
        "kualifikasi": [{"jenjang": "S-1", "tanggal_lulus": "1995-08-01"}],
        "ukg_skor": 70, "ukg_tahun": 2015, "surat_sehat": True,
    }
    data.update(changes)
    return json.dumps(data)


def run_check(tmp_path, lines, policy_id):
    pool = tmp_path / "pool.jsonl"
    pool.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return CliRunner().invoke(check_command, [str(pool), "--policy", policy_id])


def test_check_command_good_ineligible_and_malformed(tmp_path):
    result = run_check(tmp_path, [
        pool_line(),
        pool_line(nik="3171011507800002", surat_sehat=False),
        '{"nik": "3171011507800003", "nama": ',
        "",
        pool_line(nik="123"),
    ], PF)
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out == [
        {"nik": "3171011507800001", "policy": PF, "eligible": True, "unmet": []},
        {"nik": "3171011507800002", "policy": PF, "eligible": False,
         "unmet": [{"rule": "surat_sehat", "message": RULES["surat_sehat"].message_for()}]},
    ]
    errors = [json.loads(line) for line in result.stderr.splitlines()]
    assert [e["line"] for e in errors] == [3, 5]
    assert errors[0]["error"][0].startswith("JSON tidak valid")
    assert errors[1]["error"][0].startswith("nik:")


def test_check_command_without_malformed_lines_exits_0(tmp_path):
    result = run_check(tmp_path, [pool_line()], "pgt2024")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["unmet"] == [{"rule": "administrasi_2023",
                                                    "message": RULES["administrasi_2023"].message_for()}]


def test_check_command_sg2016_chooses_per_candidate(tmp_path):
    result = run_check(tmp_path, [
        pool_line(),
        pool_line(nik="3171011507800002", tmt_pengangkatan="2010-01-01"),
        pool_line(nik="3171011507800003", tmt_pengangkatan="2016-01-01"),
    ], "sg2016")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["policy"], o["eligible"]) for o in out] == [(PF, True), ("sg2016-ppg", True), (None, False)]
    assert [u["rule"] for u in out[2]["unmet"]] == ["pola_2016"]


def test_check_command_rejects_an_unknown_policy(tmp_path):
    result = run_check(tmp_path, [pool_line()], "sg2017")
    assert result.exit_code == 2


def test_check_command_streams(capsys):
    """Each candidate is printed before the next line is read."""
    lines = [pool_line(nik=f"317101150780000{i}") for i in range(1, 6)]

    def source():
        for i, line in enumerate(lines):
            assert len(capsys.readouterr().out.splitlines()) == (1 if i else 0)
            yield line + "\n"

    check_command.callback(file=source(), policy_id=PF)
    assert len(capsys.readouterr().out.splitlines()) == 1
