"""Two token texts alternated in compiled code: the keyed orients' ``"label":value`` pairs.

In the keyed orients (``columns``, a Series' ``index``) every value follows
its row's key. Both come out of their encoders as one buffer each, tokens
between separators or padding; alternating them token by token in Python
costs an object per token. Here each buffer comes with its tokens' bounds
(:data:`Bounded`: numpy finds a text's separators with one vectorised
comparison, a padded matrix's bounds are arithmetic), the bounds of both
become the offsets of one Arrow binary array, tokens and the bytes between
them alternating, and Arrow's ``take`` gathers the tokens in output order,
keys and values alternating, with one ``memcpy`` each; the gathered data
buffer is the output, with no Python object per cell (faster than ``bytes %``
over one key object a row: ``bench/README.md``).

pyarrow comes with the ``pandas`` extra; without it :func:`available` is
false and callers format instead (:func:`~._columns.keyed`).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ("Bounded", "alternate", "available", "bounds")

Bounded = tuple[bytes, "NDArray[np.int64]"]
"""A buffer and its tokens' bounds, ``[start0, end0, start1, end1, ...]``, non-decreasing:
what lies between one token's end and the next one's start (a separator, padding) is
left out."""


def available() -> bool:
    """Whether :func:`alternate` can run (pyarrow is installed)."""
    return _pyarrow() is not None


def alternate(first: Bounded, second: Bounded) -> memoryview:
    """``f0 s0 f1 s1 ...``: the tokens of two buffers with as many tokens, alternated.

    A view of Arrow's buffer: the caller copies it once, into its output.
    """
    pa = _pyarrow()
    (first_data, first_bounds), (second_data, second_bounds) = first, second
    n = len(first_bounds) // 2
    if len(second_bounds) // 2 != n:
        raise ValueError(f"{n} tokens against {len(second_bounds) // 2}: nothing to pair")
    if not n:
        return memoryview(b"")
    # elements: first's tokens at 2i, the bytes between two tokens (or the two buffers)
    # at the odd places, second's tokens at 2n + 2i
    offsets = np.empty(4 * n, np.int64)
    offsets[: 2 * n] = first_bounds
    np.add(second_bounds, len(first_data), out=offsets[2 * n :])
    data = first_data + second_data
    # Arrow reads where the offsets say, unchecked: they must rise within the data (a few
    # percent of the time; a token holding its separator would otherwise read astray)
    if offsets[0] < 0 or offsets[-1] > len(data) or (offsets[1:] < offsets[:-1]).any():
        raise ValueError("token bounds out of order or outside their text")
    elements = pa.Array.from_buffers(
        pa.large_binary(), 4 * n - 1, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    order = np.empty(2 * n, np.int64)
    order[0::2] = np.arange(0, 2 * n, 2)
    order[1::2] = order[0::2] + 2 * n
    # the order is made here, within bounds by construction: no check of each index
    gathered = pa.compute.take(elements, order, boundscheck=False)
    body = gathered.buffers()[2]
    end = int(np.frombuffer(gathered.buffers()[1], np.int64)[len(gathered)])
    return memoryview(body)[:end] if body is not None else memoryview(b"")


def bounds(text: bytes, separator: bytes) -> NDArray[np.int64]:
    """The bounds of the tokens of ``text``, between which stands ``separator``."""
    byte, at = _marker(separator)
    found = np.flatnonzero(np.frombuffer(text, np.uint8) == byte)
    result = np.empty(2 * len(found) + 2, np.int64)
    result[0] = 0
    result[1:-1:2] = found - at
    result[2:-1:2] = found + (len(separator) - at)
    result[-1] = len(text)
    return result


@functools.cache
def _marker(separator: bytes) -> tuple[int, int]:
    """The byte that marks each separator in the text, and its place in the separator.

    A separator is held by no token, but its bytes may be (a ``,`` inside a
    string): a multi-byte separator is found by its newline or NUL, which
    JSON text never holds raw; a one-byte separator is found as itself.
    """
    for at, byte in enumerate(separator):
        if byte in b"\0\n":
            return byte, at
    if len(separator) != 1:
        raise ValueError(f"no byte marks the separator {separator!r}")
    return separator[0], 0


@functools.cache
def _pyarrow() -> Any:
    try:
        import pyarrow as pa
        import pyarrow.compute
    except ImportError:
        return None
    return pa
