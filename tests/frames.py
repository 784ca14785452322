"""The test suite's frame columns: one value of every common dtype, with missing values,
shared by the tests that hold every route to the same bytes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

N = 7
COLUMNS: dict[str, Any] = {
    "int64": np.arange(N, dtype=np.int64) * 10**15,
    "uint8": np.arange(N, dtype=np.uint8),
    "float64": [0.1, 1 / 3, np.nan, np.inf, -np.inf, 1e-300, 1.7976931348623157e308],
    "float32": np.array([0.1, 2.5, np.nan, 1e30, -1, 0, 3], dtype=np.float32),
    "bool": [True, False] * 3 + [True],
    "str": ["a", None, "é", 'q"uote', "new\nline", "", "😀"],
    "datetime64[ns]": pd.to_datetime(
        ["2024-01-01", "2024-01-01 00:00:00.5", None, "1969-12-31 23:59:59.000000001"]
        + ["2024-06-30 12:00"] * 3,
        format="ISO8601",
    ).as_unit("ns"),
    "datetime64[us, tz]": pd.to_datetime(
        ["2024-01-01", "2024-07-01", None] + ["2024-03-31 03:00"] * 4, format="ISO8601"
    )
    .tz_localize("Europe/Berlin")
    .as_unit("us"),
    "timedelta": pd.to_timedelta([1.5, None, -2, 0, 86400, 0.000001, 3], unit="s"),
    "Int64": pd.array([1, None, 3, 2**62, -5, 0, None], dtype="Int64"),
    "Float64": pd.array([0.1, None, 2.5, 1e300, 0, -1, None], dtype="Float64"),
    "boolean": pd.array([True, None, False, True, None, False, True], dtype="boolean"),
    "string": pd.array(["x", None, "y", "z", "", "é", "q"], dtype="string"),
    "category": pd.Categorical(["lo", "hi", None, "lo", "hi", "lo", "lo"]),
}
