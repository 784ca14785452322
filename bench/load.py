"""Load test: the hello_rest service under gunicorn, beside the same endpoints on Flask.

    python bench/load.py            # or: make load

Starts both services on 127.0.0.1 (free ports), drives a small and a large
endpoint with a bounded number of requests (wrk when installed, else a
Python client), and reports requests/s, p50/p99 latency, errors (must be 0)
and the workers' RSS after a warm-up and again after 100,000 small requests
(must stay flat). The results replace the "Load" section of bench/README.md.
Loopback only; every run is bounded in count and in time.

A second phase, the big-payload phase, sends 8 concurrent requests for each of
the largest demo payloads (a 1,000,000-row frame, 10,000,000 floats) to 2
gunicorn workers, samples every worker's VmRSS while they run (and reads VmHWM,
the kernel's exact peak, reset before each round), and reports the per-worker
peak and every status code; once with streaming on (the default) and once,
for comparison, with ``stream_threshold = None`` (bodies built whole)::

    python bench/load.py --phase big     # only this phase (about 1-2 minutes)
    python bench/load.py --phase soak    # only the first one

Three more phases, each against ``fastjson-server --workers 2`` and each about 2
minutes, fill their own parts of the Load section:

- ``--phase slow``: 50 connections trickle request headers at 1 byte/s for 60 s
  (reopened when the server drops them) while a probe asks for ``/api/hello_rest/``
  every ~50 ms on new connections (target: no failure, p99 < 100 ms); then the same
  with the gthread worker, for comparison.
- ``--phase memory``: 16 concurrent requests for the 1,000,000-row frame of each
  orient; the whole server's RSS (master and workers) sampled every 20 ms (targets:
  only 200 or 503, total RSS < 1.5 GB, no worker replaced).
- ``--phase fault``: 8 keep-alive connections in a loop, one worker killed with
  SIGKILL after 10 s, 30 s more; errors, the time until the replacement worker serves,
  and which worker serves each connection (read from /proc: no header names it); as
  fast as the client goes, paced, and with ``max_requests`` off for comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import math
import os
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "bench" / "README.md"
START, END = "<!-- load:start -->", "<!-- load:end -->"
WORKERS = 2
SMALL = "/api/hello_rest/greet/tom?lang=de"
LARGE = "/api/hello_rest/data/array?n=100000"
SOAK_REQUESTS = int(os.environ.get("FASTJSON_LOAD_REQUESTS", "100000"))
LARGE_REQUESTS = max(SOAK_REQUESTS // 100, 100)
TIME_LIMIT_S = 120
BIG_START, BIG_END = "<!-- load-big:start -->", "<!-- load-big:end -->"
BIG = {
    "frame": "/api/hello_rest/data/frame?rows=1000000",
    "array": "/api/hello_rest/data/array?n=10000000",
}
BIG_CONCURRENCY = 8
BIG_ROUNDS = int(os.environ.get("FASTJSON_LOAD_BIG_ROUNDS", "3"))
BIG_TIME_LIMIT_S = 90  # per round; a request still running then counts as an error
SAMPLE_EVERY_S = 0.02
# The same server with streaming switched off (bodies built whole), for comparison only.
UNSTREAMED = (
    "import sys; from fastjson.flask import FastJSONProvider; "
    "FastJSONProvider.stream_threshold = None; "
    "from fastjson.server import main; main(sys.argv[1:])"
)


@dataclass
class Result:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(args: list[str], port: int, output: Any = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """Start a service; return once it answers ``/healthz``. Its output goes to ``output``."""
    process = subprocess.Popen(args, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    last: object = None
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            if response.status == 200:
                return process
            last = (response.status, response.getheader("Server"), response.read()[:200])
        except (OSError, http.client.HTTPException) as exc:
            last = exc
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"service on port {port} did not answer /healthz: {last!r}")


def workers_rss_mb(master: int) -> float:
    """Total resident memory of the gunicorn workers (children of the master)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total_kb = 0
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        total_kb += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    return total_kb / 1024


def worker_pids(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def status_mb(pid: int, name: str) -> float:
    """``VmRSS``, ``VmHWM``... of a process, in MB (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return int(re.search(rf"{name}:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def python_client(port: int, path: str, requests: int, threads: int = 4) -> Result:
    """Keep-alive connections on a few threads; exactly ``requests`` requests, time-capped."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_thread = requests // threads
    deadline = time.monotonic() + TIME_LIMIT_S

    def run() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], 0
        for _ in range(per_thread):
            if time.monotonic() > deadline:
                break
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                bad += response.status != 200
            except OSError:
                bad += 1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)
            errors += bad

    started = time.perf_counter()
    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    seconds = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return Result(len(latencies), seconds, errors, cuts[49] * 1e3, cuts[98] * 1e3)


def wrk_client(port: int, path: str, requests: int) -> Result:
    """wrk until at least ``requests`` requests are done, or TIME_LIMIT_S has passed.

    wrk runs for a duration, not a count, so it runs in rounds: a short
    first one measures wrk's rate, and each later one is sized from it.
    Rate and errors cover all rounds; the latency percentiles are those of
    the longest round.
    """
    rounds: list[Result] = []
    deadline = time.monotonic() + TIME_LIMIT_S
    while (done := sum(r.requests for r in rounds)) < requests:
        left = deadline - time.monotonic()
        if left < 1:
            break
        wanted = math.ceil((requests - done) / max(rounds[-1].rate, 1)) if rounds else 5
        rounds.append(_wrk(port, path, max(2, min(round(left), wanted))))
    longest = max(rounds, key=lambda r: r.seconds)
    return Result(
        sum(r.requests for r in rounds),
        sum(r.seconds for r in rounds),
        sum(r.errors for r in rounds),
        longest.p50_ms,
        longest.p99_ms,
    )


def _wrk(port: int, path: str, seconds: int) -> Result:
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    elapsed = _wrk_ms(re.search(r"requests in ([\d.]+\w+),", out).group(1)) / 1e3  # type: ignore[union-attr]
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    bad += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    p50 = _wrk_ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    p99 = _wrk_ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    return Result(total, elapsed, bad, p50, p99)


def _wrk_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--phase",
        choices=("all", "soak", "big", "slow", "memory", "fault"),
        default="all",
        help="soak: small and 2 MB endpoints; big: 8 concurrent 100-200 MB responses; "
        "slow: 50 slow-header clients beside a probe; memory: 16 concurrent 1M-row frames "
        "of each orient; fault: a worker killed under keep-alive load",
    )
    phase = parser.parse_args().phase
    if phase in ("all", "soak"):
        soak_phase()
    if phase in ("all", "big"):
        big_phase()
    if phase in ("all", "slow"):
        slow_phase()
    if phase in ("all", "memory"):
        memory_phase()
    if phase in ("all", "fault"):
        fault_phase()


