"""numpy arrays and scalars, encoded whole.

Imported lazily by the registry the first time a numpy object is seen.
Numeric arrays go to orjson's native numpy encoder (after one copy to C order
and native byte order when needed); datetime64 arrays are formatted with
vectorised string operations; nothing here loops over elements in Python,
except object arrays, whose elements are arbitrary objects by definition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from .._types import EncodeError, Raw
from .._walk import NonFiniteError, final
from ..registry import builtin
from ._columns import records_from_columns, split_tokens

if TYPE_CHECKING:
    from ..core import Context

_NUMPY = orjson.OPT_SERIALIZE_NUMPY
_NAN_TOKENS = {"nan": b'"NaN"', "inf": b'"Infinity"', "-inf": b'"-Infinity"'}
_DATE_UNITS = ("Y", "M", "W", "D")
_SUBSECOND = {"ms": 3, "us": 6, "ns": 9}


@builtin(np.ndarray)
def encode_array(a: np.ndarray, ctx: Context) -> Any:
    """Any ndarray: numeric via orjson, dates as ISO 8601, objects element-wise."""
    if type(a) is not np.ndarray:
        a = a.view(np.ndarray)
    if a.ndim == 0:
        return a[()]
    kind = a.dtype.kind
    if kind in "biuf":
        return numeric(a, ctx)
    if kind == "O":
        return a.tolist()
    if kind == "V" and a.dtype.names:
        return structured(a, ctx)
    return final(json_ready(a, ctx).tolist())


def numeric(a: np.ndarray, ctx: Context, null: np.ndarray | None = None) -> Any:
    """A bool/int/float array; ``null`` optionally marks positions to write as ``null``."""
    a = native(a)
    bad = _nonfinite(a, ctx, null)
    if not ctx.fragments or (null is not None and a.dtype.kind != "f"):
        values = json_ready(a, ctx)
        if null is not None:
            values[null] = None
        return final(values.tolist())
    if null is not None:
        a = np.where(null, np.nan, a)
    out = orjson.dumps(a, option=_NUMPY)
    if bad is not None:
        out = _name_nonfinite(out, a, null)
    return Raw(out, trusted=True)


def native(a: np.ndarray) -> np.ndarray:
    """C-contiguous, native byte order: what orjson's numpy path needs (one copy at most)."""
    if a.dtype.kind == "f" and a.dtype.itemsize > 8:
        raise EncodeError(
            f"numpy {a.dtype} has no lossless JSON form; convert to float64 explicitly"
        )
    if a.flags.c_contiguous and a.dtype.isnative:
        return a
    return np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("="))


def _nonfinite(a: np.ndarray, ctx: Context, null: np.ndarray | None) -> np.ndarray | None:
    """Positions of NaN/inf that need the ``nan`` policy (None when there is nothing to do)."""
    if a.dtype.kind != "f" or ctx.options.nan == "null":
        return None
    bad = ~np.isfinite(a)
    if null is not None:
        bad &= ~null
    if not bad.any():
        return None
    if ctx.options.nan == "error":
        index = np.unravel_index(int(np.argmax(bad)), a.shape)
        raise NonFiniteError(float(a[index]), "".join(f"[{int(i)}]" for i in index))
    return bad


def _name_nonfinite(out: bytes, a: np.ndarray, null: np.ndarray | None) -> bytes:
    """Replace the ``null`` orjson wrote for each NaN/inf with ``"NaN"``/``"Infinity"``.

    A float array only produces ``null`` for non-finite values, so the n-th
    ``null`` in the output is the n-th non-finite element in C order: the work
    is proportional to the number of such elements, not to the array's size.
    """
    flat = a.ravel()
    positions = np.flatnonzero(~np.isfinite(flat))
    values = flat[positions]
    tokens = np.where(
        np.isnan(values),
        _NAN_TOKENS["nan"],
        np.where(values > 0, _NAN_TOKENS["inf"], _NAN_TOKENS["-inf"]),
    ).astype(object)
    if null is not None:
        tokens[null.ravel()[positions]] = b"null"
    pieces = out.split(b"null")
    return b"".join(p for pair in zip(pieces, [*tokens.tolist(), b""], strict=True) for p in pair)


def json_ready(a: np.ndarray, ctx: Context) -> np.ndarray:
    """An object array of JSON-ready Python values, same shape (for masks and json backends)."""
    kind = a.dtype.kind
    if kind == "f":
        values = a.astype(str).astype(np.float64) if a.dtype.itemsize < 8 else a
        out = values.astype(object)
        bad = ~np.isfinite(values)
        if bad.any():
            policy = ctx.options.nan
            out[bad] = (
                None
                if policy != "string"
                else [_NAN_TOKENS[repr(float(v))].decode()[1:-1] for v in values[bad]]
            )
        return out
    if kind in "biuU":
        return a.astype(object)
    if kind == "S":
        try:
            return np.char.decode(a, "utf-8").astype(object)
        except UnicodeDecodeError as exc:
            raise EncodeError(f"numpy bytes array holds non-UTF-8 data: {exc}") from None
    if kind == "M":
        return datetime_strings(a)
    if kind == "m":
        seconds = timedelta_seconds(a)
        out = seconds.astype(object)
        out[np.isnat(a)] = None
        return out
    if kind == "c":
        raise EncodeError(_COMPLEX)
    if kind == "O":
        return a
    raise EncodeError(f"numpy dtype {a.dtype} is not supported")


