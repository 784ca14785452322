"""Parsing: :func:`loads`, strict and lossless, what :func:`fastjson.dumpb` writes read back.

orjson parses; the standard library's :mod:`json` re-reads what orjson cannot
read exactly (integers beyond a double, escaped lone surrogates).
"""

from __future__ import annotations

from typing import Any

import orjson

from ._errors import DecodeError, format_path

__all__ = ("loads",)

_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_RUN = b"0" * 19
"""An integer orjson may turn into a float has at least 19 digits."""


def loads(data: str | bytes | bytearray | memoryview) -> Any:
    """Parse JSON strictly and losslessly; raises :class:`DecodeError` (a ``ValueError``).

    One rule for every input: what :func:`dumpb` writes, ``loads`` reads back.

    - integers of any size and sign come back exact (orjson reads those
      beyond 64 bits as floats, or refuses them beyond a double's range;
      fastjson notices and re-reads the document), up to the interpreter's
      limit on integer digits (``sys.get_int_max_str_digits()``), beyond
      which the :class:`DecodeError` gives the integer's ``path``;
    - escaped lone surrogates (``"\\ud800"``, which ``dumpb`` and ``json``
      write for such strings) are accepted;
    - refused: ``NaN``/``Infinity`` tokens, numbers beyond a double's range,
      invalid UTF-8, a byte-order mark, and anything else that is not JSON.
    """
    if isinstance(data, memoryview | bytearray):
        data = bytes(data)
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        reason = str(exc)
        if "surrogate" not in reason and "infinity" not in reason:
            raise DecodeError(reason) from None
        return _stdlib_loads(data)  # escaped surrogates; integers too long for a double
    if len(data) >= 19 and _may_hold_big_int(data, value):
        return _stdlib_loads(data)
    return value


def _may_hold_big_int(data: str | bytes, value: Any) -> bool:
    """True when an integer beyond 64 bits may have been read as a float.

    A C-speed scan for a run of 19 digits comes first; only when there is
    one (a long number, or digits inside a string) are the parsed values
    searched for a float of that magnitude, which is what such an integer
    becomes.
    """
    raw = data.encode(errors="surrogatepass") if isinstance(data, str) else data
    if _LONG_RUN not in raw.translate(_DIGITS):
        return False
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t is float:
            if abs(v) >= 9.2e18:
                return True
        elif t is list:
            stack.extend(v)
        elif t is dict:
            stack.extend(v.values())
    return False


def _reject_constant(token: str) -> Any:
    raise DecodeError(f"{token} is not valid JSON")


def _finite_float(text: str) -> float:
    """As orjson: a number too large for a double is an error, not infinity."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise DecodeError(f"number {text} is infinity when parsed as double")
    return value


def _stdlib_loads(data: str | bytes) -> Any:
    """:func:`json.loads` with orjson's strictness, for what orjson cannot read exactly."""
    import json

    if isinstance(data, bytes):
        try:
            data = data.decode()
        except UnicodeDecodeError as exc:
            raise DecodeError(f"invalid UTF-8: {exc}") from None
    try:
        return json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise DecodeError(str(exc)) from None
    except RecursionError:  # hostile nesting stays a ValueError (HTTP 400)
        raise DecodeError("nesting too deep") from None
    except DecodeError:
        raise
    except ValueError as exc:  # int() beyond sys.get_int_max_str_digits()
        if "integer string conversion" not in str(exc):
            raise
        raise _too_many_digits(data) from None


class _Digits:
    """Stands for an integer with more digits than the interpreter converts."""

    __slots__ = ("count",)

    def __init__(self, count: int) -> None:
        self.count = count


def _too_many_digits(data: str) -> DecodeError:
    """The error for the first integer beyond the digit limit, with its path: the
    document read again with that integer kept aside (only on this error)."""
    import json
    import sys

    limit = sys.get_int_max_str_digits()

    def parse_int(text: str) -> Any:
        digits = len(text) - text.startswith("-")
        return int(text) if digits <= limit else _Digits(digits)

    path: list[str | int] = []
    try:
        found = _find_digits(json.loads(data, parse_int=parse_int, parse_float=float), path)
    except (ValueError, RecursionError):  # nested too deep to say where
        found, path = None, []
    count = found.count if found is not None else limit + 1
    return DecodeError(
        f"an integer of {count} digits exceeds the interpreter's limit of {limit} "
        "(sys.set_int_max_str_digits)",
        format_path(path),
    )


def _find_digits(value: Any, path: list[str | int]) -> _Digits | None:
    """The first :class:`_Digits` in ``value``, leaving its path in ``path``."""
    if isinstance(value, _Digits):
        return value
    items = (
        value.items() if type(value) is dict else enumerate(value) if type(value) is list else ()
    )
    for key, item in items:
        path.append(key)
        found = _find_digits(item, path)
        if found is not None:
            return found
        path.pop()
    return None
