r"""Measurements the chapters, labs, checkers and tests take from a run, written once.

* :func:`step_lengths`: how far each step moved, :math:`\ell_t = \lVert x_{t+1} - x_t \rVert_2`;
  :func:`coordinate_steps`: the steps coordinate by coordinate, :math:`x_{t,i} - x_{t+1,i}`.
* :func:`first_below`, :func:`first_above`: the first index :math:`t` with
  :math:`v_t < \mathrm{tol}` (:math:`v_t > \mathrm{level}`); :func:`settles_below`: the first
  index from which every value is below.
* :func:`convergence_rate`: the average factor per step by which a distance shrinks.
* :func:`gradient_path` and :func:`gradient_steps`: the iterates (the steps) of a numpy
  optimizer fed a given sequence of gradients (for example a constant one), with no objective;
  :func:`noisy_path`: its iterates on gradients with added Gaussian noise, for a batch of
  independent runs.
* :func:`torch_path`: the iterates of a ``torch.optim`` optimizer on one parameter vector,
  driven by an analytic gradient or by a loss; the chapters compare it with :func:`rmslab.run.run`.
* :func:`tail_gaps`, :func:`seed_average` and :func:`best_on_grid`: learning-rate (or any
  hyperparameter) tuning on a grid with seeds, from one :func:`rmslab.run.sweep`: score every
  configuration by its mean loss gap over the last steps, average over seeds, take the best
  grid point.

This module imports torch only inside :func:`torch_path`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmslab.validation import check_int


def iterates(path) -> np.ndarray:
    """``path`` (an array of iterates or a :class:`rmslab.run.Trajectory`) as a float array of
    shape ``(T+1, ...)``; ``ValueError`` for a scalar or an empty path."""
    xs = np.asarray(getattr(path, "xs", path), dtype=float)
    if xs.ndim == 0 or len(xs) < 1:
        raise ValueError(f"path must have shape (T+1, ...) with T >= 0, got shape {xs.shape}")
    return xs


def series(values, name: str, level) -> tuple[np.ndarray, float]:
    """``values`` as a 1-D float array and the threshold ``level`` (called ``name``) as a float;
    ``ValueError`` for another shape or a NaN threshold."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {values.shape}")
    level = float(level)
    if np.isnan(level):
        raise ValueError(f"{name} must be a number, got nan")
    return values, level


def step_lengths(path) -> np.ndarray:
    r"""Lengths of the steps of a path: :math:`\ell_t = \lVert x_{t+1} - x_t \rVert_2`.

    Args:
        path: the iterates :math:`x_0, \dots, x_T`, shape ``(T+1,)`` for one coordinate or
            ``(T+1, ..., dim)`` (the norm runs over the last axis), or a
            :class:`rmslab.run.Trajectory` (its ``xs``).

    Returns:
        ``(T,)`` (or ``(T, ...)``) float array; :math:`|x_{t+1} - x_t|` for a 1-D path.
    """
    xs = iterates(path)
    steps = np.diff(xs, axis=0)
    return np.abs(steps) if xs.ndim == 1 else np.linalg.norm(steps, axis=-1)


def coordinate_steps(path) -> np.ndarray:
    r"""The steps of a path coordinate by coordinate: :math:`s_{t,i} = x_{t,i} - x_{t+1,i}`.

    Signed: :math:`s_{t,i} > 0` where coordinate :math:`i` went down, so a descent step on a
    positive gradient is positive; :func:`step_lengths` is their Euclidean norm over the last
    axis. ``path`` is as for :func:`step_lengths`; returns shape ``(T, ...)``.
    """
    xs = iterates(path)
    return -np.diff(xs, axis=0)


def first_below(values, tol: float) -> int | None:
    r"""The first index :math:`t` with :math:`v_t < \mathrm{tol}`, or ``None`` if there is none.

    ``values`` is 1-D (a loss gap per step, step lengths, distances). NaN never counts as below.
    For "the first step count at which ...", add 1 when ``values[0]`` belongs to step 1.
    """
    values, tol = series(values, "tol", tol)
    below = np.flatnonzero(values < tol)
    return int(below[0]) if below.size else None


def first_above(values, level: float) -> int | None:
    r"""The first index :math:`t` with :math:`v_t > \mathrm{level}`, or ``None`` if there is none.

    The mirror of :func:`first_below` (``values`` 1-D; NaN never counts as above), e.g. the
    first step whose length is back above half its usual size.
    """
    values, level = series(values, "level", level)
    above = np.flatnonzero(values > level)
    return int(above[0]) if above.size else None