def soak_phase() -> None:
    client = wrk_client if shutil.which("wrk") else python_client
    server = [sys.executable, "-m", "fastjson.server", "--no-discover", "--workers", str(WORKERS)]
    services = {
        "fastjson (hello_rest)": "examples.hello_rest:create",
        "Flask jsonify": "bench.flask_baseline:create",
    }
    rows = []
    for name, factory in services.items():
        port = free_port()
        process = start([*server, "--ns", f"/api/hello_rest={factory}", "--port", str(port)], port)
        try:
            python_client(port, SMALL, 400)  # warm up: lazy imports, caches, both workers
            python_client(port, LARGE, 40)
            before = workers_rss_mb(process.pid)
            small = client(port, SMALL, SOAK_REQUESTS)
            after = workers_rss_mb(process.pid)
            large = client(port, LARGE, LARGE_REQUESTS)
        finally:
            process.terminate()
            process.wait(timeout=30)
        rows.append((name, small, large, before, after))
        print(
            f"{name}: small {small.rate:,.0f} req/s, large {large.rate:,.1f} req/s, "
            f"RSS {before:.0f} -> {after:.0f} MB",
            flush=True,
        )
    report(rows, client.__name__)


def report(rows: list[tuple[str, Result, Result, float, float]], client: str) -> None:
    driver = "wrk, 2 threads, 8 connections" if client == "wrk_client" else "Python, 4 threads"
    lines = [
        START,
        "",
        f"Client: {driver} (keep-alive); {WORKERS} gunicorn workers per service; "
        f"{os.cpu_count()} cores shared by client and servers.",
        "",
        "| service | endpoint | requests | req/s | p50 | p99 | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, small, large, _, _ in rows:
        for label, r in (
            ("small `" + SMALL + "`", small),
            ("large `" + LARGE + "` (2 MB)", large),
        ):
            lines.append(
                f"| {name} | {label} | {r.requests:,} | {r.rate:,.0f} | {r.p50_ms:.2f} ms "
                f"| {r.p99_ms:.2f} ms | {r.errors} |"
            )
    lines += [
        "",
        "| service | workers' RSS before | after the small run | change |",
        "|---|---:|---:|---:|",
    ]
    for name, small, _, before, after in rows:
        lines.append(
            f"| {name} | {before:.1f} MB | {after:.1f} MB ({small.requests:,} requests) "
            f"| {after - before:+.1f} MB |"
        )
    lines += ["", END]
    text = README.read_text()
    README.write_text(
        text[: text.index(START)] + "\n".join(lines) + text[text.index(END) + len(END) :]
    )
    print(f"updated {README.relative_to(ROOT)}")


# -- big payloads, 8 at once --------------------------------------------------------


@dataclass
class Fetch:
    status: int | str  # the HTTP status, or the error's name
    framing: str  # "chunked", "length" or "-"
    size: int
    seconds: float
    retry_after: str | None = None  # the Retry-After header of the answer, if any


@dataclass
class Round:
    label: str
    fetches: list[Fetch]
    seconds: float
    idle_mb: dict[int, float]  # VmRSS per worker before the round
    peak_mb: dict[int, float] = field(default_factory=dict)  # sampled VmRSS
    hwm_mb: dict[int, float] = field(default_factory=dict)  # VmHWM (reset before)
    samples: int = 0


def fetch_whole(port: int, path: str, deadline: float) -> Fetch:
    """GET ``path`` and read the body to its end in 1 MiB reads, discarding it."""
    started = time.perf_counter()
    size = 0
    framing = "-"
    retry_after = None
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", path, headers={"Accept-Encoding": "identity"})
        response = conn.getresponse()
        framing = "chunked" if response.chunked else "length"
        retry_after = response.getheader("Retry-After")
        while chunk := response.read(1 << 20):
            size += len(chunk)
            if time.monotonic() > deadline:
                raise TimeoutError("round time limit")
        conn.close()
        status: int | str = response.status
    except (OSError, http.client.HTTPException) as exc:
        status = type(exc).__name__
    return Fetch(status, framing, size, time.perf_counter() - started, retry_after)


def big_round(port: int, workers: list[int], label: str, path: str) -> Round:
    """``BIG_CONCURRENCY`` requests for ``path`` at once, every worker's RSS sampled."""
    for pid in workers:  # VmHWM from here on is this round's peak (Linux >= 4.0)
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    result = Round(label, [], 0.0, {pid: status_mb(pid, "VmRSS") for pid in workers})
    result.peak_mb = dict(result.idle_mb)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in workers:
                result.peak_mb[pid] = max(result.peak_mb[pid], status_mb(pid, "VmRSS"))
            result.samples += 1
            done.wait(SAMPLE_EVERY_S)

    deadline = time.monotonic() + BIG_TIME_LIMIT_S
    lock = threading.Lock()

    def one() -> None:
        got = fetch_whole(port, path, deadline)
        with lock:
            result.fetches.append(got)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    pool = [threading.Thread(target=one) for _ in range(BIG_CONCURRENCY)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=max(1.0, deadline - time.monotonic() + 5))
    result.seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    result.hwm_mb = {pid: status_mb(pid, "VmHWM") for pid in workers}
    return result


def big_phase() -> list[tuple[str, list[Round]]]:
    """Both servers (streaming on, then off), BIG_ROUNDS rounds of each payload."""
    configs = {
        "streaming on (default)": [sys.executable, "-m", "fastjson.server"],
        "streaming off, for comparison": [sys.executable, "-c", UNSTREAMED],
    }
    results = []
    for name, command in configs.items():
        port = free_port()
        args = ["--no-discover", "--workers", str(WORKERS), "--port", str(port)]
        args += ["--ns", "/api/hello_rest=examples.hello_rest:create"]
        process = start([*command, *args], port)
        rounds = []
        try:
            workers = worker_pids(process.pid)
            deadline = time.monotonic() + TIME_LIMIT_S
            for path in BIG.values():  # warm up: two of each at once, to reach both workers
                pair = [
                    threading.Thread(target=fetch_whole, args=(port, path, deadline))
                    for _ in range(2)
                ]
                for t in pair:
                    t.start()
                for t in pair:
                    t.join(timeout=TIME_LIMIT_S)
            for label, path in BIG.items():
                for _ in range(BIG_ROUNDS):
                    r = big_round(port, workers, label, path)
                    rounds.append(r)
                    print(f"{name}: {describe(r)}", flush=True)
            if worker_pids(process.pid) != workers:
                print(f"{name}: WARNING: workers were replaced during the run", flush=True)
        finally:
            process.terminate()
            process.wait(timeout=30)
        results.append((name, rounds))
    big_report(results)
    return results


def statuses(r: Round) -> str:
    counts: dict[str, int] = {}
    for f in r.fetches:
        key = f"{f.status}" + (f" {f.framing}" if f.status == 200 else "")
        counts[key] = counts.get(key, 0) + 1
    missing = BIG_CONCURRENCY - len(r.fetches)
    if missing:
        counts["unfinished"] = missing
    return ", ".join(f"{n}x {k}" for k, n in sorted(counts.items()))


def describe(r: Round) -> str:
    per_worker = "; ".join(
        f"pid {pid}: {r.idle_mb[pid]:.0f} -> peak {r.peak_mb[pid]:.0f} MB "
        f"(VmHWM {r.hwm_mb[pid]:.0f})"
        for pid in r.idle_mb
    )
    sizes = sorted({f.size for f in r.fetches})
    return (
        f"{r.label} x{BIG_CONCURRENCY} in {r.seconds:.1f} s [{statuses(r)}], "
        f"body {', '.join(f'{s / 1e6:.0f} MB' for s in sizes)}; {per_worker}; "
        f"{r.samples} samples"
    )


def big_report(results: list[tuple[str, list[Round]]]) -> None:
    lines = [
        BIG_START,
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on a "
        f"{os.cpu_count()}-core VM ({_cpu_name()}), Python {sys.version.split()[0]}; "
        f"{WORKERS} gunicorn workers ({installed_worker_class()}); {BIG_CONCURRENCY} concurrent "
        f"requests per round, {BIG_ROUNDS} rounds per payload; VmRSS sampled every "
        f"{SAMPLE_EVERY_S * 1e3:.0f} ms, VmHWM reset before each round.",
        "",
        "| server | payload | body | round time (worst) | statuses (all rounds) "
        "| idle RSS per worker | peak RSS per worker (worst round) "
        "| VmHWM per worker (worst round) |",
        "|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for name, rounds in results:
        for label in BIG:
            mine = [r for r in rounds if r.label == label]
            if not mine:
                continue
            pids = list(mine[0].idle_mb)
            sizes = sorted({f.size for r in mine for f in r.fetches if f.status == 200})
            counts: dict[str, int] = {}
            for r in mine:
                for part in statuses(r).split(", "):
                    n, _, key = part.partition("x ")
                    counts[key] = counts.get(key, 0) + int(n)
            lines.append(
                f"| {name} | {label} `{BIG[label]}` "
                f"| {' / '.join(f'{s / 1e6:.0f} MB' for s in sizes) or '-'} "
                f"| {max(r.seconds for r in mine):.1f} s "
                f"| {', '.join(f'{n}x {k}' for k, n in sorted(counts.items()))} "
                f"| {' / '.join(f'{mine[0].idle_mb[p]:.0f}' for p in pids)} MB "
                f"| {' / '.join(f'{max(r.peak_mb[p] for r in mine):.0f}' for p in pids)} MB "
                f"| {' / '.join(f'{max(r.hwm_mb[p] for r in mine):.0f}' for p in pids)} MB |"
            )
    lines += ["", BIG_END]
    text = README.read_text()
    if BIG_START not in text:
        text = text.replace(END, END + "\n\n" + BIG_START + "\n" + BIG_END, 1)
    README.write_text(
        text[: text.index(BIG_START)]
        + "\n".join(lines)
        + text[text.index(BIG_END) + len(BIG_END) :]
    )
    print(f"updated {README.relative_to(ROOT)}")


# -- shared by the slow, memory and fault phases ------------------------------------------

HELLO = "/api/hello_rest/"
NAMESPACE = ["--ns", "/api/hello_rest=examples.hello_rest:create"]
# fastjson-server exactly, but with the gthread worker (for comparison only).
GTHREAD = (
    "import sys; from fastjson import server; "
    "server._worker_class = lambda: 'gthread'; server.main(sys.argv[1:])"
)
# fastjson-server exactly, but workers are never recycled (max_requests off; comparison only).
NO_RECYCLING = (
    "import sys; from fastjson import server; settings = server.gunicorn_settings; "
    "server.gunicorn_settings = lambda *a: "
    "{**settings(*a), 'max_requests': 0, 'max_requests_jitter': 0}; "
    "server.main(sys.argv[1:])"
)
SERVER = [sys.executable, "-m", "fastjson.server"]
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def installed_worker_class() -> str:
    """The worker class ``fastjson-server --workers N`` picks in this environment."""
    from fastjson.server import _worker_class, gunicorn_settings

    name = _worker_class()
    if name == "gthread":
        return f"gthread, {gunicorn_settings('', 0, 1, name)['threads']} threads each"
    return name


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def master(self) -> int:
        return self.process.pid

    def workers(self) -> list[int]:
        try:
            return worker_pids(self.master)
        except OSError:
            return []

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def worker_class(self) -> str:
        match = re.search(r"Using worker: (\w+)", self.log_text())
        return match.group(1) if match else "unknown"


@contextlib.contextmanager
def serving(command: list[str], workers: int = WORKERS) -> Iterator[Server]:
    """``command --workers N`` on a free port with hello_rest; its output in a log file."""
    port = free_port()
    fd, name = tempfile.mkstemp(prefix="fastjson-load-", suffix=".log")
    log = Path(name)
    with os.fdopen(fd, "wb") as output:
        args = [*command, "--no-discover", "--workers", str(workers), "--port", str(port)]
        process = start([*args, *NAMESPACE], port, output)
    server = Server(port, process, log)
    try:
        deadline = time.monotonic() + 30
        while len(server.workers()) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)  # every worker booted and in its accept loop
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.unlink(missing_ok=True)


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (``/proc/<pid>/statm``), 0 when it is gone."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14, 15)


class Sampler:
    """Every SAMPLE_EVERY_S: the master's and each worker's RSS and CPU time, and when a
    worker appeared or disappeared (a thread, bounded by ``limit_s``)."""

    def __init__(self, master: int, limit_s: float) -> None:
        self.master = master
        self.started = time.monotonic()
        self.deadline = self.started + limit_s
        self.peak_total = 0
        self.idle_total = 0
        self.peak: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self.born: dict[int, float] = {}  # pid -> seconds since start (0: there at start)
        self.gone: dict[int, float] = {}
        self.samples = 0
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self.sample()
        self.idle_total = self.peak_total
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        now = time.monotonic() - self.started
        try:
            kids = worker_pids(self.master)
        except OSError:
            kids = []
        total = rss_bytes(self.master)
        with self.lock:
            for pid in kids:
                self.born.setdefault(pid, now if self.samples else 0.0)
                rss = rss_bytes(pid)
                total += rss
                self.peak[pid] = max(self.peak.get(pid, 0), rss)
                cpu = cpu_seconds(pid)
                if cpu is not None:
                    self.cpu[pid] = cpu
            for pid in self.born:
                if pid not in kids:
                    self.gone.setdefault(pid, now)
            self.peak_total = max(self.peak_total, total)
            self.samples += 1

    def alive(self) -> list[int]:
        with self.lock:
            return [pid for pid in self.born if pid not in self.gone]

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S) and time.monotonic() < self.deadline:
            self.sample()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        self.sample()


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def replace_block(start_marker: str, end_marker: str, lines: list[str]) -> None:
    """Put ``lines`` between the markers of bench/README.md (read and written at once:
    other parts of the file may be edited meanwhile). Nothing is written without them."""
    text = README.read_text()
    if start_marker not in text or end_marker not in text:
        print(f"{README.relative_to(ROOT)} has no {start_marker}: results not written")
        return
    head, _, rest = text.partition(start_marker)
    tail = rest.partition(end_marker)[2]
    README.write_text(head + "\n".join([start_marker, "", *lines, "", end_marker]) + tail)
    print(f"updated {README.relative_to(ROOT)} ({start_marker})")


