"""polars and pyarrow: encoded natively, as the same data in a pandas frame would be.

The oracle is pandas: a polars frame and its pandas twin must give the same
JSON for every orient and option, and the same bytes where pandas holds the
dtypes one to one.
"""

from __future__ import annotations

import datetime as dt
import decimal
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strictjson import strict_loads

import fastjson
from fastjson import dumpb
from fastjson.encoders import route
from fastjson.streaming import iter_encode

ORIENTS = ("records", "values", "split", "columns", "index")
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata")
SAFE = 2**53 - 1


def pandas_twin(pf: pl.DataFrame) -> pd.DataFrame:
    """The pandas frame holding the same values as ``pf``.

    ``pf.to_pandas()``, with dates kept as dates and the integer, float and
    boolean columns that hold nulls as pandas' masked arrays, so that a null
    stays a missing value rather than becoming NaN (see the module docstring
    of :mod:`fastjson.encoders.polars`).
    """
    pdf = pf.to_pandas(date_as_object=True)
    for series in pf.iter_columns():
        if series.null_count() and (series.dtype.is_numeric() or series.dtype == pl.Boolean):
            mask = series.is_null().to_numpy()
            values = series.fill_null(False if series.dtype == pl.Boolean else 0).to_numpy()
            masked = {"b": pd.arrays.BooleanArray, "f": pd.arrays.FloatingArray}
            pdf[series.name] = masked.get(values.dtype.kind, pd.arrays.IntegerArray)(values, mask)
    return pdf


def outcome(obj: Any, **options: Any) -> tuple[str, Any]:
    """The bytes, or the class and path of the error."""
    try:
        return "ok", dumpb(obj, **options)
    except fastjson.EncodeError as exc:
        return type(exc).__name__, exc.path


# -- the property --------------------------------------------------------------


def nullable(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), values)


TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=6)
MOMENTS = st.datetimes(dt.datetime(1970, 1, 1), dt.datetime(2037, 12, 31))
COLUMNS: dict[str, tuple[st.SearchStrategy[Any], Any]] = {
    "int": (st.integers(-(2**63), 2**63 - 1), pl.Int64),
    "int_null": (nullable(st.integers(-SAFE - 2, SAFE + 2)), pl.Int64),
    "float": (nullable(st.floats()), pl.Float64),
    "str": (nullable(TEXT), pl.String),
    "bool": (st.booleans(), pl.Boolean),
    "bool_null": (nullable(st.booleans()), pl.Boolean),
    "datetime": (nullable(st.datetimes()), pl.Datetime("us")),
    "datetime_tz": (nullable(MOMENTS), None),
    "date": (nullable(st.dates()), pl.Date),
    "duration": (
        nullable(st.timedeltas(-dt.timedelta(days=10**5), dt.timedelta(days=10**5))),
        None,
    ),
}
NAMES = ("b", "a", "é", "x y", "10", "9", "B", "_z", "a1", "c0")


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    """Some of the column kinds, under names in any order, 0 to 6 rows."""
    kinds = draw(st.lists(st.sampled_from(list(COLUMNS)), min_size=1, max_size=5))
    names = draw(st.permutations(NAMES))
    n = draw(st.integers(0, 6))
    data = {}
    for name, kind in zip(names, kinds, strict=False):
        values, dtype = COLUMNS[kind]
        column = pl.Series(name, draw(st.lists(values, min_size=n, max_size=n)), dtype=dtype)
        if kind == "datetime_tz":
            column = column.cast(pl.Datetime("us")).dt.replace_time_zone(
                draw(st.sampled_from(ZONES))
            )
        data[name] = column
    return pl.DataFrame(list(data.values()))


OPTIONS = st.fixed_dictionaries(
    {
        "nan": st.sampled_from(["null", "string", "error"]),
        "sort_keys": st.booleans(),
        "big_int": st.sampled_from(["number", "string"]),
        "datetime_format": st.sampled_from(["iso", "http"]),
    }
)


