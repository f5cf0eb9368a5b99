r"""Checkers for Lab 6 (your RMSProp trains a network).

The student wraps a numpy RMSProp step (torch's conventions: :math:`v_0 = 0`, :math:`\epsilon`
outside the root, decay :math:`\beta`),

.. math::

    v_t = \beta\, v_{t-1} + (1-\beta)\, g_t^2, \qquad
    x_t = x_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \epsilon},

as a ``torch.optim.Optimizer`` subclass ``NumpyRMSprop(params, lr, beta, eps)``, trains the
digits MLP of :func:`rmslab.train.digits_mlp` (depth :data:`DEPTH`, sigmoid) with it, builds the
same optimizer from ``torch.optim.RMSprop`` (torch's ``alpha`` is :math:`\beta`), and reads the
per-layer relative updates :math:`\|\Delta W_l\| / \|W_l\|` that :func:`rmslab.train.fit`
records to explain why SGD stalls on that network.

Right answers come from :func:`rmslab.optim.rmsprop` (tested against torch to 1e-12), from
``torch.optim.RMSprop`` itself, or from :func:`layer_ratio` here, never from the student's code.
torch is imported inside the functions: ``rmslab.checks`` stays importable without it (Labs 1-3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rmslab import optim
from rmslab.checks._core import (
    CheckResult,
    Mistake,
    as_number,
    close,
    describe,
    fn_name,
    run_check,
    run_with_time_limit,
)

#: The lab's network: ``digits_mlp(depth=DEPTH)``, sigmoid units, trained for at most
#: :data:`STEPS` steps to a test accuracy of at least :data:`TARGET_ACCURACY`.
DEPTH = 3
STEPS = 400
TARGET_ACCURACY = 0.95
#: SGD's learning rates in the lab: it stays at chance on the sigmoid network with each.
SGD_LRS = (0.1, 1.0, 10.0)


# ------------------------------------------------------------------ running the student's code


def run_student(fn: Callable, *args: Any, name: str, loop_hint: str):
    """``fn(*args)`` under the checks' time limit (``rmslab.checks._core.TIME_LIMIT``); every
    call of the student's code in this module goes through here. A timeout or a
    ``NotImplementedError`` becomes a :class:`Mistake`; other exceptions reach the caller,
    which names the ones it knows."""
    try:
        with np.errstate(all="ignore"):
            return run_with_time_limit(fn, args)
    except TimeoutError as timeout:
        raise Mistake(
            f"`{name}` did not return within {timeout.args[0]:g} s, so the check stopped it: "
            f"it probably loops forever. {loop_hint}"
        ) from None
    except NotImplementedError as exc:
        inner = _innermost_function(exc)
        if inner != name:
            raise Mistake(
                f"`{name}` calls `{inner}`, which is not implemented yet: finish that exercise "
                "first (until its check passes), then run this check again."
            ) from None
        raise Mistake(
            f"`{name}` is not implemented yet: replace the `raise NotImplementedError` line "
            "with your code, run that cell, then run this check again."
        ) from None


def _innermost_function(exc: BaseException) -> str:
    """Name of the function in which ``exc`` was raised (the last frame of its traceback); for
    a constructor, the name of its class."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return ""
    frame = tb.tb_frame
    if frame.f_code.co_name == "__init__" and "self" in frame.f_locals:
        return type(frame.f_locals["self"]).__name__
    return frame.f_code.co_name


def _instance(value: Any) -> str:
    return "None" if value is None else f"an instance of `{type(value).__name__}`"


def raised(name: str, exc: Exception) -> Mistake:
    return Mistake(
        f"`{name}` raised {type(exc).__name__}: {exc}. Read the error, fix the code, and run "
        "both cells again."
    )


# ------------------------------------------------------------------ Exercise 2: the Optimizer


@dataclass(frozen=True)
class _Case:
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

    def hyper(self, group: int) -> tuple[float, float, float]:
        extra = self.overrides[group] if group < len(self.overrides) else {}
        return extra.get("lr", self.lr), extra.get("beta", self.beta), extra.get("eps", self.eps)