def run_header(what: str) -> str:
    return (
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on a {os.cpu_count()}-core "
        f"VM ({_cpu_name()}), Python {sys.version.split()[0]}, {code_version()}, client on "
        f"the same cores; {what}"
    )


def code_version() -> str:
    """The commit measured, and whether the library had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "fastjson"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "commit unknown"
    if not head:
        return "commit unknown"
    return f"commit {head}" + (" with uncommitted changes in fastjson/" if dirty else "")


# -- slow clients ---------------------------------------------------------------------------

SLOW_START, SLOW_END = "<!-- load-slow:start -->", "<!-- load-slow:end -->"
SLOW_CONNECTIONS = 50
SLOW_SECONDS = 60
PROBE_EVERY_S = 0.05
PROBE_TIMEOUT_S = 5
SLOW_P99_MS = 100


@dataclass
class Trickle:
    sent: int  # header bytes sent
    outcome: str
    seconds: float  # how long the connection lasted


@dataclass
class SlowRun:
    label: str
    worker_class: str
    latencies_s: list[float]  # every probe, failed ones included (at the time they took)
    failures: dict[str, int]
    window_s: float
    trickles: list[Trickle]  # every slow connection opened (reopened when closed)
    open_during: tuple[int, float]  # slow connections open while probing: fewest, mean

    @property
    def ok(self) -> bool:
        p99 = nearest_rank(self.latencies_s, 0.99) * 1e3 if self.latencies_s else math.inf
        return not self.failures and p99 < SLOW_P99_MS


def trickle(port: int, deadline: float, stop: threading.Event, open_now: list[int]) -> Trickle:
    """One slow connection: request headers at 1 byte/s until ``deadline``, never finished."""
    head = b"GET /api/hello_rest/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000
    sent = 0
    started = time.monotonic()
    outcome = "still open at the end"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            open_now.append(1)
            try:
                while sent < len(head) and time.monotonic() < deadline:
                    if select.select([sock], [], [], 0)[0]:
                        answer = sock.recv(200)
                        first = answer.split(b"\r\n", 1)[0].decode(errors="replace")
                        outcome = f"answered {first!r}" if answer else "closed by the server"
                        break
                    sock.sendall(head[sent : sent + 1])
                    sent += 1
                    if stop.wait(1):
                        break
            finally:
                open_now.pop()
    except ConnectionResetError:
        outcome = "reset by the server"
    except OSError as exc:
        outcome = type(exc).__name__
    return Trickle(sent, outcome, time.monotonic() - started)


def probe(port: int, path: str = HELLO) -> str | None:
    """A GET on a new connection: None when it answers 200, else what went wrong."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=PROBE_TIMEOUT_S)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__
    return None if response.status == 200 else f"HTTP {response.status}"


