r"""SGD with (heavy-ball or Nesterov) momentum, with torch.optim.SGD's semantics."""

import torch

from rmslab import validation

from ._base import RmslabOptimizer, as_float, check_flag, check_implementation, check_number


class Momentum(RmslabOptimizer):
    r"""Stochastic gradient descent with momentum, step for step equal to ``torch.optim.SGD``.

    .. math::
       \begin{aligned}
            &g_t \leftarrow \nabla_\theta f_t(\theta_{t-1}),
                \qquad g_t \leftarrow -g_t \ \text{if maximize} \\
            &g_t \leftarrow g_t + \lambda \theta_{t-1} \\
            &\text{if } \mu \neq 0: \quad
                b_t \leftarrow \begin{cases} g_t & t = 1 \\
                \mu b_{t-1} + (1 - \tau) g_t & t > 1 \end{cases}, \qquad
                g_t \leftarrow \begin{cases} g_t + \mu b_t & \text{nesterov} \\
                b_t & \text{otherwise} \end{cases} \\
            &\theta_t \leftarrow \theta_{t-1} - \gamma g_t
       \end{aligned}

    with :math:`\gamma` = ``lr``, :math:`\mu` = ``momentum``, :math:`\tau` = ``dampening``
    and :math:`\lambda` = ``weight_decay`` (coupled L2: it is added to the gradient). The
    buffer starts as a copy of the first gradient, not as zero, so the first step is a plain
    gradient step (no dampening on it). The state holds only ``momentum_buffer`` (when
    ``momentum != 0``) and no step counter, exactly like torch.

    Args:
        params: iterable of parameters or of parameter-group dicts.
        lr (float or Tensor): learning rate :math:`\gamma`, in [0, inf) (default: 1e-3).
        momentum (float): momentum factor :math:`\mu`, in [0, 1) (default: 0).
        dampening (float): dampening :math:`\tau` of the gradient in the buffer, in [0, 1]
            (default: 0).
        weight_decay (float): coupled L2 coefficient :math:`\lambda`, in [0, inf) (default: 0).
        nesterov (bool): Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.
        maximize (bool): ascend the objective instead of descending it.
        foreach (bool or None): use the ``torch._foreach_*`` path; ``None`` picks it only when
            every parameter is on CUDA (torch's rule).
        differentiable (bool): run the step with autograd on (single-tensor path only).
        fused: torch's fused kernels; not implemented here, only ``None``/``False``.
    """

    #: Every key a parameter's state can hold (torch's names).
    STATE_KEYS = ("momentum_buffer",)

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        lr = check_number("lr", lr, allow_tensor=True)
        momentum = check_number("momentum", momentum, high=1.0)
        dampening = check_number("dampening", dampening, high=1.0, high_closed=True)
        weight_decay = check_number("weight_decay", weight_decay)
        nesterov = check_flag("nesterov", nesterov)
        maximize = check_flag("maximize", maximize)
        check_implementation(differentiable=differentiable, fused=fused, foreach=foreach)
        validation.check_nesterov(nesterov, momentum, dampening)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def _init_state(self, param, state, group):
        """Nothing to do: the buffer is created from the first gradient, as in torch."""

    def _stateless(self, group):
        return group["momentum"] == 0

    def _update(self, group, params, grads, states):
        update = _foreach_momentum if self._use_foreach(group, params) else _single_momentum
        update(
            params,
            grads,
            states,
            lr=as_float(group["lr"]),
            momentum=group["momentum"],
            dampening=group["dampening"],
            weight_decay=group["weight_decay"],
            nesterov=group["nesterov"],
            maximize=group["maximize"],
        )


def _single_momentum(
    params, grads, states, *, lr, momentum, dampening, weight_decay, nesterov, maximize
):
    """One tensor at a time; the readable version of the update above."""
    for param, grad, state in zip(params, grads, states, strict=True):
        if maximize:
            grad = -grad
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = grad.clone()
            else:
                buffer.mul_(momentum).add_(grad, alpha=1 - dampening)
            grad = grad.add(buffer, alpha=momentum) if nesterov else buffer
        param.add_(grad, alpha=-lr)


def _foreach_momentum(
    params, grads, states, *, lr, momentum, dampening, weight_decay, nesterov, maximize
):
    """The same update with one ``torch._foreach_*`` call per line."""
    if maximize:
        grads = torch._foreach_neg(grads)
    if weight_decay != 0:
        grads = torch._foreach_add(grads, params, alpha=weight_decay)
    if momentum != 0:
        old = [i for i, state in enumerate(states) if "momentum_buffer" in state]
        if old:
            old_buffers = [states[i]["momentum_buffer"] for i in old]
            torch._foreach_mul_(old_buffers, momentum)
            torch._foreach_add_(old_buffers, [grads[i] for i in old], alpha=1 - dampening)
        for state, grad in zip(states, grads, strict=True):
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = grad.clone()
        buffers = [state["momentum_buffer"] for state in states]
        grads = torch._foreach_add(grads, buffers, alpha=momentum) if nesterov else buffers
    torch._foreach_add_(params, grads, alpha=-lr)
