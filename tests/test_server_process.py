"""The real service over HTTP: the development server and gunicorn, as separate processes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from serving import ROOT, fetch, serving


def check_service(base: str) -> None:
    assert fetch(base + "/api/hello_rest/") == (200, {"message": "Hello Rest"})
    assert fetch(base + "/api/hello_rest/greet/tom?lang=de") == (200, {"message": "Hallo tom"})
    status, body = fetch(base + "/api/hello_rest/greet/tom?lang=fr")
    assert (status, body["message"]) == (400, "invalid language: fr")
    status, body = fetch(base + "/api/hello_rest/data/array?n=100000")
    assert status == 200 and len(body["values"]) == 100000
    status, rows = fetch(base + "/api/hello_rest/db/readings?sensor=s02&limit=5&columns=id")
    assert status == 200 and rows == [{"id": 2 + 100 * i} for i in range(5)]
    assert fetch(base + "/api/hello_rest/dask/readings?sensor=s02&limit=5&columns=id") == (
        200,
        rows,
    )


def test_development_server():
    with serving() as base:
        check_service(base)


def test_development_server_sends_no_versions():
    """``Server`` names no version, on the app's answers and on the errors the server
    answers itself (431 for more headers than it reads)."""
    import socket
    import urllib.request

    with serving() as base:
        with urllib.request.urlopen(base + "/api/hello_rest/", timeout=10) as response:
            servers = [response.headers["Server"]]
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n")
            answer = b""
            while data := sock.recv(65536):
                answer += data
        assert answer.startswith(b"HTTP/1.") and b" 431 " in answer.split(b"\r\n")[0]
        head = answer.partition(b"\r\n\r\n")[0].decode().split("\r\n")[1:]
        servers += [line.partition(": ")[2] for line in head if line.lower().startswith("server:")]
    assert len(servers) == 2
    assert all(server and not any(ch.isdigit() for ch in server) for server in servers), servers


def test_gunicorn_workers():
    with serving("--workers", "2") as base:
        check_service(base)
        assert fetch(base + "/healthz") == (
            200,
            {"status": "ok", "namespaces": ["/api/hello_rest"]},
        )


def test_fastjson_server_module_with_ns_flag():
    with serving(
        "--ns", "/api/hello_rest=examples.hello_rest:create", module="fastjson.server"
    ) as base:
        check_service(base)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ns", "/hello=examples.hello_rest:create"], "must be under /api/"),
        (
            [
                "--ns",
                "/api/a=examples.hello_rest:create",
                "--ns",
                "/api/a/=examples.hello_rest:create",
            ],
            "declared twice",
        ),
        (["--ns", "/api/a=examples.missing:create"], "cannot load"),
        (["--ns", "/api/a b=examples.hello_rest:create"], "URL-safe ids"),
        (["--ns", "/api/a"], "PREFIX=module:factory"),
    ],
)
def test_start_up_errors_are_clear(args: list[str], message: str):
    result = subprocess.run(
        [sys.executable, "-m", "fastjson.server", "--port", "1", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_console_script_is_installed():
    """``fastjson-server`` (the console script) is the same command line."""
    from pathlib import Path

    script = Path(sys.executable).with_name("fastjson-server")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "--workers" in result.stdout and "--ns" in result.stdout
