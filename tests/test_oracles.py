"""Oracle tests: fastjson against json, Flask's provider, numpy's and pandas' own conversions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from fractions import Fraction
from typing import Any

import flask
import numpy as np
import pandas as pd
import pytest
from flask.json.provider import DefaultJSONProvider
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.extra import pandas as hpd
from strictjson import strict_loads

import fastjson
from fastjson.encoders import route

BACKENDS = ("orjson", "ujson", "json")
SEP = (",", ":")
COMPACT: dict[str, Any] = {"separators": SEP, "allow_nan": False}
I64 = np.iinfo(np.int64)
NONFINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")  # JSON cannot keep two lone halves apart
chars = st.characters(exclude_categories=()) | st.sampled_from(
    '\x00\x08\x1f\x7f\x80\xe9\u2028\ufeff\U0001f600\ud800\udfff"\\/'
)
text = st.text(chars, max_size=8).filter(lambda s: not _PAIR.search(s))
EDGES = [2**53 - 1, 2**53, -(2**53), 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1]
ints = st.integers() | st.sampled_from([*EDGES, -(2**64), 10**40, -(10**40)])
finite = st.floats(allow_nan=False, allow_infinity=False)


def nested(*leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        st.one_of(st.none(), st.booleans(), ints, text, *leaves),
        lambda c: st.lists(c, max_size=4) | st.tuples(c, c) | st.dictionaries(text, c, max_size=4),
        max_leaves=20,
    )


def strict(v: Any) -> Any:
    """A type-exact form for comparisons: 1, 1.0, True, 0.0 and -0.0 all differ."""
    if isinstance(v, list | tuple):
        return [strict(x) for x in v]
    if isinstance(v, dict):
        return {k: strict(x) for k, x in v.items()}
    return (type(v).__name__, v.hex() if isinstance(v, float) else v)


def parsed(data: bytes | str, ordered: bool = False) -> Any:
    """Strictly valid, then parsed (``ordered``: objects as lists of pairs, keeping order)."""
    value = strict_loads(data)
    return strict(json.loads(data, object_pairs_hook=list) if ordered else value)


def contains(v: Any, kind: type) -> bool:
    items = v.values() if isinstance(v, dict) else v if isinstance(v, list | tuple) else ()
    return isinstance(v, kind) or any(contains(x, kind) for x in items)


def normalise(v: Any, nan: str = "null") -> Any:
    """As fastjson documents: missing -> None, non-finite per ``nan``, datetimes -> ISO."""
    if isinstance(v, dict):
        return {k: normalise(x, nan) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [normalise(x, nan) for x in v]
    v = v.item() if isinstance(v, np.generic) else v
    if isinstance(v, float) and not math.isfinite(v):
        return NONFINITE[repr(v)] if nan == "string" else None
    if v is pd.NaT or v is pd.NA:
        return None
    return v.isoformat() if isinstance(v, dt.datetime) else v


# -- 1. json --------------------------------------------------------------------
no_floats, jsonish = nested(), nested(finite)
same_kind_keys = (  # json sorts these by the keys themselves: 9 before 10
    st.dictionaries(ints, no_floats, max_size=6)
    | st.dictionaries(st.floats(allow_nan=False), no_floats, max_size=6)
    | st.dictionaries(st.booleans(), no_floats, max_size=2)
    | st.dictionaries(st.integers(-100, 100) | finite, no_floats, max_size=6)
)


@given(jsonish, st.booleans())
def test_parsed_value_and_order_equal_json(value: Any, sort_keys: bool):
    expected = json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, **COMPACT)
    ours = fastjson.dumpb(value, sort_keys=sort_keys)
    assert parsed(ours, ordered=True) == parsed(expected, ordered=True)


@given(no_floats | same_kind_keys, st.booleans())
def test_bytes_equal_json_without_float_values(value: Any, sort_keys: bool):
    for ascii_only in (True, False):  # an inf key is "Infinity" under every nan policy
        expected = json.dumps(value, ensure_ascii=ascii_only, sort_keys=sort_keys, separators=SEP)
        ours = fastjson.dumpb(value, ensure_ascii=ascii_only, sort_keys=sort_keys)
        if ascii_only or not re.search("[\ud800-\udfff]", expected):  # else not UTF-8
            assert ours == expected.encode()


@pytest.mark.parametrize("backend", BACKENDS)
@given(st.lists(finite, max_size=8))
def test_floats_equal_json_on_every_backend(backend: str, values: list[float]):
    """Bit-exact values everywhere; the json backend also spells them as json does
    (orjson and ujson write ``1e-7`` where json writes ``1e-07``, as the README says)."""
    expected = json.dumps(values, **COMPACT).encode()
    ours = fastjson.dumpb(values, ensure_ascii=True, backend=backend)
    assert [v.hex() for v in json.loads(ours)] == [float(v).hex() for v in values]
    if backend == "json":
        assert ours == expected


# -- 2. Flask -------------------------------------------------------------------
@dataclasses.dataclass
class Record:
    _private: Any
    public: Any


class HttpProvider(fastjson.FastJSONProvider):
    datetime_format = "http"


app = flask.Flask(__name__)
app.json = HttpProvider(app)
flask_reference = DefaultJSONProvider(app)
offsets = st.timedeltas(min_value=dt.timedelta(hours=-23), max_value=dt.timedelta(hours=23))
flask_values = st.recursive(
    st.none() | st.booleans() | ints | finite | text | st.dates() | st.uuids()
    | st.decimals(allow_nan=False, allow_infinity=False)  # non-finite ones follow nan
    | st.datetimes(timezones=st.none() | st.builds(dt.timezone, offsets)),
    lambda c: (
        st.lists(c, max_size=3) | st.tuples(c, c) | st.builds(Record, c, c)
        | st.dictionaries(text, c, max_size=3) | st.dictionaries(ints, c, max_size=3)
    ),
    max_leaves=15,
)  # fmt: skip


@given(flask_values)
def test_provider_dumps_byte_identical_to_flask(value: Any):
    try:
        expected = flask_reference.dumps(value)
    except (OverflowError, ValueError):  # an aware datetime that leaves the years 1-9999 in UTC
        with pytest.raises((OverflowError, ValueError)):
            app.json.dumps(value)
        return
    assert app.json.dumps(value) == expected
    ours = fastjson.dumpb(value, sort_keys=True, ensure_ascii=True, datetime_format="http")
    assert parsed(ours, ordered=True) == parsed(expected, ordered=True)


# -- 3. numpy -------------------------------------------------------------------
def edges(dtype: np.dtype[Any]) -> list[Any]:
    if dtype.kind == "f":
        fi = np.finfo(dtype)
        return [fi.max, -fi.max, fi.tiny, fi.smallest_subnormal, -0.0, np.nan, np.inf, -np.inf]
    return [np.iinfo(dtype).min, np.iinfo(dtype).max] if dtype.kind in "iu" else [True]


@st.composite
def arrays(draw: st.DrawFn, codes: list[str]) -> np.ndarray:
    """0-3 dims, either byte order, maybe a non-contiguous view, extremes included."""
    dtype = np.dtype(draw(st.sampled_from(codes)))
    shape = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
    elements = hnp.from_dtype(dtype) | st.sampled_from(edges(dtype))
    a = draw(hnp.arrays(dtype, shape, elements=elements))
    a = a.astype(a.dtype.newbyteorder(">")) if draw(st.booleans()) else a
    view = draw(st.sampled_from(["same", "step", "T"]))
    return a[::2] if view == "step" and a.ndim else a.T if view == "T" else a


def each(a: np.ndarray, f: Any) -> Any:
    return np.array([f(x) for x in a.flat], dtype=object).reshape(a.shape).tolist()


@pytest.mark.parametrize(
    "codes",
    [
        ["?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f4", "f8"],
        ["f2"],
    ],
)
@given(data=st.data())
def test_numeric_arrays_equal_tolist(codes: list[str], data: st.DataObject):
    a = data.draw(arrays(codes))
    expected = a.tolist()
    if a.dtype.kind == "f":  # at the array's own precision; NaN and infinities as null
        expected = each(a, lambda x: float(str(x)) if np.isfinite(x) else None)
    assert parsed(fastjson.dumpb(a)) == strict(expected)


@given(arrays(["i8", "u8", "i4"]))
def test_big_int_string_quotes_exactly_beyond_2_53(a: np.ndarray):
    expected = each(a, lambda x: str(int(x)) if abs(int(x)) > 2**53 - 1 else int(x))
    assert parsed(fastjson.dumpb(a, big_int="string")) == strict(expected)


SECONDS = {u: Fraction(n) for u, n in [("W", 604800), ("D", 86400), ("h", 3600), ("m", 60)]}
SECONDS |= {u: Fraction(1, 10**k) for u, k in [("s", 0), ("ms", 3), ("us", 6), ("ns", 9)]}
TICKS = st.integers(I64.min, I64.max) | st.sampled_from([I64.min, I64.min + 1, I64.max, 0])


def draw_ticks(data: st.DataObject, kind: str, units: list[str], overflow: bool) -> Any:
    """Ticks (NaT: I64.min), a unit, their array; ``overflow``: seconds beyond int64 or not."""
    unit = data.draw(st.sampled_from(units))
    scale = max(SECONDS.get(unit, 1), 1)  # fastjson counts h, m (and W, D for m8) in seconds
    wraps = TICKS.filter(lambda t: (t != I64.min and abs(t * scale) > I64.max) == overflow)
    scaled = unit in ("h", "m") or (kind == "m" and unit in ("W", "D"))
    values = data.draw(st.lists(wraps if scaled else TICKS, max_size=6))
    a = np.array(values, dtype=np.int64).view(f"{kind}8[{unit}]")
    return values, unit, a.astype(a.dtype.newbyteorder(">")) if data.draw(st.booleans()) else a


def iso(t: int, unit: str) -> str | None:
    """The oracle's string (None: NaT; "?": W beyond what numpy can count in days): numpy's
    or pandas' text, its year in ISO 8601's expanded form beyond 0-9999 (:func:`expanded`)."""
    x = np.datetime64(t, unit)
    if t == I64.min or unit in ("Y", "M", "D"):
        return None if t == I64.min else expanded(str(np.datetime_as_string(x)))
    if unit == "W":  # W gives the day
        if abs(t * 7) > I64.max:
            return "?"
        return expanded(str(np.datetime_as_string(x.astype("M8[D]"))))
    try:
        return expanded(pd.Timestamp(x).isoformat())
    except (OverflowError, ValueError):  # OutOfBoundsDatetime: beyond pandas (h and m)
        return expanded(str(np.datetime_as_string(x, unit="s")))


def expanded(text: str) -> str:
    """``-005-01-01`` (numpy) or ``10000-01-01`` as ``-000005-01-01``, ``+010000-01-01``."""
    sign, year, rest = re.fullmatch(r"(-?)(\d+)(.*)", text).groups()  # type: ignore[union-attr]
    if not sign and len(year) <= 4:
        return text
    return (sign or "+") + year.zfill(6) + rest


@pytest.mark.parametrize("units, overflow", [(["Y", "M", *SECONDS], False), (["h", "m"], True)])
@given(data=st.data())
def test_datetime64_equal_pandas_and_numpy(units: list[str], overflow: bool, data: st.DataObject):
    values, unit, a = draw_ticks(data, "M", units, overflow)
    ours = strict_loads(fastjson.dumpb(a))
    expected = [iso(t, unit) for t in values]
    assert [e if e == "?" else o for o, e in zip(ours, expected, strict=True)] == expected
    if values:
        assert strict_loads(fastjson.dumpb(a[0])) == ours[0]


@pytest.mark.parametrize("units, overflow", [(list(SECONDS), False), (list("WDhm"), True)])
@given(data=st.data())
def test_timedelta64_are_seconds(units: list[str], overflow: bool, data: st.DataObject):
    values, unit, a = draw_ticks(data, "m", units, overflow)
    for t, got in zip(values, strict_loads(fastjson.dumpb(a)), strict=True):
        exact = None if t == I64.min else float(t * SECONDS[unit])
        rounded = t != I64.min and abs(t) * max(SECONDS[unit], 1) > 2**53  # numpy's double
        assert got == exact or (rounded and math.isclose(got, exact, rel_tol=1e-15)), (t, unit)


# -- 4. pandas ------------------------------------------------------------------
COLUMNS = {
    "s": hpd.column("s", elements=text | st.none()),
    "i": hpd.column("i", dtype=np.int64),
    "f": hpd.column("f", dtype=np.float64),
    "b": hpd.column("b", dtype=bool),
    "t": hpd.column("t", dtype="datetime64[ns]"),
    "o": hpd.column("o", dtype=object, elements=st.none() | ints | finite | text | st.datetimes()),
}
ORIENTS = ("records", "split", "columns", "index", "values")
indexes = (
    hpd.range_indexes(max_size=5)
    | hpd.indexes(elements=st.integers(-20, 20), unique=True, max_size=5)
    | hpd.indexes(elements=st.text(max_size=2), unique=True, max_size=5)
)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    """Some of the columns, in any order; strings as object or as pandas' str dtype."""
    names = draw(st.permutations(list(COLUMNS)))[: draw(st.integers(1, len(COLUMNS)))]
    df = draw(hpd.data_frames([COLUMNS[n] for n in names], index=indexes))
    if "s" in names and draw(st.booleans()):  # str dtype (pyarrow) cannot hold surrogates
        df["s"] = df["s"].map(lambda v: v and v.encode(errors="replace").decode()).astype("str")
    return df


