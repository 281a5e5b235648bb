"""The formula-safe CSV helper (OWASP: prefix ``'`` to cells that start a formula)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from lms.core.csvsafe import SafeDictWriter, restore_cell, safe_cell, write_rows, writer

DANGEROUS = ['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1:A2)", "\t=1", "\r=1", "=", "-"]
HARMLESS = ["Siti Rahayu", "", "1+1", "a=b", "'quoted", "3175014101850002", "guru@guru.sd.belajar.id", " =x"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_starts_are_prefixed(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_other_text_is_unchanged(value):
    assert safe_cell(value) == value


def test_numbers_and_none():
    assert safe_cell(None) == ""
    assert safe_cell(-5) == -5 and safe_cell(-1.5) == -1.5 and safe_cell(Decimal("-2")) == Decimal("-2")
    assert safe_cell(True) is True
    assert safe_cell(7) == 7


@pytest.mark.parametrize("value", DANGEROUS + HARMLESS)
def test_restore_undoes_safe_cell(value):
    assert restore_cell(safe_cell(value)) == value


def test_restore_keeps_an_apostrophe_that_does_not_guard_a_formula():
    assert restore_cell("'quoted") == "'quoted"
    assert restore_cell("'") == "'"


def test_writer_and_write_rows_neutralise_every_cell():
    out = io.StringIO()
    w = writer(out)
    w.writerow(["=1", "ok", -3])
    w.writerows([["@x", "+2"], ["-", None]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=1", "ok", "-3"], ["'@x", "'+2"], ["'-", ""]]
    out = io.StringIO()
    write_rows(out, ["nama", "n"], [['=HYPERLINK("http://x")', 1]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["nama", "n"], ['\'=HYPERLINK("http://x")', "1"]]


def test_dict_writer_neutralises_values():
    out = io.StringIO()
    w = SafeDictWriter(out, fieldnames=["nama", "skor"])
    w.writeheader()
    w.writerow({"nama": "+62812", "skor": -1})
    w.writerows([{"nama": "\rx", "skor": 2}])
    assert list(csv.DictReader(io.StringIO(out.getvalue()))) == [{"nama": "'+62812", "skor": "-1"},
                                                                 {"nama": "'\rx", "skor": "2"}]
