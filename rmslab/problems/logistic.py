r"""Sparse-feature logistic regression (Adagrad's motivating case) and minibatch gradients.

Binary features :math:`x_{ij} \sim \mathrm{Bernoulli}(p_j)` with frequencies :math:`p_j`
log-spaced from 0.5 down to 0.01, and true weights :math:`|w^\circ_j| = \tfrac12 \sqrt{p_0/p_j}`
that grow as features get rarer: the rare features carry the strongest signal, but their
gradient coordinates are zero in most examples. A single learning rate is either too small for
them or too large for the frequent ones; per-coordinate step sizes fix that.
"""

from __future__ import annotations

import numpy as np

from rmslab.problems.base import Problem, Wrapped, check_int, check_positive, sample


def sigmoid_of_negative(m):
    r""":math:`\sigma(-m) = 1 / (1 + e^{m})`, computed without overflow."""
    return np.exp(-np.logaddexp(0.0, m))


class SparseLogistic(Problem):
    r"""Regularised logistic loss with labels :math:`y_i \in \{-1, +1\}`:

    .. math::
        f(w) = \frac1n \sum_{i=1}^n \log\big(1 + e^{-y_i x_i^\top w}\big) + \frac\lambda2 \|w\|^2,
        \qquad
        \nabla f(w) = -\frac1n \sum_{i=1}^n y_i\, \sigma(-y_i x_i^\top w)\, x_i + \lambda w.

    The minimizer is computed once by Newton's method (the loss is :math:`\lambda`-strongly
    convex), so ``minimizer`` and ``min_value`` are exact to rounding. Attributes: ``X`` (n, dim),
    ``y`` (n,), ``reg`` (:math:`\lambda`), ``w_true``, ``frequencies`` (the design :math:`p_j`)
    and ``empirical_frequencies`` (fraction of examples where feature :math:`j` is non-zero).
    """

    def __init__(self, X, y, reg, frequencies, w_true, name):
        self.X, self.y, self.reg = X, y, reg
        self.frequencies, self.w_true = frequencies, w_true
        self.empirical_frequencies = (X != 0).mean(axis=0)
        self.n_samples = X.shape[0]
        super().__init__(name, X.shape[1], np.zeros(X.shape[1]))
        self.minimizer = self.newton_minimizer()
        self.min_value = float(self.loss(self.minimizer))

    def loss(self, x, t: int = 0) -> np.ndarray:
        w = self.check_x(x)
        margins = self.y * (w @ self.X.T)
        return np.logaddexp(0.0, -margins).mean(axis=-1) + 0.5 * self.reg * np.sum(w * w, axis=-1)

    def grad(self, x, t: int = 0, rng=None) -> np.ndarray:
        w = self.check_x(x)
        coef = -self.y * sigmoid_of_negative(self.y * (w @ self.X.T))
        return coef @ self.X / self.n_samples + self.reg * w

    def sample_grad(self, x, idx) -> np.ndarray:
        r"""Gradient on the examples ``idx`` (shape ``(..., b)``, matching ``x``'s leading axes):
        :math:`-\frac1b \sum_{i \in \mathrm{idx}} y_i \sigma(-y_i x_i^\top w) x_i + \lambda w`."""
        w = self.check_x(x)
        Xb, yb = self.X[idx], self.y[idx]
        coef = -yb * sigmoid_of_negative(yb * np.einsum("...bd,...d->...b", Xb, w))
        return np.einsum("...b,...bd->...d", coef, Xb) / idx.shape[-1] + self.reg * w

    def newton_minimizer(self, iterations: int = 50) -> np.ndarray:
        """Damped Newton iterations from 0 until the gradient norm stops decreasing."""
        w = np.zeros(self.dim)
        for _ in range(iterations):
            g = self.grad(w)
            if np.linalg.norm(g) < 1e-15:
                break
            s = sigmoid_of_negative(self.y * (self.X @ w))
            H = (self.X.T * (s * (1 - s))) @ self.X / self.n_samples + self.reg * np.eye(self.dim)
            direction, size = np.linalg.solve(H, g), 1.0
            while self.loss(w - size * direction) > self.loss(w) and size > 1e-8:
                size /= 2
            w = w - size * direction
        return w


def sparse_logistic(n: int = 1000, dim: int = 20, seed: int = 0, reg: float = 1e-3):
    """Seeded synthetic sparse logistic regression: ``n`` examples, ``dim`` binary features with
    frequencies log-spaced from 0.5 to 0.01; see :class:`SparseLogistic`."""
    n = check_int("n", n, 2)
    dim = check_int("dim", dim, 1)
    seed = check_int("seed", seed, 0)
    reg = check_positive("reg", reg)
    rng = np.random.default_rng(seed)
    frequencies = np.geomspace(0.5, 0.01, dim)
    X = (rng.random((n, dim)) < frequencies).astype(float)
    w_true = rng.choice([-1.0, 1.0], size=dim) * 0.5 * np.sqrt(frequencies[0] / frequencies)
    y = np.where(rng.random(n) < 1.0 / (1.0 + np.exp(-X @ w_true)), 1.0, -1.0)
    name = f"sparse logistic (n={n}, dim={dim}, seed={seed})"
    return SparseLogistic(X, y, reg, frequencies, w_true, name)


class Minibatch(Wrapped):
    """``base`` with gradients on ``batch_size`` examples drawn uniformly with replacement."""

    def __init__(self, base: SparseLogistic, batch_size: int):
        super().__init__(base, f"{base.name}, batch {batch_size}")
        self.batch_size = batch_size

    def grad(self, x, t: int = 0, rng=None) -> np.ndarray:
        x = self.check_x(x)
        n, b = self.base.n_samples, self.batch_size
        idx = sample(rng, x.shape[:-1], lambda gen, prefix: gen.integers(0, n, prefix + (b,)))
        return self.base.sample_grad(x, idx)


def minibatch(problem: SparseLogistic, batch_size: int = 32) -> Minibatch:
    r"""Minibatch stochastic gradients for a finite-sum problem (``sparse_logistic``): each call
    draws ``batch_size`` example indices i.i.d. uniform from the ``rng`` passed to ``grad``, an
    unbiased estimate of the full gradient."""
    if not isinstance(problem, SparseLogistic):
        raise TypeError(f"problem must come from sparse_logistic(), got {type(problem).__name__}")
    batch_size = check_int("batch_size", batch_size, 1)
    if batch_size > problem.n_samples:
        raise ValueError(f"batch_size must be in [1, {problem.n_samples}], got {batch_size}")
    return Minibatch(problem, batch_size)