@settings(max_examples=150)
@given(pf=frames(), options=OPTIONS)
def test_same_json_as_the_pandas_twin(pf: pl.DataFrame, options: dict[str, Any]):
    """Every orient: the same parsed value (or the same error, at the same path) as the
    pandas frame of the same values; the same bytes when pandas holds every dtype one to
    one (all but dates, which pandas holds as objects); Arrow the same bytes as polars."""
    pdf = pandas_twin(pf)
    table = pf.to_arrow()
    one_to_one = pl.Date not in pf.dtypes
    for orient in ORIENTS:
        ours, theirs = (
            outcome(pf, orient=orient, **options),
            outcome(pdf, orient=orient, **options),
        )
        if ours[0] != "ok" or not one_to_one:
            assert ours[0] == theirs[0]
        if ours[0] != "ok" or one_to_one:
            assert ours == theirs, orient
        else:
            assert strict_loads(ours[1]) == strict_loads(theirs[1]), orient
        assert outcome(table, orient=orient, **options) == ours


@settings(max_examples=60)
@given(pf=frames(), orient=st.sampled_from(ORIENTS))
def test_same_json_as_plain_to_pandas_under_nan_null(pf: pl.DataFrame, orient: str):
    """The invariant with ``pf.to_pandas()`` itself: nulls become NaN there, which
    ``nan="null"`` writes as null too (integers with nulls parse as equal floats)."""
    pdf = pf.to_pandas(date_as_object=True)
    assert strict_loads(dumpb(pf, orient=orient)) == strict_loads(dumpb(pdf, orient=orient))


# -- orients and forms ---------------------------------------------------------

FRAME = pl.DataFrame({"a": [1, 2], "b": ["x", None]})


@pytest.mark.parametrize(
    "orient, expected",
    [
        ("records", b'[{"a":1,"b":"x"},{"a":2,"b":null}]'),
        ("values", b'[[1,"x"],[2,null]]'),
        ("split", b'{"columns":["a","b"],"index":[0,1],"data":[[1,"x"],[2,null]]}'),
        ("columns", b'{"a":{"0":1,"1":2},"b":{"0":"x","1":null}}'),
        ("index", b'{"0":{"a":1,"b":"x"},"1":{"a":2,"b":null}}'),
    ],
)
def test_orients_take_the_row_position_as_index(orient: str, expected: bytes):
    assert dumpb(FRAME, orient=orient) == expected
    assert dumpb(FRAME.to_pandas(), orient=orient) == expected


@pytest.mark.parametrize("orient", ORIENTS)
def test_series_as_pandas_writes_it(orient: str):
    series = pl.Series("v", [1.5, None, 3.0])
    assert dumpb(series, orient=orient) == dumpb(series.to_pandas(), orient=orient)
    if orient in ("records", "values"):
        assert dumpb(series, orient=orient) == b"[1.5,null,3.0]"


@pytest.mark.parametrize(
    "orient, path",
    [
        ("records", "$.p[1].f"),
        ("values", "$.p[1][1]"),
        ("split", "$.p.data[1][1]"),
        ("columns", '$.p.f["1"]'),
        ("index", '$.p["1"].f'),
    ],
)
def test_nan_error_names_row_and_column(orient: str, path: str):
    pf = pl.DataFrame({"i": [1, 2], "f": [None, float("inf")]})
    with pytest.raises(fastjson.NonFiniteError) as caught:
        dumpb({"p": pf}, orient=orient, nan="error")
    assert caught.value.path == path and caught.value.value == float("inf")
    with pytest.raises(fastjson.NonFiniteError) as pandas_caught:
        dumpb({"p": pandas_twin(pf)}, orient=orient, nan="error")
    assert pandas_caught.value.path == path


@pytest.mark.parametrize("orient, path", [("values", "$[2]"), ("split", "$.data[2]")])
def test_series_nan_error_names_the_row(orient: str, path: str):
    with pytest.raises(fastjson.NonFiniteError) as caught:
        dumpb(pl.Series([1.0, None, float("nan")]), orient=orient, nan="error")
    assert caught.value.path == path


