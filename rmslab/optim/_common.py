"""Plumbing shared by the functional optimizers (students can skip this file).

The algorithms live in ``_gd.py``, ``_momentum.py``, ``_adagrad.py``, ``_rmsprop.py`` and
``_adam.py``: each has an ``update(x, g, state, **hyperparameters)`` function that is pure
NumPy math. This module wraps such a function into an :class:`Optimizer` and takes care of
everything that is not the algorithm:

* checking hyperparameters (``ValueError`` naming the argument, the value and the range);
* checking that ``g`` has ``x``'s shape and that hyperparameter arrays broadcast to it;
* the working precision: float16 parameters get float32 optimizer state (``eps=1e-8`` and
  ``(1e-4)**2`` both round to 0 in float16), and ``x`` comes back in its own dtype;
* the optional ``check_finite`` test of the gradient.

NumPy floating-point warnings are silenced inside ``step``: like torch, a NaN or inf in the
gradient silently propagates into ``x`` and the state. Pass ``check_finite=True`` to get a
``FloatingPointError`` instead.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from rmslab import validation


class Optimizer(NamedTuple):
    """A functional optimizer: ``state = init(x)``, then ``x, state = step(x, g, state)``.

    ``step`` never modifies its arguments; it returns a new ``x`` and a new state.
    ``hyperparams`` holds the resolved keyword values (after validation).
    """

    init: Callable[[Any], Any]
    step: Callable[[Any, Any, Any], tuple[np.ndarray, Any]]
    name: str
    hyperparams: dict[str, Any]


def hyperparameter(name: str, value: Any, *, upper: float = math.inf, upper_closed: bool = False):
    """Check that ``value`` lies in ``[0, upper)`` (``[0, upper]`` if ``upper_closed``).

    ``value`` may be a real number or an array of real numbers (checked elementwise), see
    :func:`rmslab.validation.check_number_or_array`. Returns a Python float, or a read-only
    float64 array.
    """
    return validation.check_number_or_array(name, value, upper, upper_closed)


def flag(name: str, value: Any) -> bool:
    """Check that ``value`` is a bool (Python or NumPy)."""
    return validation.check_flag(name, value)


def beta_pair(betas: Any) -> tuple:
    """Check Adam's ``betas``: a tuple or list of two entries, each in [0, 1)."""
    return validation.check_pair("betas", betas, validation.check_number_or_array)


def any_positive(value) -> bool:
    """True if a validated hyperparameter (float or array) has a positive entry."""
    return bool(np.any(np.asarray(value) > 0))


def _real_array(name: str, value: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be a real array, got dtype {array.dtype}")
    return array


def _working_dtype(dtype: np.dtype) -> np.dtype:
    """float16 -> float32 (fp16 cannot hold eps or small g**2); non-floats -> float64."""
    if dtype == np.float16:
        return np.dtype(np.float32)
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _check_broadcast(arrays: dict[str, np.ndarray], shape: tuple) -> None:
    for key, value in arrays.items():
        try:
            compatible = np.broadcast_shapes(value.shape, shape) == shape
        except ValueError:
            compatible = False
        if not compatible:
            raise ValueError(
                f"{key} has shape {value.shape}, which does not broadcast to x's shape {shape}"
            )


def _flatten(hyperparams: dict[str, Any]) -> dict[str, Any]:
    """{"betas": (a, b)} -> {"betas[0]": a, "betas[1]": b}; other entries unchanged."""
    flat = {}
    for key, value in hyperparams.items():
        if isinstance(value, tuple):
            flat.update({f"{key}[{i}]": item for i, item in enumerate(value)})
        else:
            flat[key] = value
    return flat


def _check_finite(g: np.ndarray, step_number: int) -> None:
    bad = ~np.isfinite(g)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise FloatingPointError(
            f"non-finite gradient at step {step_number}: g.flat[{index}] = "
            f"{g.flat[index].item()!r} (check_finite=True)"
        )


def make_optimizer(
    name: str,
    state_type: type,
    init_state: Callable[[np.ndarray], Any],
    update: Callable[..., tuple[np.ndarray, Any]],
    settings: dict[str, Any],
    hyperparams: dict[str, Any],
    check_finite: bool,
) -> Optimizer:
    """Wrap a pure ``update(x, g, state, **settings)`` into an :class:`Optimizer`.

    ``hyperparams`` (the validated keyword values, shown to users) gets ``check_finite``.
    ``step`` accepts only a ``state_type`` whose arrays have ``x``'s shape (what ``init(x)``
    returned, or an earlier ``step``).
    ``init_state(x)`` receives ``x`` already in the working dtype. Array-valued ``settings``
    are cast to the working dtype once per dtype. ``inspect.getsource(opt.step)`` shows
    ``update`` (``functools.wraps`` sets ``__wrapped__``).
    """
    check_finite = flag("check_finite", check_finite)
    hyperparams = {**hyperparams, "check_finite": check_finite}
    arrays = {k: v for k, v in settings.items() if isinstance(v, np.ndarray)}
    all_arrays = {k: v for k, v in _flatten(hyperparams).items() if isinstance(v, np.ndarray)}
    cast_cache: dict[np.dtype, dict[str, Any]] = {}

    def settings_for(dtype: np.dtype) -> dict[str, Any]:
        if dtype not in cast_cache:
            cast_cache[dtype] = {k: v.astype(dtype) for k, v in arrays.items()}
        return {**settings, **cast_cache[dtype]}

    def init(x):
        x = _real_array("x", x)
        _check_broadcast(all_arrays, x.shape)
        return init_state(x.astype(_working_dtype(x.dtype), copy=False))

    @functools.wraps(update)
    def step(x, g, state):
        x, g = _real_array("x", x), _real_array("g", g)
        if g.shape != x.shape:
            raise ValueError(
                f"g must have the shape of x: g has shape {g.shape}, x has shape {x.shape}"
            )
        validation.check_state(state, state_type, name, x.shape)
        _check_broadcast(arrays, x.shape)
        if check_finite:
            _check_finite(g, state.step + 1)
        dtype = _working_dtype(x.dtype)
        out_dtype = x.dtype if x.dtype.kind == "f" else dtype
        with np.errstate(all="ignore"):
            x_new, state_new = update(
                x.astype(dtype, copy=False),
                g.astype(dtype, copy=False),
                state,
                **settings_for(dtype),
            )
            return np.asarray(x_new).astype(out_dtype, copy=False), state_new

    return Optimizer(init=init, step=step, name=name, hyperparams=hyperparams)
