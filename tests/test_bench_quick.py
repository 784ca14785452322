"""bench/quick.py (make bench-quick): its measuring parts work and its verdicts are honest."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_quick", ROOT / "bench" / "quick.py")
assert _spec is not None and _spec.loader is not None
quick = importlib.util.module_from_spec(_spec)
sys.modules["bench_quick"] = quick
_spec.loader.exec_module(quick)


def test_verdicts_only_when_the_spread_is_on_one_side():
    assert quick.verdict(0.8, 0.9, 1.0) == "met"
    assert quick.verdict(1.1, 1.3, 1.0) == "missed"
    assert quick.verdict(0.9, 1.1, 1.0) == "spread straddles the bound"


def test_interleaved_rounds_give_ratios_and_their_spread():
    row = quick.interleaved(lambda: sum(range(200)), lambda: sum(range(100)), 7, 0.002)
    assert row["ratio_median"] > 1
    low, high = row["iqr"]
    assert low <= row["ratio_median"] <= high


def test_peak_memory_sees_a_big_allocation():
    extra, size = quick.peak_extra(lambda: b"x" * (64 << 20))  # written, so resident
    assert size == 64 << 20
    assert extra >= 48 << 20


def test_results_are_written_between_the_markers(tmp_path: Path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{quick.START}\nold\n{quick.END}\ntail\n")
    row = {"label": "a vs b", "bound": 1.2, "ratio_median": 1.0, "ratio_min": 0.9}
    out = {
        "machine": {"when": "now", "cpus": 2, "python": "3.11", "versions": {"orjson": "3"}},
        "speed": [{**row, "iqr": [0.95, 1.05], "verdict": "met"}],
        "memory": [{"label": "memory x", "bound": 1.5, "ratio": 1.1, "verdict": "met"}],
    }
    quick.write_readme(out, readme)
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("tail\n") and "old" not in text
    assert "| a vs b | 1.2x | 1.000x | 0.900x | 0.950 to 1.050 | met |" in text
