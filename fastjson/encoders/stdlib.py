"""Built-in encoders for standard-library types: the default form of everything not native.

By the one rule (:mod:`fastjson._values`), only the exact types ``str``,
``int``, ``float``, ``bool``, ``None``, ``dict``, ``list`` and ``tuple`` are
written without the registry. Everything else, including what orjson could
write itself (subclasses, datetimes, UUIDs, enums, dataclasses), is encoded
here, so that an encoder you register for any of them applies everywhere.
``Decimal`` lives in :mod:`fastjson.encoders._decimal`, loaded like numpy's.

Each encoder also says whether it runs code of the user's for a class
(``user_code``): the orjson fast path must not run such code while orjson
holds a list or dict it is writing (:mod:`fastjson.core`). A subclass runs
code of its own when a method these encoders call is written in Python
(:func:`python_methods`); a generator always does. Time zones are taken as
library code: orjson itself calls ``utcoffset()`` on every aware datetime.
None of these encoders encodes parts of an object through the encoder
(``reentrant=False``).
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import orjson

from .._dates import iso
from .._errors import EncodeError, EncodeValueError
from .._values import Raw, dataclass_fields, final, is_dataclass_type
from ..registry import builtin

if TYPE_CHECKING:
    from ..core import Encoder

_C_CALLABLES = (
    types.BuiltinFunctionType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.ClassMethodDescriptorType,
)


def python_methods(*names: str) -> Callable[[type], bool]:
    """A predicate over classes: whether any of the methods ``names`` (or attribute
    look-up itself) is written in Python rather than in C, so that calling it may run
    anything."""

    def runs_python(cls: type) -> bool:
        return any(
            not isinstance(getattr(cls, name, None), _C_CALLABLES)
            for name in (*names, "__getattribute__")
        )

    return runs_python


def _not(*classes: type) -> Callable[[type], bool]:
    """A predicate over classes: true for any class but ``classes`` themselves."""
    return lambda cls: cls not in classes


def _dataclass_runs_code(cls: type) -> bool:
    """Whether reading a dataclass's fields may run code: a property or other
    descriptor in a field's place, or attribute look-up of its own."""
    import dataclasses

    if python_methods()(cls) or hasattr(cls, "__getattr__"):
        return True
    for field in dataclasses.fields(cls):
        for klass in cls.__mro__:
            if field.name in klass.__dict__:
                attribute = klass.__dict__[field.name]
                if hasattr(type(attribute), "__get__") and not isinstance(
                    attribute, types.MemberDescriptorType
                ):
                    return True
                break
    return False


@builtin(Raw, reentrant=False)
def _raw(o: Raw, enc: Encoder) -> Any:
    """Verbatim for orjson; parsed for the other backends, and kept as parsed (a frame's
    keys are already in their order: the walk must not sort them again)."""
    if enc.fragments:
        return o.fragment
    import json

    return final(json.loads(o.data))


@builtin(orjson.Fragment, reentrant=False)
def _fragment(o: orjson.Fragment, enc: Encoder) -> Raw:
    """orjson's verbatim bytes, checked as :class:`Raw` checks its own: a fragment
    that is not one JSON value would make the whole output invalid. orjson keeps
    the bytes to itself; writing the fragment alone is how to read them."""
    try:
        data = orjson.dumps(o)
        orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise EncodeValueError(f"orjson.Fragment does not hold one JSON value: {exc}") from None
    except orjson.JSONEncodeError as exc:  # a str with lone surrogates
        raise EncodeValueError(f"orjson.Fragment cannot be written: {exc}") from None
    return Raw(data, trusted=True)


@builtin(final, reentrant=False)
def _final(o: final, enc: Encoder) -> Any:
    """Lists an encoder built from JSON-ready values (on the fast path: hand them to orjson)."""
    return o.items


