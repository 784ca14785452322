"""Built-in encoders for standard-library types orjson does not take as they are.

Types orjson encodes natively (str, int, float, bool, None, dict, list,
tuple, datetime/date/time in ISO form, UUID, dataclasses, Enum) never reach
the registry; the encoders here cover the rest and the cases where options
change the output (``datetime_format="http"``, the json/ujson backends).
``Decimal`` lives in :mod:`fastjson.encoders._decimal`, loaded like numpy's.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from .._types import TYPE_CHECKING, EncodeError, Raw
from ..registry import builtin

if TYPE_CHECKING:
    from typing import Any

    from ..core import Context


@builtin(Raw)
def _raw(o: Raw, ctx: Context) -> Any:
    if ctx.fragments:
        return o.fragment
    import json

    return json.loads(o.data)


@builtin(dt.date)
def _date(o: dt.date, ctx: Context) -> str:
    """ISO 8601 by default; RFC 822 (what Flask writes) with ``datetime_format="http"``."""
    if ctx.options.datetime_format == "http":
        from werkzeug.http import http_date

        return http_date(o)
    return o.isoformat()


@builtin(dt.time)
def _time(o: dt.time, ctx: Context) -> str:
    return o.isoformat()


@builtin(dt.timedelta)
def _timedelta(o: dt.timedelta, ctx: Context) -> float:
    """Durations are seconds, as a number."""
    return o.total_seconds()


@builtin(uuid.UUID)
def _uuid(o: uuid.UUID, ctx: Context) -> str:
    return str(o)


@builtin(enum.Enum)
def _enum(o: enum.Enum, ctx: Context) -> Any:
    """Enums: their value, as orjson writes them."""
    return o.value


def is_dataclass_type(cls: type) -> bool:
    """``dataclasses.is_dataclass`` for a class, without importing :mod:`dataclasses`."""
    return hasattr(cls, "__dataclass_fields__")


def dataclass_fields(o: Any) -> dict[str, Any]:
    """The fields of a dataclass instance as orjson writes them: ``_private`` ones skipped."""
    import dataclasses

    return {f.name: getattr(o, f.name) for f in dataclasses.fields(o) if f.name[0] != "_"}


@builtin(is_dataclass_type)
def _dataclass(o: Any, ctx: Context) -> dict[str, Any]:
    """Dataclasses (reached with the json backend; orjson writes them natively)."""
    return dataclass_fields(o)


@builtin(tuple)
def _tuple(o: tuple[Any, ...], ctx: Context) -> list[Any]:
    """Tuple subclasses such as named tuples: a list, as ``json`` writes them."""
    return list(o)


@builtin(float)
def _float(o: float, ctx: Context) -> float:
    """Float subclasses: their value as a plain float."""
    return float.__float__(o)


@builtin(set)
@builtin(frozenset)
def _set(o: set[Any] | frozenset[Any], ctx: Context) -> list[Any]:
    """Sets: a list, in iteration order."""
    return list(o)


@builtin(complex)
def _complex(o: complex, ctx: Context) -> Any:
    raise EncodeError("complex numbers have no JSON form; encode .real and .imag instead")


@builtin(lambda cls: hasattr(cls, "__html__"), priority=-1)
def _html(o: Any, ctx: Context) -> str:
    """Objects with ``__html__`` (markupsafe.Markup...): their HTML, as Flask does."""
    return str(o.__html__())
