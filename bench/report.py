"""Turn pytest-benchmark's JSON into the tables and the plot of bench/README.md.

    python bench/report.py bench/results/latest.json

Rewrites the part of bench/README.md between the ``results`` markers (machine,
versions, one table of medians and ratios per group, the targets) and saves
bench/results/medians.png. The interleaved groups of bench_streaming.py (their rows
in ``extra_info["rows"]``, every round kept) go between the ``streaming`` markers
instead, with bench/results/streaming.png; each part is rewritten only when the JSON
holds its groups, so a run of one module leaves the other part as it was. Every
figure comes from the JSON: nothing here is typed in by hand.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
PLOT = HERE / "results" / "medians.png"
STREAM_PLOT = HERE / "results" / "streaming.png"
START, END = "<!-- results:start -->", "<!-- results:end -->"
STREAM_START, STREAM_END = "<!-- streaming:start -->", "<!-- streaming:end -->"
PACKAGES = ("flask-fastjson", "orjson", "ujson", "numpy", "pandas", "polars", "pyarrow", "flask")


NAMED = {
    "test_frame_records_without_a_compiler": "fastjson.dumpb, no C compiler",
    "test_frame_records_pure_route": "fastjson.dumpb, pure route (no pyarrow)",
}


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
        if "interleaved" not in bench["extra_info"]:  # those: see streamed()
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
            "jsonify vs flask.jsonify (at most 1/4)",
        ),
        (
            "small object, body vs Flask's app.json.dumps",
            ">= 10x",
            m(small_b, "flask app.json.dumps") / m(small_b, "fastjson.dumpb"),
            10,
            True,
            "dumpb vs app.json.dumps (at most 1/10)",
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
            "frame records vs pl.from_pandas + write_json",
        ),
    ]
    quick = _quick_rows()
    out = [
        "Ratios of medians from separate runs. Where `make bench-quick` measures the same",
        "comparison interleaved, with its spread, its verdict is the one given"
        + (f" (run {quick['when']})." if quick else "."),
        "",
        "| target | wanted | measured | |",
        "|---|---|---:|---|",
    ]
    for label, wanted, value, bound, higher_is_better, *quick_label in rows:
        met = value >= bound if higher_is_better else value <= bound
        verdict = "met" if met else "**missed**"
        row = quick.get("rows", {}).get(quick_label[0]) if quick_label else None
        if row is not None:
            verdict = _interleaved_verdict(row, higher_is_better)
        out.append(f"| {label} | {wanted} | {value:.2f}x | {verdict} |")
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


def _quick_rows() -> dict[str, Any]:
    """``make bench-quick``'s latest results: when, and its rows by label (empty without)."""
    path = HERE / "results" / "quick.json"
    if not path.exists():
        return {}
    out = json.loads(path.read_text())
    return {"when": out["machine"]["when"], "rows": {row["label"]: row for row in out["speed"]}}


def _interleaved_verdict(row: dict[str, Any], higher_is_better: bool) -> str:
    """A bench-quick row (A/B, ours over theirs) as this table states the target."""
    low, high = row["iqr"]
    if higher_is_better:  # "N times faster": B/A
        shown = f"{1 / row['ratio_median']:.2f}x, IQR {1 / high:.2f} to {1 / low:.2f}"
    else:
        shown = f"{row['ratio_median']:.2f}x, IQR {low:.2f} to {high:.2f}"
    verdict = row["verdict"] if row["verdict"] == "met" else f"**{row['verdict']}**"
    return f"{verdict} (interleaved: {shown})"


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


def plot(
    groups: dict[str, list[tuple[str, float]]],
    path: Path | None = None,
    title: str = "fastjson (orange) against the alternatives: median time per call",
    references: dict[str, str] | None = None,
    statistic: str = "median",
) -> None:
    """One panel per group, bars against the group's reference row: fastjson's main row,
    or the row ``references`` names for the group (then drawn orange). Saved to ``path``
    (default: ``PLOT``)."""
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
        named = (references or {}).get(group)
        orange = [n == named if named else n.startswith("fastjson") for n in names]
        colours = ["#d95f02" if o else "#7570b3" for o in orange]
        ax.barh(names, medians, color=colours)
        ax.set_xscale("log")
        # Same baseline in every panel (a decade below the fastest row), so that bar
        # lengths compare across panels; a free log axis makes a 1.04x gap look like 10x.
        ax.set_xlim(min(medians) / 10, max(medians) * 4)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ref = (median_of(groups, group, named) if named else reference(data)) * 1e3
        for y, median in enumerate(medians):
            ax.text(median * 1.08, y, f"{median / ref:.2f}x", va="center", fontsize=7)
        ax.set_title(group, fontsize=10)
        against = "the orange row" if named else "fastjson"
        ax.set_xlabel(f"{statistic}, ms (log scale); labels: time / {against}", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(shown) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=13)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    path = path or PLOT
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path, dpi=80)


