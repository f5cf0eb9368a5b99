r"""Objectives that change with the step index ``t`` (0-based).

* :func:`moving_minimum`: a bowl whose centre jumps or drifts, to show how fast an optimizer's
  memory (Adagrad's growing sum vs RMSProp's moving average) lets it follow a new optimum.
* :func:`reddi_counterexample`: the online convex problem on which RMSProp/Adam fail to
  converge (Reddi, Kale & Kumar, ICLR 2018).
"""

from __future__ import annotations

import numpy as np

from rmslab.problems.base import Problem, check_int, check_positive

MOVES = ("jump", "drift")


class MovingMinimum(Problem):
    r""":math:`f_t(x) = \tfrac12 \sum_i s_i (x_i - c_{t,i})^2`, :math:`\nabla f_t = s \odot
    (x - c_t)`, :math:`f_t^* = 0` for every ``t``; the centre is ``minimizer_at(t)``:

    * ``"jump"``: :math:`c_t = (-1)^{\lfloor t / P \rfloor} r\, \mathbf 1 / \sqrt{dim}`, flipping
      sides every ``period`` :math:`P` steps;
    * ``"drift"``: :math:`c_t = r\,(\cos(2\pi t/P), \sin(2\pi t/P), 0, \dots)`, one lap every
      :math:`P` steps.

    ``minimizer`` is ``None`` because it depends on ``t``.
    """

    def __init__(self, move, period, radius, scales):
        dim = scales.size
        reach = radius + 1.0
        super().__init__(
            f"moving minimum ({move}, period={period})",
            dim,
            np.zeros(dim),
            min_value=0.0,
            bounds=((-reach, reach),) * 2,
        )
        self.move, self.period, self.radius, self.scales = move, period, radius, scales

    def minimizer_at(self, t) -> np.ndarray:
        """Centre :math:`c_t`; ``t`` may be an int or an array of steps (shape ``(..., dim)``)."""
        t = np.asarray(t)
        if self.move == "jump":
            sign = np.where((t // self.period) % 2 == 0, 1.0, -1.0)
            return sign[..., None] * np.full(self.dim, self.radius / np.sqrt(self.dim))
        phase = 2 * np.pi * t / self.period
        centre = np.zeros(t.shape + (self.dim,))
        centre[..., 0], centre[..., 1] = self.radius * np.cos(phase), self.radius * np.sin(phase)
        return centre

    def loss(self, x, t: int = 0) -> np.ndarray:
        d = self.check_x(x) - self.minimizer_at(t)
        return 0.5 * np.sum(self.scales * d * d, axis=-1)

    def grad(self, x, t: int = 0, rng=None) -> np.ndarray:
        return self.scales * (self.check_x(x) - self.minimizer_at(t))


def moving_minimum(move: str = "jump", period: int = 100, radius: float = 2.0, scales=(1.0, 1.0)):
    """Bowl with curvatures ``scales`` whose centre jumps between :math:`\\pm r` or drifts on a
    circle of radius ``radius`` (see :class:`MovingMinimum`); start at the origin."""
    if move not in MOVES:
        raise ValueError(f"move must be one of {MOVES}, got {move!r}")
    period = check_int("period", period, 1)
    radius = check_positive("radius", radius)
    scales = np.asarray(scales, dtype=float)
    if scales.ndim != 1 or not np.all(np.isfinite(scales) & (scales > 0)):
        raise ValueError(f"scales must be a 1-D sequence of values in (0, inf), got {scales}")
    if move == "drift" and scales.size < 2:
        raise ValueError(f"scales must have length >= 2 for move='drift', got {scales.size}")
    return MovingMinimum(move, period, radius, scales)


class ReddiCounterexample(Problem):
    r"""Online linear losses on :math:`\mathcal F = [-1, 1]` (Reddi, Kale & Kumar 2018, Sec. 3):

    .. math:: f_t(x) = \begin{cases} C x & t \bmod 3 = 0 \\ -x & \text{otherwise} \end{cases}

    (the paper counts from :math:`t = 1` and writes :math:`t \bmod 3 = 1`; here ``t`` is
    0-based). Every 3 steps the losses add up to :math:`(C - 2) x`, so for :math:`C > 2` the best
    fixed point is :math:`x^* = -1` (``minimizer``). RMSProp / Adam with :math:`\beta_1 = 0` and
    :math:`\beta_2 = 1/(1 + C^2)` forget the rare large gradient :math:`C` within a step or two,
    take three steps of about the same size, and drift to :math:`+1`, the worst point, with
    linear regret. Start :math:`x_0 = 1` as in the paper; ``project`` clips to :math:`[-1, 1]`.
    ``min_value`` is ``None``: the per-step losses are linear with changing sign, so measure
    progress with :meth:`average_loss` and :meth:`regret` instead.
    """

    def __init__(self, C: float):
        super().__init__(f"Reddi et al. counterexample (C={C:g})", 1, [1.0], minimizer=[-1.0])
        self.C = C

    def coefficient(self, t) -> np.ndarray:
        """Slope of :math:`f_t`: ``C`` when ``t % 3 == 0``, else ``-1``."""
        return np.where(np.asarray(t) % 3 == 0, self.C, -1.0)

    def loss(self, x, t: int = 0) -> np.ndarray:
        return self.coefficient(t) * self.check_x(x)[..., 0]

    def grad(self, x, t: int = 0, rng=None) -> np.ndarray:
        return np.broadcast_to(self.coefficient(t), self.check_x(x).shape).astype(float)

    def project(self, x) -> np.ndarray:
        return np.clip(x, -1.0, 1.0)

    def average_loss(self, x) -> np.ndarray:
        r"""Loss per step averaged over a period of 3: :math:`(C - 2) x / 3`."""
        return (self.C - 2.0) / 3.0 * self.check_x(x)[..., 0]

    def regret(self, xs) -> np.ndarray:
        r"""Regret :math:`R_T = \sum_{t<T} f_t(x_t) - \min_{x \in [-1, 1]} \sum_{t<T} f_t(x)`
        for every prefix :math:`T = 1, \dots, len(xs)`; ``xs`` has shape ``(T, ..., 1)`` (e.g.
        ``Trajectory.xs``). The comparator is :math:`-|\sum_{t<T} a_t|` for slopes :math:`a_t`."""
        xs = self.check_x(xs)
        steps = np.arange(xs.shape[0]).reshape((-1,) + (1,) * (xs.ndim - 2))
        slopes = self.coefficient(steps)
        best = -np.abs(np.cumsum(slopes, axis=0))
        return np.cumsum(slopes * xs[..., 0], axis=0) - best


def reddi_counterexample(C: float = 3.0) -> ReddiCounterexample:
    """The Reddi-Kale-Kumar online problem; ``C`` must exceed 2 so that :math:`x^* = -1`."""
    C = float(C)
    if not (np.isfinite(C) and C > 2):
        raise ValueError(f"C must be finite and in (2, inf), got {C}")
    return ReddiCounterexample(C)
