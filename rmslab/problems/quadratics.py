r"""Quadratic bowls :math:`f(x) = \tfrac12 x^\top A x` with controlled curvature.

The Hessian is :math:`A` everywhere, so the eigenvalues of :math:`A` (the curvatures) decide
everything: gradient descent with step :math:`\eta` converges iff :math:`\eta < 2/L`, and the
slowest direction contracts by :math:`|1 - \eta\mu|` per step, where :math:`\mu` and :math:`L`
are the smallest and largest eigenvalues and :math:`\kappa = L/\mu` is the condition number.
"""

from __future__ import annotations

import numpy as np

from rmslab.problems.base import Problem, check_int, check_positive


class Quadratic(Problem):
    r""":math:`f(x) = \tfrac12 x^\top A x`, :math:`\nabla f(x) = A x`, minimizer 0, :math:`f^* = 0`.

    Attributes ``A`` (symmetric positive definite, shape ``(dim, dim)``), ``mu`` and ``L`` (its
    extreme eigenvalues) and ``kappa = L / mu``.
    """

    def __init__(self, A, name: str, x0, bounds=None):
        A = np.asarray(A, dtype=float)
        dim = A.shape[0]
        super().__init__(name, dim, x0, minimizer=np.zeros(dim), min_value=0.0, bounds=bounds)
        self.A = A
        eigenvalues = np.linalg.eigvalsh(A)
        self.mu = float(eigenvalues[0])
        self.L = float(eigenvalues[-1])
        self.kappa = self.L / self.mu

    def loss(self, x, t: int = 0) -> np.ndarray:
        x = self.check_x(x)
        return 0.5 * np.sum((x @ self.A) * x, axis=-1)

    def grad(self, x, t: int = 0, rng=None) -> np.ndarray:
        return self.check_x(x) @ self.A


def rotation(angle: float, dim: int) -> np.ndarray:
    r"""Rotation by ``angle`` radians in the plane of the first two coordinates.

    .. math:: R = \begin{pmatrix} \cos\theta & -\sin\theta \\ \sin\theta & \cos\theta \end{pmatrix}
              \oplus I_{dim-2}
    """
    c, s = np.cos(angle), np.sin(angle)
    R = np.eye(dim)
    R[:2, :2] = [[c, -s], [s, c]]
    return R


def quadratic(kappa: float = 10.0, dim: int = 2, angle: float = 0.0, L: float = 1.0) -> Quadratic:
    r"""Ill-conditioned quadratic :math:`f(x) = \tfrac12 x^\top A x`, :math:`A = R D R^\top`.

    :math:`D = \mathrm{diag}(\lambda_1, \dots, \lambda_{dim})` with eigenvalues log-spaced from
    :math:`\mu = L/\kappa` (coordinate 0, the flat direction) up to :math:`L` (last coordinate),
    :math:`\lambda_i = L\,\kappa^{i/(dim-1) - 1}`. :math:`R` rotates the first two coordinates by
    ``angle`` radians, so at ``angle=0`` the problem is axis-aligned (a diagonal preconditioner
    such as RMSProp can undo the conditioning) and at ``angle=pi/4`` it is not.

    Start ``x0 = (-4, 2)`` in 2-D (plot window ``[-5, 5] x [-3, 3]``), all ones otherwise.
    """
    kappa = float(kappa)
    if not (np.isfinite(kappa) and kappa >= 1):
        raise ValueError(f"kappa must be finite and in [1, inf), got {kappa}")
    dim = check_int("dim", dim, 2)
    L = check_positive("L", L)
    angle = float(angle)
    if not np.isfinite(angle):
        raise ValueError(f"angle must be a finite number of radians, got {angle}")
    eigenvalues = L * np.geomspace(1.0 / kappa, 1.0, dim)
    R = rotation(angle, dim)
    A = R @ np.diag(eigenvalues) @ R.T
    A = 0.5 * (A + A.T)
    x0 = [-4.0, 2.0] if dim == 2 else np.ones(dim)
    name = f"quadratic (kappa={kappa:g}" + (f", angle={angle:.3g})" if angle else ")")
    return Quadratic(A, name, x0, bounds=((-5.0, 5.0), (-3.0, 3.0)))


def quadratic_1d(L: float = 1.0) -> Quadratic:
    r"""One-dimensional :math:`f(x) = \tfrac{L}{2} x^2`, :math:`f'(x) = L x`; start ``x0 = 1``.

    Gradient descent gives :math:`x_{t+1} = (1 - \eta L) x_t`: monotone for :math:`\eta < 1/L`,
    oscillating but convergent for :math:`1/L < \eta < 2/L`, divergent for :math:`\eta > 2/L`.
    """
    L = check_positive("L", L)
    return Quadratic([[L]], f"1-D quadratic (L={L:g})", x0=[1.0])


def scaled_quadratic(scales) -> Quadratic:
    r"""Axis-aligned :math:`f(x) = \tfrac12 \sum_i s_i x_i^2`, :math:`\partial_i f = s_i x_i`.

    ``scales`` are the curvatures :math:`s_i > 0`. Start at all ones; 2-D plot window
    ``[-1.5, 1.5]^2``.
    """
    scales = np.asarray(scales, dtype=float)
    if scales.ndim != 1 or scales.size < 1:
        raise ValueError(f"scales must be a non-empty 1-D sequence, got shape {scales.shape}")
    if not np.all(np.isfinite(scales) & (scales > 0)):
        raise ValueError(f"scales must all be finite and in (0, inf), got {scales.tolist()}")
    name = "scaled quadratic (s=" + ", ".join(f"{s:g}" for s in scales) + ")"
    return Quadratic(np.diag(scales), name, np.ones(scales.size), bounds=((-1.5, 1.5),) * 2)
