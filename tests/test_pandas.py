"""pandas: every dtype and orient, on every route alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
from frames import COLUMNS
from hypothesis import given, settings
from hypothesis import strategies as st
from strictjson import strict_loads

import fastjson
from fastjson import dumpb
from fastjson.encoders import route


@pytest.fixture
def pure() -> Iterator[None]:
    """Force the pure (no polars) route."""
    with route("pure"):
        yield


def both_paths(df: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, **options: Any) -> Any:
    """Encode on both paths, check they agree, return the parsed value."""
    fast = strict_loads(dumpb(df, **options))
    with route("pure"):
        slow = strict_loads(dumpb(df, **options))
    assert fast == slow
    return fast


EXPECTED_ROW_1 = {
    "int64": 10**15,
    "uint8": 1,
    "float64": 1 / 3,
    "float32": 2.5,
    "bool": False,
    "str": None,
    "datetime64[ns]": "2024-01-01T00:00:00.500000",
    "datetime64[us, tz]": "2024-07-01T00:00:00+02:00",
    "timedelta": None,
    "Int64": None,
    "Float64": None,
    "boolean": None,
    "string": None,
    "category": "hi",
}


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(COLUMNS)


def test_records_every_dtype_on_both_paths(frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch):
    rows = both_paths(frame, monkeypatch)
    assert rows[1] == EXPECTED_ROW_1
    assert rows[0]["datetime64[us, tz]"] == "2024-01-01T00:00:00+01:00"
    assert rows[3]["datetime64[ns]"] == "1969-12-31T23:59:59.000000001"
    assert [r["float64"] for r in rows[2:5]] == [None, None, None]
    assert rows[6]["float64"] == 1.7976931348623157e308
    assert rows[0]["float32"] == 0.1
    assert rows[5]["timedelta"] == 0.000001
    assert rows[3]["Int64"] == 2**62


@pytest.mark.parametrize("name", list(COLUMNS))
def test_each_dtype_alone_on_both_paths(name: str, monkeypatch: pytest.MonkeyPatch):
    rows = both_paths(pd.DataFrame({name: COLUMNS[name]}), monkeypatch)
    assert rows[1] == {name: EXPECTED_ROW_1[name]}


@pytest.mark.parametrize("orient", ["values", "split"])
def test_row_orients_on_both_paths(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, orient: str
):
    out = both_paths(frame, monkeypatch, orient=orient)
    data = out if orient == "values" else out["data"]
    assert data[1] == list(EXPECTED_ROW_1.values())


def test_row_orients_with_strings_that_look_like_the_rewritten_bytes(
    monkeypatch: pytest.MonkeyPatch,
):
    """Strings that look like the row layout (`{"c0":`, `,"c1":`, `}`, brackets) are
    cells like any other on both routes: polars builds rows from escaped cells."""
    tricky = ['{"c0":', ',"c1":', "}\n", '"},{"c1":x', "\\", '\\","c1":', "]", "[{"]
    tricky += ["cat", "x,", "{", ',"c', '{"c', '"c1":', "c", ""]
    df = pd.DataFrame({"a": tricky, "b": tricky[::-1], "c": range(len(tricky))})
    for orient in ("values", "split"):
        out = both_paths(df, monkeypatch, orient=orient)
        data = out if orient == "values" else out["data"]
        assert data == [
            [a, b, c] for a, b, c in zip(tricky, tricky[::-1], range(len(tricky)), strict=True)
        ]
    wide = pd.DataFrame({f"col{i}": [f"c{i}", ",", None] for i in range(12)})  # keys c10, c11
    assert both_paths(wide, monkeypatch, orient="values") == [
        [f"c{i}" for i in range(12)],
        [","] * 12,
        [None] * 12,
    ]
    dup = pd.DataFrame([[1, "x"], [2, "y"]], columns=["k", "k"])
    assert both_paths(dup, monkeypatch, orient="values") == [[1, "x"], [2, "y"]]


def test_floats_are_bit_exact_unlike_to_json(monkeypatch: pytest.MonkeyPatch):
    values = np.random.default_rng(1).standard_normal(1000) * 10.0 ** np.arange(-150, 150, 0.3)
    df = pd.DataFrame({"x": values})
    rows = both_paths(df, monkeypatch)
    assert [r["x"] for r in rows] == values.tolist()
    assert [r["x"] for r in json.loads(df.to_json(orient="records"))] != values.tolist()


def test_mixed_object_columns_take_the_pure_path(monkeypatch: pytest.MonkeyPatch):
    df = pd.DataFrame({"o": [1, "a", None, {"k": np.int64(2)}, [1.5], np.nan, pd.Timestamp(0)]})
    assert [r["o"] for r in both_paths(df, monkeypatch)] == [
        1,
        "a",
        None,
        {"k": 2},
        [1.5],
        None,
        "1970-01-01T00:00:00",
    ]


def test_object_column_of_strings(monkeypatch: pytest.MonkeyPatch):
    df = pd.DataFrame({"s": pd.Series(["a", None, np.nan, "b"], dtype=object)})
    assert both_paths(df, monkeypatch) == [{"s": "a"}, {"s": None}, {"s": None}, {"s": "b"}]


def test_non_string_column_names_become_strings(monkeypatch: pytest.MonkeyPatch):
    df = pd.DataFrame({1: [1], 2.5: [2], ("a", "b"): [3]})
    assert both_paths(df, monkeypatch) == [{"1": 1, "2.5": 2, "('a', 'b')": 3}]


@pytest.mark.parametrize("orient", ["records", "columns", "index"])
def test_duplicate_column_names_are_a_clear_error(orient: str):
    df = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(ValueError, match="column name 'a' is duplicated"):
        dumpb({"df": df}, orient=orient)


def test_duplicate_column_names_are_fine_in_split_and_values():
    df = pd.DataFrame([[1, 2]], columns=["a", "a"])
    assert dumpb(df, orient="values") == b"[[1,2]]"
    assert json.loads(dumpb(df, orient="split"))["columns"] == ["a", "a"]


def test_empty_frames(monkeypatch: pytest.MonkeyPatch):
    assert both_paths(pd.DataFrame(), monkeypatch) == []
    assert both_paths(pd.DataFrame({"a": []}), monkeypatch) == []
    assert both_paths(pd.DataFrame(index=[0, 1]), monkeypatch) == [{}, {}]
    for orient in ["split", "columns", "index", "values"]:
        assert strict_loads(dumpb(pd.DataFrame(), orient=orient)) is not None


@pytest.mark.parametrize("orient", ["split", "columns", "index", "values", "records"])
@pytest.mark.parametrize(
    "index",
    [
        None,
        ["x", "y", "z"],
        pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
        [0.5, 1.5, 2.5],
        pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)]),
    ],
    ids=["range", "str", "datetime", "float", "multi"],
)
def test_orients_match_pandas_meanings(orient: str, index: Any):
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["p", "q", None]}, index=index)
    ours = strict_loads(dumpb(df, orient=orient))
    theirs = json.loads(df.to_json(orient=orient, date_format="iso"))
    if orient == "split" and isinstance(df.index, pd.DatetimeIndex):
        theirs["index"] = [t.isoformat() for t in df.index]
    if orient in ("columns", "index") and isinstance(df.index, pd.DatetimeIndex):
        return  # pandas writes epoch milliseconds as keys there; ours are ISO
    if orient in ("columns", "index") and isinstance(df.index, pd.MultiIndex):
        return  # pandas refuses a MultiIndex for these orients; ours uses str(label)
    assert ours == theirs


def test_index_orient_with_datetime_keys():
    df = pd.DataFrame({"a": [1]}, index=pd.to_datetime(["2024-01-01 00:00:00.5"]))
    assert strict_loads(dumpb(df, orient="index")) == {"2024-01-01T00:00:00.500000": {"a": 1}}


def test_duplicate_index_labels_refused_for_keyed_orients():
    df = pd.DataFrame({"a": [1, 2]}, index=["x", "x"])
    with pytest.raises(ValueError, match="index label 'x'"):
        dumpb(df, orient="index")


class TestSeries:
    s = pd.Series([1.5, np.nan, 3.0], index=["a", "b", "c"], name="x")

    def test_default_is_a_list_of_values(self):
        assert strict_loads(dumpb({"s": self.s})) == {"s": [1.5, None, 3.0]}

    def test_orients(self):
        assert strict_loads(dumpb(self.s, orient="index")) == {"a": 1.5, "b": None, "c": 3.0}
        assert strict_loads(dumpb(self.s, orient="split")) == {
            "name": "x",
            "index": ["a", "b", "c"],
            "data": [1.5, None, 3.0],
        }
        assert strict_loads(dumpb(self.s, orient="values")) == [1.5, None, 3.0]

    def test_nan_policies(self):
        assert strict_loads(dumpb(self.s, nan="string")) == [1.5, "NaN", 3.0]
        with pytest.raises(ValueError, match=r"at \$\.s\[1\]"):
            dumpb({"s": self.s}, nan="error")

    def test_datetime_and_categorical_series(self):
        s = pd.Series(pd.to_datetime(["2024-01-01", None]))
        assert strict_loads(dumpb(s)) == ["2024-01-01T00:00:00", None]
        c = pd.Series(pd.Categorical([1, 2, None, 1]))
        assert strict_loads(dumpb(c)) == [1, 2, None, 1]


def test_frame_nan_policies(frame: pd.DataFrame):
    sub = frame[["float64", "Float64"]]
    rows = strict_loads(dumpb(sub, nan="string"))
    assert [r["float64"] for r in rows[2:5]] == ["NaN", "Infinity", "-Infinity"]
    assert rows[1]["Float64"] is None
    with pytest.raises(ValueError, match=r"at \$\.df\[2\]\.float64"):
        dumpb({"df": sub}, nan="error")
    assert strict_loads(dumpb(frame[["Float64"]], nan="error"))[1] == {"Float64": None}


def test_index_and_multiindex():
    assert dumpb(pd.Index([1, 2])) == b"[1,2]"
    assert strict_loads(dumpb(pd.DatetimeIndex(["2024-01-01", None]))) == [
        "2024-01-01T00:00:00",
        None,
    ]
    assert dumpb(pd.MultiIndex.from_tuples([(1, "a"), (2, "b")])) == b'[[1,"a"],[2,"b"]]'


def test_scalars():
    values = [
        pd.Timestamp("2024-01-01T00:00:00.000000001", tz="UTC"),
        pd.Timestamp("2024-01-01 12:00"),
        pd.NaT,
        pd.NA,
        pd.Timedelta(seconds=1.5),
        pd.Period("2024-01", freq="M"),
    ]
    assert strict_loads(dumpb(values)) == [
        "2024-01-01T00:00:00.000000001+00:00",
        "2024-01-01T12:00:00",
        None,
        None,
        1.5,
        "2024-01",
    ]
    assert dumpb([pd.Timestamp("2024-01-01", tz="UTC")], datetime_format="http") == (
        b'["Mon, 01 Jan 2024 00:00:00 GMT"]'
    )


def test_extension_arrays():
    assert dumpb(pd.array([1, None], dtype="Int64")) == b"[1,null]"
    assert dumpb(pd.Categorical(["a", None])) == b'["a",null]'


@pytest.mark.parametrize("backend", ["json", "ujson"])
def test_other_backends_give_the_same_values(frame: pd.DataFrame, backend: str):
    assert strict_loads(dumpb(frame, backend=backend)) == strict_loads(dumpb(frame))


def test_pandas_is_only_imported_when_needed():
    import subprocess
    import sys

    code = "import fastjson, sys; fastjson.dumpb([1]); print('pandas' in sys.modules)"
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "False"


def test_frames_inside_structures(frame: pd.DataFrame):
    out = strict_loads(fastjson.dumpb({"meta": {"n": len(frame)}, "rows": frame.head(2)}))
    assert out["meta"] == {"n": len(frame)}
    assert out["rows"][1] == EXPECTED_ROW_1


def test_common_dtypes_are_encoded_per_column_not_per_cell(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
):
    """Only mixed object columns may encode cell by cell; a 1,000-row frame needs few calls."""
    calls = []
    original = fastjson.Encoder.encode
    monkeypatch.setattr(
        fastjson.Encoder, "encode", lambda self, o: calls.append(o) or original(self, o)
    )
    big = pd.concat([frame] * 150, ignore_index=True)
    for orient in ("records", "split", "columns", "index", "values"):
        calls.clear()
        with route("pure"):
            fastjson.dumpb(big, orient=orient)
        assert len(calls) < 50, (orient, len(calls))


_TEXT = st.text(st.characters(codec="utf-8"), max_size=8)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), _TEXT), max_size=30),
    cut=st.integers(0, 5),
    chunked=st.booleans(),
)
def test_arrow_string_tokens_are_orjsons(values: list[str | None], cut: int, chunked: bool):
    """Arrow-backed strings are joined from their buffers when none needs an escape; the
    tokens are orjson's either way (slices and several chunks included)."""
    from fastjson.encoders import _tokens as cols
    from fastjson.encoders._pandas_columns import encoded_column

    s = pd.Series(values, dtype="str")
    if chunked:
        s = pd.concat([s, pd.Series(["tail", None], dtype="str")], ignore_index=True)
    s = s.iloc[min(cut, len(s)) :]
    want = [orjson.dumps(None if v is None or v != v else v) for v in s.array.tolist()]
    fast = cols.arrow_strings(s.array)
    if fast is not None:
        assert cols.as_list(fast) == want
    assert cols.as_list(encoded_column(s, fastjson.Encoder())) == want
    labels = map(str, s.index)
    assert dumpb(s, orient="index") == dumpb(dict(zip(labels, s.array.tolist(), strict=True)))


