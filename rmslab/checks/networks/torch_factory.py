"""Lab 6, Exercise 4: the same optimizer built from ``torch.optim.RMSprop``.

``torch_rmsprop(params, lr, beta, eps)`` must return ``torch.optim.RMSprop`` with
``lr=lr, alpha=beta, eps=eps`` (torch's ``alpha`` is the book's :math:`\\beta`) and every other
argument at its default. The check reads the settings from the optimizer's parameter group,
names the one set wrongly, then steps a float64 parameter against
:func:`~rmslab.checks.networks.optimizer_cases.reference_step`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmslab.checks._core import CheckResult, Mistake, close, fn_name, run_check
from rmslab.checks.networks.calling import an_instance, run_student
from rmslab.checks.networks.optimizer_cases import reference_step


def torch_rmsprop(params, lr: float, beta: float, eps: float):
    """The reference answer to Exercise 4: ``torch.optim.RMSprop`` with the book's names
    (torch's ``alpha`` is :math:`\\beta`); the lab uses it when that exercise is unfinished."""
    import torch

    return torch.optim.RMSprop(params, lr=lr, alpha=beta, eps=eps)


#: Non-default values, so that an argument left at torch's default shows.
_TORCH_CASE = dict(lr=0.05, beta=0.9, eps=1e-3)


def check_torch_rmsprop_factory(torch_rmsprop: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``torch_rmsprop(params, lr, beta, eps)``: it must return ``torch.optim.RMSprop``
    with ``lr=lr, alpha=beta, eps=eps`` and every other argument at its default, which then
    steps a float64 parameter as :func:`rmslab.optim.rmsprop` does."""
    name = fn_name(torch_rmsprop)

    def checker() -> str:
        import torch

        lr, beta, eps = _TORCH_CASE.values()
        p = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
        opt = run_student(
            torch_rmsprop,
            [p],
            lr,
            beta,
            eps,
            name=name,
            loop_hint="It needs no loop: return `torch.optim.RMSprop(...)`.",
        )
        if type(opt) is not torch.optim.RMSprop:
            raise Mistake(
                f"`{name}` returned {an_instance(opt)}; return torch's own optimizer, "
                "`torch.optim.RMSprop(params, ...)`, not yours or another one."
            )
        _judge_torch_settings(opt.param_groups[0], lr, beta, eps)
        x, v = p.detach().numpy().copy(), np.zeros(3)
        for _ in range(5):
            g = np.array([3.0, 1.0, -2.0]) * x
            p.grad = torch.from_numpy(g.copy())
            opt.step()
            x, v = reference_step(x, g, v, lr, beta, eps)
        if not close(p.detach().numpy(), x):
            raise Mistake(
                f"`{name}`'s optimizer does not step as RMSProp does: leave every argument "
                "other than lr, alpha and eps at torch's default."
            )
        return "torch.optim.RMSprop(params, lr=lr, alpha=beta, eps=eps): torch calls beta `alpha`."

    return run_check(checker, quiet=quiet, fn=torch_rmsprop)


def _judge_torch_settings(group: dict, lr: float, beta: float, eps: float) -> None:
    """Name a torch argument set to the wrong value, from the optimizer's parameter group."""
    alpha = group["alpha"]
    if group["momentum"] and np.isclose(group["momentum"], beta):
        raise Mistake(
            "you passed beta as `momentum`. torch's `momentum` is a second, separate average "
            "(heavy ball on top of RMSProp); the decay of v is `alpha`: pass `alpha=beta` and "
            "leave `momentum` at 0."
        )
    if np.isclose(alpha, 1 - beta):
        raise Mistake(
            "torch's `alpha` is the decay itself, the weight of the old average (our beta), "
            "not 1 - beta: pass `alpha=beta`."
        )
    if not np.isclose(alpha, beta):
        default = " (torch's default)" if alpha == 0.99 else ""
        raise Mistake(f"`alpha` is {alpha:g}{default}; torch calls beta `alpha`: `alpha=beta`.")
    if not np.isclose(group["lr"], lr):
        raise Mistake(f"`lr` is {group['lr']:g}, not the lr you were given: pass `lr=lr`.")
    if not np.isclose(group["eps"], eps):
        default = " (torch's default)" if group["eps"] == 1e-8 else ""
        raise Mistake(f"`eps` is {group['eps']:g}{default}, not the eps you were given: `eps=eps`.")
    if group["centered"]:
        raise Mistake(
            "`centered=True` divides by the root of v minus the squared mean gradient (Graves' "
            "variant); the lab's RMSProp is the plain one: leave `centered` at False."
        )