def _cases() -> list[_Case]:
    rng = np.random.default_rng(20261204)
    same_shape = _Case(  # positive gradients: a forgotten square still gives numbers
        groups=[{"W": rng.uniform(0.5, 1.5, (2, 3)), "U": rng.uniform(0.5, 1.5, (2, 3))}],
        a={"W": rng.uniform(0.5, 2.0, (2, 3)), "U": rng.uniform(0.1, 1.0, (2, 3))},
        c={"W": 0.5, "U": 2.0},
        lr=0.05,
        beta=0.9,
        eps=1e-3,
    )
    two_groups = _Case(
        groups=[{"W": rng.normal(size=(3, 2))}, {"b": rng.normal(size=3)}],
        a={"W": rng.normal(size=(3, 2)), "b": rng.normal(size=3)},
        c={"W": 1.0, "b": 3.0},
        lr=0.05,
        beta=0.9,
        eps=1e-3,
        overrides=[{}, {"lr": 0.01}],
    )
    unused = _Case(
        groups=[{"W": rng.normal(size=(2, 2)), "frozen": rng.normal(size=2)}],
        a={"W": rng.normal(size=(2, 2))},
        c={"W": 1.0},
        lr=0.02,
        beta=0.99,
        eps=1e-8,
    )
    tiny = np.array([1e-6, -2e-6, 5e-7, 3e-6])
    float32_tiny = _Case(  # the digits MLP's first layer sees gradients of this size
        groups=[{"W": rng.uniform(0.5, 1.5, 4) * np.array([1, -1, 1, -1])}],
        a={"W": tiny},
        c={"W": 0.0},
        lr=1e-3,
        beta=0.99,
        eps=1e-8,
        dtype="float32",
    )
    return [same_shape, two_groups, unused, float32_tiny]


def _right(x, g, v, lr, beta, eps):
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


def simulate(case: _Case, rule=_right, *, keep=True, shared=False, group_hyper=True):
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


def _tensors(case: _Case):
    import torch

    dtype = getattr(torch, case.dtype)
    return {
        k: torch.tensor(value, dtype=dtype, requires_grad=True)
        for group in case.groups
        for k, value in group.items()
    }


def _student_path(optimizer_class: Callable, case: _Case):
    """Run the student's optimizer on ``case``; name any mistake visible after a single step."""
    import torch

    name = fn_name(optimizer_class)
    params = _tensors(case)
    groups = [
        dict(
            {"params": [params[k] for k in group]}, **(case.overrides[i] if case.overrides else {})
        )
        for i, group in enumerate(case.groups)
    ]
    try:
        opt = run_student(
            optimizer_class,
            groups,
            case.lr,
            case.beta,
            case.eps,
            name=name,
            loop_hint="Its `__init__` needs no loop: look for a `while` loop that never ends.",
        )
    except Mistake:
        raise
    except Exception as exc:  # the student's constructor may raise anything
        raise raised(name, exc) from None
    if not isinstance(opt, torch.optim.Optimizer):
        raise Mistake(
            f"`{name}(params, lr, beta, eps)` gave {_instance(opt)}, not a "
            "torch.optim.Optimizer: "
            f"define `class {name}(torch.optim.Optimizer)` and call "
            "`super().__init__(params, dict(lr=lr, beta=beta, eps=eps))` in `__init__`."
        )
    if not hasattr(opt, "param_groups"):
        raise Mistake(
            f"`{name}` has no `param_groups`: its `__init__` must call "
            "`super().__init__(params, dict(lr=lr, beta=beta, eps=eps))`, which builds them."
        )
    path = []
    for _ in range(case.steps):
        for p in params.values():
            p.grad = None
        loss = sum(
            (torch.as_tensor(case.a[k], dtype=p.dtype) * p + case.c[k] * p**2 / 2).sum()
            for k, p in params.items()
            if k in case.a
        )
        loss.backward()
        grads = {k: p.grad.clone() for k, p in params.items() if p.grad is not None}
        before = {k: p.detach().clone() for k, p in params.items()}
        try:
            run_student(opt.step, name="step", loop_hint=LOOP_HINT_STEP)
        except Mistake:
            raise
        except Exception as exc:  # the student's step may raise anything
            raise _explain_step_error(exc) from None
        _after_step(params, grads, before, case)
        path.append({k: p.detach().double().numpy().copy() for k, p in params.items()})
    return path


def _after_step(params, grads, before, case: _Case) -> None:
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