def test_long_arrow_string_columns_take_the_buffers(pure: None):
    from fastjson.encoders import _tokens as cols

    values = [None if i % 7 == 0 else f"v{i} é %s" for i in range(3000)]
    s = pd.Series(values, dtype="str").iloc[5:]
    assert cols.arrow_strings(s.array) is not None
    want = [None if v is None else v for v in values[5:]]
    assert strict_loads(dumpb(s)) == want
    assert strict_loads(dumpb(s.to_frame(), orient="values")) == [[v] for v in want]
    assert strict_loads(dumpb(s, orient="index")) == dict(
        zip(map(str, s.index), want, strict=True)
    )


def test_string_series_and_arrays_as_lists():
    """Lists of strings come from the column's joined tokens: Arrow buffers, orjson, or
    one by one for a lone surrogate (which only Python-backed strings can hold)."""
    long = pd.Series([f"v{i}" if i % 9 else None for i in range(1200)], dtype="str")
    assert strict_loads(dumpb(long)) == [None if v != v else v for v in long.array.tolist()]
    assert dumpb(pd.array(["a", None], dtype="str")) == b'["a",null]'
    surrogate = pd.Series(["a\ud800", None], dtype="string[python]")
    assert dumpb(surrogate) == b'["a\\ud800",null]'
    assert dumpb(surrogate.array) == b'["a\\ud800",null]'