def settles_below(values, tol: float) -> int | None:
    r"""The first index :math:`t` from which every value is below: :math:`v_s < \mathrm{tol}`
    for all :math:`s \ge t`; ``None`` if the last value is not below.

    Unlike :func:`first_below`, a value that dips below and comes back up (an oscillating
    coordinate crossing 0) does not count: :math:`t` is one past the last index with
    :math:`v_s \ge \mathrm{tol}` (0 if there is none). ``values`` is 1-D; NaN never counts as
    below.
    """
    values, tol = series(values, "tol", tol)
    not_below = np.flatnonzero(~(values < tol))
    if not not_below.size:
        return 0
    return None if not_below[-1] == len(values) - 1 else int(not_below[-1]) + 1


def convergence_rate(
    distances,
    first: int | None = None,
    last: int | None = None,
    *,
    floor: float = 1e-12,
    divide_by_t: bool = False,
) -> float:
    r"""The average factor per step by which a distance to the minimum shrinks,

    .. math:: \rho = \Big(\frac{d_b}{d_a}\Big)^{1/(b - a)}

    between the indices :math:`a` = ``first`` and :math:`b` = ``last``, so that
    :math:`d_t \approx d_a \rho^{t - a}` there. With ``divide_by_t`` it is the same factor for
    :math:`d_t / t`: the rate of an error that behaves like :math:`t \rho^t`, as at a double
    root of the heavy ball.

    Args:
        distances: :math:`d_0, \dots, d_T`, 1-D (e.g. :math:`\lVert x_t - x^* \rVert`).
        first: default ``last // 2``, the second half of the usable run.
        last: default the last index with :math:`d_t > \mathrm{floor} \cdot d_0`: past it,
            rounding error rather than the method sets :math:`d_t`.
        floor: see ``last``.
    """
    d = np.asarray(distances, dtype=float)
    if d.ndim != 1 or len(d) < 2:
        raise ValueError(f"distances must be 1-D with at least 2 entries, got shape {d.shape}")
    if last is None:
        usable = np.flatnonzero(d > float(floor) * d[0])
        if not usable.size:
            raise ValueError(f"no distance is above floor * d_0 = {float(floor) * d[0]:g}")
        last = int(usable[-1])
    last = check_int("last", last, 1)
    first = last // 2 if first is None else check_int("first", first, 0)
    if not first < last < len(d):
        raise ValueError(
            f"first and last must satisfy first < last <= {len(d) - 1}, got {first} and {last}"
        )
    if divide_by_t and first == 0:
        raise ValueError("first must be >= 1 with divide_by_t (d_0 / 0 is undefined)")
    end, start = d[last], d[first]
    if divide_by_t:
        end, start = end / last, start / first
    return float((end / start) ** (1 / (last - first)))


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
        The iterates, shape ``(T+1, *x_shape)``; :func:`coordinate_steps` of it are the steps.
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


def gradient_field_path(optimizer, grad: Callable, x0, steps: int) -> np.ndarray:
    r"""Iterates of an ``rmslab.optim`` optimizer on a gradient field :math:`g(x)`:

    .. math:: x_{t+1} = \mathrm{step}(x_t, g(x_t)), \qquad t = 0, \dots, T-1,

    the plain loop the labs' reference answers run (unlike :func:`rmslab.run.run`, no problem
    object, stopping rule or divergence guard). Shape ``(steps + 1, *x0.shape)``.
    """
    xs = [np.asarray(x0, dtype=float)]
    state = optimizer.init(xs[0])
    for _ in range(check_int("steps", steps, low=0)):
        x, state = optimizer.step(xs[-1], grad(xs[-1]), state)
        xs.append(x)
    return np.array(xs)


def gradient_steps(optimizer, gradients, x0=None) -> np.ndarray:
    r"""The steps :math:`s_t = x_t - x_{t+1}`, per coordinate, of an ``rmslab.optim`` optimizer
    fed the gradients :math:`g_0, \dots, g_{T-1}`: :func:`coordinate_steps` of
    :func:`gradient_path` (same arguments). Shape ``(T, *x_shape)``; with ``lr = 1`` the steps
    come out in units of the learning rate.
    """
    return coordinate_steps(gradient_path(optimizer, gradients, x0))


