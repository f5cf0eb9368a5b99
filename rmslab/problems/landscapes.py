r"""Non-quadratic 2-D landscapes: the Rosenbrock valley and a plateau that ends in a cliff."""

from __future__ import annotations

import numpy as np

from rmslab.problems.base import Problem, check_positive


class Rosenbrock(Problem):
    r""":math:`f(x, y) = (a - x)^2 + b\,(y - x^2)^2`, minimizer :math:`(a, a^2)`, :math:`f^* = 0`.

    .. math:: \nabla f = \big(-2(a - x) - 4 b x (y - x^2),\; 2 b (y - x^2)\big)

    A curved, narrow valley: for :math:`a = 1, b = 100` the Hessian at the minimizer,
    :math:`\begin{pmatrix} 802 & -400 \\ -400 & 200 \end{pmatrix}`, has condition number about
    2500, and the valley floor bends, so no fixed coordinate scaling straightens it.
    """

    def __init__(self, a: float, b: float):
        super().__init__(
            f"Rosenbrock (a={a:g}, b={b:g})",
            2,
            [-1.2, 1.0],
            minimizer=[a, a * a],
            min_value=0.0,
            bounds=((-2.0, 2.0), (-1.0, 3.0)),
        )
        self.a, self.b = a, b

    def loss(self, x, t: int = 0) -> np.ndarray:
        x = self.check_x(x)
        u, v = x[..., 0], x[..., 1]
        return (self.a - u) ** 2 + self.b * (v - u * u) ** 2

    def grad(self, x, t: int = 0, rng=None) -> np.ndarray:
        x = self.check_x(x)
        u, v = x[..., 0], x[..., 1]
        gap = v - u * u
        return np.stack([-2 * (self.a - u) - 4 * self.b * u * gap, 2 * self.b * gap], axis=-1)


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Rosenbrock:
    """Rosenbrock's banana valley (start ``(-1.2, 1)``, plot window ``[-2, 2] x [-1, 3]``)."""
    a = float(a)
    if not np.isfinite(a):
        raise ValueError(f"a must be a finite number, got {a}")
    return Rosenbrock(a, check_positive("b", b))


def smoothstep(z):
    r""":math:`S(z) = 3z^2 - 2z^3` on :math:`[0, 1]`, 0 below and 1 above (C^1), and :math:`S'`."""
    z = np.clip(z, 0.0, 1.0)
    return z * z * (3 - 2 * z), 6 * z * (1 - z)


class PlateauCliff(Problem):
    r"""Plateau, cliff and walled valley along :math:`x_1`, a gentle bowl along :math:`x_2`.

    .. math::
        f(x) = H\,S\!\big(\tfrac{x_1 + w}{w}\big) + \epsilon x_1
               + \tfrac{c}{2} \min(x_1 - u_f, 0)^2 + \tfrac{c}{2} \max(x_1 - u_r, 0)^2
               + \tfrac{q}{2} x_2^2,
        \qquad u_f = -2w,\; u_r = 4,

    with :math:`S` the C^1 smoothstep. From right to left along :math:`x_1`:

    * right wall :math:`x_1 > 4`: curvature :math:`c` (keeps the plateau finite);
    * plateau :math:`0 < x_1 < 4` (start at 3): height :math:`\approx H`, slope only
      :math:`\epsilon`;
    * cliff :math:`-w < x_1 < 0`: drops by :math:`H`, slope up to :math:`1.5 H / w`;
    * valley floor :math:`u_f < x_1 < -w`: slope :math:`\epsilon`;
    * left wall :math:`x_1 < u_f`: curvature :math:`c`, which puts the minimizer at
      :math:`x_1^* = u_f - \epsilon / c` with :math:`f^* = \epsilon x_1^* + \epsilon^2 / (2c)`.

    Gradient descent moves :math:`\eta\epsilon` per step on the plateau, so crossing its length 3
    in :math:`T` steps needs :math:`\eta \ge 3/(\epsilon T)` (6 for :math:`T = 500` with the
    defaults), while the walls are stable only for :math:`\eta < 2/c` (0.2). Any single learning
    rate therefore either crawls on the plateau or is thrown over the cliff into a wall, where
    :math:`|1 - \eta c| > 1` makes it explode. A step normalised by the recent gradient scale
    (RMSProp) takes steps of about ``lr`` in every region.
    """

    right_edge = 4.0

    def __init__(self, height, slope, width, wall, bowl):
        floor_edge = -2 * width
        u_star = floor_edge - slope / wall
        super().__init__(
            f"plateau-cliff (H={height:g}, slope={slope:g}, c={wall:g})",
            2,
            [3.0, 1.0],
            minimizer=[u_star, 0.0],
            min_value=slope * u_star + slope**2 / (2 * wall),
            bounds=((-2.5, 4.5), (-1.5, 1.5)),
        )
        self.height, self.slope, self.width = height, slope, width
        self.wall, self.bowl, self.floor_edge = wall, bowl, floor_edge

    def walls(self, u):
        """Signed distance into the left and right walls (0 outside them)."""
        return np.minimum(u - self.floor_edge, 0.0), np.maximum(u - self.right_edge, 0.0)

    def loss(self, x, t: int = 0) -> np.ndarray:
        x = self.check_x(x)
        u, v = x[..., 0], x[..., 1]
        step, _ = smoothstep((u + self.width) / self.width)
        left, right = self.walls(u)
        return (
            self.height * step
            + self.slope * u
            + 0.5 * self.wall * (left**2 + right**2)
            + 0.5 * self.bowl * v**2
        )

    def grad(self, x, t: int = 0, rng=None) -> np.ndarray:
        x = self.check_x(x)
        u, v = x[..., 0], x[..., 1]
        _, dstep = smoothstep((u + self.width) / self.width)
        left, right = self.walls(u)
        du = self.height / self.width * dstep + self.slope + self.wall * (left + right)
        return np.stack([du, self.bowl * v], axis=-1)


def plateau_cliff(
    height: float = 1.0,
    slope: float = 1e-3,
    width: float = 0.5,
    wall: float = 10.0,
    bowl: float = 0.05,
) -> PlateauCliff:
    """Plateau (gradient ``slope``) ending in a cliff (gradient up to ``1.5 height / width``)
    above a valley; walls of curvature ``wall`` on both ends; ``bowl`` is the curvature along
    ``x_2``. Start ``(3, 1)``; see :class:`PlateauCliff` for the shape and why GD fails on it."""
    return PlateauCliff(
        check_positive("height", height),
        check_positive("slope", slope),
        check_positive("width", width),
        check_positive("wall", wall),
        check_positive("bowl", bowl),
    )
