r"""Measurements the chapters, labs, checkers and tests take from a run, written once.

* :func:`step_lengths`: how far each step moved, :math:`\ell_t = \lVert x_{t+1} - x_t \rVert_2`.
* :func:`first_below`: the first index :math:`t` with :math:`v_t < \mathrm{tol}`.
* :func:`gradient_path`: the iterates of a numpy optimizer fed a given sequence of gradients
  (for example a constant one), with no objective at all.
* :func:`torch_path`: the iterates of a ``torch.optim`` optimizer on one parameter vector,
  driven by an analytic gradient or by a loss; the chapters compare it with :func:`rmslab.run.run`.
* :func:`tail_gaps` and :func:`best_on_grid`: learning-rate (or any hyperparameter) tuning on a
  grid with seeds, from one :func:`rmslab.run.sweep`: score every configuration by its mean
  loss gap over the last steps, average over seeds, take the best grid point.

This module imports torch only inside :func:`torch_path`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmslab.validation import check_int


def step_lengths(path) -> np.ndarray:
    r"""Lengths of the steps of a path: :math:`\ell_t = \lVert x_{t+1} - x_t \rVert_2`.

    Args:
        path: the iterates :math:`x_0, \dots, x_T`, shape ``(T+1,)`` for one coordinate or
            ``(T+1, ..., dim)`` (the norm runs over the last axis), or a
            :class:`rmslab.run.Trajectory` (its ``xs``).

    Returns:
        ``(T,)`` (or ``(T, ...)``) float array; :math:`|x_{t+1} - x_t|` for a 1-D path.
    """
    xs = np.asarray(getattr(path, "xs", path), dtype=float)
    if xs.ndim == 0 or len(xs) < 1:
        raise ValueError(f"path must have shape (T+1, ...) with T >= 0, got shape {xs.shape}")
    steps = np.diff(xs, axis=0)
    return np.abs(steps) if xs.ndim == 1 else np.linalg.norm(steps, axis=-1)


def first_below(values, tol: float) -> int | None:
    r"""The first index :math:`t` with :math:`v_t < \mathrm{tol}`, or ``None`` if there is none.

    ``values`` is 1-D (a loss gap per step, step lengths, distances). NaN never counts as below.
    For "the first step count at which ...", add 1 when ``values[0]`` belongs to step 1.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {values.shape}")
    tol = float(tol)
    if np.isnan(tol):
        raise ValueError("tol must be a number, got nan")
    below = np.flatnonzero(values < tol)
    return int(below[0]) if below.size else None


def gradient_path(optimizer, gradients, x0=None) -> np.ndarray:
    r"""Iterates of an ``rmslab.optim`` optimizer fed the gradients :math:`g_0, \dots, g_{T-1}`.

    .. math:: x_{t+1} = \mathrm{step}(x_t, g_t), \qquad x_0 = 0 \text{ (default)},

    so the gradient does not depend on :math:`x`: this isolates what the update rule does with
    a given gradient sequence (a constant gradient: ``np.full((T, dim), g)``).

    Args:
        optimizer: an :class:`rmslab.optim.Optimizer`.
        gradients: shape ``(T, *x_shape)``.
        x0: the start, shape ``x_shape`` (default zeros).

    Returns:
        The iterates, shape ``(T+1, *x_shape)``; ``-np.diff(path, axis=0)`` are the steps.
    """
    gradients = np.asarray(gradients, dtype=float)
    if gradients.ndim < 2:
        raise ValueError(
            f"gradients must have shape (T, *x_shape), e.g. (T, 1), got shape {gradients.shape}"
        )
    x = np.zeros(gradients.shape[1:]) if x0 is None else np.array(x0, dtype=float)
    if x.shape != gradients.shape[1:]:
        raise ValueError(f"x0 must have shape {gradients.shape[1:]}, got {x.shape}")
    state = optimizer.init(x)
    path = [x]
    for g in gradients:
        x, state = optimizer.step(x, g, state)
        path.append(x)
    return np.stack(path)


