"""numpy arrays and scalars: every dtype family, memory layout, NaN policies."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from strictjson import strict_loads

from fastjson import EncodeError, dumpb, iter_encode

NUMERIC = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
FLOATS = ["float16", "float32", "float64"]


@pytest.mark.parametrize("dtype", NUMERIC)
def test_integer_and_bool_dtypes(dtype: str):
    a = np.arange(12).reshape(3, 4).astype(dtype)
    assert json.loads(dumpb({"a": a})) == {"a": a.tolist()}


@pytest.mark.parametrize("dtype", FLOATS)
def test_float_dtypes_print_their_shortest_repr(dtype: str):
    a = np.array([0.1, 1.5, -2.25, 1e4], dtype=dtype)
    parsed = json.loads(dumpb(a))
    assert np.array_equal(np.array(parsed, dtype=dtype), a)
    assert dumpb(np.float32(0.1)) == b"0.1"


def test_extreme_integers():
    a = np.array([np.iinfo(np.uint64).max, 0], dtype=np.uint64)
    b = np.array([np.iinfo(np.int64).min], dtype=np.int64)
    assert json.loads(dumpb([a, b])) == [[2**64 - 1, 0], [-(2**63)]]


@pytest.mark.parametrize(
    "view",
    [
        lambda a: a[::2],
        lambda a: a.reshape(4, 6).T,
        lambda a: np.asfortranarray(a.reshape(4, 6)),
        lambda a: a.reshape(4, 6)[:, 1:3],
        lambda a: a.astype(">f8"),
        lambda a: a.astype(">i4").reshape(6, 4)[::-1],
    ],
    ids=["step", "transpose", "fortran", "slice", "big-endian-float", "big-endian-int-reversed"],
)
def test_any_memory_layout(view: Any):
    a = view(np.arange(24, dtype=np.float64))
    assert json.loads(dumpb(a)) == a.tolist()


def test_zero_d_and_empty_arrays():
    assert dumpb(np.array(1.5)) == b"1.5"
    assert dumpb(np.array(3, dtype=np.int8)) == b"3"
    assert dumpb(np.zeros((0,))) == b"[]"
    assert dumpb(np.zeros((3, 0))) == b"[[],[],[]]"
    assert dumpb(np.zeros((0, 3))) == b"[]"


def test_scalars():
    values = [np.bool_(True), np.int8(-3), np.uint64(2**64 - 1), np.float16(0.5), np.float64(2.5)]
    assert json.loads(dumpb(values)) == [True, -3, 2**64 - 1, 0.5, 2.5]


def test_scalar_keys():
    assert dumpb({np.int64(1): "a"}) == b'{"1":"a"}'
    out = json.loads(dumpb({np.float32(0.1): 1, np.bool_(False): 2, np.str_("s"): 3}))
    assert out == {"0.1": 1, "false": 2, "s": 3}


class TestNonFinite:
    a = np.array([[1.0, np.nan], [np.inf, -np.inf]])

    def test_null(self):
        assert strict_loads(dumpb(self.a)) == [[1.0, None], [None, None]]

    def test_string(self):
        out = strict_loads(dumpb({"a": self.a}, nan="string"))
        assert out == {"a": [[1.0, "NaN"], ["Infinity", "-Infinity"]]}

    def test_error_names_the_element(self):
        with pytest.raises(ValueError, match=r"at \$\.a\[0\]\[1\]"):
            dumpb({"a": self.a}, nan="error")

    def test_scalars(self):
        assert strict_loads(dumpb([np.float32("nan"), np.float64("inf")])) == [None, None]
        assert strict_loads(dumpb([np.float32("nan")], nan="string")) == ["NaN"]
        with pytest.raises(ValueError, match=r"\$\[0\]"):
            dumpb([np.float16("inf")], nan="error")

    @pytest.mark.parametrize("dtype", ["float32", "float16"])
    def test_narrow_floats(self, dtype: str):
        a = np.array([1, np.nan, np.inf], dtype=dtype)
        assert strict_loads(dumpb(a, nan="string")) == [1.0, "NaN", "Infinity"]


class TestDatetime64:
    @pytest.mark.parametrize(
        ("unit", "expected"),
        [
            ("Y", "2024"),
            ("M", "2024-03"),
            ("D", "2024-03-05"),
            ("h", "2024-03-05T06:00:00"),
            ("m", "2024-03-05T06:07:00"),
            ("s", "2024-03-05T06:07:08"),
            ("ms", "2024-03-05T06:07:08.009000"),
            ("us", "2024-03-05T06:07:08.009010"),
            ("ns", "2024-03-05T06:07:08.009010011"),
        ],
    )
    def test_every_unit_is_iso_and_nat_is_null(self, unit: str, expected: str):
        a = np.array(["2024-03-05T06:07:08.009010011", "NaT"], dtype="M8[ns]").astype(
            f"M8[{unit}]"
        )
        assert strict_loads(dumpb(a)) == [expected, None]

    def test_nanoseconds_are_kept_and_whole_seconds_have_no_fraction(self):
        a = np.array(["2024-01-01T00:00:00", "2024-01-01T00:00:00.000000001"], dtype="M8[ns]")
        assert strict_loads(dumpb(a)) == ["2024-01-01T00:00:00", "2024-01-01T00:00:00.000000001"]

    def test_before_1970(self):
        a = np.array(["1969-12-31T23:59:59.5"], dtype="M8[ms]")
        assert strict_loads(dumpb(a)) == ["1969-12-31T23:59:59.500000"]

    def test_scalars(self):
        assert dumpb([np.datetime64("2024-01-01T12:00"), np.datetime64("NaT")]) == (
            b'["2024-01-01T12:00:00",null]'
        )

    def test_picoseconds(self):
        a = np.array([1], dtype="M8[ps]")
        assert strict_loads(dumpb(a)) == ["1970-01-01T00:00:00.000000000001"]

    @pytest.mark.parametrize("unit", ["ps", "fs", "as"])
    def test_units_finer_than_ns_follow_the_fractions_rule(self, unit: str):
        """Whole seconds have no fraction, whole nanoseconds six or nine digits, as in
        every unit; only a value finer than that has all the unit's digits."""
        per_ns = {"ps": 10**3, "fs": 10**6, "as": 10**9}[unit]
        ticks = [0, 10**9 * per_ns, 2_000 * per_ns, 3 * per_ns, -per_ns, 1]
        a = np.array([*ticks, "NaT"], dtype=f"M8[{unit}]")
        digits = {"ps": 12, "fs": 15, "as": 18}[unit]
        assert strict_loads(dumpb(a)) == [
            "1970-01-01T00:00:00",
            "1970-01-01T00:00:01",
            "1970-01-01T00:00:00.000002",
            "1970-01-01T00:00:00.000000003",
            "1969-12-31T23:59:59.999999999",
            "1970-01-01T00:00:00." + "0" * (digits - 1) + "1",
            None,
        ]
        assert dumpb(a[3]) == b'"1970-01-01T00:00:00.000000003"'  # a scalar alike


