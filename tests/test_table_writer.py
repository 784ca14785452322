"""The differential property test of the table writer: every route writes the same bytes.

Random frames and Series (every datetime unit over years 1-9999, modern and
historical zones, big ints, float16/32, Decimal, categoricals, nullable dtypes,
strings with non-ASCII, quotes and lone surrogates, mixed objects, MultiIndex
and duplicate labels) are written in every orient under several option sets,
and held byte-identical between:

- the routes (``auto``, ``pure``, ``python``: :func:`fastjson.encoders.route`);
- ``iter_encode`` with small chunks and ``dumpb``;
- NDJSON lines and ``dumpb`` of each record;
- the polars and Arrow twins of the same data;
- the table alone and nested in a dict.

Meaning is held against an oracle no one here wrote: ``DataFrame.to_dict`` and
``Series.tolist`` for the values, :mod:`datetime` for the instants.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import os
import zoneinfo
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strictjson import strict_loads

import fastjson.streaming
from fastjson import dumpb, iter_encode, iter_ndjson
from fastjson.encoders import route

ORIENTS = ("records", "split", "columns", "index", "values")
OPTIONS: tuple[dict[str, Any], ...] = (
    {},
    {"sort_keys": True},
    {"nan": "string"},
    {"nan": "error"},
    {"big_int": "string"},
    {"ensure_ascii": True},
    {"datetime_format": "http"},
    {"indent": 2},
)
ZONES = ("UTC", "Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "Asia/Tokyo")
EXAMPLES = int(os.environ.get("FASTJSON_TABLE_EXAMPLES", "40"))
"""Examples per property; `make fuzz` runs many more."""
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

text = st.text(st.characters(codec="utf-8"), max_size=6) | st.sampled_from(
    ["", 'q"uote', "back\\slash", "new\nline", "é", "😀", "\x7f", "\u2028"]
)
surrogate_text = text | st.sampled_from(["a\ud800", "\udfff"])
floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.1, -0.0, 1e-7])
IN_CELLS = (
    pd.DataFrame({"x": [1, 2], "y": ["a", None]}, index=["r", "s"]),
    pd.Series([0.5, 2.0], index=["k", "j"], name="s"),
)
"""Tables held in cells: each must be written in the encoder's orient, however its own
table is cut."""


def column(kind: str, n: int) -> st.SearchStrategy[Any]:
    """A strategy for one column of ``n`` values of ``kind``."""
    values = {
        "int64": st.integers(-(2**63), 2**63 - 1),
        "uint64": st.integers(0, 2**64 - 1),
        "float64": floats,
        "float32": st.floats(width=32, allow_nan=True),
        "float16": st.floats(width=16, allow_nan=False, allow_infinity=False),
        "bool": st.booleans(),
        "str": text | st.none(),
        "object_str": surrogate_text | st.none(),
        "Int64": st.integers(-(2**63), 2**63 - 1) | st.none(),
        "Float64": st.floats(allow_nan=False) | st.none(),
        "boolean": st.booleans() | st.none(),
        "category": st.sampled_from(["a", "b", "é"]) | st.none(),
        "decimal": st.decimals(allow_nan=False, allow_infinity=False, places=4) | st.none(),
        "mixed": st.integers(-5, 5) | text | st.none() | st.booleans(),
        "bigint": st.integers(-(2**80), 2**80),
        "timedelta": st.integers(-(10**15), 10**15) | st.none(),
        "tables": st.sampled_from(IN_CELLS) | st.integers(-5, 5) | st.none(),
    }
    if kind.startswith("M8"):
        unit = kind[3:-1]
        per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
        if unit == "ns":  # a day inside the range: pandas converts zones near its ends
            low, high = -(2**63) + 86400 * 10**9, 2**63 - 86400 * 10**9
        else:  # years 1 to 9999
            low, high = -62135596800 * per_second, 253402214399 * per_second
        return st.lists(st.integers(low, high) | st.none(), min_size=n, max_size=n)
    return st.lists(values[kind], min_size=n, max_size=n)


KINDS = (
    "int64", "uint64", "float64", "float32", "float16", "bool", "str", "object_str",
    "Int64", "Float64", "boolean", "category", "decimal", "mixed", "bigint", "timedelta",
    "M8[s]", "M8[ms]", "M8[us]", "M8[ns]", "tables",
)  # fmt: skip


def build(kind: str, values: list[Any], zone: str | None) -> pd.Series:
    if kind.startswith("M8"):
        unit = kind[3:-1]
        ticks = np.array([np.iinfo(np.int64).min if v is None else v for v in values])
        moments = pd.Series(ticks.view(f"M8[{unit}]"))
        return moments.dt.tz_localize("UTC").dt.tz_convert(zone) if zone else moments
    dtypes = {
        "int64": "int64",
        "uint64": "uint64",
        "float64": "float64",
        "float32": "float32",
        "float16": "float16",
        "bool": "bool",
        "str": "str",
        "Int64": "Int64",
        "Float64": "Float64",
        "boolean": "boolean",
        "category": "category",
        "timedelta": "m8[us]",
    }
    if kind == "timedelta":
        return pd.Series(
            np.array([np.iinfo(np.int64).min if v is None else v for v in values]).view("m8[us]")
        )
    if kind in dtypes:
        return pd.Series(values, dtype=dtypes[kind])
    cells = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):  # (an array of the values would take a frame apart)
        cells[i] = value
    return pd.Series(cells, dtype=object)


@st.composite
def frames(draw: st.DrawFn, *, kinds: tuple[str, ...] = tuple(KINDS)) -> pd.DataFrame:
    n = draw(st.integers(0, 12))
    chosen = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=4))
    data = {}
    for k, kind in enumerate(chosen):
        zone = draw(st.none() | st.sampled_from(ZONES)) if kind.startswith("M8") else None
        values = draw(column(kind, n))
        data[f"{kind}_{k}"] = build(kind, values, zone)
    df = pd.DataFrame(data)
    labels = draw(st.sampled_from(["range", "str", "int", "dates", "multi", "dup", "offset"]))
    if labels == "str":
        df.index = pd.Index([f"r{i}é" for i in range(n)], dtype="str")
    elif labels == "int":
        df.index = pd.Index(
            draw(st.lists(st.integers(-(2**62), 2**62), min_size=n, max_size=n, unique=True))
        )
    elif labels == "dates":
        df.index = pd.date_range(
            "1850-01-01", periods=n, freq="37D", tz=draw(st.sampled_from(ZONES))
        )
    elif labels == "multi":
        df.index = pd.MultiIndex.from_arrays([np.arange(n) % 2, [f"x{i}" for i in range(n)]])
    elif labels == "dup":
        df.index = pd.Index([i // 2 for i in range(n)])
    elif labels == "offset":
        df.index = pd.RangeIndex(5, 5 + 3 * n, 3)
    return df


def outcome(obj: Any, **options: Any) -> tuple[str, Any]:
    """The bytes, or the class and path of the error: routes must agree on both."""
    try:
        return "ok", dumpb(obj, **options)
    except (TypeError, ValueError) as exc:
        return type(exc).__name__, getattr(exc, "path", None)


def assert_routes_agree(obj: Any, **options: Any) -> tuple[str, Any]:
    results = {}
    for name in ("auto", "pure", "python"):
        with route(name):  # type: ignore[arg-type]
            results[name] = outcome(obj, **options)
    assert results["pure"] == results["auto"], ("pure", options)
    assert results["python"] == results["auto"], ("python", options)
    return results["auto"]


def assert_cuts_agree(obj: Any, whole: bytes, **options: Any) -> None:
    """Streamed in chunks of 1, 7 and 64 bytes, a frame's rows in ranges of about 64
    bytes (4 MiB by default, so a small frame would be one range)."""
    with mock.patch.object(fastjson.streaming, "RANGE_BYTES", 64):
        for size in (1, 7, 64):
            assert b"".join(iter_encode(obj, chunk_size=size, **options)) == whole, size
    opener, closer = (b'{\n  "t": ', b"\n}") if options.get("indent") else (b'{"t":', b"}")
    assert dumpb({"t": obj}, **options) == opener + whole + closer


def assert_lines_agree(obj: Any, **options: Any) -> None:
    """Each NDJSON line is the bytes ``dumpb`` writes for that row: of a one-row slice,
    its one record (or element) without the brackets."""
    rows = [obj.iloc[i : i + 1] for i in range(len(obj))]
    expected = b"".join(dumpb(row, orient="records", **options)[1:-1] + b"\n" for row in rows)
    assert b"".join(iter_ndjson(obj, chunk_size=16, **options)) == expected


@SETTINGS
@given(frames(), st.sampled_from(ORIENTS), st.sampled_from(OPTIONS))
def test_frames_every_route_every_cut(df: pd.DataFrame, orient: str, options: dict[str, Any]):
    status, body = assert_routes_agree(df, orient=orient, **options)
    if status != "ok":
        return
    strict_loads(body)  # always valid JSON
    assert_cuts_agree(df, body, orient=orient, **options)
    if orient == "records":
        assert_lines_agree(df, **options)


@SETTINGS
@given(frames(), st.sampled_from(ORIENTS), st.sampled_from(OPTIONS), st.integers(0, 3))
def test_series_every_route_every_cut(
    df: pd.DataFrame, orient: str, options: dict[str, Any], k: int
):
    s = df.iloc[:, min(k, df.shape[1] - 1)]
    status, body = assert_routes_agree(s, orient=orient, **options)
    if status != "ok":
        return
    strict_loads(body)
    assert_cuts_agree(s, body, orient=orient, **options)
    if orient == "records":
        assert_lines_agree(s, **options)


@SETTINGS
@given(
    frames(kinds=("tables", "int64", "str")), st.sampled_from(ORIENTS), st.sampled_from(OPTIONS)
)
def test_tables_in_cells_keep_the_orient_every_route_every_cut(
    df: pd.DataFrame, orient: str, options: dict[str, Any]
):
    test_frames_every_route_every_cut.hypothesis.inner_test(df, orient, options)  # type: ignore[attr-defined]
    s = df.iloc[:, 0]
    status, body = assert_routes_agree(s, orient=orient, **options)
    if status == "ok":
        assert_cuts_agree(s, body, orient=orient, **options)


# -- the twins: pandas, polars and Arrow holding the same data -----------------------

TWIN_KINDS = ("int64", "float64", "bool", "str", "category", "M8[us]", "M8[ns]", "Int64")


@SETTINGS
@given(frames(kinds=TWIN_KINDS), st.sampled_from(ORIENTS), st.sampled_from(OPTIONS))
def test_pandas_polars_and_arrow_twins_write_the_same_bytes(
    df: pd.DataFrame, orient: str, options: dict[str, Any]
):
    """polars and Arrow have no index: their twin is the frame with its row positions."""
    df = df.reset_index(drop=True)
    for name in df.columns:  # the twins differ where documented: NaN, nulls in ints
        if df[name].dtype == "float64":
            df[name] = df[name].fillna(0.5)
        if str(df[name].dtype) == "Int64":
            df[name] = df[name].fillna(7)
        if isinstance(df[name].dtype, pd.DatetimeTZDtype):  # polars' zone data differs
            df[name] = df[name].dt.tz_convert("UTC")
    expected = outcome(df, orient=orient, **options)
    polars = pl.from_pandas(df)
    arrow = pa.Table.from_pandas(df, preserve_index=False)
    assert assert_routes_agree(polars, orient=orient, **options) == expected
    assert assert_routes_agree(arrow, orient=orient, **options) == expected
    if expected[0] == "ok" and orient in ("records", "values"):
        for twin in (polars, arrow):
            assert (
                b"".join(iter_encode(twin, chunk_size=7, orient=orient, **options)) == expected[1]
            )
    if expected[0] == "ok" and orient == "records":
        lines = b"".join(iter_ndjson(df, **options))
        assert b"".join(iter_ndjson(polars, **options)) == lines
        assert b"".join(iter_ndjson(arrow, **options)) == lines


# -- meaning: the oracle is pandas' own to_dict and tolist --------------------------


def expected_value(v: Any, nan: str, dtype: Any = None) -> Any:
    """What a value of ``to_dict`` means in JSON, by the README's type table (a NaN in a
    column that is not of floats is pandas' missing marker: ``null``)."""
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    floats = dtype is None or getattr(dtype, "kind", "") == "f"
    if isinstance(v, float) and math.isnan(v) and not floats:
        return None
    if isinstance(v, float | np.floating):
        if math.isfinite(v):
            return float(v)
        return (
            None
            if nan == "null"
            else {"nan": "NaN", "inf": "Infinity"}.get(repr(float(v)), "-Infinity")
        )
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, pd.Timedelta | dt.timedelta | np.timedelta64):
        return pd.Timedelta(v).value / 10**9  # exact: total_seconds() adds days and seconds
    if isinstance(v, pd.Timestamp | np.datetime64 | dt.datetime):
        return pd.Timestamp(v)
    return v


