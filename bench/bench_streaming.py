"""Groups 7 and 8: big responses, streamed in chunks (``fastjson.iter_encode``,
``iter_ndjson``, ``json_response(stream=True)``, Arrow, gzip).

Measured as the project measures (bench/README.md, "Big responses (streaming)"):

- the rows of a group run interleaved in this one process: A, B, C, then again, for
  several rounds (each round starts one row later), so that a change in the machine's
  load hits every row alike; each row keeps every round's figures;
- bodies are dropped as they are produced (``for c in it: n += len(c)``), as a server
  writes them to its socket;
- peak extra memory is VmHWM minus VmRSS after a reset: free heap handed back to the
  system (``malloc_trim``), then "5" written to /proc/self/clear_refs. The WSGI rows,
  where memory is the point, run in an interpreter of their own whose polars allocator
  (jemalloc) hands freed pages back at once (see ``wsgi_child``).

Each group is one test. Its rows, with every round's time, peak and size, are in
``extra_info["rows"]``; bench/report.py turns them into tables (the best round and the
spread, lowest to highest) and target verdicts. pytest-benchmark's own figure for these
tests is the time of the whole interleaved run, not of a row.

Under ``--benchmark-disable`` (``make test``, CI) each group runs one round on small
payloads and checks every row's output; ``make bench`` measures the issue's sizes.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

import flask
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from checks import check_array, check_frame
from payloads import SEED
from werkzeug.test import EnvironBuilder

import fastjson
from fastjson._coding import compress_chunks, gzip_chunks
from fastjson._http import arrow_chunks, arrow_form

MiB = 1 << 20
CHUNKS = {"64 KiB": 64 << 10, "256 KiB": 256 << 10, "1 MiB": MiB, "4 MiB": 4 * MiB}
"""Chunk sizes compared; the library's default (``fastjson.streaming.CHUNK_SIZE``) is 1 MiB."""

GZIP_LEVELS = (1, 6, 9)


@dataclass(frozen=True)
class Sizes:
    array_wsgi: int
    frame_wsgi: int
    frame_wsgi_small: int
    array: int
    frame: int
    rounds: int
    slow_rounds: int
    """Rounds of the gzip groups: level 9 takes 20 to 30 s on the float array's JSON."""
    generator: int
    """Small dicts of the fast generator (the time rule's cost)."""
    generator_rounds: int
    coded_rows: int = 2_000
    """Rows of the frame whose records JSON the content codings compress."""
    coded_rounds: int = 1


REAL = Sizes(
    50_000_000,
    5_000_000,
    500_000,
    10_000_000,
    1_000_000,
    5,
    3,
    generator=500_000,
    generator_rounds=15,
    coded_rows=100_000,
    coded_rounds=5,
)
QUICK = Sizes(200_000, 20_000, 2_000, 100_000, 10_000, 1, 1, generator=2_000, generator_rounds=1)


@pytest.fixture(scope="module")
def sizes(request: pytest.FixtureRequest) -> Sizes:
    return QUICK if request.config.getoption("benchmark_disable") else REAL


def count(n: int) -> str:
    """50_000_000 -> "50M", 500_000 -> "500k"."""
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


def make_frame6(n: int) -> pd.DataFrame:
    """hello_rest's demo frame (id, when, value with NaN, label, count with NA) plus a
    second float64 column: 6 columns, seeded as in payloads.py."""
    rng = np.random.default_rng(SEED)
    value = rng.normal(size=n)
    value[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "when": pd.date_range("2024-01-01", periods=n, freq="s"),
            "value": value,
            "price": rng.normal(size=n),
            "label": pd.Categorical(rng.choice(["low", "mid", "high"], n)),
            "count": pd.array(
                np.where(rng.random(n) < 0.1, None, rng.integers(0, 9, n)), dtype="Int64"
            ),
        }
    )


def make_array(n: int) -> np.ndarray:
    return np.random.default_rng(SEED).random(n)


def label(obj: Any) -> str:
    """The payload's name in the tables: "float64 10M", "frame 1M x 6"."""
    if isinstance(obj, pd.DataFrame):
        return f"frame {count(len(obj))} x {obj.shape[1]}"
    return f"{obj.dtype} {count(len(obj))}"


# -- measuring -----------------------------------------------------------------------

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None)


