r"""Run a functional optimizer on a problem and record what happened.

``run`` performs, for :math:`t = 0, 1, \dots`,

.. math:: g_t = \nabla f_t(x_t) \;(\text{or a stochastic estimate}), \qquad
          x_{t+1} = \Pi\big(\mathrm{step}(x_t, g_t)\big),

where :math:`\Pi` is ``problem.project``, and records positions, losses :math:`f_t(x_t)`,
gradient norms :math:`\|g_t\|_2` and the per-coordinate effective step size
:math:`\eta^{\mathrm{eff}}_{t,i} = -(x_{t+1,i} - x_{t,i}) / g_{t,i}` (``nan`` where
:math:`g_{t,i} = 0`). For plain gradient descent it equals ``lr``; for RMSProp it is
:math:`\eta / (\sqrt{v_{t,i}} + \epsilon)`. It is measured on the projected iterate, so on a
constrained problem a clipped step shows up as a smaller effective step.

``sweep`` runs a whole grid of hyperparameters times seeds as one batch of shape ``(n, dim)``,
with per-configuration stopping, and returns a :class:`SweepResult`. :func:`compared_methods`
and :data:`LR_GRID` are the methods and learning rates the book tunes side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmslab import optim
from rmslab.measure import best_on_grid
from rmslab.problems.base import Problem
from rmslab.validation import check_int, check_positive


@dataclass(frozen=True)
class Trajectory:
    """The record of one run.

    Attributes:
        xs: positions :math:`x_0, \\dots, x_T`, shape ``(T+1, ..., dim)``.
        losses: :math:`f_t(x_t)`, shape ``(T+1, ...)``.
        grad_norms: :math:`\\|g_t\\|_2` for :math:`t < T`, shape ``(T, ...)``.
        effective_lr: :math:`-(x_{t+1} - x_t)/g_t` per coordinate, shape ``(T, ..., dim)``.
        diverged_at: index of the first iterate that was non-finite or had
            ``|loss| > divergence`` (not stored; ``len(xs) == diverged_at``), else ``None``.
        converged_at: step at which the stopping rule ``tol`` fired, else ``None``.
        name: the optimizer's name.
        min_value: the problem's :math:`f^*` (``None`` if unknown).
    """

    xs: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    effective_lr: np.ndarray
    diverged_at: int | None
    converged_at: int | None
    name: str
    min_value: float | None = None

    @property
    def steps(self) -> int:
        """Number of optimizer steps recorded, :math:`T`."""
        return len(self.grad_norms)

    @property
    def gaps(self) -> np.ndarray:
        """:math:`f_t(x_t) - f^*` if ``min_value`` is known, else the raw losses."""
        return self.losses if self.min_value is None else self.losses - self.min_value


def iterate_ok(x, g, loss, divergence: float) -> np.ndarray:
    """Per-row validity of an iterate: finite ``x``, ``g`` and loss, ``|loss| <= divergence``.

    Returns a bool array of shape ``loss.shape``.
    """
    finite = np.isfinite(x).all(axis=-1) & np.isfinite(g).all(axis=-1) & np.isfinite(loss)
    return finite & (np.abs(loss) <= divergence)


def effective_step(x, x_new, g) -> np.ndarray:
    """:math:`-(x_{t+1} - x_t) / g_t` elementwise, ``nan`` where :math:`g_t = 0`."""
    safe_g = np.where(g == 0, 1.0, g)
    return np.where(g == 0, np.nan, -(x_new - x) / safe_g)


def check_run_args(problem, steps, tol, divergence) -> None:
    """Validate the arguments shared by ``run`` and ``sweep``."""
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be an rmslab Problem, got {type(problem).__name__}")
    check_int("steps", steps, 1)
    if tol is not None:
        check_positive("tol", tol, allow_zero=True)
    if not (float(divergence) > 0):
        raise ValueError(f"divergence must be in (0, inf], got {divergence}")


def is_functional_optimizer(obj) -> bool:
    """True for an ``rmslab.optim`` Optimizer or anything else with ``init`` and ``step``."""
    return callable(getattr(obj, "init", None)) and callable(getattr(obj, "step", None))


def scheduled(optimizer, lr_schedule):
    """A function ``t -> the optimizer for step t`` (see ``lr_schedule`` in :func:`run`)."""
    is_optimizer = is_functional_optimizer(optimizer)
    if lr_schedule is None:
        if not is_optimizer:
            raise TypeError(
                "optimizer must be an rmslab.optim Optimizer such as optim.rmsprop() (an object "
                f"with init and step), got {type(optimizer).__name__}; a function "
                "lr -> Optimizer needs lr_schedule"
            )
        return lambda t: optimizer
    if not callable(lr_schedule):
        raise TypeError(f"lr_schedule must be a function t -> lr, got {lr_schedule!r}")
    if is_optimizer or not callable(optimizer):
        raise TypeError(
            "with lr_schedule, optimizer must be a function lr -> Optimizer, for example "
            f"lambda lr: optim.rmsprop(lr=lr), got {type(optimizer).__name__}"
        )

    def optimizer_at(t: int):
        built = optimizer(lr_schedule(t))
        if not is_functional_optimizer(built):
            raise TypeError(
                f"optimizer(lr) must return an rmslab.optim Optimizer, got {type(built).__name__}"
            )
        return built

    return optimizer_at


def start_point(problem: Problem, x0) -> np.ndarray:
    """``x0`` (or ``problem.x0``) as a fresh float array, projected onto the feasible set."""
    x = problem.check_x(problem.x0 if x0 is None else x0).copy()
    return np.asarray(problem.project(x), dtype=float)


def run(
    optimizer,
    problem: Problem,
    steps: int = 200,
    x0=None,
    seed: int = 0,
    tol: float | None = None,
    divergence: float = 1e6,
    lr_schedule=None,
) -> Trajectory:
    """Run ``optimizer`` (an ``rmslab.optim`` Optimizer) for up to ``steps`` steps on ``problem``.

    Args:
        lr_schedule: a function ``t -> lr`` for a step size that changes over time (for example
            ``lambda t: 0.5 / np.sqrt(t + 1)``). ``optimizer`` must then be a function
            ``lr -> Optimizer`` (for example ``lambda lr: optim.adam(lr=lr, amsgrad=True)``);
            step ``t = 0, 1, ...`` is taken by ``optimizer(lr_schedule(t))`` with the state
            carried over, so the result is the same as rebuilding the optimizer by hand.
        x0: start (default ``problem.x0``); may carry leading batch axes ``(..., dim)``.
        seed: seeds ``np.random.default_rng(seed)``, passed to ``problem.grad`` as ``rng``.
        tol: stop once :math:`f_t(x_t) - f^* \\le` ``tol`` (``converged_at = t``); if the problem
            has no known :math:`f^*`, stop once :math:`\\|g_t\\| \\le` ``tol`` before stepping.
            For a batched ``x0`` every row must satisfy it.
        divergence: stop before recording the first iterate :math:`x_t` whose loss is not finite
            or exceeds ``divergence`` in absolute value (``diverged_at = t``); for a batched ``x0``
            any row triggers it. No numpy floating-point warnings are emitted.
    """
    check_run_args(problem, steps, tol, divergence)
    optimizer_at = scheduled(optimizer, lr_schedule)
    optimizer = optimizer_at(0)
    rng = np.random.default_rng(seed)
    x = start_point(problem, x0)
    with np.errstate(all="ignore"):
        loss = problem.loss(x, 0)
    if not np.all(iterate_ok(x, np.zeros_like(x), loss, divergence)):
        raise ValueError(f"x0 must give a finite loss below divergence={divergence}, got {loss}")
    known_min = tol is not None and problem.min_value is not None
    xs, losses, grad_norms, eff = [x], [loss], [], []
    diverged_at = converged_at = None
    if known_min and np.all(loss - problem.min_value <= tol):
        converged_at = 0
    state = optimizer.init(x)
    with np.errstate(all="ignore"):
        for t in range(steps if converged_at is None else 0):
            g = np.asarray(problem.grad(x, t, rng), dtype=float)
            g_norm = np.linalg.norm(g, axis=-1)
            if tol is not None and not known_min and np.all(g_norm <= tol):
                converged_at = t
                break
            x_new, state = optimizer_at(t).step(x, g, state)
            x_new = np.asarray(problem.project(x_new), dtype=float)
            loss = problem.loss(x_new, t + 1)
            if not np.all(iterate_ok(x_new, g, loss, divergence)):
                diverged_at = t + 1
                break
            xs.append(x_new)
            losses.append(loss)
            grad_norms.append(g_norm)
            eff.append(effective_step(x, x_new, g))
            x = x_new
            if known_min and np.all(loss - problem.min_value <= tol):
                converged_at = t + 1
                break
    return Trajectory(
        xs=np.stack(xs),
        losses=np.stack(losses),
        grad_norms=np.array(grad_norms).reshape((len(xs) - 1,) + x.shape[:-1]),
        effective_lr=np.array(eff).reshape((len(xs) - 1,) + x.shape),
        diverged_at=diverged_at,
        converged_at=converged_at,
        name=getattr(optimizer, "name", type(optimizer).__name__),
        min_value=problem.min_value,
    )


@dataclass(frozen=True)
class SweepResult:
    """Outcome of :func:`sweep`: one row per configuration (grid point x seed), in C order over
    ``(*grid axes, seeds)`` so that ``values.reshape(result.shape)`` indexes ``[i_1, ..., seed]``.

    Attributes:
        grid: hyperparameter name -> the axis values swept.
        seeds: the seeds.
        params: name -> per-configuration value, shape ``(n,)``; ``seed``: per-configuration seed.
        losses: :math:`f_t(x_t)` per configuration, shape ``(T+1, n)``; ``nan`` after a
            configuration diverged or converged.
        final_losses: last recorded loss, ``inf`` for diverged configurations, shape ``(n,)``.
        final_xs: last recorded position, shape ``(n, dim)``.
        diverged_at / converged_at: step index as in :class:`Trajectory`, ``-1`` if it never
            happened.
        name: optimizer name; ``min_value``: the problem's :math:`f^*` or ``None``.
    """

    grid: dict
    seeds: tuple
    params: dict
    seed: np.ndarray
    losses: np.ndarray
    final_losses: np.ndarray
    final_xs: np.ndarray
    diverged_at: np.ndarray
    converged_at: np.ndarray
    name: str
    min_value: float | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        """``(*len(axis) for each grid axis, len(seeds))``."""
        return tuple(len(v) for v in self.grid.values()) + (len(self.seeds),)

    @property
    def diverged(self) -> np.ndarray:
        """Bool per configuration."""
        return self.diverged_at >= 0

    @property
    def final_gaps(self) -> np.ndarray:
        """:math:`f(x_T) - f^*` per configuration (raw loss if :math:`f^*` is unknown)."""
        return self.final_losses - (self.min_value or 0.0)

    def config(self, i: int) -> dict:
        """Hyperparameters and seed of configuration ``i``."""
        return {**{k: float(v[i]) for k, v in self.params.items()}, "seed": int(self.seed[i])}

    def mean_over_seeds(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of the final gap over seeds, each of shape
        ``self.shape[:-1]``; a grid point where any seed diverged has mean ``inf``, std ``nan``."""
        gaps = self.final_gaps.reshape(self.shape)
        any_diverged = self.diverged.reshape(self.shape).any(axis=-1)
        finite = np.where(np.isfinite(gaps), gaps, 0.0)
        mean = np.where(any_diverged, np.inf, finite.mean(axis=-1))
        std = np.where(any_diverged, np.nan, finite.std(axis=-1))
        return mean, std

    def best(self) -> dict:
        """Grid point with the smallest mean final gap over seeds, e.g.
        ``{"lr": 0.1, "beta": 0.9, "final_gap": 1e-9}`` (see :func:`rmslab.measure.best_on_grid`;
        a grid point where a seed diverged is never chosen)."""
        point = best_on_grid(self, self.final_gaps)
        return {**{k: v for k, v in point.items() if k != "score"}, "final_gap": point["score"]}