def slow_run(
    label: str, command: list[str], connections: int, seconds: float, workers: int = WORKERS
) -> SlowRun:
    """``connections`` slow connections for ``seconds`` (each reopened when the server
    closes it, as an attacker would), a probe beside them."""
    with serving(command, workers) as server:
        stop = threading.Event()
        open_now: list[int] = []
        trickles: list[Trickle] = []
        lock = threading.Lock()
        started = time.monotonic()
        deadline = started + seconds

        def slot() -> None:
            while time.monotonic() < deadline and not stop.is_set():
                result = trickle(server.port, deadline, stop, open_now)
                with lock:
                    trickles.append(result)
                if result.seconds < 0.5:
                    stop.wait(0.5)  # refused at once: do not spin

        pool = [threading.Thread(target=slot, daemon=True) for _ in range(connections)]
        for t in pool:
            t.start()
        while len(open_now) < connections and time.monotonic() - started < 5:
            time.sleep(0.05)
        time.sleep(2)  # every slow connection is open and a couple of bytes into its headers
        latencies: list[float] = []
        failures: dict[str, int] = {}
        open_counts: list[int] = []
        end = deadline - 1
        next_at = time.monotonic()
        probing = time.monotonic()
        while time.monotonic() < end:
            open_counts.append(len(open_now))
            t0 = time.perf_counter()
            error = probe(server.port)
            latencies.append(time.perf_counter() - t0)
            if error:
                failures[error] = failures.get(error, 0) + 1
            next_at = max(next_at + PROBE_EVERY_S, time.monotonic())
            time.sleep(max(0.0, next_at - time.monotonic()))
        window = time.monotonic() - probing
        stop.set()
        for t in pool:
            t.join(timeout=10)
        kind = server.worker_class()
    open_during = (min(open_counts, default=0), statistics.fmean(open_counts or [0]))
    run = SlowRun(label, kind, latencies, failures, window, trickles, open_during)
    print(f"slow: {describe_slow(run)}", flush=True)
    return run


def describe_slow(r: SlowRun) -> str:
    ms = [x * 1e3 for x in r.latencies_s]
    failures = ", ".join(f"{n}x {k}" for k, n in sorted(r.failures.items())) or "none"
    return (
        f"{r.label} ({r.worker_class}): {len(ms)} probes in {r.window_s:.0f} s, failures: "
        f"{failures}; p50 {nearest_rank(ms, 0.5):.1f} ms, p99 {nearest_rank(ms, 0.99):.1f} ms, "
        f"max {max(ms):.1f} ms; slow connections: {trickle_outcomes(r)}"
    )


def trickle_outcomes(r: SlowRun) -> str:
    """How the slow connections ended, with how long they lasted."""
    by: dict[str, list[float]] = {}
    for t in r.trickles:
        by.setdefault(t.outcome, []).append(t.seconds)
    parts = [
        f"{len(v)}x {k} after {min(v):.0f}-{max(v):.0f} s"
        for k, v in sorted(by.items(), key=lambda kv: -len(kv[1]))
    ]
    fewest, mean = r.open_during
    return (
        f"{len(r.trickles)} opened: {', '.join(parts)}; open while probing: "
        f"{mean:.0f} on average, never fewer than {fewest}"
    )


def slow_phase(
    connections: int = SLOW_CONNECTIONS,
    seconds: float = SLOW_SECONDS,
    configs: dict[str, list[str]] | None = None,
    write: bool = True,
) -> list[SlowRun]:
    """50 clients trickling headers at 1 byte/s for 60 s, while a probe asks for the
    hello endpoint every ~50 ms on new connections; fastjson-server as it is, then with
    the gthread worker for comparison."""
    if configs is None:
        configs = {
            "fastjson-server --workers 2": SERVER,
            "same, gthread worker (comparison)": [sys.executable, "-c", GTHREAD],
        }
    runs = [slow_run(label, command, connections, seconds) for label, command in configs.items()]
    if write:
        slow_report(runs, connections, seconds)
    return runs