@pytest.mark.parametrize(
    "index",
    [
        pd.Index([f"r{i}" for i in range(12)], dtype="str"),
        pd.Index([f"r{i}" for i in range(12)], dtype=object),
        pd.Index([f"r{i}" if i % 5 else None for i in range(12)], dtype="str"),
        pd.Index(np.arange(12) * 1.5),
        pd.Index(np.arange(12) % 2 == 0),
        pd.date_range("2024-01-01", periods=12, freq="h", tz="Europe/Paris"),
        pd.timedelta_range("1s", periods=12),
        pd.period_range("2024-01", periods=12, freq="M"),
        pd.interval_range(0, 12),
        pd.CategoricalIndex(list("abcabcabcabc")),
        pd.RangeIndex(3, 27, 2),
        pd.MultiIndex.from_arrays([np.arange(12), list("xyzxyzxyzxyz")]),
    ],
    ids=lambda index: type(index).__name__ + str(index.dtype),
)
def test_index_rows_are_the_index_sliced(index: pd.Index):
    """Labels are sliced by block without pandas' per-slice hash table, and are the same
    labels of the same kind as ``index[rows]``, even once the table is built."""
    from fastjson.encoders._pandas_columns import index_rows

    assert index.is_unique or not index.is_unique  # builds the hash table
    for rows in (slice(2, 9), slice(0, 0), np.array([5, 1, 11])):
        sliced = index_rows(index, rows)
        pd.testing.assert_index_equal(sliced, index[rows], exact="equiv", check_freq=False)