# -- the interleaved groups of bench_streaming.py -------------------------------------

Streamed = dict[str, dict[str, Any]]
"""Interleaved groups by their key (``extra_info["interleaved"]``): ``title`` (the
pytest-benchmark group), ``reference`` (a row key or ""), ``rows`` by key, and ``info``
(the whole ``extra_info``: ``payload``, ``rounds``, ``load``, ``cores``)."""


def streamed(data: dict[str, Any]) -> Streamed:
    out: Streamed = {}
    for bench in data["benchmarks"]:
        info = bench["extra_info"]
        if "interleaved" in info:
            rows = {row["key"]: row for row in info["rows"]}
            out[info["interleaved"]] = {
                "title": bench["group"],
                "reference": info["reference"],
                "rows": rows,
                "info": info,
            }
    return out


def verdict(values: list[float], bound: float, higher_is_better: bool) -> str:
    """met / missed when every round falls on the same side of the bound, else none."""
    ok = [v >= bound if higher_is_better else v <= bound for v in values]
    if all(ok):
        return "met"
    if not any(ok):
        return "**missed**"
    return "no verdict: the spread straddles the bound"


def spread(values: list[float], unit: Callable[[float], str]) -> str:
    return f"{unit(min(values))} to {unit(max(values))}"


def _x(value: float) -> str:
    return f"{value:.2f}x"


def _mib(value: float) -> str:
    return f"{value:.1f} MiB"


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def _signed_mib(value: float) -> str:
    return f"{value:+.1f} MiB"


def streaming_targets(s: Streamed) -> str:
    """The streaming issue's targets. The measured figure is the best round (for a ratio,
    best time against best time); the spread is the lowest to highest of the per-round
    figures (for a ratio, the ratio within each round of the interleaved rows)."""
    out = [
        "| target | wanted | best round | spread over rounds | |",
        "|---|---|---:|---|---|",
    ]

    def add(label: str, wanted: str, best: str, values: list[float], unit: Any, v: str) -> None:
        out.append(f"| {label} | {wanted} | {best} | {spread(values, unit)} | {v} |")

    def rows(group: str) -> dict[str, dict[str, Any]]:
        return s[group]["rows"] if group in s else {}

    wsgi = rows("wsgi")
    bound = 64 + 1  # MiB: 64 MiB plus one chunk of the default size
    for key in ("array-stream", "frame-stream"):
        if key in wsgi:
            peaks = wsgi[key]["peak_mib"]
            add(
                f"peak extra memory, {wsgi[key]['name']} (WSGI)",
                "<= 64 MiB + one 1 MiB chunk",
                _mib(min(peaks)),
                peaks,
                _mib,
                verdict(peaks, bound, False),
            )
    if "frame-stream" in wsgi and "frame_small-stream" in wsgi:
        # Lowest round against lowest, highest against highest: a peak does not drift
        # with the machine's load as a time does, so rounds are not paired here.
        big, small = wsgi["frame-stream"]["peak_mib"], wsgi["frame_small-stream"]["peak_mib"]
        diffs = [min(big) - min(small), max(big) - max(small)]
        add(
            f"same peak for 10x fewer rows: {wsgi['frame-stream']['payload']} minus "
            f"{wsgi['frame_small-stream']['payload']} (lowest rounds, highest rounds)",
            "<= +1 MiB (one chunk)",
            _signed_mib(diffs[0]),
            diffs,
            _signed_mib,
            verdict(diffs, 1, False),
        )
    if "frame-stream" in wsgi:
        firsts = [t * 1e3 for t in wsgi["frame-stream"]["first_byte_s"]]
        add(
            f"first byte, {wsgi['frame-stream']['name']} (WSGI)",
            "< 50 ms",
            f"{min(firsts):.1f} ms",
            firsts,
            lambda ms: f"{ms:.1f} ms",
            verdict(firsts, 50, False),
        )

    def speed(group: str, key: str, label: str, wanted: str, bound: float) -> None:
        """Speed of row ``key`` relative to dumpb's: dumpb time / row time."""
        r = rows(group)
        if "dumpb" in r and key in r:
            ref, row = r["dumpb"]["seconds"], r[key]["seconds"]
            ratios = [a / b for a, b in zip(ref, row, strict=True)]
            best = min(ref) / min(row)
            add(label, wanted, _x(best), ratios, _x, verdict(ratios, bound, True))

    def payload(group: str) -> str:
        return str(s[group]["info"]["payload"]) if group in s else ""

    for group in ("array", "frame"):
        what = payload(group)
        speed(group, "chunks-1 MiB", f"streamed speed / dumpb's, {what}", ">= 0.9x", 0.9)
    if "frame" in s:
        what = payload("frame")
        speed("frame", "ndjson", f"NDJSON (iter_ndjson) speed / dumpb's, {what}", ">= 1x", 1)
        speed("frame", "arrow", f"Arrow (arrow_chunks) speed / dumpb's, {what}", ">= 5x", 5)
    for group in ("array", "frame"):
        r = rows(group)
        sizes = [k for k in r if k.startswith("chunks-") and k != "chunks-1 MiB"]
        if "chunks-1 MiB" in r and sizes:
            # Against the size with the best round, round by round (the lowest of several
            # sizes in each round would favour the others by picking their noise).
            fastest = min(sizes, key=lambda k: min(r[k]["seconds"]))
            default, other = r["chunks-1 MiB"]["seconds"], r[fastest]["seconds"]
            ratios = [a / b for a, b in zip(default, other, strict=True)]
            best = min(default) / min(other)
            size = fastest.removeprefix("chunks-")
            add(
                f"default chunk size (1 MiB), time / fastest other size ({size}), "
                f"{payload(group)}",
                "<= 1.05x",
                _x(best),
                ratios,
                _x,
                verdict(ratios, 1.05, False),
            )
    return "\n".join(out)


