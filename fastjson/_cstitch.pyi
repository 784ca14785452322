from collections.abc import Sequence
from typing import Any

def stitch(n: int, slots: Sequence[Any], /) -> bytes: ...