def _diagnose_path(got, case: _Case, rtol: float) -> None:
    def same(path_a, path_b):
        return all(close(a[k], b[k], rtol) for a, b in zip(path_a, path_b, strict=True) for k in a)

    expected = simulate(case)
    if same(got, expected):
        return
    variants = [(m, dict(rule=rule)) for m, rule in MATH_MISTAKES] + STATE_MISTAKES
    for message, options in variants:
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

    Four cases of four steps, each on the loss :math:`\\sum a p + c p^2/2`: two parameters of the
    same shape in one group (a shared state shows), two groups where the second has its own lr,
    a parameter that gets no gradient, and a float32 parameter with gradients near 1e-6 and
    eps = 1e-8 (eps inside the root shrinks the step a hundredfold). The parameters are leaf
    tensors that require grad, as a model's are.
    """
    name = fn_name(optimizer_class)

    def checker() -> str:
        for case in _cases():
            got = _student_path(optimizer_class, case)
            _diagnose_path(got, case, rtol=1e-8 if case.dtype == "float64" else 1e-5)
        return (
            f"`{name}` steps every parameter like torch.optim.RMSprop, keeps v per parameter "
            "between steps, reads each group's hyperparameters and skips parameters without "
            "a gradient."
        )

    return run_check(checker, quiet=quiet, fn=optimizer_class)


# ------------------------------------------------------------------ Exercise 3: training


def check_digits_training(train_with_yours: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``train_with_yours() -> History``: the digits MLP of depth :data:`DEPTH` (sigmoid)
    trained for at most :data:`STEPS` steps to a test accuracy of :data:`TARGET_ACCURACY`."""
    name = fn_name(train_with_yours)

    def checker() -> str:
        from torch import nn

        try:
            history = run_student(
                train_with_yours,
                name=name,
                loop_hint=(
                    f"`{name}` needs no loop of its own, and `train.fit` takes about a second "
                    f"for {STEPS} steps: did you ask for many more, or does your `step` never end?"
                ),
            )
        except Mistake:
            raise
        except Exception as exc:  # the student's function may raise anything
            raise raised(name, exc) from None
        # by its fields, not isinstance: a hidden test re-imports rmslab, and with it History
        if not all(hasattr(history, key) for key in ("loss", "model", "final_test_accuracy")):
            raise Mistake(
                f"`{name}` returned {describe(history)}: return the whole History that "
                "`train.fit` returns, not a number taken from it."
            )
        layers = [m for m in history.model.modules() if isinstance(m, nn.Linear)]
        if len(layers) != DEPTH + 1:
            raise Mistake(
                f"you trained a network with {len(layers) - 1} hidden layers; train `TASK`, "
                f"`train.digits_mlp(depth={DEPTH})` (the default depth is 6)."
            )
        if not any(isinstance(m, nn.Sigmoid) for m in history.model.modules()):
            raise Mistake(
                "your network has no sigmoid units: train `TASK`, the sigmoid network, whose "
                "layers need RMSProp's per-coordinate scaling."
            )
        steps = len(history.loss)
        if history.diverged_at is None and steps > STEPS:
            raise Mistake(f"you trained for {steps} steps; stay within {STEPS} (`steps={STEPS}`).")
        if history.diverged_at is not None:
            raise Mistake(
                f"the run diverged at step {history.diverged_at}: the loss or a gradient became "
                "NaN or inf. A NaN usually comes from the optimizer (does Exercise 2's check "
                "pass?), an inf from a learning rate far too large."
            )
        accuracy = history.final_test_accuracy
        if accuracy >= TARGET_ACCURACY:
            return (
                f"your optimizer trained the network to {accuracy:.1%} test accuracy in "
                f"{steps} steps."
            )
        chance = np.log(10)
        if history.loss.max() > 2 * chance:
            raise Mistake(
                f"test accuracy {accuracy:.1%}, and the training loss jumped to "
                f"{history.loss.max():.3g} (chance is ln 10 = 2.30): the learning rate is too "
                "large. RMSProp moves every weight by about lr per step: try a smaller one."
            )
        if history.loss[-50:].mean() > chance - 0.05:
            raise Mistake(
                f"test accuracy {accuracy:.1%}: the loss stayed at ln 10 = 2.30, chance level. "
                "Is the optimizer your `NumpyRMSprop` (SGD stalls on this network), and is the "
                "learning rate large enough? Raise it by factors of 10."
            )
        raise Mistake(
            f"test accuracy {accuracy:.1%} after {steps} steps, below {TARGET_ACCURACY:.0%}: "
            "the network learns, but too slowly. Try a larger learning rate (a factor of 3 at "
            f"a time) and train all {STEPS} steps."
        )

    return run_check(checker, quiet=quiet, fn=train_with_yours)


