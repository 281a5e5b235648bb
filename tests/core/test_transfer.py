"""Transfer: compressed HTML, JSON and CSV; static files under content-hashed URLs; the weight of a cold dashboard."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
from pathlib import Path

import brotli
import pytest
from flask import Response, send_file, stream_with_context

from lms.core.transfer import IMMUTABLE, SHORT, StaticHashes, content_hash
from tests.core.test_csv_exports import ADMIN, grant_admin
from tests.learning import Learning, log_in
from tests.ukppg.helpers import complete, make_sessions

GURU = "guru.kompres@guru.sd.belajar.id"
DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}
STATIC_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')
DASHBOARD_BUDGET = 60 * 1024


@pytest.fixture
def world(make_app, during):
    """A participant registered for the exam (so there is a CSV row), and an admin who can export it."""
    # The export of one registration is smaller than the default threshold; the threshold itself is tested below.
    app = make_app(COMPRESS_MIN_SIZE=0)
    learning = Learning(app)
    enrollment_id = learning.participant(GURU, cohort_id=learning.cohort(), kode_kabkota="7371")
    complete(app, enrollment_id)
    session_id = make_sessions(app, ("TUK Makassar", "7371", 2))[0]
    assert app.test_client().post("/api/v1/ukppg/registrations", headers=learning.headers(GURU),
                                  json={"session_id": session_id}).status_code == 201
    grant_admin(app)
    return app, learning


def fetch_all(app, learning, accept: str | None) -> dict[str, Response]:
    headers = {"Accept-Encoding": accept} if accept else {}
    return {
        "page": log_in(app, GURU).get("/sertifikasi/", headers=headers),
        "json": app.test_client().get("/api/v1/me/progress", headers={**learning.headers(GURU), **headers}),
        "csv": app.test_client().get("/api/v1/ukppg/registrations?format=csv",
                                     headers={**learning.headers(ADMIN), **headers}),
    }


def test_brotli_runs_at_quality_1_on_every_response(world):
    """The app's own setting (not left to a proxy): Brotli quality 1, a quarter of quality 4's CPU per page for a
    few hundred bytes more; the answer is exactly quality 1's output."""
    app, learning = world
    assert app.config["COMPRESS_BR_LEVEL"] == 1
    packed = fetch_all(app, learning, "br")["json"]
    body = brotli.decompress(packed.data)
    assert packed.data == brotli.compress(body, quality=1, lgwin=app.config["COMPRESS_BR_WINDOW"])


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_page_json_and_csv_are_compressed_when_asked(world, encoding):
    app, learning = world
    plain = fetch_all(app, learning, None)
    packed = fetch_all(app, learning, f"{encoding}, identity;q=0.5")
    for kind in ("page", "json", "csv"):
        response = packed[kind]
        assert response.status_code == 200, (kind, response.data[:200])
        assert response.headers["Content-Encoding"] == encoding, kind
        assert "Accept-Encoding" in response.headers["Vary"], kind
        body = DECODE[encoding](response.data)
        assert int(response.headers["Content-Length"]) == len(response.data) < len(body), kind
        assert "Content-Security-Policy" in response.headers and "X-Frame-Options" in response.headers
    assert json.loads(DECODE[encoding](packed["json"].data)) == plain["json"].get_json()
    assert DECODE[encoding](packed["csv"].data) == plain["csv"].data
    assert b"<!doctype html>" in DECODE[encoding](packed["page"].data)
    assert packed["page"].headers["Cache-Control"] == "no-store"


def test_identity_without_accept_encoding(world):
    app, learning = world
    for kind, response in fetch_all(app, learning, None).items():
        assert response.status_code == 200, kind
        assert "Content-Encoding" not in response.headers, kind
        assert "Accept-Encoding" in response.headers["Vary"], kind
    # A client that refuses every encoding but identity gets identity too.
    refused = fetch_all(app, learning, "identity")
    assert all("Content-Encoding" not in r.headers for r in refused.values())


