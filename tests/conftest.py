"""Shared helpers: a strict JSON parser and hypothesis settings."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _reject(token: str) -> Any:
    raise ValueError(f"invalid JSON token {token}")


def strict_loads(data: bytes | str) -> Any:
    """Parse as browsers' JSON.parse does: NaN/Infinity tokens are errors."""
    return json.loads(data, parse_constant=_reject)


@pytest.fixture
def strict() -> Any:
    return strict_loads