def test_nan_string_leaves_nulls_null():
    pf = pl.DataFrame({"f": [float("nan"), None, float("-inf")]})
    assert dumpb(pf, nan="string") == b'[{"f":"NaN"},{"f":null},{"f":"-Infinity"}]'


def test_lazy_frame_is_its_collected_frame():
    """A LazyFrame is run (tests/test_stream_sources.py streams it batch by batch)."""
    assert dumpb({"q": FRAME.lazy()}) == dumpb({"q": FRAME})


def test_temporal_forms():
    pf = pl.DataFrame(
        {
            "ns": pl.Series(
                ["2024-01-01 00:00:00.000000001", "1969-12-31 23:59:59.5", None]
            ).str.to_datetime(time_unit="ns"),
            "date": [dt.date(2024, 3, 1), dt.date(1, 1, 1), None],
            "time": [dt.time(12, 30), dt.time(1, 2, 3, 4), None],
            "dur": [dt.timedelta(seconds=1.5), dt.timedelta(days=-1), None],
        }
    )
    assert strict_loads(dumpb(pf, orient="columns")) == {
        "ns": {"0": "2024-01-01T00:00:00.000000001", "1": "1969-12-31T23:59:59.500000", "2": None},
        "date": {"0": "2024-03-01", "1": "0001-01-01", "2": None},
        "time": {"0": "12:30:00", "1": "01:02:03.000004", "2": None},
        "dur": {"0": 1.5, "1": -86400.0, "2": None},
    }
    assert (
        dumpb(pf, datetime_format="http")[:80]
        == (
            b'[{"ns":"Mon, 01 Jan 2024 00:00:00 GMT","date":"Fri, 01 Mar 2024 00:00:00 GMT","time'
        )[:80]
    )


def test_time_zone_offsets_of_seconds_are_written_in_utc_as_for_datetimes():
    """New York kept local mean time (-4:56:02) until 1883, which RFC 3339 cannot write:
    the same instant in UTC, as fastjson writes the same ``datetime``."""
    local = [dt.datetime(1850, 1, 1), dt.datetime(2024, 7, 1, 12, 0, 0, 5)]
    pf = pl.Series("t", local).dt.replace_time_zone("America/New_York").to_frame()
    expected = [["1850-01-01T04:56:02+00:00"], ["2024-07-01T12:00:00.000005-04:00"]]
    assert strict_loads(dumpb(pf, orient="values")) == expected
    assert strict_loads(dumpb(pf["t"].to_list())) == [row[0] for row in expected]
    assert dumpb(pf, orient="columns") == b'{"t":{"0":"1850-01-01T04:56:02+00:00",' + (
        b'"1":"2024-07-01T12:00:00.000005-04:00"}}'
    )


def test_decimals_as_str_of_decimal():
    values = ["1.50", "-0.05", "0.0000001", "0", "-0.00000012", "12345678901234567890.12345678"]
    series = pl.Series([decimal.Decimal(v) for v in values] + [None])
    expected = [str(d) if d is not None else None for d in series.to_list()]
    assert "1.0E-7" in expected  # the exponent form that polars' own cast does not write
    assert strict_loads(dumpb(series)) == expected
    assert strict_loads(dumpb(series.to_frame(), orient="values")) == [[v] for v in expected]


def test_categoricals_enums_and_nulls_as_their_strings():
    pf = pl.DataFrame(
        {
            "cat": pl.Series(["lo", None, "hi"], dtype=pl.Categorical),
            "enum": pl.Series(["b", "a", None], dtype=pl.Enum(["a", "b"])),
            "none": [None, None, None],
        }
    )
    expected = {"cat": ["lo", None, "hi"], "enum": ["b", "a", None], "none": [None] * 3}
    for orient in ORIENTS:
        assert dumpb(pf, orient=orient) == dumpb(pf.to_pandas(), orient=orient)
    assert strict_loads(dumpb(pf, orient="split"))["data"] == [
        list(r) for r in zip(*expected.values(), strict=True)
    ]


