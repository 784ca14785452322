"""Every orient by blocks, on every route: the same bytes, and bounded memory.

Frames and Series are written a block of rows at a time into one buffer
(:func:`fastjson.encoders._columns.write_frame`), from each column's tokens.
These tests hold the routes (:func:`fastjson.encoders.route`: columns read
from Arrow or by numpy alone, rows stitched compiled or joined in Python) to
one output: byte for byte between the routes and between block sizes,
parsed-equal to ``df.to_dict(orient)``, and the peak memory of a big frame
within 1.5 times its output. No timings are asserted (see bench/).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from frames import COLUMNS, N
from strictjson import strict_loads

import fastjson
from fastjson import dumpb
from fastjson.encoders import _columns as cols
from fastjson.encoders import _datetimes as dates
from fastjson.encoders import _tokens as tok
from fastjson.encoders import numpy as np_enc
from fastjson.encoders import route

ORIENTS = ("records", "split", "values", "columns", "index")
ROOT = Path(__file__).resolve().parent.parent


def make_frame(n: int) -> pd.DataFrame:
    """bench/payloads.py's benchmark frame (8 columns, every common dtype, missing values),
    loaded by path: importing it as ``bench.payloads`` would make ``bench`` a namespace
    package, which Flask cannot find the root of when bench/ runs in the same session."""
    spec = importlib.util.spec_from_file_location("_payloads", ROOT / "bench" / "payloads.py")
    assert spec is not None and spec.loader is not None
    payloads = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(payloads)
    frame: pd.DataFrame = payloads.make_frame(n)
    return frame


def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few rows: many blocks, many Arrow buffers."""
    monkeypatch.setattr(cols, "BLOCK_BYTES", 64)


def outcome(obj: Any, **options: Any) -> tuple[str, Any]:
    """The bytes, or the class and path of the error."""
    try:
        return "ok", dumpb(obj, **options)
    except (TypeError, ValueError) as exc:
        return type(exc).__name__, getattr(exc, "path", str(exc))


def routes(obj: Any, monkeypatch: pytest.MonkeyPatch, **options: Any) -> tuple[str, Any]:
    """The outcome on the default route, checked equal with tiny blocks on every route."""
    default = outcome(obj, **options)
    with monkeypatch.context() as m:
        tiny_blocks(m)
        assert outcome(obj, **options) == default, "tiny blocks"
        for name in ("pure", "python"):
            with route(name):  # type: ignore[arg-type]
                assert outcome(obj, **options) == default, f"{name}, tiny blocks"
    with route("pure"):
        assert outcome(obj, **options) == default, "pure"
    return default


# -- the frames of the test suite ------------------------------------------------

INDEXES: dict[str, Any] = {
    "range": pd.RangeIndex(N),
    "range-step": pd.RangeIndex(100, 2, -14),
    "str": ["g", "f", "e\u00e9", 'd"', "c", "b", "a"],
    "int": [5, 3, 9, -1, 0, 2**40, 7],
    "float": [0.5, 1e16, -0.0, 3.25, 1e-7, 2.0, 7.0],
    "datetime": pd.date_range("2024-01-01", periods=N, freq="37min"),
    "datetime-ns": pd.DatetimeIndex(
        pd.Timestamp("2024-01-01 00:00:00.000000001") + pd.to_timedelta(range(N), unit="D")
    ),
    "multi": pd.MultiIndex.from_tuples([("a", i) for i in range(N)]),
    "mixed": [1, "a", 2.5, None, ("t", 1), "b", 3],
}
OPTIONS: list[dict[str, Any]] = [
    {},
    {"sort_keys": True},
    {"ensure_ascii": True},
    {"nan": "string"},
    {"nan": "error"},
    {"big_int": "string"},
    {"datetime_format": "http"},
    {"sort_keys": True, "ensure_ascii": True, "datetime_format": "http"},
]


def frame() -> pd.DataFrame:
    return pd.DataFrame(COLUMNS)