def test_timedelta64_as_seconds():
    a = np.array([1500, -250, "NaT"], dtype="m8[ms]")
    assert strict_loads(dumpb(a)) == [1.5, -0.25, None]
    assert dumpb(np.timedelta64(90, "m")) == b"5400.0"
    assert strict_loads(dumpb(a, nan="error")) == [1.5, -0.25, None]


def test_string_and_bytes_arrays():
    assert json.loads(dumpb(np.array([["a", "é"], ["", "x"]]))) == [["a", "é"], ["", "x"]]
    assert json.loads(dumpb(np.array([b"ab", b"c"]))) == ["ab", "c"]


def test_object_arrays_go_through_the_registry():
    a = np.array([1, "x", None, np.float32(0.5), {"k": np.int64(2)}, np.arange(2)], dtype=object)
    assert json.loads(dumpb(a)) == [1, "x", None, 0.5, {"k": 2}, [0, 1]]


class TestMasked:
    def test_masked_values_are_null(self):
        a = np.ma.array([1.0, 2.0, np.nan], mask=[False, True, False])
        assert strict_loads(dumpb(a)) == [1.0, None, None]
        assert strict_loads(dumpb(a, nan="string")) == [1.0, None, "NaN"]

    def test_masked_nan_is_not_an_error(self):
        a = np.ma.array([1.0, np.nan], mask=[False, True])
        assert strict_loads(dumpb(a, nan="error")) == [1.0, None]

    @pytest.mark.parametrize("dtype", ["int64", "bool", "M8[s]", "U3"])
    def test_other_dtypes(self, dtype: str):
        a = np.ma.array(np.zeros(3, dtype=dtype), mask=[True, False, True])
        assert strict_loads(dumpb(a))[0] is None
        assert strict_loads(dumpb(a))[2] is None

    def test_two_dimensional_float32(self):
        a = np.ma.array(np.array([[0.1, 0.2]], dtype=np.float32), mask=[[True, False]])
        assert strict_loads(dumpb(a)) == [[None, 0.2]]

    def test_scalar_masked(self):
        assert dumpb([np.ma.masked]) == b"[null]"

    @pytest.mark.parametrize(
        "a",
        [
            np.ma.array([1, 2, 3], mask=[False, True, False]),
            np.ma.array([[1, 2], [3, 4]], mask=[[False, True], [False, False]]),
            np.ma.array([1.5, 2.0], mask=[True, False]),
            np.ma.array([True, False], mask=[False, True]),
            np.array([2**60, 1]),  # big integers, written as strings below
            np.array([1.5, 2.0], dtype=np.float16),
        ],
    )
    def test_numeric_arrays_are_compact_under_indent_and_streamed_alike(self, a: Any):
        """A numeric array is one compact fragment under ``indent``, whether or not it
        has a masked element or needs the exact route, so that its slices (streamed by
        ranges) are the bytes of the whole."""
        for options in ({"indent": 2}, {"indent": 2, "big_int": "string"}):
            whole = dumpb(a, **options)
            assert b"\n" not in whole
            assert strict_loads(whole) == strict_loads(dumpb(a, **{**options, "indent": None}))
            for chunk_size in (1, 4, 64):
                assert b"".join(iter_encode(a, chunk_size=chunk_size, **options)) == whole


