"""Typical user calls: ``mypy --strict`` must accept every line (``make test`` checks it)."""

from __future__ import annotations

import fastjson
from fastjson import Encoder, Options, dumpb, dumps, loads

options: Options = {"nan": "error", "sort_keys": True}
encoder = Encoder(**options)
body: bytes = encoder.encode({"a": 1})
text: str = encoder.encode_str([1, 2])
strict: Encoder = encoder.replace(big_int="string", indent=2)

dumpb({"x": 1.5}, nan="string", orient="split", datetime_format="http")
dumps([1], ensure_ascii=True, backend="json", default=str)
value: object = loads(b"[1]")

registry = fastjson.Registry()
registry.register(complex, lambda c: [c.real, c.imag])
dumpb(1j, registry=registry)

try:
    dumpb(float("nan"), nan="error")
except fastjson.NonFiniteError as exc:
    where: str = exc.path


def view() -> object:
    from fastjson import json_response

    return json_response({"ok": True}, status=201, orient="records", nan="null")