@pytest.mark.parametrize("orient", ORIENTS)
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o) or "defaults")
def test_every_dtype_same_bytes_on_every_route(
    orient: str, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    df = frame()
    routes(df, monkeypatch, orient=orient, **options)
    for name in COLUMNS:  # each column alone
        routes(df[[name]], monkeypatch, orient=orient, **options)
        routes(df[name], monkeypatch, orient=orient, **options)


@pytest.mark.parametrize("orient", ORIENTS)
@pytest.mark.parametrize("index", list(INDEXES))
def test_row_labels_same_bytes_on_every_route(
    orient: str, index: str, monkeypatch: pytest.MonkeyPatch
):
    df = frame().drop(columns=["timedelta"]).set_axis(INDEXES[index])
    for options in ({}, {"sort_keys": True}, {"ensure_ascii": True}):
        routes(df, monkeypatch, orient=orient, **options)
        routes(df["int64"], monkeypatch, orient=orient, **options)


@pytest.mark.parametrize("orient", ORIENTS)
def test_labels_that_are_not_strings_or_repeat(orient: str, monkeypatch: pytest.MonkeyPatch):
    df = pd.DataFrame({1: [1, 2], 2.5: ["a", "b"], ("a", "b"): [3, 4], "x": [0.5, None]})
    kind, value = routes(df, monkeypatch, orient=orient, sort_keys=True)
    assert kind == "ok"
    dup = pd.DataFrame([[1, "x"], [2, "y"]], columns=["k", "k"])
    kind, value = routes(dup, monkeypatch, orient=orient)
    if orient in ("split", "values"):
        assert kind == "ok" and strict_loads(value)["data" if orient == "split" else 0]
    else:
        assert kind == "DuplicateKeyError"
    rows = pd.DataFrame({"a": [1, 2]}, index=["x", "x"])
    kind, _ = routes(rows, monkeypatch, orient=orient)
    assert (kind == "DuplicateKeyError") == (orient in ("columns", "index"))


@pytest.mark.parametrize("orient", ORIENTS)
def test_empty_frames_and_no_columns(orient: str, monkeypatch: pytest.MonkeyPatch):
    for df in (
        pd.DataFrame(),
        pd.DataFrame({"a": [], "b": []}),
        pd.DataFrame({"a": pd.Series([], dtype="float64"), "s": pd.Series([], dtype=str)}),
        pd.DataFrame(index=[0, 1, 2]),
        pd.DataFrame(index=["x", "y"]),
    ):
        kind, value = routes(df, monkeypatch, orient=orient)
        assert kind == "ok"
        assert strict_loads(value) == oracle(df, orient)


def test_the_benchmark_dtypes_stitched_and_joined_in_python_alike():
    """The benchmark frame in every orient: compiled rows and rows joined in Python."""
    df = make_frame(5000)
    for orient in ORIENTS:
        with route("python"):
            joined = dumpb(df, orient=orient)
        assert dumpb(df, orient=orient) == joined


# -- the oracle: df.to_dict(orient) ----------------------------------------------


def normalise(v: Any) -> Any:
    """As fastjson documents: missing -> None, non-finite -> None, datetimes -> ISO,
    durations -> seconds, keys -> strings."""
    if isinstance(v, dict):
        return {key(k): normalise(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [normalise(x) for x in v]
    v = v.item() if isinstance(v, np.generic) else v
    if v is pd.NaT or v is pd.NA or v is None:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, pd.Timedelta):
        return v.total_seconds()
    return v.isoformat() if isinstance(v, dt.datetime) else v


def key(label: Any) -> str:
    return label.isoformat() if isinstance(label, dt.datetime) else str(label)


def oracle(df: pd.DataFrame, orient: str) -> Any:
    for name, dtype in df.dtypes.items():  # float32 as its shortest repr, as fastjson writes it
        if dtype == np.float32:
            df = df.assign(**{name: [float(str(x)) for x in df[name].to_numpy()]})
    if orient == "values":
        return normalise(df.to_dict("split")["data"])
    to_dict = {"columns": "dict"}.get(orient, orient)
    value = df.to_dict(to_dict)
    if orient == "split":
        value["index"] = [list(i) if isinstance(i, tuple) else i for i in value["index"]]
    return normalise(value)


@pytest.mark.parametrize("orient", ORIENTS)
@pytest.mark.parametrize("index", ["range", "range-step", "str", "int", "datetime"])
def test_parsed_equal_to_dict(orient: str, index: str, monkeypatch: pytest.MonkeyPatch):
    df = frame().drop(columns=["datetime64[us, tz]"]).set_axis(INDEXES[index])
    kind, value = routes(df, monkeypatch, orient=orient)
    assert kind == "ok"
    ours = strict_loads(value)
    assert ours == oracle(df, orient)


# -- blocks, Arrow views, ISO dates -----------------------------------------------


@pytest.mark.parametrize("orient", ORIENTS)
def test_big_frames_by_many_blocks(orient: str, monkeypatch: pytest.MonkeyPatch):
    """Blocks sized for memory (a few per frame) give the bytes of one block."""
    df = make_frame(6000)
    df.index = [f"r{6000 - i}" for i in range(6000)]
    for options in ({}, {"sort_keys": True}):
        whole = dumpb(df, orient=orient, **options)
        with monkeypatch.context() as m:
            m.setattr(cols, "BLOCK_BYTES", 8192)
            assert dumpb(df, orient=orient, **options) == whole
            with route("python"):
                assert dumpb(df, orient=orient, **options) == whole
    pf = pl.from_pandas(df.reset_index(drop=True))
    assert dumpb(pf, orient=orient) == dumpb(df.reset_index(drop=True), orient=orient)


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_iso_dates_as_timestamp_isoformat(unit: str):
    """Datetime tokens built from integer fields equal ``Timestamp.isoformat`` over years
    1-9999 (before 1970 too), with no fraction, 6 or 9 digits; NaT is ``null``."""
    rng = np.random.default_rng(11)
    per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
    low, high = (-(2**62), 2**62) if unit == "ns" else (-62135596800, 253402300799)
    ticks = rng.integers(low, high, 3000)
    if unit != "ns":
        ticks = ticks * per_second + rng.integers(0, per_second, 3000)
    ticks[::5] -= ticks[::5] % per_second  # whole seconds
    ticks[1::5] -= ticks[1::5] % 1000  # whole microseconds (or milliseconds)
    a = ticks.view(f"M8[{unit}]")
    a[::11] = np.datetime64("NaT")
    expected = [
        b"null" if np.isnat(x) else b'"' + pd.Timestamp(x).isoformat().encode() + b'"' for x in a
    ]
    assert tok.as_list(np_enc.encoded_tokens(a, fastjson.Encoder())) == expected
    strings = dates.datetime_strings(a)
    assert [b"null" if s is None else b'"' + s.encode() + b'"' for s in strings] == expected
    beyond = np.array(["-0005-01-01", "10000-01-01T00:00:01", "NaT"], dtype=f"M8[{unit}]")
    if unit != "ns":  # years beyond 0-9999: ISO 8601's expanded form, as JavaScript reads it
        expanded = ["-000005-01-01T00:00:00", "+010000-01-01T00:00:01", None]
        assert strict_loads(dumpb(beyond)) == expanded


# -- memory ------------------------------------------------------------------------

MEMORY = """
import sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {root!r} + "/bench")
import fastjson
from payloads import make_frame
from fastjson.encoders import route

route("pure" if {pure!r} else "auto").__enter__()

def status():
    out = {{}}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0]) * 1024
    return out

df = make_frame({rows})
fastjson.dumpb(df.head(2000), orient={orient!r})  # imports and first-call caches
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak starts again from here
before = status()["VmRSS"]
out = fastjson.dumpb(df, orient={orient!r})
print(status()["VmHWM"] - before, len(out))
"""


def peak_extra(orient: str, rows: int, pure: bool) -> tuple[int, int]:
    """Peak RSS over RSS before one ``dumpb(df, orient=orient)``, and the output's size."""
    code = MEMORY.format(root=str(ROOT), rows=rows, orient=orient, pure=pure)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    extra, size = map(int, result.stdout.split())
    return extra, size


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("route", ["auto", "pure"])
@pytest.mark.parametrize("orient", ORIENTS)
def test_peak_memory_within_one_and_a_half_times_the_output(orient: str, route: str):
    """Peak RSS while encoding a 400k-row frame like the benchmark's, over the RSS before,
    is at most 1.5x the output (which is part of it): the output plus a bounded block of
    work, no second copy. A fresh process per orient, so the peak is this encode's."""
    extra, size = peak_extra(orient, 400_000, pure=route == "pure")
    assert size > 30 << 20
    assert extra <= 1.5 * size, f"{orient}: {extra / size:.2f}x the output"
