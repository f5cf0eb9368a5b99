r"""The small problems on which Lab 6 checks the student's optimizer, and the right answers.

Each :class:`Case` is a few parameters in groups and the loss
:math:`\sum_p \sum (a_p\, p + c_p\, p^2 / 2)`, whose gradient :math:`a_p + c_p\, p` is known
in closed form. :func:`simulate` runs RMSProp on a case with :func:`reference_step`
(:func:`rmslab.optim.rmsprop`, tested against torch to 1e-12), or with one of the catalogued
mistakes (:data:`MATH_MISTAKES`, :data:`STATE_MISTAKES`) in its place, so that the check can
say which mistake a wrong path shows. torch is imported inside the functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rmslab import optim


@dataclass(frozen=True)
class Case:
    """Parameters (name -> initial value) in groups, the loss sum(a p + c p^2 / 2) over the
    parameters in ``a`` (the others get no gradient), and the constructor's hyperparameters."""

    groups: list[dict[str, np.ndarray]]
    a: dict[str, np.ndarray]
    c: dict[str, float]
    lr: float
    beta: float
    eps: float
    overrides: list[dict[str, float]] = field(default_factory=list)
    dtype: str = "float64"
    steps: int = 4

    def override(self, group: int) -> dict[str, float]:
        """The hyperparameters that group ``group`` sets itself (none by default)."""
        return self.overrides[group] if group < len(self.overrides) else {}

    def hyper(self, group: int) -> tuple[float, float, float]:
        extra = self.override(group)
        return extra.get("lr", self.lr), extra.get("beta", self.beta), extra.get("eps", self.eps)


def cases() -> list[Case]:
    """The four cases: two parameters of one shape in one group (a shared state shows), two
    groups where the second has its own lr, a parameter without a gradient, and a float32
    parameter with gradients near 1e-6 (eps inside the root shrinks its step a hundredfold)."""
    rng = np.random.default_rng(20261204)
    same_shape = Case(  # positive gradients: a forgotten square still gives numbers
        groups=[{"W": rng.uniform(0.5, 1.5, (2, 3)), "U": rng.uniform(0.5, 1.5, (2, 3))}],
        a={"W": rng.uniform(0.5, 2.0, (2, 3)), "U": rng.uniform(0.1, 1.0, (2, 3))},
        c={"W": 0.5, "U": 2.0},
        lr=0.05,
        beta=0.9,
        eps=1e-3,
    )
    two_groups = Case(
        groups=[{"W": rng.normal(size=(3, 2))}, {"b": rng.normal(size=3)}],
        a={"W": rng.normal(size=(3, 2)), "b": rng.normal(size=3)},
        c={"W": 1.0, "b": 3.0},
        lr=0.05,
        beta=0.9,
        eps=1e-3,
        overrides=[{}, {"lr": 0.01}],
    )
    unused = Case(
        groups=[{"W": rng.normal(size=(2, 2)), "frozen": rng.normal(size=2)}],
        a={"W": rng.normal(size=(2, 2))},
        c={"W": 1.0},
        lr=0.02,
        beta=0.99,
        eps=1e-8,
    )
    tiny = np.array([1e-6, -2e-6, 5e-7, 3e-6])
    float32_tiny = Case(  # the digits MLP's first layer sees gradients of this size
        groups=[{"W": rng.uniform(0.5, 1.5, 4) * np.array([1, -1, 1, -1])}],
        a={"W": tiny},
        c={"W": 0.0},
        lr=1e-3,
        beta=0.99,
        eps=1e-8,
        dtype="float32",
    )
    return [same_shape, two_groups, unused, float32_tiny]


def leaf_tensors(case: Case) -> dict:
    """The case's parameters as torch leaf tensors that require grad, as a model's are."""
    import torch

    dtype = getattr(torch, case.dtype)
    return {
        k: torch.tensor(value, dtype=dtype, requires_grad=True)
        for group in case.groups
        for k, value in group.items()
    }


def param_groups(case: Case, params: dict) -> list[dict]:
    """torch's ``param_groups`` argument: the tensors of each group, with its own settings."""
    return [
        dict({"params": [params[k] for k in group]}, **case.override(index))
        for index, group in enumerate(case.groups)
    ]


def loss(case: Case, params: dict):
    """The case's loss of the torch tensors ``params``, ready for ``backward()``."""
    import torch

    return sum(
        (torch.as_tensor(case.a[k], dtype=p.dtype) * p + case.c[k] * p**2 / 2).sum()
        for k, p in params.items()
        if k in case.a
    )