def torch_path(
    make_optimizer: Callable,
    x0,
    steps: int,
    *,
    grad: Callable | None = None,
    loss: Callable | None = None,
    dtype=None,
) -> np.ndarray:
    r"""Iterates of a torch optimizer on one parameter vector :math:`x`, as a float64 array.

    Exactly one of ``grad`` and ``loss`` drives it: ``grad(x)`` (numpy in, numpy out, e.g.
    ``problem.grad``) is written into ``x.grad``; ``loss(x)`` (a torch scalar) is
    back-propagated.

    Args:
        make_optimizer: ``params -> torch.optim.Optimizer``, e.g.
            ``lambda p: torch.optim.RMSprop(p, lr=0.01)``.
        x0: the start, shape ``(dim,)``.
        steps: the number of optimizer steps :math:`T`.
        dtype: the parameter's torch dtype (default ``torch.float64``).

    Returns:
        ``(T+1, dim)`` array of :math:`x_0, \dots, x_T`.
    """
    import torch

    check_int("steps", steps, 0)
    if (grad is None) == (loss is None):
        raise ValueError("pass exactly one of grad (x -> gradient) and loss (x -> torch scalar)")
    x = torch.tensor(np.asarray(x0, dtype=float), dtype=dtype or torch.float64)
    x.requires_grad_(True)
    optimizer = make_optimizer([x])
    path = [x.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        if grad is not None:
            g = np.asarray(grad(x.detach().double().numpy()), dtype=float)
            x.grad = torch.from_numpy(g).to(x.dtype)
        else:
            loss(x).backward()
        optimizer.step()
        path.append(x.detach().clone())
    return torch.stack(path).double().numpy()


def tail_gaps(result, last: int | None = None, floor: float = 0.0) -> np.ndarray:
    r"""Per configuration of a :class:`rmslab.run.SweepResult`, the mean gap over the last steps.

    .. math:: s_i = \frac{1}{L} \sum_{t=T-L+1}^{T} \max\big(f(x_{t,i}) - f^*, \text{floor}\big)

    over the last ``L = last`` recorded steps (default: every step after the start). A
    configuration that diverged scores ``inf``; one that met ``tol`` early keeps its final gap
    for the steps it did not take. ``floor`` (> 0) keeps a geometric mean finite.

    Returns:
        shape ``(n,)``, in the sweep's configuration order.
    """
    steps = result.losses.shape[0] - 1
    last = steps if last is None else check_int("last", last, 1)
    if last > steps:
        raise ValueError(f"last must be an integer in [1, {steps}], got {last}")
    gaps = result.losses[-last:] - (result.min_value or 0.0)
    gaps = np.where(np.isnan(gaps), result.final_gaps, gaps)
    score = np.maximum(gaps, float(floor)).mean(axis=0)
    return np.where(result.diverged, np.inf, score)


def best_on_grid(result, scores, geometric: bool = False) -> dict:
    r"""The grid point with the smallest score averaged over seeds.

    ``scores`` has one entry per configuration (e.g. :func:`tail_gaps`); the average over seeds
    is arithmetic, or geometric (:math:`10^{\mathrm{mean}\,\log_{10} s}`) with
    ``geometric=True``; a grid point where any seed scored ``inf`` is never chosen.

    Returns:
        ``{name: value for each grid axis, "score": averaged score}``, e.g.
        ``{"lr": 0.1, "score": 1e-9}``.
    """
    scores = np.asarray(scores, dtype=float).reshape(result.shape)
    with np.errstate(divide="ignore"):
        per_point = 10 ** np.log10(scores).mean(axis=-1) if geometric else scores.mean(axis=-1)
    per_point = np.where(np.isinf(scores).any(axis=-1), np.inf, per_point)
    if not np.isfinite(per_point).any():
        raise ValueError("every grid point diverged for some seed, so there is no best one")
    index = np.unravel_index(np.argmin(per_point), per_point.shape)
    point = {k: float(v[i]) for (k, v), i in zip(result.grid.items(), index, strict=True)}
    return {**point, "score": float(per_point[index])}
