"""The ``Decimal`` encoder, imported by the registry when a Decimal is first seen.

Kept apart from :mod:`fastjson.encoders.stdlib` because importing
:mod:`decimal` (a C extension plus :mod:`numbers`) is a noticeable share of
``import fastjson``, and most services never send a Decimal.
"""

from __future__ import annotations

import decimal
from typing import TYPE_CHECKING

from .._errors import NonFiniteError
from .._values import NONFINITE_TOKENS
from ..registry import builtin

if TYPE_CHECKING:
    from ..core import Encoder


@builtin(decimal.Decimal, user_code=lambda cls: cls is not decimal.Decimal, reentrant=False)
def _decimal(o: decimal.Decimal, enc: Encoder) -> str | None:
    """A string, exactly as written (as Flask does): a float would lose digits.

    ``NaN``, ``sNaN`` and the infinities follow the ``nan`` option as floats
    do: ``null``, ``NonFiniteError``, or the strings of ``nan="string"``.
    """
    if o.is_finite():
        return str(o)
    policy = enc.option("nan")
    if policy == "null":
        return None
    if policy == "string":
        return NONFINITE_TOKENS["nan" if o.is_nan() else "-inf" if o.is_signed() else "inf"]
    raise NonFiniteError(o)
