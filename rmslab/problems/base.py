"""The :class:`Problem` interface shared by every test problem, and input checks.

A problem is an objective :math:`f_t(x)` with an analytic gradient. Every method is batched over
leading axes: ``x`` has shape ``(..., dim)``, ``loss`` returns shape ``(...)`` and ``grad`` returns
shape ``(..., dim)``. ``t`` is the 0-based step index (only time-varying problems use it) and
``rng`` feeds stochastic gradients.

``rng`` is either one ``np.random.Generator`` (all rows draw from it) or a sequence of
Generators, one per row of a 2-D batch ``x`` of shape ``(n, dim)``. The second form makes row
``i`` of a batched run draw exactly the numbers a single run seeded like row ``i`` draws, which is
how :func:`rmslab.run.sweep` reproduces a loop of :func:`rmslab.run.run` calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rmslab.validation import check_int, check_positive  # noqa: F401 (used by the problems)

Bounds = tuple[tuple[float, float], tuple[float, float]]


class Problem:
    """Base class: an objective with analytic gradient on :math:`\\mathbb{R}^{dim}`.

    Attributes:
        name: human-readable name used in plot legends.
        dim: number of coordinates.
        x0: default start, shape ``(dim,)``.
        minimizer: a minimizer :math:`x^*` (shape ``(dim,)``) or ``None`` if unknown.
        min_value: :math:`f^* = \\min_x f(x)` or ``None`` if unknown.
        bounds: ``((x_lo, x_hi), (y_lo, y_hi))`` plot window for 2-D problems, else ``None``.
        stochastic: ``True`` if ``grad`` needs an ``rng``.
    """

    stochastic = False

    def __init__(
        self,
        name: str,
        dim: int,
        x0,
        minimizer=None,
        min_value: float | None = None,
        bounds: Bounds | None = None,
    ):
        self.name = name
        self.dim = dim
        self.x0 = np.asarray(x0, dtype=float).reshape(dim)
        self.minimizer = None if minimizer is None else np.asarray(minimizer, float).reshape(dim)
        self.min_value = None if min_value is None else float(min_value)
        self.bounds = bounds if dim == 2 else None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} dim={self.dim}>"

    def loss(self, x, t: int = 0) -> np.ndarray:
        """:math:`f_t(x)`, shape ``x.shape[:-1]``."""
        raise NotImplementedError

    def grad(self, x, t: int = 0, rng=None) -> np.ndarray:
        """:math:`\\nabla f_t(x)` (or a stochastic estimate of it), shape ``x.shape``."""
        raise NotImplementedError

    def project(self, x) -> np.ndarray:
        """Euclidean projection onto the feasible set; the identity for unconstrained problems."""
        return x

    def check_x(self, x) -> np.ndarray:
        """``x`` as a float array; ``ValueError`` unless its last axis has length ``dim``."""
        x = np.asarray(x, dtype=float)
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise ValueError(f"x must have shape (..., {self.dim}) for {self.name}, got {x.shape}")
        return x


def sample(rng, batch_shape: tuple[int, ...], draw: Callable) -> np.ndarray:
    """Draw random numbers for a batch: ``draw(generator, shape_prefix) -> array``.

    With one Generator the draw covers the whole ``batch_shape``; with a sequence of Generators
    (one per row of ``batch_shape[0]``) each row is drawn separately with prefix
    ``batch_shape[1:]`` and the rows are stacked.
    """
    if isinstance(rng, np.random.Generator):
        return draw(rng, batch_shape)
    if isinstance(rng, Sequence) and all(isinstance(r, np.random.Generator) for r in rng):
        if len(batch_shape) == 0 or len(rng) != batch_shape[0]:
            raise ValueError(
                f"rng must hold one Generator per row of x (batch shape {batch_shape}), "
                f"got {len(rng)} Generators"
            )
        return np.stack([draw(r, batch_shape[1:]) for r in rng])
    raise ValueError(
        "rng must be a numpy Generator (np.random.default_rng(seed)) or a sequence of them "
        f"for a stochastic problem, got {rng!r}"
    )


class Wrapped(Problem):
    """A problem built on ``base``: same loss, minimizer, bounds and projection, a different
    gradient. Attributes it does not define (``A``, ``kappa``, ``X``...) come from ``base``."""

    stochastic = True

    def __init__(self, base: Problem, name: str):
        super().__init__(
            name,
            base.dim,
            base.x0,
            minimizer=base.minimizer,
            min_value=base.min_value,
            bounds=base.bounds,
        )
        self.base = base

    def __getattr__(self, attr):
        if attr == "base":
            raise AttributeError(attr)
        return getattr(self.base, attr)

    def loss(self, x, t: int = 0) -> np.ndarray:
        return self.base.loss(x, t)

    def project(self, x) -> np.ndarray:
        return self.base.project(x)
