"""The one rule for writing a moment as text, for scalars (arrays follow it in numpy).

**The written text always denotes the value's exact instant.** ISO 8601 as
RFC 3339 allows it:

- naive values are written as they are (never shifted to the server's zone);
- an aware value whose UTC offset is a whole number of minutes is written in
  its own wall time with that offset (``2024-07-01T00:00:00+02:00``);
- any other aware value (local mean time before about 1900, such as
  Amsterdam's ``+00:19:32``, or an odd ``timezone(timedelta(seconds=30))``)
  has no RFC 3339 offset, so it is written as the same instant in UTC with
  ``+00:00`` (``1900-01-01T11:40:28+00:00`` for noon in Amsterdam).

Fractions: none for whole seconds, else six digits (nine when the value has
nanoseconds, as pandas and numpy hold them). Years numpy holds beyond 0-9999
take ISO 8601's expanded form, a sign and six digits (``+010000-01-01``), as
JavaScript's ``Date`` parses them. The vectorised writer
(:func:`fastjson.encoders._datetimes.zoned_strings`) applies the same rule and
:func:`offset_label` to the columns of every library (pandas' and polars' each
with their own time-zone data, as wall time and UTC); the differential tests
hold them to :mod:`datetime` and :mod:`zoneinfo`.

This module imports nothing but the standard library: ``import fastjson`` uses it.
"""

from __future__ import annotations

import datetime as dt

__all__ = ("iso", "iso_datetime", "iso_time", "offset_label", "whole_minutes")

_UTC_LABEL = "+00:00"


def whole_minutes(offset: dt.timedelta) -> bool:
    """Whether an offset can be written as RFC 3339 ``±HH:MM`` (less than a day too)."""
    return not (offset.seconds % 60 or offset.microseconds) and abs(offset) < dt.timedelta(days=1)


def offset_label(minutes: int) -> str:
    """``+HH:MM`` for an offset of whole minutes (less than a day in either direction)."""
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def iso_datetime(o: dt.datetime) -> str:
    """A ``datetime`` by the rule above; subclasses are written as their base class."""
    if type(o) is not dt.datetime:
        o = dt.datetime(*o.timetuple()[:6], o.microsecond, o.tzinfo, fold=o.fold)
    zone = o.tzinfo
    offset = None if zone is None else zone.utcoffset(o)
    if offset is None:
        return o.replace(tzinfo=None).isoformat() if zone is not None else o.isoformat()
    wall = o.replace(tzinfo=None)
    if whole_minutes(offset):
        return wall.isoformat() + offset_label(offset.days * 1440 + offset.seconds // 60)
    try:
        return (wall - offset).isoformat() + _UTC_LABEL
    except OverflowError:
        from ._errors import EncodeValueError

        raise EncodeValueError(
            f"{o!r} has an offset of no whole minutes and its UTC time is outside years 1-9999"
        ) from None


def iso_time(o: dt.time) -> str:
    """A ``time`` by the rule above: ``HH:MM:SS[.ffffff]``, with its offset if it has one
    (a time's offset can only be fixed, so the UTC form is the time shifted by it)."""
    plain = dt.time(o.hour, o.minute, o.second, o.microsecond)
    offset = o.utcoffset()
    if offset is None:
        return plain.isoformat()
    if whole_minutes(offset):
        return plain.isoformat() + offset_label(offset.days * 1440 + offset.seconds // 60)
    day = dt.datetime(2000, 1, 2, plain.hour, plain.minute, plain.second, plain.microsecond)
    return (day - offset).time().isoformat() + _UTC_LABEL


def iso(o: dt.date | dt.time) -> str:
    """Any ``date``, ``datetime`` or ``time`` (or subclass) by the rule above."""
    if isinstance(o, dt.datetime):
        return iso_datetime(o)
    if isinstance(o, dt.date):
        return dt.date(o.year, o.month, o.day).isoformat()
    return iso_time(o)
