"""iter_encode and iter_ndjson: byte-identical to dumpb, lazy, bounded, and honest about errors."""

from __future__ import annotations

import itertools
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strictjson import strict_loads
from test_fuzz import HOSTILE
from test_fuzz import values as hostile_values
from test_properties import json_like

import fastjson
from fastjson import dumpb, iter_encode, iter_ndjson

OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "nan": st.sampled_from(["null", "string", "error"]),
        "sort_keys": st.booleans(),
        "indent": st.sampled_from([None, 2]),
        "ensure_ascii": st.booleans(),
        "orient": st.sampled_from(["records", "split", "columns", "index", "values"]),
        "big_int": st.sampled_from(["number", "string"]),
        "backend": st.sampled_from(["orjson", "json"]),
        "datetime_format": st.sampled_from(["iso", "http"]),
    },
)


def same_as_dumpb(value: Any, chunk_size: int, **options: Any) -> None:
    """The stream's bytes equal dumpb's, or both raise the same kind of error."""
    try:
        expected: bytes | Exception = dumpb(value, **options)
    except (TypeError, ValueError) as exc:
        expected = exc
    try:
        got: bytes | Exception = b"".join(iter_encode(value, chunk_size=chunk_size, **options))
    except (TypeError, ValueError) as exc:
        got = exc
    if isinstance(expected, Exception):
        assert isinstance(got, Exception), (expected, got)
        assert type(got) is type(expected) or isinstance(got, fastjson.EncodeError)
    else:
        assert got == expected


@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(json_like, OPTIONS, st.integers(1, 200))
def test_stream_equals_dumpb_for_json_values(value: Any, options: dict[str, Any], size: int):
    same_as_dumpb(value, size, **options)
    same_as_dumpb([value] * 40, size, **options)  # long enough to be written in pieces
    same_as_dumpb({f"k{i}": value for i in range(40)}, size, **options)


@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(hostile_values, OPTIONS, st.integers(1, 300))
def test_stream_equals_dumpb_for_arrays_frames_and_objects(
    value: Any, options: dict[str, Any], size: int
):
    same_as_dumpb(value, size, registry=HOSTILE, **options)
    same_as_dumpb([value, value], size, registry=HOSTILE, **options)


def frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    values = rng.standard_normal(n)
    values[::17] = np.nan
    return pd.DataFrame(
        {
            "i": np.arange(n),
            "f": values,
            "s": [f"s{i % 13}é" for i in range(n)],
            "t": pd.date_range("2024-01-01", periods=n, freq="37s"),
            "n": pd.array([None if i % 5 == 0 else i for i in range(n)], dtype="Int64"),
            "c": pd.Categorical([("a", "b", "c")[i % 3] for i in range(n)]),
        },
        index=[f"r{n - i}" for i in range(n)],
    )


@pytest.mark.parametrize("orient", ["records", "split", "columns", "index", "values"])
@pytest.mark.parametrize(
    "options", [{}, {"sort_keys": True}, {"indent": 2, "ensure_ascii": True}, {"nan": "string"}]
)
def test_frames_stream_in_many_chunks(orient: str, options: dict[str, Any]):
    df = frame(3000)
    chunks = list(iter_encode(df, chunk_size=16_384, orient=orient, **options))
    assert len(chunks) > 5
    assert b"".join(chunks) == dumpb(df, orient=orient, **options)  # type: ignore[arg-type]
    series = df["f"]
    chunks = list(iter_encode({"s": series}, chunk_size=4096, orient=orient, **options))
    assert len(chunks) > 5
    assert b"".join(chunks) == dumpb({"s": series}, orient=orient, **options)  # type: ignore[arg-type]


def test_arrays_stream_by_slices_of_the_leading_axis():
    a = np.random.default_rng(1).standard_normal((2000, 7))
    for value in (a, a[::3], {"data": a, "meta": {"n": 1}}, a.astype(">f4")):
        chunks = list(iter_encode(value, chunk_size=8192))
        assert len(chunks) > 5
        assert all(len(c) < 3 * 8192 for c in chunks)
        assert b"".join(chunks) == dumpb(value)
    chunks = list(iter_encode(a.T, chunk_size=8192))  # 7 rows of 2000, sent a chunk at a time
    assert len(chunks) > 7 and all(len(c) <= 2 * 8192 for c in chunks)
    assert b"".join(chunks) == dumpb(a.T)


def test_small_values_come_out_as_one_chunk():
    assert list(iter_encode({"a": [1, 2]})) == [b'{"a":[1,2]}']
    assert list(iter_encode(np.arange(3))) == [b"[0,1,2]"]


