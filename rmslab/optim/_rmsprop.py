r"""RMSProp: divide the gradient by a running root-mean-square of recent gradients.

Book notation: :math:`\beta` is the decay of the running average (torch calls it ``alpha``,
Keras ``rho``, optax ``decay``), :math:`v` the running mean of :math:`g^2` (torch's
``square_avg``), :math:`\eta` the learning rate ``lr`` and :math:`\varepsilon` ``eps``.

The bare algorithm is three lines::

    v = beta * v + (1 - beta) * g * g        # running mean of g^2
    d = sqrt(v) + eps                        # its root: the gradient's typical size
    x = x - lr * g / d                       # a step of size about lr per coordinate

Every framework adds options and silently changes a few details (where ``eps`` sits, the
initial ``v``, whether ``lr`` enters before or after momentum, how weight decay is coupled).
:func:`rmsprop` exposes each detail as a keyword; :mod:`rmslab.optim.presets` names the
combinations that reproduce torch, TF1, Keras 3, optax and Hinton's slide.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rmslab import validation
from rmslab.optim import _common


class RMSPropState(NamedTuple):
    """``square_avg`` is v; ``grad_avg`` (centered only) and ``momentum_buffer`` may be None."""

    square_avg: np.ndarray
    grad_avg: np.ndarray | None
    momentum_buffer: np.ndarray | None
    step: int


# The book shows this function; its aligned comments are part of the lesson.
# fmt: off
def update(x, g, state, *, lr, beta, eps, eps_in_sqrt, centered, safe, momentum, nesterov,
           lr_in_momentum, weight_decay, decoupled_weight_decay, maximize, bias_correction):
    """One RMSProp step: returns ``(x_new, state_new)``; nothing is modified in place."""
    t = state.step + 1                                  # steps count from 1
    if maximize:
        g = -g                                          # ascend f by descending -f
    if decoupled_weight_decay:
        x = x * (1 - lr * weight_decay)                 # shrink x, outside the RMS scaling
    else:
        g = g + weight_decay * x                        # L2 term joins g (torch)

    # Running averages: v_t = beta v_{t-1} + (1 - beta) g_t^2  (and gbar_t for centered).
    v = beta * state.square_avg + (1 - beta) * g * g
    gbar = state.grad_avg + (1 - beta) * (g - state.grad_avg) if centered else None
    v_hat, gbar_hat = v, gbar
    if bias_correction:                                 # undo the zero start, as Adam does
        v_hat = v / (1 - beta**t)
        gbar_hat = gbar / (1 - beta**t) if centered else None

    # Denominator d: the RMS of g (centered: its standard deviation).
    mean_square = v_hat - gbar_hat * gbar_hat if centered else v_hat
    if safe:
        mean_square = np.maximum(mean_square, 0.0)     # rounding can make v - gbar^2 < 0
    d = np.sqrt(mean_square + eps) if eps_in_sqrt else np.sqrt(mean_square) + eps

    u = g / d                                           # normalised direction, ~ +-1 each
    if safe:
        u = np.where(d > 0, u, 0.0)                     # define 0/0 (eps = 0) as no step

    # Learning rate and optional momentum b.
    b = state.momentum_buffer
    if b is None:
        delta = lr * u
    elif lr_in_momentum:                                # TF1 / Keras / optax
        b = momentum * b + lr * u
        delta = lr * u + momentum * b if nesterov else b
    else:                                               # torch
        b = momentum * b + u
        delta = lr * (u + momentum * b) if nesterov else lr * b
    return x - delta, RMSPropState(v, gbar, b, t)
# fmt: on


def rmsprop(
    lr=1e-2,
    beta=0.99,
    eps=1e-8,
    *,
    eps_in_sqrt=False,
    initial_square_avg=0.0,
    centered=False,
    safe=False,
    momentum=0.0,
    nesterov=False,
    lr_in_momentum=False,
    weight_decay=0.0,
    decoupled_weight_decay=False,
    maximize=False,
    bias_correction=False,
    check_finite=False,
) -> _common.Optimizer:
    r"""RMSProp (Tieleman & Hinton 2012); the defaults reproduce ``torch.optim.RMSprop``.

    .. math::

        g_t &\leftarrow \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}
            \quad(\text{coupled weight decay } \lambda)\\
        v_t &= \beta\, v_{t-1} + (1-\beta)\, g_t^2 \\
        \bar g_t &= \beta\, \bar g_{t-1} + (1-\beta)\, g_t
            \quad(\text{centered only})\\
        d_t &= \sqrt{v_t - \bar g_t^2} + \varepsilon
            \quad\bigl(\text{or } \sqrt{v_t - \bar g_t^2 + \varepsilon}\bigr)\\
        b_t &= \mu\, b_{t-1} + g_t / d_t \\
        \theta_t &= \theta_{t-1} - \eta\, b_t

    (without ``centered`` drop :math:`\bar g`; without momentum :math:`b_t = g_t/d_t`).

    Conventions:
        * ``eps`` sits **outside** the root by default (torch, Caffe). TF1, Keras 3, Lasagne
          and optax's default put it inside (``eps_in_sqrt=True``); the two differ up to 100x
          for gradients near ``sqrt(eps)``.
        * :math:`v_0` = ``initial_square_avg``: 0 in torch, Keras 3 and optax, 1 in TF1. With
          :math:`v_0 = 0` the first step is about :math:`\eta/\sqrt{1-\beta}` per
          coordinate (10 lr at beta=0.99), whatever the gradient's size.
        * ``lr_in_momentum=True`` (TF1, Keras, optax): :math:`b_t = \mu b_{t-1} + \eta
          g_t/d_t`, :math:`\theta_t = \theta_{t-1} - b_t`. torch multiplies by :math:`\eta`
          after the buffer. Same trajectory for a constant ``lr``, up to rounding.
        * ``nesterov`` (optax only; torch's RMSprop has none) looks ahead:
          step :math:`\eta(g_t/d_t + \mu b_t)`.
        * ``weight_decay`` is coupled L2 added to :math:`g` (torch); with
          ``decoupled_weight_decay=True``, :math:`\theta \leftarrow \theta(1-\eta\lambda)`
          happens first and the gradient is not changed (Keras 3, AdamW).
        * ``bias_correction`` (optax option) divides :math:`v_t` and :math:`\bar g_t` by
          :math:`1-\beta^t`; with ``eps`` outside the root this is torch
          ``Adam(betas=(0, beta))``.
        * ``centered`` subtracts :math:`\bar g_t^2` (Graves 2013). Under a nearly constant
          gradient :math:`v - \bar g^2` rounds below 0 and the root gives NaN, as in torch.
          ``safe=True`` clamps it at 0 and defines the update as 0 wherever
          :math:`d_t = 0` (needed for ``eps=0``, e.g. Hinton's slide).
        * float16 ``x`` gets float32 state; ``x`` is returned in its own dtype.

    Args:
        lr, beta, eps, momentum, weight_decay, initial_square_avg: floats or arrays
            broadcastable to ``x`` (``beta`` and ``momentum`` in [0, 1), the others >= 0).
        maximize: ascend instead of descend.
        check_finite: raise ``FloatingPointError`` (naming the step and the flat index) on
            a NaN/inf gradient. By default NaN/inf propagate into ``x`` and the state, as
            in torch.

    Returns:
        An :class:`~rmslab.optim.Optimizer` with state
        ``RMSPropState(square_avg, grad_avg, momentum_buffer, step)``.
    """
    check = _common.hyperparameter
    settings = dict(
        lr=check("lr", lr),
        beta=check("beta", beta, upper=1.0),
        eps=check("eps", eps),
        eps_in_sqrt=_common.flag("eps_in_sqrt", eps_in_sqrt),
        centered=_common.flag("centered", centered),
        safe=_common.flag("safe", safe),
        momentum=check("momentum", momentum, upper=1.0),
        nesterov=_common.flag("nesterov", nesterov),
        lr_in_momentum=_common.flag("lr_in_momentum", lr_in_momentum),
        weight_decay=check("weight_decay", weight_decay),
        decoupled_weight_decay=_common.flag("decoupled_weight_decay", decoupled_weight_decay),
        maximize=_common.flag("maximize", maximize),
        bias_correction=_common.flag("bias_correction", bias_correction),
    )
    v0 = check("initial_square_avg", initial_square_avg)
    has_momentum = _common.any_positive(settings["momentum"])
    validation.check_nesterov(settings["nesterov"], momentum)

    def init(x):
        zeros = np.zeros_like(x)
        return RMSPropState(
            square_avg=np.full(x.shape, v0, dtype=x.dtype),
            grad_avg=zeros.copy() if settings["centered"] else None,
            momentum_buffer=zeros.copy() if has_momentum else None,
            step=0,
        )

    hyperparams = dict(settings, initial_square_avg=v0)
    return _common.make_optimizer(
        "rmsprop", RMSPropState, init, update, settings, hyperparams, check_finite
    )
