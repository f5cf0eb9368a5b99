"""Test problems for the course: objectives with analytic gradients, batched over leading axes.

See :class:`rmslab.problems.base.Problem` for the interface. The torch tasks (``mlp_task``,
``rnn_adding_task``) live in :mod:`rmslab.problems.torch_tasks` and are imported lazily, so
``import rmslab.problems`` does not import torch.
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

_TORCH_TASKS = ("mlp_task", "rnn_adding_task", "MLPTask", "RNNAddingTask")

__all__ = [
    "MLPTask",
    "Minibatch",
    "MovingMinimum",
    "NoisyProblem",
    "PlateauCliff",
    "Problem",
    "Quadratic",
    "RNNAddingTask",
    "ReddiCounterexample",
    "Rosenbrock",
    "SparseLogistic",
    "minibatch",
    "mlp_task",
    "moving_minimum",
    "noisy",
    "plateau_cliff",
    "quadratic",
    "quadratic_1d",
    "reddi_counterexample",
    "rnn_adding_task",
    "rosenbrock",
    "scaled_quadratic",
    "sparse_logistic",
]


def __getattr__(name):
    if name in _TORCH_TASKS:
        from rmslab.problems import torch_tasks

        return getattr(torch_tasks, name)
    raise AttributeError(f"module 'rmslab.problems' has no attribute {name!r}")
