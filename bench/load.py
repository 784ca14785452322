"""Load test: the hello_rest service under gunicorn, beside the same endpoints on Flask.

    python bench/load.py            # or: make load

Starts both services on 127.0.0.1 (free ports), drives a small and a large
endpoint with a bounded number of requests (wrk when installed, else a
Python client), and reports requests/s, p50/p99 latency, errors (must be 0)
and the workers' RSS after a warm-up and again after 100,000 small requests
(must stay flat). The results replace the "Load" section of bench/README.md.
Loopback only; every run is bounded in count and in time.
"""

from __future__ import annotations

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
from dataclasses import dataclass
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


if __name__ == "__main__":
    main()
