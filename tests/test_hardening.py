"""Hardening: debug only from --debug, whole bodies within the limit, a parse budget,
no shadowing from the working directory, page security headers, quiet Server headers."""

from __future__ import annotations

import json
import select
import socket
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from serving import ROOT, fetch, serving

import examples.hello_rest as hello_rest
from fastjson.ns import Namespace, request
from fastjson.server import create_app

HAS_GUNICORN = pytest.importorskip("gunicorn") is not None
CRASH = "/api/crash=crash_ns:create"


def crash_module(folder: Path) -> None:
    (folder / "crash_ns.py").write_text(
        textwrap.dedent(
            """
            from fastjson.ns import Namespace

            app = Namespace(__name__)

            @app.get("/boom")
            def boom():
                raise RuntimeError("secret detail")

            @app.get("/np")
            def np_version():
                import numpy
                return {"numpy": numpy.__version__, "file": numpy.__file__}

            def create():
                return app
            """
        )
    )


@pytest.mark.parametrize("workers", [[], ["--workers", "1"]], ids=["dev", "gunicorn"])
def test_environment_variables_do_not_turn_tracebacks_on(tmp_path: Path, workers: list[str]):
    crash_module(tmp_path)
    env = {"FLASK_DEBUG": "1", "FLASK_ENV": "development", "PYTHONPATH": str(ROOT)}
    args = ["--ns", CRASH, "--no-discover", *workers]
    with serving(*args, module="fastjson.server", env=env, cwd=tmp_path) as base:
        status, body = fetch(base + "/api/crash/boom")
    assert status == 500
    assert "traceback" not in body and "secret detail" not in json.dumps(body)


