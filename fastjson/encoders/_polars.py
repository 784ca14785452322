"""DataFrame -> records JSON through polars, when polars is installed.

The pipeline measured fastest here (see bench/README.md): ``pl.from_pandas``
(near zero-copy), datetimes formatted to ISO 8601 by polars expressions,
``write_ndjson`` into a buffer, and the newline row separators replaced by
commas (safe: JSON strings never hold a raw newline). Durations become
seconds before the conversion, by the same numpy division as on the pure
path: polars divides by multiplying with the reciprocal, which can differ in
the last bit.
Polars writes floats with their shortest round-trip repr, so the output is
lossless, and writes NaN and infinities as ``null``.

:func:`records` returns ``None`` whenever the frame needs something this path
does not do (a ``nan`` policy other than ``null``, object or float16 columns,
no polars, no pyarrow...), and the caller falls back to the pure path, which
gives the same parsed output.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .numpy import timedelta_seconds

if TYPE_CHECKING:
    from ..core import Context


def records(df: pd.DataFrame, ctx: Context) -> bytes | None:
    """``[{"col": value, ...}, ...]`` via polars, or ``None`` when this path does not apply."""
    if ctx.options.nan != "null" or df.shape[1] == 0 or not all(map(_supported, df.dtypes)):
        return None
    names = [c if isinstance(c, str) else str(c) for c in df.columns]
    if len(set(names)) != len(names):
        return None
    df = df.set_axis(names, axis=1)
    durations = {n: timedelta_seconds(df[n].to_numpy()) for n in names if df[n].dtype.kind == "m"}
    if durations:  # numpy's division, not polars' (which multiplies by the reciprocal)
        df = df.assign(**durations)
    try:
        import polars as pl

        frame = pl.from_pandas(df, include_index=False, nan_to_null=True)
    except Exception:  # polars or pyarrow missing, or a column it cannot convert
        return None
    exprs = [_expression(pl, name, dtype) for name, dtype in frame.schema.items()]
    buffer = io.BytesIO()
    frame.select(exprs).write_ndjson(buffer)
    body = buffer.getvalue()
    return b"[" + body.rstrip(b"\n").replace(b"\n", b",") + b"]"


def _supported(dtype: Any) -> bool:
    """Column dtypes this path encodes exactly as the pure path does."""
    if isinstance(dtype, np.dtype):
        return dtype.kind in "biuMm" or (dtype.kind == "f" and dtype.itemsize in (4, 8))
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.api.types.infer_dtype(dtype.categories, skipna=True) == "string"
    return isinstance(dtype, pd.DatetimeTZDtype | pd.StringDtype) or (
        getattr(dtype, "kind", "") in "biuf" and hasattr(dtype, "numpy_dtype")
    )


def _expression(pl: Any, name: str, dtype: Any) -> Any:
    col = pl.col(name)
    if isinstance(dtype, pl.Datetime):
        return _iso(pl, col, with_offset=dtype.time_zone is not None).alias(name)
    return col


def _iso(pl: Any, col: Any, *, with_offset: bool) -> Any:
    """ISO 8601 as ``Timestamp.isoformat`` writes it: no fraction, 6 or 9 digits."""
    ns = col.dt.nanosecond()
    fraction = (
        pl.when(ns == 0)
        .then(pl.lit(""))
        .when(ns % 1000 == 0)
        .then(pl.concat_str([pl.lit("."), (ns // 1000).cast(pl.String).str.zfill(6)]))
        .otherwise(pl.concat_str([pl.lit("."), ns.cast(pl.String).str.zfill(9)]))
    )
    parts = [col.dt.to_string("%Y-%m-%dT%H:%M:%S"), fraction]
    if with_offset:
        parts.append(col.dt.to_string("%:z"))
    return pl.concat_str(parts)
