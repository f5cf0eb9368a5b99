r"""Measurements the chapters, labs, checkers and tests take from a run, written once.

* :func:`step_lengths`: how far each step moved, :math:`\ell_t = \lVert x_{t+1} - x_t \rVert_2`.
* :func:`first_below`: the first index :math:`t` with :math:`v_t < \mathrm{tol}`.
* :func:`gradient_path`: the iterates of a numpy optimizer fed a given sequence of gradients
  (for example a constant one), with no objective at all.
* :func:`torch_path`: the iterates of a ``torch.optim`` optimizer on one parameter vector,
  driven by an analytic gradient or by a loss; the chapters compare it with :func:`rmslab.run.run`.

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
