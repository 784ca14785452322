"""fastjson._scan: the pass over a dict or list before orjson reads it.

The compiled pass and the Python one must answer alike; the answers must be
the rules orjson needs (tuples and nesting, fragments, dates). What the
encoder does with the answers is tested in test_hardening_iii.py and, for
dates, in test_dates.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pandas as pd
import pytest
from fresh import run
from hypothesis import given, settings
from hypothesis import strategies as st

from fastjson import _scan
from fastjson._scan import DATES, DEEP, FRAGMENT, LIMIT, WALK

leaves = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=3),
    st.floats(allow_nan=False),
    st.just(orjson.Fragment(b"1")),
    st.just(()),
    st.just([]),
    st.just({}),
    st.builds(object),
    st.dates(),
    st.times(timezones=st.none() | st.timezones()),
    st.datetimes(timezones=st.none() | st.just(dt.UTC) | st.timezones()),
    st.builds(pd.Timestamp, st.datetimes()),
)
payloads = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=2), inner, max_size=4),
    ),
    max_leaves=40,
)


def nest(n: int, outer: Any, kinds: str = "l") -> Any:
    """``outer`` inside ``n`` containers, the innermost first, of the kinds in turn."""
    obj = outer
    for i in range(n):
        kind = kinds[i % len(kinds)]
        obj = [obj] if kind == "l" else (obj,) if kind == "t" else {"k": obj}
    return obj


def test_the_pass_is_compiled_where_make_test_builds_it():
    assert _scan.COMPILED, "fastjson._cscan was not built: is a C compiler installed?"


@settings(max_examples=400, deadline=None)
@given(payloads)
def test_compiled_and_python_passes_agree(obj: Any):
    """Alike on whether to walk; where neither walks, both read everything and
    agree on dates too (a pass that finds a reason to walk may stop early)."""
    python_payload = _scan._scan_python(obj, LIMIT, WALK | DATES, WALK)
    python_result = _scan._scan_python(obj, LIMIT, _scan._RESULT, _scan._RESULT)
    compiled = _scan.payload_flags(obj)
    assert bool(compiled & WALK) == bool(python_payload & WALK)
    if not compiled & WALK:
        assert compiled == python_payload
    assert bool(_scan.result_flags(obj)) == bool(python_result)


@pytest.mark.parametrize("kinds", ["l", "t", "d", "ltd"])
def test_a_container_at_orjsons_checked_level_is_deep(kinds: str):
    """Level 254 holds the 255th container: orjson stops a list or dict there,
    and, since 3.12, lets a tuple through."""
    assert _scan.payload_flags(nest(LIMIT - 1, [1], kinds)) == 0  # levels 0 to 253
    assert _scan.payload_flags(nest(LIMIT, [1], kinds)) & DEEP
    assert _scan.payload_flags(nest(LIMIT, (1,), kinds)) & DEEP
    assert _scan.payload_flags(nest(LIMIT - 1, ([1],), kinds)) & DEEP
    assert _scan.payload_flags(nest(LIMIT + 10_000, [], kinds)) & DEEP
    assert _scan.payload_flags(nest(10_000, [], kinds)) == _scan._scan_python(
        nest(10_000, [], kinds), LIMIT, WALK | DATES, WALK
    )


def test_empty_containers_open_no_level():
    assert _scan.payload_flags(nest(LIMIT, (), "l")) == 0
    assert _scan.payload_flags(nest(LIMIT, [], "l")) == 0


def test_a_cycle_through_a_tuple_is_deep_wherever_it_stands():
    items: list[Any] = []
    items.append((items,))
    for obj in (items, {"a": items}, [{"b": [items]}]):
        assert _scan.payload_flags(obj) & DEEP


def test_fragments_are_found_at_any_level_and_nothing_else_is():
    frag = orjson.Fragment(b"{}")
    assert _scan.payload_flags({"a": [1, {"b": (frag,)}]}) & FRAGMENT
    assert _scan.payload_flags([frag]) & FRAGMENT
    assert _scan.payload_flags({"a": [1, "x", 2.5, None, True, object()]}) == 0


AMSTERDAM = dt.datetime(1900, 1, 1, 12, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.mark.parametrize(
    "value",
    [
        dt.time(1, 2, 3, 12345),
        AMSTERDAM,
        dt.datetime(2024, 1, 1, tzinfo=ZoneInfo("UTC")),  # not timezone.utc: not read
        dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        pd.Timestamp("2024-01-01T00:00:00.000000001"),
        pd.Timestamp("2024-01-01").date(),  # an exact date: written by orjson
    ],
)
def test_dates_orjson_writes_otherwise_are_found_at_any_level(value: Any):
    expected = 0 if type(value) is dt.date else DATES
    for obj in ([value], {"a": [1, {"b": (value,)}]}, nest(LIMIT - 2, [value], "ltd")):
        assert _scan.payload_flags(obj) == expected
        assert _scan._scan_python(obj, LIMIT, WALK | DATES, WALK) == expected
        assert _scan.result_flags(obj) & DATES == expected


def test_naive_and_utc_datetimes_and_dates_are_left_to_orjson():
    values = [dt.datetime(2024, 5, 17, 8, 30), dt.date(1, 1, 1), dt.datetime.max]
    values.append(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    assert _scan.payload_flags({"a": values, "b": [1, "x", None, True]}) == 0
    assert _scan._scan_python({"a": values}, LIMIT, WALK | DATES, WALK) == 0


def test_a_date_does_not_stop_the_pass_before_a_reason_to_walk():
    assert _scan.payload_flags([dt.time(1), nest(LIMIT, [1])]) == DEEP | DATES
    assert _scan.payload_flags([dt.time(1), orjson.Fragment(b"1")]) == FRAGMENT | DATES


def test_results_holding_tuples_are_flagged_where_orjson_does_not_bound_them():
    assert bool(_scan.result_flags({"a": [(1, 2)]})) is not _scan.TUPLES_BOUNDED
    assert _scan.result_flags({"a": [[1, 2]]}) == 0
    assert _scan.payload_flags({"a": [(1, 2)]}) == 0


def test_the_probe_tells_which_orjson_is_installed():
    """orjson 3.12 and later let a tuple opened at level 254 through; 3.11 stopped it."""
    version = tuple(int(p) for p in orjson.__version__.split(".")[:2])
    assert _scan.TUPLES_BOUNDED is (version < (3, 12))
    assert _scan._tuples_bounded() is _scan.TUPLES_BOUNDED


def test_without_the_compiled_pass_nothing_crashes_and_the_bytes_are_the_same():
    """Where the extension could not be built: the Python pass, same answers."""
    stdout = run(
        """
        import sys
        sys.modules["fastjson._cscan"] = None  # as if it had not been built
        import dataclasses, datetime, orjson, fastjson
        from fastjson import _scan
        assert not _scan.COMPILED

        def outcome(obj):
            try:
                return fastjson.dumpb(obj)
            except fastjson.EncodeError as exc:
                return type(exc).__name__, exc.path[:12]

        t = 1
        for _ in range(100_000):
            t = (t,)
        items = []
        items.append((items,))
        print(outcome({"a": [t]}))
        print(outcome({"a": items}))
        print(outcome([orjson.Fragment(b"{")]))
        print(outcome({"a": [orjson.Fragment(b'{"x":1}'), (1, 2)]}))
        print(outcome({"a": [datetime.time(1, 2, 3, 12345), datetime.date(2024, 1, 2)]}))
        """,
        prelude="",
    )
    assert stdout.splitlines() == [
        "('NestingTooDeepError', '$.a[0][0][0]')",
        "('CircularReferenceError', '$.a[0][0]')",
        "('EncodeValueError', '$[0]')",
        'b\'{"a":[{"x":1},[1,2]]}\'',
        'b\'{"a":["01:02:03.012345","2024-01-02"]}\'',
    ]
