"""iter_encode and iter_ndjson: byte-identical to dumpb, lazy, bounded, and honest about errors."""

from __future__ import annotations

import itertools
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


def test_generators_are_read_lazily_and_closed():
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
    first = next(stream)
    assert first.startswith(b'[{"i":0,"square":0},')
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
    assert next(stream).startswith(b"[0,1,2")
    with pytest.raises(fastjson.EncodeError) as info:
        list(stream)
    assert info.value.path == "$[5000]"


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
