"""Cancelling a registration asks first and says what will happen; a teacher whose window has closed is not
promised a change."""

from __future__ import annotations

from datetime import timedelta

from tests.learning import DURING, log_in
from tests.ukppg.helpers import make_sessions, seats_taken
from tests.ukppg.test_bad_input import GURU, ready  # noqa: F401 - the fixture


def test_cancelling_asks_first_and_names_the_seat(app, ready):  # noqa: F811
    app.config["WTF_CSRF_ENABLED"] = False
    browser = log_in(app, GURU)
    assert browser.post("/sertifikasi/ukppg/", data={"session_id": ready["session"]}).status_code == 302
    assert seats_taken(app, ready["session"]) == 1

    # A bare POST (an old form, a replayed request) cancels nothing: it leads to the question.
    bare = browser.post("/sertifikasi/ukppg/batal")
    assert bare.status_code == 302 and bare.headers["Location"].endswith("/sertifikasi/ukppg/batal")
    assert seats_taken(app, ready["session"]) == 1

    page = browser.get("/sertifikasi/ukppg/batal").get_data(as_text=True)
    assert "Kursi Anda di TUK Makassar, 20 Desember 2026, 08.00 WITA akan dilepas" in page
    done = browser.post("/sertifikasi/ukppg/batal", data={"confirm": "yes"})
    assert done.status_code == 302 and seats_taken(app, ready["session"]) == 0
    assert browser.get("/sertifikasi/ukppg/batal").status_code == 302  # nothing left to cancel


def test_after_the_window_the_registered_teacher_is_not_promised_a_change(app, ready, frozen_clock):  # noqa: F811
    app.config["WTF_CSRF_ENABLED"] = False
    browser = log_in(app, GURU)
    browser.post("/sertifikasi/ukppg/", data={"session_id": ready["session"]})
    frozen_clock(DURING + timedelta(days=60))
    page = browser.get("/sertifikasi/ukppg/").get_data(as_text=True)
    assert "Anda dapat pindah" not in page
    assert 'data-testid="cannot-change"' in page and "sudah ditutup" in page


def test_changing_asks_first_and_names_both_seats(app, ready):  # noqa: F811
    app.config["WTF_CSRF_ENABLED"] = False
    [other] = make_sessions(app, ("TUK Jakarta", "3175", 2))
    browser = log_in(app, GURU)
    assert browser.post("/sertifikasi/ukppg/", data={"session_id": ready["session"]}).status_code == 302

    # Picking another session asks first: nothing moves yet.
    asked = browser.post("/sertifikasi/ukppg/", data={"session_id": other, "action": "change"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'data-testid="change-confirm"' in page
    assert "Kursi Anda di TUK Makassar, 20 Desember 2026, 08.00 WITA akan dilepas" in page
    assert "Anda akan terdaftar di TUK Jakarta" in page
    assert (seats_taken(app, ready["session"]), seats_taken(app, other)) == (1, 0)

    # An unknown session is refused on the page, and nothing moves.
    missing = browser.post("/sertifikasi/ukppg/", data={"session_id": 999_999, "action": "change"})
    assert missing.status_code == 303 and (seats_taken(app, ready["session"]), seats_taken(app, other)) == (1, 0)
    assert "Sesi UKPPPG tidak ditemukan" in browser.get(missing.headers["Location"]).get_data(as_text=True)

    done = browser.post("/sertifikasi/ukppg/", data={"session_id": other, "action": "change", "confirm": "yes"})
    assert done.status_code == 302 and (seats_taken(app, ready["session"]), seats_taken(app, other)) == (0, 1)