def datetime_strings(a: np.ndarray) -> np.ndarray:
    """ISO 8601 strings (object array, ``None`` for NaT), as ``Timestamp.isoformat`` writes.

    Whole seconds carry no fraction, sub-second values carry 6 digits, or 9
    when there are nanoseconds. Date units (Y, M, W, D) give dates.
    """
    unit, _ = np.datetime_data(a.dtype)
    nat = np.isnat(a)
    if unit in _DATE_UNITS:
        text = np.datetime_as_string(a, unit="D" if unit == "W" else unit)
    elif unit in ("h", "m", "s") or unit in _SUBSECOND:
        seconds = a.astype("M8[s]")
        text = np.datetime_as_string(seconds, unit="s")
        if unit in _SUBSECOND:
            ns = (a - seconds).astype("m8[ns]").astype(np.int64)
            ns[nat] = 0
            if ns.any():
                text = np.strings.add(text, _fractions(ns))
    else:
        text = np.datetime_as_string(a)
    out = text.astype(object)
    out[nat] = None
    return out


def _fractions(ns: np.ndarray) -> np.ndarray:
    """``""``, ``".ffffff"`` or ``".fffffffff"`` per element, from sub-second nanoseconds."""
    micro = ns % 1000 == 0
    digits = np.where(micro, ns // 1000, ns).astype(str)
    digits = np.where(micro, np.strings.zfill(digits, 6), np.strings.zfill(digits, 9))
    return np.where(ns == 0, "", np.strings.add(".", digits))


def timedelta_seconds(a: np.ndarray) -> np.ndarray:
    """Seconds as float64 (NaN for NaT): the documented JSON form of a duration."""
    return a / np.timedelta64(1, "s")


def structured(a: np.ndarray, ctx: Context) -> Any:
    """A structured array: a list of objects, one per record, built column by column."""
    if a.ndim > 1:
        return [structured(row, ctx) for row in a]
    names = list(a.dtype.names or ())
    columns = [split_tokens(a[name], ctx) for name in names]
    body = records_from_columns([str(n) for n in names], columns, len(a))
    return Raw(body, trusted=True)  # the Raw encoder parses it for other backends


_COMPLEX = (
    "complex numbers have no JSON form; encode .real and .imag, or register an encoder "
    "for numpy.complexfloating"
)


@builtin(np.ma.MaskedArray)
def encode_masked(a: np.ma.MaskedArray, ctx: Context) -> Any:
    """Masked elements become ``null``; the rest encode as in a plain array."""
    mask = np.ma.getmaskarray(a)
    data = np.asarray(a.data)
    if not mask.any() or data.ndim == 0:
        return None if mask.all() and data.ndim == 0 else encode_array(data, ctx)
    if data.dtype.kind in "biuf":
        return numeric(data, ctx, null=mask)
    values = json_ready(data, ctx).copy()
    values[mask] = None
    return values.tolist() if data.dtype.kind == "O" else final(values.tolist())


@builtin(np.bool_)
def _bool(o: np.bool_, ctx: Context) -> bool:
    return bool(o)


@builtin(np.integer)
def _integer(o: np.integer, ctx: Context) -> int:
    return int(o)


@builtin(np.floating)
def _floating(o: np.floating, ctx: Context) -> Any:
    if not np.isfinite(o) or o.dtype == np.float64:
        return float(o)
    if o.dtype.itemsize > 8:
        raise EncodeError(f"numpy {o.dtype} has no lossless JSON form; convert to float64")
    if ctx.fragments:
        return Raw(orjson.dumps(o, option=_NUMPY), trusted=True)
    return float(str(o))


@builtin(np.complexfloating)
def _complex(o: np.complexfloating, ctx: Context) -> Any:
    raise EncodeError(_COMPLEX)


@builtin(np.datetime64)
def _datetime64(o: np.datetime64, ctx: Context) -> str | None:
    return datetime_strings(np.asarray(o).reshape(1))[0]


@builtin(np.timedelta64)
def _timedelta64(o: np.timedelta64, ctx: Context) -> float | None:
    return None if np.isnat(o) else float(timedelta_seconds(np.asarray(o)))


@builtin(np.bytes_)
def _bytes(o: np.bytes_, ctx: Context) -> str:
    return json_ready(np.asarray(o).reshape(1), ctx)[0]


@builtin(np.void)
def _void(o: np.void, ctx: Context) -> Any:
    if not o.dtype.names:
        raise EncodeError(f"numpy {o.dtype} (raw bytes) is not supported")
    return {str(name): o[name] for name in o.dtype.names}
