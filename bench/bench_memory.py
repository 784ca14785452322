"""Peak extra memory while encoding, and the cost of ``import fastjson``.

Measured in fresh interpreters so that nothing else is resident. Peak extra
memory is what the encode adds to the pages the process holds: VmHWM minus
VmRSS, the high-water mark reset first through ``/proc/self/clear_refs``
(pages touched, not bytes requested: an allocator's copies that are never
all resident at once do not count twice). These are budgets, not timings:
they hold on any machine, so CI checks them too.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from typing import Any

import pytest

MEMORY_PROBE = """
import json
import numpy as np
import fastjson

def status(key):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) * 1024 for line in lines if line.startswith(key + ":"))

a = np.random.default_rng(0).random(1_000_000)
{prepare}
fastjson.dumpb(obj)  # warm up: lazy imports and caches are not part of the budget
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # VmHWM := VmRSS
before = status("VmRSS")
out = fastjson.dumpb(obj)
print(json.dumps({{"peak": status("VmHWM") - before, "output": len(out)}}))
"""


def probe(prepare: str) -> dict[str, int]:
    code = MEMORY_PROBE.format(prepare=prepare)
    return json.loads(subprocess.check_output([sys.executable, "-c", code], text=True))


@pytest.mark.parametrize(
    ("payload", "prepare", "budget"),
    [
        ("top-level array", "obj = a", 3.0),
        ("non-contiguous view", "obj = np.random.default_rng(0).random(2_000_000)[::2]", 3.0),
        # the array's encoded bytes are copied into orjson's outer buffer (bench/README.md,
        # "Memory"): about 2x, as for the 20M array of ``make bench-quick``
        ("array inside a dict", "obj = {'values': a}", 3.0),
    ],
)
def test_peak_memory_while_encoding_1e6_float64(
    benchmark: Any, payload: str, prepare: str, budget: float
):
    """Peak extra memory during the encode, as a multiple of the output size."""
    benchmark.group = "memory: peak while encoding 1e6 float64"
    result = benchmark.pedantic(probe, args=(prepare,), rounds=1, iterations=1)
    ratio = result["peak"] / result["output"]
    benchmark.extra_info.update(result, ratio=round(ratio, 2))
    assert ratio <= budget, f"{payload}: peak {ratio:.2f}x the output size"


IMPORT_PROBE = (
    "import time; t = time.perf_counter(); import {module}; "
    "print(time.perf_counter() - t, __import__('sys').modules.get('pandas') is None)"
)


def import_once(module: str) -> tuple[float, bool]:
    code = IMPORT_PROBE.format(module=module)
    out = subprocess.check_output([sys.executable, "-c", code], text=True).split()
    return float(out[0]), out[1] == "True"


@pytest.fixture(scope="module")
def compiled() -> None:
    """Bytecode, as an installed wheel has it (PYTHONDONTWRITEBYTECODE may be set here)."""
    import compileall

    import fastjson

    compileall.compile_dir(os.path.dirname(fastjson.__file__), quiet=1)


@pytest.mark.parametrize("module", ["fastjson", "orjson"])
def test_import_time(benchmark: Any, compiled: None, module: str):
    """``import fastjson`` in a fresh interpreter (target < 30 ms, and no pandas).

    ``import orjson`` alone is measured beside it: it is most of the cost.
    pytest-benchmark times the whole child process (interpreter start-up
    included); the import itself, timed inside the child, is the median kept
    in ``extra_info["import_ms"]``, which is what the report compares with
    the target.
    """
    benchmark.group = "import: fresh interpreter incl. start-up"
    import_seconds: list[float] = []

    def run_child() -> None:
        seconds, no_pandas = import_once(module)
        assert no_pandas
        import_seconds.append(seconds)

    benchmark.pedantic(run_child, rounds=7, iterations=1)
    benchmark.extra_info["import_ms"] = round(statistics.median(import_seconds) * 1e3, 2)