def test_small_responses_stay_plain(client):
    response = client.get("/healthz", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200 and len(response.data) < 500
    assert "Content-Encoding" not in response.headers


def test_clear_site_data_and_security_headers_survive_compression(client):
    response = client.get("/auth/keluar", headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["Clear-Site-Data"] == '"storage"'
    assert response.headers["Content-Encoding"] == "br"
    assert b"<!doctype html>" in brotli.decompress(response.data)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_downloads_and_streams_still_work(make_app):
    app = make_app()
    payload = bytes(range(256)) * 40

    def download():
        return send_file(io.BytesIO(payload), mimetype="application/octet-stream", as_attachment=True,
                         download_name="berkas.bin")

    def stream():
        return Response(stream_with_context(f"baris,{n}\n" for n in range(500)), mimetype="text/csv")

    app.add_url_rule("/_uji/unduh", view_func=download)
    app.add_url_rule("/_uji/alir", view_func=stream)
    client = app.test_client()
    got = client.get("/_uji/unduh", headers={"Accept-Encoding": "gzip, br"})
    assert got.status_code == 200 and got.data == payload and "Content-Encoding" not in got.headers
    assert got.headers["Content-Disposition"] == "attachment; filename=berkas.bin"
    streamed = client.get("/_uji/alir", headers={"Accept-Encoding": "gzip"})
    assert streamed.status_code == 200 and streamed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(streamed.data) == "".join(f"baris,{n}\n" for n in range(500)).encode()


# --- static files ---------------------------------------------------------------------------------------------


def static_urls(html: str) -> list[str]:
    return STATIC_URL.findall(html)


def test_pages_reference_hashed_static_urls_served_immutable(app, client):
    urls = static_urls(client.get("/").get_data(as_text=True))
    assert urls, "the home page loads no static file"
    folder = Path(app.static_folder)
    for url in urls:
        match = re.fullmatch(r"/static/([\w.\-/]+)\?v=([0-9a-f]{16})", url)
        assert match, url
        assert match[2] == content_hash((folder / match[1]).read_bytes())
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == IMMUTABLE
        response.close()
        for other in (f"/static/{match[1]}", f"/static/{match[1]}?v=0000000000000000"):
            response = client.get(other)
            assert response.status_code == 200 and response.headers["Cache-Control"] == SHORT, other
            response.close()
    # CSS and JavaScript are compressed too.
    css = client.get(urls[0], headers={"Accept-Encoding": "gzip"})
    assert css.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(css.data) == (folder / "app.css").read_bytes()
    css.close()


def open_files_under(folder: Path) -> list[str]:
    fds = Path("/proc/self/fd")
    paths = []
    for fd in fds.iterdir():
        try:
            paths.append(os.readlink(fd))
        except OSError:
            continue
    return [p for p in paths if p.startswith(str(folder.resolve()))]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_static_response_holds_no_open_file(app, client):
    """A client that goes away before reading the body (a service worker request cut off offline) must not leave
    the file open until garbage collection: static files are served from memory."""
    folder = Path(app.static_folder)
    url = static_urls(client.get("/").get_data(as_text=True))[0]
    unread = [client.get(url, buffered=False), client.get(url.split("?")[0], buffered=False,
                                                          headers={"Accept-Encoding": "br"})]
    assert all(r.status_code == 200 for r in unread)
    assert open_files_under(folder) == []
    conditional = client.get(url, headers={"If-None-Match": unread[0].headers["ETag"]})
    assert conditional.status_code == 304 and conditional.data == b""
    assert client.get("/static/missing.js").status_code == 404
    assert client.get("/static/../lms/__init__.py").status_code == 404
    for response in unread:
        response.close()


def test_a_changed_file_gets_a_new_url(tmp_path):
    (tmp_path / "app.css").write_text("body { color: black }")
    before = StaticHashes(tmp_path).version("app.css")
    watching = StaticHashes(tmp_path, reload=True)
    assert watching.version("app.css") == before
    (tmp_path / "app.css").write_text("body { color: navy }")
    after = StaticHashes(tmp_path).version("app.css")
    assert before and after and before != after
    assert content_hash(b"a") != content_hash(b"b")
    # In debug mode the change is seen without a restart.
    import os

    os.utime(tmp_path / "app.css", ns=(1, 2))
    assert watching.version("app.css") == after
    assert StaticHashes(tmp_path).version("../etc/passwd") is None
    assert StaticHashes(tmp_path).version("missing.css") is None


def test_cold_dashboard_weighs_at_most_60_kb(app, learning, during):
    learning.participant(GURU, cohort_id=learning.cohort(), kode_kabkota="7371")
    browser = log_in(app, GURU)
    page = browser.get("/sertifikasi/")
    assert page.status_code == 200
    urls = static_urls(page.get_data(as_text=True))
    assert any("app.css" in u for u in urls) and any(".js" in u for u in urls), urls
    sizes = {"/sertifikasi/": len(page.data)}
    for url in urls:
        response = browser.get(url)
        assert response.status_code == 200, url
        sizes[url] = len(response.data)
        response.close()
    assert sum(sizes.values()) <= DASHBOARD_BUDGET, sizes
