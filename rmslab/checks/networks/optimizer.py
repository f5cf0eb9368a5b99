r"""Lab 6, Exercise 2: the student's numpy RMSProp step wrapped as a ``torch.optim.Optimizer``.

``NumpyRMSprop(params, lr, beta, eps)`` must step every parameter as

.. math::

    v_t = \beta\, v_{t-1} + (1-\beta)\, g_t^2, \qquad
    x_t = x_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \epsilon}

(torch's conventions: :math:`v_0 = 0`, :math:`\epsilon` outside the root), keep :math:`v` per
parameter, read each group's hyperparameters and skip a parameter without a gradient. The
check runs it on the cases of :mod:`~rmslab.checks.networks.optimizer_cases` and names the
mistake a wrong path or a failed step shows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmslab.checks._core import CheckResult, Mistake, close, fn_name, run_check
from rmslab.checks.networks.calling import an_instance, raised, run_student
from rmslab.checks.networks.optimizer_cases import (
    Case,
    cases,
    leaf_tensors,
    loss,
    param_groups,
    simulate,
    variants,
)

STEP_ERRORS = [  # (words in the exception, message)
    (
        "leaf Variable that requires grad",
        "`step` changed a parameter in place while autograd was recording. Run the update "
        "without it: put `@torch.no_grad()` above `def step` (or its body in "
        "`with torch.no_grad():`).",
    ),
    (
        "Can't call numpy() on Tensor that requires grad",
        "`step` called `.numpy()` on a parameter while autograd was recording, and torch "
        "refuses. Put `@torch.no_grad()` above `def step` (or its body in "
        "`with torch.no_grad():`); inside it `p.numpy()` shares the parameter's memory.",
    ),
    (
        "'NoneType' object has no attribute",
        "`step` failed on a parameter whose `.grad` is None (one the loss does not use). "
        "Skip it, as torch's optimizers do: `if p.grad is None: continue`.",
    ),
    (
        "broadcast",
        "the shapes of two parameters clashed: your state seems to be shared by all "
        "parameters. Keep a separate v for each parameter in `self.state[p]`.",
    ),
]

LOOP_HINT_STEP = (
    "One pass over `self.param_groups` and their parameters is all `step` needs: look for a "
    "`while` loop whose condition never changes."
)


def _explain_step_error(exc: Exception) -> Mistake:
    text = str(exc)
    if isinstance(exc, KeyError):
        return Mistake(
            f"`step` looked up {text} in a parameter group, which has no such key. Pass the "
            "hyperparameters to the base class as defaults, "
            "`super().__init__(params, dict(lr=lr, beta=beta, eps=eps))`, so that every group "
            "carries them."
        )
    for words, message in STEP_ERRORS:
        if words in text:
            return Mistake(message)
    return raised("step", exc)


def _build(optimizer_class: Callable, case: Case, params: dict):
    """The student's optimizer on the case's parameter groups; name a constructor's mistake."""
    import torch

    name = fn_name(optimizer_class)
    opt = run_student(
        optimizer_class,
        param_groups(case, params),
        case.lr,
        case.beta,
        case.eps,
        name=name,
        loop_hint="Its `__init__` needs no loop: look for a `while` loop that never ends.",
    )
    if not isinstance(opt, torch.optim.Optimizer):
        raise Mistake(
            f"`{name}(params, lr, beta, eps)` gave {an_instance(opt)}, not a "
            "torch.optim.Optimizer: "
            f"define `class {name}(torch.optim.Optimizer)` and call "
            "`super().__init__(params, dict(lr=lr, beta=beta, eps=eps))` in `__init__`."
        )
    if not hasattr(opt, "param_groups"):
        raise Mistake(
            f"`{name}` has no `param_groups`: its `__init__` must call "
            "`super().__init__(params, dict(lr=lr, beta=beta, eps=eps))`, which builds them."
        )
    return opt


def _student_path(optimizer_class: Callable, case: Case):
    """Run the student's optimizer on ``case``; name any mistake visible after a single step."""
    params = leaf_tensors(case)
    opt = _build(optimizer_class, case, params)
    path = []
    for _ in range(case.steps):
        for p in params.values():
            p.grad = None
        loss(case, params).backward()
        grads = {k: p.grad.clone() for k, p in params.items() if p.grad is not None}
        before = {k: p.detach().clone() for k, p in params.items()}
        run_student(opt.step, name="step", loop_hint=LOOP_HINT_STEP, explain=_explain_step_error)
        _after_step(params, grads, before, case)
        path.append({k: p.detach().double().numpy().copy() for k, p in params.items()})
    return path