# ------------------------------------------------------------------ Exercise 4: torch's RMSprop


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
        try:
            opt = run_student(
                torch_rmsprop,
                [p],
                lr,
                beta,
                eps,
                name=name,
                loop_hint="It needs no loop: return `torch.optim.RMSprop(...)`.",
            )
        except Mistake:
            raise
        except Exception as exc:  # the student's function may raise anything
            raise raised(name, exc) from None
        if type(opt) is not torch.optim.RMSprop:
            raise Mistake(
                f"`{name}` returned {_instance(opt)}; return torch's own optimizer, "
                "`torch.optim.RMSprop(params, ...)`, not yours or another one."
            )
        _judge_torch_settings(opt.param_groups[0], lr, beta, eps)
        x, v = p.detach().numpy().copy(), np.zeros(3)
        for _ in range(5):
            g = np.array([3.0, 1.0, -2.0]) * x
            p.grad = torch.from_numpy(g.copy())
            opt.step()
            x, v = _right(x, g, v, lr, beta, eps)
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


# ------------------------------------------------------------------ Exercise 5: layer ratio


def layer_ratio(history) -> float:
    r"""Mean relative update of the last layer over that of the first layer (means over steps):

    .. math:: \frac{\operatorname{mean}_t \|\Delta W_L\|/\|W_L\|}
                   {\operatorname{mean}_t \|\Delta W_1\|/\|W_1\|}.

    The layers are in the order ``history.rel_update`` lists them (input side first).
    """
    updates = list(history.rel_update.values())
    return float(np.mean(updates[-1]) / np.mean(updates[0]))


def _fake_history(rel_grad: dict, rel_update: dict):
    from rmslab.train import History

    empty = np.zeros(0)
    return History(np.ones(1), rel_grad, rel_update, empty, empty, empty, None, 0.0, None)


def _histories() -> list:
    """Two histories with skewed, noisy per-step values: 4 layers, then 10 (``layer10``)."""
    rng = np.random.default_rng(6)
    made = []
    for layers, steps in ((4, 30), (10, 40)):
        names = [f"layer{i + 1}" for i in range(layers)]
        scales = np.logspace(-4, -1, layers)
        grad = {n: s * rng.lognormal(0, 1, steps) for n, s in zip(names, scales, strict=True)}
        update = {n: 1e-2 * rng.lognormal(0, 1, steps) * (i + 1) for i, n in enumerate(names)}
        made.append(_fake_history(grad, update))
    return made


def _last(history, key):
    return list(getattr(history, key).values())[-1]


def _first(history, key):
    return list(getattr(history, key).values())[0]


RATIO_MISTAKES = [
    (
        "upside down: the ratio is the *last* layer's mean relative update over the *first* "
        "layer's.",
        lambda h: 1 / layer_ratio(h),
    ),
    (
        "you used `rel_grad`, what backpropagation hands the optimizer; the question is what "
        "the optimizer did with it, `rel_update`.",
        lambda h: np.mean(_last(h, "rel_grad")) / np.mean(_first(h, "rel_grad")),
    ),
    (
        "you averaged the per-step ratios; divide the two layers' *means* instead, "
        "`np.mean(last) / np.mean(first)`.",
        lambda h: np.mean(_last(h, "rel_update") / _first(h, "rel_update")),
    ),
    (
        "you took the median; the ratio is between *means* over the steps (`np.mean`).",
        lambda h: np.median(_last(h, "rel_update")) / np.median(_first(h, "rel_update")),
    ),
    (
        "you wrote the layer names into the function, so a deeper network's last layer is "
        "missed. Take the first and last layers from the history: `list(history.rel_update)`.",
        lambda h: np.mean(h.rel_update["layer4"]) / np.mean(h.rel_update["layer1"]),
    ),
    (
        "you used the last step only; average each layer over all the steps first.",
        lambda h: _last(h, "rel_update")[-1] / _first(h, "rel_update")[-1],
    ),
    (
        "you used the first step only; average each layer over all the steps first.",
        lambda h: _last(h, "rel_update")[0] / _first(h, "rel_update")[0],
    ),
    (
        "`sorted` puts 'layer10' before 'layer2' (it compares text), so with ten layers your "
        "last layer is layer9. Keep the history's own order: `list(history.rel_update)[-1]`.",
        lambda h: (
            np.mean(h.rel_update[sorted(h.rel_update)[-1]])
            / np.mean(h.rel_update[sorted(h.rel_update)[0]])
        ),
    ),
]


