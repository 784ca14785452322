"""Turn pytest-benchmark's JSON into the tables and the plot of bench/README.md.

    python bench/report.py bench/results/latest.json

Rewrites the part of bench/README.md between the ``results`` markers (machine,
versions, one table of medians and ratios per group, the targets) and saves
bench/results/medians.png. Every figure comes from the JSON: nothing here is
typed in by hand.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
PLOT = HERE / "results" / "medians.png"
START, END = "<!-- results:start -->", "<!-- results:end -->"
PACKAGES = ("flask-fastjson", "orjson", "ujson", "numpy", "pandas", "polars", "pyarrow", "flask")


NAMED = {"test_frame_records_without_polars": "fastjson.dumpb, pure path (no polars)"}


def row_name(bench: dict[str, Any]) -> str:
    """The contender's name: its ``name``/``payload``/``module`` parameter, else the test's."""
    params = bench.get("params") or {}
    for key in ("name", "payload", "module"):
        if key in params:
            return str(params[key])
    return NAMED.get(bench["name"], bench["name"])


def load(path: Path) -> tuple[dict[str, Any], dict[str, list[tuple[str, float]]]]:
    data = json.loads(path.read_text())
    groups: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for bench in data["benchmarks"]:
        groups[bench["group"]].append((row_name(bench), bench["stats"]["median"]))
    return data, {g: sorted(rows, key=lambda r: r[1]) for g, rows in sorted(groups.items())}


def fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.1f} us"


def reference(rows: list[tuple[str, float]]) -> float:
    """Ratios are against fastjson's own main row of the group."""
    for preferred in ("fastjson.dumpb", "fastjson.jsonify", "fastjson hello_rest", "fastjson"):
        for name, median in rows:
            if name == preferred:
                return median
    return rows[0][1]


def tables(groups: dict[str, list[tuple[str, float]]]) -> str:
    out = []
    for group, rows in groups.items():
        if group.startswith(("memory", "import")):
            continue
        ref = reference(rows)
        out += [f"#### {group}", "", "| row | median | time / fastjson |", "|---|---:|---:|"]
        out += [f"| {name} | {fmt(median)} | {median / ref:.2f}x |" for name, median in rows]
        out.append("")
    return "\n".join(out)


def median_of(groups: dict[str, list[tuple[str, float]]], group: str, row: str) -> float:
    for name, median in groups.get(group, []):
        if name == row:
            return median
    raise KeyError(f"{group!r} has no row {row!r}")


def targets(data: dict[str, Any], groups: dict[str, list[tuple[str, float]]]) -> str:
    """Each target of the benchmark brief, computed from the medians, with met / missed."""
    m = lambda g, r: median_of(groups, g, r)  # noqa: E731
    small_r, small_b = "1 small object: full response", "1 small object: body"
    arr = "3 numpy: float64 1e6"
    nan = "4 numpy: float64 1e6 5% NaN"
    df = "5 pandas: DataFrame 100k x 8, records"
    rows = [
        (
            "small object, full response vs flask.jsonify",
            ">= 4x",
            m(small_r, "flask.jsonify") / m(small_r, "fastjson.jsonify"),
            4,
            True,
        ),
        (
            "small object, body vs Flask's app.json.dumps",
            ">= 10x",
            m(small_b, "flask app.json.dumps") / m(small_b, "fastjson.dumpb"),
            10,
            True,
        ),
        (
            "1e6 float64 vs flask.jsonify(tolist)",
            ">= 20x",
            m(arr, "flask.jsonify(tolist) response") / m(arr, "fastjson.dumpb"),
            20,
            True,
        ),
        (
            "1e6 float64, time / raw orjson",
            "<= 1.2x",
            m(arr, "fastjson.dumpb") / m(arr, "orjson OPT_SERIALIZE_NUMPY"),
            1.2,
            False,
        ),
        (
            "view a[::2], time / orjson on a contiguous array",
            "<= 1.5x",
            m("3 numpy: view a[::2] of 2e6", "fastjson.dumpb")
            / m("3 numpy: view a[::2] of 2e6", "orjson OPT_SERIALIZE_NUMPY"),
            1.5,
            False,
        ),
        (
            "view a.T, time / orjson on a contiguous array",
            "<= 1.5x",
            m("3 numpy: view a.T 1000x1000", "fastjson.dumpb")
            / m("3 numpy: view a.T 1000x1000", "orjson OPT_SERIALIZE_NUMPY"),
            1.5,
            False,
        ),
        (
            "1e6 float64 with NaN, time / raw orjson",
            "<= 2x",
            m(nan, "fastjson.dumpb") / m(nan, "orjson OPT_SERIALIZE_NUMPY"),
            2,
            False,
        ),
        (
            "DataFrame records vs flask.jsonify(to_dict)",
            ">= 30x",
            m(df, "flask.jsonify(to_dict) response") / m(df, "fastjson.dumpb"),
            30,
            True,
        ),
        (
            "DataFrame records, time / pandas to_json",
            "<= 0.5x",
            m(df, "fastjson.dumpb") / m(df, "pandas to_json"),
            0.5,
            False,
        ),
        (
            "DataFrame records, time / polars write_json",
            "<= 0.8x",
            m(df, "fastjson.dumpb") / m(df, "polars from_pandas + write_json"),
            0.8,
            False,
        ),
    ]
    out = ["| target | wanted | measured | |", "|---|---|---:|---|"]
    for label, wanted, value, bound, higher_is_better in rows:
        met = value >= bound if higher_is_better else value <= bound
        out.append(f"| {label} | {wanted} | {value:.2f}x | {'met' if met else '**missed**'} |")
    for bench in data["benchmarks"]:
        if bench["group"].startswith("memory"):
            info = bench["extra_info"]
            out.append(
                f"| peak memory, {row_name(bench)} | <= 3x output | "
                f"{info['ratio']:.2f}x | {'met' if info['ratio'] <= 3 else '**missed**'} |"
            )
        if bench["group"].startswith("import") and row_name(bench) == "fastjson":
            ms = bench["extra_info"]["import_ms"]
            orjson_ms = next(
                b["extra_info"]["import_ms"]
                for b in data["benchmarks"]
                if b["group"] == bench["group"] and row_name(b) == "orjson"
            )
            out.append(
                f"| import fastjson (fresh interpreter; orjson alone: {orjson_ms:.1f} ms) "
                f"| < 30 ms, no pandas | {ms:.1f} ms | {'met' if ms < 30 else '**missed**'} |"
            )
    return "\n".join(out)


