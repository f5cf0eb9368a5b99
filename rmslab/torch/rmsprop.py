r"""RMSProp (Tieleman & Hinton, 2012) with torch's semantics and the other frameworks' options."""

import math
from dataclasses import dataclass

import torch

from rmslab import validation

from ._base import (
    RmslabOptimizer,
    as_float,
    check_flag,
    check_implementation,
    check_number,
    new_step_counter,
    plus_eps,
    zeros_state,
)


class RMSProp(RmslabOptimizer):
    r"""RMSProp: divide each coordinate's step by a running root-mean-square of its gradients.

    With the defaults this is ``torch.optim.RMSprop`` step for step (same arguments, same
    defaults, same state keys, interchangeable ``state_dict``):

    .. math::
       \begin{aligned}
            &\textbf{input: } \gamma \text{ (lr)}, \alpha \text{ (alpha)}, \epsilon
                \text{ (eps)}, \lambda \text{ (weight decay)}, \mu \text{ (momentum)} \\
            &\textbf{initialize: } v_0 \leftarrow v_{init} \text{ (0)}, \;
                \bar g_0 \leftarrow 0, \; b_0 \leftarrow 0 \\
            &\textbf{for } t = 1, 2, \ldots \\
            &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1}), \qquad
                g_t \leftarrow -g_t \ \text{if maximize} \\
            &\quad g_t \leftarrow g_t + \lambda \theta_{t-1} \qquad
                \big(\text{decoupled: } \theta_{t-1} \leftarrow
                \theta_{t-1}(1 - \gamma\lambda) \text{ instead}\big) \\
            &\quad v_t \leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
            &\quad \tilde v_t \leftarrow v_t \qquad \big(\text{bias correction: }
                \tilde v_t \leftarrow v_t / (1 - \alpha^t)\big) \\
            &\quad \text{if centered: } \bar g_t \leftarrow \alpha \bar g_{t-1}
                + (1 - \alpha) g_t, \quad \tilde v_t \leftarrow \tilde v_t - \bar g_t^2
                \quad \big(\text{safe: } \max(\cdot, 0)\big) \\
            &\quad d_t \leftarrow \sqrt{\tilde v_t} + \epsilon \qquad
                \big(\text{eps\_in\_sqrt: } d_t \leftarrow \sqrt{\tilde v_t + \epsilon}\big) \\
            &\quad \text{if } \mu > 0: \; b_t \leftarrow \mu b_{t-1} + g_t / d_t, \;
                \theta_t \leftarrow \theta_{t-1} - \gamma b_t
                \qquad \big(\text{nesterov: }
                \theta_t \leftarrow \theta_{t-1} - \gamma(\mu b_t + g_t / d_t)\big) \\
            &\quad \text{else: } \theta_t \leftarrow \theta_{t-1} - \gamma\, g_t / d_t
       \end{aligned}

    With ``lr_in_momentum=True`` the learning rate moves into the buffer (TF1, Keras, timm):
    :math:`b_t \leftarrow \mu b_{t-1} + \gamma g_t / d_t`, :math:`\theta_t \leftarrow
    \theta_{t-1} - b_t`; for a constant :math:`\gamma` the two are the same.

    **Conventions.** The frameworks that all call this "RMSProp" differ in five places, and
    each is a keyword here (torch's choice is the default):

    * where :math:`\epsilon` goes: torch, Caffe and Adam add it outside the root; TF1, Keras 3,
      Lasagne, optax and Graves (2013) inside (``eps_in_sqrt=True``). Inside, ``eps=1e-8``
      puts a floor of 1e-4 on :math:`d_t`, so small-gradient steps shrink up to 100x.
    * the start :math:`v_0`: 0 (torch, Keras 3, optax) or 1 (TF1): ``initial_square_avg``.
      From :math:`v_0 = 0` the first step is about :math:`\gamma/\sqrt{1-\alpha}`
      (10 lr at :math:`\alpha = 0.99`) whatever the gradient's size.
    * bias correction: none (torch, Keras, TF) or :math:`v_t/(1-\alpha^t)` (optax option);
      ``bias_correction=True`` with eps outside the root is ``Adam(betas=(0, alpha))``.
      Combined with ``centered=True`` it is degenerate: at :math:`t = 1`,
      :math:`\hat v_1 = g_1^2` and :math:`\hat{\bar g}_1 = g_1`, so the variance estimate is 0
      up to rounding and the first step is about :math:`\gamma g_1/\epsilon`.
    * the learning rate before or after the momentum buffer (``lr_in_momentum``), and coupled
      L2 (torch) versus decoupled decay (Keras 3, ``decoupled_weight_decay=True``).
    * centered: torch adds :math:`\epsilon` after the root of :math:`v_t - \bar g_t^2`, which
      rounding can make slightly negative under a constant gradient; the root is then NaN
      and so is the parameter from then on. ``safe=True`` clamps the difference at 0 (and
      takes no step where :math:`d_t = 0`, which needs ``eps=0``).

    ``alpha`` is the book's :math:`\beta`, Keras's ``rho`` and optax's ``decay``.

    Args:
        params: iterable of parameters or of parameter-group dicts.
        lr (float or Tensor): learning rate :math:`\gamma`, in [0, inf) (default: 1e-2).
        alpha (float): decay :math:`\alpha` of the square average, in [0, 1) (default: 0.99).
        eps (float): :math:`\epsilon`, in [0, inf) (default: 1e-8).
        weight_decay (float): :math:`\lambda`, in [0, inf) (default: 0).
        momentum (float): :math:`\mu`, in [0, 1) (default: 0).
        centered (bool): divide by an estimate of the standard deviation of the gradient.
        capturable (bool): kept for signature compatibility; only ``False``.
        foreach (bool or None): use the ``torch._foreach_*`` path (``None``: only on CUDA).
        maximize (bool): ascend the objective instead of descending it.
        differentiable (bool): run the step with autograd on (single-tensor path only).
        eps_in_sqrt (bool): :math:`d_t = \sqrt{\tilde v_t + \epsilon}` (default: False).
        initial_square_avg (float): :math:`v_0`, in [0, inf) (default: 0).
        safe (bool): clamp :math:`\tilde v_t - \bar g_t^2` at 0 when centered, and make no
            step where :math:`d_t = 0` (possible only with ``eps=0``) instead of 0/0.
        lr_in_momentum (bool): apply :math:`\gamma` inside the momentum buffer.
        nesterov (bool): Nesterov momentum (needs ``momentum > 0``).
        decoupled_weight_decay (bool): :math:`\theta \leftarrow \theta(1 - \gamma\lambda)`
            instead of adding :math:`\lambda\theta` to the gradient.
        bias_correction (bool): divide :math:`v_t` (and :math:`\bar g_t`) by
            :math:`1 - \alpha^t`.
    """

    #: Every key a parameter's state can hold (torch's names).
    STATE_KEYS = ("step", "square_avg", "momentum_buffer", "grad_avg")

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
        *,
        eps_in_sqrt=False,
        initial_square_avg=0.0,
        safe=False,
        lr_in_momentum=False,
        nesterov=False,
        decoupled_weight_decay=False,
        bias_correction=False,
    ):
        lr = check_number("lr", lr, allow_tensor=True)
        alpha = check_number("alpha", alpha, high=1.0)
        eps = check_number("eps", eps)
        weight_decay = check_number("weight_decay", weight_decay)
        momentum = check_number("momentum", momentum, high=1.0)
        initial_square_avg = check_number("initial_square_avg", initial_square_avg)
        flags = {
            "centered": centered,
            "maximize": maximize,
            "eps_in_sqrt": eps_in_sqrt,
            "safe": safe,
            "lr_in_momentum": lr_in_momentum,
            "nesterov": nesterov,
            "decoupled_weight_decay": decoupled_weight_decay,
            "bias_correction": bias_correction,
        }
        for name, flag in flags.items():
            check_flag(name, flag)
        check_implementation(capturable=capturable, differentiable=differentiable, foreach=foreach)
        validation.check_nesterov(nesterov, momentum)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            **flags,
            "initial_square_avg": initial_square_avg,
        }
        super().__init__(params, defaults)

    def _init_state(self, param, state, group):
        state["step"] = new_step_counter()
        state["square_avg"] = zeros_state(param, fill=group["initial_square_avg"])
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_state(param)
        if group["centered"]:
            state["grad_avg"] = zeros_state(param)

    def _update(self, group, params, grads, states):
        settings = Settings.from_group(group)
        if self._use_foreach(group, params):
            update = _foreach_rmsprop
        else:
            update = _single_rmsprop
        update(params, grads, states, settings)


