r"""Adam and AdamW (Kingma & Ba, 2015; Loshchilov & Hutter, 2019) with torch's semantics."""

import functools

import torch

from rmslab import validation

from ._base import (
    RmslabOptimizer,
    as_float,
    check_flag,
    check_implementation,
    check_number,
    new_step_counter,
    zeros_state,
)


class Adam(RmslabOptimizer):
    r"""Adam: RMSProp's second moment, a first-moment (momentum) average, bias correction.

    .. math::
       \begin{aligned}
            &g_t \leftarrow \nabla_\theta f_t(\theta_{t-1}),
                \qquad g_t \leftarrow -g_t \ \text{if maximize} \\
            &\text{decoupled: } \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda)
                \qquad \text{else: } g_t \leftarrow g_t + \lambda\theta_{t-1} \\
            &m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
            &v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
            &\text{amsgrad: } v^{max}_t \leftarrow \max(v^{max}_{t-1}, v_t),
                \quad v_t \leftarrow v^{max}_t \ \text{(in the denominator only)} \\
            &\theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\,
                \frac{m_t}{\sqrt{v_t}/\sqrt{1 - \beta_2^t} + \epsilon}
       \end{aligned}

    This is torch's form (Algorithm 1 of the paper): :math:`\epsilon` is added to the root of
    the bias-corrected :math:`\hat v_t`. With ``eps_hat=True`` the paper's "efficient" form,
    used by Keras and TensorFlow, is computed instead:

    .. math::
       \theta_t \leftarrow \theta_{t-1} - \gamma\,\frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}\,
           \frac{m_t}{\sqrt{v_t} + \hat\epsilon}

    which equals torch's form with :math:`\epsilon = \hat\epsilon/\sqrt{1 - \beta_2^t}`, an
    epsilon that changes every step, so no constant ``eps`` makes the two forms agree.
    Adam with :math:`\beta_1 = 0` is bias-corrected RMSProp (see :class:`RMSProp`).

    Args:
        params: iterable of parameters or of parameter-group dicts.
        lr (float or Tensor): learning rate :math:`\gamma`, in [0, inf) (default: 1e-3).
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)`, each in [0, 1)
            (default: (0.9, 0.999)).
        eps (float): :math:`\epsilon`, in [0, inf) (default: 1e-8).
        weight_decay (float): :math:`\lambda`, in [0, inf) (default: 0).
        amsgrad (bool): keep the running maximum ``max_exp_avg_sq`` (Reddi et al., 2018).
        foreach (bool or None): use the ``torch._foreach_*`` path (``None``: only on CUDA).
        maximize (bool): ascend the objective instead of descending it.
        differentiable (bool): run the step with autograd on (single-tensor path only).
        capturable, fused: CUDA graphs and torch's fused kernels; not implemented here, only
            ``False``/``None``.
        decoupled_weight_decay (bool): AdamW's decay :math:`\theta(1 - \gamma\lambda)`.
        eps_hat (bool): rmslab extra, the Keras/TF :math:`\hat\epsilon` form above.
    """

    #: Every key a parameter's state can hold (torch's names).
    STATE_KEYS = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
        eps_hat=False,
    ):
        lr = check_number("lr", lr, allow_tensor=True)
        betas = validation.check_pair(
            "betas", betas, functools.partial(check_number, allow_tensor=True)
        )
        eps = check_number("eps", eps)
        weight_decay = check_number("weight_decay", weight_decay)
        for name, flag in (
            ("amsgrad", amsgrad),
            ("maximize", maximize),
            ("decoupled_weight_decay", decoupled_weight_decay),
            ("eps_hat", eps_hat),
        ):
            check_flag(name, flag)
        check_implementation(
            capturable=capturable, differentiable=differentiable, fused=fused, foreach=foreach
        )
        _check_tensor_hyperparameters(lr, betas, foreach)
        defaults = {
            "lr": lr,
            "betas": tuple(as_float(beta) for beta in betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
            "eps_hat": eps_hat,
        }
        super().__init__(params, defaults)

    def _init_state(self, param, state, group):
        state["step"] = new_step_counter()
        state["exp_avg"] = zeros_state(param)
        state["exp_avg_sq"] = zeros_state(param)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_state(param)

    def _update(self, group, params, grads, states):
        update = _foreach_adam if self._use_foreach(group, params) else _single_adam
        beta1, beta2 = group["betas"]
        update(
            params,
            grads,
            states,
            lr=as_float(group["lr"]),
            beta1=as_float(beta1),
            beta2=as_float(beta2),
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            amsgrad=group["amsgrad"],
            maximize=group["maximize"],
            decoupled=group["decoupled_weight_decay"],
            eps_hat=group["eps_hat"],
        )


def _check_tensor_hyperparameters(lr, betas, foreach):
    """torch's rules (and messages) for tensor ``lr`` and ``betas``: no tensors with
    ``foreach=True`` (torch's foreach kernels take numbers there), betas both or neither."""
    if torch.is_tensor(betas[0]) != torch.is_tensor(betas[1]):
        raise ValueError("betas must be either both floats or both Tensors")
    if foreach and torch.is_tensor(lr):
        raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
    if foreach and torch.is_tensor(betas[0]):
        raise ValueError(
            "betas[0] as a Tensor is not supported for capturable=False and foreach=True"
        )


def _step_size_and_root_correction(lr, beta1, beta2, step, eps_hat):
    r"""``(s, c)`` with :math:`\theta \leftarrow \theta - s\, m / (\sqrt{v}/c + \epsilon)`."""
    t = step.item()
    bias_correction1 = 1 - beta1**t
    root_correction = (1 - beta2**t) ** 0.5
    if eps_hat:
        return lr * root_correction / bias_correction1, 1.0
    return lr / bias_correction1, root_correction


def _single_adam(
    params,
    grads,
    states,
    *,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    amsgrad,
    maximize,
    decoupled,
    eps_hat,
):
    """One tensor at a time; the readable version of the update above."""
    for param, grad, state in zip(params, grads, states, strict=True):
        state["step"] += 1
        if maximize:
            grad = -grad
        if weight_decay != 0:
            if decoupled:
                param.mul_(1 - lr * weight_decay)
            else:
                grad = grad.add(param, alpha=weight_decay)
        state["exp_avg"].lerp_(grad, 1 - beta1)
        state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        second_moment = state["exp_avg_sq"]
        if amsgrad and torch.is_grad_enabled():  # differentiable: keep the old max for backward
            largest = torch.maximum(state["max_exp_avg_sq"].clone(), second_moment)
            second_moment = state["max_exp_avg_sq"].copy_(largest)
        elif amsgrad:
            second_moment = torch.maximum(
                state["max_exp_avg_sq"], second_moment, out=state["max_exp_avg_sq"]
            )
        step_size, root_correction = _step_size_and_root_correction(
            lr, beta1, beta2, state["step"], eps_hat
        )
        denominator = (second_moment.sqrt() / root_correction).add_(eps)
        param.addcdiv_(state["exp_avg"], denominator, value=-step_size)


def _foreach_adam(
    params,
    grads,
    states,
    *,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    amsgrad,
    maximize,
    decoupled,
    eps_hat,
):
    """The same update with one ``torch._foreach_*`` call per line."""
    steps = [state["step"] for state in states]
    exp_avgs = [state["exp_avg"] for state in states]
    exp_avg_sqs = [state["exp_avg_sq"] for state in states]
    torch._foreach_add_(steps, 1.0)
    if maximize:
        grads = torch._foreach_neg(grads)
    if weight_decay != 0:
        if decoupled:
            torch._foreach_mul_(params, 1 - lr * weight_decay)
        else:
            grads = torch._foreach_add(grads, params, alpha=weight_decay)
    torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
    torch._foreach_mul_(exp_avg_sqs, beta2)
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, value=1 - beta2)
    second_moments = exp_avg_sqs
    if amsgrad:
        second_moments = [state["max_exp_avg_sq"] for state in states]
        torch._foreach_maximum_(second_moments, exp_avg_sqs)
    sizes, corrections = zip(
        *(_step_size_and_root_correction(lr, beta1, beta2, s, eps_hat) for s in steps), strict=False
    )
    denominators = torch._foreach_sqrt(second_moments)
    torch._foreach_div_(denominators, list(corrections))
    torch._foreach_add_(denominators, eps)
    torch._foreach_addcdiv_(params, exp_avgs, denominators, [-size for size in sizes])


class AdamW(Adam):
    r"""AdamW: :class:`Adam` with decoupled weight decay, default ``weight_decay=1e-2``.

    .. math::
       \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda), \quad \text{then the Adam
       update with } \lambda = 0

    The decay multiplies the parameter directly, so it does not pass through the adaptive
    denominator (with coupled L2 in :class:`Adam` it does). Arguments as :class:`Adam`;
    ``decoupled_weight_decay`` is always ``True`` (also after ``load_state_dict``).
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
        eps_hat=False,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
            eps_hat=eps_hat,
        )

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