KEYED_ORIENTS = """
import sys
for name in sys.argv[1:]:
    sys.modules[name] = None  # its import fails: as where it is not installed (or built)
import numpy as np, pandas as pd, fastjson
n = 1500
rng = np.random.default_rng(11)
df = pd.DataFrame({
    "f": rng.normal(size=n), "i": rng.integers(0, 10**6, n), "b": rng.random(n) < 0.5,
    "t": pd.date_range("2024-01-01", periods=n, freq="min"),
    "s": np.array([f"%s,{k}" for k in range(n)], dtype=object),
    "c": pd.Categorical(np.array(list("xyz") * 500, dtype=object)),
})
for index in (None, np.array([f"r{k}" for k in range(n)], dtype=object)):
    if index is not None:
        df.index = index
    for orient in ("columns", "index"):
        sys.stdout.buffer.write(fastjson.dumpb(df, orient=orient) + b"\\n")
        sys.stdout.buffer.write(fastjson.dumpb(df["f"], orient=orient) + b"\\n")
"""


def test_keyed_orients_without_pyarrow_or_the_compiled_stitch():
    """Without pyarrow, or where ``fastjson/_cstitch.c`` was not built (rows joined in
    Python), the keyed orients give the same bytes."""
    import subprocess
    import sys

    def run(*missing: str) -> bytes:
        command = [sys.executable, "-c", KEYED_ORIENTS, *missing]
        return subprocess.run(command, capture_output=True, check=True).stdout

    everything = run()
    assert everything.count(b"\n") == 8
    assert run("pyarrow") == everything
    assert run("fastjson._cstitch") == everything
    assert run("pyarrow", "fastjson._cstitch") == everything


