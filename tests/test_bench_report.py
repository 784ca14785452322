"""bench/report.py: tables, targets and plot from a pytest-benchmark JSON.

``make bench-report`` is not part of ``make test`` (it needs a timed run),
so this feeds it a small synthetic JSON with the groups and rows the targets
name and checks what it writes.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    spec = importlib.util.spec_from_file_location("bench_report", ROOT / "bench" / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{module.START}\nold\n{module.END}\nafter\n")
    monkeypatch.setattr(
        module, "HERE", tmp_path / "bench"
    )  # paths are printed relative to its parent
    monkeypatch.setattr(module, "README", readme)
    monkeypatch.setattr(module, "PLOT", tmp_path / "results" / "medians.png")
    return module


def bench(group: str, name: str, median: float, **extra: Any) -> dict[str, Any]:
    return {"group": group, "name": f"test[{name}]", "params": {"name": name},
            "stats": {"median": median}, "extra_info": extra}  # fmt: skip


def synthetic() -> dict[str, Any]:
    small_r, small_b = "1 small object: full response", "1 small object: body"
    arr, nan = "3 numpy: float64 1e6", "4 numpy: float64 1e6 5% NaN"
    views = ("3 numpy: view a[::2] of 2e6", "3 numpy: view a.T 1000x1000")
    df = "5 pandas: DataFrame 100k x 8, records"
    orjson = "orjson OPT_SERIALIZE_NUMPY"
    rows = [
        bench(small_r, "fastjson.jsonify", 10e-6),
        bench(small_r, "flask.jsonify", 50e-6),
        bench(small_b, "fastjson.dumpb", 2e-6),
        bench(small_b, "flask app.json.dumps", 10e-6),  # 5x: missed
        bench(arr, "fastjson.dumpb", 0.040),
        bench(arr, orjson, 0.040),
        bench(arr, "flask.jsonify(tolist) response", 1.0),
        bench(nan, "fastjson.dumpb", 0.040),
        bench(nan, orjson, 0.040),
        *(bench(v, n, 0.040) for v in views for n in ("fastjson.dumpb", orjson)),
        bench(df, "fastjson.dumpb", 0.080),
        bench(df, "pandas to_json", 0.200),
        bench(df, "polars from_pandas + write_json", 0.090),  # 0.89x: missed
        bench(df, "flask.jsonify(to_dict) response", 4.0),
    ]
    memory = "memory: peak while encoding 1e6 float64"
    rows += [
        {**bench(memory, "x", 0.5, ratio=1.7), "params": {"payload": "top-level array"}},
        {**bench(memory, "x", 0.5, ratio=3.4), "params": {"payload": "array inside a dict"}},
    ]
    imports = "import: fresh interpreter incl. start-up"
    rows += [
        {**bench(imports, "x", 0.09, import_ms=34.0), "params": {"module": "fastjson"}},
        {**bench(imports, "x", 0.08, import_ms=28.0), "params": {"module": "orjson"}},
    ]
    return {
        "datetime": "2026-01-02T03:04:05",
        "machine_info": {"cpu": {"brand_raw": "Test CPU", "count": 2}, "python_version": "3.11"},
        "benchmarks": rows,
    }


def test_targets_tables_and_plot(report: Any, tmp_path: Path):
    data = tmp_path / "latest.json"
    data.write_text(json.dumps(synthetic()))
    report.main(str(data))
    text = (tmp_path / "README.md").read_text()
    assert text.startswith("before\n") and text.endswith("after\n") and "old" not in text
    assert "Run 2026-01-02 03:04 UTC on Test CPU (2 cores), Python 3.11" in text
    assert "| small object, full response vs flask.jsonify | >= 4x | 5.00x | met |" in text
    assert "| small object, body vs Flask's app.json.dumps | >= 10x | 5.00x | **missed** |" in text
    assert "| 1e6 float64, time / raw orjson | <= 1.2x | 1.00x | met |" in text
    assert "| DataFrame records, time / pandas to_json | <= 0.5x | 0.40x | met |" in text
    assert "| DataFrame records, time / polars write_json | <= 0.8x | 0.89x | **missed** |" in text
    assert "| peak memory, array inside a dict | <= 3x output | 3.40x | **missed** |" in text
    assert (
        "| import fastjson (fresh interpreter; orjson alone: 28.0 ms) "
        "| < 30 ms, no pandas | 34.0 ms | **missed** |"
    ) in text
    assert "| flask.jsonify(to_dict) response | 4.00 s | 50.00x |" in text
    assert "#### memory" not in text and "#### import" not in text
    assert (tmp_path / "results" / "medians.png").read_bytes().startswith(b"\x89PNG")
