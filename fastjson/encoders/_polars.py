"""DataFrame -> JSON rows (objects or arrays) through polars, when polars is installed.

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

from .._values import SAFE_INTEGER
from .numpy import timedelta_seconds

if TYPE_CHECKING:
    from ..core import Encoder


def records(df: pd.DataFrame, enc: Encoder) -> bytes | None:
    """``[{"col": value, ...}, ...]`` via polars, or ``None`` when this path does not apply."""
    names = [c if isinstance(c, str) else str(c) for c in df.columns]
    if len(set(names)) != len(names):
        return None
    lines = _ndjson(df, names, enc)
    if lines is None:
        return None
    rows = lines.replace(b"\n", b",")  # every row ends with a newline
    return b"".join((b"[", memoryview(rows)[:-1], b"]")) if rows else b"[]"


def lines(df: pd.DataFrame, enc: Encoder) -> bytes | None:
    """NDJSON: one record per row, each followed by a newline (``None``: use the pure path)."""
    names = [c if isinstance(c, str) else str(c) for c in df.columns]
    if len(set(names)) != len(names):
        return None
    return _ndjson(df, names, enc)


def rows(df: pd.DataFrame, enc: Encoder) -> bytes | None:
    """``[[value, ...], ...]`` (orient ``values``, the ``data`` of ``split``) via polars.

    The columns are renamed ``c0``, ``c1``... and the ndjson row objects are
    rewritten into arrays by :func:`_objects_to_arrays`.
    """
    names = [f"c{i}" for i in range(df.shape[1])]
    lines = _ndjson(df, names, enc)
    if lines is None:
        return None
    return _objects_to_arrays(lines, names) if lines else b"[]"


def _objects_to_arrays(lines: bytes, names: list[str]) -> bytes | None:
    """``{"c0":a,"c1":b}`` + newline per row -> ``[[a,b],...]``, over the whole buffer at once.

    A key starts at a quote preceded by ``{`` or ``,`` and followed by ``c``:
    inside a JSON string a quote is always escaped (``\\"``), and a closing
    quote is followed by ``,`` or ``}``, never by ``c``. polars writes every
    key of every row, in order, so the key lengths repeat row after row. The
    keys are cut out with one mask built by ``np.repeat``; braces then become
    brackets and newlines commas, at positions known from the cut. Each step
    is one numpy pass over the buffer (``bytes.replace`` once per column was
    about five times slower). ``None`` sends the frame to the pure path if
    the keys found are not exactly rows x columns, which the argument above
    rules out.
    """
    buf = np.frombuffer(lines, dtype=np.uint8)
    newlines = np.flatnonzero(buf == ord("\n"))
    quotes = np.flatnonzero(buf == ord('"'))  # never the first or last byte
    before = buf[quotes - 1]
    starts = quotes[((before == ord("{")) | (before == ord(","))) & (buf[quotes + 1] == ord("c"))]
    if len(starts) != len(newlines) * len(names):
        return None
    key_lengths = np.tile(np.array([len(n) + 3 for n in names]), len(newlines))  # "cN":
    ends = starts + key_lengths
    runs = np.empty(2 * len(starts) + 1, dtype=np.intp)  # kept, key, kept, key, ..., kept
    runs[0:-1:2] = starts - np.concatenate(([0], ends[:-1]))
    runs[1::2] = key_lengths
    runs[-1] = len(buf) - ends[-1]
    out = buf[np.repeat(np.arange(len(runs)) % 2 == 0, runs)]
    row_ends = newlines - key_lengths[: len(names)].sum() * np.arange(1, len(newlines) + 1)
    out[row_ends - 1] = ord("]")
    out[row_ends[:-1] + 1] = ord("[")
    out[row_ends] = ord(",")
    out[0] = ord("[")
    return b"".join((b"[", memoryview(out)[:-1], b"]"))


def _ndjson(df: pd.DataFrame, names: list[str], enc: Encoder) -> bytes | None:
    """One JSON object per line, keys ``names``; ``None`` when polars cannot do it exactly."""
    if not _applies(df, enc):
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
    whole = {n for n in names if _is_datetime(df[n].dtype) and _whole_seconds(df[n])}
    exprs = [_expression(pl, name, dtype, name in whole) for name, dtype in frame.schema.items()]
    buffer = io.BytesIO()
    frame.select(exprs).write_ndjson(buffer)
    return buffer.getvalue()


def _applies(df: pd.DataFrame, enc: Encoder) -> bool:
    """Whether polars writes exactly what the pure path would, for this frame and options."""
    if enc.option("nan") != "null" or df.shape[1] == 0 or not all(map(_supported, df.dtypes)):
        return False
    if enc.option("datetime_format") != "iso" and any(map(_is_datetime, df.dtypes)):
        return False
    return not (enc.option("big_int") == "string" and any(map(_has_big_int, df.items())))


def _has_big_int(item: tuple[Any, pd.Series[Any]]) -> bool:
    """A 64-bit integer column holding a value that ``big_int="string"`` quotes."""
    dtype: Any = item[1].dtype
    if getattr(dtype, "kind", "") not in "iu" or dtype.itemsize < 8:
        return False
    values = item[1].to_numpy(dtype=getattr(dtype, "numpy_dtype", dtype), na_value=0)
    too_big = values > SAFE_INTEGER
    if dtype.kind == "i":
        too_big |= values < -SAFE_INTEGER
    return bool(too_big.any())


def _supported(dtype: Any) -> bool:
    """Column dtypes this path encodes exactly as the pure path does."""
    if isinstance(dtype, np.dtype):
        return dtype.kind in "biuMm" or (dtype.kind == "f" and dtype.itemsize in (4, 8))
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.api.types.infer_dtype(dtype.categories, skipna=True) == "string"
    return isinstance(dtype, pd.DatetimeTZDtype | pd.StringDtype) or (
        getattr(dtype, "kind", "") in "biuf" and hasattr(dtype, "numpy_dtype")
    )


def _is_datetime(dtype: Any) -> bool:
    return isinstance(dtype, pd.DatetimeTZDtype) or getattr(dtype, "kind", "") == "M"


def _whole_seconds(column: pd.Series) -> bool:
    """No value has a sub-second part: then one format string does (the common case)."""
    ticks = column.array.asi8
    per_second = 10 ** {"s": 0, "ms": 3, "us": 6, "ns": 9}[column.array.unit]
    valid = ticks != np.iinfo(np.int64).min  # NaT
    return not bool((ticks[valid] % per_second).any())


def _expression(pl: Any, name: str, dtype: Any, whole_seconds: bool) -> Any:
    col = pl.col(name)
    if isinstance(dtype, pl.Datetime):
        offset = dtype.time_zone is not None
        if whole_seconds:
            return col.dt.to_string("%Y-%m-%dT%H:%M:%S" + ("%:z" if offset else "")).alias(name)
        return _iso(pl, col, with_offset=offset).alias(name)
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
