"""numpy arrays and scalars, encoded whole.

Imported lazily by the registry the first time a numpy object is seen.
Every array is first brought to native byte order and C order (one copy at
most, :func:`native`). Numeric arrays then go to orjson's native numpy
encoder; datetime64 arrays are formatted with vectorised integer and string
operations; nothing here loops over elements in Python, except object
arrays, whose elements are arbitrary objects by definition.

The column helpers (:func:`tokens`, :func:`compact`) are shared with the
pandas and polars encoders, which import this module, never the reverse.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from .._dates import offset_label
from .._errors import EncodeError, EncodeValueError, NonFiniteError
from .._values import NONFINITE_TOKENS, SAFE_INTEGER, Raw, final
from ..registry import builtin
from . import _tokens as tok
from ._source import Kind, NoArrowForm, provides

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ..core import Encoder

_NUMPY = orjson.OPT_SERIALIZE_NUMPY
_NAN_TOKENS = {k: orjson.dumps(v) for k, v in NONFINITE_TOKENS.items()}
_DATE_UNITS = ("Y", "M", "W", "D")
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
"""Ticks per second of the sub-minute units formatted here."""
_PER_DAY = {"h": 24, "m": 1440, "s": 86400, "ms": 86400 * 10**3, "us": 86400 * 10**6}
_PER_DAY["ns"] = 86400 * 10**9
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
    if kind == "O":
        return a.tolist()
    if kind == "V" and a.dtype.names:
        return structured(a, enc)
    if kind == "U":  # a list the walk may enter: it escapes lone surrogates as in any str
        return a.tolist()
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
        return final(values.tolist())
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


def beyond_safe(low: Any, high: Any) -> bool:
    """Whether an integer column from ``low`` to ``high`` holds a value that
    ``big_int="string"`` quotes (not integers: the column holds no value)."""
    if not isinstance(low, int | np.integer) or not isinstance(high, int | np.integer):
        return False
    return bool(high > SAFE_INTEGER or low < -SAFE_INTEGER)


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


# -- dates ---------------------------------------------------------------------


def datetime_strings(a: NDArray[Any], datetime_format: str = "iso") -> NDArray[Any]:
    """Strings for a datetime64 array (object array, ``None`` for NaT).

    ``"iso"``: as ``Timestamp.isoformat`` writes them. Whole seconds carry no
    fraction, sub-second values 6 digits, or 9 when there are nanoseconds;
    date units (Y, M, W, D) give dates. ``"http"``: RFC 822 in GMT, as Flask
    (Werkzeug's ``http_date``) writes dates.
    """
    a = native(a)
    unit, count = np.datetime_data(a.dtype)
    if count != 1:
        a = a.astype(f"M8[{unit}]")
    nat = np.isnat(a)
    if datetime_format == "http":
        text = http_strings(a)
    elif unit in _DATE_UNITS:
        day_unit: Any = "D" if unit == "W" else unit
        text = np.datetime_as_string(a, unit=day_unit)
    elif unit in ("h", "m"):  # whole minutes: numpy's own form, which cannot overflow
        text = np.datetime_as_string(a, unit="s")
    elif unit in _PER_SECOND:
        text = _iso_seconds(a, unit, nat)
    else:  # ps, fs, as: numpy's own form keeps every digit
        text = np.datetime_as_string(a)
    out = text.astype(object)
    out[nat] = None
    return out


def zoned_strings(utc: NDArray[Any], wall: NDArray[Any], datetime_format: str) -> NDArray[Any]:
    """Strings for moments with a time zone, given as their UTC and wall-clock datetime64
    (one unit, ``s`` to ``ns``): the rule of :mod:`fastjson._dates`, vectorised. Wall
    time and offset where the offset is whole minutes, else UTC and ``+00:00``;
    ``"http"``: RFC 822 in GMT. An object array, ``None`` for NaT."""
    if datetime_format == "http":
        return datetime_strings(utc, "http")
    unit, _ = np.datetime_data(utc.dtype)
    per_minute = 60 * _PER_SECOND[unit]
    nat = np.isnat(utc)
    delta = wall.view(np.int64) - utc.view(np.int64)
    delta[nat] = 0
    whole = (delta % per_minute == 0) & (np.abs(delta) < 1440 * per_minute)
    strings = datetime_strings(np.where(whole, wall, utc))
    minutes, inverse = np.unique(np.where(whole, delta // per_minute, 0), return_inverse=True)
    labels = np.array([offset_label(int(m)) for m in minutes], dtype=object)
    present = ~nat
    strings[present] += labels[inverse.reshape(-1)][present]
    return strings


def _seconds(a: NDArray[Any], unit: str) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Whole seconds (floored, so times before 1970 stay right) and the remainder in ns,
    for units of a second or finer.

    Integer arithmetic on the ticks: casting near the ends of the ``ns`` range
    to ``M8[s]`` overflows (``Timestamp.min`` became a date in 2262).
    """
    ticks = a.view(np.int64)
    per = _PER_SECOND[unit]
    seconds, rest = np.divmod(ticks, per)
    return seconds, rest * (10**9 // per)


def _iso_seconds(a: NDArray[Any], unit: str, nat: NDArray[np.bool_]) -> NDArray[Any]:
    matrix = iso_matrix(a, unit, nat)
    if matrix is not None:
        width = matrix.shape[1]
        return matrix.view(f"S{width}").reshape(a.shape).astype(f"U{width}")
    seconds, ns = _seconds(a, unit)
    seconds[nat] = 0
    moments = seconds.view(np.dtype("M8[s]"))
    text: NDArray[Any] = np.datetime_as_string(moments, unit="s")
    ns[nat] = 0
    if ns.any():
        text = np.strings.add(text, _fractions(ns))
    return text


_ISO_TEMPLATE = np.frombuffer(b"0000-00-00T00:00:00", dtype=np.uint8)
_PAIRS = np.frombuffer("".join(f"{i:02d}" for i in range(100)).encode(), np.uint8).reshape(100, 2)
"""The two ASCII digits of 0-99, looked up rather than computed digit by digit."""
_NULL = np.frombuffer(b"null", dtype=np.uint8)


def iso_matrix(
    a: NDArray[Any], unit: str, nat: NDArray[np.bool_], *, quoted: bool = False
) -> NDArray[np.uint8] | None:
    """ISO 8601 text of datetime64 values in units ``s`` to ``ns``, as ``Timestamp.isoformat``
    writes it (no fraction, 6 or 9 digits), one row of bytes per value, NUL-padded on the right.

    Built from integer fields like :func:`http_strings` (numpy's own ``datetime_as_string``
    is several times slower). ``quoted``: each row is a JSON string token, NaT rows
    ``null``; otherwise NaT rows are left for the caller. ``None`` when a year falls
    outside 1-9999, which numpy's formatting writes its own way.
    """
    seconds, ns = _seconds(a.ravel(), unit)
    nat = nat.ravel()
    if nat.any():
        seconds = np.where(nat, 0, seconds)
        ns = np.where(nat, 0, ns)
    days, clock = np.divmod(seconds, 86400)
    dates = _iso_dates(days)
    if dates is None:
        return None
    q = 1 if quoted else 0
    fraction = bool(ns.any())
    width = 19 + (10 if fraction else 0) + 2 * q
    out = np.zeros((len(days), width), dtype=np.uint8)
    out[:, q : q + 10] = dates
    out[:, q + 10] = ord("T")
    out[:, q + 11 : q + 19] = _clock_table().take(clock, axis=0)
    length = np.zeros(len(days), dtype=np.intp)
    if fraction:
        part = out[:, q + 19 : q + 29]
        part[:, 0] = ord(".")
        part[:, 1] = ns // 10**8 + ord("0")
        for k in range(4):  # the other eight digits, two at a time
            part[:, 2 + 2 * k : 4 + 2 * k] = _PAIRS.take(ns // 10 ** (6 - 2 * k) % 100, axis=0)
        length = np.where(ns == 0, 0, np.where(ns % 1000 == 0, 7, 10))
        part[np.arange(10) >= length[:, None]] = 0
    if quoted:
        out[:, 0] = ord('"')
        out[np.arange(len(days)), 20 + length] = ord('"')
        if nat.any():
            out[nat] = 0
            out[nat, :4] = _NULL
    return out


def _iso_dates(days: NDArray[np.int64]) -> NDArray[np.uint8] | None:
    """``YYYY-MM-DD`` per day since 1970 as a (n, 10) byte matrix; ``None`` beyond years 1-9999.

    Frames hold few distinct days for many values (a day of seconds...): the
    dates of the span covered are formatted once and looked up, unless the span
    is much wider than the values are many.
    """
    if not len(days):
        return np.empty((0, 10), dtype=np.uint8)
    first, last = int(days.min()), int(days.max())
    lookup = last - first < 4 * len(days) + 1024
    span = np.arange(first, last + 1) if lookup else days
    year, month, day = _civil(span)
    if int(year.min()) < 1 or int(year.max()) > 9999:
        return None
    text = np.empty((len(span), 10), dtype=np.uint8)
    text[:] = _ISO_TEMPLATE[:10]
    text[:, 0:2] = _PAIRS.take(year // 100, axis=0)
    text[:, 2:4] = _PAIRS.take(year % 100, axis=0)
    text[:, 5:7] = _PAIRS.take(month, axis=0)
    text[:, 8:10] = _PAIRS.take(day, axis=0)
    return text.take(days - first, axis=0) if lookup else text


@functools.cache
def _clock_table() -> NDArray[np.uint8]:
    """``HH:MM:SS`` for every second of a day (86400 x 8 bytes, built once)."""
    seconds = np.arange(86400)
    table = np.empty((86400, 8), dtype=np.uint8)
    table[:] = _ISO_TEMPLATE[11:]
    table[:, 0:2] = _PAIRS.take(seconds // 3600, axis=0)
    table[:, 3:5] = _PAIRS.take(seconds // 60 % 60, axis=0)
    table[:, 6:8] = _PAIRS.take(seconds % 60, axis=0)
    return table


def datetime_tokens(a: NDArray[Any], enc: Encoder) -> tok.Padded | None:
    """JSON tokens of a datetime64 array (``"2024-01-01T00:00:00"``, ``null`` for NaT),
    without a Python object per value; ``None`` where :func:`iso_matrix` does not apply."""
    a = native(a)
    unit, count = np.datetime_data(a.dtype)
    if enc.option("datetime_format") != "iso" or count != 1 or unit not in _PER_SECOND:
        return None
    matrix = iso_matrix(a, unit, np.isnat(a), quoted=True)
    if matrix is None:
        return None
    return tok.Padded(matrix)


def _fractions(ns: NDArray[np.int64]) -> NDArray[Any]:
    """``""``, ``".ffffff"`` or ``".fffffffff"`` per element, from sub-second nanoseconds."""
    micro = ns % 1000 == 0
    digits = np.where(micro, ns // 1000, ns).astype(str)
    digits = np.where(micro, np.strings.zfill(digits, 6), np.strings.zfill(digits, 9))
    return np.where(ns == 0, "", np.strings.add(".", digits))


_WEEKDAYS = np.frombuffer(b"MonTueWedThuFriSatSun", dtype=np.uint8).reshape(7, 3)
_MONTHS = np.frombuffer(b"JanFebMarAprMayJunJulAugSepOctNovDec", dtype=np.uint8).reshape(12, 3)
_HTTP_TEMPLATE = np.frombuffer(b"Thu, 01 Jan 1970 00:00:00 GMT", dtype=np.uint8)


def http_strings(a: NDArray[Any]) -> NDArray[Any]:
    """RFC 822 dates (``Fri, 01 Mar 2024 12:30:00 GMT``) for a datetime64 array, vectorised.

    Built as a byte matrix from integer fields (a civil-from-days
    conversion), so there is no per-element Python call. NaT rows are left
    for the caller to replace.
    """
    unit, _ = np.datetime_data(a.dtype)
    nat = np.isnat(a)
    if unit in _DATE_UNITS:
        a = a.astype("M8[D]")
        unit = "D"
    elif unit not in _PER_DAY:  # ps, fs, as: a few hours around 1970 at most
        a = a.astype("M8[ns]")
        unit = "ns"
    ticks = np.where(nat, 0, a.view(np.int64)).ravel()
    if unit == "D":
        days, clock = ticks, np.zeros_like(ticks)
    else:  # split into days first: ticks times seconds-per-tick could overflow
        days, rest = np.divmod(ticks, _PER_DAY[unit])
        clock = rest * 86400 // _PER_DAY[unit]
    year, month, day = _civil(days)
    if ((year < 1) | (year > 9999)).any():
        raise EncodeValueError("a datetime64 outside the years 1-9999 has no HTTP date form")
    out = np.broadcast_to(_HTTP_TEMPLATE, (len(days), 29)).copy()
    out[:, 0:3] = _WEEKDAYS[(days + 3) % 7]
    out[:, 5:7] = _digits(day, 2)
    out[:, 8:11] = _MONTHS[month - 1]
    out[:, 12:16] = _digits(year, 4)
    out[:, 17:19] = _digits(clock // 3600, 2)
    out[:, 20:22] = _digits(clock // 60 % 60, 2)
    out[:, 23:25] = _digits(clock % 60, 2)
    return out.view("S29").reshape(a.shape).astype("U29")


def _digits(values: NDArray[np.int64], width: int) -> NDArray[np.uint8]:
    """ASCII digits of non-negative integers, zero-padded, as a (n, width) byte matrix."""
    powers = 10 ** np.arange(width - 1, -1, -1)
    return (values[:, None] // powers % 10 + ord("0")).astype(np.uint8)


def _civil(days: NDArray[np.int64]) -> tuple[NDArray[np.int64], ...]:
    """Year, month, day from days since 1970-01-01 (proleptic Gregorian, H. Hinnant's method)."""
    z = days + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


_TICK_SECONDS = {"W": 604800, "D": 86400, "h": 3600, "m": 60}


def timedelta_seconds(a: NDArray[Any]) -> NDArray[np.float64]:
    """Seconds as float64 (NaN for NaT): the documented JSON form of a duration.

    Coarse units whose count of seconds would overflow int64 are multiplied
    as floats; numpy's own division would wrap around silently.
    """
    a = native(a)
    unit, count = np.datetime_data(a.dtype)
    if unit in ("Y", "M"):
        raise EncodeError(
            f"numpy timedelta64[{unit}] has no fixed length in seconds; convert it to days first"
        )
    scale = _TICK_SECONDS.get(unit)
    if scale is None:
        result: NDArray[np.float64] = a / np.timedelta64(1, "s")
        return result
    ticks = a.view(np.int64)
    scale *= count
    exact = np.abs(ticks) < (2**63 - 1) // scale
    with np.errstate(over="ignore"):
        seconds = np.where(exact, ticks * scale, 0).astype(np.float64)
    seconds = np.where(exact, seconds, ticks.astype(np.float64) * scale)
    seconds[np.isnat(a)] = np.nan
    return seconds


# -- columns -------------------------------------------------------------------


_BOOLEANS = [b"false", b"true"]
"""Tokens of a boolean column, looked up (:class:`~._columns.Lookup`)."""


def tokens(values: Any, enc: Encoder, *, scalars: bool = False) -> list[bytes]:
    """The JSON text of every element of a 1-D column (numpy array or list).

    ``scalars=True`` promises the elements are str/int/bool/None only, so the
    whole list is encoded in one call; numpy numeric arrays are always
    encoded whole; anything else is encoded element by element, and an error
    names the element's position (``$[3]``).
    """
    return tok.as_list(encoded_tokens(values, enc, scalars=scalars))


def encoded_tokens(values: Any, enc: Encoder, *, scalars: bool = False) -> tok.Tokens:
    """:func:`tokens` as whichever form the encoding gives: a list, or one joined text."""
    if len(values) == 0:
        return []
    tenc = compact(enc)
    kind = getattr(getattr(values, "dtype", None), "kind", "O")
    if kind == "b":  # any non-zero byte is true, as numpy reads it
        return tok.Lookup(_BOOLEANS, np.minimum(np.asarray(values).view(np.uint8), 1))
    if kind in "iuf":
        encoded = numeric(values, tenc)
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
    columns = [tokens(a[name], enc) for name in names]
    return Raw(tok.records_from_columns(names, columns, len(a)), trusted=True)


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
    values = json_ready(data, enc).copy()
    values[mask] = None
    return values.tolist() if data.dtype.kind == "O" else final(values.tolist())


def masked_tokens(values: NDArray[Any], null: NDArray[np.bool_], enc: Encoder) -> tok.Tokens:
    """Tokens of numbers where ``null`` marks the missing ones (``null``)."""
    if len(values) == 0:
        return []
    encoded = numeric(values, compact(enc), null=null if null.any() else None)
    if isinstance(encoded, Raw):
        return tok.Joined(encoded.data[1:-1], b",")  # numbers and null hold no comma
    return encoded_tokens(encoded.items, enc, scalars=True)


def element_tokens(a: NDArray[Any], enc: Encoder) -> tok.Tokens:
    """The JSON text of each element of a 1-D array, masked or not, as ``dumpb`` writes
    the element."""
    if not isinstance(a, np.ma.MaskedArray):
        return encoded_tokens(a, enc)
    mask = np.ma.getmaskarray(a)
    data = np.asarray(a.data)
    if data.dtype.kind in "biuf":
        return masked_tokens(data, mask, enc)
    values = json_ready(data, enc).copy()
    values[mask] = None
    return encoded_tokens(values.tolist(), enc, scalars=data.dtype.kind != "O")


_ARROW_KINDS = "biufMmUSO"


class ArraySource:
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

    def index(self, i: int, j: int) -> NDArray[Any]:
        return np.arange(i, j)

    def header(self) -> None:
        return None

    def width(self) -> int:
        return 1 if self.a.ndim == 1 else int(self.a.shape[1])

    def column_key(self, k: int) -> bytes:
        return orjson.dumps(str(k))

    def column(self, k: int, i: int, j: int) -> NDArray[Any]:
        return self.a[i:j]

    def lines(self, i: int, j: int, enc: Encoder) -> bytes:
        """One element (1-D) or one row (more dimensions) a line."""
        part = self.a[i:j]
        if part.ndim == 1:
            return b"".join(t + b"\n" for t in tok.as_list(element_tokens(part, enc)))
        if part.dtype.kind in "biuf":  # numbers and null hold no brackets
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
    result: str = json_ready(np.asarray(o).reshape(1), enc)[0]
    return result


@builtin(np.void)
def _void(o: np.void, enc: Encoder) -> Any:
    if not o.dtype.names:
        raise EncodeError(f"numpy {o.dtype} (raw bytes) is not supported")
    return {str(name): o[name] for name in o.dtype.names}
