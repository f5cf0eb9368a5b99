r"""Gradient descent: step against the gradient, scaled by the learning rate.

Book notation: :math:`\theta` (``x``) the parameters, :math:`g` the gradient, :math:`\eta`
the learning rate ``lr``. Every other optimizer in this package is gradient descent with a
smarter choice of direction or of per-coordinate step size.
"""

from __future__ import annotations

from typing import NamedTuple

from rmslab.optim import _common


class GDState(NamedTuple):
    """Gradient descent keeps no memory, only the step count."""

    step: int


# The book shows this function; its aligned comments are part of the lesson.
# fmt: off
def update(x, g, state, *, lr, weight_decay, maximize):
    """One gradient-descent step: returns ``(x_new, state_new)``."""
    if maximize:
        g = -g                                 # ascend f by descending -f
    g = g + weight_decay * x                   # L2 term joins the gradient (torch)
    return x - lr * g, GDState(state.step + 1)
# fmt: on


def gd(lr=1e-3, *, weight_decay=0.0, maximize=False, check_finite=False) -> _common.Optimizer:
    r"""Plain gradient descent, ``torch.optim.SGD(momentum=0)``.

    .. math::

        \theta_t = \theta_{t-1} - \eta\,\bigl(\nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}\bigr)

    Conventions:
        * ``weight_decay`` :math:`\lambda` is L2 added to the gradient, as in torch; for
          plain gradient descent this equals decoupled decay with the same ``lr``.
        * torch's ``SGD`` defaults to ``lr=1e-3``; TF/Keras ``SGD`` uses ``0.01``.

    Args:
        lr, weight_decay: floats >= 0, or arrays broadcastable to ``x``.
        maximize: ascend instead of descend.
        check_finite: raise ``FloatingPointError`` (naming the step and the flat index) on
            a NaN/inf gradient. By default NaN/inf propagate into ``x`` and the state, as
            in torch.
    """
    settings = dict(
        lr=_common.hyperparameter("lr", lr),
        weight_decay=_common.hyperparameter("weight_decay", weight_decay),
        maximize=_common.flag("maximize", maximize),
    )
    return _common.make_optimizer(
        "gd", GDState, lambda x: GDState(0), update, settings, settings, check_finite
    )
