"""Hostile input: every value encodes to strictly valid JSON, or fails with a clear error.

A value either gives output that parses under a strict parser (no NaN
tokens, valid UTF-8), or raises ``TypeError``/``ValueError`` whose message
names the offending type (or the cycle or nesting problem). Never a crash, a
hang, or invalid output. ``make test`` runs about 2,000 examples;
``make fuzz`` runs many more (``FASTJSON_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import os
import uuid
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strictjson import strict_loads

import fastjson

EXAMPLES = int(os.environ.get("FASTJSON_FUZZ_EXAMPLES", "2000"))


class Opaque:
    """No encoder knows it."""


class RaisingHtml:
    def __html__(self) -> str:
        raise RuntimeError("html exploded")


class RaisingStr:
    def __str__(self) -> str:
        raise RuntimeError("str exploded")


class SelfReturning:
    """Its registered encoder returns the object itself."""


class Looping:
    """Its registered encoder returns a new Looping: never finishes by itself."""


class Color(enum.Enum):
    RED = "red"
    NESTED = (1, 2.5)


class Level(enum.IntEnum):
    HIGH = 3


class MyInt(int):
    pass


class MyFloat(float):
    pass


class MyStr(str):
    pass


class MyDict(dict):
    pass


class MyList(list):
    pass


HOSTILE = fastjson.Registry()
HOSTILE.register(SelfReturning, lambda o: o)
HOSTILE.register(Looping, lambda o: Looping())
HOSTILE.register(RaisingStr, lambda o: str(o))

OFFENDERS = (
    "Opaque",
    "RaisingHtml",
    "SelfReturning",
    "Looping",
    "RaisingStr",
    "bytes",
    "complex",
    "circular",
    "nesting",
    "dict key",
    "non-finite",
    "float128",
    "longdouble",
    "both write as",  # DuplicateKeyError: {"true": .., True: ..} has no JSON form
)
"""Every error message must name one of these."""

text = st.text(st.characters(exclude_categories=()), max_size=8)
python_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    text,
    st.binary(max_size=4),
    st.complex_numbers(max_magnitude=10),
    st.decimals(allow_nan=True),
    st.datetimes(timezones=st.none() | st.just(dt.UTC)),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.uuids(),
    st.sampled_from([Color.RED, Color.NESTED, Level.HIGH]),
    st.integers().map(MyInt),
    st.floats().map(MyFloat),
    text.map(MyStr),
    st.sampled_from([Opaque, RaisingHtml, RaisingStr, SelfReturning, Looping]).map(lambda c: c()),
)
numpy_scalars = st.one_of(
    hnp.from_dtype(np.dtype("float32")),
    hnp.from_dtype(np.dtype("float16")),
    hnp.from_dtype(np.dtype("int64")),
    hnp.from_dtype(np.dtype("uint64")),
    hnp.from_dtype(np.dtype("bool")),
    hnp.from_dtype(np.dtype("M8[ns]")),
    hnp.from_dtype(np.dtype("m8[us]")),
    hnp.from_dtype(np.dtype("complex64")),
)
arrays = hnp.arrays(
    st.sampled_from(
        [np.dtype(d) for d in ("f8", ">f4", "f2", "i8", ">u4", "?", "M8[s]", "m8[ms]", "U3", "S2")]
    ),
    hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
)
frames = st.builds(
    lambda values, labels: pd.DataFrame({"a": values, labels: values[::-1]}),
    st.lists(st.floats() | st.none(), min_size=1, max_size=4),
    st.one_of(text, st.integers(), st.none()),
)
keys = st.one_of(
    text,
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.dates(),
    st.sampled_from([Color.RED, Level.HIGH]),
    st.tuples(st.integers()),
    st.binary(max_size=2),
    hnp.from_dtype(np.dtype("int32")),
    hnp.from_dtype(np.dtype("float64")),
)
leaves = st.one_of(python_scalars, numpy_scalars, arrays, frames)
values = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=3).map(tuple),
        st.lists(children, max_size=3).map(MyList),
        st.dictionaries(keys, children, max_size=4),
        st.dictionaries(text, children, max_size=3).map(MyDict),
        st.lists(children, max_size=3).map(lambda x: np.array([*x, None], dtype=object)),
    ),
    max_leaves=25,
)


def nest(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


def check(value: Any, **options: Any) -> None:
    try:
        out = fastjson.dumpb(value, registry=HOSTILE, **options)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        assert any(name in message for name in OFFENDERS), message
        return
    out.decode("utf-8")  # valid UTF-8, no lone surrogates
    strict_loads(out)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(values, st.sampled_from(["null", "string", "error"]), st.integers(0, 900))
def test_hostile_values(value: Any, nan: str, depth: int):
    check(value, nan=nan)
    if depth > 250:
        check(nest(value, depth))


@settings(max_examples=max(EXAMPLES // 10, 50), deadline=None)
@given(values, st.sampled_from(["ujson", "json"]))
def test_hostile_values_other_backends(value: Any, backend: str):
    check(value, backend=backend)


def test_cycles_through_every_container_kind():
    d: dict[str, Any] = {}
    d["self"] = d
    lst: list[Any] = []
    lst.append(lst)
    sub = MyDict()
    sub["me"] = sub
    for value in (d, lst, sub, {"deep": [[d]]}):
        check(value)


def test_limits_of_nesting():
    check(nest(1, 800))
    check(nest(1, 801))
    check(nest(1, 100_000))


def test_hostile_objects_name_their_type():
    for obj, name in [
        (Opaque(), "Opaque"),
        (RaisingHtml(), "RaisingHtml"),
        (SelfReturning(), "SelfReturning"),
        (Looping(), "Looping"),
        (RaisingStr(), "RaisingStr"),
        (b"x", "bytes"),
    ]:
        try:
            fastjson.dumpb({"x": [obj]}, registry=HOSTILE)
        except (TypeError, ValueError) as exc:
            assert name in str(exc) and "$.x[0]" in str(exc), str(exc)
        else:
            raise AssertionError(f"{name} encoded")


def test_decimal_specials_and_big_values():
    check([decimal.Decimal("NaN"), decimal.Decimal("-Infinity"), decimal.Decimal("1e999999")])
    check({uuid.UUID(int=0): 2**1000, -(2**1000): "x"})
