"""numpy arrays and scalars, encoded whole.

Every array is first brought to native byte order and C order (one copy at
most, :func:`native`). Numeric arrays then go to orjson's native numpy
encoder; datetime64 arrays are formatted with vectorised integer and string
operations; nothing here loops over elements in Python, except object
arrays, whose elements are arbitrary objects by definition.

The column helpers (:func:`encoded_tokens`, :func:`compact`) are shared with the
pandas and polars encoders, which import this module, never the reverse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from .._errors import EncodeError, NonFiniteError
from .._values import NONFINITE_TOKENS, SAFE_INTEGER, Raw, final
from ..registry import builtin
from . import _tokens as tok
from ._datetimes import datetime_strings, datetime_tokens, timedelta_seconds
from ._source import Kind, NoArrowForm, Source, provides

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ..core import Encoder

_NUMPY = orjson.OPT_SERIALIZE_NUMPY
_NAN_TOKENS = {k: orjson.dumps(v) for k, v in NONFINITE_TOKENS.items()}
_COMPLEX = (
    "complex numbers have no JSON form; encode .real and .imag, or register an encoder "
    "for numpy.complexfloating"
)


def compact(enc: Encoder) -> Encoder:
    """The encoder tokens are made with: the same options, compact, orjson fragments."""
    if enc.fragments and enc.option("indent") is None:
        return enc
    return enc.replace(backend="orjson", indent=None)


@builtin(np.ndarray)
@provides(lambda a: ArraySource(a) if a.ndim else None)
def encode_array(a: NDArray[Any], enc: Encoder) -> Any:
    """Any ndarray: numeric via orjson, dates as ISO 8601, objects element-wise."""
    if type(a) is not np.ndarray:
        a = a.view(np.ndarray)
    if a.ndim == 0:
        return a[()]
    kind = a.dtype.kind
    if kind in "biuf":
        return numeric(a, enc)
    if kind in "OU":  # a list the walk enters (it escapes lone surrogates as in any str)
        return a.tolist()
    if kind == "V" and a.dtype.names:
        return structured(a, enc)
    return final(json_ready(a, enc).tolist())


def native(a: NDArray[Any]) -> NDArray[Any]:
    """C-contiguous, native byte order: what orjson and numpy's formatting need.

    Big-endian ``datetime64`` arrays, for one, format as garbage otherwise.
    """
    if a.dtype.kind == "f" and a.dtype.itemsize > 8:
        raise EncodeError(
            f"numpy {a.dtype} has no lossless JSON form; convert to float64 explicitly"
        )
    if a.flags.c_contiguous and a.dtype.isnative:
        return a
    return np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("="))


def numeric(a: NDArray[Any], enc: Encoder, null: NDArray[np.bool_] | None = None) -> Any:
    """A bool/int/float array; ``null`` optionally marks positions to write as ``null``."""
    a = native(a)
    bad = _nonfinite(a, enc, null)
    big = _big_ints(a, enc)
    half = a.dtype.itemsize == 2 and a.dtype.kind == "f"  # orjson writes float32 digits
    if not enc.fragments or big is not None or half or (null is not None and a.dtype.kind != "f"):
        values = json_ready(a, enc)
        if null is not None:
            values[null] = None
        items = values.tolist()  # compact as orjson writes any numeric array, masked or not
        return Raw(orjson.dumps(items), trusted=True) if enc.fragments else final(items)
    if null is not None:
        a = np.where(null, np.nan, a)
    out = orjson.dumps(a, option=_NUMPY)
    if bad is not None:
        out = _name_nonfinite(out, a, null)
    return Raw(out, trusted=True)


def _big_ints(a: NDArray[Any], enc: Encoder) -> NDArray[np.bool_] | None:
    """Positions of integers beyond ±(2**53-1) under ``big_int="string"`` (None: none)."""
    if a.dtype.kind not in "iu" or a.dtype.itemsize < 8 or enc.option("big_int") != "string":
        return None
    big = a > SAFE_INTEGER
    if a.dtype.kind == "i":
        big |= a < -SAFE_INTEGER
    return big if big.any() else None


def _nonfinite(a: NDArray[Any], enc: Encoder, null: NDArray[np.bool_] | None) -> Any:
    """Positions of NaN/inf that need the ``nan`` policy (None when there is nothing to do)."""
    if a.dtype.kind != "f" or enc.option("nan") == "null":
        return None
    bad = ~np.isfinite(a)
    if null is not None:
        bad &= ~null
    if not bad.any():
        return None
    if enc.option("nan") == "error":
        index = np.unravel_index(int(np.argmax(bad)), a.shape)
        raise NonFiniteError(float(a[index]), "$" + "".join(f"[{int(i)}]" for i in index))
    return bad


def _name_nonfinite(out: bytes, a: NDArray[Any], null: NDArray[np.bool_] | None) -> bytes:
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


def json_ready(a: NDArray[Any], enc: Encoder) -> NDArray[Any]:
    """An object array of JSON-ready Python values, same shape (for masks and json backends)."""
    a = native(a)
    kind = a.dtype.kind
    if kind == "f":
        values = a.astype(str).astype(np.float64) if a.dtype.itemsize < 8 else a
        out = values.astype(object)
        bad = ~np.isfinite(values)
        if bad.any():
            policy = enc.option("nan")
            if policy == "error":
                _nonfinite(values, enc, None)
            out[bad] = (
                None
                if policy != "string"
                else [NONFINITE_TOKENS[repr(float(v))] for v in values[bad]]
            )
        return out
    if kind in "iu":
        out = a.astype(object)
        big = _big_ints(a, enc)
        if big is not None:
            out[big] = a[big].astype(str).astype(object)
        return out
    if kind in "bU":
        return a.astype(object)
    if kind == "S":
        try:
            return np.char.decode(a, "utf-8").astype(object)
        except UnicodeDecodeError as exc:
            raise EncodeError(f"numpy bytes array holds non-UTF-8 data: {exc}") from None
    if kind == "M":
        return datetime_strings(a, enc.option("datetime_format"))
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


# -- columns -------------------------------------------------------------------


_BOOLEANS = [b"false", b"true"]


def encoded_tokens(
    values: Any, enc: Encoder, *, scalars: bool = False, null: NDArray[np.bool_] | None = None
) -> tok.Tokens:
    """The JSON text of every element of a 1-D column (numpy array or list), in whichever
    form the encoding gives: a list, or one joined text.

    ``scalars=True`` promises the elements are str/int/bool/None only, so the
    whole list is encoded in one call; numpy numeric arrays are always
    encoded whole, ``null`` marking the missing numbers (a nullable column's
    values, any value where missing); anything else is encoded element by
    element, and an error names the element's position (``$[3]``).
    """
    if len(values) == 0:
        return []
    tenc = compact(enc)
    kind = getattr(getattr(values, "dtype", None), "kind", "O")
    null = null if null is not None and null.any() else None
    if kind == "b" and null is None:  # any non-zero byte is true, as numpy reads it
        return tok.Lookup(_BOOLEANS, np.minimum(np.asarray(values).view(np.uint8), 1))
    if kind in "biuf":
        encoded = numeric(values, tenc, null=null)
        if isinstance(encoded, Raw):
            return tok.Joined(encoded.data[1:-1], b",")  # numbers and null hold no comma
        values, scalars = encoded.items, True
    elif kind == "V":  # a nested structured field: each record through the np.void encoder
        return _each(values, tenc)
    elif kind != "O":
        if kind == "M":
            fast = datetime_tokens(values, tenc)
            if fast is not None:
                return fast
        values = json_ready(values, tenc).tolist()
        scalars = True
    if scalars:
        if not isinstance(values, list):
            values = values.tolist()  # orjson takes lists, not object arrays
        option = orjson.OPT_INDENT_2
        if enc.option("big_int") == "string":
            option |= orjson.OPT_STRICT_INTEGER
        try:
            text = orjson.dumps(values, option=option)
        except TypeError:
            pass  # a lone surrogate or a big integer: the per-element route handles it
        else:  # one element a line: JSON text never holds a raw newline
            return tok.Joined(text[4:-2], b",\n  ")
    return _each(values, tenc)


def _each(values: Any, enc: Encoder) -> list[bytes]:
    out = []
    for i, value in enumerate(values):
        try:
            out.append(enc.encode_part(value))
        except EncodeError as exc:
            raise exc.within(f"$[{i}]") from exc.__cause__
    return out


def structured(a: NDArray[Any], enc: Encoder) -> Any:
    """A structured array: a list of objects, one per record, built column by column."""
    if a.ndim > 1:
        return [structured(row, enc) for row in a]
    names = [str(n) for n in a.dtype.names or ()]
    if enc.option("sort_keys"):
        names = sorted(names)
    columns = [tok.as_list(encoded_tokens(a[name], enc)) for name in names]
    rows = tok.object_rows(tok.keys_of(names), columns, len(a))
    return Raw(b"[" + rows[1:] + b"]", trusted=True)


@builtin(np.ma.MaskedArray)
@provides(lambda a: ArraySource(a) if a.ndim else None)
def encode_masked(a: np.ma.MaskedArray[Any, Any], enc: Encoder) -> Any:
    """Masked elements become ``null``; the rest encode as in a plain array."""
    mask = np.ma.getmaskarray(a)
    data = np.asarray(a.data)
    if not mask.any() or data.ndim == 0:
        return None if mask.all() and data.ndim == 0 else encode_array(data, enc)
    if data.dtype.kind in "biuf":
        return numeric(data, enc, null=mask)
    values = _masked(data, mask, enc)
    return values if data.dtype.kind == "O" else final(values)


def _masked(data: NDArray[Any], mask: NDArray[np.bool_], enc: Encoder) -> Any:
    """The JSON-ready values of ``data``, ``None`` where ``mask`` is set."""
    values = json_ready(data, enc).copy()
    values[mask] = None
    return values.tolist()


def element_tokens(a: NDArray[Any], enc: Encoder) -> tok.Tokens:
    """The JSON text of each element of a 1-D array, masked or not, as ``dumpb`` writes
    the element."""
    if not isinstance(a, np.ma.MaskedArray):
        return encoded_tokens(a, enc)
    mask = np.ma.getmaskarray(a)
    data = np.asarray(a.data)
    if data.dtype.kind in "biuf":
        return encoded_tokens(data, enc, null=mask)
    return encoded_tokens(_masked(data, mask, enc), enc, scalars=data.dtype.kind != "O")


_ARROW_KINDS = "biufMmUSO"


class ArraySource(Source):
    """An array (masked or not, one dimension or more) as a :class:`~._source.Source`: a
    list of its rows whatever the orient, cut along its leading axis."""

    kind: Kind = "array"
    labelled = True

    def __init__(self, a: NDArray[Any]) -> None:
        self.a = a
        self.rows = len(a)
        self.cells = int(a.size)
        self.compact = a.dtype.kind in "biuf"  # others are nested lists, which indent
        self.row_bytes = max(1, int(a[:1].size)) * _BYTES_PER_ELEMENT.get(a.dtype.kind, 24)

    def prepared(self, enc: Encoder) -> ArraySource:
        a = self.a
        enc.encode(a[:1])  # a dtype with no JSON form raises before the first byte
        if a.dtype.kind == "f" and enc.option("nan") == "error" and not np.isfinite(a).all():
            enc.encode(a)  # raises NonFiniteError naming the element, before any byte
        return self

    def part(self, i: int, j: int) -> NDArray[Any]:
        return self.a[i:j]

    def lines(self, i: int, j: int, enc: Encoder) -> bytes:
        """One element (1-D) or one row (more dimensions) a line."""
        part = self.a[i:j]
        if part.ndim == 1:
            return tok.json_lines(element_tokens(part, enc))
        if part.ndim == 2 and part.dtype.kind in "biuf":  # numbers and null hold no brackets
            return enc.encode(part)[1:-1].replace(b"],[", b"]\n[") + b"\n"
        return b"".join(enc.encode(row) + b"\n" for row in part)

    def arrow(self, rows: int) -> tuple[Any, Any]:
        """One column ``values`` (1-D), or one per array column, named ``"0"``, ``"1"``..."""
        import pyarrow as pa

        a = self.a
        if a.ndim not in (1, 2) or a.dtype.kind not in _ARROW_KINDS:
            raise NoArrowForm(f"Arrow has no form for a {a.ndim}-D {a.dtype} array")
        columns = {"values": a} if a.ndim == 1 else {str(j): a[:, j] for j in range(a.shape[1])}
        try:
            table = pa.table({name: _arrow_array(c) for name, c in columns.items()})
        except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
            raise NoArrowForm(f"Arrow cannot hold this array: {exc}") from exc
        return iter(table.to_batches(max_chunksize=rows)), table.schema


_BYTES_PER_ELEMENT = {"b": 5, "i": 8, "u": 8, "f": 20, "M": 30, "m": 12}
"""A rough size of one element's JSON text, to size slices near the chunk size."""