NESTED = pl.DataFrame(
    {
        "list": [[1.0, float("nan"), None], None, []],
        "array": pl.Series([[1, 2], [3, 4], None], dtype=pl.Array(pl.Int64, 2)),
        "struct": [{"z": 1, "a": "c0"}, None, {"z": None, "a": None}],
        "strs": [["c"], ["c1", '"'], []],
    }
)
NESTED_ROWS = [
    {"list": [1.0, None, None], "array": [1, 2], "struct": {"z": 1, "a": "c0"}, "strs": ["c"]},
    {"list": None, "array": [3, 4], "struct": None, "strs": ["c1", '"']},
    {"list": [], "array": None, "struct": {"z": None, "a": None}, "strs": []},
]


@pytest.mark.parametrize("orient", ORIENTS)
def test_nested_cells_on_both_routes(orient: str):
    """polars' writer (``nan="null"``) and the tokens (``nan="string"``) agree on nested
    cells wherever no NaN is involved, and with pandas."""
    rows = [{k: v for k, v in row.items() if k != "list"} for row in NESTED_ROWS]
    pf = NESTED.drop("list")
    fast = strict_loads(dumpb(pf, orient=orient))
    assert fast == strict_loads(dumpb(pf, orient=orient, nan="string"))
    assert fast == strict_loads(dumpb(pf.to_pandas(), orient=orient))
    if orient == "records":
        assert fast == rows


STORED_TIMES = {
    pl.Datetime("ns"): [1_704_067_200_000_000_001, None, -1],
    pl.Datetime("ms", "Asia/Tokyo"): [-5_364_662_400_000, 1_704_067_200_123],
    pl.Datetime("us"): [253_402_300_799_999_999, None],
    pl.Duration("ns"): [1, -3, None, 86_400_000_000_123],
    pl.Duration("us"): [1_500_000],
    pl.Time: [1, 86_399_999_999_999, None],
    pl.Date: [-735_000, 0, None, 2_932_897],  # years -43 and 10000: not Python's
}


@pytest.mark.parametrize("dtype", list(STORED_TIMES), ids=str)
@pytest.mark.parametrize("datetime_format", ["iso", "http"])
def test_times_in_lists_and_structs_are_written_as_in_a_column(dtype: Any, datetime_format: str):
    """A nested time is its column's text, on every route and from Arrow too: never
    Python's ``datetime`` (microseconds, zoneinfo's zones) that ``to_list`` would give."""
    stored = pl.Series("v", STORED_TIMES[dtype], dtype=pl.Int64)
    column = (stored.cast(pl.Int32) if dtype == pl.Date else stored).cast(dtype)
    options = {"datetime_format": datetime_format}
    if dtype == pl.Date and datetime_format == "http":  # no HTTP form before year 1
        column = column.slice(1, 2)
    frame = pl.DataFrame(column)
    with route("pure"):  # the column writer's text of each value, by numpy alone
        cells, records = dumpb(column, **options), dumpb(frame, **options)
    nested = frame.select(pl.col("v").implode(), s=pl.struct("v").implode())
    expected = b'[{"v":' + cells + b',"s":' + records + b"}]"
    for route_name in ("auto", "pure"):
        with route(route_name):
            assert dumpb(column, **options) == cells, route_name
            assert dumpb(nested, **options) == expected, route_name
            assert dumpb(nested.to_arrow(), **options) == expected, route_name


def test_nested_nanoseconds_are_kept():
    ns = pl.Series([1_704_067_200_000_000_001], dtype=pl.Datetime("ns"))
    frame = pl.DataFrame({"l": [ns], "d": [pl.Series([1], dtype=pl.Duration("ns"))]})
    assert dumpb(frame) == b'[{"l":["2024-01-01T00:00:00.000000001"],"d":[1e-9]}]'
    times = pl.DataFrame({"t": [pl.Series([5], dtype=pl.Int64).cast(pl.Time)]})
    assert dumpb(times) == b'[{"t":["00:00:00.000000005"]}]'


