"""Streamed responses over real server processes (gunicorn and the development server).

What the in-process tests (test_streaming.py, test_responses.py) cannot show:
the bytes on the wire are chunked and strict JSON, the first byte leaves
early, a client that goes away mid-stream neither wedges nor bloats a worker,
and the source generator is closed when it does.

Servers are started with the production command (``fastjson-server --workers N
--ns /api/hello_rest=examples.hello_rest:create``) on a free loopback port. The
client is a raw socket with its own HTTP/1.1 chunked decoder, so the framing
itself is checked (a stream cut short lacks its final zero-length chunk).
Every loop is bounded in count and in time.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from serving import ROOT, free_port
from strictjson import strict_loads

HOST = "127.0.0.1"
NS = "/api/hello_rest=examples.hello_rest:create"
API = "/api/hello_rest"
FRAME = f"{API}/data/frame?rows=1000000"
ARRAY = f"{API}/data/array?n=10000000"
SENSORS = f"{API}/data/sensors?n=1000000"
NDJSON = "application/x-ndjson"
ROWS = 1_000_000
TIMEOUT_S = 20.0
MiB = 1 << 20

needs_gunicorn = pytest.mark.skipif(
    importlib.util.find_spec("gunicorn") is None, reason="gunicorn (a dev dependency) is missing"
)

# The demo service, with the sensors generator wrapped so that its end is written to
# FASTJSON_PROBE_LOG: "closed <made> <n>" when it was closed early (GeneratorExit),
# "exhausted <made> <n>" when it ran to its end. Test instrumentation only: the
# library and the demo run unchanged, under the same main() as fastjson-server.
PROBE = """
import os, sys
import examples.hello_rest as demo
from fastjson.server import main

original = demo._readings

def readings(n):
    made, how = 0, "exhausted"
    try:
        for reading in original(n):
            made += 1
            yield reading
    except GeneratorExit:
        how = "closed"
        raise
    finally:
        with open(os.environ["FASTJSON_PROBE_LOG"], "a") as log:
            log.write(f"{how} {made} {n}\\n")

demo._readings = readings
main(sys.argv[1:])
"""


# The demo service with a slow generator: a reading every 250 ms, and never reading k+1
# before the client has written the file "ack-k" in FASTJSON_ACK_DIR (it waits 15 s at
# most, then goes on): a reading that the server held back instead of sending would
# never be acknowledged, and the client would see it only after that wait.
LOCKSTEP = """
import os, sys, time
from pathlib import Path
import examples.hello_rest as demo
from fastjson.server import main

original = demo._readings
acks = Path(os.environ["FASTJSON_ACK_DIR"])

def readings(n):
    for k, reading in enumerate(original(n)):
        if k:
            deadline = time.monotonic() + 15
            while not (acks / f"ack-{k - 1}").exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.25)
        yield reading

demo._readings = readings
main(sys.argv[1:])
"""


# -- servers -------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    output: Path

    def workers(self) -> list[int]:
        """The gunicorn workers (children of the master); [] for the development server."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]


