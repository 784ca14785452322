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
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

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


def start(args: list[str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
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
        choices=("all", "soak", "big"),
        default="all",
        help="soak: small and 2 MB endpoints; big: 8 concurrent 100-200 MB responses",
    )
    phase = parser.parse_args().phase
    if phase in ("all", "soak"):
        soak_phase()
    if phase in ("all", "big"):
        big_phase()


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
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", path, headers={"Accept-Encoding": "identity"})
        response = conn.getresponse()
        framing = "chunked" if response.chunked else "length"
        while chunk := response.read(1 << 20):
            size += len(chunk)
            if time.monotonic() > deadline:
                raise TimeoutError("round time limit")
        conn.close()
        status: int | str = response.status
    except (OSError, http.client.HTTPException) as exc:
        status = type(exc).__name__
    return Fetch(status, framing, size, time.perf_counter() - started)


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
        f"{WORKERS} gunicorn workers (gthread, 4 threads each); {BIG_CONCURRENCY} concurrent "
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


def _cpu_name() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown CPU"
    match = re.search(r"model name\s*:\s*(.+)", text)
    return match.group(1).strip() if match else "unknown CPU"


if __name__ == "__main__":
    main()
