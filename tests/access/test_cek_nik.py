"""Cek NIK: e-mail masking, the API (same shape either way, validation, linking), the lookup log without the NIK
in clear, the rate limits per account and per address, and the pages (gate and Cek NIK form)."""

from __future__ import annotations

import itertools
import json
import re
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, func, select

from bench.datagen import rows
from lms.access.models import NikLookup
from lms.access.services import mask_email
from lms.auth.models import User
from lms.cohorts.models import Enrollment
from lms.cohorts.roster_models import RosterEntry
from lms.core.audit import AuditEvent
from lms.core.nik import nik_hash
from lms.extensions import db
from tests.learning import DURING, import_roster, log_in

NOT_REGISTERED = "Maaf, Anda tidak terdaftar di Sertifikasi Pendidik kali ini"
REGISTERED = "Anda sudah bisa akses Sertifikasi Pendidik dengan email ini"
SEED_GATE = ("Pada saat ini fitur Sertifikasi Pendidik di Ruang GTK hanya akan terbuka untuk peserta sasaran PPG "
             "bagi Guru Tertentu")
ASKER = "penanya.satu@guru.sd.belajar.id"
#: A valid NIK (real kab/kota prefix, real birth date) that is in none of the rosters imported below.
UNREGISTERED_NIK = next(rows(1, start=500))[0]
_addresses = itertools.count(1)


# --- helpers ------------------------------------------------------------------------------------------------------

