"""pandas frames and Series through polars' orient writers, when polars is installed.

One pipeline for pandas and polars data: a pandas frame is converted a block of
rows at a time (``pl.from_pandas``, near zero-copy) and written by
:class:`fastjson.encoders.polars.FastTable`, the writer of polars' own frames,
with the pandas index supplying the row labels (keys of ``columns`` and
``index``, split's ``index``). Before the conversion, durations become seconds
by the same numpy division as on the pure path (polars divides by multiplying
with the reciprocal, which can differ in the last bit), and categoricals become
polars ``Enum`` columns, whose categories are encoded once. Polars writes floats
with their shortest round-trip repr, so the output is lossless, and writes NaN
and infinities as ``null``.

:func:`records` and :func:`rows` return ``None`` whenever the frame needs
something this route does not do (a ``nan`` policy other than ``null``, object
or float16 columns, no polars, no pyarrow...), and the caller falls back to the
pure path, which gives the same bytes. Replacing both with functions that
return ``None`` forces the pure path (the tests do).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from .._values import SAFE_INTEGER
from ._route import use_polars
from .numpy import timedelta_seconds

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ..core import Encoder
    from . import _columns as cols


class PandasParts(Protocol):
    """What this route needs of the pandas encoder, which hands it in with each call
    (:data:`fastjson.encoders.pandas.POLARS_PARTS`): this module sits below that one
    and does not import it back."""

    def columns(self, df: pd.DataFrame) -> list[pd.Series[Any]]: ...
    def index_rows(self, index: pd.Index, rows: Any) -> pd.Index: ...
    def plain_strings(self, array: Any) -> bool: ...
    def labels(self, index: pd.Index, enc: Encoder) -> bytes: ...
    def index_keys(self, index: pd.Index, enc: Encoder) -> tuple[cols.Tokens, bool]: ...
    def row_order(self, index: pd.Index, enc: Encoder) -> NDArray[np.intp] | None: ...
    def row_bytes(self, df: pd.DataFrame) -> int: ...
    def zoned_strings(self, s: pd.Series[Any], datetime_format: str) -> list[str | None]: ...


def records(df: pd.DataFrame, enc: Encoder, parts: PandasParts) -> bytes | None:
    """``[{"col": value, ...}, ...]`` via polars, or ``None`` when this path does not apply."""
    if enc.option("orient") != "records":
        enc = enc.replace(orient="records")
    return _frame(df, enc, parts)


def rows(
    data: pd.DataFrame, enc: Encoder, parts: PandasParts, pure_faster: bool = False
) -> bytes | None:
    """A frame in any orient but ``records`` (``values``, the ``data`` of ``split``, and the
    keyed ``columns`` and ``index``, all built from per-row strings) via polars; ``None``
    when this path does not apply. A frame under ``orient="records"`` is written as
    ``values``."""
    if enc.option("orient") == "records":
        enc = enc.replace(orient="values")
    return _frame(data, enc, parts, pure_faster)


def lines(df: pd.DataFrame, enc: Encoder, parts: PandasParts) -> bytes | None:
    """NDJSON: one record per row, each followed by a newline (``None``: use the pure path)."""
    table = _table(df, enc.replace(orient="records"), parts)
    if table is None:
        return None
    return b"".join(table.lines(0, len(df)))


def _frame(
    df: pd.DataFrame, enc: Encoder, parts: PandasParts, pure_faster: bool = False
) -> bytes | None:
    from . import _columns as cols

    table = _table(df, enc, parts, pure_faster)
    if table is None:
        return None
    return cols.write_frame(
        table,
        enc.option("orient"),
        len(df),
        cols.keys_of(list(df.columns)),
        lambda: parts.labels(df.columns, enc),
        enc.option("sort_keys"),
        parts.row_bytes(df),
        cols.POLARS,
    )


def _table(df: pd.DataFrame, enc: Encoder, parts: PandasParts, pure_faster: bool = False) -> Any:
    """polars' writer for ``df``, or ``None`` when it would not write what the pure path does
    or the route decision (:func:`~._route.use_polars`) is the pure route."""
    if not use_polars(_applies(df, enc), pure_faster):
        return None
    try:
        import polars  # noqa: F401

        from . import polars as pl_enc

        source = _Pandas(df, parts.row_order(df.index, enc), enc, parts)
        first = source.frame(0, min(1, len(df)))
    except Exception:  # polars or pyarrow missing, or a column it cannot convert
        return None
    if not pl_enc.fast_applies(first.dtypes, enc):
        return None
    return pl_enc.FastTable(source, [c if isinstance(c, str) else str(c) for c in df.columns], enc)


class _Pandas:
    """A pandas frame as rows for :class:`fastjson.encoders.polars.FastTable`.

    ``order`` lists the rows in output order (sorted labels under ``sort_keys``),
    ``None`` for the frame's own order.
    """

    def __init__(
        self, df: pd.DataFrame, order: NDArray[np.intp] | None, enc: Encoder, parts: PandasParts
    ) -> None:
        import polars as pl

        self.parts = parts
        self.df = df
        self.order = order
        self.enc = enc
        self.height = len(df)
        self.columns = parts.columns(df)
        self.enums = {  # each categorical's categories once, as a polars Enum, and its codes
            k: (
                pl.Series(list(dtype.categories), dtype=pl.Enum(list(dtype.categories))),
                np.asarray(self.columns[k].array.codes),
            )
            for k, dtype in enumerate(df.dtypes)
            if isinstance(dtype, pd.CategoricalDtype)
        }
        self.zoned = {k for k, dtype in enumerate(df.dtypes) if _zoned(dtype)}

    def _rows(self, i: int, j: int) -> Any:
        return slice(i, j) if self.order is None else self.order[i:j]

    def frame(self, i: int, j: int, columns: list[int] | None = None) -> Any:
        """Column by column (``pl.from_pandas`` of a whole block costs more than of its
        columns one by one)."""
        import polars as pl

        rows = self._rows(i, j)
        block = []
        for k in range(len(self.columns)) if columns is None else columns:
            name = f"c{k}"
            if k in self.enums:
                categories, all_codes = self.enums[k]
                codes = all_codes[rows]
                index = pl.Series(codes, dtype=pl.Int64)
                if (codes < 0).any():
                    index = index.scatter(np.flatnonzero(codes < 0), None)
                block.append(categories.gather(index).alias(name))
                continue
            column = self.columns[k].iloc[rows]
            if k in self.zoned:  # pandas' own time-zone data, by the one datetime rule
                strings = self.parts.zoned_strings(column, "iso")
                block.append(pl.Series(name, strings, dtype=pl.String))
            elif column.dtype.kind == "m":  # numpy's division, as on the pure path
                seconds = timedelta_seconds(column.to_numpy())
                block.append(pl.Series(name, seconds, nan_to_null=True))
            else:
                block.append(pl.from_pandas(column, nan_to_null=True).alias(name))
        return pl.DataFrame(block)

    def leads(self, i: int, j: int) -> Any:
        """``,"label":`` for rows ``i:j``, the labels written as
        :func:`fastjson.encoders.pandas._index_keys` writes them: numbers and ISO dates in
        quotes, strings escaped, the rest ``str``."""
        import polars as pl

        from . import _columns as cols
        from . import polars as pl_enc

        index = self.df.index
        if isinstance(index, pd.RangeIndex) and self.order is None:
            start, step = index.start + i * index.step, index.step
            return pl_enc.integer_leads(np.arange(start, start + (j - i) * step, step))
        index = self.parts.index_rows(index, self._rows(i, j))
        if not isinstance(index, pd.MultiIndex) and not index.hasnans:
            if isinstance(index.dtype, np.dtype) and index.dtype.kind in "iu":
                return pl_enc.integer_leads(np.asarray(index))
            if isinstance(index.dtype, pd.StringDtype) or (
                pd.api.types.infer_dtype(index, skipna=False) == "string"
            ):
                try:  # polars cannot hold lone surrogates: those take the tokens below
                    strings = pl.from_pandas(index).cast(pl.String)  # no list of strings
                except Exception:
                    pass
                else:
                    return pl_enc.leads(pl_enc.json_token(pl.lit(strings)), True)
        tokens, quoted = self.parts.index_keys(index, self.enc)
        strings = pl.Series([t.decode() for t in cols.as_list(tokens)], dtype=pl.String)
        return pl_enc.leads(pl.lit(strings), quoted)

    def labels(self, i: int, j: int) -> bytes:
        return (
            b","
            + self.parts.labels(self.parts.index_rows(self.df.index, slice(i, j)), self.enc)[1:-1]
        )

    def plain_strings(self, k: int) -> bool:
        return k in self.zoned or self.parts.plain_strings(self.columns[k].array)

    def whole_seconds(self, k: int) -> bool:
        """No datetime of column ``k`` has a sub-second part (checked once, on the ticks)."""
        array = self.columns[k].array
        ticks = np.asarray(array.asi8)
        per_second = 10 ** {"s": 0, "ms": 3, "us": 6, "ns": 9}[array.unit]
        valid = ticks != np.iinfo(np.int64).min  # NaT
        return not bool((ticks[valid] % per_second).any())


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


def _zoned(dtype: Any) -> bool:
    """Datetimes with a time zone, as pandas or Arrow holds them."""
    if isinstance(dtype, pd.DatetimeTZDtype):
        return True
    arrow = getattr(dtype, "pyarrow_dtype", None)
    return getattr(arrow, "tz", None) is not None


def _is_datetime(dtype: Any) -> bool:
    return isinstance(dtype, pd.DatetimeTZDtype) or getattr(dtype, "kind", "") == "M"
