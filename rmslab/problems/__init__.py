"""Test problems for the course: objectives with analytic gradients, batched over leading axes.

See :class:`rmslab.problems.base.Problem` for the interface. The torch tasks (``mlp_task``,
``rnn_adding_task``) live in :mod:`rmslab.problems.torch_tasks` and are imported lazily, so
``import rmslab.problems`` does not import torch.
"""

from rmslab.problems.base import Problem
from rmslab.problems.quadratics import Quadratic, quadratic, quadratic_1d, scaled_quadratic
from rmslab.problems.stochastic import noisy

_TORCH_TASKS = ("mlp_task", "rnn_adding_task", "MLPTask", "RNNAddingTask")

__all__ = [
    "MLPTask",
    "Problem",
    "Quadratic",
    "RNNAddingTask",
    "mlp_task",
    "noisy",
    "quadratic",
    "quadratic_1d",
    "rnn_adding_task",
    "scaled_quadratic",
]


def __getattr__(name):
    if name in _TORCH_TASKS:
        from rmslab.problems import torch_tasks

        return getattr(torch_tasks, name)
    raise AttributeError(f"module 'rmslab.problems' has no attribute {name!r}")