def noisy_path(optimizer, x0, steps: int, sigma, rng, grad: Callable | None = None):
    r"""Iterates of an ``rmslab.optim`` optimizer on noisy gradients,

    .. math:: x_{t+1} = \mathrm{step}(x_t, g_t), \qquad
              g_t = \nabla f(x_t) + \sigma \odot \xi_t, \quad \xi_t \sim N(0, I),

    with :math:`\nabla f(x) = x` (:math:`f(x) = \tfrac12 \lVert x \rVert^2`) unless ``grad``
    says otherwise. Every step draws :math:`\xi_t` of ``x0``'s shape from ``rng``, in order, so
    the rows of ``x0`` are independent runs sharing one generator (unlike
    :func:`rmslab.problems.noisy`, where each run has its own seed).

    Args:
        optimizer: an :class:`rmslab.optim.Optimizer`.
        x0: the start, e.g. shape ``(runs, k)``: ``runs`` copies of ``k`` settings.
        steps: the number of steps :math:`T`.
        sigma: the noise scale, broadcast against ``x0`` (e.g. one per column).
        rng: a ``numpy.random.Generator``.
        grad: ``x -> \nabla f(x)``, the gradient without noise (e.g. ``lambda x: 1.0``).

    Returns:
        The iterates, shape ``(T+1, *x0.shape)``.
    """
    steps = check_int("steps", steps, 0)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {rng!r}")
    x = np.array(x0, dtype=float)
    try:
        fits = np.broadcast_shapes(np.shape(sigma), x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"sigma must broadcast to x0's shape {x.shape}, got shape {np.shape(sigma)}"
        )

    def noisy(x):
        return (x if grad is None else grad(x)) + sigma * rng.standard_normal(x.shape)

    return gradient_field_path(optimizer, noisy, x, steps)


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


def tail_gaps(
    result, last: int | None = None, floor: float = 0.0, until: int | None = None
) -> np.ndarray:
    r"""Per configuration of a :class:`rmslab.run.SweepResult`, the mean gap over the last steps.

    .. math:: s_i = \frac{1}{L} \sum_{t=U-L+1}^{U} \max\big(f(x_{t,i}) - f^*, \text{floor}\big)

    over the last ``L = last`` steps up to step ``U = until`` (default: the end of the sweep;
    ``last`` defaults to every step after the start). With ``until``, the sweep is scored as if
    it had stopped at step ``U``: tuning on the first ``U`` steps of a longer run. A
    configuration that diverged by step ``U`` scores ``inf``; one that met ``tol`` early keeps
    its final gap for the steps it did not take. ``floor`` (> 0) keeps a geometric mean finite.

    Returns:
        shape ``(n,)``, in the sweep's configuration order.
    """
    steps = result.losses.shape[0] - 1
    until = steps if until is None else check_int("until", until, 1)
    if until > steps:
        raise ValueError(f"until must be an integer in [1, {steps}], got {until}")
    last = until if last is None else check_int("last", last, 1)
    if last > until:
        raise ValueError(f"last must be an integer in [1, {until}], got {last}")
    gaps = result.losses[until + 1 - last : until + 1] - (result.min_value or 0.0)
    gaps = np.where(np.isnan(gaps), result.final_gaps, gaps)
    score = np.maximum(gaps, float(floor)).mean(axis=0)
    diverged = result.diverged & (result.diverged_at <= until)
    return np.where(diverged, np.inf, score)


def seed_average(result, scores, geometric: bool = False) -> np.ndarray:
    r"""Per grid point, the score averaged over seeds: arithmetic, or geometric
    (:math:`10^{\mathrm{mean}\,\log_{10} s}`) with ``geometric=True``; ``inf`` where any seed
    scored ``inf``.

    ``scores`` has one entry per configuration (e.g. :func:`tail_gaps`). Returns an array of
    shape ``result.shape[:-1]`` (one axis per grid axis).
    """
    scores = np.asarray(scores, dtype=float).reshape(result.shape)
    with np.errstate(divide="ignore"):
        per_point = 10 ** np.log10(scores).mean(axis=-1) if geometric else scores.mean(axis=-1)
    return np.where(np.isinf(scores).any(axis=-1), np.inf, per_point)


def best_on_grid(result, scores, geometric: bool = False) -> dict:
    r"""The grid point with the smallest score averaged over seeds (:func:`seed_average`).

    ``scores`` has one entry per configuration (e.g. :func:`tail_gaps`); the average over seeds
    is arithmetic, or geometric with ``geometric=True``; a grid point where any seed scored
    ``inf`` is never chosen.

    Returns:
        ``{name: value for each grid axis, "score": averaged score}``, e.g.
        ``{"lr": 0.1, "score": 1e-9}``.
    """
    per_point = seed_average(result, scores, geometric)
    if not np.isfinite(per_point).any():
        raise ValueError("every grid point diverged for some seed, so there is no best one")
    index = np.unravel_index(np.argmin(per_point), per_point.shape)
    point = {k: float(v[i]) for (k, v), i in zip(result.grid.items(), index, strict=True)}
    return {**point, "score": float(per_point[index])}
