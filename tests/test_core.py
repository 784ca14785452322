"""Python values: Flask parity, options, errors, limits (nesting, big ints, cycles)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import json
import uuid
from collections import namedtuple
from typing import Any, ClassVar

import pytest
from strictjson import strict_loads

import fastjson
from fastjson import EncodeError, Raw, dumpb, dumps, loads


def test_dumpb_returns_compact_utf8_bytes_in_insertion_order():
    assert (
        dumpb({"b": 1, "a": ["é", None, True, 1.5]}) == '{"b":1,"a":["é",null,true,1.5]}'.encode()
    )


def test_dumps_returns_str():
    assert dumps([1, "x"]) == '[1,"x"]'


@pytest.mark.parametrize("data", [b'{"a":[1,2.5]}', '{"a":[1,2.5]}', bytearray(b'{"a":[1,2.5]}')])
def test_loads_accepts_str_bytes_bytearray_memoryview(data: Any):
    assert loads(data) == {"a": [1, 2.5]}
    assert loads(memoryview(bytes(data, "utf8") if isinstance(data, str) else bytes(data))) == {
        "a": [1, 2.5]
    }


def test_loads_keeps_big_integers_exact():
    assert loads(b"[123456789012345678901234567890]") == [123456789012345678901234567890]


def test_floats_are_lossless():
    values = [0.1, 1 / 3, 2.0**-1074, 1.7976931348623157e308, -0.0, 123456789.123456789]
    assert json.loads(dumpb(values)) == values


def test_bare_top_level_float_is_kept():
    assert dumpb(3.14) == b"3.14"


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, 2**200, -(10**40)])
def test_integers_beyond_64_bits_keep_every_digit(value: int):
    assert dumpb({"n": [value]}) == f'{{"n":[{value}]}}'.encode()


def test_nesting_500_levels_deep():
    obj: Any = "leaf"
    for i in range(500):
        obj = [obj] if i % 2 else {"k": obj}
    assert json.loads(dumpb(obj)) == json.loads(json.dumps(obj))


def test_nesting_beyond_the_limit_is_a_clear_value_error():
    obj: Any = []
    for _ in range(5000):
        obj = [obj]
    with pytest.raises(ValueError, match="nesting"):
        dumpb(obj)


def test_cycles_raise_value_error_naming_the_path():
    a: dict[str, Any] = {"x": []}
    a["x"].append(a)
    with pytest.raises(ValueError, match=r"circular reference at \$\.x\[0\]"):
        dumpb(a)


def test_shared_but_acyclic_references_are_fine():
    shared = [1, 2]
    assert dumpb({"a": shared, "b": shared}) == b'{"a":[1,2],"b":[1,2]}'


class TestNan:
    data: ClassVar[dict[str, Any]] = {
        "rows": [{"x": 1.0}, {"x": float("nan")}, {"x": float("inf")}, -float("inf")]
    }

    def test_null_is_default_and_strictly_valid(self):
        out = dumpb(self.data)
        assert strict_loads(out) == {"rows": [{"x": 1.0}, {"x": None}, {"x": None}, None]}

    def test_string(self):
        out = strict_loads(dumpb(self.data, nan="string"))
        assert out == {"rows": [{"x": 1.0}, {"x": "NaN"}, {"x": "Infinity"}, "-Infinity"]}

    def test_error_names_the_path(self):
        with pytest.raises(ValueError, match=r"nan.* at \$\.rows\[1\]\.x"):
            dumpb(self.data, nan="error")

    def test_non_finite_keys_are_strings_as_in_json(self):
        assert dumpb({float("nan"): 1}) == b'{"NaN":1}'
        assert dumpb({float("-inf"): 1}, nan="error") == b'{"-Infinity":1}'


class TestKeys:
    def test_non_string_keys_as_json_does(self):
        value = {1: "a", 2.5: "b", False: "c", None: "d", 1e16: "e", -0.5e-9: "f"}
        assert json.loads(dumpb(value)) == json.loads(json.dumps(value))

    def test_date_enum_uuid_keys(self):
        u = uuid.UUID(int=1)
        out = json.loads(dumpb({dt.date(2020, 1, 2): 1, Color.RED: 2, u: 3}))
        assert out == {"2020-01-02": 1, "1": 2, str(u): 3}

    def test_unsupported_key_type(self):
        with pytest.raises(EncodeError, match=r"dict key of type tuple .* at \$\.a"):
            dumpb({"a": {(1, 2): 3}})

    def test_sort_keys(self):
        assert dumpb({"b": 1, "a": {"d": 1, "c": 2}}, sort_keys=True) == (
            b'{"a":{"c":2,"d":1},"b":1}'
        )


class Color(enum.Enum):
    RED = 1


class Size(enum.IntEnum):
    BIG = 3


@dataclasses.dataclass
class Point:
    x: int
    y: float
    tags: list[str] = dataclasses.field(default_factory=list)


class Html:
    def __html__(self) -> str:
        return "<b>hi</b>"


Pair = namedtuple("Pair", "a b")


class MyFloat(float):
    pass


class MyStr(str):
    pass


class MyDict(dict):
    pass


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (decimal.Decimal("0.003"), "0.003"),
        (decimal.Decimal("1e400"), "1E+400"),
        (uuid.UUID(bytes=b"\xde\xad\xbe\xef" * 4), "deadbeef-dead-beef-dead-beefdeadbeef"),
        (Point(1, 2.5, ["a"]), {"x": 1, "y": 2.5, "tags": ["a"]}),
        (Html(), "<b>hi</b>"),
        (Color.RED, 1),
        (Size.BIG, 3),
        (Pair(1, 2), [1, 2]),
        (MyFloat(1.5), 1.5),
        (MyStr("s"), "s"),
        (MyDict(a=1), {"a": 1}),
        ({1, 2}, [1, 2]),
        ((1, "a"), [1, "a"]),
        (dt.timedelta(days=1, microseconds=5), 86400.000005),
    ],
)
def test_python_types(value: Any, expected: Any):
    assert json.loads(dumpb({"v": value})) == {"v": expected}
    assert json.loads(dumpb({"v": value}, backend="json")) == {"v": expected}


class TestDatetimes:
    naive = dt.datetime(2024, 3, 1, 12, 30, 45, 123456)
    aware = dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=-8)))

    def test_iso_keeps_naive_naive_and_offsets(self):
        out = json.loads(dumpb([self.naive, self.aware, dt.date(2024, 3, 1), dt.time(7, 5)]))
        assert out == [
            "2024-03-01T12:30:45.123456",
            "2024-03-01T12:30:00-08:00",
            "2024-03-01",
            "07:05:00",
        ]

    def test_http_is_flask_format_and_converts_aware_to_gmt(self):
        out = json.loads(
            dumpb([self.naive, self.aware, dt.date(2024, 3, 1)], datetime_format="http")
        )
        assert out == [
            "Fri, 01 Mar 2024 12:30:45 GMT",
            "Fri, 01 Mar 2024 20:30:00 GMT",
            "Fri, 01 Mar 2024 00:00:00 GMT",
        ]

    def test_iso_never_shifts_to_the_server_zone(self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setenv("TZ", "Asia/Tokyo")
        assert dumpb(dt.datetime(2024, 1, 1)) == b'"2024-01-01T00:00:00"'


class TestErrors:
    def test_unsupported_names_full_type_and_path(self):
        with pytest.raises(EncodeError) as info:
            dumpb({"rows": [{"x": 1}, {"x": 1}, {"x": 1}, {"x": Unknown()}]})
        assert str(info.value) == (
            "Object of type test_core.Unknown is not JSON serializable at $.rows[3].x"
        )
        assert info.value.path == "$.rows[3].x"
        assert isinstance(info.value, TypeError)

    def test_bytes_are_unsupported(self):
        with pytest.raises(TypeError, match="bytes"):
            dumpb([b"x"])

    def test_complex_has_a_helpful_message(self):
        with pytest.raises(EncodeError, match="complex numbers have no JSON form"):
            dumpb(1j)

    def test_odd_keys_are_quoted_in_the_path(self):
        with pytest.raises(EncodeError, match=r'at \$\["a b"\]\[0\]'):
            dumpb({"a b": [Unknown()]})

    def test_default_is_the_last_resort(self):
        assert dumpb([Unknown()], default=lambda o: "seen") == b'["seen"]'

    def test_default_errors_are_chained(self):
        def default(o: Any) -> Any:
            raise TypeError("nope")

        with pytest.raises(EncodeError, match=r"nope at \$\[0\]") as info:
            dumpb([Unknown()], default=default)
        assert isinstance(info.value.__cause__, TypeError)

    def test_encoder_returning_its_input_is_detected(self):
        registry = fastjson.Registry()
        registry.register(Unknown, lambda o: o)
        with pytest.raises(EncodeError, match="never finish"):
            dumpb([Unknown()], registry=registry)

    @pytest.mark.parametrize(
        ("option", "value"),
        [("nan", "zero"), ("indent", 4), ("backend", "simplejson"), ("orient", "table")],
    )
    def test_invalid_options(self, option: str, value: Any):
        with pytest.raises(ValueError, match=option):
            dumpb(1, **{option: value})


class Unknown:
    pass


class TestRaw:
    def test_embedded_verbatim(self):
        assert dumpb({"cached": Raw(b'{"a": [1, 2]}')}) == b'{"cached":{"a": [1, 2]}}'

    def test_validated(self):
        with pytest.raises(ValueError, match="valid JSON"):
            Raw(b'{"a": ')

    def test_trusted_skips_validation(self):
        assert Raw("[1]", trusted=True).data == b"[1]"

    @pytest.mark.parametrize("backend", ["json", "ujson"])
    def test_other_backends(self, backend: str):
        assert json.loads(dumpb([Raw(b"[1,2]")], backend=backend)) == [[1, 2]]


class TestText:
    def test_lone_surrogates_are_escaped_as_flask_does(self):
        value = {"s": "a\ud800b", "k\udfff": 1}
        assert json.loads(dumpb(value)) == json.loads(json.dumps(value))

    def test_ensure_ascii(self):
        out = dumpb(["☃", "é", "😀"], ensure_ascii=True)
        assert out == b'["\\u2603","\\u00e9","\\ud83d\\ude00"]'
        assert json.loads(out) == ["☃", "é", "😀"]

    def test_indent_two(self):
        assert dumpb({"a": [1]}, indent=2) == b'{\n  "a": [\n    1\n  ]\n}'


@pytest.mark.parametrize("backend", ["orjson", "ujson", "json"])
def test_backends_agree_on_hard_cases(backend: str):
    value = {
        "big": 2**80,
        "nan": float("nan"),
        "when": dt.datetime(2024, 1, 1, 1, 2, 3),
        "d": decimal.Decimal("1.10"),
        1: [Point(1, 2.0)],
        "s": "\ud800",
    }
    expected = strict_loads(dumpb(value))
    assert strict_loads(dumpb(value, backend=backend)) == expected