def status_kb(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    assert match is not None, field
    return int(match.group(1))


def reset_peak() -> int | None:
    """Hand free heap back, reset VmHWM to VmRSS; the RSS then (kB), or None off Linux."""
    if _malloc_trim is not None:
        _malloc_trim(0)
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return None
    return status_kb("VmRSS")


def with_peak(sample: dict[str, float], base: int | None) -> dict[str, float]:
    if base is not None:
        sample["peak_mib"] = (status_kb("VmHWM") - base) / 1024
    return sample


def drain(body: bytes | Iterable[bytes]) -> int:
    """The body's length; each chunk is dropped as soon as it is counted."""
    if isinstance(body, bytes):
        return len(body)
    n = 0
    try:
        for c in body:
            n += len(c)
    finally:
        close(body)
    return n


def close(body: Iterable[bytes]) -> None:
    """Close a body as a server does (closing the generator it reads, ending the request)."""
    method = getattr(body, "close", None)
    if method is not None:
        method()


def timed(produce: Callable[[], bytes | Iterable[bytes]]) -> dict[str, float]:
    """Time, size and peak extra memory of producing and dropping one body."""
    base = reset_peak()
    t0 = perf_counter()
    n = drain(produce())
    seconds = perf_counter() - t0
    return with_peak({"seconds": seconds, "bytes": n}, base)


Row = tuple[str, Callable[[], dict[str, float]]]
"""A row: its name in the tables, and one measurement."""


def interleave(rows: dict[str, Row], rounds: int) -> list[dict[str, Any]]:
    """Every row once per round, the first row rotating; every round's figures kept."""
    keys = list(rows)
    samples: dict[str, list[dict[str, float]]] = {key: [] for key in keys}
    for r in range(rounds):
        shift = r % len(keys)
        for key in keys[shift:] + keys[:shift]:
            samples[key].append(rows[key][1]())
    out = []
    for key in keys:
        got = samples[key]
        assert len({s["bytes"] for s in got}) == 1, (key, got)  # same body every round
        row: dict[str, Any] = {"key": key, "name": rows[key][0], "bytes": int(got[0]["bytes"])}
        for field in ("seconds", "first_byte_s", "peak_mib"):
            if field in got[0]:
                row[field] = [s[field] for s in got]
        out.append(row)
    return out


def record(
    benchmark: Any,
    measure: Callable[[], list[dict[str, Any]]],
    *,
    key: str,
    group: str,
    payload: str,
    reference: str,
    rounds: int,
) -> dict[str, dict[str, Any]]:
    """Run ``measure`` (``rounds`` interleaved rounds) under pytest-benchmark; keep its
    rows in ``extra_info`` under the group's ``key``, with the key of the row that ratios
    are against (``reference``)."""
    benchmark.group = group
    load_before = os.getloadavg()[0]
    result = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update(
        interleaved=key,
        payload=payload,
        reference=reference,
        rounds=rounds,
        load=[round(load_before, 2), round(os.getloadavg()[0], 2)],
        cores=os.cpu_count(),
        rows=result,
    )
    return {row["key"]: row for row in result}


def digest(body: bytes | Iterable[bytes]) -> str:
    """A fingerprint of a body, read chunk by chunk (for bodies too big to keep twice)."""
    h = hashlib.blake2b()
    for c in [body] if isinstance(body, bytes) else body:
        h.update(c)
    return h.hexdigest()


# -- 1 and 3: through a WSGI app: peak memory, first byte ------------------------------


def make_app(payloads: dict[str, Any]) -> flask.Flask:
    app = flask.Flask("bench_streaming")
    app.json = fastjson.FastJSONProvider(app)

    @app.get("/<name>")
    def view(name: str) -> Any:
        stream = flask.request.args["stream"] == "1"
        return fastjson.json_response(payloads[name], stream=stream)

    return app


def environ(name: str, stream: bool) -> dict[str, Any]:
    return EnvironBuilder(path=f"/{name}", query_string={"stream": int(stream)}).get_environ()


def wsgi_get(app: flask.Flask, name: str, stream: bool) -> dict[str, float]:
    """One GET through the WSGI callable: body dropped chunk by chunk; the time to the
    first chunk, the total, the size and the peak extra memory."""
    env = environ(name, stream)
    status: list[str] = []
    base = reset_peak()
    t0 = perf_counter()
    body = app(env, lambda s, headers, exc_info=None: status.append(s))
    try:
        it = iter(body)
        n = len(next(it, b""))
        first_byte = perf_counter() - t0
        for c in it:
            n += len(c)
    finally:
        close(body)
    seconds = perf_counter() - t0
    assert status == ["200 OK"]
    return with_peak({"seconds": seconds, "first_byte_s": first_byte, "bytes": n}, base)


def wsgi_body(app: flask.Flask, name: str, stream: bool) -> Iterable[bytes]:
    body = app(environ(name, stream), lambda s, headers, exc_info=None: None)
    try:
        yield from body
    finally:
        close(body)


def wsgi_rounds(sizes: Sizes) -> list[dict[str, Any]]:
    """A streamed response (``json_response(obj, stream=True)``) against the whole body
    (``stream=False``: ``dumpb``), for a float64 array and frames of two sizes."""
    payloads = {
        "array": make_array(sizes.array_wsgi),
        "frame": make_frame6(sizes.frame_wsgi),
        "frame_small": make_frame6(sizes.frame_wsgi_small),
    }
    labels = {name: label(obj) for name, obj in payloads.items()}
    app = make_app(payloads)
    # Correctness, and the warm-up (imports, caches): streamed body == whole body.
    for name, obj in payloads.items():
        whole = b"".join(wsgi_body(app, name, stream=False))
        assert digest(wsgi_body(app, name, stream=True)) == digest(whole), name
        if sizes is QUICK:
            (check_frame if isinstance(obj, pd.DataFrame) else check_array)(whole, obj)
        del whole
    rows: dict[str, Row] = {}
    for name, what in labels.items():
        for stream, how in ((True, "stream=True"), (False, "whole body, stream=False")):
            key = f"{name}-{'stream' if stream else 'whole'}"
            rows[key] = (f"{what}, {how}", lambda n=name, s=stream: wsgi_get(app, n, s))
    got = interleave(rows, sizes.rounds)
    for row in got:
        row["payload"] = labels[row["key"].rpartition("-")[0]]
    size = {row["key"]: row["bytes"] for row in got}
    for name in payloads:
        assert size[f"{name}-stream"] == size[f"{name}-whole"], name
    return got


PURGE_AT_ONCE = "dirty_decay_ms:0,muzzy_decay_ms:0"
"""jemalloc options (polars' allocator, which polars sets to keep freed pages 0.5 to 1 s)
for the WSGI rows' interpreter: freed pages go back to the system at once, so that no
row reuses pages another row left behind. It slows polars' many small allocations (the
streamed frame rows by a fifth to a third), so the WSGI rows report memory and first
byte, and throughput is measured in the groups below, in this process."""


def wsgi_child(sizes: Sizes) -> list[dict[str, Any]]:
    """The WSGI rows, interleaved in a fresh interpreter of their own (this file as a
    script); polars' jemalloc keeps freed pages for a while otherwise, and a row run
    right after another would reuse them and show a lower peak than it needs."""
    which = "quick" if sizes is QUICK else "real"
    source = str(Path(fastjson.__file__).parent.parent)  # the fastjson this process measures
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, __file__, "wsgi", which],
        # polars puts its own options first: these override them
        env={**os.environ, "_RJEM_MALLOC_CONF": PURGE_AT_ONCE, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    rows: list[dict[str, Any]] = json.loads(out.stdout.splitlines()[-1])
    return rows


def test_wsgi_peak_memory_and_first_byte(benchmark: Any, sizes: Sizes):
    record(
        benchmark,
        lambda: wsgi_child(sizes),
        key="wsgi",
        group="7 streaming: WSGI response, peak extra memory and first byte",
        payload="",
        reference="",
        rounds=sizes.rounds,
    )


# -- 2, 4, 5: body throughput: whole, chunk sizes, NDJSON, Arrow ------------------------


@pytest.fixture(scope="module")
def big_array(sizes: Sizes) -> np.ndarray:
    return make_array(sizes.array)


@pytest.fixture(scope="module")
def big_frame(sizes: Sizes) -> pd.DataFrame:
    return make_frame6(sizes.frame)


def body_rows(obj: Any) -> dict[str, Row]:
    """``dumpb`` and ``iter_encode`` at each chunk size, with their outputs checked."""
    whole = fastjson.dumpb(obj)
    expected = digest(whole)
    for size in CHUNKS.values():
        assert digest(fastjson.iter_encode(obj, chunk_size=size)) == expected, size
    rows: dict[str, Row] = {
        "dumpb": ("fastjson.dumpb (whole body)", lambda: timed(lambda: fastjson.dumpb(obj)))
    }
    for name, size in CHUNKS.items():
        default = " (default)" if size == MiB else ""
        rows[f"chunks-{name}"] = (
            f"iter_encode, {name} chunks{default}",
            lambda c=size: timed(lambda: fastjson.iter_encode(obj, chunk_size=c)),
        )
    return rows


def check_lengths(got: dict[str, dict[str, Any]]) -> None:
    for name in CHUNKS:
        assert got[f"chunks-{name}"]["bytes"] == got["dumpb"]["bytes"]


def test_array_body(benchmark: Any, sizes: Sizes, big_array: np.ndarray):
    array = big_array
    if sizes is QUICK:
        check_array(fastjson.dumpb(array), array)
    rows = body_rows(array)
    got = record(
        benchmark,
        lambda: interleave(rows, sizes.rounds),
        key="array",
        group=f"7 streaming: {label(array)}, body",
        payload=label(array),
        reference="dumpb",
        rounds=sizes.rounds,
    )
    check_lengths(got)


def test_frame_body(benchmark: Any, sizes: Sizes, big_frame: pd.DataFrame):
    frame = big_frame
    whole = fastjson.dumpb(frame)
    if sizes is QUICK:
        check_frame(whole, frame)
        ndjson = b"".join(fastjson.iter_ndjson(frame))
        assert b"[" + ndjson[:-1].replace(b"\n", b",") + b"]" == whole
        arrow = pa.ipc.open_stream(
            io.BytesIO(b"".join(arrow_chunks(arrow_form(frame))))
        ).read_pandas()
        pd.testing.assert_frame_equal(arrow, frame)
    del whole
    rows = body_rows(frame)
    rows["ndjson"] = ("iter_ndjson (NDJSON)", lambda: timed(lambda: fastjson.iter_ndjson(frame)))
    rows["arrow"] = (
        "arrow_chunks (Arrow IPC stream)",
        lambda: timed(lambda: arrow_chunks(arrow_form(frame))),
    )
    got = record(
        benchmark,
        lambda: interleave(rows, sizes.rounds),
        key="frame",
        group=f"7 streaming: {label(frame)}, body",
        payload=label(frame),
        reference="dumpb",
        rounds=sizes.rounds,
    )
    check_lengths(got)
    assert got["ndjson"]["bytes"] == got["dumpb"]["bytes"] - 1  # n newlines, not "[", n-1 ","


# -- generators: the time rule's cost on a fast producer ---------------------------------


def small_rows(n: int) -> Iterator[dict[str, Any]]:
    """A fast producer: ``n`` small dicts made as fast as Python makes them (a cursor over
    rows already fetched)."""
    return ({"id": i, "name": "sensor", "value": i * 0.5, "ok": True} for i in range(n))


def by_size_alone(n: int, ndjson: bool) -> Iterator[bytes]:
    """The former rule (before elements were also flushed by time): the same writer, with
    the generator cut into batches by size alone, as a list is."""
    from fastjson.core import encoder_for
    from fastjson.streaming import CHUNK_SIZE, _chunks, _Writer

    writer = _Writer(encoder_for({}), CHUNK_SIZE)
    if ndjson:
        return _chunks(writer._element_lines(small_rows(n), lazy=False), CHUNK_SIZE)
    return _chunks(writer._sequence(small_rows(n), 0, lazy=False), CHUNK_SIZE)


def test_generator_body(benchmark: Any, sizes: Sizes):
    n = sizes.generator
    whole = fastjson.dumpb(list(small_rows(n)))
    lines = b"".join(fastjson.dumpb(row) + b"\n" for row in small_rows(n))
    assert b"".join(fastjson.iter_encode(small_rows(n))) == whole
    assert b"".join(by_size_alone(n, ndjson=False)) == whole
    assert b"".join(fastjson.iter_ndjson(small_rows(n))) == lines
    assert b"".join(by_size_alone(n, ndjson=True)) == lines
    rows: dict[str, Row] = {
        "size": (
            "iter_encode, cut by size alone (before)",
            lambda: timed(lambda: by_size_alone(n, ndjson=False)),
        ),
        "paced": (
            "iter_encode, by size and time (now)",
            lambda: timed(lambda: fastjson.iter_encode(small_rows(n))),
        ),
        "ndjson-size": (
            "iter_ndjson, cut by size alone (before)",
            lambda: timed(lambda: by_size_alone(n, ndjson=True)),
        ),
        "ndjson-paced": (
            "iter_ndjson, by size and time (now)",
            lambda: timed(lambda: fastjson.iter_ndjson(small_rows(n))),
        ),
    }
    got = record(
        benchmark,
        lambda: interleave(rows, sizes.generator_rounds),
        key="generator",
        group=f"7 streaming: generator of {count(n)} small dicts, body",
        payload=f"generator of {count(n)} small dicts",
        reference="size",
        rounds=sizes.generator_rounds,
    )
    assert got["paced"]["bytes"] == got["size"]["bytes"] == len(whole)
    assert got["ndjson-paced"]["bytes"] == got["ndjson-size"]["bytes"] == len(lines)


# -- 6: gzip levels over the streamed chunks ----------------------------------------------


@pytest.mark.parametrize("payload", ["array", "frame"])
def test_gzip_levels(benchmark: Any, sizes: Sizes, request: pytest.FixtureRequest, payload: str):
    obj = request.getfixturevalue(f"big_{payload}")
    if sizes is QUICK:
        whole = fastjson.dumpb(obj)
        for level in GZIP_LEVELS:
            zipped = b"".join(gzip_chunks(fastjson.iter_encode(obj), level))
            assert zlib.decompress(zipped, wbits=31) == whole, level
    rows: dict[str, Row] = {
        "none": ("iter_encode, no compression", lambda: timed(lambda: fastjson.iter_encode(obj)))
    }
    for level in GZIP_LEVELS:
        rows[f"gzip-{level}"] = (
            f"gzip_chunks level {level}",
            lambda lv=level: timed(lambda: gzip_chunks(fastjson.iter_encode(obj), lv)),
        )
    record(
        benchmark,
        lambda: interleave(rows, sizes.slow_rounds),
        key=f"gzip-{payload}",
        group=f"8 gzip: {label(obj)} JSON, streamed",
        payload=label(obj),
        reference="none",
        rounds=sizes.slow_rounds,
    )


# -- 9: content codings (gzip, zstd, brotli) by level, over the streamed chunks ------------

CODED_LEVELS = {"gzip": (1, 6, 9), "zstd": (1, 3, 6, 12, 19), "br": (0, 1, 4, 6, 9)}
"""Levels measured; brotli's 10 and 11 are left out (tens of times slower than 9 for a
few percent fewer bytes: no response should wait for them)."""


def decoded(data: bytes, coding: str) -> bytes:
    if coding == "gzip":
        return zlib.decompress(data, wbits=31)
    if coding == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    import brotli

    out: bytes = brotli.decompress(data)
    return out


def test_content_codings(benchmark: Any, sizes: Sizes):
    """Bytes and time of each coding and level on a typical JSON response: a frame of
    records (hello_rest's columns, 100k rows under make bench), streamed in 1 MiB chunks
    and compressed chunk by chunk, each chunk flushed, as a response is sent."""
    frame = make_frame6(sizes.coded_rows)
    whole = fastjson.dumpb(frame)
    rows: dict[str, Row] = {
        "none": ("iter_encode, no compression", lambda: timed(lambda: fastjson.iter_encode(frame)))
    }
    for coding, levels in CODED_LEVELS.items():
        for level in levels:
            coded = b"".join(compress_chunks(fastjson.iter_encode(frame), coding, level))
            assert decoded(coded, coding) == whole, (coding, level)
            rows[f"{coding}-{level}"] = (
                f"{coding} level {level}",
                lambda c=coding, lv=level: timed(
                    lambda: compress_chunks(fastjson.iter_encode(frame), c, lv)
                ),
            )
    got = record(
        benchmark,
        lambda: interleave(rows, sizes.coded_rounds),
        key="codings",
        group=f"9 content codings: {label(frame)} records JSON, streamed",
        payload=label(frame),
        reference="none",
        rounds=sizes.coded_rounds,
    )
    assert got["none"]["bytes"] == len(whole)
    assert all(row["bytes"] < len(whole) for key, row in got.items() if key != "none")


if __name__ == "__main__":  # the WSGI rows' own interpreter: see wsgi_child
    assert sys.argv[1:2] == ["wsgi"], sys.argv
    print(json.dumps(wsgi_rounds(QUICK if sys.argv[2] == "quick" else REAL)))
