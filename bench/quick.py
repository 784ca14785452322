"""``make bench-quick``: the speed targets alone, measured so that the numbers hold still.

Each target compares A with B **interleaved in one process** (A, B, A, B...),
over at least 7 rounds; every result is dropped as soon as it is made (a
loop that keeps its results measures page faults, not encoding). A round is
the mean of a short batch of calls. The report gives the ratio A/B from the
minima and from the medians, the interquartile range of the per-round
ratios, and a verdict only when that range lies entirely on one side of the
bound: otherwise "spread straddles the bound" and no verdict.

Memory targets: peak extra memory while encoding = VmHWM minus VmRSS, with
VmHWM reset first by writing ``5`` to ``/proc/self/clear_refs``; the ratio
is to the size of the output.

    python bench/quick.py [--rounds 9] [--json bench/results/quick.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import flask
import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import payloads

import fastjson
from fastjson.encoders import route

Call = Callable[[], Any]


def batch_time(call: Call, seconds: float) -> float:
    """Mean seconds per call over a batch lasting about ``seconds`` (results dropped)."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            call()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds or n >= 1 << 20:
            return elapsed / n
        n = max(n * 2, int(n * seconds / max(elapsed, 1e-9)))


def interleaved(a: Call, b: Call, rounds: int, seconds: float) -> dict[str, Any]:
    """A and B, alternated, ``rounds`` times; per-round times and A/B ratios."""
    a_times, b_times = [], []
    batch_time(a, seconds / 4)  # warm caches and lazy imports
    batch_time(b, seconds / 4)
    for _ in range(rounds):
        gc.collect()
        a_times.append(batch_time(a, seconds))
        b_times.append(batch_time(b, seconds))
    ratios = sorted(x / y for x, y in zip(a_times, b_times, strict=True))
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    return {
        "a_min": min(a_times),
        "b_min": min(b_times),
        "a_median": statistics.median(a_times),
        "b_median": statistics.median(b_times),
        "ratio_min": min(a_times) / min(b_times),
        "ratio_median": statistics.median(ratios),
        "iqr": [q1, q3],
    }


def verdict(low: float, high: float, bound: float) -> str:
    """``met`` / ``missed`` when the spread is on one side of ``bound``, else no verdict."""
    if high <= bound:
        return "met"
    if low > bound:
        return "missed"
    return "spread straddles the bound"


