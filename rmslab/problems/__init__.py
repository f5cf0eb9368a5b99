"""Test problems for the course: objectives with analytic gradients, batched over leading axes.

See :class:`rmslab.problems.base.Problem` for the interface. The networks trained with torch
(the digits MLP, the adding problem) live in :mod:`rmslab.train`, so ``import rmslab.problems``
does not import torch.
"""

from rmslab.problems.base import Problem
from rmslab.problems.landscapes import PlateauCliff, Rosenbrock, plateau_cliff, rosenbrock
from rmslab.problems.logistic import Minibatch, SparseLogistic, minibatch, sparse_logistic
from rmslab.problems.online import (
    MovingMinimum,
    ReddiCounterexample,
    moving_minimum,
    reddi_counterexample,
)
from rmslab.problems.quadratics import Quadratic, quadratic, quadratic_1d, scaled_quadratic
from rmslab.problems.stochastic import NoisyProblem, noisy

__all__ = [
    "Minibatch",
    "MovingMinimum",
    "NoisyProblem",
    "PlateauCliff",
    "Problem",
    "Quadratic",
    "ReddiCounterexample",
    "Rosenbrock",
    "SparseLogistic",
    "minibatch",
    "moving_minimum",
    "noisy",
    "plateau_cliff",
    "quadratic",
    "quadratic_1d",
    "reddi_counterexample",
    "rosenbrock",
    "scaled_quadratic",
    "sparse_logistic",
]
