"""What a declared-schema library adds to one API request, in process (Flask test client, bearer token).

Variants of the same two operations, mounted side by side on one app with the demo data (SQLite file):

- ``GET progress``: the real ``/api/v1/me/progress`` work (bearer authentication, participant lookup, progress,
  ``progress_json``); ``base`` returns ``jsonify(...)``; ``smorest`` declares the response with a marshmallow schema
  and lets flask-smorest dump it; ``spectree`` declares a pydantic v2 model and lets spectree validate the response.
- ``POST body``: a small ``{"answers": {"QID": OPTION_ID}}`` body, parsed by hand (``base``), by webargs through
  ``@blp.arguments`` (``smorest``) or by pydantic through ``@spec.validate(json=...)`` (``spectree``); the view
  echoes the answer count.

Rounds are interleaved (base, smorest, spectree, base, ...) because the machine is shared; each round times N
requests and the figures are the median and the minimum of the per-request time over the rounds.

    .venv/bin/python bench/bench_api_schema.py [--requests 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from flask import g, jsonify, request
from flask_migrate import upgrade
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import Schema, fields
from pydantic import BaseModel
from spectree import Response, SpecTree

from lms import create_app
from lms.auth import services as auth_services
from lms.auth.bearer import authenticate
from lms.cohorts.participant import api_participant_required
from lms.core.errors import Invalid
from lms.core.time import now_utc
from lms.extensions import csrf, db
from lms.modules.progress import compute_progress
from lms.modules.serialize import progress_json

TEACHER = "guru.demo@guru.sd.belajar.id"


# --- marshmallow (flask-smorest) ------------------------------------------------------------------------------

class MateriOut(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    done = fields.Boolean(required=True)
    minutes = fields.Integer(allow_none=True)


class ModuleOut(Schema):
    id = fields.Integer(required=True)
    code = fields.String()
    title = fields.String(required=True)
    unlocked = fields.Boolean(required=True)
    complete = fields.Boolean(required=True)
    materi = fields.List(fields.Nested(MateriOut), required=True)
    posttest = fields.Dict(required=True)
    journal = fields.Dict(required=True)


class ProgressOut(Schema):
    cohort = fields.Dict(required=True)
    status = fields.String()
    percent = fields.Integer(required=True)
    complete = fields.Boolean(required=True)
    modules = fields.List(fields.Nested(ModuleOut), required=True)
    next = fields.Dict()
    registration = fields.Dict(required=True)


class AnswersIn(Schema):
    answers = fields.Dict(keys=fields.String(), values=fields.Integer(strict=True), required=True)


# --- pydantic (spectree) --------------------------------------------------------------------------------------

class MateriModel(BaseModel):
    id: int
    title: str
    done: bool
    minutes: int | None = None


class ModuleModel(BaseModel):
    id: int
    code: str | None = None
    title: str
    unlocked: bool
    complete: bool
    materi: list[MateriModel]
    posttest: dict
    journal: dict


class ProgressModel(BaseModel):
    cohort: dict
    status: str | None = None
    percent: int
    complete: bool
    modules: list[ModuleModel]
    next: dict | None = None
    registration: dict


class AnswersModel(BaseModel):
    answers: dict[str, int]


def build_app(folder: Path):
    url = f"sqlite:///{folder / 'bench.sqlite'}"
    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False},
                     env={"LMS_DATABASE_URL": url, "LMS_SECRET_KEY": "bench", "LMS_INSTANCE_PATH": str(folder)})
    with app.app_context():
        upgrade()
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        user = auth_services.find_user(TEACHER)
        _, token = auth_services.create_token(user, days=30, now=now_utc())
        db.session.commit()

    def progress_payload():
        return progress_json(g.enrollment, compute_progress(g.enrollment), now_utc())

    # smorest
    app.config.update(API_TITLE="bench", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    blp = SmorestBlueprint("bench_smorest", __name__, url_prefix="/bench/smorest")
    blp.before_request(authenticate)

    @blp.get("/progress")
    @blp.response(200, ProgressOut)
    @api_participant_required
    def smorest_progress():
        return progress_payload()

    @blp.post("/answers")
    @blp.arguments(AnswersIn)
    @blp.response(200)
    @api_participant_required
    def smorest_answers(body):
        return {"count": len(body["answers"])}

    Api(app).register_blueprint(blp)
    csrf.exempt(blp)

    # spectree
    spec = SpecTree("flask", path="bench-spectree-doc")
    from flask import Blueprint

    sbp = Blueprint("bench_spectree", __name__, url_prefix="/bench/spectree")
    sbp.before_request(authenticate)

    @sbp.get("/progress")
    @spec.validate(resp=Response(HTTP_200=ProgressModel))
    @api_participant_required
    def spectree_progress():
        return progress_payload()

    @sbp.post("/answers")
    @spec.validate(json=AnswersModel)
    @api_participant_required
    def spectree_answers():
        return jsonify({"count": len(request.context.json.answers)})

    csrf.exempt(sbp)
    app.register_blueprint(sbp)
    spec.register(app)

    # base (hand-written), next to the others so that the app is the same
    from flask import Blueprint as FlaskBlueprint

    bbp = FlaskBlueprint("bench_base", __name__, url_prefix="/bench/base")
    bbp.before_request(authenticate)

    @bbp.get("/progress")
    @api_participant_required
    def base_progress():
        return jsonify(progress_payload())

    @bbp.post("/answers")
    @api_participant_required
    def base_answers():
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
            raise Invalid()
        answers = body["answers"]
        if any(not isinstance(v, int) or isinstance(v, bool) for v in answers.values()):
            raise Invalid()
        return jsonify({"count": len(answers)})

    csrf.exempt(bbp)
    app.register_blueprint(bbp)
    return app, {"Authorization": f"Bearer {token}"}


def time_round(client, method: str, url: str, headers: dict, body, n: int) -> float:
    call = getattr(client, method)
    start = time.perf_counter()
    for _ in range(n):
        response = call(url, headers=headers, json=body)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True))
    return elapsed / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    variants = ("base", "smorest", "spectree")
    with tempfile.TemporaryDirectory(prefix="lms-bench-api-") as folder:
        app, headers = build_app(Path(folder))
        client = app.test_client()
        body = {"answers": {str(i): i for i in range(1, 6)}}
        for label, method, path, payload in (("GET progress", "get", "progress", None),
                                             ("POST body", "post", "answers", body)):
            times: dict[str, list[float]] = {v: [] for v in variants}
            for v in variants:  # warm-up
                time_round(client, method, f"/bench/{v}/{path}", headers, payload, 50)
            for _ in range(args.rounds):
                for v in variants:
                    times[v].append(time_round(client, method, f"/bench/{v}/{path}", headers, payload, args.requests))
            base_med, base_min = statistics.median(times["base"]), min(times["base"])
            print(f"{label}: {args.requests} requests x {args.rounds} interleaved rounds (ms per request)")
            for v in variants:
                med, low = statistics.median(times[v]), min(times[v])
                print(f"  {v:9} median {med:6.3f}  min {low:6.3f}  added: median {med - base_med:+.3f} "
                      f"min {low - base_min:+.3f}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
