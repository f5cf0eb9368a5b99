r"""Momentum (heavy ball, Polyak 1964) with torch's ``SGD`` conventions.

Book notation: :math:`\mu` the momentum, :math:`b` the buffer (torch's ``momentum_buffer``),
:math:`\tau` the dampening. The buffer is a running sum of past gradients, so a direction
that the gradients agree on builds up speed, and one where they alternate cancels out.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rmslab import validation
from rmslab.optim import _common


class MomentumState(NamedTuple):
    """``momentum_buffer`` is None until the first step (as in torch)."""

    momentum_buffer: np.ndarray | None
    step: int


# The book shows this function; its aligned comments are part of the lesson.
# fmt: off
def update(x, g, state, *, lr, momentum, dampening, nesterov, weight_decay, maximize):
    """One momentum step: returns ``(x_new, state_new)``."""
    if maximize:
        g = -g                                      # ascend f by descending -f
    g = g + weight_decay * x                        # L2 term joins the gradient (torch)
    b = state.momentum_buffer
    if np.all(momentum == 0):
        b, direction = None, g                      # plain gradient descent
    else:
        # b_1 = g_1 (torch), then b_t = mu b_{t-1} + (1 - tau) g_t
        b = g.copy() if b is None else momentum * b + (1 - dampening) * g
        direction = g + momentum * b if nesterov else b
    return x - lr * direction, MomentumState(b, state.step + 1)
# fmt: on


def momentum(
    lr=1e-3,
    momentum=0.9,
    *,
    dampening=0.0,
    nesterov=False,
    weight_decay=0.0,
    maximize=False,
    check_finite=False,
) -> _common.Optimizer:
    r"""Heavy-ball momentum, ``torch.optim.SGD(momentum=...)``.

    .. math::

        g_t &= \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1} \\
        b_t &= \begin{cases} g_1 & t = 1 \\
               \mu\, b_{t-1} + (1-\tau)\, g_t & t > 1 \end{cases} \\
        \theta_t &= \theta_{t-1} - \eta\, b_t
        \qquad\bigl(\text{Nesterov: } \theta_{t-1} - \eta\,(g_t + \mu\, b_t)\bigr)

    Conventions:
        * torch starts the buffer at :math:`g_1` (no dampening on the first step); many
          textbooks start at 0, which makes the first step :math:`(1-\tau)` times smaller.
        * :math:`\eta` multiplies the buffer (torch). TF/Keras ``SGD`` accumulate
          :math:`\eta g` in the buffer instead: the same for a constant ``lr``.
        * Nesterov is torch's form (Sutskever et al. 2013 rewritten at the look-ahead
          point); it needs ``momentum > 0`` and ``dampening == 0``, as in torch.
        * Where a momentum array has an entry 0, that coordinate does plain gradient
          descent and ignores ``dampening`` (torch's ``momentum=0`` behaviour).

    Args:
        lr, weight_decay: floats >= 0 or arrays broadcastable to ``x``; ``momentum`` in
            [0, 1) and ``dampening`` in [0, 1] (floats or arrays).
        maximize: ascend instead of descend.
        check_finite: raise ``FloatingPointError`` (naming the step and the flat index) on
            a NaN/inf gradient. By default NaN/inf propagate into ``x`` and the state, as
            in torch.
    """
    check = _common.hyperparameter
    mu = check("momentum", momentum, upper=1.0)
    tau = check("dampening", dampening, upper=1.0, upper_closed=True)
    settings = dict(
        lr=check("lr", lr),
        momentum=mu,
        dampening=tau,
        nesterov=_common.flag("nesterov", nesterov),
        weight_decay=check("weight_decay", weight_decay),
        maximize=_common.flag("maximize", maximize),
    )
    validation.check_nesterov(settings["nesterov"], momentum, dampening)
    if isinstance(mu, np.ndarray):  # momentum 0 ignores dampening (torch)
        settings["dampening"] = np.where(mu > 0, tau, 0.0)
    hyperparams = dict(settings, dampening=tau)
    return _common.make_optimizer(
        "momentum",
        MomentumState,
        lambda x: MomentumState(None, 0),
        update,
        settings,
        hyperparams,
        check_finite,
    )
