"""Group 9: query results served as tables (DuckDB relations, Dask DataFrames).

Measured as bench_streaming.py measures (bench/README.md, "Big responses
(streaming)"): rows of a group interleaved in one process, round after round, every
round's figures kept; peak extra memory is VmHWM minus VmRSS after a reset (free
heap handed back, "5" written to /proc/self/clear_refs).

- **WSGI** (in an interpreter of its own, polars' allocator handing freed pages back
  at once, as bench_streaming's WSGI rows): a DuckDB query of ``range`` (4 columns)
  answered by ``respond()`` through a Flask app's WSGI callable, as JSON records, as
  NDJSON and in the ``index`` orient, the body dropped chunk by chunk: peak extra memory (budget
  :data:`PEAK_BUDGET_MIB`), time to the first byte, total time; beside them the time
  DuckDB takes to hand over its first batch.
- **Dask**: partitions made on demand (``dd.from_map``), streamed with
  ``iter_encode``: how many partitions are alive at once (at most 2) and how many were
  computed when the first chunk left (fewer than all); peak extra memory.
- **Throughput**: the stream against ``dumpb`` of the collected table.

Under ``--benchmark-disable`` (``make test``, CI) each group runs one round on small
payloads and checks every body against ``dumpb`` of the collected table.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

import dask.dataframe as dd
import duckdb
import flask
import numpy as np
import pandas as pd
import pytest
from bench_streaming import (
    PURGE_AT_ONCE,
    Row,
    count,
    interleave,
    record,
    reset_peak,
    with_peak,
)
from werkzeug.test import EnvironBuilder

import fastjson
import fastjson.streaming
from fastjson.encoders import streams
from fastjson.flask import respond

JSON = "application/json"
NDJSON = "application/x-ndjson"

PEAK_BUDGET_MIB = 96
"""Extra memory a streamed query response may take, whatever the number of rows."""


@dataclass(frozen=True)
class Sizes:
    query_rows: int
    partitions: int
    partition_rows: int
    rounds: int
    chunk_size: int = fastjson.streaming.CHUNK_SIZE
    """Chunks of the Dask stream: small payloads need small chunks for the first to leave
    before the last partition is reached."""


REAL = Sizes(8_000_000, 8, 1_000_000, rounds=3)
QUICK = Sizes(20_000, 8, 2_000, rounds=1, chunk_size=16 << 10)


@pytest.fixture(scope="module")
def sizes(request: pytest.FixtureRequest) -> Sizes:
    return QUICK if request.config.getoption("benchmark_disable") else REAL


QUERY = (
    "select range as id, range * 0.5 as x, 'row ' || range::varchar as label,"
    " range % 7 = 0 as flag from range({n})"
)
"""4 columns: integers, doubles, strings and booleans, made by DuckDB as it is read."""


def digest(chunks: Iterable[bytes]) -> str:
    h = hashlib.blake2b()
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


# -- WSGI: DuckDB through respond() ---------------------------------------------------


def make_app(connection: duckdb.DuckDBPyConnection, n: int) -> flask.Flask:
    app = flask.Flask("bench_streams")

    @app.get("/query")
    def query() -> Any:
        orient = flask.request.args.get("orient", "records")
        return respond(connection.sql(QUERY.format(n=n)), orient=orient)

    return app


def wsgi_get(app: flask.Flask, accept: str, orient: str = "records") -> dict[str, float]:
    """One GET of the query: the body dropped chunk by chunk; first byte, total, size and
    peak extra memory."""
    env = EnvironBuilder(
        path="/query", query_string={"orient": orient}, headers={"Accept": accept}
    ).get_environ()
    status: list[str] = []
    base = reset_peak()
    t0 = perf_counter()
    body = app(env, lambda s, headers, exc_info=None: status.append(s))
    try:
        it = iter(body)
        n = len(next(it, b""))
        first_byte = perf_counter() - t0
        for chunk in it:
            n += len(chunk)
    finally:
        body.close()  # type: ignore[attr-defined]
    seconds = perf_counter() - t0
    assert status == ["200 OK"]
    return with_peak({"seconds": seconds, "first_byte_s": first_byte, "bytes": n}, base)


def first_batch(connection: duckdb.DuckDBPyConnection, n: int) -> dict[str, float]:
    """How long DuckDB takes to hand over the first batch of the query: the floor of the
    first byte."""
    t0 = perf_counter()
    reader = connection.sql(QUERY.format(n=n)).to_arrow_reader(streams.BATCH_ROWS)
    batch = reader.read_next_batch()
    seconds = perf_counter() - t0
    reader.close()
    return {"seconds": seconds, "first_byte_s": seconds, "bytes": batch.num_rows}


def wsgi_rounds(sizes: Sizes) -> list[dict[str, Any]]:
    connection = duckdb.connect()
    n = sizes.query_rows
    app = make_app(connection, n)
    table = connection.sql(QUERY.format(n=n)).to_arrow_table()
    if sizes is QUICK:  # the bodies are those of the collected table
        client = app.test_client()
        assert client.get("/query").data == fastjson.dumpb(table)
        lines = client.get("/query", headers={"Accept": NDJSON}).data
        assert lines == b"".join(fastjson.iter_ndjson(table))
        keyed = client.get("/query?orient=index").data
        assert keyed == fastjson.dumpb(table, orient="index")
    del table
    for accept in (JSON, NDJSON):
        wsgi_get(app, accept)  # warm-up: imports, caches
    what = f"DuckDB {count(n)} x 4"
    rows: dict[str, Row] = {
        "json": (f"{what}, respond(): JSON records", lambda: wsgi_get(app, JSON)),
        "ndjson": (f"{what}, respond(): NDJSON", lambda: wsgi_get(app, NDJSON)),
        "index": (
            f"{what}, respond(orient='index'): JSON",
            lambda: wsgi_get(app, JSON, "index"),
        ),
        # CSV: the row for respond()'s text/csv joins here once respond() offers it.
        "batch": (f"{what}: DuckDB's first batch alone", lambda: first_batch(connection, n)),
    }
    return interleave(rows, sizes.rounds)


def wsgi_child(sizes: Sizes) -> list[dict[str, Any]]:
    """The WSGI rows in a fresh interpreter (this file as a script), as bench_streaming's."""
    which = "quick" if sizes is QUICK else "real"
    source = str(Path(fastjson.__file__).parent.parent)
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, __file__, "wsgi", which],
        env={**os.environ, "_RJEM_MALLOC_CONF": PURGE_AT_ONCE, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    rows: list[dict[str, Any]] = json.loads(out.stdout.splitlines()[-1])
    return rows


def test_query_through_wsgi(benchmark: Any, sizes: Sizes) -> None:
    got = record(
        benchmark,
        lambda: wsgi_child(sizes),
        key="query-wsgi",
        group="9 queries: DuckDB through respond(), peak extra memory and first byte",
        payload=f"DuckDB {count(sizes.query_rows)} x 4",
        reference="",
        rounds=sizes.rounds,
    )
    for key in ("json", "ndjson", "index"):
        if "peak_mib" in got[key]:
            assert max(got[key]["peak_mib"]) <= PEAK_BUDGET_MIB, (key, got[key]["peak_mib"])


# -- Dask: partitions computed as the writer reaches them ------------------------------


class Partitions:
    """Partitions made on demand, counted while they are alive."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.made = 0
        self.alive = 0
        self.most = 0

    def make(self, i: int) -> pd.DataFrame:
        part = self.build(i)
        self.made += 1
        self.alive += 1
        self.most = max(self.most, self.alive)
        weakref.finalize(part, self._freed)
        return part

    def build(self, i: int) -> pd.DataFrame:
        start = i * self.rows
        return pd.DataFrame(
            {
                "id": np.arange(start, start + self.rows),
                "x": np.arange(start, start + self.rows) * 0.25,
                "when": pd.date_range("2024-01-01", periods=self.rows, freq="s"),
            },
            index=pd.RangeIndex(start, start + self.rows),
        )

    def _freed(self) -> None:
        self.alive -= 1

    def frame(self, partitions: int) -> dd.DataFrame:
        self.made = self.alive = self.most = 0
        meta = self.build(0).iloc[:0]
        return dd.from_map(self.make, range(partitions), meta=meta)


def dask_stream(parts: Partitions, partitions: int, chunk_size: int) -> dict[str, float]:
    ddf = parts.frame(partitions)
    base = reset_peak()
    t0 = perf_counter()
    chunks = fastjson.iter_encode(ddf, chunk_size=chunk_size)
    n = len(next(chunks))
    first_byte = perf_counter() - t0
    made_at_first_byte = parts.made
    for chunk in chunks:
        n += len(chunk)
    sample = {
        "seconds": perf_counter() - t0,
        "first_byte_s": first_byte,
        "bytes": n,
        "made_at_first_byte": made_at_first_byte,
        "most_alive": parts.most,
    }
    return with_peak(sample, base)


def dask_whole(parts: Partitions, partitions: int) -> dict[str, float]:
    ddf = parts.frame(partitions)
    base = reset_peak()
    t0 = perf_counter()
    n = len(fastjson.dumpb(ddf))
    seconds = perf_counter() - t0
    sample = {
        "seconds": seconds,
        "first_byte_s": seconds,  # a whole body's first byte leaves once it is all made
        "bytes": n,
        "most_alive": parts.most,
    }
    return with_peak(sample, base)


def test_dask_partitions(benchmark: Any, sizes: Sizes) -> None:
    parts = Partitions(sizes.partition_rows)
    k = sizes.partitions
    if sizes is QUICK:
        whole = parts.frame(k).compute()
        assert b"".join(fastjson.iter_encode(parts.frame(k))) == fastjson.dumpb(whole)
    what = f"Dask {k} x {count(sizes.partition_rows)} rows x 3"
    rows: dict[str, Row] = {
        "stream": (f"{what}, iter_encode", lambda: dask_stream(parts, k, sizes.chunk_size)),
        "whole": (f"{what}, dumpb (compute, then encode)", lambda: dask_whole(parts, k)),
    }
    got = record(
        benchmark,
        lambda: interleave_with(rows, sizes.rounds, ("made_at_first_byte", "most_alive")),
        key="dask",
        group="9 queries: Dask partitions, streamed",
        payload=what,
        reference="whole",
        rounds=sizes.rounds,
    )
    stream = got["stream"]
    assert max(stream["most_alive"]) <= 2, stream["most_alive"]
    assert max(stream["made_at_first_byte"]) < k, stream["made_at_first_byte"]
    assert got["whole"]["bytes"] == stream["bytes"]


def interleave_with(
    rows: dict[str, Row], rounds: int, extra: tuple[str, ...]
) -> list[dict[str, Any]]:
    """:func:`interleave`, keeping each round's ``extra`` figures too."""
    kept: dict[str, list[dict[str, float]]] = {key: [] for key in rows}
    wrapped: dict[str, Row] = {}
    for key, (name, measure) in rows.items():

        def keep(k: str = key, m: Callable[[], dict[str, float]] = measure) -> dict[str, float]:
            sample = m()
            kept[k].append(sample)
            return sample

        wrapped[key] = (name, keep)
    out = interleave(wrapped, rounds)
    for row in out:
        for field in extra:
            if field in kept[row["key"]][0]:
                row[field] = [s[field] for s in kept[row["key"]]]
    return out


# -- throughput: the stream against dumpb of the collected table -----------------------


def drained(chunks: Iterable[bytes]) -> int:
    return sum(len(chunk) for chunk in chunks)


def timed(produce: Callable[[], int]) -> dict[str, float]:
    t0 = perf_counter()
    n = produce()
    return {"seconds": perf_counter() - t0, "bytes": n}


def test_query_throughput(benchmark: Any, sizes: Sizes) -> None:
    connection = duckdb.connect()
    query = QUERY.format(n=sizes.query_rows)
    table = connection.sql(query).to_arrow_table()
    what = f"DuckDB {count(sizes.query_rows)} x 4"
    rows: dict[str, Row] = {
        "collected": (
            f"{what}: dumpb of the collected table (collected beforehand)",
            lambda: timed(lambda: len(fastjson.dumpb(table))),
        ),
        "stream": (
            f"{what}: iter_encode of the relation (query included)",
            lambda: timed(lambda: drained(fastjson.iter_encode(connection.sql(query)))),
        ),
        "ndjson": (
            f"{what}: iter_ndjson of the relation (query included)",
            lambda: timed(lambda: drained(fastjson.iter_ndjson(connection.sql(query)))),
        ),
        "dumpb": (
            f"{what}: dumpb of the relation (to_arrow_table, then encode)",
            lambda: timed(lambda: len(fastjson.dumpb(connection.sql(query)))),
        ),
    }
    if sizes is QUICK:
        expected = fastjson.dumpb(table)
        assert b"".join(fastjson.iter_encode(connection.sql(query))) == expected
        assert fastjson.dumpb(connection.sql(query)) == expected
    got = record(
        benchmark,
        lambda: interleave(rows, sizes.rounds),
        key="query-throughput",
        group=f"9 queries: {what}, body throughput",
        payload=what,
        reference="collected",
        rounds=sizes.rounds,
    )
    assert got["stream"]["bytes"] == got["collected"]["bytes"] == got["dumpb"]["bytes"]


if __name__ == "__main__":  # the WSGI rows' own interpreter: see wsgi_child
    assert sys.argv[1:2] == ["wsgi"], sys.argv
    print(json.dumps(wsgi_rounds(QUICK if sys.argv[2] == "quick" else REAL)))
