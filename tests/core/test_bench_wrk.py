"""The load benchmark's plumbing: the wrk script and command, its result line, and the /proc CPU reader."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response as WsgiResponse

from bench.wrk import (
    WRK,
    Answer,
    Request,
    cpu_seconds,
    lua_script,
    lua_string,
    parse_wrk,
    stat_cpu_ticks,
    stat_ppid,
    tree_pids,
    wrk_command,
)

#: A /proc/<pid>/stat line whose command name holds a space and a parenthesis.
STAT = ("4242 (gunicorn: (worker) x) S 4200 4242 4242 0 -1 4194560 2000 0 0 0 "
        "150 30 7 3 20 0 1 0 100 1000000 500 18446744073709551615")


def test_lua_strings_escape_quotes_backslashes_and_bytes():
    assert lua_string('a"b\\c') == '"a\\"b\\\\c"'
    assert lua_string("é\n") == '"\\195\\169\\010"'


def test_script_rotates_every_request_and_counts_non_2xx():
    script = lua_script([Request("GET", "/a", {"Authorization": "Bearer t1"}),
                         Request("PUT", "/b", {"Content-Type": "application/json"}, '{"x":"y"}')])
    assert '{"GET", "/a", {["Authorization"] = "Bearer t1"}, nil},' in script
    assert '{"PUT", "/b", {["Content-Type"] = "application/json"}, "{\\"x\\":\\"y\\"}"},' in script
    assert '{"ok", nil, nil},' in script and "SHARES = false" in script and "RESULT requests=%d" in script
    shared = lua_script([Request("GET", "/a")], answers=(Answer("created", 201), Answer("full", 409, '"seat_full"')),
                        shares=True)
    assert '{"created", 201, nil},\n  {"full", 409, "\\"seat_full\\""},' in shared and "SHARES = true" in shared
    with pytest.raises(ValueError):
        lua_script([])
    with pytest.raises(ValueError):
        lua_script([Request("GET", "/a")], answers=(Answer("not a name"),))


def test_command_line():
    assert wrk_command("http://127.0.0.1:1", "s.lua", connections=16, duration=10) == [
        WRK, "-t2", "-c16", "-d10s", "--timeout=10s", "--latency", "-s", "s.lua", "http://127.0.0.1:1", "--", "2"]
    with pytest.raises(ValueError):
        wrk_command("http://x", "s.lua", threads=4, connections=2)


def test_result_line():
    result = parse_wrk("Running 10s test\nRESULT requests=2000 duration_us=10000000 p50_us=7500 p99_us=41000 "
                       "unexpected=3 connect=0 read=1 write=0 timeout=2 wrapped=4\nANSWERS ok=1997\n"
                       "FIRST_ERROR 409 {\"code\": \"x\"}\n")
    assert (result.requests, result.rps, result.p50_ms, result.p99_ms) == (2000, 200.0, 7.5, 41.0)
    assert (result.unexpected, result.socket_errors, result.first_error) == (3, 3, '409 {"code": "x"}')
    assert (result.answers, result.wrapped) == ({"ok": 1997}, 4)
    with pytest.raises(ValueError):
        parse_wrk("wrk crashed")


def test_proc_stat_cpu_and_parent():
    assert stat_ppid(STAT) == 4200
    assert stat_cpu_ticks(STAT) == 150 + 30 + 7 + 3
    assert stat_cpu_ticks(STAT, children=False) == 180


def test_cpu_of_a_real_process_tree():
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert child.pid in tree_pids(os.getpid())
        before = cpu_seconds([os.getpid()])
        sum(i * i for i in range(3_000_000))  # burn some CPU in this process
        assert cpu_seconds([os.getpid()]) > before
        assert cpu_seconds([2**22 + 7]) == 0  # a process that is not there
    finally:
        child.kill()
        child.wait()


@pytest.mark.skipif(not Path(WRK).exists() or not shutil.which(WRK), reason="wrk is not installed")
def test_wrk_runs_the_script_and_reports_refusals(tmp_path):
    seen = []

    @WsgiRequest.application
    def app(request):
        seen.append((request.method, request.path, request.headers.get("Authorization"), request.get_data()))
        if request.path == "/bad":
            return WsgiResponse("nope: not here", status=404)
        return WsgiResponse("ok")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        script = tmp_path / "s.lua"
        script.write_text(lua_script([Request("POST", "/good", {"Authorization": "Bearer a"}, "body"),
                                      Request("GET", "/bad", {"Authorization": "Bearer b"})]))
        done = subprocess.run(wrk_command(f"http://127.0.0.1:{server.port}", script, threads=1, connections=1,
                                          duration=1), capture_output=True, text=True, timeout=30)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    result = parse_wrk(done.stdout)
    assert result.requests > 2 and 0 < result.unexpected < result.requests
    assert result.answers["ok"] + result.unexpected == result.requests
    assert result.first_error == "404 nope: not here"
    assert ("POST", "/good", "Bearer a", b"body") in seen and ("GET", "/bad", "Bearer b", b"") in seen


@pytest.mark.skipif(not Path(WRK).exists() or not shutil.which(WRK), reason="wrk is not installed")
def test_wrk_threads_send_their_own_shares_and_count_answers_by_kind(tmp_path):
    seen: dict[int, set[str]] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: one connection per wrk thread, so a client port is a thread

        def do_POST(self):  # noqa: N802 - the name http.server calls
            seen.setdefault(self.client_address[1], set()).add(self.path)
            status, body = ((409, b'{"code": "seat_full"}') if self.path.startswith("/full") else
                            (409, b'{"code": "other"}') if self.path.startswith("/odd") else (201, b"made"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        script = tmp_path / "s.lua"
        requests = [Request("POST", "/made/1"), Request("POST", "/full/2"), Request("POST", "/made/3"),
                    Request("POST", "/odd/4"), Request("POST", "/made/5")]
        script.write_text(lua_script(requests, answers=(Answer("created", 201), Answer("full", 409, '"seat_full"')),
                                     shares=True))
        done = subprocess.run(wrk_command(f"http://127.0.0.1:{server.port}", script, threads=2, connections=2,
                                          duration=1), capture_output=True, text=True, timeout=30)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    result = parse_wrk(done.stdout)
    assert result.answers["created"] > 0 and result.answers["full"] > 0 and result.unexpected > 0, done.stdout
    assert result.answers["created"] + result.answers["full"] + result.unexpected == result.requests
    assert result.wrapped > 0 and result.first_error == '409 {"code": "other"}'
    # Thread 1 sends requests 1, 3 and 5, thread 2 requests 2 and 4; each in turn, so thread 2 alternates.
    assert sorted(seen.values(), key=len) == [{"/full/2", "/odd/4"}, {"/made/1", "/made/3", "/made/5"}], seen
    assert abs(result.answers["full"] - result.unexpected) <= 2