def select_rows(mask: np.ndarray, new, old):
    """Rows of ``new`` where ``mask`` else rows of ``old``, field by field for a NamedTuple state;
    fields that are not per-row arrays (the shared ``step`` counter, ``None``) are taken from
    ``new``."""
    n = mask.shape[0]

    def pick(a, b):
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape[:1] == (n,):
            return np.where(mask.reshape((n,) + (1,) * (a.ndim - 1)), a, b)
        return a

    if isinstance(new, np.ndarray):
        return pick(new, old)
    return type(new)(*(pick(a, b) for a, b in zip(new, old, strict=True)))


def sweep_grid(grid: dict, seeds) -> tuple[dict, dict, np.ndarray]:
    """Validate ``grid`` and ``seeds`` and build the cartesian product in C order."""
    if not isinstance(grid, dict) or not grid:
        raise ValueError(f"grid must be a non-empty dict name -> values, got {grid!r}")
    axes = {}
    for key, values in grid.items():
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"grid[{key!r}] must be a non-empty 1-D sequence, got {values!r}")
        axes[key] = values
    seeds = [check_int("seeds entries", s, 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must contain at least one seed, got none")
    mesh = np.meshgrid(*axes.values(), np.array(seeds), indexing="ij")
    params = {key: m.ravel() for key, m in zip(axes, mesh[:-1], strict=True)}
    return axes, params, mesh[-1].ravel().astype(int)


def sweep(
    factory,
    problem: Problem,
    grid: dict,
    seeds=(0,),
    steps: int = 200,
    fixed: dict | None = None,
    x0=None,
    tol: float | None = None,
    divergence: float = 1e6,
) -> SweepResult:
    """Run every combination of ``grid`` values and ``seeds`` as one batch.

    With :math:`n = \\prod_k |\\mathrm{grid}_k| \\cdot |\\mathrm{seeds}|` configurations, the
    optimizer is built once as ``factory(**fixed, name=array of shape (n, 1), ...)`` and stepped
    on ``x`` of shape ``(n, dim)``, so broadcasting applies hyperparameter :math:`i` to row
    :math:`i`. Row :math:`i` draws its stochastic gradients from its own
    ``np.random.default_rng(seed_i)``, so it reproduces ``run(factory(**config_i), problem,
    seed=seed_i)`` step for step. A configuration that diverges or converges (same rules as
    :func:`run`) is frozen and recorded; the others carry on.

    A grid name must be a keyword of ``factory``; to sweep something else, such as Adam's
    :math:`\\beta_2` inside ``betas``, pass a small wrapper:
    ``sweep(lambda lr, beta2: optim.adam(lr=lr, betas=(0.9, beta2)), problem,
    {"lr": ..., "beta2": ...})``.
    """
    check_run_args(problem, steps, tol, divergence)
    axes, params, seed = sweep_grid(grid, seeds)
    n = seed.size
    optimizer = factory(**(fixed or {}), **{k: v[:, None] for k, v in params.items()})
    rngs = [np.random.default_rng(s) for s in seed]
    start = start_point(problem, x0)
    if start.ndim != 1:
        raise ValueError(f"x0 must have shape ({problem.dim},) for a sweep, got {start.shape}")
    x = np.tile(start, (n, 1))
    losses = np.full((steps + 1, n), np.nan)
    losses[0] = problem.loss(x, 0)
    if not np.all(iterate_ok(x, np.zeros_like(x), losses[0], divergence)):
        raise ValueError(f"x0 must give a finite loss below divergence={divergence}")
    diverged_at = np.full(n, -1)
    converged_at = np.full(n, -1)
    known_min = tol is not None and problem.min_value is not None
    active = np.ones(n, dtype=bool)
    if known_min:
        converged_at[losses[0] - problem.min_value <= tol] = 0
        active &= converged_at < 0
    final = losses[0].copy()
    state = optimizer.init(x)
    with np.errstate(all="ignore"):
        for t in range(steps):
            if not active.any():
                break
            g = np.asarray(problem.grad(x, t, rngs), dtype=float)
            if tol is not None and not known_min:
                small = active & (np.linalg.norm(g, axis=-1) <= tol)
                converged_at[small] = t
                active &= ~small
            x_new, state_new = optimizer.step(x, g, state)
            x_new = np.asarray(problem.project(x_new), dtype=float)
            loss = problem.loss(x_new, t + 1)
            bad = active & ~iterate_ok(x_new, g, loss, divergence)
            diverged_at[bad] = t + 1
            active &= ~bad
            x = np.where(active[:, None], x_new, x)
            state = select_rows(active, state_new, state)
            losses[t + 1] = np.where(active, loss, np.nan)
            final = np.where(active, loss, final)
            if known_min:
                done = active & (loss - problem.min_value <= tol)
                converged_at[done] = t + 1
                active &= ~done
    return SweepResult(
        grid=axes,
        seeds=tuple(int(s) for s in seeds),
        params=params,
        seed=seed,
        losses=losses,
        final_losses=np.where(diverged_at >= 0, np.inf, final),
        final_xs=x,
        diverged_at=diverged_at,
        converged_at=converged_at,
        name=getattr(optimizer, "name", type(optimizer).__name__),
        min_value=problem.min_value,
    )


#: The learning rates every method of a tuned comparison tries:
#: :math:`\eta_k = 10^{-3 + k/3}`, :math:`k = 0, \dots, 12` (13 values log-spaced from
#: :math:`10^{-3}` to 10), one :func:`sweep` batch per method. Read-only.
LR_GRID = np.geomspace(1e-3, 10.0, 13)
LR_GRID.flags.writeable = False


def compared_methods() -> dict:
    r"""The five methods the book tunes side by side (the toy scoreboard, Chapter 5's moving
    minimum and rotation sweep), as ``{label: (factory, fixed keywords)}`` for :func:`sweep`.

    Everything but the learning rate is a common default: ``"GD"`` (:math:`x - \eta g`),
    ``"momentum"`` (heavy ball, :math:`\mu = 0.9`), ``"Adagrad"`` (:math:`\epsilon = 10^{-10}`),
    and RMSProp (:math:`\epsilon = 10^{-8}`) twice: ``"RMSProp 0.9"`` with :math:`\beta = 0.9`
    (Keras, TensorFlow, optax) and ``"RMSProp 0.99"`` with :math:`\beta = 0.99` (PyTorch).
    A new dict on every call, so a notebook may change its copy.
    """
    return {
        "GD": (optim.gd, {}),
        "momentum": (optim.momentum, {"momentum": 0.9}),
        "Adagrad": (optim.adagrad, {}),
        "RMSProp 0.9": (optim.rmsprop, {"beta": 0.9}),
        "RMSProp 0.99": (optim.rmsprop, {"beta": 0.99}),
    }