def slow_report(runs: list[SlowRun], connections: int, seconds: float) -> None:
    lines = [
        run_header(
            f"{connections} connections send `GET {HELLO}` headers 1 byte/s for {seconds:.0f} s "
            "(never finishing them; one the server closes is reopened at once, so "
            f"{connections} stay open) while one probe client asks for `{HELLO}` every "
            f"~{PROBE_EVERY_S * 1e3:.0f} ms, each on a new connection ({PROBE_TIMEOUT_S} s "
            "timeout). Latencies cover every probe, failed ones at the time they took. "
            f"Target: 0 failures, p99 < {SLOW_P99_MS} ms."
        ),
        "",
        "| server | worker | probes | failures | p50 | p99 | max | slow connections | target |",
        "|---|---|---:|---|---:|---:|---:|---|---|",
    ]
    for r in runs:
        ms = [x * 1e3 for x in r.latencies_s]
        failures = ", ".join(f"{n}x {k}" for k, n in sorted(r.failures.items()))
        lines.append(
            f"| {r.label} | {r.worker_class} | {len(ms):,} | {sum(r.failures.values())}"
            f"{f' ({failures})' if failures else ''} | {nearest_rank(ms, 0.5):.1f} ms "
            f"| {nearest_rank(ms, 0.99):.1f} ms | {max(ms):.1f} ms | {trickle_outcomes(r)} "
            f"| {'met' if r.ok else '**missed**'} |"
        )
    replace_block(SLOW_START, SLOW_END, lines)


# -- memory: the largest frame of every orient, 16 at once -------------------------------

MEMORY_START, MEMORY_END = "<!-- load-memory:start -->", "<!-- load-memory:end -->"
ORIENTS = ("records", "split", "columns", "index", "values")
MEMORY_ROWS = 1_000_000
MEMORY_CONCURRENCY = 16
MEMORY_LIMIT_BYTES = 1_500_000_000  # 1.5 GB, the whole server: master and workers
MEMORY_ROUND_LIMIT_S = 90


@dataclass
class MemoryRound:
    orient: str
    fetches: list[Fetch]
    seconds: float
    workers_before: list[int]
    workers_after: list[int]
    idle_total: int
    peak_total: int
    idle: dict[int, int]
    peak: dict[int, int]
    hwm: dict[int, float]  # VmHWM in MB (MiB), reset before the round
    gone: dict[int, float]
    samples: int
    expected: int  # requests sent
    probes: list[float]  # latencies of the small probe beside the round
    probe_failures: int

    @property
    def statuses_ok(self) -> bool:
        done = len(self.fetches) == self.expected
        return done and all(f.status in (200, 503) for f in self.fetches)

    @property
    def workers_kept(self) -> bool:
        return self.workers_before == self.workers_after and not self.gone


def memory_round(server: Server, orient: str, rows: int, concurrency: int) -> MemoryRound:
    path = f"/api/hello_rest/data/frame?rows={rows}&orient={orient}"
    workers = server.workers()
    for pid in workers:  # VmHWM from here on is this round's peak
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/clear_refs").write_text("5")
    sampler = Sampler(server.master, MEMORY_ROUND_LIMIT_S + 30)
    idle = {pid: rss_bytes(pid) for pid in workers}
    deadline = time.monotonic() + MEMORY_ROUND_LIMIT_S
    fetches: list[Fetch] = []
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency)
    done = threading.Event()
    probes: list[float] = []
    failed = 0

    def one() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=10)
        got = fetch_raw(server.port, path, deadline)
        with lock:
            fetches.append(got)

    def probing() -> None:  # a small request beside the big ones, every ~50 ms
        nonlocal failed
        while not done.wait(PROBE_EVERY_S) and time.monotonic() < deadline:
            t0 = time.perf_counter()
            failed += probe(server.port) is not None
            probes.append(time.perf_counter() - t0)

    started = time.perf_counter()
    pool = [threading.Thread(target=one, daemon=True) for _ in range(concurrency)]
    for t in pool:
        t.start()
    prober = threading.Thread(target=probing, daemon=True)
    prober.start()
    for t in pool:
        t.join(timeout=max(1.0, deadline - time.monotonic() + 5))
    seconds = time.perf_counter() - started
    done.set()
    prober.join(timeout=PROBE_TIMEOUT_S + 1)
    sampler.stop()
    hwm = {pid: status_mb(pid, "VmHWM") for pid in workers}
    return MemoryRound(
        orient,
        fetches,
        seconds,
        workers,
        server.workers(),
        sampler.idle_total,
        sampler.peak_total,
        idle,
        {pid: sampler.peak.get(pid, 0) for pid in workers},
        hwm,
        dict(sampler.gone),
        sampler.samples,
        concurrency,
        probes,
        failed,
    )


def fetch_raw(port: int, path: str, deadline: float) -> Fetch:
    """GET ``path`` with ``Connection: close`` on a plain socket and read to EOF into one
    buffer: far less client CPU than http.client's chunked reader, which matters with
    16 bodies of 60-100 MB on the server's cores. A body that does not end as its framing
    says (chunked terminator, Content-Length) counts as ``truncated``. ``size`` includes
    the chunk framing (a few bytes per 1 MiB chunk). ``seconds`` is to the last byte."""
    started = time.perf_counter()
    head = b""
    size = 0
    tail = b""
    buffer = bytearray(1 << 20)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            request = (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n"
                "Connection: close\r\n\r\n"
            )
            sock.sendall(request.encode())
            while n := sock.recv_into(buffer):
                data = buffer[:n]
                if b"\r\n\r\n" not in head:
                    head += bytes(data)
                    if b"\r\n\r\n" in head:
                        head, _, body = head.partition(b"\r\n\r\n")
                        head += b"\r\n\r\n"
                        size, tail = len(body), body[-5:]
                else:
                    size += n
                    tail = (tail + bytes(data[-5:]))[-5:]
                if time.monotonic() > deadline:
                    raise TimeoutError("round time limit")
        if b"\r\n\r\n" not in head:
            raise ConnectionError("no complete response head")
        lines = head.decode("latin-1").split("\r\n")
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
        }
        chunked = "chunked" in headers.get("transfer-encoding", "")
        length = headers.get("content-length")
        complete = tail == b"0\r\n\r\n" if chunked else length is None or size == int(length)
        status: int | str = int(lines[0].split()[1]) if complete else "truncated"
        framing = "chunked" if chunked else "length"
        retry_after = headers.get("retry-after")
    except OSError as exc:
        return Fetch(type(exc).__name__, "-", size, time.perf_counter() - started)
    return Fetch(status, framing, size, time.perf_counter() - started, retry_after)


