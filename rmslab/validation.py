"""Argument checks shared by every layer of rmslab: one contract, one wording.

``rmslab.optim`` (numpy), ``rmslab.torch``, ``rmslab.run`` and ``rmslab.problems`` all check
their arguments here, so the same argument has the same allowed range and the same message
everywhere. Every check raises ``ValueError`` naming the argument, the value it got and the
allowed range, for example::

    Invalid momentum value: 1.5 (momentum must be in [0, 1))

The first half is torch's own wording (its tests match it); the part in parentheses is the
contract. NumPy integer and float scalars (and 0-d arrays) are accepted wherever Python ones
are; a ``bool`` is never a number, and a number is never a flag.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

#: The text torch puts before the value where it differs from "Invalid <name> value".
TORCH_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def interval(high: float = math.inf, high_closed: bool = False) -> str:
    """The allowed range as the messages print it: ``[0, inf)``, ``[0, 1)`` or ``[0, 1]``."""
    closing = "]" if high_closed and math.isfinite(high) else ")"
    return f"[0, {high:g}{closing}"


def real_scalar(value) -> float | None:
    """``value`` as a float if it is one real number (Python, NumPy or 0-d array), else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        return float(value)
    if isinstance(value, (numbers.Real, np.integer, np.floating)):
        return float(value)
    return None


def out_of_range(name: str, value, high: float = math.inf, high_closed: bool = False, label=None):
    """The ``ValueError`` for a number outside ``[0, high)`` (``[0, high]``)."""
    label = label or TORCH_LABELS.get(name, f"{name} value")
    allowed = interval(high, high_closed)
    return ValueError(f"Invalid {label}: {value!r} ({name} must be in {allowed})")


def in_range(number: float, high: float, high_closed: bool) -> bool:
    """``0 <= number < high`` (``<= high`` if closed) and finite (NaN fails)."""
    upper = number <= high if high_closed else number < high
    return math.isfinite(number) and number >= 0 and upper


def check_number(
    name: str, value, high: float = math.inf, high_closed: bool = False, label=None
) -> float:
    """A real number in ``[0, high)`` (``[0, high]``) as a ``float``; ``ValueError`` otherwise."""
    number = real_scalar(value)
    if number is None:
        raise ValueError(
            f"{name} must be a real number in {interval(high, high_closed)}, got {value!r} "
            f"of type {type(value).__name__}"
        )
    if not in_range(number, high, high_closed):
        raise out_of_range(name, value, high, high_closed, label)
    return number


def check_number_or_array(
    name: str, value, high: float = math.inf, high_closed: bool = False, label=None
):
    """Like :func:`check_number`, but an array of such numbers is accepted too (checked
    elementwise; the message names the first bad index). Returns a float or a read-only
    float64 array."""
    if real_scalar(value) is not None:
        return check_number(name, value, high, high_closed, label)
    allowed = interval(high, high_closed)
    kind = f"a real number or an array of real numbers in {allowed}"
    if value is None or isinstance(value, (str, bytes, set, frozenset, dict)):
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested sequences
        raise ValueError(f"{name} must be {kind}, got {value!r}") from error
    if array.dtype.kind not in "iuf" or array.size == 0:
        raise ValueError(f"{name} must be {kind}, got {value!r} (dtype {array.dtype})")
    floats = array.astype(np.float64)
    upper = floats > high if high_closed else floats >= high
    bad = np.isnan(floats) | (floats < 0) | upper | np.isinf(floats)
    if bad.any():
        index = np.unravel_index(np.argmax(bad), bad.shape)
        where = tuple(int(i) for i in index)
        raise ValueError(
            f"Invalid {name} value: {floats[index].item()!r} at index {where} "
            f"({name} must be in {allowed} elementwise)"
        )
    floats.setflags(write=False)
    return floats


def check_pair(name: str, value, check=check_number, high: float = 1.0) -> tuple:
    """A pair such as Adam's ``betas``: a tuple or list of two entries, each checked by
    ``check`` in ``[0, high)``. The message for entry ``i`` is torch's "beta parameter at
    index i"."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(
            f"{name} must be a pair (tuple or list) of two numbers, each in "
            f"{interval(high)}, got {value!r}"
        )
    return tuple(
        check(f"{name}[{i}]", item, high, label=f"beta parameter at index {i}")
        for i, item in enumerate(value)
    )


def check_flag(name: str, value, allow_none: bool = False) -> bool | None:
    """``True`` or ``False`` (Python or NumPy; ``None`` too where torch allows it)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if allow_none and value is None:
        return None
    allowed = "True, False or None" if allow_none else "True or False"
    raise ValueError(f"{name} must be {allowed}, got {value!r}")


def check_int(name: str, value, low: int) -> int:
    """``value`` as an ``int``; ``ValueError`` unless it is an integer (Python or NumPy) >= low."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_positive(name: str, value, allow_zero: bool = False) -> float:
    """A finite real number > 0 (>= 0 with ``allow_zero``) as a ``float``."""
    allowed = "[0, inf)" if allow_zero else "(0, inf)"
    number = real_scalar(value)
    if number is None:
        raise ValueError(f"{name} must be a real number in {allowed}, got {value!r}")
    if not (math.isfinite(number) and (number >= 0 if allow_zero else number > 0)):
        raise ValueError(f"{name} must be finite and in {allowed}, got {value!r}")
    return number


def check_nesterov(nesterov: bool, momentum, dampening=None) -> None:
    """Nesterov momentum needs ``momentum > 0`` (everywhere, for an array) and, for an
    optimizer with ``dampening``, ``dampening == 0``, as in torch."""
    if not nesterov:
        return
    bad_dampening = dampening is not None and np.any(np.asarray(dampening) != 0)
    if np.all(np.asarray(momentum) > 0) and not bad_dampening:
        return
    if dampening is None:
        raise ValueError(f"nesterov=True requires momentum > 0, got momentum={momentum!r}")
    raise ValueError(
        "nesterov=True requires momentum > 0 and dampening == 0, "
        f"got momentum={momentum!r}, dampening={dampening!r}"
    )


def check_state(state, state_type: type, optimizer: str, shape: tuple) -> None:
    """``state`` must be what ``optimizer``'s ``init`` returns (a ``state_type``), with every
    array in it of ``x``'s shape."""
    if not isinstance(state, state_type):
        raise ValueError(
            f"state must be the {state_type.__name__} that {optimizer}'s init(x) returns, "
            f"got {type(state).__name__}"
        )
    for field, value in zip(state._fields, state, strict=True):
        if isinstance(value, np.ndarray) and value.shape != tuple(shape):
            raise ValueError(
                f"state.{field} has shape {value.shape}, but x has shape {tuple(shape)}: "
                f"the state belongs to another x (call init(x) for this one)"
            )


def check_distinct(arrays: dict) -> None:
    """No two of the named arrays share memory (an in-place update would mix them)."""
    names = [k for k, v in arrays.items() if v is not None]
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            if np.shares_memory(arrays[first], arrays[second]):
                raise ValueError(
                    f"{first} and {second} share memory; each must be its own array "
                    "(the in-place step would overwrite one with the other)"
                )
