r"""Checkers for Lab 6 (your RMSProp trains a network), one module per job.

The student wraps a numpy RMSProp step (torch's conventions: :math:`v_0 = 0`, :math:`\epsilon`
outside the root, decay :math:`\beta`),

.. math::

    v_t = \beta\, v_{t-1} + (1-\beta)\, g_t^2, \qquad
    x_t = x_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \epsilon},

as a ``torch.optim.Optimizer`` subclass (Exercise 2, :mod:`.optimizer`, on the small cases of
:mod:`.optimizer_cases`), trains the digits MLP of :func:`rmslab.train.digits_mlp` (depth
:data:`DEPTH`, sigmoid) with it (Exercise 3, :mod:`.training`), builds the same optimizer from
``torch.optim.RMSprop`` (Exercise 4, :mod:`.torch_factory`), and reads the per-layer relative
updates that :func:`rmslab.train.fit` records to explain why SGD stalls on that network
(Exercises 5 and 6, :mod:`.diagnosis`). Every call of the student's code goes through
:func:`.calling.run_student`.

Right answers come from :func:`rmslab.optim.rmsprop` (tested against torch to 1e-12), from
``torch.optim.RMSprop`` itself, or from :func:`layer_ratio` here, never from the student's code.
torch is imported inside the functions: ``rmslab.checks`` stays importable without it (Labs 1-3).
"""

from rmslab.checks.networks.diagnosis import (
    check_layer_ratio,
    check_stall_explanation,
    layer_ratio,
)
from rmslab.checks.networks.optimizer import check_rmsprop_optimizer
from rmslab.checks.networks.torch_factory import check_torch_rmsprop_factory, torch_rmsprop
from rmslab.checks.networks.training import (
    DEPTH,
    SGD_LRS,
    STEPS,
    TARGET_ACCURACY,
    check_digits_training,
)

__all__ = [
    "DEPTH",
    "SGD_LRS",
    "STEPS",
    "TARGET_ACCURACY",
    "check_digits_training",
    "check_layer_ratio",
    "check_rmsprop_optimizer",
    "check_stall_explanation",
    "check_torch_rmsprop_factory",
    "layer_ratio",
    "torch_rmsprop",
]