def test_generators_are_read_lazily_and_closed(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(time, "monotonic", lambda: 0.0)  # no time passes: size decides
    pulled: list[int] = []
    closed: list[bool] = []

    def rows() -> Iterator[dict[str, int]]:
        try:
            for i in itertools.count():
                pulled.append(i)
                yield {"i": i, "square": i * i}
        finally:
            closed.append(True)

    stream = iter_encode(rows(), chunk_size=1000)
    assert next(stream) == b'[{"i":0,"square":0}'  # the first element goes out at once
    assert pulled == [0]
    second = next(stream)
    assert second.startswith(b',{"i":1,"square":1},') and len(second) >= 1000
    assert 10 < len(pulled) < 1000
    stream.close()  # type: ignore[attr-defined]
    assert closed == [True]


def test_generator_output_equals_dumpb_of_its_list():
    def gen() -> Iterator[Any]:
        yield from ({"k": i, "v": np.arange(i % 4)} for i in range(500))

    assert b"".join(iter_encode(gen(), chunk_size=512)) == dumpb(list(gen()))
    assert dumpb(gen()) == dumpb(list(gen()))  # dumpb writes iterators as lists too


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (pd.DataFrame({"a": [1j] * 5000}), fastjson.EncodeError),
        (pd.DataFrame([[1, 2]] * 5000, columns=["k", "k"]), fastjson.DuplicateKeyError),
        (pd.DataFrame({"f": [0.0] * 4999 + [float("nan")]}), fastjson.NonFiniteError),
        (np.array([0.0] * 9999 + [float("inf")]), fastjson.NonFiniteError),
    ],
)
def test_errors_that_can_be_known_surface_before_the_first_byte(value: Any, error: type):
    stream = iter_encode(value, chunk_size=1024, nan="error")
    with pytest.raises(error):
        next(stream)


def test_errors_inside_frames_and_generators_name_their_place():
    df = pd.DataFrame({"f": [0.0] * 4999 + [float("nan")]})
    with pytest.raises(fastjson.NonFiniteError) as info:
        next(iter_encode({"df": df}, chunk_size=1024, nan="error"))
    assert info.value.path == "$.df[4999].f"

    def rows() -> Iterator[Any]:
        yield from range(5000)
        yield object()

    stream = iter_encode(rows(), chunk_size=1024)
    assert next(stream) == b"[0"  # the first element at once, the rest later
    with pytest.raises(fastjson.EncodeError) as info:
        list(stream)
    assert info.value.path == "$[5000]"


@pytest.mark.parametrize("orient", ["records", "split", "values", "index", "columns"])
@pytest.mark.parametrize("sort_keys", [False, True])
def test_an_error_in_a_range_is_named_as_dumpb_names_it(orient: str, sort_keys: bool):
    cells: list[Any] = [1] * 2500 + [object()] + [2] * 10
    for value in (pd.DataFrame({"a": 1, "o": cells}), pd.Series(cells, dtype=object)):
        with pytest.raises(fastjson.EncodeError) as whole:
            dumpb({"t": value}, orient=orient, sort_keys=sort_keys)
        with pytest.raises(fastjson.EncodeError) as streamed:
            b"".join(iter_encode({"t": value}, orient=orient, sort_keys=sort_keys, chunk_size=64))
        assert streamed.value.path == whole.value.path


def test_streaming_memory_is_bounded_by_the_chunk():
    a = np.random.default_rng(3).standard_normal(2_000_000)  # 16 MB in, about 38 MB out
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        total = sum(len(chunk) for chunk in iter_encode(a, chunk_size=1 << 20))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == len(dumpb(a))
    assert peak < 16 << 20, f"peak {peak / 2**20:.1f} MiB for a {total / 2**20:.0f} MiB body"


# -- NDJSON --------------------------------------------------------------------


def test_ndjson_frame_rows_are_dumpb_of_each_record():
    df = frame(500)
    body = b"".join(iter_ndjson(df, chunk_size=2048))
    lines = body.split(b"\n")
    assert lines[-1] == b""
    records = df.to_dict("records")
    assert lines[:-1] == [dumpb(r) for r in records]
    sorted_body = b"".join(iter_ndjson(df, sort_keys=True, ensure_ascii=True, indent=2))
    first = sorted_body.split(b"\n")[0]
    assert first == dumpb(records[0], sort_keys=True, ensure_ascii=True)


