"""Group 5, pandas: a 100,000 x 8 DataFrame (records and split) and a Series of 1e6 floats.

``flask.jsonify`` gets what a Flask user must write for valid JSON:
``df.astype(object).where(df.notna(), None).to_dict("records")``.
``DataFrame.to_json`` rounds floats (10 significant digits by default, 15 at
most) and writes epoch milliseconds: its rows are checked with a tolerance.
polars includes ``pl.from_pandas``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import flask
import numpy as np
import orjson
import pandas as pd
import polars as pl
import pytest
from checks import check_array, check_frame, strict_loads

import fastjson
from fastjson.encoders import route

# The "pandas to_json" rows measure pandas' defaults on purpose (epoch dates);
# pandas 3 warns that this default will change to ISO strings.
pytestmark = pytest.mark.filterwarnings("ignore:The default formatting of datetime")

LOSSY = 1e-9
"""Relative tolerance for DataFrame.to_json's rounded floats."""


def by_hand(df: pd.DataFrame) -> list[dict[str, Any]]:
    return df.astype(object).where(df.notna(), None).to_dict("records")


def _polars_json(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    pl.from_pandas(df).write_json(buffer)
    return buffer.getvalue()


RECORDS: dict[str, tuple[Callable[[pd.DataFrame], Any], float]] = {
    "fastjson.dumpb": (fastjson.dumpb, 0.0),
    "fastjson.jsonify response": (lambda df: fastjson.jsonify(df).get_data(), 0.0),
    "flask.jsonify(to_dict) response": (lambda df: flask.jsonify(by_hand(df)).get_data(), 0.0),
    "orjson.dumps(to_dict)": (
        lambda df: orjson.dumps(by_hand(df), default=lambda o: o.isoformat()),
        0.0,
    ),
    "pandas to_json": (lambda df: df.to_json(orient="records"), LOSSY),
    "pandas to_json iso, 15 digits": (
        lambda df: df.to_json(orient="records", date_format="iso", double_precision=15),
        LOSSY,
    ),
    "polars from_pandas + write_json": (_polars_json, 0.0),
    "fastjson backend=ujson": (lambda df: fastjson.dumpb(df, backend="ujson"), 0.0),
    "fastjson backend=json": (lambda df: fastjson.dumpb(df, backend="json"), 0.0),
}


@pytest.mark.parametrize("name", list(RECORDS))
def test_frame_records(benchmark: Any, frame: pd.DataFrame, app_context: None, name: str):
    benchmark.group = "5 pandas: DataFrame 100k x 8, records"
    encode, rel = RECORDS[name]
    check_frame(benchmark(encode, frame), frame, rel=rel)


def test_frame_records_without_a_compiler(benchmark: Any, frame: pd.DataFrame):
    """The rows joined in Python, as an install without a C compiler writes them."""
    benchmark.group = "5 pandas: DataFrame 100k x 8, records"
    with route("python"):
        check_frame(benchmark(fastjson.dumpb, frame), frame)


def test_frame_records_pure_route(benchmark: Any, frame: pd.DataFrame):
    """Columns read by numpy and orjson alone, as an install without pyarrow reads them."""
    benchmark.group = "5 pandas: DataFrame 100k x 8, records"
    with route("pure"):
        check_frame(benchmark(fastjson.dumpb, frame), frame)


SPLIT: dict[str, tuple[Callable[[pd.DataFrame], Any], float]] = {
    "fastjson.dumpb": (lambda df: fastjson.dumpb(df, orient="split"), 0.0),
    "pandas to_json": (lambda df: df.to_json(orient="split"), LOSSY),
    "pandas to_json iso, 15 digits": (
        lambda df: df.to_json(orient="split", date_format="iso", double_precision=15),
        LOSSY,
    ),
}


@pytest.mark.parametrize("name", list(SPLIT))
def test_frame_split(benchmark: Any, frame: pd.DataFrame, name: str):
    benchmark.group = "5 pandas: DataFrame 100k x 8, split"
    encode, rel = SPLIT[name]
    parsed = strict_loads(benchmark(encode, frame))
    assert parsed["columns"] == list(frame.columns)
    records = [dict(zip(parsed["columns"], row, strict=True)) for row in parsed["data"]]
    check_frame(orjson.dumps(records), frame, rel=rel)


@pytest.fixture(scope="module")
def series() -> pd.Series:
    values = np.random.default_rng(7).normal(size=1_000_000)
    values[::20] = np.nan
    return pd.Series(values)


SERIES: dict[str, tuple[Callable[[pd.Series], Any], float]] = {
    "fastjson.dumpb": (fastjson.dumpb, 0.0),
    "flask.jsonify(tolist) response": (
        lambda s: flask.jsonify(s.astype(object).where(s.notna(), None).tolist()).get_data(),
        0.0,
    ),
    "orjson OPT_SERIALIZE_NUMPY": (
        lambda s: orjson.dumps(s.to_numpy(), option=orjson.OPT_SERIALIZE_NUMPY),
        0.0,
    ),
    "pandas to_json": (lambda s: s.to_json(orient="values"), LOSSY),
    "polars to_list + orjson": (lambda s: orjson.dumps(pl.from_pandas(s).to_list()), 0.0),
}


@pytest.mark.parametrize("name", list(SERIES))
def test_series(benchmark: Any, series: pd.Series, app_context: None, name: str):
    benchmark.group = "5 pandas: Series 1e6 float64, 5% NaN"
    encode, rel = SERIES[name]
    out = benchmark(encode, series)
    if rel:
        got = np.array([np.nan if v is None else v for v in strict_loads(out)])
        assert np.allclose(got, series.to_numpy(), rtol=rel, atol=rel, equal_nan=True)
    else:
        check_array(out, series.to_numpy())


ORIENTS = ("records", "split", "values", "columns", "index")


def as_records(parsed: Any, orient: str, columns: list[str]) -> list[dict[str, Any]]:
    """Rows of a frame written in ``orient``, in the frame's order (labels 0..n-1)."""
    if orient == "records":
        return list(parsed)
    if orient in ("split", "values"):
        rows = parsed["data"] if orient == "split" else parsed
        return [dict(zip(columns, row, strict=True)) for row in rows]
    if orient == "index":
        return [parsed[str(i)] for i in range(len(parsed))]
    height = len(parsed[columns[0]])
    return [{c: parsed[c][str(i)] for c in columns} for i in range(height)]


ORIENT_ROUTES: dict[str, tuple[Callable[[pd.DataFrame, str], Any], float]] = {
    "fastjson.dumpb": (lambda df, o: fastjson.dumpb(df, orient=o), 0.0),
    "fastjson.dumpb, no C compiler": (lambda df, o: fastjson.dumpb(df, orient=o), 0.0),
    "pandas to_json iso": (lambda df, o: df.to_json(orient=o, date_format="iso"), LOSSY),
}


@pytest.mark.parametrize("orient", ORIENTS)
@pytest.mark.parametrize("name", list(ORIENT_ROUTES))
def test_frame_orients(benchmark: Any, frame: pd.DataFrame, name: str, orient: str):
    """Every orient, with the rows stitched in C and joined in Python (an install without a
    C compiler), against ``pandas.to_json``: the rows ``make bench-quick`` holds to its bounds."""
    benchmark.group = f"5 pandas: DataFrame 100k x 8, orient={orient}"
    encode, rel = ORIENT_ROUTES[name]
    with route("python" if name.endswith("no C compiler") else "auto"):
        parsed = strict_loads(benchmark(encode, frame, orient))
    records = as_records(parsed, orient, list(frame.columns))
    check_frame(orjson.dumps(records), frame, rel=rel)


@pytest.mark.parametrize("orient", ("records", "split", "index"))
@pytest.mark.parametrize("name", ("fastjson.dumpb", "pandas to_json iso"))
def test_series_orients(benchmark: Any, frame: pd.DataFrame, name: str, orient: str):
    """The benchmark frame's float column with NaN, as ``make bench-quick`` times it."""
    benchmark.group = f"5 pandas: Series 100k float64, orient={orient}"
    s = frame["float64_nan"]
    if name == "fastjson.dumpb":
        out = benchmark(lambda: fastjson.dumpb(s, orient=orient))
    else:
        out = benchmark(lambda: s.to_json(orient=orient, date_format="iso"))
    parsed = strict_loads(out)
    if orient == "records":
        values = parsed
    elif orient == "split":
        values = parsed["data"]
    else:
        values = [parsed[str(i)] for i in range(len(parsed))]
    got = np.array([np.nan if v is None else v for v in values], dtype=float)
    rel = LOSSY if name.startswith("pandas") else 0.0
    if rel:
        assert np.allclose(got, s.to_numpy(), rtol=rel, atol=rel, equal_nan=True)
    else:
        assert np.array_equal(got, s.to_numpy(), equal_nan=True)


@pytest.fixture(scope="module")
def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The benchmark frame with string row labels ("r0", "r1"...): keyed orients write
    them as keys, and a label index is where pandas hides per-block costs."""
    return frame.set_axis([f"r{i}" for i in range(len(frame))])


@pytest.mark.parametrize("orient", ("columns", "index"))
@pytest.mark.parametrize("name", list(ORIENT_ROUTES))
def test_labelled_frame_keyed_orients(
    benchmark: Any, labelled: pd.DataFrame, name: str, orient: str
):
    benchmark.group = f"5 pandas: DataFrame 100k x 8 with string labels, orient={orient}"
    encode, rel = ORIENT_ROUTES[name]
    with route("python" if name.endswith("no C compiler") else "auto"):
        parsed = strict_loads(benchmark(encode, labelled, orient))
    if orient == "index":
        records = [parsed[label] for label in labelled.index]
    else:
        records = [{c: parsed[c][label] for c in labelled.columns} for label in labelled.index]
    check_frame(orjson.dumps(records), labelled.reset_index(drop=True), rel=rel)
