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
    monkeypatch.setattr(module, "STREAM_PLOT", tmp_path / "results" / "streaming.png")
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


def interleaved(group: str, key: str, ref: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    info = {"interleaved": key, "reference": ref, "rounds": 2, "load": [1.0, 3.5], "cores": 2,
            "payload": group.split(": ")[1].removesuffix(", body"), "rows": rows}  # fmt: skip
    return {"group": group, "name": f"test_{key}", "params": None,
            "stats": {"median": 9.0}, "extra_info": info}  # fmt: skip


def row(key: str, name: str, seconds: list[float], size: int, **more: Any) -> dict[str, Any]:
    return {"key": key, "name": name, "seconds": seconds, "bytes": size, **more}


def synthetic_streaming() -> dict[str, Any]:
    wsgi = [
        row("array-stream", "float64 50M, stream=True", [0.9, 1.0], 10**9, payload="float64 50M",
            first_byte_s=[0.004, 0.005], peak_mib=[10.0, 12.0]),
        row("frame-stream", "frame 5M x 6, stream=True", [2.0, 2.5], 6 * 10**8,
            payload="frame 5M x 6", first_byte_s=[0.02, 0.06],
            peak_mib=[13.0, 70.0]),  # 50 ms, 65 MiB: straddled
        row("frame_small-stream", "frame 500k x 6, stream=True", [0.2, 0.3], 6 * 10**7,
            payload="frame 500k x 6", first_byte_s=[0.02, 0.02], peak_mib=[13.0, 13.5]),
    ]  # fmt: skip
    array = [
        row("dumpb", "fastjson.dumpb (whole body)", [0.40, 0.50], 2 * 10**8, peak_mib=[200, 210]),
        row("chunks-64 KiB", "iter_encode, 64 KiB chunks", [0.30, 0.35], 2 * 10**8),
        row("chunks-1 MiB", "iter_encode, 1 MiB chunks (default)", [0.50, 0.60], 2 * 10**8),
    ]
    frame = [
        row("dumpb", "fastjson.dumpb (whole body)", [0.50, 0.50], 10**8),
        row("chunks-1 MiB", "iter_encode, 1 MiB chunks (default)", [0.50, 0.52], 10**8),
        row("chunks-4 MiB", "iter_encode, 4 MiB chunks", [0.52, 0.50], 10**8),
        row("ndjson", "iter_ndjson (NDJSON)", [0.45, 0.55], 10**8 - 1),
        row("arrow", "arrow_chunks (Arrow IPC stream)", [0.125, 0.2], 4 * 10**7),
    ]
    gzip = [
        row("none", "iter_encode, no compression", [0.5, 0.5], 10**8),
        row("gzip-6", "gzip_chunks level 6", [10.0, 11.0], 45 * 10**6),
    ]
    return {
        "datetime": "2026-01-02T03:04:05",
        "machine_info": {"cpu": {"brand_raw": "Test CPU", "count": 2}, "python_version": "3.11"},
        "benchmarks": [
            interleaved("7 streaming: WSGI response", "wsgi", "", wsgi),
            interleaved("7 streaming: float64 10M, body", "array", "dumpb", array),
            interleaved("7 streaming: frame 1M x 6, body", "frame", "dumpb", frame),
            interleaved("8 gzip: frame 1M x 6 JSON, streamed", "gzip-frame", "none", gzip),
        ],
    }


def test_streaming_section(report: Any, tmp_path: Path):
    """Interleaved groups go between their own markers, with a verdict only where every
    round falls on one side of the bound; the other part of the README stays as it was."""
    readme = tmp_path / "README.md"
    readme.write_text(
        f"a\n{report.START}\nmain\n{report.END}\nb\n"
        f"{report.STREAM_START}\nold\n{report.STREAM_END}\nc\n"
    )
    data = tmp_path / "streaming.json"
    data.write_text(json.dumps(synthetic_streaming()))
    report.main(str(data))
    text = readme.read_text()
    assert f"{report.START}\nmain\n{report.END}" in text and "old" not in text
    assert text.startswith("a\n") and text.endswith("\nc\n")
    lines = set(text.splitlines())
    expected = [
        "| peak extra memory, float64 50M, stream=True (WSGI) | <= 64 MiB + one 1 MiB chunk "
        "| 10.0 MiB | 10.0 MiB to 12.0 MiB | met |",
        "| peak extra memory, frame 5M x 6, stream=True (WSGI) | <= 64 MiB + one 1 MiB chunk "
        "| 13.0 MiB | 13.0 MiB to 70.0 MiB | no verdict: the spread straddles the bound |",
        "| same peak for 10x fewer rows: frame 5M x 6 minus frame 500k x 6 (lowest rounds, "
        "highest rounds) | <= +1 MiB (one chunk) | +0.0 MiB | +0.0 MiB to +56.5 MiB "
        "| no verdict: the spread straddles the bound |",
        "| first byte, frame 5M x 6, stream=True (WSGI) | < 50 ms | 20.0 ms "
        "| 20.0 ms to 60.0 ms | no verdict: the spread straddles the bound |",
        # per-round dumpb / streamed: 0.8, 0.83: both below 0.9
        "| streamed speed / dumpb's, float64 10M | >= 0.9x | 0.80x | 0.80x to 0.83x "
        "| **missed** |",
        "| streamed speed / dumpb's, frame 1M x 6 | >= 0.9x | 1.00x | 0.96x to 1.00x | met |",
        "| NDJSON (iter_ndjson) speed / dumpb's, frame 1M x 6 | >= 1x | 1.11x "
        "| 0.91x to 1.11x | no verdict: the spread straddles the bound |",
        "| Arrow (arrow_chunks) speed / dumpb's, frame 1M x 6 | >= 5x | 4.00x "
        "| 2.50x to 4.00x | **missed** |",
        "| default chunk size (1 MiB), time / fastest other size (64 KiB), float64 10M "
        "| <= 1.05x "
        "| 1.67x | 1.67x to 1.71x | **missed** |",
        "| default chunk size (1 MiB), time / fastest other size (4 MiB), frame 1M x 6 "
        "| <= 1.05x "
        "| 1.00x | 0.96x to 1.04x | met |",
        "| frame 5M x 6, stream=True | 13.0 MiB to 70.0 MiB | 20.0 ms to 60.0 ms | 600.0 MB |",
        "| fastjson.dumpb (whole body) | 400.0 ms | 400.0 ms to 500.0 ms | 1.00x | 200.0 MB "
        "| 1.00x | 200.0 MiB to 210.0 MiB |",
        "| gzip_chunks level 6 | 10.00 s | 10.00 s to 11.00 s | 20.00x | 45.0 MB | 0.45x | - |",
    ]
    for line in expected:
        assert line in lines, line
    assert "Load average (1 min) at the start and end of the groups: 1.0 to 3.5 on 2 cores" in text
    assert (tmp_path / "results" / "streaming.png").read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "results" / "medians.png").exists()
