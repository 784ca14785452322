"""fastjson._walk: the normaliser for what orjson refuses, and the key rules shared with
the streaming writer (``object_items``)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import orjson
import pytest

import fastjson
from fastjson import MAX_DEPTH, CircularReferenceError, NestingTooDeepError, NonFiniteError
from fastjson._walk import object_items, walk


class Color(enum.Enum):
    RED = "r"


def test_keys_are_written_and_sorted_as_json_does():
    enc = fastjson.Encoder(sort_keys=True)
    numbers = object_items({10: "a", 9: "b", 2.5: "c"}, enc)  # compared: as numbers
    assert [k for k, _ in numbers] == ["2.5", "9", "10"]
    others = object_items({10: "a", 9: "b", None: "d", True: "c"}, enc)  # None: by text
    assert [k for k, _ in others] == ["10", "9", "null", "true"]
    mixed = object_items({1: "x", "a": "y", 2.5: "z"}, enc)  # do not compare: by their text
    assert [k for k, _ in mixed] == ["1", "2.5", "a"]
    assert [k for k, _ in object_items({dt.date(2024, 1, 2): 1, Color.RED: 2}, enc)] == [
        "2024-01-02",
        "r",
    ]


def test_keys_that_write_alike_are_refused():
    with pytest.raises(fastjson.DuplicateKeyError) as info:
        fastjson.dumpb({1: "a", "1": "b"})
    assert info.value.path == "$"


def test_big_integers_and_surrogates_take_fragments_for_orjson():
    enc = fastjson.Encoder()
    tree = walk({"n": 2**70, "s": "a\ud800", "k\udc00": 1}, enc)
    assert isinstance(tree, orjson.Fragment)  # a surrogate key: assembled by hand
    assert fastjson.dumpb({"n": 2**70}) == b'{"n":1180591620717411303424}'
    assert fastjson.dumpb(["a\ud800"]) == b'["a\\ud800"]'
    assert fastjson.dumpb([2**70], big_int="string") == b'["1180591620717411303424"]'


@pytest.mark.parametrize("nan", ["null", "string", "error"])
def test_nan_policies_name_the_path(nan: Any):
    value = {"rows": [{"x": 1.0}, {"x": float("-inf")}]}
    if nan == "error":
        with pytest.raises(NonFiniteError) as info:
            fastjson.dumpb(value, nan=nan)
        assert info.value.path == "$.rows[1].x"
    else:
        expected = b"null" if nan == "null" else b'"-Infinity"'
        assert fastjson.dumpb(value, nan=nan) == b'{"rows":[{"x":1.0},{"x":' + expected + b"}]}"


def test_depth_past_orjson_is_written_in_slices_and_stops_at_max_depth():
    deep: Any = 0
    for _ in range(MAX_DEPTH - 1):
        deep = [deep]
    out = fastjson.dumpb(deep)
    assert out == b"[" * (MAX_DEPTH - 1) + b"0" + b"]" * (MAX_DEPTH - 1)
    with pytest.raises(NestingTooDeepError):
        fastjson.dumpb([deep, [[deep]]])


def test_cycles_name_where_they_close():
    loop: list[Any] = [1]
    loop.append({"again": loop})
    with pytest.raises(CircularReferenceError) as info:
        fastjson.dumpb(loop, nan="error")  # the walk, not orjson
    assert info.value.path == "$[1].again"


def test_an_encoder_that_returns_its_own_type_is_refused():
    class Loop:
        pass

    reg = fastjson.Registry()
    reg.register(Loop, lambda o: Loop())
    with pytest.raises(fastjson.EncodeError) as info:
        fastjson.dumpb([Loop()], registry=reg)
    assert "never finish" in str(info.value) and info.value.path == "$[0]"


def test_json_backends_get_the_same_tree():
    value = {"b": [1, 2.5, None, True, "é"], "a": {"x": 2**70}}
    for backend in ("json", "ujson"):
        assert fastjson.dumpb(value, backend=backend) == fastjson.dumpb(value)  # type: ignore[arg-type]
