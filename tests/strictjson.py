"""A strict JSON parser for tests: NaN/Infinity tokens are errors, as in browsers."""

from __future__ import annotations

import json
from typing import Any


def _reject(token: str) -> Any:
    raise ValueError(f"invalid JSON token {token}")


def strict_loads(data: bytes | str) -> Any:
    """Parse as browsers' ``JSON.parse`` does."""
    return json.loads(data, parse_constant=_reject)