@contextlib.contextmanager
def server(
    folder: Path,
    *args: str,
    probe: bool = False,
    script: str | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """``fastjson-server --no-discover --ns NS --port N *args`` (or the probe, or another
    ``script`` that ends in the server's ``main``), stopped after."""
    port = free_port()
    output = folder / f"server-{port}.log"
    if probe or script is not None:
        command = [sys.executable, "-c", PROBE if script is None else script]
    else:
        command = [str(Path(sys.executable).with_name("fastjson-server"))]
    command += ["--no-discover", "--ns", NS, "--port", str(port), *args]
    with output.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{output.read_text()}")
            try:
                if get(port, "/healthz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"server did not answer /healthz in 30 s:\n{output.read_text()}"
                )
            time.sleep(0.1)
        yield Server(process, port, output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def gunicorn1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One worker: every request lands on the worker whose memory and CPU are read."""
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn (a dev dependency) is missing")
    with server(tmp_path_factory.mktemp("gunicorn1"), "--workers", "1") as s:
        yield s


@pytest.fixture(scope="module")
def gunicorn2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn (a dev dependency) is missing")
    with server(tmp_path_factory.mktemp("gunicorn2"), "--workers", "2") as s:
        yield s


@pytest.fixture(scope="module")
def devserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Werkzeug's threaded development server (fastjson-server without --workers)."""
    with server(tmp_path_factory.mktemp("devserver")) as s:
        yield s


@pytest.fixture(params=["gunicorn2", "devserver"])
def any_server(request: pytest.FixtureRequest) -> Server:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


# -- a raw HTTP/1.1 client -----------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes
    chunks: int  # HTTP chunks received; 0 when the body had a Content-Length
    first_byte_s: float
    total_s: float


def request_bytes(path: str, accept: str | None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}", "Accept-Encoding: identity"]
    if accept is not None:
        lines.append(f"Accept: {accept}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def get(port: int, path: str, *, accept: str | None = None, timeout: float = TIMEOUT_S) -> Reply:
    """One GET on a fresh keep-alive connection, the body read by its framing."""
    deadline = time.monotonic() + timeout
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        start = time.perf_counter()
        sock.sendall(request_bytes(path, accept))
        reader = sock.makefile("rb")
        status_line = reader.readline(65537)
        first_byte_s = time.perf_counter() - start
        if not status_line:
            raise ConnectionError("the server closed the connection without answering")
        status = int(status_line.split()[1])
        headers = read_headers(reader)
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body, chunks = read_chunked(reader, deadline)
        else:
            length = int(headers["content-length"])
            body, chunks = reader.read(length), 0
            assert len(body) == length, "body shorter than its Content-Length"
        return Reply(status, headers, body, chunks, first_byte_s, time.perf_counter() - start)


def read_headers(reader: Any) -> dict[str, str]:
    headers: dict[str, str] = {}
    for _ in range(200):
        line = reader.readline(65537).decode("latin-1")
        if line in ("\r\n", "\n", ""):
            return headers
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    raise AssertionError("more than 200 header lines")


def read_chunked(reader: Any, deadline: float) -> tuple[bytes, int]:
    """A chunked body; AssertionError when it ends without its zero-length last chunk."""
    parts: list[bytes] = []
    for count in range(1_000_000):
        if time.monotonic() > deadline:
            raise TimeoutError("chunked body not complete before the deadline")
        size_line = reader.readline(1024)
        assert size_line.endswith(b"\r\n"), f"stream cut short after {count} chunks"
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            read_headers(reader)  # trailers, up to the blank line
            return b"".join(parts), count
        data = reader.read(size)
        assert len(data) == size, f"chunk {count} cut short: {len(data)} of {size} bytes"
        assert reader.read(2) == b"\r\n", f"chunk {count} not followed by CRLF"
        parts.append(data)
    raise AssertionError("more than 1,000,000 chunks")


def read_then_close(port: int, path: str, nbytes: int, *, accept: str | None = None) -> int:
    """Start a GET, read about ``nbytes`` of the response, and close the socket mid-stream."""
    got = 0
    with socket.create_connection((HOST, port), timeout=TIMEOUT_S) as sock:
        sock.sendall(request_bytes(path, accept))
        deadline = time.monotonic() + TIMEOUT_S
        while got < nbytes and time.monotonic() < deadline:
            data = sock.recv(256 * 1024)
            if not data:
                break
            got += len(data)
    # Closed with unread data in the receive queue: Linux answers the server's next write
    # with a reset, as when a browser tab or a curl is interrupted.
    return got


# -- processes -----------------------------------------------------------------


def status_kb(pid: int, field: str) -> int:
    """``VmRSS``, ``VmHWM``... of /proc/<pid>/status, in kB."""
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    assert match is not None, f"no {field} in /proc/{pid}/status"
    return int(match.group(1))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pids: list[int], *, window: float = 0.5, timeout: float = 10.0) -> float:
    """Wait until the processes use (almost) no CPU over ``window``; the seconds it took.

    A worker still encoding a response a client abandoned would keep using CPU.
    """
    start = time.monotonic()
    before = sum(cpu_seconds(pid) for pid in pids)
    while time.monotonic() - start < timeout:
        time.sleep(window)
        now = sum(cpu_seconds(pid) for pid in pids)
        if now - before <= 0.05:
            return time.monotonic() - start
        before = now
    raise AssertionError(f"workers {pids} still busy {timeout:.0f} s after the last request")


# -- 1. chunked transfer, strict JSON --------------------------------------------


@pytest.fixture(scope="module")
def frame_in_process() -> bytes:
    """The same URL through the same app in this process (Werkzeug's test client)."""
    from werkzeug.test import Client

    from fastjson.server import create_app

    client = Client(
        create_app({"/api/hello_rest": "examples.hello_rest:create"}, discover_installed=False)
    )
    response = client.get(FRAME)
    assert response.status_code == 200
    return response.get_data()


def check_frame_body(body: bytes) -> None:
    rows = strict_loads(body)  # NaN/Infinity tokens are errors, as in browsers
    assert isinstance(rows, list) and len(rows) == ROWS
    assert rows[0]["when"] == "2024-01-01T00:00:00"
    assert rows[-1]["when"] == "2025-11-25T10:39:00"
    for i, row in enumerate(rows):
        assert list(row) == ["id", "when", "value", "label", "count"], row
        assert row["id"] == i
        assert row["label"] in ("low", "mid", "high")
        assert row["count"] is None or row["count"] in range(9)
        # value[::7] is NaN in the demo: written as null, never as a NaN token
        assert row["value"] is None if i % 7 == 0 else isinstance(row["value"], float), row


def test_big_frame_is_chunked_and_strict_json(any_server: Server, frame_in_process: bytes):
    reply = get(any_server.port, FRAME)
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in reply.headers
    assert reply.chunks > 10  # many chunks (1 MiB each by default), not one buffered body
    assert reply.body == frame_in_process  # the server adds, drops and reorders nothing
    check_frame_body(reply.body)


# -- 2. time to first byte ---------------------------------------------------------


def first_byte_and_total(port: int, path: str, attempts: int = 3) -> list[tuple[float, float]]:
    get(port, path)  # warm up: imports, allocator, page cache
    timings = []
    for _ in range(attempts):
        reply = get(port, path)
        assert reply.status == 200 and reply.chunks > 10
        timings.append((reply.first_byte_s, reply.total_s))
    return timings


@needs_gunicorn
def test_first_byte_of_a_streamed_frame_comes_early(
    gunicorn2: Server, record_property: Any, capsys: pytest.CaptureFixture[str]
):
    """Sanity bounds, not a benchmark. The demo view builds its 1,000,000-row frame
    before it returns (0.2 to 0.3 s on a 2-core VM, 40-55% of the total, a share that
    grows as encoding gets faster), so the first byte cannot come before that; the
    first chunk then costs about 10 ms. The same server with ``stream_threshold =
    None`` sent its first byte at 94-98% of the total (0.8-2.5 s): below 75% is
    streaming; the 25% bound is tested on the array, which takes no time to build."""
    timings = first_byte_and_total(gunicorn2.port, FRAME)
    first, total = min(timings, key=lambda t: t[0] / t[1])
    record_property("frame_first_byte_s", first)
    record_property("frame_total_s", total)
    with capsys.disabled():
        print(f"\n/data/frame?rows=1000000 first byte / total: {timings}")
    assert first < 1.0, timings
    assert first < 0.75 * total, timings


@needs_gunicorn
def test_first_byte_of_a_streamed_array_comes_early(
    gunicorn2: Server, record_property: Any, capsys: pytest.CaptureFixture[str]
):
    """The 25% bound, on the biggest payload whose view does little before it returns
    (10,000,000 floats: 190 MB of JSON)."""
    timings = first_byte_and_total(gunicorn2.port, ARRAY)
    first, total = min(timings, key=lambda t: t[0] / t[1])
    record_property("array_first_byte_s", first)
    record_property("array_total_s", total)
    with capsys.disabled():
        print(f"\n/data/array?n=10000000 first byte / total: {timings}")
    assert first < 1.0, timings
    assert first < 0.25 * total, timings


# -- 3. clients that disconnect mid-stream -------------------------------------------


@needs_gunicorn
def test_disconnects_mid_stream_leave_the_worker_healthy(
    gunicorn1: Server, capsys: pytest.CaptureFixture[str]
):
    port = gunicorn1.port
    workers = gunicorn1.workers()
    assert len(workers) == 1
    warm = get(port, FRAME)  # one complete request: the worker's steady state
    assert warm.status == 200
    wait_idle(workers)
    rss_warm = {pid: status_kb(pid, "VmRSS") for pid in workers}

    deadline = time.monotonic() + 20
    cut = []
    rss_half: dict[int, int] = {}
    for i in range(20):
        assert time.monotonic() < deadline, f"only {len(cut)} disconnects in 20 s"
        cut.append(read_then_close(port, FRAME, MiB))
        if i == 9:  # the allocator's arenas (one per server thread) are warm by now
            wait_idle(workers)
            rss_half = {pid: status_kb(pid, "VmRSS") for pid in workers}
    assert all(MiB <= n < len(warm.body) for n in cut), cut

    settle_s = wait_idle(workers)  # nothing goes on encoding for a client that is gone
    t0 = time.perf_counter()
    hello = get(port, f"{API}/", timeout=5)
    hello_s = time.perf_counter() - t0
    assert (hello.status, strict_loads(hello.body)) == (200, {"message": "Hello Rest"})
    assert hello_s < 2.0
    rss_after = {pid: status_kb(pid, "VmRSS") for pid in workers}
    hwm = {pid: status_kb(pid, "VmHWM") for pid in workers}
    with capsys.disabled():
        print(
            f"\nworker RSS after warm-up {rss_warm} kB, after 10 disconnects {rss_half} kB, "
            f"after 20 {rss_after} kB, "
            f"peak {hwm} kB; idle {settle_s:.1f} s after; hello in {hello_s * 1e3:.0f} ms"
        )
    assert gunicorn1.workers() == workers  # no worker was killed (timeout) or replaced
    for pid in workers:
        assert rss_after[pid] <= rss_warm[pid] + 100 * 1024, (rss_warm, rss_after)
        # No growth per disconnect: a leaked frame or body would be 40-90 MB each.
        assert rss_after[pid] <= rss_half[pid] + 30 * 1024, (rss_half, rss_after)

    # The worker still streams a whole frame: what the abandoned responses held (their
    # memory_budget share too, given back on close) was released, or this would be a 503.
    again = get(port, FRAME)
    assert again.status == 200 and again.body == warm.body


# -- 4. closing the response closes the source generator -----------------------------


def probe_line(log: Path, number: int, timeout: float = 10.0) -> str:
    """Line ``number`` (from 1) of the probe's log, once it is written whole."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log.read_text().split("\n") if log.exists() else []
        if len(lines) > number:  # the line and its newline are there
            return lines[number - 1]
        time.sleep(0.05)
    raise AssertionError(f"the generator did not end within {timeout:.0f} s (line {number})")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--workers", "1"], marks=needs_gunicorn, id="gunicorn"),
        pytest.param([], id="devserver"),
    ],
)
def test_a_disconnect_closes_the_generator(tmp_path: Path, args: list[str]):
    """Observed from the generator itself: the probe server wraps the demo's generator
    and logs how it ended. The library and the demo run unchanged."""
    log = tmp_path / "generator.log"
    with server(tmp_path, *args, probe=True, env={"FASTJSON_PROBE_LOG": str(log)}) as s:
        got = read_then_close(s.port, SENSORS, MiB, accept=NDJSON)
        assert got >= MiB
        how, made, n = probe_line(log, 1).split()
        assert (how, n) == ("closed", "1000000")
        assert int(made) < ROWS // 2  # stopped early: the socket buffers hold a few MB at most

        small = get(s.port, f"{API}/data/sensors?n=1000", accept=NDJSON, timeout=5)
        assert small.status == 200 and small.body.count(b"\n") == 1000
        assert probe_line(log, 2) == "exhausted 1000 1000"


@needs_gunicorn
def test_a_disconnect_stops_the_work_of_the_production_server(gunicorn1: Server):
    """The unmodified production server, observed from outside: the worker's CPU time.
    A whole 1,000,000-reading response costs seconds of CPU; one abandoned after 1 MiB
    must cost a small part of that and then nothing more."""
    port = gunicorn1.port
    (worker,) = gunicorn1.workers()
    wait_idle([worker])
    before = cpu_seconds(worker)
    whole = get(port, SENSORS, accept=NDJSON)
    assert whole.status == 200 and whole.body.count(b"\n") == ROWS
    wait_idle([worker])
    full_cpu = cpu_seconds(worker) - before

    before = cpu_seconds(worker)
    assert read_then_close(port, SENSORS, MiB, accept=NDJSON) >= MiB
    wait_idle([worker])
    cut_cpu = cpu_seconds(worker) - before
    assert cut_cpu < full_cpu / 3, (cut_cpu, full_cpu)
    assert get(port, f"{API}/", timeout=5).status == 200


def test_closing_the_response_runs_the_generators_finally(monkeypatch: pytest.MonkeyPatch):
    """In process, through the whole server app (DispatcherMiddleware, Namespace)."""
    from werkzeug.test import Client

    import examples.hello_rest as demo
    from fastjson.server import create_app

    ended: list[tuple[str, int]] = []
    original = demo._readings

    def readings(n: int) -> Iterator[dict[str, Any]]:
        made = 0
        try:
            for reading in original(n):
                made += 1
                yield reading
        finally:
            ended.append(("finally", made))

    monkeypatch.setattr(demo, "_readings", readings)
    client = Client(create_app({"/api/hello_rest": demo.create}, discover_installed=False))
    response = client.get(SENSORS, headers={"Accept": NDJSON}, buffered=False)
    assert response.status_code == 200 and response.is_streamed
    first = next(iter(response.response))
    assert first.startswith(b'{"i":0,')
    assert ended == []  # lazily read: the generator is open mid-stream
    response.close()
    assert len(ended) == 1 and ended[0][1] < ROWS


# -- 5. NDJSON over a real server ------------------------------------------------


def check_ndjson(reply: Reply, count: int) -> list[Any]:
    assert reply.status == 200
    assert reply.headers["content-type"] == NDJSON
    assert reply.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in reply.headers
    assert reply.body.endswith(b"\n")
    lines = reply.body[:-1].split(b"\n")
    assert len(lines) == count
    return [strict_loads(line) for line in lines]


def test_ndjson_sensors_line_by_line(any_server: Server):
    values = check_ndjson(get(any_server.port, SENSORS, accept=NDJSON), ROWS)
    assert values[0] == {"i": 0, "at": "2024-01-01T00:00:00", "sensor": "s0", "celsius": 20.0}
    assert values[-1]["at"] == "2024-01-12T13:46:39"
    assert all(v["i"] == i and v["sensor"] == f"s{i % 4}" for i, v in enumerate(values))


@needs_gunicorn
def test_ndjson_frame_one_record_per_line(gunicorn2: Server):
    values = check_ndjson(get(gunicorn2.port, FRAME, accept=NDJSON), ROWS)
    assert all(isinstance(v, dict) and v["id"] == i for i, v in enumerate(values))
    assert values[0]["value"] is None and values[7]["value"] is None


def test_strict_parse_constant_rejects_nan():
    """The strict parser the tests above rely on rejects what plain json.loads takes."""
    assert math.isnan(json.loads("[NaN]")[0])
    for token in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(ValueError):
            strict_loads(f"[{token}]")


# -- 6. a slow generator's readings leave one by one ----------------------------------


def read_in_lockstep(port: int, path: str, accept: str, acks: Path, readings: int) -> bytes:
    """GET ``path`` and acknowledge each reading as soon as it is on the wire (the file
    ``ack-k``); AssertionError when one is not there within 8 s, that is, when it was
    held back for the next (which the generator makes only after the acknowledgement)."""
    with socket.create_connection((HOST, port), timeout=TIMEOUT_S) as sock:
        sock.sendall(request_bytes(path, accept))
        reader = sock.makefile("rb")
        assert int(reader.readline(65537).split()[1]) == 200
        headers = read_headers(reader)
        assert headers.get("transfer-encoding", "").lower() == "chunked"
        body = b""
        for k in range(readings):
            deadline = time.monotonic() + 8
            while f'"i":{k},'.encode() not in body:
                assert time.monotonic() < deadline, f"reading {k} held back: {body[-200:]!r}"
                size = int(reader.readline(1024).split(b";")[0], 16)
                assert size, f"stream ended before reading {k}"
                body += reader.read(size)
                assert reader.read(2) == b"\r\n"
            (acks / f"ack-{k}").touch()
        rest, _ = read_chunked(reader, time.monotonic() + TIMEOUT_S)
        return body + rest


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--workers", "1"], marks=needs_gunicorn, id="gunicorn"),
        pytest.param([], id="devserver"),
    ],
)
def test_a_slow_generator_sends_each_reading_as_it_is_made(tmp_path: Path, args: list[str]):
    """JSON and NDJSON: every reading of a generator that waits between readings reaches
    the client before the next is made (the flush rule of fastjson._pacing.Pacer),
    through the server's whole stack, with no timing threshold in the test."""
    n = 5
    acks = tmp_path / "acks"
    acks.mkdir()
    with server(tmp_path, *args, script=LOCKSTEP, env={"FASTJSON_ACK_DIR": str(acks)}) as s:
        for accept in ("application/json", NDJSON):
            for old in acks.iterdir():
                old.unlink()
            body = read_in_lockstep(s.port, f"{API}/data/sensors?n={n}", accept, acks, n)
            if accept == NDJSON:
                values = [strict_loads(line) for line in body.splitlines()]
            else:
                values = strict_loads(body)
            assert [v["i"] for v in values] == list(range(n))
