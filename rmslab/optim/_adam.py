r"""Adam (Kingma & Ba 2015): momentum on top of RMSProp, with bias correction.

Book notation: :math:`m` the running mean of :math:`g` (torch's ``exp_avg``), :math:`v` the
running mean of :math:`g^2` (``exp_avg_sq``), :math:`\beta_1, \beta_2` their decays.
Both start at 0, so early averages are too small; dividing by :math:`1-\beta^t` corrects
that. With :math:`\beta_1 = 0` Adam is RMSProp with bias correction.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rmslab.optim import _common


class AdamState(NamedTuple):
    """``max_exp_avg_sq`` (the running max of v) is None unless ``amsgrad``."""

    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray
    max_exp_avg_sq: np.ndarray | None
    step: int


# The book shows this function; its aligned comments are part of the lesson.
# fmt: off
def update(x, g, state, *, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize,
           decoupled_weight_decay, eps_hat):
    """One Adam step: returns ``(x_new, state_new)``."""
    t = state.step + 1
    if maximize:
        g = -g                                          # ascend f by descending -f
    if decoupled_weight_decay:
        x = x * (1 - lr * weight_decay)                 # AdamW: shrink x directly
    else:
        g = g + weight_decay * x                        # Adam: L2 term joins g

    m = beta1 * state.exp_avg + (1 - beta1) * g         # running mean of g
    v = beta2 * state.exp_avg_sq + (1 - beta2) * g * g  # running mean of g^2
    v_max = np.maximum(state.max_exp_avg_sq, v) if amsgrad else None
    v_used = v_max if amsgrad else v                    # AMSGrad: never let v shrink

    correction1 = 1 - beta1**t                          # bias corrections
    correction2 = 1 - beta2**t
    if eps_hat:   # Kingma & Ba's "efficient" form (TF, Keras): eps on the uncorrected root
        delta = lr * np.sqrt(correction2) / correction1 * m / (np.sqrt(v_used) + eps)
    else:         # Algorithm 1 (torch): eps on the corrected root
        delta = (lr / correction1) * m / (np.sqrt(v_used) / np.sqrt(correction2) + eps)
    return x - delta, AdamState(m, v, v_max, t)
# fmt: on


def adam(
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    *,
    weight_decay=0.0,
    amsgrad=False,
    maximize=False,
    decoupled_weight_decay=False,
    eps_hat=False,
    check_finite=False,
) -> _common.Optimizer:
    r"""Adam; the defaults reproduce ``torch.optim.Adam``.

    .. math::

        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\
        \hat m_t &= \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t} \\
        \theta_t &= \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}

    Conventions:
        * ``eps`` is added to the *corrected* root (Algorithm 1, torch, optax). Keras and TF
          add :math:`\hat\varepsilon` to the uncorrected root and fold the corrections into
          the step size (``eps_hat=True``): :math:`\theta_t = \theta_{t-1} -
          \eta \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t} \frac{m_t}{\sqrt{v_t} + \hat\varepsilon}`.
          No constant eps makes the two agree (Keras defaults to 1e-7).
        * ``amsgrad`` keeps :math:`\max_{s \le t} v_s` and uses it instead of :math:`v_t`
          (torch and Keras take the max of the raw :math:`v`).
        * ``weight_decay`` is coupled L2 (torch Adam); ``decoupled_weight_decay=True`` shrinks
          :math:`\theta \leftarrow \theta(1-\eta\lambda)` first: AdamW, see :func:`adamw`.
        * float16 ``x`` gets float32 state; ``x`` is returned in its own dtype.

    Args:
        lr, eps, weight_decay: floats >= 0 or arrays broadcastable to ``x``.
        betas: pair ``(beta1, beta2)``, each in [0, 1) (floats or arrays).
        maximize: ascend instead of descend.
        check_finite: raise ``FloatingPointError`` (naming the step and the flat index) on
            a NaN/inf gradient. By default NaN/inf propagate into ``x`` and the state, as
            in torch.

    Returns:
        An Optimizer with state ``AdamState(exp_avg, exp_avg_sq, max_exp_avg_sq, step)``.
    """
    return _make_adam(
        "adam",
        lr,
        betas,
        eps,
        weight_decay,
        amsgrad,
        maximize,
        decoupled_weight_decay,
        eps_hat,
        check_finite,
    )


def adamw(
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    *,
    weight_decay=1e-2,
    amsgrad=False,
    maximize=False,
    check_finite=False,
) -> _common.Optimizer:
    r"""AdamW (Loshchilov & Hutter 2019), ``torch.optim.AdamW``: Adam with decoupled decay.

    .. math::

        \theta_{t-1} &\leftarrow \theta_{t-1}\,(1 - \eta\lambda) \\
        \theta_t &= \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}

    with :math:`\hat m_t, \hat v_t` as in :func:`adam` computed from the raw gradient.

    Conventions:
        * default ``weight_decay`` is 1e-2 (torch); optax uses 1e-4 and Keras 0.004.
        * the decay is multiplied by ``lr`` (torch, optax, Keras); the paper's schedule
          multiplier is not modelled.
    """
    return _make_adam(
        "adamw", lr, betas, eps, weight_decay, amsgrad, maximize, True, False, check_finite
    )


def _make_adam(
    name,
    lr,
    betas,
    eps,
    weight_decay,
    amsgrad,
    maximize,
    decoupled_weight_decay,
    eps_hat,
    check_finite,
) -> _common.Optimizer:
    check = _common.hyperparameter
    beta1, beta2 = _common.beta_pair(betas)
    settings = dict(
        lr=check("lr", lr),
        beta1=beta1,
        beta2=beta2,
        eps=check("eps", eps),
        weight_decay=check("weight_decay", weight_decay),
        amsgrad=_common.flag("amsgrad", amsgrad),
        maximize=_common.flag("maximize", maximize),
        decoupled_weight_decay=_common.flag("decoupled_weight_decay", decoupled_weight_decay),
        eps_hat=_common.flag("eps_hat", eps_hat),
    )

    def init(x):
        zeros = np.zeros_like(x)
        return AdamState(zeros, zeros.copy(), zeros.copy() if settings["amsgrad"] else None, 0)

    others = {k: v for k, v in settings.items() if k not in ("lr", "beta1", "beta2")}
    hyperparams = dict(lr=settings["lr"], betas=(beta1, beta2), **others)
    return _common.make_optimizer(
        name, AdamState, init, update, settings, hyperparams, check_finite
    )