def same_meaning(actual: Any, expected: Any, dtype: Any = None) -> bool:
    if isinstance(expected, pd.Timestamp):
        return bool(pd.Timestamp(actual) == expected)  # the instant, nanoseconds included
    if isinstance(expected, float) and isinstance(actual, float):
        # float16 and float32 print their own shortest digits, which read back exactly
        # at their own precision (a subnormal 5.6e-45 is written 6e-45); float64 exactly
        kind = np.dtype(dtype) if isinstance(dtype, np.dtype) else np.dtype(np.float64)
        narrow = kind.type if kind.kind == "f" and kind.itemsize < 8 else float
        return bool(narrow(actual) == narrow(expected))
    return bool(actual == expected)


@SETTINGS
@given(
    frames(
        kinds=(
            "int64",
            "float64",
            "float32",
            "bool",
            "str",
            "Int64",
            "Float64",
            "boolean",
            "category",
            "decimal",
            "bigint",
            "timedelta",
            "M8[us]",
            "M8[ns]",
        )
    ),
    st.sampled_from(["null", "string"]),
)
def test_records_mean_what_to_dict_says(df: pd.DataFrame, nan: str):
    df = df.reset_index(drop=True)
    rows = strict_loads(dumpb(df, nan=nan))
    assert len(rows) == len(df)
    for got, want in zip(rows, df.to_dict("records"), strict=True):
        assert list(got) == [str(k) for k in want]
        for key, value in want.items():
            want_value = expected_value(value, nan, df[key].dtype)
            assert same_meaning(got[str(key)], want_value, df[key].dtype), (key, value, got)
    for name in df.columns:
        values = strict_loads(dumpb(df[name], nan=nan))
        assert all(
            same_meaning(a, expected_value(b, nan, df[name].dtype), df[name].dtype)
            for a, b in zip(values, df[name].tolist(), strict=True)
        )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.datetimes(
            min_value=dt.datetime(1, 1, 2),
            max_value=dt.datetime(9999, 12, 30),
            timezones=st.sampled_from([zoneinfo.ZoneInfo(z) for z in ZONES]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_zoned_columns_denote_the_instants_zoneinfo_gives(moments: list[dt.datetime]):
    """Every written text parses back to the exact instant (datetime's own parser)."""
    utc = [m.astimezone(dt.UTC) for m in moments]
    zone = str(moments[0].tzinfo)
    series = pd.Series(pd.DatetimeIndex(utc).tz_convert(zone)).dt.as_unit("us")
    for name in ("auto", "pure"):
        with route(name):  # type: ignore[arg-type]
            written = strict_loads(dumpb(series.to_frame("t")))
        for text, instant in zip((r["t"] for r in written), utc, strict=True):
            assert dt.datetime.fromisoformat(text) == instant, (text, instant)
