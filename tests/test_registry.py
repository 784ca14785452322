"""The encoder registry: registration rules, precedence, caching, layers, entry points."""

from __future__ import annotations

import datetime as dt
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import fastjson
from fastjson import Registry, dumpb, registry


class Base:
    def __init__(self, v: int = 1):
        self.v = v


class Child(Base):
    pass


@pytest.fixture
def reg() -> Registry:
    return Registry(name="test")


def test_register_and_encode(reg: Registry):
    reg.register(Base, lambda o: {"v": o.v})
    assert dumpb([Base(3)], registry=reg) == b'[{"v":3}]'


def test_decorator_returns_the_function(reg: Registry):
    @reg.encoder(Base)
    def enc(o: Base) -> Any:
        return o.v

    assert enc(Base(5)) == 5
    assert dumpb(Base(5), registry=reg) == b"5"


def test_most_specific_class_wins_then_priority(reg: Registry):
    reg.register(Base, lambda o: "base")
    reg.register(Child, lambda o: "child")
    assert dumpb([Base(), Child()], registry=reg) == b'["base","child"]'
    reg.register(Base, lambda o: "loud base", priority=10, force=True)
    assert dumpb([Base(), Child()], registry=reg) == b'["loud base","loud base"]'


def test_predicates_receive_the_type(reg: Registry):
    seen: list[Any] = []

    def is_base(cls: type) -> bool:
        seen.append(cls)
        return issubclass(cls, Base)

    reg.register(is_base, lambda o: "pred")
    assert dumpb([Base(), Child(), Base()], registry=reg) == b'["pred","pred","pred"]'
    assert seen.count(Base) == 1, "the answer per type is cached"
    assert all(isinstance(c, type) for c in seen)


class WithToJson:
    def to_json(self) -> dict[str, bool]:
        return {"mine": True}


def test_predicates_never_capture_types_that_have_a_builtin_encoder():
    """The README's predicate matches DataFrames and Series too (they have ``to_json``):
    their built-in encoders win; a plain class with ``to_json`` takes the predicate."""
    import pandas as pd

    def has_to_json(cls: type) -> bool:
        return hasattr(cls, "to_json")

    frame = pd.DataFrame({"a": [1, 2]})
    fastjson.register(has_to_json, lambda o: o.to_json())
    try:
        assert dumpb(frame) == b'[{"a":1},{"a":2}]'
        assert dumpb({"s": frame["a"], "o": WithToJson()}) == b'{"s":[1,2],"o":{"mine":true}}'
        assert dumpb(WithToJson(), sort_keys=True) == b'{"mine":true}'
        fastjson.register(pd.DataFrame, lambda df: "by type")
        try:
            assert dumpb(frame) == b'"by type"', "a registration by type still wins"
        finally:
            fastjson.unregister(pd.DataFrame)
    finally:
        fastjson.unregister(has_to_json)


def test_a_type_encoder_below_wins_over_a_predicate_above(reg: Registry):
    class Chunk(int):
        def __html__(self) -> str:
            return "<b>1</b>"

    reg.register(lambda cls: issubclass(cls, Base), lambda o: "layer predicate")
    fastjson.register(Base, lambda o: "global type")
    try:
        assert dumpb([Base(), Child()], registry=reg) == b'["global type","global type"]'
    finally:
        fastjson.unregister(Base)
    assert dumpb([Base(), Child()], registry=reg) == b'["layer predicate","layer predicate"]'
    reg.register(lambda cls: hasattr(cls, "__html__"), lambda o: "html")
    assert dumpb(Chunk(1), registry=reg) == b"1", "the built-in int encoder"
    reg.register(Chunk, lambda o: "mine")
    assert dumpb(Chunk(1), registry=reg) == b'"mine"'


def test_a_predicate_with_priority_beats_its_own_layers_types(reg: Registry):
    reg.register(Base, lambda o: "type")
    reg.register(lambda cls: issubclass(cls, Base), lambda o: "predicate", priority=1)
    assert dumpb(Child(), registry=reg) == b'"predicate"'


def test_duplicates_raise_unless_forced(reg: Registry):
    reg.register(Base, str)
    with pytest.raises(KeyError, match="already registered"):
        reg.register(Base, repr)
    reg.register(Base, repr, force=True)


def test_validation_at_registration(reg: Registry):
    with pytest.raises(TypeError, match="encoder must be callable"):
        reg.register(Base, "nope")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="type or a predicate"):
        reg.register(3, str)  # type: ignore[arg-type]


def test_unregister(reg: Registry):
    reg.register(Base, lambda o: 1)
    reg.unregister(Base)
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumpb(Base(), registry=reg)
    with pytest.raises(KeyError):
        reg.unregister(Base)


def test_user_encoders_win_over_builtins(reg: Registry):
    import decimal

    reg.register(decimal.Decimal, float)
    assert dumpb(decimal.Decimal("1.5"), registry=reg) == b"1.5"
    assert dumpb(decimal.Decimal("1.5")) == b'"1.5"', "other registries are untouched"


def test_global_register_is_seen_by_layers():
    layer = Registry()
    fastjson.register(Base, lambda o: "global")
    try:
        assert dumpb(Base()) == b'"global"'
        assert dumpb(Base(), registry=layer) == b'"global"'
        layer.register(Base, lambda o: "layer")
        assert dumpb(Base(), registry=layer) == b'"layer"'
        assert dumpb(Base()) == b'"global"'
    finally:
        fastjson.unregister(Base)