def pandas_oracle(df: pd.DataFrame, orient: str, sort_keys: bool) -> str:
    to_dict = {"columns": "dict", "values": "split"}.get(orient, orient)
    value = df.to_dict(to_dict)["data"] if orient == "values" else df.to_dict(to_dict)
    return json.dumps(normalise(value), sort_keys=sort_keys, **COMPACT)


@pytest.mark.parametrize("pure", [False, True], ids=["auto", "pure"])
@settings(max_examples=60)
@given(df=frames())
def test_frames_equal_to_dict(df: pd.DataFrame, pure: bool):
    with route("pure" if pure else "auto"):
        for orient, sort_keys in [(o, s) for o in ORIENTS for s in (False, True)]:
            expected = pandas_oracle(df, orient, sort_keys)
            for backend in BACKENDS:
                # key order: split's own keys are pandas' order; json/ujson: see below
                ordered = orient != "split" and (backend == "orjson" or not sort_keys)
                ours = fastjson.dumpb(df, orient=orient, sort_keys=sort_keys, backend=backend)
                assert parsed(ours, ordered) == parsed(expected, ordered), (orient, backend)


@pytest.mark.parametrize(
    "orient, backend",
    [
        ("split", "orjson"),
        *[(o, b) for o in ("columns", "index") for b in BACKENDS[1:]],
    ],
)
def test_frame_keys_sorted_as_json_sorts_them(orient: str, backend: str):
    df = pd.DataFrame({"b": [0, 1], "a": [2, 3]}, index=[2, 10])
    ours = fastjson.dumpb(df, orient=orient, sort_keys=True, backend=backend)
    assert parsed(ours, ordered=True) == parsed(pandas_oracle(df, orient, True), ordered=True)