def memory_statuses(r: MemoryRound, concurrency: int) -> str:
    counts: dict[str, int] = {}
    for f in r.fetches:
        key = str(f.status)
        if f.status == 200:
            key += f" {f.framing}"
        elif f.status == 503:
            key += f" (Retry-After {f.retry_after})" if f.retry_after else " (no Retry-After)"
        counts[key] = counts.get(key, 0) + 1
    if len(r.fetches) < concurrency:
        counts["unfinished"] = concurrency - len(r.fetches)
    return ", ".join(f"{n}x {k}" for k, n in sorted(counts.items()))


def memory_phase(
    rows: int = MEMORY_ROWS,
    concurrency: int = MEMORY_CONCURRENCY,
    orients: tuple[str, ...] = ORIENTS,
    write: bool = True,
    command: list[str] | None = None,
) -> list[MemoryRound]:
    """``concurrency`` requests at once for the ``rows``-row frame of each orient against
    fastjson-server --workers 2 (or ``command``); the whole server's RSS sampled every
    20 ms."""
    rounds = []
    with serving(command or SERVER) as server:
        warm = time.monotonic() + 60
        for orient in orients:  # warm up: imports (pandas, polars, pyarrow) in both workers
            small = f"/api/hello_rest/data/frame?rows=1000&orient={orient}"
            pool = [
                threading.Thread(target=fetch_whole, args=(server.port, small, warm), daemon=True)
                for _ in range(4)
            ]
            for t in pool:
                t.start()
            for t in pool:
                t.join(timeout=30)
        first = server.workers()
        for orient in orients:
            r = memory_round(server, orient, rows, concurrency)
            rounds.append(r)
            print(f"memory: {describe_memory(r, concurrency)}", flush=True)
            time.sleep(1)
        kind = server.worker_class()
        last = server.workers()
        log = server.log_text()
    trouble = [
        line
        for line in log.splitlines()
        if re.search(r"WORKER TIMEOUT|SIGKILL|out of memory|Traceback|\[ERROR\]", line)
    ]
    if write:
        memory_report(rounds, rows, concurrency, kind, first, last, trouble)
    return rounds


def describe_memory(r: MemoryRound, concurrency: int) -> str:
    per_worker = "; ".join(
        f"pid {pid}: {r.idle[pid] / 1e6:.0f} -> {r.peak[pid] / 1e6:.0f} MB "
        f"(VmHWM {r.hwm[pid]:.0f} MiB)"
        for pid in r.workers_before
    )
    return (
        f"{r.orient} x{concurrency} in {r.seconds:.1f} s [{memory_statuses(r, concurrency)}], "
        f"body {body_sizes(r)}; answers {answer_times(r)}; total RSS "
        f"{r.idle_total / 1e6:.0f} -> peak {r.peak_total / 1e6:.0f} MB; {per_worker}; "
        f"workers kept: {r.workers_kept}; {r.samples} samples; probe beside: {beside(r)}"
    )


def body_sizes(r: MemoryRound) -> str:
    sizes = sorted({round(f.size / 1e6) for f in r.fetches if f.status == 200})
    return " / ".join(f"{s} MB" for s in sizes) or "-"


def answer_times(r: MemoryRound) -> str:
    """Seconds to the last byte of the 200 answers: fastest, median, slowest."""
    times = sorted(f.seconds for f in r.fetches if f.status == 200)
    if not times:
        return "-"
    return f"{times[0]:.1f} / {statistics.median(times):.1f} / {times[-1]:.1f} s"


def beside(r: MemoryRound) -> str:
    if not r.probes:
        return "-"
    ms = [x * 1e3 for x in r.probes]
    return (
        f"{nearest_rank(ms, 0.5):,.0f} / {nearest_rank(ms, 0.99):,.0f} / {max(ms):,.0f} ms "
        f"({len(ms)} probes, {r.probe_failures} failed)"
    )


def memory_report(
    rounds: list[MemoryRound],
    rows: int,
    concurrency: int,
    kind: str,
    first: list[int],
    last: list[int],
    trouble: list[str],
) -> None:
    limit = MEMORY_LIMIT_BYTES / 1e6
    lines = [
        run_header(
            f"`fastjson-server --workers {WORKERS}` ({kind} workers, `MEMORY_BUDGET` 512 MiB "
            f"per worker); {concurrency} concurrent requests for "
            f"`/data/frame?rows={rows:,}&orient=...`, one orient at a time, each body read "
            "to its end, while a probe asks for the hello endpoint every ~50 ms on new "
            f"connections ({PROBE_TIMEOUT_S} s timeout; not part of the targets); total RSS "
            "(master + workers, from `/proc/<pid>/statm`) sampled every "
            f"{SAMPLE_EVERY_S * 1e3:.0f} ms; VmHWM of each worker reset before each orient. "
            f"MB = 10^6 bytes. Targets: only 200 or 503, total RSS < {limit:,.0f} MB, "
            "no worker replaced."
        ),
        "",
        "| orient | statuses | body | answer time: fastest / median / slowest "
        "| total RSS idle -> peak | per worker: idle -> peak (VmHWM) | workers kept "
        f"| probe `{HELLO}` beside: p50 / p99 / max | target |",
        "|---|---|---:|---:|---:|---|---|---:|---|",
    ]
    for r in rounds:
        met = r.statuses_ok and r.peak_total < MEMORY_LIMIT_BYTES and r.workers_kept
        per_worker = " / ".join(
            f"{r.idle[p] / 1e6:.0f} -> {r.peak[p] / 1e6:.0f} ({r.hwm[p] * 1.048576:.0f})"
            for p in r.workers_before
        )
        lines.append(
            f"| {r.orient} | {memory_statuses(r, concurrency)} "
            f"| {body_sizes(r)} | {answer_times(r)} "
            f"| {r.idle_total / 1e6:.0f} -> {r.peak_total / 1e6:.0f} MB | {per_worker} MB "
            f"| {'yes' if r.workers_kept else '**no**'} | {beside(r)} "
            f"| {'met' if met else '**missed**'} |"
        )
    lines += [
        "",
        f"Worker PIDs before the first orient {first}, after the last {last}"
        f" ({'unchanged' if first == last else '**changed**'}); gunicorn's log: "
        + (
            "; ".join(f"`{line.strip()[:160]}`" for line in trouble[:5])
            if trouble
            else "no worker timeout, kill, error or traceback."
        ),
    ]
    replace_block(MEMORY_START, MEMORY_END, lines)


# -- a worker killed under keep-alive load ----------------------------------------------

FAULT_START, FAULT_END = "<!-- load-fault:start -->", "<!-- load-fault:end -->"
FAULT_CONNECTIONS = 8
FAULT_BEFORE_S = 10
FAULT_AFTER_S = 30
FAULT_PACED_RATE = 20  # requests/s per connection in the paced run
FAULT_PATH = SMALL
SNAPSHOTS_S = (-0.5, 1, 5, 10, 20, 29)  # connection snapshots, relative to the kill


