r"""Adagrad (Duchi, Hazan & Singer, 2011) with torch.optim.Adagrad's semantics."""

import torch

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


class Adagrad(RmslabOptimizer):
    r"""Adagrad: divide by the root of the *sum* of all past squared gradients.

    .. math::
       \begin{aligned}
            &s_0 \leftarrow \text{initial\_accumulator\_value} \\
            &g_t \leftarrow \nabla_\theta f_t(\theta_{t-1}),
                \qquad g_t \leftarrow -g_t \ \text{if maximize} \\
            &g_t \leftarrow g_t + \lambda \theta_{t-1} \\
            &\tilde\gamma_t \leftarrow \gamma / \big(1 + (t - 1)\,\eta\big) \\
            &s_t \leftarrow s_{t-1} + g_t^2 \\
            &\theta_t \leftarrow \theta_{t-1} - \tilde\gamma_t\, g_t / \big(\sqrt{s_t}
                + \epsilon\big)
       \end{aligned}

    with :math:`\gamma` = ``lr``, :math:`\eta` = ``lr_decay``, :math:`\lambda` =
    ``weight_decay``. As in torch, :math:`\epsilon` is added *outside* the square root and the
    state (``step``, ``sum``) is created in the constructor, so ``state_dict()`` of a fresh
    optimizer already lists it. One difference: torch fills every group's ``sum`` with the
    constructor's ``initial_accumulator_value`` even when a parameter group sets its own;
    here each group's own value is used. RMSProp is this algorithm with the sum replaced by
    an exponential moving average.

    Args:
        params: iterable of parameters or of parameter-group dicts.
        lr (float or Tensor): learning rate :math:`\gamma`, in [0, inf) (default: 1e-2).
        lr_decay (float): :math:`\eta`, in [0, inf) (default: 0).
        weight_decay (float): coupled L2 coefficient :math:`\lambda`, in [0, inf) (default: 0).
        initial_accumulator_value (float): :math:`s_0`, in [0, inf) (default: 0).
        eps (float): :math:`\epsilon`, in [0, inf) (default: 1e-10).
        foreach (bool or None): use the ``torch._foreach_*`` path (``None``: only on CUDA).
        maximize (bool): ascend the objective instead of descending it.
        differentiable (bool): run the step with autograd on (single-tensor path only).
        fused: torch's fused kernels; not implemented here, only ``None``/``False``.
    """

    #: Every key a parameter's state can hold (torch's names).
    STATE_KEYS = ("step", "sum")

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        fused=None,
    ):
        lr = check_number("lr", lr, allow_tensor=True)
        lr_decay = check_number("lr_decay", lr_decay)
        weight_decay = check_number("weight_decay", weight_decay)
        initial_accumulator_value = check_number(
            "initial_accumulator_value", initial_accumulator_value
        )
        eps = check_number("eps", eps)
        maximize = check_flag("maximize", maximize)
        check_implementation(differentiable=differentiable, fused=fused, foreach=foreach)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(param, self.state[param], group)

    def _init_state(self, param, state, group):
        state["step"] = new_step_counter()
        state["sum"] = zeros_state(param, fill=group["initial_accumulator_value"])

    def _update(self, group, params, grads, states):
        update = _foreach_adagrad if self._use_foreach(group, params) else _single_adagrad
        update(
            params,
            grads,
            states,
            lr=as_float(group["lr"]),
            lr_decay=group["lr_decay"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
        )


def _decayed_lr(lr, lr_decay, step):
    r""":math:`\gamma / (1 + (t - 1) \eta)` for the step counter after its increment."""
    return lr / (1 + (step.item() - 1) * lr_decay)


def _single_adagrad(params, grads, states, *, lr, lr_decay, weight_decay, eps, maximize):
    """One tensor at a time; the readable version of the update above."""
    for param, grad, state in zip(params, grads, states, strict=True):
        state["step"] += 1
        if maximize:
            grad = -grad
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        state["sum"].addcmul_(grad, grad, value=1)
        denominator = plus_eps(state["sum"].sqrt(), eps)
        param.addcdiv_(grad, denominator, value=-_decayed_lr(lr, lr_decay, state["step"]))


def _foreach_adagrad(params, grads, states, *, lr, lr_decay, weight_decay, eps, maximize):
    """The same update with one ``torch._foreach_*`` call per line."""
    steps = [state["step"] for state in states]
    sums = [state["sum"] for state in states]
    torch._foreach_add_(steps, 1.0)
    if maximize:
        grads = torch._foreach_neg(grads)
    if weight_decay != 0:
        grads = torch._foreach_add(grads, params, alpha=weight_decay)
    torch._foreach_addcmul_(sums, grads, grads, value=1)
    denominators = torch._foreach_sqrt(sums)
    torch._foreach_add_(denominators, eps)
    minus_lrs = [-_decayed_lr(lr, lr_decay, step) for step in steps]
    torch._foreach_addcdiv_(params, grads, denominators, minus_lrs)