def _arrow_array(column: NDArray[Any]) -> Any:
    import pyarrow as pa

    if isinstance(column, np.ma.MaskedArray):
        return pa.array(np.asarray(column.data), mask=np.ma.getmaskarray(column))
    return pa.array(column)


# -- scalars -------------------------------------------------------------------


@builtin(np.bool_, reentrant=False)
def _bool(o: np.bool_, enc: Encoder) -> bool:
    return bool(o)


@builtin(np.integer, reentrant=False)
def _integer(o: np.integer[Any], enc: Encoder) -> int:
    return int(o)


@builtin(np.floating, reentrant=False)
def _floating(o: np.floating[Any], enc: Encoder) -> Any:
    if not np.isfinite(o) or o.dtype == np.float64:
        return float(o)
    if o.dtype.itemsize > 8:
        raise EncodeError(f"numpy {o.dtype} has no lossless JSON form; convert to float64")
    if enc.fragments and o.dtype.itemsize == 4:
        return Raw(orjson.dumps(o, option=_NUMPY), trusted=True)
    return float(str(o))  # the shortest repr of float16 (and of float32 for other backends)


@builtin(np.complexfloating)
def _complex(o: np.complexfloating[Any, Any], enc: Encoder) -> Any:
    raise EncodeError(_COMPLEX)


@builtin(np.datetime64, reentrant=False)
def _datetime64(o: np.datetime64, enc: Encoder) -> str | None:
    strings = datetime_strings(np.asarray(o).reshape(1), enc.option("datetime_format"))
    result: str | None = strings[0]
    return result


@builtin(np.timedelta64, reentrant=False)
def _timedelta64(o: np.timedelta64, enc: Encoder) -> float | None:
    return None if np.isnat(o) else float(timedelta_seconds(np.asarray(o)))


@builtin(np.bytes_, reentrant=False)
def _bytes(o: np.bytes_, enc: Encoder) -> str:
    return str(json_ready(np.asarray(o).reshape(1), enc)[0])


@builtin(np.void)
def _void(o: np.void, enc: Encoder) -> Any:
    if not o.dtype.names:
        raise EncodeError(f"numpy {o.dtype} (raw bytes) is not supported")
    return {str(name): o[name] for name in o.dtype.names}
