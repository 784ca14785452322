"""Property tests: Flask parity, arrays, frames, strict validity, backend agreement."""

from __future__ import annotations

import json
import math
from typing import Any

import flask
import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.extra import pandas as hpd
from strictjson import strict_loads

from fastjson import dumpb, dumps

_flask_app = flask.Flask(__name__)

text = st.text(st.characters(exclude_categories=()))  # lone surrogates included
scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: big ints included
    | st.floats(allow_nan=True, allow_infinity=True)
    | text
)
keys = text | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
json_like = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.tuples(children, children)
        | st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=40,
)


def without_nonfinite(value: Any) -> Any:
    """What the NaN policy 'null' makes of a value (Flask would write NaN tokens)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [without_nonfinite(v) for v in value]
    if isinstance(value, dict):
        return {k: without_nonfinite(v) for k, v in value.items()}
    return value


def flask_parsed(value: Any) -> Any:
    """Flask's provider output, parsed; None when Flask itself cannot encode the value."""
    try:
        text = _flask_app.json.dumps(without_nonfinite(value), sort_keys=False)
    except (TypeError, ValueError):  # e.g. sort or key type trouble Flask cannot handle
        return None
    return json.loads(text)


@given(json_like)
def test_same_parsed_value_as_flask(value: Any):
    expected = flask_parsed(value)
    if expected is None:
        strict_loads(dumpb(value))  # still valid JSON where Flask fails
        return
    ours = dumps(value, ensure_ascii=True)
    assert json.loads(ours) == expected


@given(json_like)
def test_every_output_parses_strictly_and_backends_agree(value: Any):
    reference = strict_loads(dumpb(value))
    for backend in ("ujson", "json"):
        assert strict_loads(dumpb(value, backend=backend)) == reference
    strict_loads(dumpb(value, nan="string"))
    strict_loads(dumpb(value, indent=2, sort_keys=True, ensure_ascii=True))


numeric_dtypes = (
    hnp.boolean_dtypes()
    | hnp.integer_dtypes(endianness="=")
    | hnp.unsigned_integer_dtypes(endianness="=")
    | hnp.floating_dtypes(sizes=(16, 32, 64), endianness="=")
    | hnp.integer_dtypes(endianness=">")
    | hnp.floating_dtypes(sizes=(32, 64), endianness=">")
)


def expected_array(a: np.ndarray) -> Any:
    """tolist() at the array's own float precision, non-finite as None."""
    if a.dtype.kind != "f":
        return a.tolist()
    out = a.astype(object)
    out[~np.isfinite(a)] = None
    finite = np.isfinite(a)
    out[finite] = [float(str(v)) for v in a[finite].ravel()] if finite.any() else []
    return out.tolist()


@given(hnp.arrays(numeric_dtypes, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0)), st.data())
def test_arrays_decode_to_tolist(a: np.ndarray, data: st.DataObject):
    views = [a]
    if a.ndim >= 1 and a.shape[0] > 1:
        views.append(a[::2])
    if a.ndim >= 2:
        views.append(a.T)
    for view in views:
        parsed = strict_loads(dumpb(view))
        expected = expected_array(view)
        assert parsed == expected
        for backend in ("ujson", "json"):
            assert strict_loads(dumpb(view, backend=backend)) == parsed


frame_columns = [
    hpd.column("i", dtype=np.int64),
    hpd.column("f", dtype=np.float64),
    hpd.column("g", dtype=np.float32),
    hpd.column("b", dtype=bool),
    hpd.column("s", elements=st.text() | st.none()),
    hpd.column("t", dtype="datetime64[ns]"),
]


@given(hpd.data_frames(frame_columns))
def test_frames_decode_to_records_with_bit_exact_floats(df: pd.DataFrame):
    parsed = strict_loads(dumpb(df))
    assert len(parsed) == len(df)
    for row, record in zip(parsed, df.to_dict("records"), strict=True):
        assert row["i"] == record["i"]
        assert row["b"] == record["b"]
        assert row["s"] == (None if pd.isna(record["s"]) else record["s"])
        f = record["f"]
        assert row["f"] == (f if math.isfinite(f) else None)
        g = np.float32(record["g"])
        assert row["g"] == (float(str(g)) if np.isfinite(g) else None)
        t = record["t"]
        assert row["t"] == (None if pd.isna(t) else t.isoformat())
    for backend in ("ujson", "json"):
        assert strict_loads(dumpb(df, backend=backend)) == parsed
