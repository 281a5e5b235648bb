"""The floor for `bench_http.py`: a bare Flask app answering from one indexed query, with one psycopg connection per
worker process (gunicorn's sync workers serve one request at a time).

    BARE_DATABASE_URL=postgresql://... gunicorn -w 2 'bench.bare_app:create_app()'

``GET /users/<id>`` selects one user by primary key and returns it as JSON; ``/healthz`` answers without the
database.
"""

from __future__ import annotations

import os

import psycopg
from flask import Flask, abort, jsonify


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ["BARE_DATABASE_URL"]
    state: dict[str, psycopg.Connection] = {}

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

    return app