def test_nested_nan_follows_the_policy_and_null_stays_null():
    assert strict_loads(dumpb(NESTED)) == NESTED_ROWS
    assert strict_loads(dumpb(NESTED, nan="string"))[0]["list"] == [1.0, "NaN", None]


def test_sort_keys_sorts_columns_and_struct_fields():
    out = dumpb(NESTED.select("struct", "array"), sort_keys=True)
    assert out.startswith(b'[{"array":[1,2],"struct":{"a":"c0","z":1}}')


def test_big_ints_as_strings():
    pf = pl.DataFrame(
        {"i": [SAFE, SAFE + 1, -(2**63)], "u": pl.Series([0, 2**64 - 1, None], dtype=pl.UInt64)}
    )
    assert strict_loads(dumpb(pf, big_int="string")) == [
        {"i": SAFE, "u": 0},
        {"i": str(SAFE + 1), "u": str(2**64 - 1)},
        {"i": str(-(2**63)), "u": None},
    ]
    assert strict_loads(dumpb(pf))[1] == {"i": SAFE + 1, "u": 2**64 - 1}


def test_binary_that_is_not_utf8_is_refused_with_its_place():
    pf = pl.DataFrame({"n": [1, 2], "bin": [b"ok", b"\xff"]})
    with pytest.raises(fastjson.EncodeError, match="UTF-8") as caught:
        dumpb(pf)
    assert caught.value.path == "$[1].bin"
    assert dumpb(pf[:1]) == b'[{"n":1,"bin":"ok"}]'


@pytest.mark.parametrize("orient", ORIENTS)
def test_empty_frames(orient: str):
    for pf in (
        pl.DataFrame({"a": [], "b": []}, schema={"a": pl.Int64, "b": pl.String}),
        pl.DataFrame(),
    ):
        assert strict_loads(dumpb(pf, orient=orient)) == strict_loads(
            dumpb(pf.to_pandas(), orient=orient)
        )


@pytest.mark.parametrize("obj", [FRAME, FRAME["b"], FRAME.to_arrow(), FRAME.to_arrow()["a"]])
def test_streamed_as_dumpb_writes_them(obj: Any):
    assert b"".join(iter_encode({"x": obj}, chunk_size=16)) == dumpb({"x": obj})


@pytest.mark.parametrize("sort_keys", [False, True])
def test_split_members_in_pandas_order(sort_keys: bool):
    for obj in (FRAME, FRAME["b"]):
        ours = dumpb(obj, orient="split", sort_keys=sort_keys)
        assert ours == dumpb(obj.to_pandas(), orient="split", sort_keys=sort_keys)
    assert dumpb(FRAME, orient="split", sort_keys=True).startswith(b'{"columns":["a","b"],"data":')


def test_other_backends_read_the_fragment():
    for backend in ("json", "ujson"):
        assert dumpb({"f": FRAME}, backend=backend) == dumpb({"f": FRAME})


# -- the routes: columns read through Arrow, and by numpy alone -------------------


COMMON = NESTED.with_columns(
    f=pl.Series([0.1, 1e30, None]),
    g=pl.Series([float("nan"), float("inf"), -0.0]),
    t=pl.Series([dt.datetime(2024, 1, 1, 0, 0, 0, 5), None, dt.datetime(1969, 12, 31)]),
    c=pl.Series(["x", None, "é"], dtype=pl.Categorical),
    e=pl.Series(["b", "a", None], dtype=pl.Enum(["a", "b"])),
    d=pl.Series([dt.timedelta(seconds=1.5), None, dt.timedelta(days=-1)]),
    s=pl.Series(['q"', "\n", None]),
    plain=pl.Series(["a", "b\u00e9", None]),
    day=pl.Series([dt.date(1, 1, 1), None, dt.date(9999, 12, 31)]),
    n=pl.Series([None, 2, 3], dtype=pl.Int16),
    flag=pl.Series([True, None, False]),
)
"""Every dtype that is read through Arrow or written by polars' expressions on the default
route, beside the nested columns."""


