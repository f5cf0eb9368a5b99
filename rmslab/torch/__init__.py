"""RMSProp and its relatives as ``torch.optim.Optimizer`` subclasses, written from scratch.

``Momentum``, ``Adagrad``, ``RMSProp``, ``Adam`` and ``AdamW`` take exactly the arguments and
defaults of ``torch.optim.SGD``, ``Adagrad``, ``RMSprop``, ``Adam`` and ``AdamW`` (torch 2.13)
and, with those defaults, produce the same numbers (float64: within 1e-12 after 100 steps;
the tests check this). Their state uses torch's keys (``step`` as a 0-d float tensor,
``square_avg``, ``momentum_buffer``, ``grad_avg``, ``sum``, ``exp_avg``, ``exp_avg_sq``,
``max_exp_avg_sq``), so a ``state_dict()`` saved by one loads into the other.

Each ``step`` is a readable loop over tensors; ``foreach=True`` runs the same update with
``torch._foreach_*`` ops (one call per line instead of one per tensor). Complex parameters are
optimized as their real view (``torch.view_as_real``), as torch does, and
``differentiable=True`` runs the step with autograd on, so a gradient can flow through it.

Conventions beyond torch's are keywords: ``RMSProp(eps_in_sqrt=..., initial_square_avg=...,
safe=..., lr_in_momentum=..., nesterov=..., decoupled_weight_decay=..., bias_correction=...)``
and ``Adam(eps_hat=...)``; see their docstrings for the formulas and which framework uses
which.

Deliberate differences from torch.optim:

* float16/bfloat16 parameters keep their optimizer state in float32 and the update is
  computed in float32, then rounded into the parameter. torch keeps fp16 state, where
  ``eps=1e-8`` rounds to 0 and :math:`(10^{-4})^2` underflows, so a zero gradient gives
  0/0 = NaN on the first step (the tests reproduce this). There is no float32 master copy
  of the parameter, so an update smaller than half a unit in the last place of the fp16/bf16
  value still rounds away (keep float32 parameters for that, or use autocast).
* step sizes are computed in float64, a tensor ``lr`` read as a number (``lr.item()``).
  torch computes Adam's step size and Adagrad's decayed lr ``lr / (1 + (t - 1) * lr_decay)``
  in the dtype of a tensor ``lr``, and Adam's with ``differentiable=True`` from its float32
  step counter, so there the two differ by float32 rounding of the step size.
* ``Adagrad`` fills each parameter group's ``sum`` with that group's
  ``initial_accumulator_value`` (torch uses the constructor's value for every group).
* bad arguments raise ``ValueError`` naming the argument, the value and the allowed range,
  and the ranges are stricter than torch's where torch accepts nonsense: ``alpha`` and
  ``momentum`` in [0, 1), ``dampening`` in [0, 1], non-numbers rejected.
* not implemented (they raise ``NotImplementedError``): ``capturable=True`` and
  ``fused=True`` (torch's fused kernels; ``foreach=True`` is the fast path here); sparse
  gradients raise ``RuntimeError``.
"""

from .adagrad import Adagrad
from .adam import Adam, AdamW
from .momentum import Momentum
from .rmsprop import RMSProp

__all__ = ["Adagrad", "Adam", "AdamW", "Momentum", "RMSProp"]
