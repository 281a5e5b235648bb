"""The floor for `bench_http.py`: a bare Flask app answering from one indexed query, with one psycopg connection per
worker process (gunicorn's sync workers serve one request at a time).

    BARE_DATABASE_URL=postgresql://... gunicorn -w 2 'bench.bare_app:create_app()'

``GET /users/<id>`` selects one user by primary key and returns it as JSON; ``/healthz`` answers without the
database.

``GET /progress`` (``Authorization: Bearer <token>``), when ``BARE_PROGRESS_STATEMENTS`` holds the app's own two
statements of ``GET /api/v1/me/progress`` (JSON, from ``bench_http.progress_statements``): the token's identity
statement, then the participant's own progress rows, sent as the app sends them, and the rows returned as JSON
with nothing computed. Flask plus the app's SQL: the ceiling of the ratio any code answering the progress read with
these two statements could reach.

``GET /dashboard`` (the app's session cookie), when ``BARE_DASHBOARD_STATEMENTS`` holds the app's two statements of
``GET /sertifikasi/`` (``bench_http.dashboard_statements``): Flask's own session cookie, signed with the app's key,
read as the app reads it; the live session's identity statement, then the page's rows (progress and the
determination status); the rows returned as JSON, nothing computed and no page rendered.
"""

from __future__ import annotations

import hashlib
import json
import os

import psycopg
from flask import Flask, abort, jsonify, request, session


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ["BARE_DATABASE_URL"]
    state: dict[str, psycopg.Connection] = {}
    app.extensions["bare_connection"] = state  # the worker's connection, for whoever ends it early (a test)

    def connection() -> psycopg.Connection:
        conn = state.get("conn")
        if conn is None or conn.closed:
            conn = state["conn"] = psycopg.connect(url, autocommit=True)
        return conn

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    @app.get("/users/<int:user_id>")
    def user(user_id: int):
        row = connection().execute("SELECT id, email, name FROM users WHERE id = %s", (user_id,)).fetchone()
        if row is None:
            abort(404)
        return jsonify({"id": row[0], "email": row[1], "name": row[2]})

    statements = json.loads(os.environ.get("BARE_PROGRESS_STATEMENTS", "null"))
    if statements:
        identity, defaults, enrollment_column, own_rows = (
            statements["identity"], statements["defaults"], statements["enrollment_column"], statements["own_rows"])

        @app.get("/progress")
        def progress():
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                abort(401)
            conn = connection()
            token_hash = hashlib.sha256(header[7:].encode()).hexdigest()
            found = conn.execute(identity, {**defaults, "token_hash": token_hash}, prepare=True).fetchone()
            if found is None or found[enrollment_column] is None:
                abort(404)
            rows = conn.execute(own_rows, {"enrollment_id": found[enrollment_column]}, prepare=True).fetchall()
            return jsonify({"user_id": found[1], "rows": [list(r) for r in rows]})

    page = json.loads(os.environ.get("BARE_DASHBOARD_STATEMENTS", "null"))
    if page:
        app.secret_key = page["secret_key"]
        app.config.update(SESSION_COOKIE_NAME=page["cookie_name"], SESSION_REFRESH_EACH_REQUEST=False)

        @app.get("/dashboard")
        def dashboard():
            user_id, secret = session.get("_user_id"), session.get(page["session_key"])
            if not user_id or not secret:
                abort(401)
            conn = connection()
            found = conn.execute(page["identity"], {**page["defaults"], "user_id": int(user_id),
                                                    "session_id": hashlib.sha256(secret.encode()).hexdigest()},
                                 prepare=True).fetchone()
            if found is None or found[page["enrollment_column"]] is None:
                abort(404)
            email = found[page["email_column"]].strip().lower()
            rows = conn.execute(page["page_rows"], {**page["page_defaults"], "email": email,
                                                    "enrollment_id": found[page["enrollment_column"]]},
                                prepare=True).fetchall()
            return jsonify({"user_id": found[0], "rows": [list(r) for r in rows]})

    return app
