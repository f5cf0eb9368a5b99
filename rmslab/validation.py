"""Argument checks shared by every layer of rmslab: one contract, one wording.

Every check raises ``ValueError`` naming the argument, the value it got and the allowed range,
e.g. ``momentum must be in [0, 1), got 1.5``. NumPy integer and float scalars are accepted
wherever Python ones are; ``bool`` is never a number.
"""

from __future__ import annotations

import numpy as np


def check_int(name: str, value, low: int) -> int:
    """``value`` as an ``int``; ``ValueError`` unless it is an integer (Python or NumPy) >= low."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)