def reference_step(x, g, v, lr, beta, eps):
    """One right RMSProp step (torch's conventions): the new x and v."""
    opt = optim.rmsprop(lr=lr, beta=beta, eps=eps)
    x_new, state = opt.step(x, g, optim.RMSPropState(v, None, None, 0))
    return x_new, state.square_avg


def _rule(v_rule, step_rule=None):
    def compute(x, g, v, lr, beta, eps):
        v_new = v_rule(v, g, beta)
        if step_rule is None:
            return x - lr * g / (np.sqrt(v_new) + eps), v_new
        return step_rule(x, g, v, v_new, lr, eps), v_new

    return compute


def _average(v, g, beta):
    return beta * v + (1 - beta) * g**2


def simulate(case: Case, rule=reference_step, *, keep=True, shared=False, group_hyper=True):
    """Parameter values after each step (list of dicts) of an RMSProp with ``rule`` per
    parameter; ``keep=False`` restarts v from 0 at every step, ``shared=True`` uses one v for
    every parameter (None if their shapes differ: the student's code raised), and
    ``group_hyper=False`` gives every group the constructor's lr, beta, eps."""
    x = {k: v.astype(case.dtype).astype(float) for group in case.groups for k, v in group.items()}
    if shared and len({value.shape for value in x.values()}) > 1:
        return None
    v = {k: np.zeros_like(value) for k, value in x.items()}
    common = np.zeros_like(next(iter(x.values())))
    path = []
    for _ in range(case.steps):
        for index, group in enumerate(case.groups):
            lr, beta, eps = case.hyper(index) if group_hyper else (case.lr, case.beta, case.eps)
            for k in group:
                if k not in case.a:
                    continue
                g = case.a[k] + case.c[k] * x[k]
                old = common if shared else v[k] if keep else np.zeros_like(x[k])
                x[k], new = rule(x[k], g, old, lr, beta, eps)
                common, v[k] = new, new
        path.append({k: value.copy() for k, value in x.items()})
    return path


#: (message, rule): a wrong update formula, and how to compute what it gives.
MATH_MISTAKES = [
    (
        "eps is inside the square root (TensorFlow's form). torch adds it outside: divide by "
        "`np.sqrt(v_new) + eps`. The digits network's first layer sees gradients near 1e-5, "
        "below sqrt(eps) = 1e-4, where the two are different optimizers.",
        _rule(_average, lambda x, g, v, v_new, lr, eps: x - lr * g / np.sqrt(v_new + eps)),
    ),
    (
        "v averages g, not its square: `v_new = beta * v + (1 - beta) * g**2`.",
        _rule(lambda v, g, beta: beta * v + (1 - beta) * g),
    ),
    (
        "beta and 1 - beta are swapped: beta (close to 1) weighs the *old* average, "
        "`v_new = beta * v + (1 - beta) * g**2`.",
        _rule(lambda v, g, beta: (1 - beta) * v + beta * g**2),
    ),
    (
        "you divided by the *old* average: update v first, then divide by `np.sqrt(v_new) + eps`.",
        _rule(_average, lambda x, g, v, v_new, lr, eps: x - lr * g / (np.sqrt(v) + eps)),
    ),
    (
        "wrong sign: the parameters went *up* the gradient. Subtract the step.",
        _rule(_average, lambda x, g, v, v_new, lr, eps: x + lr * g / (np.sqrt(v_new) + eps)),
    ),
]

#: (message, options of :func:`simulate`): a state kept wrongly.
STATE_MISTAKES = [
    (
        "your optimizer forgets v between steps: every step acts like a first step from v = 0. "
        "Keep v in `self.state[p]` and create it only when that state is still empty.",
        dict(keep=False),
    ),
    (
        "all parameters share one v. Keep a separate v for each parameter in `self.state[p]`, "
        "torch's dictionary of per-parameter state.",
        dict(shared=True),
    ),
    (
        "a parameter group with its own lr was stepped with the constructor's lr. Read the "
        "hyperparameters from each group inside `for group in self.param_groups:` "
        "(`group['lr']`, `group['beta']`, `group['eps']`): that is where a scheduler changes them.",
        dict(group_hyper=False),
    ),
]


def variants() -> list[tuple[str, dict]]:
    """Every catalogued mistake as (message, options of :func:`simulate`)."""
    return [(message, dict(rule=rule)) for message, rule in MATH_MISTAKES] + STATE_MISTAKES