def machine(data: dict[str, Any]) -> str:
    info = data["machine_info"]
    cpu = info.get("cpu", {})
    versions = ", ".join(f"{p} {_version(p)}" for p in PACKAGES)
    return (
        f"Run {data['datetime'][:16].replace('T', ' ')} UTC on {cpu.get('brand_raw', '?')} "
        f"({cpu.get('count', '?')} cores), Python {info['python_version']}; {versions}."
    )


def _version(package: str) -> str:
    try:
        return version(package)
    except Exception:
        return "not installed"


def plot(groups: dict[str, list[tuple[str, float]]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    shown = {g: r for g, r in groups.items() if not g.startswith(("memory", "import"))}
    cols = 3
    rows = -(-len(shown) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(18, 3.2 * rows), squeeze=False)
    for ax, (group, data) in zip(axes.flat, shown.items(), strict=False):
        names = [name for name, _ in data][::-1]
        medians = [median * 1e3 for _, median in data][::-1]
        colours = ["#d95f02" if n.startswith("fastjson") else "#7570b3" for n in names]
        ax.barh(names, medians, color=colours)
        ax.set_xscale("log")
        # Same baseline in every panel (a decade below the fastest row), so that bar
        # lengths compare across panels; a free log axis makes a 1.04x gap look like 10x.
        ax.set_xlim(min(medians) / 10, max(medians) * 4)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ref = reference(data) * 1e3
        for y, median in enumerate(medians):
            ax.text(median * 1.08, y, f"{median / ref:.2f}x", va="center", fontsize=7)
        ax.set_title(group, fontsize=10)
        ax.set_xlabel("median, ms (log scale); labels: time / fastjson", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(shown) :]:
        ax.axis("off")
    fig.suptitle("fastjson (orange) against the alternatives: median time per call", fontsize=13)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    PLOT.parent.mkdir(exist_ok=True)
    fig.savefig(PLOT, dpi=80)


def main(path: str) -> None:
    data, groups = load(Path(path))
    body = "\n".join(
        [
            START,
            "",
            machine(data),
            "",
            "### Targets",
            "",
            targets(data, groups),
            "",
            "### All groups",
            "",
            "![median time per call, per group](results/medians.png)",
            "",
            tables(groups),
            END,
        ]
    )
    text = README.read_text()
    README.write_text(text[: text.index(START)] + body + text[text.index(END) + len(END) :])
    plot(groups)
    print(f"updated {README.relative_to(HERE.parent)} and {PLOT.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(HERE / "results" / "latest.json"))
