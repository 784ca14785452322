"""Group 10, plain dicts and lists: what reading a payload before orjson costs.

fastjson reads every dict or list it hands to orjson once, for depth and for
``orjson.Fragment`` (fastjson/_scan.py says why: orjson 3.12 and later do not
bound tuples, and copy fragments unread). Rows: ``fastjson.dumpb`` with that
pass, compiled and in Python (the fallback where no C compiler was found), and
raw ``orjson.dumps``, which reads nothing first. ``python bench/bench_nesting.py``
times the pass interleaved against the same ``dumpb`` without it, for
bench/README.md ("Nesting and fragments").
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import pytest
from checks import plain_records, strict_loads
from payloads import make_records, make_small

import fastjson
from fastjson import _scan, core

PAYLOADS: dict[str, Any] = {
    "small": {**make_small(), "created": "2024-01-01T00:00:00"},
    "records": plain_records(make_records(1_000)),
}


@contextmanager
def payload_pass(check: Callable[[Any], int]) -> Iterator[None]:
    """``dumpb`` with ``check`` as its pass over payloads (the compiled one restored after)."""
    saved = core.payload_flags
    core.payload_flags = core._payload_flags = check
    try:
        yield
    finally:
        core.payload_flags = core._payload_flags = saved


PYTHON_PASS = partial(
    _scan._scan_python, limit=_scan.LIMIT, mask=_scan.WALK | _scan.DATES, stop=_scan.WALK
)
NO_PASS: Callable[[Any], int] = [].count  # 0 for anything, in C: the code before the pass

ROWS: dict[str, Callable[[Any], Any]] = {
    "fastjson.dumpb (compiled pass)": fastjson.dumpb,
    "orjson.dumps (reads nothing first)": orjson.dumps,
}


@pytest.mark.parametrize("payload", list(PAYLOADS))
@pytest.mark.parametrize("name", [*ROWS, "fastjson.dumpb (pass in Python)"])
def test_nesting(benchmark: Any, payload: str, name: str):
    benchmark.group = f"10 nesting: {'small object' if payload == 'small' else '1,000 records'}"
    obj = PAYLOADS[payload]
    if name in ROWS:
        assert _scan.COMPILED, "make test builds fastjson._cscan"
        out = benchmark(ROWS[name], obj)
    else:
        with payload_pass(PYTHON_PASS):
            out = benchmark(fastjson.dumpb, obj)
    assert strict_loads(out) == obj


def main() -> None:
    """The pass against none, alternated batch by batch in one process (bench/quick.py's
    batches, 11 rounds): per payload, the median per-round ratio and its interquartile range."""
    import gc
    import statistics

    sys.path.insert(0, str(Path(__file__).parent))
    from quick import batch_time

    for payload, obj in PAYLOADS.items():
        for label, check in (("compiled", core.payload_flags), ("Python", PYTHON_PASS)):
            call = partial(fastjson.dumpb, obj)
            times: dict[Callable[[Any], int], list[float]] = {check: [], NO_PASS: []}
            for round in range(12):
                gc.collect()
                for each, kept in times.items():
                    with payload_pass(each):
                        t = batch_time(call, 0.2)
                    if round:  # the first round warms up
                        kept.append(t)
            ratios = sorted(a / b for a, b in zip(times[check], times[NO_PASS], strict=True))
            low, _, high = statistics.quantiles(ratios, n=4)
            print(
                f"| {payload} | {label} | {statistics.median(times[check]) * 1e6:.2f} us"
                f" | {statistics.median(times[NO_PASS]) * 1e6:.2f} us"
                f" | {statistics.median(ratios):.3f}x | {low:.3f} to {high:.3f} |"
            )


if __name__ == "__main__":
    main()
