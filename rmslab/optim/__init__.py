"""Functional NumPy optimizers: ``state = opt.init(x)``, then ``x, state = opt.step(x, g, state)``.

Each factory returns an :class:`Optimizer`; ``step`` is pure (it never modifies ``x``, ``g``
or the state). The update rules reproduce torch's in float64 (to about 1e-12); the keyword
arguments expose the conventions in which TF, Keras and optax differ, and
:mod:`rmslab.optim.presets` names those combinations. ``inspect.getsource(opt.step)`` shows
the algorithm itself.

Hyperparameters may be floats or arrays broadcastable to ``x`` (one optimizer then runs a
whole grid of configurations). A NaN or inf in the gradient propagates into ``x`` and the
state, as in torch, unless the factory gets ``check_finite=True``. float16 parameters keep
float32 optimizer state (``eps=1e-8`` is 0 in float16) and are returned as float16.
"""

from rmslab.optim._adagrad import AdagradState, adagrad
from rmslab.optim._adam import AdamState, adam, adamw
from rmslab.optim._common import Optimizer
from rmslab.optim._gd import GDState, gd
from rmslab.optim._momentum import MomentumState, momentum
from rmslab.optim._rmsprop import RMSPropState, rmsprop
from rmslab.optim.presets import ADAGRAD_PRESETS, PRESETS, adagrad_preset, rmsprop_preset

__all__ = [
    "ADAGRAD_PRESETS",
    "PRESETS",
    "AdagradState",
    "AdamState",
    "GDState",
    "MomentumState",
    "Optimizer",
    "RMSPropState",
    "adagrad",
    "adagrad_preset",
    "adam",
    "adamw",
    "gd",
    "momentum",
    "rmsprop",
    "rmsprop_preset",
]