def test_ndjson_of_arrays_series_and_iterables():
    a = np.arange(12.0).reshape(4, 3)
    assert b"".join(iter_ndjson(a)).split(b"\n")[:-1] == [dumpb(row) for row in a]
    words = np.array([["a", "b"], ["c", '"],["']])
    assert b"".join(iter_ndjson(words)).split(b"\n")[:-1] == [dumpb(row) for row in words]
    s = pd.Series([1.5, None, 3.0], dtype="Float64")
    assert b"".join(iter_ndjson(s)) == b"1.5\nnull\n3.0\n"
    assert b"".join(iter_ndjson(x for x in [{"a": 1}, [2], "x"])) == b'{"a":1}\n[2]\n"x"\n'
    assert b"".join(iter_ndjson({"a": [1, 2]})) == b'{"a":[1,2]}\n'
    for line in b"".join(iter_ndjson(frame(50))).splitlines():
        strict_loads(line)


def test_ndjson_streams_in_chunks():
    df = frame(5000)
    chunks = list(iter_ndjson(df, chunk_size=16_384))
    assert len(chunks) > 5 and all(len(c) <= 2 * 16_384 for c in chunks)
    assert b"".join(chunks) == b"".join(iter_ndjson(df))  # chunks may end mid-line


def test_polars_and_arrow_tables_stream_and_give_ndjson():
    pl = pytest.importorskip("polars")
    pf = pl.DataFrame(
        {
            "a": np.arange(3000),
            "b": np.linspace(0, 1, 3000),
            "s": [f"x{i}é" for i in range(3000)],
            "t": pd.date_range("2024-01-01", periods=3000, freq="s"),
        }
    )
    table = pf.to_arrow()
    for value in (pf, table):
        for orient in ("records", "values", "split", "index", "columns"):
            options: dict[str, Any] = {"orient": orient, "ensure_ascii": True}
            chunks = list(iter_encode(value, chunk_size=4096, **options))
            assert b"".join(chunks) == dumpb(value, **options)
            if orient in ("records", "values"):
                assert len(chunks) > 5
        lines = b"".join(iter_ndjson(value, chunk_size=4096)).split(b"\n")
        assert len(lines) == 3001 and lines[-1] == b""
        records = strict_loads(dumpb(value))
        assert [strict_loads(line) for line in lines[:-1]] == records
    assert b"".join(iter_ndjson(pf["a"].head(3))) == b"0\n1\n2\n"
    from fastjson._http import large

    assert large(1000)(pf) and not large(100_000)(pf) and large(1000)(table)


@pytest.mark.parametrize("orient", ["records", "split", "values", "index", "columns"])
def test_a_table_in_a_cell_keeps_the_orient_when_its_table_is_cut(orient: str):
    """Cutting a table into ranges lays the ranges out in a fixed form (split's ``data``
    as rows of arrays, NDJSON as records): that form is the outer table's, never the
    orient the tables in its cells are written in."""
    inner = pd.DataFrame({"x": [1, 2]}, index=["a", "b"])
    cells = [inner, None, {"d": inner}] * 700
    for value in (pd.Series(cells, dtype=object), pd.DataFrame({"o": cells, "n": 1})):
        whole = dumpb(value, orient=orient)
        assert b"".join(iter_encode(value, orient=orient, chunk_size=64)) == whole
        assert dumpb(inner, orient=orient) in whole
        lines = b"".join(iter_ndjson(value, orient=orient, chunk_size=64)).split(b"\n")
        rows = value.to_dict("records") if isinstance(value, pd.DataFrame) else cells
        assert lines[:-1] == [dumpb(row, orient=orient) for row in rows]


def test_a_reader_of_tables_in_cells_keeps_their_orient():
    pl = pytest.importorskip("polars")
    inner = pd.DataFrame({"x": [1]})
    lazy = pl.DataFrame([pl.Series("o", [inner, None] * 3, dtype=pl.Object)]).lazy()
    for orient in ("records", "values", "index", "columns"):
        whole = dumpb(lazy, orient=orient)
        assert b"".join(iter_encode(lazy, orient=orient, chunk_size=1)) == whole
        assert whole.count(dumpb(inner, orient=orient)) == 3


# -- lazy iterators: flushed by time as well as by size --------------------------------


class FakeClock:
    """``time.monotonic`` for the pacer: time passes only when a producer says so."""

    def __init__(self) -> None:
        self.now = 100.0  # a binary fraction: the fake times below add up exactly

    def __call__(self) -> float:
        return self.now


def produced(clock: FakeClock, n: int, every: float) -> Iterator[dict[str, int]]:
    """``n`` rows, each made ``every`` seconds after the one before (on the fake clock)."""
    for i in range(n):
        if i:
            clock.now += every
        yield {"i": i}


def on_arrival(stream: Iterator[bytes], clock: FakeClock) -> list[tuple[float, bytes]]:
    """Each chunk with the fake time at which it left."""
    return [(clock.now, chunk) for chunk in stream]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(time, "monotonic", fake)
    return fake