@dataclass(frozen=True)
class Settings:
    """The hyperparameters of one parameter group, read once per step."""

    lr: float
    alpha: float
    eps: float
    weight_decay: float
    momentum: float
    centered: bool
    maximize: bool
    eps_in_sqrt: bool
    safe: bool
    lr_in_momentum: bool
    nesterov: bool
    decoupled_weight_decay: bool
    bias_correction: bool

    @classmethod
    def from_group(cls, group):
        names = [name for name in cls.__dataclass_fields__ if name != "lr"]
        return cls(lr=as_float(group["lr"]), **{name: group[name] for name in names})

    @property
    def lr_inner_outer(self):
        """``(inner, outer)``: :math:`b \\leftarrow \\mu b + inner \\cdot g/d`,
        :math:`\\theta \\leftarrow \\theta - outer \\cdot b`."""
        return (self.lr, 1.0) if self.lr_in_momentum else (1.0, self.lr)

    def bias_correction_at(self, step):
        """:math:`1 - \\alpha^t` with bias correction, else 1."""
        return 1 - self.alpha ** step.item() if self.bias_correction else 1.0


def _denominator(square_avg, grad_avg, c: Settings, correction: float):
    r"""The denominator :math:`\sqrt{\tilde v} + \epsilon` or :math:`\sqrt{\tilde v + \epsilon}`.

    Returns a new tensor; ``square_avg`` and ``grad_avg`` are not modified.
    """
    second_moment = square_avg if correction == 1 else square_avg / correction
    if grad_avg is not None:
        second_moment = second_moment.addcmul(grad_avg, grad_avg, value=-1 / correction**2)
        if c.safe:
            second_moment.clamp_(min=0)
    if c.eps_in_sqrt:
        denominator = second_moment.add(c.eps).sqrt_()
    else:
        denominator = plus_eps(second_moment.sqrt(), c.eps)
    if c.safe:
        _no_step_where_zero(denominator)
    return denominator