def test_global_decorator():
    @fastjson.encoder(Child)
    def _child(o: Child) -> str:
        return "c"

    try:
        assert dumpb(Child()) == b'"c"'
    finally:
        fastjson.unregister(Child)


def test_lookup_is_cached_until_something_changes(reg: Registry):
    reg.register(Base, lambda o: 1)
    first = reg.lookup(Base)
    assert reg.lookup(Base) is first
    assert reg._cache[Base] is first
    reg.register(Base, lambda o: 2, force=True)
    assert reg.lookup(Base) is not first, "a registration invalidates the cache"
    assert dumpb(Base(), registry=reg) == b"2"


def test_encoders_may_return_other_encodable_values(reg: Registry):
    import numpy

    reg.register(Base, lambda o: numpy.arange(o.v))
    reg.register(Child, lambda o: fastjson.Raw(b'{"raw":true}'))
    assert dumpb([Base(3), Child()], registry=reg) == b'[[0,1,2],{"raw":true}]'


def test_entry_point_plugins_load_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An installed package contributes encoders through the ``fastjson.encoders`` group."""
    (tmp_path / "fj_plugin.py").write_text(
        textwrap.dedent(
            """
            CALLS = []

            class Thing:
                pass

            def setup(registry):
                CALLS.append(registry)
                registry.register(Thing, lambda o: "from plugin")
            """
        )
    )
    dist = tmp_path / "fj_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fj-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[fastjson.encoders]\nthing = fj_plugin:setup\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_plugins_loaded", False)
    import fj_plugin

    try:
        assert dumpb(fj_plugin.Thing()) == b'"from plugin"'
        assert dumpb(fj_plugin.Thing()) == b'"from plugin"'
        assert len(fj_plugin.CALLS) == 1
        fastjson.register(fj_plugin.Thing, lambda o: "user wins")
        assert dumpb(fj_plugin.Thing()) == b'"user wins"'
    finally:
        fastjson.unregister(fj_plugin.Thing)
        registry._plugins.unregister(fj_plugin.Thing)
        sys.modules.pop("fj_plugin", None)


def test_dumpb_fast_path_follows_global_registrations():
    """``dumpb`` without options inlines the default encoder's fast path: a global
    registration for a type orjson writes natively must still switch it off."""
    moment = dt.datetime(2024, 1, 2, 3, 4, 5)
    assert dumpb({"at": moment}) == b'{"at":"2024-01-02T03:04:05"}'
    fastjson.register(dt.datetime, lambda o: "mine")
    try:
        assert dumpb({"at": moment}) == b'{"at":"mine"}'
        assert dumpb({"at": [moment]}) == b'{"at":["mine"]}'
    finally:
        fastjson.unregister(dt.datetime)
    assert dumpb({"at": moment}) == b'{"at":"2024-01-02T03:04:05"}'


FRESH = textwrap.dedent(
    """
    import decimal, json, sys
    import numpy as np
    import pandas as pd
    import fastjson

    value = eval(sys.argv[1])

    def forms():
        out = []
        for shape in (lambda v: v, lambda v: [v], lambda v: {"a": [1, {"b": v}]}):
            for options in (
                {},
                {"nan": "error"},
                {"nan": "string"},
                {"datetime_format": "http"},
                {"sort_keys": True, "indent": 2},
                {"backend": "json"},
            ):
                try:
                    out.append(fastjson.dumps(shape(value), **options))
                except Exception as exc:
                    out.append(f"{type(exc).__name__}: {exc}")
        return out

    fresh = forms()
    fastjson.dumpb(pd.Series([1.5]))  # every family is loaded from here on
    fastjson.dumpb(np.arange(2))
    fastjson.dumpb(decimal.Decimal(1))
    print(json.dumps({"fresh": fresh, "after": forms()}))
    """
)


@pytest.mark.parametrize(
    ("expr", "plain"),
    [
        ('pd.Timestamp("2024-01-01T00:00:00.000000001")', '"2024-01-01T00:00:00.000000001"'),
        ('pd.Timestamp("2024-07-01 12:00", tz="Europe/Paris")', '"2024-07-01T12:00:00+02:00"'),
        ("pd.NaT", "null"),
        ("pd.Timedelta(1)", "1e-9"),
        ("pd.NA", "null"),
        ('pd.Period("2024-01", freq="M")', '"2024-01"'),
        ('np.float64("nan")', "null"),
        ("np.float64(0.1)", "0.1"),
        ('np.datetime64("2024-01-01T00:00:00.000000001")', '"2024-01-01T00:00:00.000000001"'),
        ('decimal.Decimal("0.10")', '"0.10"'),
    ],
)
def test_scalars_encode_alike_in_a_fresh_process(expr: str, plain: str):
    """Whether or not a frame (or array, or Decimal) was encoded first: a fresh process
    finds each family's encoder for its first value, top level and nested, under every
    nan policy and datetime format."""
    import json
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", FRESH, expr], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["fresh"] == result["after"]
    assert result["fresh"][0] == plain
    assert result["fresh"][6] == f"[{plain}]"