# -- 5. backends ----------------------------------------------------------------
@given(nested(st.floats(), arrays(["f8", "f4", "i8", "?"])))
def test_backends_agree_under_every_nan_policy(value: Any):
    for nan in ("null", "string"):
        outputs = [fastjson.dumpb(value, backend=b, nan=nan, ensure_ascii=True) for b in BACKENDS]
        assert parsed(outputs[1]) == parsed(outputs[0]) == parsed(outputs[2])
        if not contains(value, np.ndarray):
            expected = json.dumps(normalise(value, nan), **COMPACT).encode()
            assert outputs[2] == expected  # the json backend writes json's bytes
            if not contains(value, float):
                assert outputs[0] == outputs[1] == expected
    paths = set()
    for b in BACKENDS:
        try:
            out, path = fastjson.dumpb(value, backend=b, nan="error"), None
            assert parsed(out) == parsed(fastjson.dumpb(value, backend=b, nan="string"))
        except fastjson.NonFiniteError as exc:  # else nothing non-finite: "string" wrote none
            path = exc.path
        paths.add(path)
    assert len(paths) == 1


# -- 6. round trip --------------------------------------------------------------
@given(jsonish)
def test_loads_reads_back_what_dumpb_writes(value: Any):
    assert strict(fastjson.loads(fastjson.dumpb(value))) == strict(value)
    assert strict(fastjson.loads(fastjson.dumps(value))) == strict(value)