def streaming_tables(s: Streamed) -> str:
    out = []
    for group in s.values():
        rows = list(group["rows"].values())
        out += [f"#### {group['title']}", ""]
        if "first_byte_s" in rows[0]:
            out += [
                "| row | peak extra memory, lowest to highest round | first byte, "
                "lowest to highest | body |",
                "|---|---:|---:|---:|",
            ]
            for row in rows:
                peak = row.get("peak_mib")
                out.append(
                    f"| {row['name']} | {spread(peak, _mib) if peak else '-'} "
                    f"| {spread(row['first_byte_s'], fmt)} | {_mb(row['bytes'])} |"
                )
        else:
            ref = group["rows"][group["reference"]]
            out += [
                f"| row | best | spread | time / {ref['name']} | body | body / reference "
                "| peak extra memory |",
                "|---|---:|---|---:|---:|---:|---:|",
            ]
            for row in rows:
                t, peak = row["seconds"], row.get("peak_mib")
                out.append(
                    f"| {row['name']} | {fmt(min(t))} | {spread(t, fmt)} "
                    f"| {min(t) / min(ref['seconds']):.2f}x | {_mb(row['bytes'])} "
                    f"| {row['bytes'] / ref['bytes']:.2f}x "
                    f"| {spread(peak, _mib) if peak else '-'} |"
                )
        out.append("")
    return "\n".join(out)


def load_note(s: Streamed) -> str:
    infos = [g["info"] for g in s.values()]
    loads = [v for info in infos for v in info["load"]]
    rounds = sorted({info["rounds"] for info in infos})
    return (
        f"Rows of a group interleaved in one process, {' or '.join(map(str, rounds))} "
        f"rounds; best round and spread (lowest to highest round) shown. Load average "
        f"(1 min) at the start and end of the groups: {min(loads):.1f} to {max(loads):.1f} "
        f"on {infos[0]['cores']} cores."
    )


def streaming_section(data: dict[str, Any], s: Streamed) -> str:
    return "\n".join(
        [
            STREAM_START,
            "",
            machine(data),
            load_note(s),
            "",
            "### Targets",
            "",
            streaming_targets(s),
            "",
            "![best time per body, per group](results/streaming.png)",
            "",
            streaming_tables(s),
            STREAM_END,
        ]
    )


def streaming_plot(s: Streamed) -> None:
    timed = {
        g["title"]: sorted(
            ((r["name"], min(r["seconds"])) for r in g["rows"].values()), key=lambda r: r[1]
        )
        for g in s.values()
        if g["reference"]
    }
    references = {
        g["title"]: g["rows"][g["reference"]]["name"] for g in s.values() if g["reference"]
    }
    if timed:
        title = "Big responses: best time per body (orange: the group's reference)"
        plot(timed, STREAM_PLOT, title, references, statistic="best round")


def replace(text: str, start: str, end: str, body: str) -> str:
    if start not in text or end not in text:
        raise SystemExit(f"{README} has no {start} ... {end} markers")
    return text[: text.index(start)] + body + text[text.index(end) + len(end) :]


def main(path: str) -> None:
    data, groups = load(Path(path))
    s = streamed(data)
    text = README.read_text()
    written = []
    if groups:
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
        text = replace(text, START, END, body)
        plot(groups)
        written.append(PLOT)
    if s:
        text = replace(text, STREAM_START, STREAM_END, streaming_section(data, s))
        streaming_plot(s)
        written.append(STREAM_PLOT)
    README.write_text(text)
    names = ", ".join(str(p.relative_to(HERE.parent)) for p in written)
    print(f"updated {README.relative_to(HERE.parent)} and {names}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(HERE / "results" / "latest.json"))