@builtin(dt.date, user_code=_not(dt.date, dt.datetime), reentrant=False)
def _date(o: dt.date, enc: Encoder) -> str:
    """RFC 3339 by the rule of :mod:`fastjson._dates`, or RFC 822 as Flask does with
    ``datetime_format="http"``."""
    if enc.option("datetime_format") == "http":
        from werkzeug.http import http_date

        return http_date(o)
    return iso(o)


@builtin(dt.time, user_code=_not(dt.time), reentrant=False)
def _time(o: dt.time, enc: Encoder) -> str:
    return iso(o)


@builtin(dt.timedelta, user_code=python_methods("total_seconds"), reentrant=False)
def _timedelta(o: dt.timedelta, enc: Encoder) -> float:
    """Durations are seconds, as a number."""
    return o.total_seconds()


@builtin(uuid.UUID, user_code=_not(uuid.UUID), reentrant=False)
def _uuid(o: uuid.UUID, enc: Encoder) -> str:
    return str(o)


@builtin(enum.Enum, priority=1, reentrant=False)
def _enum(o: enum.Enum, enc: Encoder) -> Any:
    """Enums: their value, as orjson writes them (before any ``int``/``str`` mixin)."""
    return o.value


@builtin(is_dataclass_type, user_code=_dataclass_runs_code, reentrant=False)
def _dataclass(o: Any, enc: Encoder) -> dict[str, Any]:
    """Dataclasses: every field, ``_private`` ones too, as Flask's ``asdict`` writes them."""
    return dataclass_fields(o)


@builtin(str, reentrant=False)
def _str(o: str, enc: Encoder) -> str:
    """``str`` subclasses: their text."""
    return str.__str__(o)


@builtin(int, reentrant=False)
def _int(o: int, enc: Encoder) -> int:
    """``int`` subclasses: their value."""
    return int.__index__(o)


@builtin(float, reentrant=False)
def _float(o: float, enc: Encoder) -> float:
    """``float`` subclasses: their value as a plain float."""
    return float.__float__(o)


@builtin(dict, user_code=python_methods("items"), reentrant=False)
def _dict(o: dict[Any, Any], enc: Encoder) -> dict[Any, Any]:
    """``dict`` subclasses, in their own iteration order (an ``OrderedDict`` after
    ``move_to_end``), through ``items()`` as :mod:`json` reads them."""
    return dict(o.items())


_ITERATES = python_methods("__iter__", "__len__")


@builtin(list, user_code=_ITERATES, reentrant=False)
@builtin(tuple, user_code=_ITERATES, reentrant=False)
@builtin(set, user_code=_ITERATES, reentrant=False)
@builtin(frozenset, user_code=_ITERATES, reentrant=False)
def _list(o: list[Any] | tuple[Any, ...] | set[Any] | frozenset[Any], enc: Encoder) -> list[Any]:
    """``list`` and ``tuple`` subclasses (named tuples...), sets: a list, in iteration
    order, as ``json`` writes them."""
    return list(o)


def _is_iterator(cls: type) -> bool:
    return issubclass(cls, Iterator)


@builtin(_is_iterator, priority=-2, user_code=True, reentrant=False)
def _iterator(o: Any, enc: Encoder) -> list[Any]:
    """Generators and other iterators: a list of what they yield (consumed once).

    :func:`fastjson.iter_encode` writes them lazily instead, element by element
    (``streams_lazily``).
    """
    return list(o)


_iterator.streams_lazily = True  # type: ignore[attr-defined]


@builtin(complex, reentrant=False)
def _complex(o: complex, enc: Encoder) -> Any:
    raise EncodeError("complex numbers have no JSON form; encode .real and .imag instead")


@builtin(lambda cls: hasattr(cls, "__html__"), priority=-1, user_code=True, reentrant=False)
def _html(o: Any, enc: Encoder) -> str:
    """Objects with ``__html__`` (markupsafe.Markup...): their HTML, as Flask does."""
    return str(o.__html__())
