"""datetime64 and timedelta64 arrays as JSON text, vectorised: no Python call per value.

ISO 8601 as ``Timestamp.isoformat`` writes it (no fraction for whole seconds,
else 6 digits, or 9 with nanoseconds; dates for date units), built as byte
matrices from integer fields (faster than numpy's own ``datetime_as_string``);
moments with a time zone by the rule of :mod:`fastjson._dates`;
RFC 822 dates for ``datetime_format="http"``; durations as float seconds.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from .._dates import offset_label
from .._errors import EncodeError, EncodeValueError
from . import _tokens as tok

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ..core import Encoder


def _native(a: NDArray[Any]) -> NDArray[Any]:
    """``a`` in native byte order (big-endian datetimes format as garbage otherwise)."""
    return a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))


_DATE_UNITS = ("Y", "M", "W", "D")
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
"""Ticks per second of the sub-minute units formatted here."""
_PER_DAY = {unit: 86400 * per for unit, per in _PER_SECOND.items()} | {"h": 24, "m": 1440}


def datetime_strings(a: NDArray[Any], datetime_format: str = "iso") -> NDArray[Any]:
    """Strings for a datetime64 array (object array, ``None`` for NaT), in ISO 8601 or, with
    ``"http"``, RFC 822 in GMT as Flask (Werkzeug's ``http_date``) writes dates."""
    a = _native(a)
    unit, count = np.datetime_data(a.dtype)
    if count != 1:
        a = a.astype(f"M8[{unit}]")
    nat = np.isnat(a)
    if datetime_format == "http":
        text = http_strings(a)
    elif unit in _DATE_UNITS:
        day_unit: Any = "D" if unit == "W" else unit
        text = expanded_years(np.datetime_as_string(a, unit=day_unit))
    elif unit in ("h", "m"):  # whole minutes: numpy's own form, which cannot overflow
        text = expanded_years(np.datetime_as_string(a, unit="s"))
    elif unit in _PER_SECOND:
        text = _iso_seconds(a, unit, nat)
    elif unit in ("ps", "fs", "as"):
        text = _finer_than_ns(a, unit, nat)
    else:  # "generic": NaT alone
        text = np.datetime_as_string(a)
    out = text.astype(object)
    out[nat] = None
    return out


def expanded_years(text: NDArray[Any]) -> NDArray[Any]:
    """numpy's ISO text with the years before 0 and after 9999 in ISO 8601's expanded
    form, a sign and six digits or more, as JavaScript's ``Date`` reads them
    (``+010000-01-01``, ``-000005-01-01``, where numpy writes ``10000`` and ``-005``)."""
    year_end = np.strings.find(text, "-", 1)
    year_end = np.where(year_end < 0, np.strings.str_len(text), year_end)  # a year alone
    negative = np.strings.startswith(text, "-")
    odd = negative | (year_end > 4)
    if not odd.any():
        return text
    negative, year_end = negative[odd], year_end[odd]
    digits = np.strings.slice(text[odd], negative.astype(np.int64), year_end)
    year = np.strings.add(np.where(negative, "-", "+"), np.strings.zfill(digits, 6))
    fixed = np.strings.add(year, np.strings.slice(text[odd], year_end, None))
    out = text.astype(max(text.dtype, fixed.dtype, key=lambda d: d.itemsize))
    out[odd] = fixed
    return out


def at_the_ends(utc: NDArray[Any]) -> NDArray[np.bool_]:
    """Moments within a day of the ends of their unit's range, whose wall time may fall
    outside it (polars wraps it around, pandas raises): written in UTC."""
    unit, _ = np.datetime_data(utc.dtype)
    day = 86400 * _PER_SECOND[unit]
    ticks = utc.view(np.int64)
    edge: NDArray[np.bool_] = (ticks > _INT64_MAX - day) | (ticks < -_INT64_MAX + day)
    edge &= ~np.isnat(utc)
    return edge


_INT64_MAX = np.iinfo(np.int64).max


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
    with np.errstate(over="ignore"):
        delta = wall.view(np.int64) - utc.view(np.int64)
    delta[nat] = 0
    whole = (delta % per_minute == 0) & (np.abs(delta) < 1440 * per_minute) & ~at_the_ends(utc)
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
    text: NDArray[Any] = expanded_years(np.datetime_as_string(moments, unit="s"))
    ns[nat] = 0
    if ns.any():
        text = np.strings.add(text, _fractions(ns))
    return text


def _finer_than_ns(a: NDArray[Any], unit: str, nat: NDArray[np.bool_]) -> NDArray[Any]:
    """``ps``, ``fs`` and ``as``, which hold only the days around 1970 (inside the ``ns``
    range): a whole number of nanoseconds by the fractions rule of every unit, the rest
    with every digit of the unit, as numpy writes them."""
    per_ns = {"ps": 10**3, "fs": 10**6, "as": 10**9}[unit]
    ticks = a.view(np.int64)
    whole = (ticks % per_ns == 0) | nat
    nanoseconds = np.where(whole, ticks // per_ns, 0).view("M8[ns]")
    return np.where(whole, _iso_seconds(nanoseconds, "ns", nat), np.datetime_as_string(a))


_ISO_TEMPLATE = np.frombuffer(b"0000-00-00T00:00:00", dtype=np.uint8)


_PAIRS = np.frombuffer("".join(f"{i:02d}" for i in range(100)).encode(), np.uint8).reshape(100, 2)
"""The two ASCII digits of 0-99, looked up rather than computed digit by digit."""


_NULL = np.frombuffer(b"null", dtype=np.uint8)


def iso_matrix(
    a: NDArray[Any], unit: str, nat: NDArray[np.bool_], *, quoted: bool = False
) -> NDArray[np.uint8] | None:
    """ISO 8601 text of datetime64 values in units ``s`` to ``ns``, one row of bytes per
    value, NUL-padded on the right. ``quoted``: each row is a JSON string token, NaT rows
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
    a = _native(a)
    unit, count = np.datetime_data(a.dtype)
    if enc.option("datetime_format") != "iso" or count != 1 or unit not in _PER_SECOND:
        return None
    matrix = iso_matrix(a, unit, np.isnat(a), quoted=True)
    return None if matrix is None else tok.Padded(matrix)


def time_tokens(a: NDArray[Any]) -> tok.Padded:
    """JSON tokens of times of day, given as ``timedelta64`` since midnight: the clock and
    fraction that a datetime at that time is written with, ``null`` for NaT."""
    nat = np.isnat(a)
    matrix = iso_matrix(a.astype("m8[ns]").view("M8[ns]"), "ns", nat, quoted=True)
    assert matrix is not None  # every row is a day of 1970
    clock = np.delete(matrix, np.s_[1:12], axis=1)  # the quote kept, the date dropped
    clock[nat] = 0
    clock[nat, :4] = _NULL
    return tok.Padded(clock)


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
    """RFC 822 dates (``Fri, 01 Mar 2024 12:30:00 GMT``) for a datetime64 array, as a byte
    matrix from integer fields (:func:`_civil`); NaT rows are left for the caller."""
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
    out[:, 5:7] = _PAIRS.take(day, axis=0)
    out[:, 8:11] = _MONTHS[month - 1]
    out[:, 12:14] = _PAIRS.take(year // 100, axis=0)
    out[:, 14:16] = _PAIRS.take(year % 100, axis=0)
    out[:, 17:25] = _clock_table().take(clock, axis=0)
    return out.view("S29").reshape(a.shape).astype("U29")


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
    a = _native(a)
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
