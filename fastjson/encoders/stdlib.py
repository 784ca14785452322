"""Built-in encoders for standard-library types: the default form of everything not native.

By the one rule (:mod:`fastjson._values`), only the exact types ``str``,
``int``, ``float``, ``bool``, ``None``, ``dict``, ``list`` and ``tuple`` are
written without the registry. Everything else, including what orjson could
write itself (subclasses, datetimes, UUIDs, enums, dataclasses), is encoded
here, so that an encoder you register for any of them applies everywhere.
``Decimal`` lives in :mod:`fastjson.encoders._decimal`, loaded like numpy's.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import TYPE_CHECKING, Any

from .._dates import iso
from .._errors import EncodeError
from .._values import Raw, dataclass_fields, final, is_dataclass_type
from ..registry import builtin

if TYPE_CHECKING:
    from ..core import Encoder


@builtin(Raw)
def _raw(o: Raw, enc: Encoder) -> Any:
    """Verbatim for orjson; parsed for the other backends, and kept as parsed (a frame's
    keys are already in their order: the walk must not sort them again)."""
    if enc.fragments:
        return o.fragment
    import json

    return final(json.loads(o.data))


@builtin(final)
def _final(o: final, enc: Encoder) -> Any:
    """Lists an encoder built from JSON-ready values (on the fast path: hand them to orjson)."""
    return o.items


@builtin(dt.date)
def _date(o: dt.date, enc: Encoder) -> str:
    """RFC 3339 by the rule of :mod:`fastjson._dates`, or RFC 822 as Flask does with
    ``datetime_format="http"``."""
    if enc.option("datetime_format") == "http":
        from werkzeug.http import http_date

        return http_date(o)
    return iso(o)


@builtin(dt.time)
def _time(o: dt.time, enc: Encoder) -> str:
    return iso(o)


@builtin(dt.timedelta)
def _timedelta(o: dt.timedelta, enc: Encoder) -> float:
    """Durations are seconds, as a number."""
    return o.total_seconds()


@builtin(uuid.UUID)
def _uuid(o: uuid.UUID, enc: Encoder) -> str:
    return str(o)


@builtin(enum.Enum, priority=1)
def _enum(o: enum.Enum, enc: Encoder) -> Any:
    """Enums: their value, as orjson writes them (before any ``int``/``str`` mixin)."""
    return o.value


@builtin(is_dataclass_type)
def _dataclass(o: Any, enc: Encoder) -> dict[str, Any]:
    """Dataclasses: every field, ``_private`` ones too, as Flask's ``asdict`` writes them."""
    return dataclass_fields(o)


@builtin(str)
def _str(o: str, enc: Encoder) -> str:
    """``str`` subclasses: their text."""
    return str.__str__(o)


@builtin(int)
def _int(o: int, enc: Encoder) -> int:
    """``int`` subclasses: their value."""
    return int.__index__(o)


@builtin(float)
def _float(o: float, enc: Encoder) -> float:
    """``float`` subclasses: their value as a plain float."""
    return float.__float__(o)


@builtin(dict)
def _dict(o: dict[Any, Any], enc: Encoder) -> dict[Any, Any]:
    """``dict`` subclasses, in their own iteration order (an ``OrderedDict`` after
    ``move_to_end``), through ``items()`` as :mod:`json` reads them."""
    return dict(o.items())


@builtin(list)
def _list(o: list[Any], enc: Encoder) -> list[Any]:
    """``list`` subclasses."""
    return list(o)


@builtin(tuple)
def _tuple(o: tuple[Any, ...], enc: Encoder) -> list[Any]:
    """Tuple subclasses such as named tuples: a list, as ``json`` writes them."""
    return list(o)


@builtin(set)
@builtin(frozenset)
def _set(o: set[Any] | frozenset[Any], enc: Encoder) -> list[Any]:
    """Sets: a list, in iteration order."""
    return list(o)


def _is_iterator(cls: type) -> bool:
    from collections.abc import Iterator

    return issubclass(cls, Iterator)


@builtin(_is_iterator, priority=-2)
def _iterator(o: Any, enc: Encoder) -> list[Any]:
    """Generators and other iterators: a list of what they yield (consumed once).

    :func:`fastjson.iter_encode` writes them lazily instead, element by element
    (``streams_lazily``).
    """
    return list(o)


_iterator.streams_lazily = True  # type: ignore[attr-defined]


@builtin(complex)
def _complex(o: complex, enc: Encoder) -> Any:
    raise EncodeError("complex numbers have no JSON form; encode .real and .imag instead")


@builtin(lambda cls: hasattr(cls, "__html__"), priority=-1)
def _html(o: Any, enc: Encoder) -> str:
    """Objects with ``__html__`` (markupsafe.Markup...): their HTML, as Flask does."""
    return str(o.__html__())