@pytest.mark.parametrize("orient", ORIENTS)
@pytest.mark.parametrize(
    "options", [{}, {"nan": "string"}, {"sort_keys": True}, {"datetime_format": "http"}]
)
def test_columns_read_through_arrow_and_by_numpy_alike(orient: str, options: dict[str, Any]):
    """Arrow's buffers and polars' expressions (the default route) against ``to_list`` and
    ``to_numpy`` (the pure route), for every orient, many rows and few, and with the
    rows joined in Python."""
    many = pl.concat([COMMON] * 400)  # strings beyond 500 rows: from Arrow's buffers
    for pf in (COMMON, many, many.slice(7, 901)):
        arrow = dumpb(pf, orient=orient, **options)
        for name in ("pure", "python"):
            with route(name):  # type: ignore[arg-type]
                assert dumpb(pf, orient=orient, **options) == arrow, name
    series = COMMON["s"]
    assert dumpb(series, orient=orient) == dumpb(series.to_pandas(), orient=orient)


@pytest.mark.parametrize("rows", [3, 2500])
@pytest.mark.parametrize("options", [{}, {"nan": "string"}, {"big_int": "string"}])
def test_numeric_frames_keyed_as_their_pandas_twins(rows: int, options: dict[str, Any]):
    """A frame of numbers and booleans in ``columns`` (numpy's whole-column text, stitched
    with the labels): the bytes of its pandas twin."""
    rng = np.random.default_rng(3)
    floats = rng.normal(size=rows)
    floats[:2] = [float("nan"), -0.0]
    pf = pl.DataFrame(
        {
            "f": floats,
            "f32": rng.random(rows).astype(np.float32),
            "i": rng.integers(-(2**62), 2**62, rows),
            "u8": rng.integers(0, 255, rows).astype(np.uint8),
            "b": rng.random(rows) < 0.5,
        }
    )
    keyed = dumpb(pf, orient="columns", **options)
    assert keyed == dumpb(pf.to_pandas(), orient="columns", **options)


def test_without_pyarrow_the_bytes_are_the_same():
    """Where pyarrow is not installed, every column is read by numpy and ``to_list``."""
    script = """
        import sys
        sys.modules["pyarrow"] = None  # as if not installed
        import datetime as dt, hashlib, polars as pl, fastjson
        n = 1200
        pf = pl.DataFrame({
            "s": [f"s{k}\u00e9" if k % 7 else None for k in range(n)],
            "c": pl.Series(["x", "y", None] * (n // 3), dtype=pl.Categorical),
            "i": [k if k % 5 else None for k in range(n)],
            "l": [[k, None] for k in range(n)],
            "d": [dt.date(2024, 1, 1) + dt.timedelta(days=k) for k in range(n)],
        })
        digest = hashlib.sha256()
        for orient in ("records", "split", "values", "columns", "index"):
            digest.update(fastjson.dumpb(pf, orient=orient))
        print(digest.hexdigest())
    """
    import textwrap

    code = textwrap.dedent(script)
    without = subprocess.check_output([sys.executable, "-c", code], text=True).strip()
    with_arrow = subprocess.check_output(
        [sys.executable, "-c", code.replace('sys.modules["pyarrow"] = None', "")], text=True
    ).strip()
    assert without == with_arrow


def test_polars_needs_no_pandas():
    code = (
        "import sys, polars, fastjson; "
        "print(fastjson.dumps(polars.DataFrame({'a': [1]})), fastjson.dumps(polars.Series([2])), "
        "'pandas' in sys.modules)"
    )
    out = subprocess.check_output([sys.executable, "-c", code], text=True).strip()
    assert out == '[{"a":1}] [2] False'


# -- pyarrow -------------------------------------------------------------------