def unique_email(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@guru.sd.belajar.id"


def unique_address() -> str:
    n = next(_addresses)
    salt = uuid.uuid4().int % 200 + 20
    return f"10.{salt}.{n // 250 % 250}.{n % 250 + 1}"



def user_id(app, email: str) -> int | None:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def check(client, headers, nik, address="127.0.0.1"):
    return client.post("/api/v1/nik-check", json={"nik": nik}, headers=headers,
                       environ_base={"REMOTE_ADDR": address})


def html(response) -> str:
    return response.get_data(as_text=True)


def cells_containing(app, needle: str) -> list[str]:
    """Every ``table.column`` of the database whose value, as text, contains ``needle``."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()):
                for column, value in zip(table.columns, row, strict=True):
                    if value is None:
                        continue
                    text = json.dumps(value) if isinstance(value, dict | list) else str(value)
                    if needle in text:
                        found.append(f"{table.name}.{column.name}")
    return found


@pytest.fixture
def registered(app, learning, during):
    """A cohort whose roster holds three participants (accounts and enrollments created by the import)."""
    cohort_id = learning.cohort()
    data = [list(r) for r in rows(3)]
    import_roster(app, cohort_id, data)
    return SimpleNamespace(cohort_id=cohort_id, rows=data, nik=data[0][0], email=data[0][2])


# --- mask_email -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("email", "masked"), [
    ("a@guru.sd.belajar.id", "****@guru.sd.belajar.id"),
    ("ab@guru.sd.belajar.id", "a****@guru.sd.belajar.id"),
    ("abc@guru.sd.belajar.id", "a****c@guru.sd.belajar.id"),
    ("abcde@belajar.id", "a****e@belajar.id"),
    ("abcdef@belajar.id", "ab****ef@belajar.id"),
    ("guru.satu@guru.sd.belajar.id", "gu****tu@guru.sd.belajar.id"),
    ("siti.rahayu.wulandari.pratama@guru.smp.belajar.id", "si****ma@guru.smp.belajar.id"),
])
def test_mask_email_examples(email, masked):
    assert mask_email(email) == masked


@pytest.mark.parametrize("length", range(1, 41))
def test_mask_email_always_four_stars_keeps_domain_and_hides_most_of_the_name(length):
    local = "".join(chr(ord("a") + i % 26) for i in range(length))
    masked = mask_email(f"{local}@guru.sd.belajar.id")
    shown, _, domain = masked.partition("@")
    assert domain == "guru.sd.belajar.id"
    assert shown.count("*") == 4 and "*****" not in shown
    head, tail = shown.split("****")
    assert len(head) + len(tail) <= 4 and len(head) + len(tail) < length
    assert local.startswith(head) and local.endswith(tail)
    # The length of the name does not show: all names of 6+ characters give the same shape.
    if length >= 6:
        assert len(shown) == 8


# --- API: outcomes and enumeration resistance -----------------------------------------------------------------------

def test_unregistered_nik(app, client, learning, registered):
    response = check(client, learning.headers(ASKER), UNREGISTERED_NIK)
    assert response.status_code == 200
    body = response.get_json()
    assert body["registered"] is False
    assert body["message"] == NOT_REGISTERED
    assert body["email_masked"] is None


def test_registered_nik_shows_the_masked_email_only(app, client, learning, registered):
    headers = learning.headers(ASKER)
    response = check(client, headers, registered.nik)
    assert response.status_code == 200
    body = response.get_json()
    assert body["registered"] is True
    assert body["message"] == REGISTERED
    assert body["email_masked"] == "pe****00@guru.sd.belajar.id" == mask_email(registered.email)
    assert body["own_account"] is False
    # Never more than the masked e-mail: neither the address nor the name of the participant.
    text = response.get_data(as_text=True)
    assert registered.email not in text and registered.rows[0][1] not in text
    # Asking about someone else's NIK does not enroll the asker.
    assert client.get("/api/v1/me", headers=headers).get_json()["participant"] is None


def test_registered_and_unregistered_answers_differ_only_in_the_outcome(app, client, learning, registered):
    headers = learning.headers(ASKER)
    yes = check(client, headers, registered.nik)
    no = check(client, headers, UNREGISTERED_NIK)
    assert yes.status_code == no.status_code == 200
    assert yes.mimetype == no.mimetype == "application/json"
    a, b = yes.get_json(), no.get_json()
    assert set(a) == set(b)
    assert {"registered", "message", "email_masked"} <= set(a)
    differing = {key for key in a if a[key] != b[key]}
    assert differing == {"registered", "message", "email_masked"}
    assert set(yes.headers.keys()) == set(no.headers.keys())


@pytest.mark.parametrize("nik", [
    "110125490890001",  # 15 digits
    "11012549089000011",  # 17 digits
    "11012549089000a1",  # a letter
    "9999254908900001",  # no such kab/kota
    "1101253201900001",  # 32 January
    "1101251513900001",  # month 13
    "1101257202900001",  # 32 February for a woman (72 - 40)
    "",
])
def test_invalid_nik_is_refused_with_422(app, client, learning, nik):
    headers = learning.headers(ASKER)
    response = check(client, headers, nik)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid" and body["message"]
    assert "registered" not in body and "email_masked" not in body


def test_nik_with_spaces_is_normalized(app, client, learning, registered):
    spaced = " ".join(re.findall(".{4}", registered.nik))
    body = check(client, learning.headers(ASKER), spaced).get_json()
    assert body["registered"] is True


def test_unauthenticated_is_refused_with_401(app, client, registered):
    response = client.post("/api/v1/nik-check", json={"nik": registered.nik})
    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthenticated"
    with app.app_context():
        assert db.session.scalar(select(func.count(NikLookup.id))) == 0


# --- linking the asker's own account --------------------------------------------------------------------------------

def test_own_roster_entry_links_the_account_without_enrollment(app, client, learning, registered):
    uid = user_id(app, registered.email)
    with app.app_context():
        db.session.execute(delete(Enrollment).where(Enrollment.user_id == uid))
        db.session.commit()
    headers = learning.headers(registered.email)
    assert client.get("/api/v1/me", headers=headers).get_json()["participant"] is None

    response = check(client, headers, registered.nik)
    assert response.status_code == 200
    body = response.get_json()
    assert body["registered"] is True and body["own_account"] is True
    assert body["email_masked"] == mask_email(registered.email)
    with app.app_context():
        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == uid))
        assert enrollment is not None and enrollment.cohort_id == registered.cohort_id
        assert enrollment.status == "aktif"
        assert db.session.scalar(select(NikLookup.result).where(NikLookup.user_id == uid)) == "linked"
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["participant"]["cohort"] == "UJI-1" and me["participant"]["status"] == "aktif"


def test_roster_entry_created_directly_links_an_existing_account(app, client, learning, during):
    cohort_id = learning.cohort(code="UJI-LANGSUNG")
    email = unique_email("langsung")
    nik = next(rows(1, start=700))[0]
    headers = learning.headers(email)
    with app.app_context():
        db.session.add(RosterEntry(cohort_id=cohort_id, programme_year=2026, nik_hash=nik_hash(nik),
                                   nik_encrypted="x", nama="Guru Langsung", email=email, npsn="12345678",
                                   satuan_pendidikan="SD Negeri 9", kode_kabkota=nik[:4], created_at=DURING,
                                   updated_at=DURING))
        db.session.commit()
    body = check(client, headers, nik).get_json()
    assert body["own_account"] is True
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["participant"] is not None and me["participant"]["cohort"] == "UJI-LANGSUNG"


# --- the lookup log -------------------------------------------------------------------------------------------------

def test_every_lookup_is_logged_with_the_hash_and_no_nik_in_clear(app, client, learning, registered):
    asker_headers = learning.headers(ASKER)
    own = registered.rows[1]
    with app.app_context():
        db.session.execute(delete(Enrollment).where(Enrollment.user_id == user_id(app, own[2])))
        db.session.commit()
    invalid_nik = "1101253201900001"
    assert check(client, asker_headers, UNREGISTERED_NIK).status_code == 200
    assert check(client, asker_headers, registered.nik).status_code == 200
    assert check(client, asker_headers, invalid_nik).status_code == 422
    assert check(client, learning.headers(own[2]), own[0]).status_code == 200

    asker, owner = user_id(app, ASKER), user_id(app, own[2])
    with app.app_context():
        logged = [(r.user_id, r.result, r.nik_hash, r.ip)
                  for r in db.session.scalars(select(NikLookup).order_by(NikLookup.id))]
        assert logged == [
            (asker, "not_registered", nik_hash(UNREGISTERED_NIK), "127.0.0.1"),
            (asker, "registered", nik_hash(registered.nik), "127.0.0.1"),
            (asker, "invalid", None, "127.0.0.1"),
            (owner, "linked", nik_hash(own[0]), "127.0.0.1"),
        ]
    for nik in (UNREGISTERED_NIK, registered.nik, invalid_nik, own[0]):
        with app.app_context():
            lookups = [" ".join(str(v) for v in row) for row in db.session.execute(NikLookup.__table__.select())]
            audits = [json.dumps(e.data) + e.subject_id + e.action for e in db.session.scalars(select(AuditEvent))]
        assert not any(nik in text for text in lookups)
        assert not any(nik in text for text in audits)
        assert cells_containing(app, nik) == []


# --- rate limits ----------------------------------------------------------------------------------------------------

def test_account_limit_refuses_the_fourth_check_but_not_another_account(app, client, learning):
    app.config["NIK_CHECK_LIMIT_ACCOUNT"] = "3/hour"
    app.config["NIK_CHECK_LIMIT_ADDRESS"] = "1000/hour"
    address = unique_address()
    first_email = unique_email("batas.akun")
    first = learning.headers(first_email)
    assert [check(client, first, UNREGISTERED_NIK, address).status_code for _ in range(3)] == [200, 200, 200]
    refused = check(client, first, UNREGISTERED_NIK, address)
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["code"] == "rate_limited"
    assert "Cek NIK" in body["message"]
    assert check(client, first, UNREGISTERED_NIK, unique_address()).status_code == 429  # per account, any address
    other = learning.headers(unique_email("batas.lain"))
    assert check(client, other, UNREGISTERED_NIK, address).status_code == 200
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == first_email))
        assert db.session.scalar(select(func.count(NikLookup.id)).where(NikLookup.user_id == uid)) == 3


def test_invalid_niks_count_towards_the_limit(app, client, learning):
    app.config["NIK_CHECK_LIMIT_ACCOUNT"] = "2/hour"
    app.config["NIK_CHECK_LIMIT_ADDRESS"] = "1000/hour"
    headers = learning.headers(unique_email("batas.salah"))
    address = unique_address()
    assert check(client, headers, "123", address).status_code == 422
    assert check(client, headers, "456", address).status_code == 422
    assert check(client, headers, UNREGISTERED_NIK, address).status_code == 429


def test_address_limit_refuses_a_second_account_from_the_same_address(app, client, learning):
    app.config["NIK_CHECK_LIMIT_ACCOUNT"] = "1000/hour"
    app.config["NIK_CHECK_LIMIT_ADDRESS"] = "2/hour"
    address = unique_address()
    first = learning.headers(unique_email("alamat.satu"))
    second = learning.headers(unique_email("alamat.dua"))
    assert check(client, first, UNREGISTERED_NIK, address).status_code == 200
    assert check(client, first, UNREGISTERED_NIK, address).status_code == 200
    refused = check(client, second, UNREGISTERED_NIK, address)
    assert refused.status_code == 429
    assert refused.get_json()["code"] == "rate_limited" and "Cek NIK" in refused.get_json()["message"]
    # The same account from another address is fine.
    assert check(client, second, UNREGISTERED_NIK, unique_address()).status_code == 200


def test_page_and_api_share_the_address_limit(app, learning):
    app.config["NIK_CHECK_LIMIT_ACCOUNT"] = "1000/hour"
    app.config["NIK_CHECK_LIMIT_ADDRESS"] = "2/hour"
    app.config["WTF_CSRF_ENABLED"] = False
    address = unique_address()
    page = log_in(app, unique_email("bersama.halaman"))
    api = app.test_client()
    headers = learning.headers(unique_email("bersama.api"))
    first = page.post("/sertifikasi/cek-nik/", data={"nik": UNREGISTERED_NIK}, environ_base={"REMOTE_ADDR": address})
    assert first.status_code == 303
    assert check(api, headers, UNREGISTERED_NIK, address).status_code == 200
    assert check(api, headers, UNREGISTERED_NIK, address).status_code == 429
    refused = page.post("/sertifikasi/cek-nik/", data={"nik": UNREGISTERED_NIK},
                        environ_base={"REMOTE_ADDR": address})
    assert refused.status_code == 429
    assert "Cek NIK" in html(refused)


def test_page_and_session_api_share_the_account_limit(app):
    app.config["NIK_CHECK_LIMIT_ACCOUNT"] = "2/hour"
    app.config["NIK_CHECK_LIMIT_ADDRESS"] = "1000/hour"
    client = log_in(app, unique_email("sesi"))
    page = client.get("/sertifikasi/cek-nik/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', html(page)).group(1)
    first = client.post("/sertifikasi/cek-nik/", data={"nik": UNREGISTERED_NIK, "csrf_token": token},
                        environ_base={"REMOTE_ADDR": unique_address()})
    assert first.status_code == 303
    second = client.post("/api/v1/nik-check", json={"nik": UNREGISTERED_NIK}, headers={"X-CSRFToken": token},
                         environ_base={"REMOTE_ADDR": unique_address()})
    assert second.status_code == 200 and second.get_json()["registered"] is False
    third = client.post("/sertifikasi/cek-nik/", data={"nik": UNREGISTERED_NIK, "csrf_token": token},
                        environ_base={"REMOTE_ADDR": unique_address()})
    assert third.status_code == 429


def test_account_limit_counts_all_tokens_of_the_account(app, client, runner):
    app.config["NIK_CHECK_LIMIT_ACCOUNT"] = "2/hour"
    app.config["NIK_CHECK_LIMIT_ADDRESS"] = "1000/hour"
    email = unique_email("dua.token")
    tokens = []
    for _ in range(2):
        result = runner.invoke(args=["tokens", "create", email])
        assert result.exit_code == 0, result.output
        tokens.append(result.output.split()[-1])
    first, second = ({"Authorization": f"Bearer {t}"} for t in tokens)
    assert check(client, first, UNREGISTERED_NIK, unique_address()).status_code == 200
    assert check(client, first, UNREGISTERED_NIK, unique_address()).status_code == 200
    assert check(client, second, UNREGISTERED_NIK, unique_address()).status_code == 429


# --- pages ----------------------------------------------------------------------------------------------------------

def test_gate_page_shows_the_seed_message_and_the_cek_nik_button(app, learning, during):
    learning.cohort()
    client = log_in(app, unique_email("bukan.peserta"))
    response = client.get("/sertifikasi/")
    page = html(response)
    assert response.status_code == 403
    assert SEED_GATE in page
    button = re.search(r'<a [^>]*data-testid="cek-nik"[^>]*>', page)
    assert button is not None and 'href="/sertifikasi/cek-nik/"' in button.group(0)


def test_cek_nik_page_requires_login(app, client):
    response = client.get("/sertifikasi/cek-nik/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_cek_nik_page_unregistered(app, registered):
    app.config["WTF_CSRF_ENABLED"] = False
    client = log_in(app, ASKER)
    assert client.get("/sertifikasi/cek-nik/").status_code == 200
    response = client.post("/sertifikasi/cek-nik/", data={"nik": UNREGISTERED_NIK}, follow_redirects=True)
    page = html(response)
    assert response.status_code == 200 and [r.status_code for r in response.history] == [303]
    assert NOT_REGISTERED in page
    assert 'data-testid="email-masked"' not in page and REGISTERED not in page


def test_cek_nik_page_registered_shows_masked_email_and_guidance(app, registered):
    app.config["WTF_CSRF_ENABLED"] = False
    client = log_in(app, ASKER)
    response = client.post("/sertifikasi/cek-nik/", data={"nik": registered.nik}, follow_redirects=True)
    page = html(response)
    assert response.status_code == 200
    assert REGISTERED in page and NOT_REGISTERED not in page
    masked = re.search(r'data-testid="email-masked">([^<]+)<', page)
    assert masked is not None and masked.group(1).strip() == "pe****00@guru.sd.belajar.id"
    assert registered.email not in page
    # 1. log out and log in with that account
    assert re.search(r'<form method="post" action="/auth/logout"', page)
    assert 'data-testid="logout-and-switch"' in page
    # 2. forgot the password: reset at belajar.id
    assert 'href="https://belajar.id/"' in page
    # 3. unknown account: a Pusat Bantuan ticket
    helpdesk = re.search(r'<a href="([^"]+)" data-testid="open-ticket">\s*Pusat Bantuan', page)
    assert helpdesk is not None and helpdesk.group(1).startswith("/bantuan/baru")


def test_cek_nik_page_invalid_nik_rerenders_with_422(app, registered):
    app.config["WTF_CSRF_ENABLED"] = False
    client = log_in(app, ASKER)
    typed = "11012549089abc"
    response = client.post("/sertifikasi/cek-nik/", data={"nik": typed})
    page = html(response)
    assert response.status_code == 422
    assert f'value="{typed}"' in page
    assert 'data-testid="nik-error"' in page
    assert 'data-testid="nik-result"' not in page
    with app.app_context():
        assert db.session.scalar(select(NikLookup.result).where(NikLookup.user_id == user_id(app, ASKER))) == "invalid"


def test_cek_nik_answer_is_post_redirect_get_and_a_reload_logs_nothing(app, registered):
    app.config["WTF_CSRF_ENABLED"] = False
    client = log_in(app, ASKER)
    response = client.post("/sertifikasi/cek-nik/", data={"nik": registered.nik})
    assert response.status_code == 303 and response.headers["Location"].endswith("/sertifikasi/cek-nik/?hasil=1")
    assert registered.nik not in str(client.get_cookie("session").value if client.get_cookie("session") else "")
    uid = user_id(app, ASKER)
    with app.app_context():
        logged = db.session.scalar(select(func.count(NikLookup.id)).where(NikLookup.user_id == uid))
    for _ in range(3):  # reloads of the answer
        reload = client.get(response.headers["Location"])
        assert reload.status_code == 200 and REGISTERED in html(reload)
        assert 'data-testid="email-masked"' in html(reload)
    with app.app_context():
        assert db.session.scalar(select(func.count(NikLookup.id)).where(NikLookup.user_id == uid)) == logged
    # The plain page starts empty; after logout the answer is gone from the session.
    assert 'data-testid="nik-result"' not in html(client.get("/sertifikasi/cek-nik/"))
    with client.session_transaction() as session:
        assert session["cek_nik_result"]["email_masked"] == mask_email(registered.email)
    client.post("/auth/logout")
    with client.session_transaction() as session:
        assert "cek_nik_result" not in session
