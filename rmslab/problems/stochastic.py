r"""Stochastic gradients: noise wrappers around any deterministic problem.

``noisy(problem, sigma, kind)`` keeps the loss, minimizer and projection of ``problem`` and
replaces its gradient by an unbiased estimate, with :math:`z \sim \mathcal N(0, I)` drawn from the
``rng`` passed to ``grad``:

* additive: :math:`\tilde g = \nabla f(x) + \sigma z` (noise floor independent of the gradient;
  SGD with a constant step then stalls at a loss of order :math:`\eta \sigma^2`),
* multiplicative: :math:`\tilde g = \nabla f(x) \odot (1 + \sigma z)` (noise vanishes at the
  minimizer, as in over-parameterised models that interpolate the data).
"""

from __future__ import annotations

import numpy as np

from rmslab.problems.base import Problem, Wrapped, check_positive, sample

NOISE_KINDS = ("additive", "multiplicative")


class NoisyProblem(Wrapped):
    """``base`` with Gaussian gradient noise of scale ``sigma`` (``kind`` additive or
    multiplicative)."""

    def __init__(self, base: Problem, sigma: float, kind: str):
        super().__init__(base, f"{base.name} + {kind} noise (sigma={sigma:g})")
        self.sigma = sigma
        self.kind = kind

    def grad(self, x, t: int = 0, rng=None) -> np.ndarray:
        x = self.check_x(x)
        g = self.base.grad(x, t, rng)
        z = sample(rng, x.shape[:-1], lambda gen, prefix: gen.standard_normal(prefix + (self.dim,)))
        if self.kind == "additive":
            return g + self.sigma * z
        return g * (1.0 + self.sigma * z)


def noisy(problem: Problem, sigma: float = 0.1, kind: str = "additive") -> NoisyProblem:
    r"""Wrap ``problem`` with additive (:math:`g + \sigma z`) or multiplicative
    (:math:`g \odot (1 + \sigma z)`) Gaussian gradient noise, :math:`z \sim \mathcal N(0, I)`.

    ``grad(x, t, rng)`` then requires ``rng`` (a ``np.random.Generator`` or one per row).
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be an rmslab Problem, got {type(problem).__name__}")
    sigma = check_positive("sigma", sigma, allow_zero=True)
    if kind not in NOISE_KINDS:
        raise ValueError(f"kind must be one of {NOISE_KINDS}, got {kind!r}")
    return NoisyProblem(problem, sigma, kind)