def check_layer_ratio(ratio_fn: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``layer_ratio(history)`` against :func:`layer_ratio` on two made-up histories
    (4 and 10 layers, skewed noisy values, so that every catalogued variant differs)."""
    name = fn_name(ratio_fn)

    def checker() -> str:
        for history in _histories():
            try:
                got = run_student(
                    ratio_fn,
                    history,
                    name=name,
                    loop_hint="It needs no loop of its own: two means and a division.",
                )
            except Mistake:
                raise
            except KeyError as exc:
                raise Mistake(
                    f"a history of {len(history.rel_update)} layers has no key {exc}: do not "
                    "write the layer names into the function; take the first and last from the "
                    "history, `list(history.rel_update)[0]` and `[-1]`."
                ) from None
            except Exception as exc:  # the student's function may raise anything
                raise raised(name, exc) from None
            got = as_number(got, name)
            answer = layer_ratio(history)
            if np.isclose(got, answer, rtol=1e-9):
                continue
            for message, compute in RATIO_MISTAKES:
                wrong = float(compute(history))
                if np.isclose(got, wrong, rtol=1e-9) and not np.isclose(wrong, answer, rtol=1e-9):
                    raise Mistake(message)
            raise Mistake(
                f"on a history of {len(history.rel_update)} layers the ratio is {answer:.6g}, but "
                f"`{name}` returned {got:.6g}: mean of the last layer's `rel_update` over the "
                "mean of the first layer's."
            )
        return "`layer_ratio` divides the last layer's mean relative update by the first's."

    return run_check(checker, quiet=quiet, fn=ratio_fn)


# ------------------------------------------------------------------ Exercise 6: why SGD stalls

STALL_CHOICES = {
    "A": (
        "sigmoid units block backpropagation: the first layer's gradient is exactly zero. "
        "It is not: `rel_grad` of layer 1 is small but positive at every step, and RMSProp, "
        "which sees the same gradients, trains that layer."
    ),
    "B": (
        f"a larger learning rate does not rescue SGD: it stalled at every lr from "
        f"{SGD_LRS[0]:g} to {SGD_LRS[-1]:g}, and since its last layer already moves far more "
        "(relative to its size) than its first, a larger lr moves the last layer even more "
        "before the first one wakes up."
    ),
    "C": None,  # the right answer
    "D": (
        "RMSProp gets the very same gradients from backpropagation (at the first step they are "
        "identical: the left panel of the last plot); what differs is what it does with them: "
        "it divides each coordinate by its own running RMS."
    ),
}


def check_stall_explanation(why_sgd_stalls: Callable, *, quiet: bool = False) -> CheckResult:
    """Check the choice (A-D) that explains why SGD stalls on the deep sigmoid network."""
    name = fn_name(why_sgd_stalls)

    def checker() -> str:
        try:
            answer = run_student(
                why_sgd_stalls,
                name=name,
                loop_hint="It needs no loop: it only returns a letter.",
            )
        except Mistake:
            raise
        except Exception as exc:  # the student's function may raise anything
            raise raised(name, exc) from None
        letter = answer.strip().upper() if isinstance(answer, str) else None
        if letter not in STALL_CHOICES:
            raise Mistake(
                f"`{name}` returned {describe(answer)}: return one letter, "
                f"{', '.join(repr(c) for c in STALL_CHOICES)}."
            )
        if STALL_CHOICES[letter] is not None:
            raise Mistake(f"not {letter}: {STALL_CHOICES[letter]}")
        return (
            "one learning rate cannot suit layers whose relative gradients differ by orders of "
            "magnitude; RMSProp's per-coordinate division gives every layer steps of about lr."
        )

    return run_check(checker, quiet=quiet, fn=why_sgd_stalls)
