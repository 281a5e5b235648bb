"""A teacher's whole journey through the JSON API, and the statements it should leave."""

from __future__ import annotations

from lms.auth import services as auth_services
from lms.extensions import db
from tests.learning import ALLOWED, DURING, ApiParticipant
from tests.ukppg.helpers import make_sessions

GURU = ApiParticipant.email
#: (verb, activity kind) of every statement a journey on a 2-module, 2-materi curriculum leaves, in no order.
EXPECTED = sorted([("completed", "materi")] * 4 + [("attempted", "posttest")] * 2 + [("responded", "journal")] * 2
                  + [("completed", "module")] * 2 + [("completed", "curriculum")] + [("registered", "ukppg")]
                  + [("exited", "ukppg")])


def finish_module(teacher: ApiParticipant, index: int) -> None:
    client, headers, module_id = teacher.client, teacher.headers, teacher.module_id(index)
    teacher.finish_materi(index)
    questions = client.get(f"/api/v1/posttests/{module_id}", headers=headers).get_json()["questions"]
    answers = {str(q["id"]): q["options"][0]["id"] for q in questions}
    response = client.post(f"/api/v1/posttests/{module_id}/attempts", headers=headers, json={"answers": answers})
    assert response.status_code == 201, response.get_json()
    prompts = client.get(f"/api/v1/journals/{module_id}", headers=headers).get_json()["prompts"]
    text = "Refleksi saya tentang modul ini cukup panjang."
    response = client.put(f"/api/v1/journals/{module_id}", headers=headers,
                          json={"answers": {str(p["id"]): text for p in prompts}, "submit": True})
    assert response.status_code == 200, response.get_json()


def register_and_cancel(app, teacher: ApiParticipant) -> None:
    [session] = make_sessions(app, ("TUK Makassar", "7371", 5))
    response = teacher.client.post("/api/v1/ukppg/registrations", headers=teacher.headers,
                                   json={"session_id": session})
    assert response.status_code == 201, response.get_json()
    response = teacher.client.delete("/api/v1/ukppg/registrations/me", headers=teacher.headers)
    assert response.status_code in (200, 204), response.get_json()


#: Activity type -> what the tests call it.
TYPES = {"lesson": "materi", "assessment": "posttest", "interaction": "journal", "module": "module",
         "course": "curriculum", "meeting": "ukppg"}


def kinds(statements: list[dict]) -> list[tuple[str, str]]:
    return sorted((s["verb"]["id"].rsplit("/", 1)[1], TYPES[s["object"]["definition"]["type"].rsplit("/", 1)[1]])
                  for s in statements)


def grant(app, email: str, role: str) -> None:
    with app.app_context():
        user = auth_services.get_or_create_account(email, now=DURING, allowed_domains=ALLOWED)
        auth_services.grant_role(user, role, now=DURING)
        db.session.commit()