TABLE = pa.table(
    {
        "i": pa.array([1, None, 3]),
        "d64": pa.array([dt.date(2024, 1, 1), None, dt.date(1970, 1, 2)], pa.date64()),
        "ts": pa.array(
            [dt.datetime(2024, 1, 1, 0, 0, 0, 5), None, dt.datetime(2024, 7, 1)],
            pa.timestamp("ns"),
        ),
        "tz": pa.array(
            [dt.datetime(2024, 1, 1), None, dt.datetime(2024, 7, 1)],
            pa.timestamp("us", tz="-02:00"),
        ),
        "dict": pa.array(["x", None, "y"]).dictionary_encode(),
        "dec": pa.array(
            [decimal.Decimal("1.50"), None, decimal.Decimal("-0.0000001")], pa.decimal128(20, 8)
        ),
        "large": pa.array(["a", None, "b"], pa.large_string()),
        "t64": pa.array([dt.time(12, 30), None, dt.time(1, 2, 3, 4)], pa.time64("us")),
    }
)


@pytest.mark.parametrize("orient", ORIENTS)
@pytest.mark.parametrize("datetime_format", ["iso", "http"])
def test_arrow_table_as_its_to_pandas(orient: str, datetime_format: str):
    options = {"orient": orient, "datetime_format": datetime_format}
    assert strict_loads(dumpb(TABLE, **options)) == strict_loads(
        dumpb(TABLE.to_pandas(), **options)
    )
    batch = TABLE.to_batches()[0]
    assert dumpb(batch, **options) == dumpb(TABLE, **options)


def test_arrow_arrays_are_lists_whatever_the_orient():
    chunked = pa.chunked_array([pa.array([1, None]), pa.array([3])])
    for orient in ORIENTS:
        assert dumpb(chunked, orient=orient) == b"[1,null,3]"
        assert dumpb(TABLE["d64"].chunks[0], orient=orient) == b'["2024-01-01",null,"1970-01-02"]'


def test_arrow_duplicate_column_names():
    table = pa.table([pa.array([1]), pa.array(["x"])], names=["a", "a"])
    assert dumpb(table, orient="split") == b'{"columns":["a","a"],"index":[0],"data":[[1,"x"]]}'
    assert dumpb(table, orient="values") == b'[[1,"x"]]'
    with pytest.raises(fastjson.DuplicateKeyError):
        dumpb(table)


def test_arrow_types_polars_cannot_read():
    union = pa.UnionArray.from_sparse(
        pa.array([0, 1], pa.int8()), [pa.array([1, 2]), pa.array(["a", "b"])]
    )
    with pytest.raises(fastjson.EncodeError, match="polars cannot read") as caught:
        dumpb({"u": union})
    assert caught.value.path == "$.u"


def test_numpy_encoders_still_apply_to_frames_inside_frames():
    """A Series holding arrays (an Object column) goes through the registry per cell."""
    series = pl.Series("o", [np.arange(2), None], dtype=pl.Object)
    assert dumpb(series) == b"[[0,1],null]"


def test_cell_errors_name_their_place_in_polars_frames_and_series():
    """An error in a cell names its place in the orient's layout, the row position as the
    label, as for the pandas frame (one placement for every table)."""
    pf = pl.DataFrame({"n": [1, 2, 3], "b": [b"a", b"b", b"\xff"]})
    paths = {
        "records": "$[2].b",
        "values": "$[2][1]",
        "split": "$.data[2][1]",
        "columns": '$.b["2"]',
        "index": '$["2"].b',
    }
    for orient, path in paths.items():
        with pytest.raises(fastjson.EncodeError) as info:
            fastjson.dumpb(pf, orient=orient)  # type: ignore[arg-type]
        assert info.value.path == path, orient
        with pytest.raises(fastjson.EncodeError) as info:
            fastjson.dumpb(pf.to_series(1), orient=orient)  # type: ignore[arg-type]
        want = {"split": "$.data[2]", "columns": '$["2"]', "index": '$["2"]'}.get(orient, "$[2]")
        assert info.value.path == want, orient
