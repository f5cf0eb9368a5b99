r"""Adagrad (Duchi, Hazan & Singer 2011): divide by the root of the *sum* of squared gradients.

Book notation: :math:`s` the running sum of :math:`g^2` (torch's ``sum``). Because
:math:`s` only grows, each coordinate's step size only shrinks: large for rarely-seen
(sparse) features, small for frequent ones. RMSProp replaces the sum by a running average so
that the step size can recover.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rmslab.optim import _common


class AdagradState(NamedTuple):
    """``sum`` is s, the accumulated squared gradients."""

    sum: np.ndarray
    step: int


# The book shows this function; its aligned comments are part of the lesson.
# fmt: off
def update(x, g, state, *, lr, lr_decay, weight_decay, eps, eps_in_sqrt, safe, maximize):
    """One Adagrad step: returns ``(x_new, state_new)``."""
    t = state.step + 1
    if maximize:
        g = -g                                      # ascend f by descending -f
    g = g + weight_decay * x                        # L2 term joins the gradient (torch)
    lr_t = lr / (1 + (t - 1) * lr_decay)            # torch's optional 1/t learning-rate decay
    s = state.sum + g * g                           # s_t = s_{t-1} + g_t^2
    d = np.sqrt(s + eps) if eps_in_sqrt else np.sqrt(s) + eps
    u = g / d
    if safe:
        u = np.where(d > 0, u, 0.0)                 # define 0/0 (eps = 0) as no step
    return x - lr_t * u, AdagradState(s, t)
# fmt: on


def adagrad(
    lr=1e-2,
    *,
    lr_decay=0.0,
    weight_decay=0.0,
    initial_accumulator_value=0.0,
    eps=1e-10,
    eps_in_sqrt=False,
    safe=False,
    maximize=False,
    check_finite=False,
) -> _common.Optimizer:
    r"""Adagrad; the defaults reproduce ``torch.optim.Adagrad``.

    .. math::

        g_t &= \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1} \\
        s_t &= s_{t-1} + g_t^2 \\
        \theta_t &= \theta_{t-1} - \frac{\eta}{1 + (t-1)\,\delta}\,
            \frac{g_t}{\sqrt{s_t} + \varepsilon}

    with :math:`\delta` = ``lr_decay`` and :math:`s_0` = ``initial_accumulator_value``.

    Conventions:
        * ``eps`` outside the root (torch, and Duchi et al.'s :math:`\delta I +
          \operatorname{diag}(G)^{1/2}`); Keras and optax use :math:`\sqrt{s + \varepsilon}`
          (``eps_in_sqrt=True``).
        * :math:`s_0` is 0 in torch, 0.1 in Keras and optax.
        * ``safe=True`` defines the update as 0 wherever the denominator is 0 (possible only
          with ``eps=0``). optax's ``where(s > 0, ..., 0)`` is the same rule whenever
          :math:`g^2` does not underflow, because :math:`s = 0` forces :math:`g = 0`.
        * float16 ``x`` gets float32 state; ``x`` is returned in its own dtype.

    Args:
        lr, lr_decay, weight_decay, initial_accumulator_value, eps: floats >= 0 or arrays
            broadcastable to ``x``.
        maximize: ascend instead of descend.
        check_finite: raise ``FloatingPointError`` (naming the step and the flat index) on
            a NaN/inf gradient. By default NaN/inf propagate into ``x`` and the state, as
            in torch.
    """
    check = _common.hyperparameter
    settings = dict(
        lr=check("lr", lr),
        lr_decay=check("lr_decay", lr_decay),
        weight_decay=check("weight_decay", weight_decay),
        eps=check("eps", eps),
        eps_in_sqrt=_common.flag("eps_in_sqrt", eps_in_sqrt),
        safe=_common.flag("safe", safe),
        maximize=_common.flag("maximize", maximize),
    )
    s0 = check("initial_accumulator_value", initial_accumulator_value)

    def init(x):
        return AdagradState(sum=np.full(x.shape, s0, dtype=x.dtype), step=0)

    hyperparams = dict(settings, initial_accumulator_value=s0)
    return _common.make_optimizer(
        "adagrad", AdagradState, init, update, settings, hyperparams, check_finite
    )
