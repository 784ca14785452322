"""Hardening III: code of yours cannot crash the process; tuples, fragments, integers,
Decimal non-finites and long error paths obey the rules every other value obeys.

A case that used to crash the interpreter runs in a subprocess (``sys.executable``),
so that a crash fails the test instead of ending the run.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import textwrap
from collections import OrderedDict
from typing import Any

import orjson
import pytest
from fresh import run

import fastjson


@dataclasses.dataclass
class Box:
    value: Any


# -- 1. code of yours never runs while orjson holds the payload --------------------

MUTATING = {
    "default pops the list": """
        a = [object() for _ in range(10)]
        print(fastjson.dumps(a, default=lambda o: a.pop() and None))
    """,
    "default deletes from the list (CPython's test_json case)": """
        a = [object()] * 10
        print(fastjson.dumps(a, default=lambda o: (a.__delitem__(-1), None)[1]))
    """,
    "default frees the list holding the value": """
        d = {"a": [object() for _ in range(10)], "b": 1}
        print(fastjson.dumps(d, default=lambda o: d.clear()))
    """,
    "default frees the dict being written": """
        a = [{"x": object(), "y": [object(), object()]} for _ in range(10)]
        print(fastjson.dumps(a, default=lambda o: a.clear()))
    """,
    "a registered encoder empties the list": """
        class C: pass
        a = [C() for _ in range(10)]
        fastjson.register(C, lambda o: a.clear())
        print(fastjson.dumps(a))
    """,
    "a registered encoder, through an Encoder with indent": """
        class C: pass
        a = {"k": [C() for _ in range(10)]}
        fastjson.register(C, lambda o: a["k"].pop() and None)
        print(json.dumps(json.loads(fastjson.Encoder(indent=2).encode(a))))
    """,
    "a generator empties the list": """
        a = []
        def rows():
            a.clear()
            yield 1
        a.extend([rows()] + [object()] * 5 + [[object()] * 3])
        print(fastjson.dumps(a, default=lambda o: None))
    """,
    "a dict subclass whose items() empties the list": """
        class D(dict):
            def items(self):
                a.clear()
                return super().items()
        a = [D(x=1)] + [[object() for _ in range(3)] for _ in range(5)]
        print(fastjson.dumps(a, default=lambda o: 0))
    """,
    "a list subclass whose __iter__ empties the list": """
        class L(list):
            def __iter__(self):
                a.clear()
                return super().__iter__()
        a = [L([1, 2])] + [[object() for _ in range(3)] for _ in range(5)]
        print(fastjson.dumps(a, default=lambda o: 0))
    """,
    "a dataclass property empties the list": """
        import dataclasses
        @dataclasses.dataclass
        class P:
            x: int = 0
        def get(self):
            a.clear()
            return 1
        P.x = property(get, lambda self, v: None)
        a = [P()] + [[object() for _ in range(3)] for _ in range(5)]
        print(fastjson.dumps(a, default=lambda o: 0))
    """,
    "__html__ empties the list": """
        class H:
            def __html__(self):
                a.clear()
                return "<b>"
        a = [H()] + [[object() for _ in range(3)] for _ in range(5)]
        print(fastjson.dumps(a, default=lambda o: 0))
    """,
    "a user encoder for the cells of an object array empties the list": """
        import numpy as np
        class C: pass
        cells = np.array([C(), C()], dtype=object)
        a = [cells] + [[C() for _ in range(3)] for _ in range(5)]
        fastjson.register(C, lambda o: a.clear())
        print(fastjson.dumps(a))
    """,
    "a user encoder for the cells of an object column empties the dict": """
        import pandas as pd
        class C: pass
        d = {"df": pd.DataFrame({"c": [C(), C()]}), "rest": [[C()] * 3 for _ in range(5)]}
        fastjson.register(C, lambda o: d.clear())
        print(fastjson.dumps(d))
    """,
    "the provider's bounded encoder": """
        a = [object() for _ in range(10)]
        enc = fastjson.Encoder(default=lambda o: a.pop() and None)
        print(enc.bounded(lambda o: False)(a).decode())
    """,
}


@pytest.mark.parametrize("code", list(MUTATING.values()), ids=list(MUTATING))
def test_code_of_yours_that_mutates_the_payload_cannot_crash(code: str):
    out = run("import json\n" + textwrap.dedent(code))
    json.loads(out)  # one valid JSON document


def test_the_payload_as_it_was_when_orjson_read_it():
    """Code of yours runs once orjson has let go: orjson wrote the list as it was."""
    a = [object() for _ in range(4)]
    assert fastjson.dumps(a, default=lambda o: a.pop() and None) == "[null,null,null,null]"


class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents


@pytest.mark.parametrize(
    "options",
    [{}, {"indent": 2}, {"sort_keys": True, "indent": 2}, {"ensure_ascii": True}],
    ids=["compact", "indent", "sorted", "ascii"],
)
def test_deferred_values_are_written_in_place(options: dict[str, Any]):
    """Values that code of yours returns land exactly where the walk puts them."""
    payload = {
        "z": [Money(1), {"m": Money(2), "é": [Money(3)]}],
        "a": Money(4),
        "n": [[Money(5)], []],
    }

    def default(o: Money) -> Any:
        return {"c": o.cents, "l": [o.cents, "é"]} if o.cents % 2 else f"{o.cents}é"

    fast = fastjson.dumpb(payload, default=default, **options)
    assert fast == fastjson.dumpb(payload, default=default, backend="json", **options)
    assert (
        fast
        == json.dumps(
            payload,
            default=default,
            indent=options.get("indent"),
            sort_keys=options.get("sort_keys", False),
            ensure_ascii=options.get("ensure_ascii", False),
            separators=(",", ": ") if options.get("indent") else (",", ":"),
        ).encode()
    )


def test_default_runs_once_per_object_in_document_order():
    seen: list[int] = []

    def default(o: Money) -> Any:
        seen.append(o.cents)
        return [Money(o.cents * 10)] if o.cents < 10 else o.cents

    out = fastjson.dumps([Money(1), {"k": Money(2)}], default=default)
    assert out == '[[10],{"k":[20]}]'
    assert seen == [1, 10, 2, 20]


def test_a_later_failure_does_not_run_earlier_callbacks_again():
    calls: list[int] = []

    def default(o: Money) -> Any:
        calls.append(o.cents)
        if o.cents == 3:
            raise ValueError("no")
        return o.cents

    with pytest.raises(fastjson.EncodeError) as info:
        fastjson.dumpb([Money(1), Money(2), {"x": Money(3)}], default=default)
    assert info.value.path == "$[2].x"
    assert calls == [1, 2, 3]


def test_a_generator_is_consumed_once():
    def gen() -> Any:
        yield from (1, 2)

    g = gen()
    assert fastjson.dumpb({"a": g, "b": [2**70]}) == b'{"a":[1,2],"b":[1180591620717411303424]}'


def test_a_value_that_holds_itself_through_default_is_a_cycle():
    a: list[Any] = [Money(1)]
    with pytest.raises(fastjson.CircularReferenceError):
        fastjson.dumpb(a, default=lambda o: a)


# -- 2. tuples: MAX_DEPTH and cycles, as lists -------------------------------------

DEPTHS = [254, 255, 799, 800, 801, 2_000, 10_000, 100_000, 1_000_000]


def test_deep_tuples_obey_max_depth_as_lists_do_on_every_backend():
    """Nested to a million levels: tuples, lists and both mixed (a tuple outermost)
    give what the same nesting of lists gives, and nothing crashes."""
    out = run(
        f"""
        import sys
        sys.setrecursionlimit(10_000)

        def nest(n, kind):
            obj = 0
            for i in range(n):
                if kind == "tuple" or (kind == "mixed" and i % 2 == (n - 1) % 2):
                    obj = (obj,)
                else:
                    obj = [obj]
            return obj

        def outcome(obj, backend):
            try:
                return fastjson.dumpb(obj, backend=backend)
            except fastjson.EncodeError as exc:
                return type(exc).__name__, len(exc.path)

        for n in {DEPTHS}:
            for backend in ("orjson", "ujson", "json"):
                lists = outcome(nest(n, "list"), backend)
                for kind in ("tuple", "mixed"):
                    assert outcome(nest(n, kind), backend) == lists, (n, kind, backend)
            print(n, lists if isinstance(lists, tuple) else len(lists))
        """
    )
    lines = dict(line.split(" ", 1) for line in out.splitlines())
    assert lines["800"] == str(2 * 800 + 1)  # MAX_DEPTH containers: written
    assert lines["801"] == "('NestingTooDeepError', 2401)"  # "$" and 800 times "[0]"
    assert lines["1000000"] == "('NestingTooDeepError', 2401)"


@pytest.mark.parametrize("backend", ["orjson", "ujson", "json"])
def test_a_cycle_through_a_tuple_at_the_top_level(backend: str):
    out = run(
        f"""
        items = []
        t = (items,)
        items.append(t)
        for obj in (t, ([t],), (1, {{"k": t}})):
            try:
                fastjson.dumpb(obj, backend={backend!r})
            except fastjson.CircularReferenceError as exc:
                print(exc.path)
        """
    )
    assert out.split() == ["$[0][0]", "$[0][0][0][0]", "$[1].k[0][0]"]


def test_a_cycle_through_a_tuple_in_a_dict_value_where_orjson_stops():
    """In a dict, a cycle whose lists fall where orjson checks its nesting limit."""
    items: list[Any] = []
    t = (items,)
    items.append(t)
    with pytest.raises(fastjson.CircularReferenceError) as info:
        fastjson.dumpb({"a": t})
    assert info.value.path == "$.a[0][0]"


def test_deep_tuples_inside_dicts_and_lists_obey_max_depth_at_every_position():
    """Where orjson (3.12 and later) does not stop them: a tuple chain inside a dict
    or list, starting at each level around orjson's 254, and through encoders'
    results (a dataclass field, a set, ``default``), to a million levels. Each
    gives what the same nesting of lists gives."""
    out = run(
        """
        import dataclasses

        @dataclasses.dataclass
        class Box:
            value: object

        def chain(n, kind):
            obj = 0
            for _ in range(n):
                obj = (obj,) if kind is tuple else [obj]
            return obj

        def outcome(obj, **options):
            try:
                return fastjson.dumpb(obj, **options)
            except fastjson.EncodeError as exc:
                return type(exc).__name__, exc.path

        def cases(t):
            for level in (0, 1, 250, 253, 254, 255, 600):
                lists = {"a": t}
                for _ in range(level):
                    lists = [lists]
                yield f"level {level}", lists, {}
                yield f"level {level} in a dict", {"k": lists}, {}
            yield "dataclass field", {"a": [Box(t)]}, {}
            yield "default", {"a": [object()]}, {"default": lambda o: t}

        for n in (10, 799, 801, 5_000, 1_000_000):
            twins = zip(cases(chain(n, tuple)), cases(chain(n, list)))
            for (name, obj, options), (_, twin, _) in twins:
                got, want = outcome(obj, **options), outcome(twin, **options)
                assert got == want, (n, name, got[:80], want[:80])
                print(n, name, "written" if type(got) is bytes else got[0])
            if n <= 5_000:  # hashing a deeper tuple for a set overruns CPython's own stack
                got = outcome({"a": {chain(n, tuple)}})
                assert got == outcome({"a": [chain(n, list)]}), (n, "set")
        """
    )
    lines = out.splitlines()
    assert len(lines) == 5 * 16
    assert "10 level 600 written" in lines and "799 level 0 written" in lines
    assert "799 level 1 written" not in lines  # the dict, then 800 levels: too deep
    assert "1000000 level 0 NestingTooDeepError" in lines


@pytest.mark.parametrize("where", ["dict", "list", "deep list", "dataclass", "default"])
def test_a_cycle_through_a_tuple_anywhere_is_a_cycle_error(where: str):
    out = run(
        f"""
        import dataclasses

        @dataclasses.dataclass
        class Box:
            value: object

        items = []
        items.append((items,))
        obj = {{
            "dict": {{"a": items}},
            "list": [items],
            "deep list": [[[[[[items]]]]]],
            "dataclass": {{"a": [Box(items)]}},
            "default": {{"a": [object()]}},
        }}[{where!r}]
        try:
            fastjson.dumpb(obj, default=lambda o: items)
        except fastjson.CircularReferenceError as exc:
            print(exc.path)
        """
    )
    assert out.strip().endswith("[0][0]"), out


# -- 3. orjson.Fragment: checked as Raw, on every backend ---------------------------

BACKENDS = ["orjson", "ujson", "json"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("bad", [b"{", b'{}"a\\', b"1 2", b"", "[1,"], ids=repr)
def test_a_fragment_that_is_not_one_json_value_is_an_encode_error(backend: str, bad: Any):
    import orjson

    with pytest.raises(fastjson.EncodeValueError) as top:
        fastjson.dumpb(orjson.Fragment(bad), backend=backend)
    assert top.value.path == "$"
    assert "orjson.Fragment does not hold one JSON value" in str(top.value)
    with pytest.raises(fastjson.EncodeError) as inside:  # the walk: nan="error" takes it
        fastjson.dumpb({"a": [1, orjson.Fragment(bad)]}, backend=backend, nan="error")
    assert inside.value.path == "$.a[1]"


@pytest.mark.parametrize("bad", [b"{", b'{}"a\\', b"1 2", b""], ids=repr)
@pytest.mark.parametrize(
    ("where", "path"),
    [
        (lambda f: [f], "$[0]"),
        (lambda f: {"a": [1, {"b": f}]}, "$.a[1].b"),
        (lambda f: {"a": (1, f)}, "$.a[1]"),
        (lambda f: {"a": OrderedDict(b=f)}, "$.a.b"),
        (lambda f: {"a": [Box(f)]}, "$.a[0].value"),
    ],
    ids=["list", "dict", "tuple", "OrderedDict", "dataclass"],
)
def test_a_broken_fragment_inside_a_dict_or_list_is_an_encode_error(
    where: Any, path: str, bad: bytes
):
    """orjson copies a fragment out unread wherever it stands; fastjson reads every
    dict or list first, so a fragment nested anywhere is checked as one alone is."""
    with pytest.raises(fastjson.EncodeValueError, match="does not hold one JSON value") as info:
        fastjson.dumpb(where(orjson.Fragment(bad)))
    assert info.value.path == path


def test_a_valid_fragment_inside_a_dict_or_list_is_written_as_it_is():
    frag = orjson.Fragment(b'{"x":[1,2]}')
    assert fastjson.dumpb({"a": [frag, Box(frag)]}) == b'{"a":[{"x":[1,2]},{"value":{"x":[1,2]}}]}'
    assert fastjson.dumpb({"a": [1]}, default=lambda o: [frag]) == b'{"a":[1]}'
    assert fastjson.dumpb({"a": [object()]}, default=lambda o: [frag]) == b'{"a":[[{"x":[1,2]}]]}'


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_valid_fragment_is_written_on_every_backend(backend: str):
    import orjson

    out = fastjson.dumpb([orjson.Fragment(b'{"a": [1]}'), orjson.Fragment("2")], backend=backend)
    assert json.loads(out) == [{"a": [1]}, 2]
    assert fastjson.dumpb(orjson.Fragment(b"[1]"), backend=backend) == b"[1]"


def test_a_fragment_an_encoder_returns_is_checked():
    import orjson

    class Cached:
        pass

    reg = fastjson.Registry()
    reg.register(Cached, lambda o: orjson.Fragment(b'{"unclosed": '))
    for payload, path in ((Cached(), "$"), ([Cached()], "$[0]"), ({"k": Cached()}, "$.k")):
        with pytest.raises(fastjson.EncodeValueError) as info:
            fastjson.dumpb(payload, registry=reg)
        assert info.value.path == path


def test_an_encoder_registered_for_fragments_is_honoured_everywhere():
    import orjson

    reg = fastjson.Registry()
    reg.register(orjson.Fragment, lambda f: "a fragment")
    for backend in BACKENDS:
        out = fastjson.dumpb({"a": [orjson.Fragment(b"{")]}, registry=reg, backend=backend)
        assert out == b'{"a":["a fragment"]}'


# -- 4. integers round-trip both ways, up to the interpreter's digit limit --------

LIMIT = sys.get_int_max_str_digits()


@pytest.mark.parametrize(
    "value",
    [2**63, 2**64, -(2**63) - 1, 10**19, 10**308, 10**309, 10**400, -(10**400), 10**LIMIT - 1],
    ids=lambda v: f"{len(str(abs(v)))} digits" + (" negative" if v < 0 else ""),
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_loads_reads_back_every_integer_dumpb_writes(value: int, backend: str):
    assert fastjson.loads(fastjson.dumpb(value, backend=backend)) == value
    back = fastjson.loads(fastjson.dumpb({"a": [1.5, {"b": value}]}, backend=backend))
    assert back == {"a": [1.5, {"b": value}]}
    assert type(back["a"][1]["b"]) is int  # not a float that compares equal


@pytest.mark.parametrize("backend", BACKENDS)
def test_more_digits_than_the_interpreter_converts_is_an_encode_error(backend: str):
    too_long = 10**LIMIT  # LIMIT + 1 digits
    for payload, path in ((too_long, "$"), ({"a": [too_long]}, "$.a[0]")):
        for big_int in ("number", "string"):
            with pytest.raises(fastjson.EncodeValueError) as info:
                fastjson.dumpb(payload, backend=backend, big_int=big_int)  # type: ignore[arg-type]
            assert info.value.path == path
            assert f"limit of {LIMIT}" in str(info.value)
    with pytest.raises(fastjson.EncodeValueError):
        fastjson.dumpb({too_long: 1}, backend=backend)


def test_more_digits_than_the_interpreter_converts_is_a_decode_error():
    digits = b"7" * (LIMIT + 1)
    for doc, path in (
        (digits, "$"),
        (b'{"a": [1, -' + digits + b"]}", "$.a[1]"),
        (b'{"k k": ' + digits + b"}", '$["k k"]'),
    ):
        with pytest.raises(fastjson.DecodeError) as info:
            fastjson.loads(doc)
        assert info.value.path == path
        assert str(info.value).endswith(f" at {path}")
    assert fastjson.loads(b"7" * LIMIT) == int("7" * LIMIT)


def test_without_a_digit_limit_every_integer_round_trips():
    out = run(
        """
        import sys
        sys.set_int_max_str_digits(0)
        value = {"a": [-(10**20_000), 10**5000]}
        print(fastjson.loads(fastjson.dumpb(value)) == value)
        """
    )
    assert out.strip() == "True"


def test_other_decode_errors_keep_their_message_and_say_the_document():
    with pytest.raises(fastjson.DecodeError) as info:
        fastjson.loads(b"[1e400]")
    assert info.value.path == "$"
    assert str(info.value) == "number 1e400 is infinity when parsed as double"


# -- 5. Decimal NaN and infinities follow the nan option, as floats do --------------

NONFINITE_DECIMALS = ["NaN", "sNaN", "-NaN", "Infinity", "-Infinity"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("text", NONFINITE_DECIMALS)
def test_nonfinite_decimals_follow_the_nan_option(backend: str, text: str):
    from decimal import Decimal

    value = Decimal(text)
    as_float = float(text.replace("sNaN", "NaN"))
    for payload, path in ((value, "$"), ({"rows": [1, {"x": value}]}, "$.rows[1].x")):
        with pytest.raises(fastjson.NonFiniteError) as info:
            fastjson.dumpb(payload, backend=backend, nan="error")
        assert info.value.path == path
        assert info.value.value is value
        assert str(info.value) == f"non-finite {value!r} is not allowed (nan='error') at {path}"
        for nan in ("null", "string"):
            floats = payload if payload is value else {"rows": [1, {"x": as_float}]}
            got = fastjson.dumpb(payload, backend=backend, nan=nan)  # type: ignore[arg-type]
            assert got == fastjson.dumpb(
                as_float if payload is value else floats,
                backend=backend,
                nan=nan,  # type: ignore[arg-type]
            )


@pytest.mark.parametrize("nan", ["null", "error", "string"])
def test_nonfinite_decimal_keys_are_written_as_float_keys_are(nan: str):
    from decimal import Decimal

    for text in ("NaN", "Infinity", "-Infinity"):  # a signalling NaN cannot be hashed
        key = float(text)
        assert fastjson.dumpb({Decimal(text): 1}, nan=nan) == fastjson.dumpb({key: 1}, nan=nan)  # type: ignore[arg-type]


@pytest.mark.parametrize("route", ["auto", "pure", "python"])
def test_signalling_nan_decimals_in_pandas_columns_are_missing_as_other_nans(route: str):
    """pandas takes a NaN in an object column as missing (``null`` whatever ``nan``), and
    raises on a signalling one when it looks: that one is missing too."""
    from decimal import Decimal

    import pandas as pd

    from fastjson.encoders import route as forced

    cells = [Decimal("sNaN"), Decimal("-sNaN"), Decimal("2.5"), Decimal("NaN")]
    with forced(route):  # type: ignore[arg-type]
        for nan in ("null", "string", "error"):
            s = pd.Series(cells, dtype=object)
            assert fastjson.dumpb(s, nan=nan) == b'[null,null,"2.5",null]'  # type: ignore[arg-type]
            got = fastjson.dumpb(pd.DataFrame({"d": s}), nan=nan)  # type: ignore[arg-type]
            assert got == b'[{"d":null},{"d":null},{"d":"2.5"},{"d":null}]'


def test_finite_decimals_keep_every_digit():
    from decimal import Decimal

    assert (
        fastjson.dumpb([Decimal("0.0030"), Decimal("-1E+3")], nan="error") == b'["0.0030","-1E+3"]'
    )


# -- 6. long paths are abbreviated in messages, whole in .path ---------------------


def test_a_long_path_is_abbreviated_in_the_message_and_whole_in_path():
    deep: Any = 0
    for _ in range(1000):
        deep = [deep]
    with pytest.raises(fastjson.NestingTooDeepError) as info:
        fastjson.dumpb({"rows": deep})
    assert info.value.path == "$.rows" + "[0]" * 799
    head, tail = "$.rows" + "[0]" * 5, "[0]" * 6
    assert str(info.value) == f"nesting deeper than 800 levels at {head}…{tail} (800 steps)"
    assert info.value.within("$.outer").path == "$.outer.rows" + "[0]" * 799


def test_paths_of_twelve_steps_or_fewer_are_written_whole():
    payload: Any = float("nan")
    for key in ("f", "e", "d c", "b", "a"):
        payload = {key: [payload]}
    with pytest.raises(fastjson.NonFiniteError) as info:
        fastjson.dumpb(payload, nan="error")
    assert info.value.path == '$.a[0].b[0]["d c"][0].e[0].f[0]'
    assert str(info.value).endswith(" at " + info.value.path)


def test_a_decode_error_abbreviates_its_path_as_well():
    doc = b"[" * 20 + b"9" * (LIMIT + 1) + b"]" * 20
    with pytest.raises(fastjson.DecodeError) as info:
        fastjson.loads(doc)
    assert info.value.path == "$" + "[0]" * 20
    assert str(info.value).endswith(" at $" + "[0]" * 6 + "…" + "[0]" * 6 + " (20 steps)")


def test_objects_left_by_an_interrupted_encode_are_not_converted_later():
    """An encode stopped mid-way (KeyboardInterrupt) leaves its deferred objects; the
    next encode on the thread finds more objects than placeholders and walks."""
    from threading import get_ident

    from fastjson import _deferral

    calls: list[int] = []
    _deferral.DEFERRED[get_ident()] = [Money(1)]
    assert fastjson.dumpb([Money(2)], default=lambda o: calls.append(o.cents) or 0) == b"[0]"
    assert calls == [2]
    assert get_ident() not in _deferral.DEFERRED
