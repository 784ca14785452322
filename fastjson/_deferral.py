"""Code of yours never runs while orjson is in the middle of a list or dict.

orjson walks lists, tuples and dicts through borrowed references: it reads a
list's length and item array once and calls ``default`` in the middle of the
walk. A ``default``, or an encoder, that empties or shrinks the list being
written, or drops the last reference to a container still to be written,
leaves orjson reading freed memory: the process dies (``a.pop()`` inside
``default`` is enough).

The fast path therefore *defers* code of yours. Its hook
(:meth:`fastjson.Encoder._defer`) runs only what is known not to run such code
(fastjson's built-ins for exact standard types, numpy, frames); for an object
that needs ``default``, an encoder you registered, or a built-in that would run
code of yours for that class (a generator, a ``dict`` subclass with its own
``items()``, a dataclass with a property for a field...), it returns
:data:`SLOT`, a one-byte placeholder, and notes the object. Once orjson has
returned, and holds nothing, the placeholders are found (:func:`slots`), the
noted objects are converted in document order and encoded on their own, and
their bytes replace the placeholders (:func:`splice`). A NUL byte cannot
otherwise occur in orjson's output (it escapes control characters), so the
placeholders are found exactly.

Alternatives considered, and why not:

- **keeping references alive** while orjson runs does not help: a list that
  shrinks moves or frees its item array whoever holds the list;
- **snapshotting** the containers (copying every list and dict before orjson
  sees them) is safe but costs a Python-level copy of the whole payload on
  every call that meets code of yours, several times the encode itself;
- **falling back to the walk** (:mod:`fastjson._walk`), which iterates
  safely, costs more still: the walk is a complete normaliser in Python.

Deferral keeps orjson's speed for the whole payload and adds one small encode
per deferred object. What it cannot finish (an error, a cycle through a
converted value, what orjson refuses) goes to the walk, which reuses every
result already computed (the memo), so code of yours still runs at most once
per object.

An encoder that encodes parts of an object through the encoder (a frame's
object cells) runs while orjson holds the outer payload. Inside it
:attr:`Thread.hooked` is set, and code of yours is refused outright
(:class:`UserCode`), which unwinds to the outermost call; that call then walks.
"""

from __future__ import annotations

from threading import get_ident
from typing import Any

import orjson

__all__ = ("DEFERRED", "SLOT", "Refused", "Thread", "UserCode", "slots", "splice", "thread")

SLOT = orjson.Fragment(b"\0")
"""What the fast path's hook gives orjson in place of an object it defers."""

DEFERRED: dict[int, list[Any]] = {}
"""Per thread, the objects deferred during the orjson call in progress, in document
order. A module-level dict so that the fast path checks it with one truthiness test."""


class Thread:
    """What the encodes of one thread share."""

    __slots__ = ("active", "hooked", "resolving")

    def __init__(self) -> None:
        self.active: set[int] = set()
        """Objects whose encoders are running (a frame holding itself is a cycle)."""
        self.hooked = 0
        """How many encoders called from orjson's hook are running: while one is,
        orjson holds a payload and code of yours must not run."""
        self.resolving: set[int] = set()
        """Deferred objects being converted: one met again inside its own value is a
        cycle, which the walk reports."""


_THREADS: dict[int, Thread] = {}


def thread() -> Thread:
    """This thread's :class:`Thread`."""
    ident = get_ident()
    state = _THREADS.get(ident)
    if state is None:
        state = _THREADS[ident] = Thread()
    return state


class UserCode(BaseException):
    """Raised instead of running code of yours while orjson holds a payload.

    A ``BaseException``, so that an encoder's ``except Exception`` does not turn
    it into an encoding error: it must reach orjson, which stops and lets go.
    """


class Refused(Exception):
    """Deferred values that the fast path cannot finish: the walk takes over."""


def slots(out: bytes, count: int) -> list[int]:
    """Where the ``count`` placeholders of ``out`` are, found before any code of yours
    runs: a different number (a NUL byte of another origin, objects left by a call
    that was interrupted) raises :class:`Refused`."""
    found: list[int] = []
    at = out.find(b"\0")  # memchr: faster than split for a few placeholders
    while at >= 0 and len(found) <= count:
        found.append(at)
        at = out.find(b"\0", at + 1)
    if len(found) != count:
        raise Refused("the placeholders do not match the deferred objects")
    return found


def splice(out: bytes, at: list[int], parts: list[bytes], indent: bool) -> bytes:
    """``out`` with the placeholders at ``at`` replaced by ``parts``, in order.

    Under ``indent`` each part is indented as the line that holds its
    placeholder: orjson puts every member and element on a line of its own,
    and a raw newline occurs in JSON text only between tokens.
    """
    chunks = []
    start = 0
    for slot, part in zip(at, parts, strict=True):
        if indent and b"\n" in part:
            line = out[out.rfind(b"\n", 0, slot) + 1 : slot]
            part = part.replace(b"\n", b"\n" + b" " * (len(line) - len(line.lstrip(b" "))))
        chunks.append(out[start:slot])
        chunks.append(part)
        start = slot + 1
    chunks.append(out[start:])
    return b"".join(chunks)