def _no_step_where_zero(denominator):
    """Safe mode: g / 0 (possible only with eps = 0) becomes no step, via g / inf = 0."""
    denominator.masked_fill_(denominator == 0, math.inf)


def _single_rmsprop(params, grads, states, c: Settings):
    """One tensor at a time; the readable version of the update in the class docstring."""
    inner, outer = c.lr_inner_outer
    for param, grad, state in zip(params, grads, states, strict=True):
        state["step"] += 1
        if c.maximize:
            grad = -grad
        if c.weight_decay != 0:
            if c.decoupled_weight_decay:
                param.mul_(1 - c.lr * c.weight_decay)
            else:
                grad = grad.add(param, alpha=c.weight_decay)
        square_avg = state["square_avg"]
        square_avg.mul_(c.alpha).addcmul_(grad, grad, value=1 - c.alpha)
        grad_avg = state["grad_avg"].lerp_(grad, 1 - c.alpha) if c.centered else None
        denominator = _denominator(square_avg, grad_avg, c, c.bias_correction_at(state["step"]))
        if c.momentum > 0:
            buffer = state["momentum_buffer"]
            buffer.mul_(c.momentum).addcdiv_(grad, denominator, value=inner)
            if c.nesterov:
                param.add_(buffer, alpha=-outer * c.momentum)
                param.addcdiv_(grad, denominator, value=-c.lr)
            else:
                param.add_(buffer, alpha=-outer)
        else:
            param.addcdiv_(grad, denominator, value=-c.lr)


def _foreach_rmsprop(params, grads, states, c: Settings):
    """The same update with one ``torch._foreach_*`` call per line."""
    inner, outer = c.lr_inner_outer
    steps = [state["step"] for state in states]
    square_avgs = [state["square_avg"] for state in states]
    torch._foreach_add_(steps, 1.0)
    if c.maximize:
        grads = torch._foreach_neg(grads)
    if c.weight_decay != 0:
        if c.decoupled_weight_decay:
            torch._foreach_mul_(params, 1 - c.lr * c.weight_decay)
        else:
            grads = torch._foreach_add(grads, params, alpha=c.weight_decay)
    torch._foreach_mul_(square_avgs, c.alpha)
    torch._foreach_addcmul_(square_avgs, grads, grads, value=1 - c.alpha)

    second_moments = square_avgs
    if c.bias_correction:
        corrections = [c.bias_correction_at(step) for step in steps]
        second_moments = torch._foreach_div(square_avgs, corrections)
    if c.centered:
        grad_avgs = [state["grad_avg"] for state in states]
        torch._foreach_lerp_(grad_avgs, grads, 1 - c.alpha)
        if c.bias_correction:
            weights = [-1 / correction**2 for correction in corrections]
            torch._foreach_addcmul_(second_moments, grad_avgs, grad_avgs, weights)
        else:
            second_moments = torch._foreach_addcmul(square_avgs, grad_avgs, grad_avgs, value=-1)
        if c.safe:
            torch._foreach_clamp_min_(second_moments, 0.0)
    if c.eps_in_sqrt:
        denominators = torch._foreach_add(second_moments, c.eps)
        torch._foreach_sqrt_(denominators)
    else:
        denominators = torch._foreach_sqrt(second_moments)
        torch._foreach_add_(denominators, c.eps)
    if c.safe:
        for denominator in denominators:
            _no_step_where_zero(denominator)

    if c.momentum > 0:
        buffers = [state["momentum_buffer"] for state in states]
        torch._foreach_mul_(buffers, c.momentum)
        torch._foreach_addcdiv_(buffers, grads, denominators, value=inner)
        if c.nesterov:
            torch._foreach_add_(params, buffers, alpha=-outer * c.momentum)
            torch._foreach_addcdiv_(params, grads, denominators, value=-c.lr)
        else:
            torch._foreach_add_(params, buffers, alpha=-outer)
    else:
        torch._foreach_addcdiv_(params, grads, denominators, value=-c.lr)
