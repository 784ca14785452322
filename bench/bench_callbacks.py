"""Group 9, payloads that need ``default=``: what deferring code of yours costs.

fastjson runs ``default`` (and encoders you register) only once orjson has let go
of the payload (fastjson/_deferral.py), so that a callback that mutates the
payload cannot crash the process. Rows: fastjson with ``default``; the same
payload with the values already converted (no callback at all); raw orjson
with the same ``default``, which runs it in the middle of its walk (the
unprotected floor); and the walk, the other safe route (``backend="json"``
takes it). bench/README.md gives these interleaved, with their spread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from checks import plain_records, strict_loads
from payloads import make_records, make_small

import fastjson


class Money:
    """A value of the service's own type: ``default`` writes its cents."""

    __slots__ = ("cents",)

    def __init__(self, cents: int) -> None:
        self.cents = cents


def cents(o: Money) -> int:
    return o.cents


def payloads(converted: bool) -> dict[str, Any]:
    """The small object with one Money, and 1,000 records with one Money each."""
    money: Callable[[int], Any] = (lambda c: c) if converted else Money
    records = plain_records(make_records(1_000))
    return {
        "small": {**make_small(), "price": money(1999)},
        "records": [{**r, "price": money(i)} for i, r in enumerate(records)],
    }


WITH_MONEY = payloads(False)
CONVERTED = payloads(True)

ROWS: dict[str, Callable[[str], Any]] = {
    "fastjson.dumpb": lambda p: fastjson.dumpb(WITH_MONEY[p], default=cents),
    "fastjson.dumpb, values converted": lambda p: fastjson.dumpb(CONVERTED[p]),
    "orjson.dumps (default inside its walk)": lambda p: orjson.dumps(WITH_MONEY[p], default=cents),
    "fastjson backend=json (the walk)": lambda p: fastjson.dumpb(
        WITH_MONEY[p], default=cents, backend="json"
    ),
}


@pytest.mark.parametrize("payload", ["small", "records"])
@pytest.mark.parametrize("name", list(ROWS))
def test_callbacks(benchmark: Any, payload: str, name: str):
    benchmark.group = f"9 callbacks: {'small object' if payload == 'small' else '1,000 records'}"
    out = benchmark(ROWS[name], payload)
    expected = CONVERTED[payload]
    if payload == "small":
        expected = {**expected, "created": expected["created"].isoformat()}
    assert strict_loads(out) == expected
