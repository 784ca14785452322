"""Groups 3 and 4, numpy arrays: dtypes, 2-D, non-contiguous views, and 5% NaN.

Rows for tools without numpy support include ``.tolist()``; where the array
holds NaN they also include the NaN-to-``None`` conversion valid JSON needs.
The orjson row encodes a C-contiguous array of the same shape (orjson refuses
views), so for the view payloads it is the "contiguous array of the same
size" baseline of the targets.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import flask
import numpy as np
import orjson
import pytest
import ujson
from checks import check_array
from payloads import ARRAYS

import fastjson


def as_list(a: np.ndarray) -> Any:
    """What a user of a numpy-unaware encoder writes: tolist(), NaN to None if any."""
    if a.dtype.kind == "f" and np.isnan(a).any():
        values = a.astype(object)
        values[np.isnan(a)] = None
        return values.tolist()
    return a.tolist()


ROWS: dict[str, Callable[[np.ndarray], Any]] = {
    "fastjson.dumpb": fastjson.dumpb,
    "fastjson.jsonify response": lambda a: fastjson.jsonify(a).get_data(),
    "flask.jsonify(tolist) response": lambda a: flask.jsonify(as_list(a)).get_data(),
    "orjson OPT_SERIALIZE_NUMPY": None,  # type: ignore[dict-item]  # see test below
    "ujson.dumps(tolist)": lambda a: ujson.dumps(as_list(a)),
    "json.dumps(tolist)": lambda a: json.dumps(as_list(a)),
    "fastjson backend=ujson": lambda a: fastjson.dumpb(a, backend="ujson"),
    "fastjson backend=json": lambda a: fastjson.dumpb(a, backend="json"),
}


@pytest.mark.parametrize("name", list(ROWS))
@pytest.mark.parametrize("payload", list(ARRAYS))
def test_array(benchmark: Any, app_context: None, payload: str, name: str):
    a = ARRAYS[payload]
    benchmark.group = ("4 numpy: " if "NaN" in payload else "3 numpy: ") + payload
    if name == "orjson OPT_SERIALIZE_NUMPY":
        contiguous = np.ascontiguousarray(a)
        out = benchmark(orjson.dumps, contiguous, option=orjson.OPT_SERIALIZE_NUMPY)
    else:
        out = benchmark(ROWS[name], a)
    check_array(out, a)
