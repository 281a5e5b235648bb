"""Roster-import reasons in the viewer's language: stored in the source language, translated when shown."""

from __future__ import annotations

import ast
import io
import pathlib

from babel.messages.pofile import read_po
from flask_babel import force_locale

from lms.cohorts.roster import reasons
from lms.core.i18n import LANG_COOKIE
from tests.learning import log_in

ROOT = pathlib.Path(__file__).resolve().parents[2]
ADMIN = "admin.roster@belajar.id"
GOOD = "7371014101900001"
BAD_ROWS = ("nik,nama,email,npsn,satuan_pendidikan,kode_kabkota\n"
            f"{GOOD},Siti,siti@guru.sd.belajar.id,40311234,SD Satu,7371\n"
            f"{GOOD},Budi,budi@guru.sd.belajar.id,40311234,SD Satu,7371\n"
            "7371014101900002,Ani,ani@guru.sd.belajar.id,123,SD Dua,9999\n")


def test_every_stored_reason_is_known_and_translated():
    sources = [ROOT / "lms/core/nik.py", *sorted((ROOT / "lms/cohorts/roster").glob("*.py"))]
    wrapped = {node.args[0].value for path in sources if path.name != "reasons.py"
               for node in ast.walk(ast.parse(path.read_text()))
               if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_l"
               and node.args and isinstance(node.args[0], ast.Constant)}
    assert wrapped == set(reasons.SOURCES)
    with open(ROOT / "lms/translations/en/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po)
    assert [m for m in reasons.SOURCES if not (catalog.get(m) and catalog.get(m).string)] == []


def test_translate_keeps_values_and_splits_joined_reasons(app):
    with app.test_request_context(), force_locale("en"):
        joined = reasons.translate("NIK harus 16 digit angka.; E-mail x@y bukan akun belajar.id.; NPSN harus 8 "
                                   "karakter.").split("; ")
        assert len(joined) == 3 and joined[2] == "The NPSN must be 8 characters."
        assert "NIK harus" not in joined[0] and "x@y" in joined[1] and "bukan" not in joined[1]
        assert "x@y" in reasons.translate("E-mail x@y bukan akun belajar.id.")
        assert reasons.translate("NIK sama dengan baris 12") == "Same NIK as row 12"
        one = reasons.translate("NIK ini sudah terdaftar dengan e-mail lain di angkatan ini; perubahan e-mail "
                                "dilakukan oleh Pusat Bantuan.")
        assert "NIK ini" not in one and "Pusat Bantuan" not in one
        assert reasons.translate("Tidak dikenal; sama sekali") == "Tidak dikenal; sama sekali"
    with app.test_request_context():
        assert reasons.translate("NIK sama dengan baris 12") == "NIK sama dengan baris 12"


def test_an_english_admin_sees_english_reasons_an_indonesian_admin_indonesian(app, learning, during):
    learning.cohort()
    app.config["WTF_CSRF_ENABLED"] = False
    app.test_cli_runner().invoke(args=["users", "grant", ADMIN, "admin_angkatan"])
    english = log_in(app, ADMIN)
    english.set_cookie(LANG_COOKIE, "en")
    uploaded = english.post("/admin/cohorts/UJI-1/roster", data={"file": (io.BytesIO(BAD_ROWS.encode()), "r.csv")},
                            content_type="multipart/form-data")
    assert uploaded.status_code == 302
    page = english.get(uploaded.location).get_data(as_text=True)
    assert "Same NIK as row 2" in page and "The NPSN must be 8 characters." in page
    assert "NIK sama dengan baris" not in page and "NPSN harus" not in page
    indonesian = log_in(app, ADMIN).get(uploaded.location).get_data(as_text=True)
    assert "NIK sama dengan baris 2" in indonesian and "NPSN harus 8 karakter." in indonesian