@dataclass
class Hit:
    at: float  # seconds since the load started, when the answer (or error) came
    client: int
    pid: int | None  # the worker that served the connection, None if unknown
    error: str | None
    closed: bool = False  # answered with Connection: close
    sent: float = 0.0  # seconds since the load started, when the request was sent


@dataclass
class FaultRun:
    label: str
    worker_class: str
    rate: float | None  # requests/s per connection, None: no pause
    hits: list[Hit]
    killed: int
    kill_at: float
    end: float
    born: dict[int, float]  # seconds since the load started (negative: before it)
    gone: dict[int, float]
    cpu: dict[int, float]

    def alive_at(self, t: float) -> list[int]:
        return [p for p, b in self.born.items() if b <= t < self.gone.get(p, math.inf)]

    def role(self, pid: int | None) -> str:
        if pid is None:
            return "unknown"
        if pid == self.killed:
            return "killed"
        if pid == self.replacement():
            return "replacement"
        if self.born[pid] >= self.kill_at:
            return "recycled"  # started after the replacement: max_requests at work
        if pid in self.alive_at(self.kill_at):
            return "survivor"
        return "earlier"  # gone before the kill (recycled)

    def replacement(self) -> int | None:
        """The first worker the master started after the kill."""
        later = [(t, pid) for pid, t in self.born.items() if t >= self.kill_at]
        return min(later)[1] if later else None

    def first_served(self, pid: int) -> float | None:
        times = [h.at for h in self.hits if h.pid == pid and h.error is None]
        return min(times) if times else None

    def owners_at(self, t: float) -> dict[int, int | None]:
        """Which worker each client's connection was on at time ``t``."""
        owners: dict[int, int | None] = {}
        for h in sorted(self.hits, key=lambda h: h.at):
            if h.at > t:
                break
            owners[h.client] = None if h.error or h.closed else h.pid
        return owners


def connection_owner(server_port: int, client_port: int, pids: list[int]) -> int | None:
    """The worker holding the server side of 127.0.0.1:client_port -> server_port: its
    socket's inode from /proc/net/tcp, found among the workers' open files."""
    local = f"0100007F:{server_port:04X}"
    remote = f"0100007F:{client_port:04X}"
    inode = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == local and fields[2] == remote:
                inode = fields[9]
                break
    if not inode or inode == "0":
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                        return pid
    return None


def fault_run(
    label: str,
    command: list[str],
    rate: float | None,
    connections: int,
    before_s: float,
    after_s: float,
) -> FaultRun:
    with serving(command) as server:
        sampler = Sampler(server.master, before_s + after_s + 30)
        hits: list[Hit] = []
        owner_of: dict[int, int | None] = {}
        lock = threading.Lock()
        started = time.monotonic()
        end = started + before_s + after_s

        def client(n: int) -> None:
            conn: http.client.HTTPConnection | None = None
            owner: int | None = None
            mine: list[Hit] = []
            next_at = time.monotonic()
            while time.monotonic() < end:
                if rate:
                    next_at = max(next_at + 1 / rate, time.monotonic() - 1)
                    time.sleep(max(0.0, min(next_at, end) - time.monotonic()))
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                    owner = None
                error: str | None = None
                sent = time.monotonic() - started
                try:
                    conn.request("GET", FAULT_PATH)
                    client_port = conn.sock.getsockname()[1] if owner is None else 0
                    response = conn.getresponse()
                    if owner is None:  # a new connection: which worker accepted it?
                        owner = connection_owner(server.port, client_port, server.workers())
                        with lock:
                            owner_of[n] = owner
                    response.read()
                    if response.status != 200:
                        error = f"HTTP {response.status}"
                    if response.will_close:
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException) as exc:
                    error = type(exc).__name__
                    conn.close()
                    conn = None
                closing = conn is None and error is None
                mine.append(Hit(time.monotonic() - started, n, owner, error, closing, sent))
            if conn is not None:
                conn.close()
            with lock:
                hits.extend(mine)

        pool = [
            threading.Thread(target=client, args=(n,), daemon=True) for n in range(connections)
        ]
        for t in pool:
            t.start()
        time.sleep(max(0.0, started + before_s - time.monotonic()))
        with lock:  # kill the worker holding the most connections
            held = [pid for pid in owner_of.values() if pid is not None]
        killed = max(server.workers(), key=held.count)
        kill_at = time.monotonic() - started
        os.kill(killed, signal.SIGKILL)
        for t in pool:
            t.join(timeout=max(1.0, end - time.monotonic() + 15))
        sampler.stop()
        kind = server.worker_class()
    shift = started - sampler.started
    run = FaultRun(
        label,
        kind,
        rate,
        hits,
        killed,
        kill_at,
        end - started,
        {pid: t - shift for pid, t in sampler.born.items()},
        {pid: t - shift for pid, t in sampler.gone.items()},
        sampler.cpu,
    )
    print(f"fault: {describe_fault(run)}", flush=True)
    return run


def fault_summary(r: FaultRun) -> dict[str, Any]:
    replacement = r.replacement()
    served = r.first_served(replacement) if replacement else None
    before = [h for h in r.hits if h.at < r.kill_at and h.error is None]
    after = [h for h in r.hits if h.at >= r.kill_at and h.error is None]
    errors = [h for h in r.hits if h.error is not None]
    # in flight: sent before the kill (on the killed worker's connections, presumably);
    # stale: sent after it on a kept-alive connection to the killed worker
    in_flight = [h for h in errors if h.sent < r.kill_at]
    stale = [h for h in errors if h.sent >= r.kill_at and h.pid == r.killed]
    # one-second buckets after the kill: in how many did one worker serve >= 95%?
    lopsided = buckets = 0
    busiest = []
    start = r.kill_at
    while start + 1 <= r.end:
        counts: dict[int | None, int] = {}
        for h in after:
            if start <= h.at < start + 1 and h.pid is not None:
                counts[h.pid] = counts.get(h.pid, 0) + 1
        if counts:
            buckets += 1
            share = max(counts.values()) / sum(counts.values())
            lopsided += share >= 0.95
            busiest.append(share)
        start += 1
    return {
        "replacement": replacement,
        "respawn_s": r.born[replacement] - r.kill_at if replacement else None,
        "recovery_s": served - r.kill_at if served is not None else None,
        "before": before,
        "after": after,
        "errors": errors,
        "in_flight": in_flight,
        "stale": stale,
        "lopsided": lopsided,
        "buckets": buckets,
        "busiest": statistics.fmean(busiest) if busiest else math.nan,
    }