def _status(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(name)


def peak_extra(call: Call) -> tuple[int, int]:
    """(peak extra bytes while ``call()`` runs, size of its output)."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    before = _status("VmRSS")
    size = len(call())
    return _status("VmHWM") - before, size


def speed_targets(rounds: int) -> list[dict[str, Any]]:
    """(label, A, B, bound): A must cost at most ``bound`` times B."""
    small = payloads.make_small()
    fast_app = flask.Flask("fast")
    fast_app.json = fastjson.FastJSONProvider(fast_app)
    # The floor below writes insertion order and UTF-8: measure the provider writing the
    # same bytes (Flask's defaults, sorted and ASCII-escaped, cost orjson itself more).
    fast_app.json.sort_keys = False
    fast_app.json.ensure_ascii = False
    plain_app = flask.Flask("plain")
    targets: list[tuple[str, Call, Call, float]] = []
    with fast_app.app_context():
        floor: Call = lambda: fast_app.response_class(  # noqa: E731
            orjson.dumps(small), mimetype="application/json"
        )
        targets += [
            (
                "jsonify(small) vs response_class(orjson.dumps)",
                lambda: fastjson.jsonify(small),
                floor,
                1.15,
            ),
            (
                "provider.response(small) vs the same floor",
                lambda: fast_app.json.response(small),
                floor,
                1.15,
            ),
            (
                "dumpb(small) vs orjson.dumps",
                lambda: fastjson.dumpb(small),
                lambda: orjson.dumps(small),
                1.25,
            ),
        ]
        results = [_measure(t, rounds, 0.05) for t in targets]
        # flask.jsonify(obj) is current_app.json.response(obj): called directly here, so
        # that both sides run in the same (fastjson) app context without pushing another.
        flask_jsonify = lambda: plain_app.json.response(small)  # noqa: E731
        flask_dumps = lambda: plain_app.json.dumps(small)  # noqa: E731
        ours = lambda: fastjson.jsonify(small)  # noqa: E731
        results.append(
            _measure(
                ("jsonify vs flask.jsonify (at most 1/4)", ours, flask_jsonify, 0.25),
                rounds,
                0.05,
            )
        )
        results.append(
            _measure(
                (
                    "dumpb vs app.json.dumps (at most 1/10)",
                    lambda: fastjson.dumpb(small),
                    flask_dumps,
                    0.10,
                ),
                rounds,
                0.05,
            )
        )
    frame = payloads.make_frame(100_000)
    for orient in ("records", "split", "values", "columns", "index"):
        pandas = lambda o=orient: frame.to_json(orient=o, date_format="iso")  # noqa: E731
        ours = lambda o=orient: fastjson.dumpb(frame, orient=o)  # noqa: E731
        results.append(
            _measure(
                (f"frame 100k x 8 {orient} vs pandas.to_json", ours, pandas, 0.45), rounds, 0.2
            )
        )
        for name, label in (("pure", "pure route (no pyarrow)"), ("python", "no C compiler")):
            with route(name):
                results.append(
                    _measure(
                        (f"{label}, {orient} vs pandas.to_json", ours, pandas, 1.0),
                        max(rounds // 2, 7),
                        0.2,
                    )
                )
    series = frame["float64_nan"]
    for orient in ("records", "split", "index"):
        pandas = lambda o=orient: series.to_json(orient=o, date_format="iso")  # noqa: E731
        ours = lambda o=orient: fastjson.dumpb(series, orient=o)  # noqa: E731
        results.append(
            _measure((f"Series 100k {orient} vs pandas.to_json", ours, pandas, 0.5), rounds, 0.1)
        )
    try:
        import polars as pl
    except ImportError:
        return results
    pf = pl.from_pandas(frame)
    results.append(
        _measure(
            ("polars frame vs its write_json", lambda: fastjson.dumpb(pf), pf.write_json, 1.2),
            rounds,
            0.2,
        )
    )
    # make bench's older target, interleaved here: the pandas frame against converting it
    # to polars and writing it there (which writes dates as "2024-01-01 00:00:00", not ISO)
    results.append(
        _measure(
            (
                "frame records vs pl.from_pandas + write_json",
                lambda: fastjson.dumpb(frame),
                lambda: _written(pl.from_pandas(frame)),
                0.8,
            ),
            rounds,
            0.2,
        )
    )
    return results


def _written(df: Any) -> bytes:
    """A polars frame's ``write_json`` as bytes, as bench_pandas.py takes it."""
    buffer = io.BytesIO()
    df.write_json(buffer)
    return buffer.getvalue()


def _measure(target: tuple[str, Call, Call, float], rounds: int, seconds: float) -> dict[str, Any]:
    label, a, b, bound = target
    row = interleaved(a, b, rounds, seconds)
    row.update(label=label, bound=bound, verdict=verdict(row["iqr"][0], row["iqr"][1], bound))
    print(
        f"{label:60} {row['ratio_median']:6.3f}x (min {row['ratio_min']:.3f}, "
        f"IQR {row['iqr'][0]:.3f}-{row['iqr'][1]:.3f}) bound {bound}: {row['verdict']}",
        flush=True,
    )
    return row


def memory_targets(sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        frame = payloads.make_frame(n)
        for orient in ("records", "split", "values", "columns", "index"):
            extra, size = peak_extra(lambda f=frame, o=orient: fastjson.dumpb(f, orient=o))
            ratio = extra / size
            row = {"label": f"memory {n:,} rows {orient}", "ratio": ratio, "bound": 1.5}
            row["verdict"] = "met" if ratio <= 1.5 else "missed"
            print(f"{row['label']:60} {ratio:6.2f}x of {size / 2**20:7.1f} MiB: {row['verdict']}")
            rows.append(row)
        del frame
    array = np.random.default_rng(0).standard_normal(20_000_000)
    extra, size = peak_extra(lambda: fastjson.dumpb({"values": array}))
    row = {"label": "memory array 20M inside a dict", "ratio": extra / size, "bound": 2.0}
    row["verdict"] = "met" if row["ratio"] <= 2.0 else "missed"
    print(f"{row['label']:60} {row['ratio']:6.2f}x of {size / 2**20:7.1f} MiB: {row['verdict']}")
    rows.append(row)
    return rows


START, END = "<!-- quick:start -->", "<!-- quick:end -->"


def markdown(out: dict[str, Any]) -> str:
    """The bench/README.md section for these results: one row per target."""
    machine = out["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
    lines = [
        f"Run {machine['when']} on {machine['cpus']} cores, Python {machine['python']}; "
        f"{versions}. Ratios are A/B from interleaved rounds: the median, the minimum, "
        "and the interquartile range of the per-round ratios; a verdict only when that "
        "range lies on one side of the bound.",
        "",
        "| target (A vs B) | bound | median | min | IQR | verdict |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in out["speed"]:
        low, high = row["iqr"]
        lines.append(
            f"| {row['label']} | {row['bound']}x | {row['ratio_median']:.3f}x | "
            f"{row['ratio_min']:.3f}x | {low:.3f} to {high:.3f} | {row['verdict']} |"
        )
    lines += ["", "| memory: peak extra / output size | bound | measured | verdict |"]
    lines.append("|---|---:|---:|---|")
    for row in out["memory"]:
        lines.append(
            f"| {row['label']} | {row['bound']}x | {row['ratio']:.2f}x | {row['verdict']} |"
        )
    return "\n".join(lines)


def write_readme(out: dict[str, Any], readme: Path) -> None:
    """Replace the text between the quick markers of ``readme`` with these results."""
    text = readme.read_text()
    if START not in text or END not in text:
        return
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    readme.write_text(f"{head}{START}\n\n{markdown(out)}\n\n{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--sizes", default="1000000,5000000", help="frame rows for memory")
    parser.add_argument("--json", default="bench/results/quick.json")
    parser.add_argument(
        "--readme", default="bench/README.md", help="write the results here ('' to skip)"
    )
    args = parser.parse_args()
    started = time.time()
    machine = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "versions": {m: version(m) for m in ("numpy", "pandas", "orjson", "flask", "polars")},
    }
    print(f"# bench-quick {machine}")
    speed = speed_targets(max(args.rounds, 7))
    memory = memory_targets(tuple(int(s) for s in args.sizes.split(",") if s))
    out = {"machine": machine, "speed": speed, "memory": memory, "seconds": time.time() - started}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=2))
    if args.readme:
        write_readme(out, Path(args.readme))
    print(f"# {time.time() - started:.0f} s; results in {args.json}")


if __name__ == "__main__":
    main()
