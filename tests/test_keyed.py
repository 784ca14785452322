"""Keyed orients (``columns``, ``index``) write each value after its key (``_tokens.keyed``):
the leads and the values cut out of their texts by their bounds and stitched, compiled or
in Python. Every test here runs both ways; every byte a separator search could misread
is here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastjson
from fastjson import Raw, dumpb
from fastjson.encoders import _tokens as cols
from fastjson.encoders import route as table_route
from fastjson.encoders._columns import TokenTable

HOSTILE = ["%", "%s", "%%", "%(x)s", '"', "\\", "\n", "a,b", ",\n  ", "\x00", "é", "\u2028", ""]


@pytest.fixture(autouse=True, params=["compiled", "python"])
def kernel(request: pytest.FixtureRequest) -> Iterator[str]:
    """How keys and values are stitched: by ``fastjson/_cstitch.c``, or in Python (as
    an install without a C compiler does; the table route ``"python"``)."""
    with table_route("auto" if request.param == "compiled" else "python"):
        yield str(request.param)


@pytest.fixture(params=["auto", "pure"])
def route(request: pytest.FixtureRequest, kernel: str) -> Iterator[str]:
    """How columns are read (through Arrow or by numpy alone), within the kernel's
    (rows joined in Python read them through Arrow)."""
    with table_route("python" if kernel == "python" else request.param):
        yield str(request.param)


def expected(mapping: dict[str, Any]) -> bytes:
    return dumpb(mapping)


@pytest.mark.parametrize("orient", ["index", "columns"])
def test_series_of_hostile_strings_under_hostile_labels(orient: str, route: str):
    s = pd.Series(HOSTILE, index=[f"k{v}" for v in HOSTILE], name="s")
    assert dumpb(s, orient=orient) == expected({f"k{v}": v for v in HOSTILE})


def test_frame_columns_orient_with_hostile_strings_and_labels(route: str):
    df = pd.DataFrame(
        {"t%s": HOSTILE, "n": np.arange(len(HOSTILE)), "f": np.linspace(0, 1, len(HOSTILE))},
        index=[f"%{i}%s" for i in range(len(HOSTILE))],
    )
    want = {c: {str(k): v for k, v in df[c].items()} for c in df.columns}
    assert json.loads(dumpb(df, orient="columns")) == json.loads(json.dumps(want))
    assert dumpb(df, orient="columns") == dumpb(want)


@pytest.mark.parametrize("orient", ["index", "columns"])
def test_numeric_labels_and_values(orient: str):
    s = pd.Series([1.5, np.nan, -0.0, 1e300, 7.0], index=[10, -3, 0, 2**40, 5])
    want = {"10": 1.5, "-3": None, "0": -0.0, str(2**40): 1e300, "5": 7.0}
    assert dumpb(s, orient=orient) == dumpb(want)


def test_empty_and_single():
    assert dumpb(pd.Series([], dtype=float), orient="index") == b"{}"
    assert dumpb(pd.Series(["%"], index=["%s"]), orient="index") == b'{"%s":"%"}'
    assert dumpb(pd.DataFrame({"a": []}), orient="columns") == b'{"a":{}}'


def test_values_that_encode_to_several_lines():
    """A registered encoder may return pretty-printed JSON: the values are joined by NUL."""

    class Box:
        pass

    registry = fastjson.Registry()
    registry.register(Box, lambda o: Raw(b'{\n  "a": [1,\n 2]\n}'))
    s = pd.Series([Box(), "%s", Box()], index=["x", "y", "z"])
    out = dumpb(s, orient="index", registry=registry)
    assert json.loads(out) == {"x": {"a": [1, 2]}, "y": "%s", "z": {"a": [1, 2]}}


def test_labels_are_written_alike_in_every_slice():
    """Keys are made 65,536 rows at a time; a missing label is written through ``str``
    (``"nan"``) and every other label as it always is (``1e-7``, as orjson writes it,
    not ``1e-07``), on both routes, whichever slice holds it."""
    n = 70_000
    index = np.arange(n, dtype=float) + 0.5
    index[3] = 1e-7
    index[-2] = 2e-7
    index[-1] = np.nan
    df = pd.DataFrame({f"c{k}": np.arange(n) for k in range(TokenTable.KEYS_KEPT)})
    df.index = index
    fast = dumpb(df, orient="columns")
    with table_route("python"):
        out = dumpb(df, orient="columns")
    assert out == fast
    keys = list(json.loads(out)["c0"])
    assert keys[:4] == ["0.5", "1.5", "2.5", "1e-7"]
    assert keys[-2:] == ["2e-7", "nan"]
    decoded = json.loads(out)
    assert decoded["c5"]["69997.5"] == 69997
    for column in decoded.values():  # every column keyed alike, every value in its place
        assert list(column) == keys
        assert list(column.values()) == list(range(n))
    assert json.loads(dumpb(df.iloc[-3:], orient="index")).keys() == {"69997.5", "2e-7", "nan"}


def test_missing_labels_among_dates():
    index = pd.Index([pd.Timestamp("2024-01-01"), None, pd.Timestamp("2024-01-02 03:04")])
    s = pd.Series([1, 2, 3], index=index)
    assert json.loads(dumpb(s, orient="index")) == {
        "2024-01-01T00:00:00": 1,
        "NaT": 2,
        "2024-01-02T03:04:00": 3,
    }


def test_keyed_itself(kernel: str):
    joined = cols.Joined(b'1\x00"%s"\x00null', b"\x00")
    numbers = cols.leads(cols.Joined(b"1,-2,3.5", b","), False)
    assert numbers.text == b',"1":,"-2":,"3.5":'
    assert numbers.as_list() == [b',"1":', b',"-2":', b',"3.5":']
    assert bytes(cols.keyed(numbers, joined)) == b',"1":1,"-2":"%s","3.5":null'
    strings = cols.leads([b'"a"', b'"%"', b'"c,\\n"'], True)
    assert bytes(cols.keyed(strings, joined)) == b',"a":1,"%":"%s","c,\\n":null'
    looked_up = cols.Lookup([b"false", b"true", b'"%s"'], np.array([1, 2, 0]))
    assert bytes(cols.keyed(strings, looked_up)) == b',"a":true,"%":"%s","c,\\n":false'
    long = b'"' + b"x" * 40 + b'"'  # a table of long tokens is joined, not padded
    looked_up = cols.Lookup([long, b"null"], np.array([1, 0, 0]))
    assert bytes(cols.keyed(strings, looked_up)) == b',"a":null,"%":' + long + b',"c,\\n":' + long
    assert cols.keyed(cols.leads([], False), cols.Joined(b"", b",")) == b""


def test_leads_of_many_slices_are_cut_by_row(kernel: str):
    """Leads kept for a whole frame are made 65,536 rows at a time and cut by block."""
    parts = [cols.leads([b"1", b"22"], False), cols.leads([b'"x"', b'"yy"', b'"z"'], True)]
    whole = cols.concatenated(parts)
    assert whole.text == b',"1":,"22":,"x":,"yy":,"z":'
    assert whole.rows(1, 4).text == b',"22":,"x":,"yy":'
    assert bytes(cols.keyed(whole.rows(1, 4), [b"a", b"b", b"c"])) == b',"22":a,"x":b,"yy":c'


@pytest.mark.parametrize("orient", ["records", "split", "values", "columns", "index"])
def test_plain_strings_are_quoted_alike_from_arrow_and_by_orjson(orient: str):
    """Strings that need no escape are quoted from Arrow's buffers; an object column's go
    through orjson: the bytes are the same, nulls and non-ASCII included."""
    values = ["a", None, "é\u2028", "", "%s", "x" * 40, "\x7f"] * 300
    df = pd.DataFrame({"s": pd.Series(values, dtype="str"), "n": np.arange(len(values))})
    df.index = [f"r{i}" for i in range(len(df))]
    assert cols.arrow_strings(df["s"].array) is not None
    twin = df.astype({"s": object})
    assert dumpb(df, orient=orient) == dumpb(twin, orient=orient)


SEPARATORS = [b",", b"\0", b"\n", b",\n  "]


@st.composite
def texts(draw: st.DrawFn) -> tuple[list[bytes], bytes, list[bytes], bytes]:
    """Keys and values of one length, each with a separator its tokens do not hold
    (tokens may hold the other bytes of a multi-byte separator, as strings do)."""
    n = draw(st.integers(1, 40))
    first_sep, second_sep = draw(st.sampled_from(SEPARATORS)), draw(st.sampled_from(SEPARATORS))

    def tokens(separator: bytes, shortest: int) -> list[bytes]:
        marker = cols._marker(separator)[0]
        token = st.binary(min_size=shortest, max_size=6).filter(
            lambda t: marker not in t and b"\0" not in t and b"\n" not in t  # as in JSON text
        )
        return draw(st.lists(token, min_size=n, max_size=n))

    # a key is never empty; a value may be, here
    return tokens(first_sep, 1), first_sep, tokens(second_sep, 0), second_sep


@given(texts(), st.booleans())
def test_keyed_pairs_every_token(
    case: tuple[list[bytes], bytes, list[bytes], bytes], looked_up: bool
):
    """Leads from a joined text by its separators, values joined or picked by code."""
    first, first_sep, second, second_sep = case
    want = b"".join(b"," + a + b":" + b for a, b in zip(first, second, strict=True))
    leads = cols.leads(cols.Joined(first_sep.join(first), first_sep), True)
    values: cols.Tokens = cols.Joined(second_sep.join(second), second_sep)
    if looked_up:
        table = sorted(set(second))
        values = cols.Lookup(table, np.array([table.index(t) for t in second]))
    for kernel in ("auto", "python"):
        with table_route(kernel):  # type: ignore[arg-type]
            assert bytes(cols.keyed(leads, values)) == want


@given(
    st.integers(0, 10**15),
    st.integers(0, 2500),
    st.sampled_from([0, 1, 9, 10, 99, 999_990]),
)
def test_counting_leads_are_the_labels_leads(start: int, count: int, near: int):
    """Leads of counting labels, built from digit patterns, equal those from the labels'
    text, across changes in the number of digits."""
    start = max(0, 10 ** len(str(start)) - near) if near else start
    labels = np.arange(start, start + count, dtype=np.int64)
    text = orjson.dumps(labels, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1]
    want = cols.leads(cols.Joined(text, b","), False)
    for counted_from in (1, cols.COUNTED_FROM):  # matrices from one label on, and as chosen
        with mock.patch.object(cols, "COUNTED_FROM", counted_from):
            got = cols.counting_leads(start, start + count)
        assert got.text == want.text
        assert got.bounds.tolist() == want.bounds.tolist()


@pytest.mark.parametrize(
    "index",
    [
        pd.RangeIndex(95, 1234),
        pd.RangeIndex(0, 2000, 3),
        pd.RangeIndex(-50, 50),
        pd.RangeIndex(10**12 - 5, 10**12 + 5),
        pd.RangeIndex(1234, 95, -1),
    ],
)
def test_range_labels(index: pd.RangeIndex, route: str):
    """Labels counting up (from digit patterns) and other ranges, in and out of order."""
    s = pd.Series(np.arange(len(index)) * 0.5, index=index)
    assert dumpb(s, orient="index") == dumpb({str(k): v for k, v in s.items()})
    df = pd.DataFrame({f"c{k}": s.to_numpy() + k for k in range(TokenTable.KEYS_KEPT)})
    df.index = index
    want = {c: {str(k): v for k, v in df[c].items()} for c in df.columns}
    assert dumpb(df, orient="columns") == dumpb(want)
    ordered = {c: {str(k): v for k, v in sorted(df[c].items())} for c in df.columns}
    assert dumpb(df, orient="columns", sort_keys=True) == dumpb(ordered)  # labels by value


@pytest.mark.parametrize(
    "index",
    [None, [f"r{i}" for i in range(40)], pd.date_range("2030-01-01", periods=40, freq="h")],
    ids=["range", "strings", "dates"],
)
def test_every_dtype_keyed_as_its_list(index: Any, route: str):
    """Each column of every common dtype (numbers with NaN and NA, strings with nulls,
    booleans, dates with NaT, categories with a missing one, durations) written keyed by
    label holds the values its list holds, in row order."""
    n = 40
    rng = np.random.default_rng(7)
    floats = rng.normal(size=n)
    floats[::7] = np.nan
    dates = pd.Series(pd.date_range("2024-01-01", periods=n, freq="37ms"))
    dates[::5] = pd.NaT
    df = pd.DataFrame(
        {
            "i": rng.integers(-(10**12), 10**12, n),
            "f": floats,
            "s": pd.Series([None if k % 6 == 0 else f'v"{k}\\,' for k in range(n)], dtype="str"),
            "o": [f"é{k}" if k % 4 else None for k in range(n)],
            "b": rng.random(n) < 0.5,
            "t": dates,
            "n": pd.array([None if k % 3 == 0 else k for k in range(n)], dtype="Int64"),
            "c": pd.Categorical([None if k % 9 == 0 else "xyz"[k % 3] for k in range(n)]),
            "d": pd.to_timedelta(rng.integers(0, 10**6, n), unit="ms"),
        }
    )
    if index is not None:
        df.index = index
    labels = list(json.loads(dumpb(df.index.to_series(), orient="index")))
    got = json.loads(dumpb(df, orient="columns"))
    for column in df.columns:
        values = json.loads(dumpb(df[column], orient="records"))
        assert got[column] == dict(zip(labels, values, strict=True)), column
        assert list(got[column]) == labels
        assert json.loads(dumpb(df[column], orient="index")) == got[column]


@pytest.mark.parametrize("nan", ["null", "string"])
@pytest.mark.parametrize("orient", ["index", "columns"])
def test_infinite_labels_are_written_as_str(nan: str, orient: str, route: str):
    """No JSON number says an infinity: such a label is written through ``str``, as a
    missing one is and as pandas writes it, whatever the ``nan`` option says of values."""
    s = pd.Series([0, 1, 2, 3], index=[np.inf, 1 / 3, -np.inf, np.nan])
    want = {"inf": 0, "0.3333333333333333": 1, "-inf": 2, "nan": 3}
    out = dumpb(s, orient=orient, nan=nan)
    assert json.loads(out) == want
    df = s.to_frame("a")
    assert json.loads(dumpb(df, orient="columns", nan=nan)) == {"a": want}
    assert json.loads(dumpb(df, orient="index", nan=nan)) == {k: {"a": v} for k, v in want.items()}


@pytest.mark.parametrize(
    "labels", [["1", 1], [np.nan, "nan"], [1.5, "1.5"]], ids=["int", "nan", "float"]
)
@pytest.mark.parametrize("orient", ["index", "columns"])
def test_mixed_labels_written_alike_are_refused(labels: list[Any], orient: str):
    """Distinct labels of an index of mixed objects that would write one key twice."""
    index = pd.Index(labels, dtype=object)
    with pytest.raises(fastjson.DuplicateKeyError, match="is duplicated"):
        dumpb(pd.Series([1, 2], index=index), orient=orient)
    with pytest.raises(fastjson.DuplicateKeyError, match="is duplicated"):
        dumpb(pd.DataFrame({"a": [1, 2]}, index=index), orient=orient)
    for obj in (pd.Series([1, 2], index=index), pd.DataFrame({"a": [1, 2]}, index=index)):
        with pytest.raises(fastjson.DuplicateKeyError, match="is duplicated"):
            b"".join(fastjson.iter_encode(obj, orient=orient))  # streamed, as by dumpb
    assert json.loads(dumpb(pd.Series([1, 2], index=index), orient="split"))["data"] == [1, 2]