def role_shares(r: FaultRun, hits: list[Hit]) -> dict[str, tuple[int, float]]:
    """Role -> (workers of that role that served, share of ``hits``)."""
    roles: dict[int | None, str] = {pid: r.role(pid) for pid in [None, *r.born]}
    served: dict[str, set[int | None]] = {}
    counts: dict[str, int] = {}
    for h in hits:
        role = roles.get(h.pid, "unknown")
        served.setdefault(role, set()).add(h.pid)
        counts[role] = counts.get(role, 0) + 1
    total = max(1, len(hits))
    return {role: (len(served[role]), n / total) for role, n in counts.items()}


def snapshot(r: FaultRun, t: float) -> str:
    """The client connections each live worker held at ``t`` (zeros included)."""
    owners = list(r.owners_at(t).values())
    cells = [f"{r.role(pid)} {owners.count(pid)}" for pid in sorted(r.alive_at(t), key=r.born.get)]
    if owners.count(None):
        cells.append(f"reconnecting {owners.count(None)}")
    return ", ".join(cells) or "-"


def describe_fault(r: FaultRun) -> str:
    s = fault_summary(r)
    recovery = f"{s['recovery_s']:.2f} s" if s["recovery_s"] is not None else "never"
    pace = f"{r.rate:g}/s per connection" if r.rate else "no pause"
    return (
        f"{r.label} ({r.worker_class}, {pace}): {len(s['before']):,} ok before the kill, "
        f"{len(s['after']):,} after, errors {len(s['errors'])} ({len(s['in_flight'])} in "
        f"flight at the kill, {len(s['stale'])} sent later on a dead connection); killed "
        f"{r.killed} at {r.kill_at:.1f} s, replacement {s['replacement']} started after "
        f"{s['respawn_s'] or 0:.2f} s, first served after {recovery}; one worker served "
        f">= 95% in {s['lopsided']} of {s['buckets']} s after the kill (busiest worker's mean "
        f"share {s['busiest']:.0%}); workers seen: {len(r.born)}; connections: "
        + "; ".join(f"{dt:+g} s: {snapshot(r, r.kill_at + dt)}" for dt in SNAPSHOTS_S)
    )


def fault_phase(
    connections: int = FAULT_CONNECTIONS,
    before_s: float = FAULT_BEFORE_S,
    after_s: float = FAULT_AFTER_S,
    configs: dict[str, tuple[list[str], float | None]] | None = None,
    write: bool = True,
) -> list[FaultRun]:
    """Keep-alive load on fastjson-server --workers 2, one worker killed with SIGKILL after
    ``before_s``: as fast as the client goes, then paced, then without worker recycling
    (max_requests off) for comparison."""
    if configs is None:
        configs = {
            "fastjson-server --workers 2": (SERVER, None),
            f"same, paced at {FAULT_PACED_RATE} req/s per connection": (SERVER, FAULT_PACED_RATE),
            "same, max_requests off (comparison)": ([sys.executable, "-c", NO_RECYCLING], None),
        }
    runs = [
        fault_run(label, command, rate, connections, before_s, after_s)
        for label, (command, rate) in configs.items()
    ]
    if write:
        fault_report(runs, connections, before_s, after_s)
    return runs


def fault_report(runs: list[FaultRun], connections: int, before_s: float, after_s: float) -> None:
    lines = [
        run_header(
            f"{connections} keep-alive connections, one client thread each, request "
            f"`{FAULT_PATH}` in a loop for {before_s + after_s:.0f} s; after {before_s:.0f} s "
            "the worker holding the most connections gets SIGKILL. The worker behind each "
            "connection is read from `/proc` (the server side of its socket in "
            "`/proc/net/tcp`, found among the workers' open files): no header names it. "
            "Recovery: from the kill to the first answer from the worker the master started "
            "in its place (the *replacement*); *recycled*: workers started later, when one "
            "reached `max_requests`."
        ),
        "",
        "| server | worker | requests before / after the kill | errors | replacement "
        "started after | recovery (first request served) | seconds after the kill in which "
        "one worker served >= 95% | busiest worker's mean share per second | workers seen |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        s = fault_summary(r)
        kinds: dict[str, int] = {}
        for h in s["errors"]:
            kinds[h.error] = kinds.get(h.error, 0) + 1
        errors = str(len(s["errors"]))
        if kinds:
            errors += " (" + ", ".join(f"{n}x {k}" for k, n in sorted(kinds.items()))
            errors += f": {len(s['in_flight'])} in flight at the kill, {len(s['stale'])} sent "
            errors += "after it on a kept-alive connection to the killed worker"
            other = len(s["errors"]) - len(s["in_flight"]) - len(s["stale"])
            errors += f", **{other} other**)" if other else ")"
        never = f"never in {after_s:.0f} s"
        lines.append(
            f"| {r.label} | {r.worker_class} | {len(s['before']):,} / {len(s['after']):,} "
            f"| {errors} | {_s(s['respawn_s'], prec=2)} | {_s(s['recovery_s'], never, 2)} "
            f"| {s['lopsided']} of {s['buckets']} | {s['busiest']:.0%} | {len(r.born)} |"
        )
    lines += [
        "",
        "Client connections held by each live worker, relative to the kill:",
        "",
        "| server | " + " | ".join(f"{dt:+g} s" for dt in SNAPSHOTS_S) + " |",
        "|---|" + "---|" * len(SNAPSHOTS_S),
    ]
    for r in runs:
        cells = [snapshot(r, r.kill_at + dt) for dt in SNAPSHOTS_S]
        lines.append(f"| {r.label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Share of the requests by worker role (how many workers of that role served; "
        "*unknown*: answered with `Connection: close` by a worker about to be recycled, "
        "which closed the socket before `/proc` could be read), and each worker's CPU time "
        "from `/proc/<pid>/stat` as a cross-check:",
        "",
        "| server | before the kill | after the kill | CPU time per worker |",
        "|---|---|---|---|",
    ]
    for r in runs:
        s = fault_summary(r)
        cells = []
        for hits in (s["before"], s["after"]):
            parts = sorted(role_shares(r, hits).items(), key=lambda kv: -kv[1][1])
            cells.append(
                ", ".join(
                    f"{role}{f' (x{n})' if n > 1 else ''} {share:.0%}"
                    for role, (n, share) in parts
                )
            )
        cpu: dict[str, float] = {}
        for pid, seconds in r.cpu.items():
            cpu[r.role(pid)] = cpu.get(r.role(pid), 0.0) + seconds
        cells.append(", ".join(f"{k} {v:.1f} s" for k, v in sorted(cpu.items())))
        lines.append(f"| {r.label} | " + " | ".join(cells) + " |")
    replace_block(FAULT_START, FAULT_END, lines)


def _s(value: float | None, missing: str = "-", prec: int = 1) -> str:
    return f"{value:.{prec}f} s" if value is not None else missing


def _cpu_name() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown CPU"
    match = re.search(r"model name\s*:\s*(.+)", text)
    return match.group(1).strip() if match else "unknown CPU"


if __name__ == "__main__":
    main()