def test_only_debug_turns_tracebacks_on(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    crashing = Namespace("crashing")

    @crashing.get("/boom")
    def boom() -> Any:
        raise RuntimeError("detail")

    quiet = create_app({"/api/c": lambda: crashing}, discover_installed=False)
    from werkzeug.test import Client

    assert "traceback" not in json.loads(Client(quiet).get("/api/c/boom").data)
    loud = create_app({"/api/c": lambda: crashing}, discover_installed=False, debug=True)
    assert "traceback" in json.loads(Client(loud).get("/api/c/boom").data)


def test_the_working_directory_cannot_shadow_installed_packages(tmp_path: Path):
    crash_module(tmp_path)
    (tmp_path / "numpy.py").write_text("raise ImportError('the stray numpy.py was imported')\n")
    env = {"PYTHONPATH": str(ROOT)}
    with serving(
        "--ns", CRASH, "--no-discover", module="fastjson.server", env=env, cwd=tmp_path
    ) as base:
        status, body = fetch(base + "/api/crash/np")
    assert status == 200, body
    assert not body["file"].startswith(str(tmp_path))


def chunked_post(base: str, path: str, chunks: list[bytes]) -> tuple[int, bytes]:
    """POST a chunked body on a raw socket; (status, body) of the answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        sock.sendall(head.encode())
        sock.settimeout(2)  # a server that answered early stops reading: stop sending then
        try:
            for chunk in chunks:
                if select.select([sock], [], [], 0)[0]:
                    break  # an answer before the whole body: no point sending the rest
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            else:
                sock.sendall(b"0\r\n\r\n")
            # Werkzeug's development server drains the rest of a refused body with a
            # blocking read until the client closes its side (curl does the same).
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the server answered 413 and stopped reading before the body ended
        sock.settimeout(30)
        answer = b""
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            answer += data
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("workers", [[], ["--workers", "1"]], ids=["dev", "gunicorn"])
def test_chunked_bodies_over_the_limit_are_refused(workers: list[str]):
    path = "/api/hello_rest/data/summary"
    spaces = [b" " * (1 << 20)] * 17  # 17 MiB of whitespace: past the 16 MiB limit
    with serving(*workers) as base:
        status, _ = chunked_post(base, path, [b'{"values":[1]}', *spaces, b"garbage"])
        assert status == 413
        status, body = chunked_post(base, path, [b'{"values":', b"[1, 2]}"])
        assert status == 200 and b'"n":2' in body


def test_parse_budget_on_json_values():
    client = hello_rest.app.test_client()
    many = b"[" + b",".join([b"{}"] * 1_000_001) + b"]"
    response = client.post("/data/summary", data=many, content_type="application/json")
    assert response.status_code == 413
    assert "values" in json.loads(response.data)["message"]
    hello_rest.app.config["MAX_JSON_VALUES"] = 10
    try:
        body = {"values": list(range(11))}
        assert client.post("/data/summary", json=body).status_code == 413
        assert client.post("/data/summary", json={"values": [1, 2]}).status_code == 200
    finally:
        hello_rest.app.config.pop("MAX_JSON_VALUES")


def test_the_parse_budget_counts_values_not_commas_inside_strings():
    client = hello_rest.app.test_client()
    note = "," * (1 << 20)  # a 1 MiB string of commas: one value
    response = client.post("/data/summary", json={"values": [1, 2], "note": note})
    assert response.status_code == 200, response.data[:200]
    escaped = '\\",[{' * 300_000  # escaped backslashes and quotes stay inside the string
    response = client.post("/data/summary", json={"values": [1, 2], "note": escaped})
    assert response.status_code == 200, response.data[:200]
    nested = b"[" + b",".join([b"[[[[1]]]]"] * 250_000) + b"]"  # 1.25M values, 250k commas
    response = client.post("/data/summary", data=nested, content_type="application/json")
    assert response.status_code == 413


def _bound(value: Any) -> int:
    """What json_values_exceed counts: every value, and empty containers twice."""
    if isinstance(value, dict):
        return 1 + (not value) + sum(_bound(v) for v in value.values())
    if isinstance(value, list):
        return 1 + (not value) + sum(_bound(v) for v in value)
    return 1


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@settings(deadline=None)
@given(_json, st.sampled_from([{}, {"indent": 1}, {"separators": (",", ":")}]), st.booleans())
def test_values_are_counted_outside_strings(value: Any, layout: dict[str, Any], ascii_: bool):
    from fastjson._http import json_values_exceed

    text = json.dumps(value, ensure_ascii=ascii_, **layout)
    bound = _bound(value)
    for data in (text, text.encode("utf-8", "surrogatepass")):
        for limit in {1, bound - 1, bound, bound + 1}:
            if limit >= 1:
                assert json_values_exceed(data, limit) is (bound > limit), (text, limit)


def test_huge_numbers_in_a_body_answer_400():
    client = hello_rest.app.test_client()
    for value in ("1" + "0" * 400, "1e400", "-" + "9" * 320):
        body = '{"values": [' + value + "]}"
        response = client.post("/data/summary", data=body, content_type="application/json")
        assert response.status_code == 400, value
        assert json.loads(response.data)["status"] == 400


@pytest.mark.parametrize("url", ["/", "/static/index.html"])
def test_the_page_sends_security_headers(url: str):
    """The same headers at every URL that serves the page."""
    from werkzeug.test import Client

    static = Path(hello_rest.__file__).with_name("static")
    app = create_app({"/api/hello_rest": hello_rest.create}, static_folder=static)
    response = Client(app).get(url)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.get_data() == (static / "index.html").read_bytes()
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "'sha256-" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_every_page_in_the_static_folder_sends_security_headers(tmp_path: Path):
    from werkzeug.test import Client

    from fastjson.server import page_security_headers

    (tmp_path / "index.html").write_text("<p>home</p>")
    (tmp_path / "about.html").write_text("<script>alert(1)</script>")
    (tmp_path / "chart.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tmp_path / "data.txt").write_text("plain")
    client = Client(create_app(static_folder=tmp_path, discover_installed=False))
    for name in ("about.html", "chart.svg"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200
        for header, value in page_security_headers(tmp_path / name).items():
            assert response.headers[header] == value, (name, header)
    assert "Content-Security-Policy" not in client.get("/static/data.txt").headers
    assert client.get("/static/../index.html").status_code == 404


def test_the_production_server_does_not_advertise_versions():
    with (
        serving("--workers", "1") as base,
        urllib.request.urlopen(base + "/api/hello_rest/", timeout=10) as response,
    ):
        server = response.headers.get("Server", "")
    assert not any(ch.isdigit() for ch in server), server


def test_request_on_json_routes_reads_the_whole_chunked_body():
    app = Namespace(__name__)

    @app.post("/echo")
    def echo() -> Any:
        return {"n": len(request.get_json())}

    environ_overrides = {"wsgi.input_terminated": True}
    response = app.test_client().post(
        "/echo",
        data=b"[1,2,3]",
        content_type="application/json",
        environ_overrides=environ_overrides,
        headers={"Transfer-Encoding": "chunked"},
    )
    assert response.status_code == 200 and json.loads(response.data) == {"n": 3}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))


def test_memory_budget_answers_503_while_the_budget_is_spent():
    from fastjson.ns import memory_budget

    app = Namespace(__name__)
    app.config["MEMORY_BUDGET"] = 1000

    @app.get("/rows")
    @memory_budget(lambda: int(request.args["cost"]))
    def rows() -> Any:
        from fastjson.ns import json_response

        return json_response({"i": i} for i in range(100_000))  # streamed: held until closed

    @app.get("/whole")
    @memory_budget(lambda: 900)
    def whole() -> Any:
        return {"built": True}

    client = app.test_client()
    first = client.get("/rows?cost=800", buffered=False)
    assert first.status_code == 200
    busy = client.get("/rows?cost=300")
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "1"
    assert json.loads(busy.data)["status"] == 503
    beside = client.get("/rows?cost=100")  # fits beside the first
    assert beside.status_code == 200
    beside.close()
    first.close()
    for cost in (300, 5000):  # 5000: over the budget, but alone, so admitted
        response = client.get(f"/rows?cost={cost}")
        assert response.status_code == 200
        response.close()
    assert app.extensions["fastjson.budget"].in_use == 0
    for _ in range(3):  # a whole body gives its bytes back at once, closed or not
        assert client.get("/whole").status_code == 200
    assert app.extensions["fastjson.budget"].in_use == 0


def test_slow_clients_do_not_take_the_service_down():
    """50 connections trickling their headers, one byte a second, while a probe keeps
    asking for the small endpoint: no probe fails and p99 stays under 100 ms
    (make load runs the same for 60 s)."""
    import threading
    import time

    stop = threading.Event()

    def trickle(host: str, port: int) -> None:
        try:
            with socket.create_connection((host, port), timeout=5) as sock:
                for byte in b"GET /api/hello_rest/ HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 60:
                    if stop.is_set():
                        return
                    sock.sendall(bytes([byte]))
                    stop.wait(1)
        except OSError:
            pass  # the server may drop a very slow client: that is allowed

    with serving("--workers", "2") as base:
        host, port = base.removeprefix("http://").split(":")
        slow = [threading.Thread(target=trickle, args=(host, int(port))) for _ in range(50)]
        for thread in slow:
            thread.start()
        time.sleep(2)  # every slow connection is open and mid-headers
        latencies, failures = [], 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                status, _ = fetch(base + "/api/hello_rest/")
                failures += status != 200
            except OSError:
                failures += 1
            latencies.append(time.perf_counter() - start)
            time.sleep(0.05)
        stop.set()
        for thread in slow:
            thread.join(timeout=5)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    assert failures == 0
    assert p99 < 0.1, f"p99 {p99 * 1000:.0f} ms over {len(latencies)} probes"


@pytest.mark.parametrize("orient", ["records", "split", "columns", "index", "values"])
@pytest.mark.parametrize("backend", ["orjson", "json", "ujson"])
def test_cycles_through_frames_fail_fast(orient: str, backend: str):
    import time

    import pandas as pd

    import fastjson

    frame = pd.DataFrame({"a": [1]}, dtype=object)
    frame.iloc[0, 0] = frame
    series = pd.Series([1, 2], dtype=object)
    series.iloc[0] = series
    holder: dict[str, Any] = {}
    holder["f"] = pd.DataFrame({"x": [holder]})
    for value in (frame, series, holder, {"k": frame}, [series]):
        start = time.perf_counter()
        with pytest.raises(fastjson.CircularReferenceError) as info:
            fastjson.dumpb(value, orient=orient, backend=backend)  # type: ignore[arg-type]
        assert time.perf_counter() - start < 1
        assert isinstance(info.value, ValueError) and info.value.path.startswith("$")