@pytest.mark.parametrize("ndjson", [False, True], ids=["json", "ndjson"])
@pytest.mark.parametrize("every", [0.25, 2**-7, 2**-9])  # 250 ms, 7.8 ms, 1.95 ms
def test_each_element_of_a_slow_producer_leaves_as_it_arrives(
    clock: FakeClock, ndjson: bool, every: float
):
    rows = produced(clock, 6, every)
    stream = iter_ndjson(rows) if ndjson else iter_encode(rows)
    chunks = on_arrival(stream, clock)
    lines = [dumpb({"i": i}) for i in range(6)]
    if ndjson:
        expected = [line + b"\n" for line in lines]
    else:  # the closing bracket follows once the generator says it has ended
        expected = [b"[" + lines[0], *(b"," + line for line in lines[1:]), b"]"]
    assert [chunk for _, chunk in chunks] == expected
    assert [t for t, _ in chunks][:6] == [100.0 + i * every for i in range(6)]  # no wait


@pytest.mark.parametrize("ndjson", [False, True], ids=["json", "ndjson"])
def test_a_fast_producer_is_sent_every_50_ms_and_in_full_chunks(clock: FakeClock, ndjson: bool):
    """An element every 0.12 ms (2**-13 s, so the fake times add up exactly): batched, and
    what waits leaves with the first element to arrive 50 ms or more after the last flush
    (the 410th: 410 * 2**-13 s is 50.05 ms); the bytes are those of dumpb."""
    every, per_flush = 2**-13, 410
    rows = produced(clock, 2000, every)
    stream = (iter_ndjson if ndjson else iter_encode)(rows, chunk_size=1 << 20)
    chunks = on_arrival(stream, clock)
    times = [t - 100.0 for t, _ in chunks]
    assert times[:5] == [k * per_flush * every for k in range(5)]
    assert len(chunks) == 6  # the first element, four flushes by time, the rest at the end
    separators = [chunk.count(b"\n" if ndjson else b",") for _, chunk in chunks[1:5]]
    assert separators == [per_flush] * 4  # each with its leading "," (JSON), or "\n"s
    body = b"".join(chunk for _, chunk in chunks)
    expected = [{"i": i} for i in range(2000)]
    if ndjson:
        assert body == b"".join(dumpb(row) + b"\n" for row in expected)
    else:
        assert body == dumpb(expected)


def test_a_producer_with_no_pause_is_cut_by_size_alone(clock: FakeClock):
    rows = produced(clock, 20_000, 0.0)
    chunks = list(iter_encode(rows, chunk_size=4096))
    assert chunks[0] == b'[{"i":0}'
    assert all(len(chunk) >= 4096 for chunk in chunks[1:-1])
    assert b"".join(chunks) == dumpb([{"i": i} for i in range(20_000)])


def test_lists_are_never_flushed_by_time(clock: FakeClock):
    """A list is in memory: nothing to wait for, so it is cut by size alone even when the
    clock jumps (here on every reading of it)."""

    def ticking() -> float:
        clock.now += 1.0
        return clock.now

    time.monotonic = ticking  # restored by the fixture's monkeypatch
    values = list(range(5000))
    assert list(iter_encode(values, chunk_size=1 << 20)) == [dumpb(values)]
    assert list(iter_ndjson(values, chunk_size=1 << 20)) == [
        b"".join(dumpb(v) + b"\n" for v in values)
    ]


@pytest.mark.parametrize("lazy", [False, True])
def test_ndjson_batches_name_the_element_that_fails(lazy):
    """Lines are encoded a batch at a time and joined in one piece; an element that fails
    deep in a batch is still named by its place, and what precedes it is the same bytes."""
    items = [{"i": k} for k in range(2000)] + [object(), {"i": -1}]
    source = iter(items) if lazy else items
    chunks = fastjson.iter_ndjson(source, chunk_size=1 << 10)
    written = b""
    with pytest.raises(fastjson.EncodeError) as caught:
        for chunk in chunks:
            written += chunk
    assert caught.value.path == "$[2000]"
    assert b"".join(fastjson.dumpb(x) + b"\n" for x in items[:2000]).startswith(written)


def test_ndjson_of_big_elements_keeps_pieces_near_the_chunk():
    """A batch holds as many lines as make about a chunk: big elements go one at a time."""
    big = [{"v": "x" * 100_000} for _ in range(20)]
    pieces = list(fastjson.iter_ndjson(iter(big), chunk_size=64 << 10))
    assert b"".join(pieces) == b"".join(fastjson.dumpb(x) + b"\n" for x in big)
    assert max(map(len, pieces)) <= 2 * 100_020