def _after_step(params, grads, before, case: Case) -> None:
    """Mistakes that show after one step: a new dtype, parameters left where they were (the new
    values written into ``p.grad``, or only a name rebound), an altered gradient, a loop left
    after its first parameter."""
    import torch

    if any(p.dtype != getattr(torch, case.dtype) for p in params.values()):
        raise Mistake(
            f"a {case.dtype} parameter came out of `step` as float64: "
            "`p.data = torch.from_numpy(x_new)` swaps in a new array with its own dtype. "
            "Copy into the parameter instead: `p.copy_(torch.from_numpy(x_new))` keeps it."
        )
    changed = [
        k for k in grads if params[k].grad is None or not torch.equal(params[k].grad, grads[k])
    ]
    moved = [k for k in grads if not torch.equal(params[k].detach(), before[k])]
    if not moved and changed:
        raise Mistake(
            "the parameters did not move, but their `.grad` changed: you wrote the new values "
            "into `p.grad`. Write them into the parameter: `p.copy_(torch.from_numpy(x_new))`."
        )
    if not moved:
        raise Mistake(
            "the parameters did not move. `p = torch.from_numpy(x_new)` only gives the name `p` "
            "a new tensor; write into the parameter itself: `p.copy_(torch.from_numpy(x_new))`."
        )
    if changed:
        raise Mistake(
            "`step` changed `p.grad`. `p.grad.numpy()` shares memory with the gradient, so "
            "an in-place operation on it (`g *= ...`, `g /= ...`) writes into `p.grad`. "
            "Compute new arrays instead (`g / (np.sqrt(v) + eps)`)."
        )
    if len(moved) == 1 and len(grads) > 1:
        raise Mistake(
            "only the first parameter moved: is a `return` (or `break`) inside the loop over "
            "the parameters? Return after both loops."
        )


def _diagnose_path(got, case: Case, rtol: float) -> None:
    def same(path_a, path_b):
        return all(close(a[k], b[k], rtol) for a, b in zip(path_a, path_b, strict=True) for k in a)

    expected = simulate(case)
    if same(got, expected):
        return
    for message, options in variants():
        with np.errstate(all="ignore"):
            wrong = simulate(case, **options)
        if wrong is not None and not same(wrong, expected) and same(got, wrong):
            raise Mistake(message)
    step, key = next(
        (t, k) for t in range(case.steps) for k in got[t] if not close(got[t][k], expected[t][k])
    )
    right, wrong = expected[step][key].ravel()[0], got[step][key].ravel()[0]
    raise Mistake(
        f"after step {step + 1}, parameter `{key}` should start with {right:.6g}, but it "
        f"starts with {wrong:.6g}. Compare your `step` (and the `rmsprop_step` it calls) with "
        "the update rule."
    )


def check_rmsprop_optimizer(optimizer_class: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``optimizer_class(params, lr, beta, eps)``, a ``torch.optim.Optimizer`` running
    RMSProp with torch's conventions, against :func:`rmslab.optim.rmsprop`.

    Four cases of four steps (:func:`~rmslab.checks.networks.optimizer_cases.cases`), each on
    the loss :math:`\\sum a p + c p^2/2`: two parameters of the same shape in one group (a
    shared state shows), two groups where the second has its own lr, a parameter that gets no
    gradient, and a float32 parameter with gradients near 1e-6 and eps = 1e-8 (eps inside the
    root shrinks the step a hundredfold). The parameters are leaf tensors that require grad,
    as a model's are.
    """
    name = fn_name(optimizer_class)

    def checker() -> str:
        for case in cases():
            got = _student_path(optimizer_class, case)
            _diagnose_path(got, case, rtol=1e-8 if case.dtype == "float64" else 1e-5)
        return (
            f"`{name}` steps every parameter like torch.optim.RMSprop, keeps v per parameter "
            "between steps, reads each group's hyperparameters and skips parameters without "
            "a gradient."
        )

    return run_check(checker, quiet=quiet, fn=optimizer_class)