@pytest.mark.parametrize("orient", ["records", "split", "values", "columns", "index"])
def test_nullable_booleans_with_missing_values(orient: str):
    """Arrow-backed and masked booleans holding NA (their placeholder is False, not 0)."""
    df = pd.DataFrame(
        {
            "a": pd.array([True, None, False], dtype="bool[pyarrow]"),
            "b": pd.array([None, False, True], dtype="boolean"),
        }
    )
    want = {"a": [True, None, False], "b": [None, False, True]}
    got = json.loads(dumpb(df, orient=orient))
    assert got == json.loads(pd.DataFrame(want).to_json(orient=orient))
    for name, values in want.items():
        series = json.loads(dumpb(df[name], orient="records"))
        assert series == values
        assert json.loads(dumpb(df[name].array)) == values


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("tz", [None, "UTC", "Europe/Paris", "America/New_York"])
def test_arrow_timestamps_as_their_numpy_twins(unit: str, tz: str | None):
    """Arrow-backed timestamps (with NaT, from before 1970) are written as the same moments
    in numpy's datetime64 are, in every orient and date format."""
    import pyarrow as pa

    moments = pd.Series(
        pd.date_range("1969-12-31 23:59", periods=1200, freq="1537ms", tz=tz)
        if tz
        else pd.date_range("1969-12-31 23:59", periods=1200, freq="1537ms")
    ).dt.floor("s" if unit == "s" else "ms")
    moments[::97] = pd.NaT
    twin = moments.astype(f"datetime64[{unit}, {tz}]" if tz else f"datetime64[{unit}]")
    arrow = twin.astype(pd.ArrowDtype(pa.timestamp(unit, tz=tz)))
    for orient in ("records", "split", "columns", "index"):
        assert dumpb(arrow.to_frame("t"), orient=orient) == dumpb(
            twin.to_frame("t"), orient=orient
        )
        assert dumpb(arrow, orient=orient) == dumpb(twin, orient=orient)
    assert dumpb(arrow, datetime_format="http") == dumpb(twin, datetime_format="http")
    assert dumpb(arrow.iloc[:0]) == b"[]"
