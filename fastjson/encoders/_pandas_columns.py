"""A pandas column, or index, as JSON tokens: chosen by dtype, vectorised.

What :mod:`fastjson.encoders.pandas` reads of a column (:func:`encoded_column`,
:func:`array_json`) and of the labels (:func:`index_keys` as object keys,
:func:`labels_json` as a list), on both routes. Missing values (``NaN``,
``None``, ``NaT``, ``pd.NA``) are ``null``; datetimes ISO 8601 by the rule of
:mod:`fastjson._dates`; categoricals their category values.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import pandas as pd

from .._values import Raw
from . import _columns as cols
from . import _datetimes as dates
from . import _tokens as tok
from . import numpy as np_enc
from . import reads_arrow

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ..core import Encoder


def encoded_column(s: pd.Series[Any] | pd.Index, enc: Encoder) -> tok.Tokens:
    """The JSON text of every value of a column, chosen by dtype, vectorised, in whichever
    form encoding the column gives (a list, or one text: see :class:`~._tokens.Joined`)."""
    dtype = s.dtype
    if isinstance(dtype, pd.SparseDtype):
        s = pd.Series(np.asarray(s.array.to_dense()), copy=False)
        dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _categorical_tokens(s, enc)
    if _arrow_timestamps(dtype):  # as numpy's datetimes: vectorised, not one by one
        s = _numpy_moments(s)
        dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return np_enc.encoded_tokens(
            tz_strings(s, enc.option("datetime_format")), enc, scalars=True
        )
    if isinstance(dtype, np.dtype):
        if dtype.kind == "O":
            return _object_tokens(s.to_numpy(), enc)
        return np_enc.encoded_tokens(s.to_numpy(), enc)
    nullable = _nullable_numbers(s)
    if nullable is not None:
        return np_enc.encoded_tokens(nullable[0], enc, null=nullable[1])
    if isinstance(dtype, pd.StringDtype):
        arrow = dtype.storage == "pyarrow" and len(s) > 500 and reads_arrow()
        fast = tok.arrow_strings(s.array) if arrow else None
        if fast is not None:
            return fast
        return np_enc.encoded_tokens(
            s.array.to_numpy(dtype=object, na_value=None), enc, scalars=True
        )
    return _object_tokens(s.to_numpy(dtype=object), enc)


def _nullable_numbers(s: pd.Series[Any] | pd.Index) -> tuple[NDArray[Any], NDArray[Any]] | None:
    """A nullable number column (``Int64``, ``Float64``, ``boolean``, Arrow's) as numpy
    values, a placeholder of the dtype at each NA, and the NA mask (``None``: another
    dtype). The mask is the array's, not ``s.isna()``: numpy asks a Series for attributes
    that pandas looks up in its labels, building a string index's hash table each block."""
    dtype: Any = s.dtype
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if isinstance(dtype, np.dtype) or numpy_dtype is None or dtype.kind not in "biuf":
        return None
    fill = {"f": np.nan, "b": False}.get(dtype.kind, 0)  # Arrow's booleans refuse a 0
    return s.to_numpy(dtype=numpy_dtype, na_value=fill), np.asarray(s.array.isna())


def _arrow_timestamps(dtype: Any) -> bool:
    """Whether ``dtype`` is an Arrow timestamp of a unit numpy has (``s`` to ``ns``)."""
    arrow = getattr(dtype, "pyarrow_dtype", None)
    unit = getattr(arrow, "unit", None)
    return unit in ("s", "ms", "us", "ns") and str(arrow).startswith("timestamp")


def _numpy_moments(s: pd.Series[Any] | pd.Index) -> pd.Index:
    """An Arrow timestamp column as the same moments in numpy's ``datetime64`` (with its
    time zone), from Arrow's ticks: pandas' own ``astype`` makes a Timestamp a value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = pa.array(s.array)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    nat = pa.scalar(np.iinfo(np.int64).min, pa.int64())  # numpy's NaT
    ticks = pc.fill_null(arrow.cast(pa.int64()), nat).to_numpy()
    moments = pd.DatetimeIndex(ticks.view(f"M8[{arrow.type.unit}]"))
    zone = arrow.type.tz
    return moments.tz_localize("UTC").tz_convert(zone) if zone else moments


def _object_tokens(values: NDArray[Any], enc: Encoder) -> tok.Tokens:
    """Object columns: strings in one call; mixed values one by one (NA -> null)."""
    try:
        na = pd.isna(values)
    except decimal.InvalidOperation:  # pandas' test of a signalling NaN signals: quieten it
        values = np.array([_quiet(value) for value in values], dtype=object)
        na = pd.isna(values)
    if na.any():
        values = values.copy()
        values[na] = None
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("string", "empty", "boolean", "integer"):
        return np_enc.encoded_tokens(values.tolist(), enc, scalars=True)
    return np_enc.encoded_tokens(values, enc)


def _quiet(value: Any) -> Any:
    """A signalling NaN ``Decimal`` as a quiet one, which pandas takes as missing as it
    takes every other NaN of an object column; any other value as it is."""
    if isinstance(value, decimal.Decimal) and value.is_snan():
        return decimal.Decimal("NaN")
    return value


def _categorical_tokens(s: pd.Series[Any] | pd.Index, enc: Encoder) -> tok.Lookup:
    """Encode each category once, then pick tokens by code (-1, missing, is null)."""
    cat = s.array
    categories = tok.as_list(encoded_column(pd.Series(cat.categories), enc))
    codes = np.asarray(cat.codes)
    return tok.Lookup([*categories, b"null"], np.where(codes < 0, len(categories), codes))


def tz_strings(s: pd.Series[Any] | pd.Index, datetime_format: str) -> list[str | None]:
    """Dates with a time zone by the rule of :mod:`fastjson._dates`, from pandas' own
    time-zone data, in the column's own unit (a cast to ``ns`` would wrap years
    beyond 2262)."""
    values = pd.DatetimeIndex(s)
    view = f"M8[{values.unit}]"
    utc = np.asarray(values.asi8).view(view)
    edge = dates.at_the_ends(utc)  # no wall time asked of pandas there: it would raise
    local = pd.DatetimeIndex(values.where(~edge)) if edge.any() else values
    wall = np.asarray(local.tz_localize(None).asi8).view(view)
    result: list[str | None] = dates.zoned_strings(utc, wall, datetime_format).tolist()
    return result


def index_rows(index: pd.Index, rows: Any) -> pd.Index:
    """``index[rows]`` without the hash table pandas builds for it: slicing an index whose
    table is built (a look-up or a uniqueness check builds it) builds the slice's too,
    which converts Arrow-backed strings to Python objects, once a block. The labels'
    array is sliced instead."""
    sliced: pd.Index = (
        index[rows]
        if isinstance(index, pd.MultiIndex | pd.RangeIndex)
        else pd.Index(index.array[rows], dtype=index.dtype, copy=False)
    )
    return sliced


def columns_of(df: pd.DataFrame) -> list[pd.Series[Any]]:
    """The frame's columns as Series without its row labels (no copy), to be sliced by
    blocks: pandas answers attribute look-ups on a Series (numpy and polars make some) by
    a search of its labels, and builds a string index's hash table anew for every slice
    (a large share of the time of a frame with string labels)."""
    plain = isinstance(df.index, pd.RangeIndex)
    return [
        df.iloc[:, k] if plain else df.iloc[:, k].reset_index(drop=True)
        for k in range(df.shape[1])
    ]


def labels_json(index: pd.Index, enc: Encoder) -> bytes:
    """An Index as a JSON array (a MultiIndex as an array of arrays)."""
    if isinstance(index, pd.MultiIndex):
        levels = [encoded_column(index.get_level_values(i), enc) for i in range(index.nlevels)]
        return b"[" + tok.array_rows(levels, len(index))[1:] + b"]"
    return array_json(index, enc)


def check_labels(index: pd.Index, orient: str, enc: Encoder) -> None:
    """Refuse labels that would write one key twice (keyed orients), once for the whole
    index: equal labels, or, in an index of mixed objects, labels written alike
    (``1`` and ``"1"``, ``nan`` and ``"nan"``)."""
    if not index.is_unique:
        cols.check_unique(list(index), "index label", orient)
    elif index.dtype == object and pd.api.types.infer_dtype(index, skipna=False) != "string":
        tokens, quoted = index_keys(index, enc)
        keys = [orjson.loads(key) if quoted else key.decode() for key in tok.as_list(tokens)]
        cols.check_unique(keys, "index label", orient)


def index_keys(index: pd.Index, enc: Encoder) -> tuple[tok.Tokens, bool]:
    """Index labels as object keys, plus whether the tokens are already JSON strings.

    Numbers, dates and strings are encoded as a column (dates as ISO, as
    dict keys always are); anything else (a MultiIndex, mixed objects) goes
    through ``str(label)``, and so does each missing or infinite label
    (``"nan"``, ``"NaT"``, ``"inf"``: no JSON number says them): a label is
    written the same whichever slice of the index it is encoded with.
    Duplicates are refused by :func:`check_labels`, once for the whole index.
    """
    enc = enc.replace(datetime_format="iso", big_int="number")
    if isinstance(index, pd.MultiIndex):
        return _present_keys(index, enc)
    missing = np.asarray(index.isna())
    if getattr(index.dtype, "kind", "") == "f":
        missing |= np.isinf(index.to_numpy(dtype="float64", na_value=np.nan))
    if not missing.any():
        return _present_keys(index, enc)
    present, quoted = _present_keys(index[~missing], enc)
    tokens = tok.as_list(present)
    keys = np.empty(len(index), dtype=object)
    keys[~missing] = tokens if quoted else [b'"' + token + b'"' for token in tokens]
    keys[missing] = tok.keys_of([str(label) for label in index[missing]])
    result: list[bytes] = keys.tolist()
    return result, True


def _present_keys(index: pd.Index, enc: Encoder) -> tuple[tok.Tokens, bool]:
    """:func:`index_keys` of labels none of which is missing."""
    if not isinstance(index, pd.MultiIndex):
        dtype = index.dtype
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            return encoded_column(index, enc), False
        if (
            isinstance(dtype, pd.StringDtype)  # strings by dtype: no look at the values
            or pd.api.types.is_datetime64_any_dtype(dtype)
            or (
                pd.api.types.is_string_dtype(dtype)
                and pd.api.types.infer_dtype(index, skipna=False) == "string"
            )
        ):
            return encoded_column(index, enc), True
    return tok.keys_of([_label_text(label, enc) for label in index]), True


def _label_text(label: Any, enc: Encoder) -> str:
    """A label of a mixed index as a key: a date as the ISO text it is written as
    everywhere, anything else through ``str``."""
    if isinstance(label, dt.date | dt.time | np.datetime64):  # Timestamps are datetimes
        text = orjson.loads(enc.encode(label))
        if isinstance(text, str):
            return text
    return str(label)


def array_json(s: pd.Series[Any] | pd.Index, enc: Encoder) -> bytes:
    """A column as one JSON array: numbers in one orjson call, whose output is the array
    (no copy); others joined from their tokens."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "biuf":
        encoded = np_enc.numeric(s.to_numpy(), np_enc.compact(enc))
        if isinstance(encoded, Raw):
            return encoded.data
    return tok.json_array(encoded_column(s, enc))
