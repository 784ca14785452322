"""pyarrow Table, RecordBatch, Array and ChunkedArray, encoded through polars.

``pl.from_arrow`` takes Arrow memory as it is (zero-copy for the common
types), so a Table is encoded exactly as the polars DataFrame it becomes, its
orients, index and JSON forms those of :mod:`fastjson.encoders.polars`. An
Array or ChunkedArray is a list of its values, whatever the orient, as pandas'
extension arrays are.

Three Arrow details are smoothed over so that the output parses as that of
``table.to_pandas()``: ``date64`` columns, which polars reads as
millisecond datetimes, are read as dates (``"2024-01-01"``, as pyarrow's
``to_pandas`` gives); ``decimal256`` columns, which polars cannot read, are
written as the strings every decimal is; and duplicate column names, which
polars refuses, are fine for ``split`` and ``values`` and a
``DuplicateKeyError`` for the orients whose keys would collide, as for
pandas frames.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from .._errors import EncodeError
from .._values import Raw
from ..registry import builtin
from . import _columns as cols
from . import polars as pl_enc
from ._source import provides

if TYPE_CHECKING:
    from ..core import Encoder


@builtin(pa.Table)
@builtin(pa.RecordBatch)
@provides(lambda t: pl_enc.TableSource(t, _frame, list(t.schema.names)))
def encode_arrow_table(table: pa.Table | pa.RecordBatch, enc: Encoder) -> Raw:
    """A Table (a RecordBatch: a one-batch Table) as the polars DataFrame it converts to,
    zero-copy."""
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    names = list(table.column_names)
    if len(set(names)) == len(names):
        return Raw(pl_enc.frame_json(_frame(table), enc), trusted=True)
    orient = enc.option("orient")
    if orient in ("records", "columns", "index"):  # keys would collide
        cols.check_unique(names, "column name", orient)
    unique = table.rename_columns([f"c{i}" for i in range(len(names))])
    return Raw(pl_enc.frame_json(_frame(unique), enc, labels=names), trusted=True)


@builtin(pa.Array)
@builtin(pa.ChunkedArray)
@provides(lambda a: pl_enc.ColumnSource(a, "array", _series))
def encode_arrow_array(array: pa.Array | pa.ChunkedArray, enc: Encoder) -> Raw:
    """A list of the values, whatever the orient."""
    return Raw(pl_enc.array_json(_series(array), enc), trusted=True)


def _frame(data: pa.Table | pa.RecordBatch) -> Any:
    """The polars frame of a table, its columns made readable by polars first."""
    table = pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data
    columns = [_readable(column) for column in table.columns]
    if any(new is not old for new, old in zip(columns, table.columns, strict=True)):
        table = pa.table(columns, names=table.column_names)
    return _polars(table)


def _series(array: pa.Array | pa.ChunkedArray) -> Any:
    return _polars(_readable(array))


def _readable(array: Any) -> Any:
    """``date64`` as dates and ``decimal256`` as strings (see the module docstring); a
    slice of fixed-size lists copied (polars misreads the nulls of one)."""
    if pa.types.is_date64(array.type):
        return array.cast(pa.date32())
    if pa.types.is_decimal256(array.type):
        return _decimal_strings(array)
    if pa.types.is_fixed_size_list(array.type):
        chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
        size = array.type.list_size
        if any(chunk.offset or len(chunk.values) != len(chunk) * size for chunk in chunks):
            return pa.concat_arrays(chunks)
    return array


def _decimal_strings(array: Any) -> Any:
    """Decimals as ``str(Decimal)`` writes them. Arrow writes the plain form; Python
    switches to the exponent form for small values and negative scales: only those
    values go through Python."""
    import pyarrow.compute as pc

    if isinstance(array, pa.ChunkedArray):
        return pa.chunked_array([_decimal_strings(c) for c in array.chunks], pa.string())
    strings = pc.cast(array, pa.string())
    plain = pc.utf8_ltrim(strings, "-")
    odd = pc.or_(pc.starts_with(plain, "0.000000"), pc.match_substring(plain, "E"))
    mask = pc.fill_null(odd, False)
    positions = pc.indices_nonzero(mask)
    if not len(positions):
        return strings
    exact = pa.array([str(d) for d in pc.take(array, positions).to_pylist()], pa.string())
    return pc.replace_with_mask(strings, mask, exact)


def _polars(data: Any) -> Any:
    """``pl.from_arrow(data)``; types polars cannot read (unions...) are an ``EncodeError``,
    and so are its panics (a ``BaseException``)."""
    try:
        return pl.from_arrow(data, rechunk=False)  # chunks as they are: no copy
    except (Exception, pl.exceptions.PanicException) as exc:
        raise EncodeError(f"polars cannot read this Arrow data: {exc}") from exc
