"""Column-wise assembly of tabular JSON without a Python loop per row.

Tables (DataFrames, structured arrays) are encoded one column at a time into
*tokens*, the JSON text of each cell (:func:`fastjson.encoders.numpy.tokens`),
and rows are then stitched together by
:func:`assemble`, which places constant separators and token lists into one
flat list by slice assignment and joins it once. Both steps run in C; Python
only loops over columns.

How tokens are cut out of one encoded column without parsing it again:

- numbers, booleans and ``null`` never contain commas, so the compact array
  ``[1,2.5,null]`` splits on ``,``;
- a list of scalars that may hold strings is encoded with two-space indent,
  which puts every element on its own line; a JSON string never holds a raw
  newline, so the text splits on ``",\\n  "`` exactly between elements.

Only cells that are themselves containers or arbitrary objects (mixed object
columns) are encoded one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from .._errors import DuplicateKeyError

__all__ = (
    "assemble",
    "check_unique",
    "key_slots",
    "keys_of",
    "object_from_tokens",
    "object_rows",
    "records_from_columns",
    "rows_from_columns",
)

Slot = bytes | list[bytes]


def assemble(n: int, slots: Sequence[Slot]) -> bytes:
    """Join ``n`` rows, each the concatenation of ``slots`` (a constant, or one item per row)."""
    stride = len(slots)
    flat: list[bytes] = [b""] * (n * stride)
    for j, slot in enumerate(slots):
        flat[j::stride] = slot if isinstance(slot, list) else [slot] * n
    return b"".join(flat)


def keys_of(names: Sequence[Any]) -> list[bytes]:
    """JSON object keys for column or index labels (non-strings via ``str``)."""
    return [orjson.dumps(name if isinstance(name, str) else str(name)) for name in names]


def records_from_columns(names: Sequence[str], columns: Sequence[list[bytes]], n: int) -> bytes:
    """``[{"a":1,"b":2},...]`` from per-column tokens."""
    return b"[" + object_rows(keys_of(names), columns, n)[1:] + b"]"


def key_slots(tokens: list[bytes], quoted: bool) -> list[Slot]:
    """Slots writing ``tokens`` as object keys: strings as they are, numbers inside quotes."""
    return [tokens, b":"] if quoted else [b'"', tokens, b'":']


def object_rows(
    keys: Sequence[bytes],
    columns: Sequence[list[bytes]],
    n: int,
    lead: Sequence[Slot] = (),
    separator: bytes = b",",
) -> bytes:
    """Rows as objects, each preceded by ``separator`` and the ``lead`` slots (an index key)."""
    if not keys:
        return assemble(n, [separator, *lead, b"{}"])
    slots: list[Slot] = [separator, *lead, b"{" + keys[0] + b":", columns[0]]
    for key, column in zip(keys[1:], columns[1:], strict=True):
        slots += [b"," + key + b":", column]
    slots.append(b"}")
    return assemble(n, slots)


def rows_from_columns(columns: Sequence[list[bytes]], n: int) -> bytes:
    """``[[1,2],[3,4],...]`` from per-column tokens."""
    if not columns:
        return b"[" + b",".join([b"[]"] * n) + b"]"
    slots: list[Slot] = [b",[", columns[0]]
    for column in columns[1:]:
        slots += [b",", column]
    slots.append(b"]")
    return b"[" + assemble(n, slots)[1:] + b"]"


def object_from_tokens(keys: list[bytes], quoted: bool, values: list[bytes]) -> bytes:
    """``{"k1":v1,...}`` from key tokens (see :func:`key_slots`) and value tokens."""
    return b"{" + assemble(len(values), [b",", *key_slots(keys, quoted), values])[1:] + b"}"


def check_unique(labels: Sequence[Any], what: str, orient: str) -> None:
    """Object keys must be unique: refuse, as pandas does, rather than drop data."""
    seen: set[str] = set()
    for label in labels:
        key = label if isinstance(label, str) else str(label)
        if key in seen:
            raise DuplicateKeyError(
                f"{what} {key!r} is duplicated; orient={orient!r} needs unique {what}s "
                "(rename them, or use orient='split' or 'values')"
            )
        seen.add(key)