def test_structured_arrays_are_lists_of_objects():
    a = np.array(
        [(1, 2.5, "x", "2024-01-01"), (2, np.nan, "y", "NaT")],
        dtype=[("id", "i4"), ("v", "f8"), ("name", "U2"), ("at", "M8[D]")],
    )
    assert strict_loads(dumpb(a)) == [
        {"id": 1, "v": 2.5, "name": "x", "at": "2024-01-01"},
        {"id": 2, "v": None, "name": "y", "at": None},
    ]
    assert strict_loads(dumpb(a[0])) == {"id": 1, "v": 2.5, "name": "x", "at": "2024-01-01"}


def test_complex_is_a_clear_type_error():
    with pytest.raises(EncodeError, match=r"complex .* at \$\.z"):
        dumpb({"z": np.array([1 + 2j])})
    with pytest.raises(TypeError, match="complex"):
        dumpb(np.complex64(1))


def test_longdouble_is_refused_rather_than_rounded():
    a = np.array([1], dtype=np.longdouble)
    if a.dtype.itemsize > 8:  # x86-64 and most Linux platforms
        with pytest.raises(EncodeError, match="float64"):
            dumpb(a)
    else:  # where longdouble is float64 there is nothing to lose
        assert dumpb(a) == b"[1.0]"


@pytest.mark.parametrize("backend", ["json", "ujson"])
def test_other_backends_give_the_same_values(backend: str):
    value = {
        "f32": np.array([0.1, np.nan], dtype=np.float32),
        "i": np.arange(3, dtype=">i2"),
        "t": np.array(["2024-01-01T00:00:00.5", "NaT"], dtype="M8[us]"),
        "m": np.ma.array([1, 2], mask=[True, False]),
        "s": np.float32(0.1),
    }
    assert strict_loads(dumpb(value, backend=backend)) == strict_loads(dumpb(value))


def test_big_arrays_are_not_walked_element_by_element(monkeypatch: pytest.MonkeyPatch):
    """A 1e6 array is one encoder call: the walk and the hook never see its elements."""
    from fastjson import _walk

    calls = []
    original = _walk._Walker.value
    monkeypatch.setattr(
        _walk._Walker, "value", lambda self, o, d: calls.append(o) or original(self, o, d)
    )
    a = np.random.default_rng(0).random(1_000_000)
    a[::20] = np.nan
    out = dumpb({"a": a}, nan="string")
    assert len(calls) < 5
    assert out.count(b'"NaN"') == 50_000


def test_nested_structured_arrays():
    record = np.dtype([("a", "i4"), ("b", [("x", "f8"), ("y", "i2")])])
    a = np.array([(1, (2.0, 3)), (4, (5.5, 6))], dtype=record)
    assert dumpb(a) == b'[{"a":1,"b":{"x":2.0,"y":3}},{"a":4,"b":{"x":5.5,"y":6}}]'
    assert dumpb(a, backend="json") == dumpb(a)
