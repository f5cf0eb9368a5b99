"""Bad inputs for both optimizer APIs, generated from one contract, and how each one fails.

``python tests/bad_inputs.py`` tries every case and prints the counts: ``clear`` (a
``ValueError`` or the named error, whose message holds the argument and the allowed range),
``unclear`` (another exception, or a message without them) and ``silent`` (accepted). It
also tries the good values written as NumPy scalars and counts the ``refused`` ones.
``tests/test_validation.py`` runs the same cases and requires 0 unclear, 0 silent, 0 refused.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

import rmslab.torch as rt
from rmslab import optim, problems
from rmslab.run import run, sweep


@dataclass(frozen=True)
class Case:
    """``call()`` must raise ``error`` with every string of ``fragments`` in its message."""

    label: str
    call: Callable[[], object]
    fragments: tuple[str, ...]
    error: type = ValueError


@dataclass(frozen=True)
class Argument:
    """A number in ``[0, high)`` (``[0, high]``), named ``numpy`` and ``torch`` in each API."""

    numpy: str
    torch: str
    high: float = math.inf
    closed: bool = False
    good: float = 0.5

    @property
    def interval(self) -> str:
        return f"[0, {self.high:g}{']' if self.closed and self.high < math.inf else ')'}"


@dataclass(frozen=True)
class Optimizer:
    name: str
    numpy: Callable
    torch: Callable
    arguments: tuple[Argument, ...]
    flags: tuple[str, ...]
    torch_fixed: dict = field(default_factory=dict)


def plain(name: str, **kwargs) -> Argument:
    return Argument(name, name, **kwargs)


LR, WD, EPS = plain("lr"), plain("weight_decay"), plain("eps")
OPTIMIZERS = (
    Optimizer("gd", optim.gd, rt.Momentum, (LR, WD), ("maximize",), {"momentum": 0}),
    Optimizer(
        "momentum",
        optim.momentum,
        rt.Momentum,
        (LR, WD, plain("momentum", high=1.0), plain("dampening", high=1.0, closed=True)),
        ("nesterov", "maximize"),
    ),
    Optimizer(
        "adagrad",
        optim.adagrad,
        rt.Adagrad,
        (LR, WD, EPS, plain("lr_decay"), plain("initial_accumulator_value")),
        ("maximize",),
    ),
    Optimizer(
        "rmsprop",
        optim.rmsprop,
        rt.RMSProp,
        (
            LR,
            WD,
            EPS,
            Argument("beta", "alpha", high=1.0),
            plain("momentum", high=1.0),
            plain("initial_square_avg"),
        ),
        ("centered", "maximize", "eps_in_sqrt", "safe", "decoupled_weight_decay"),
    ),
    Optimizer("adam", optim.adam, rt.Adam, (LR, WD, EPS), ("amsgrad", "maximize", "eps_hat")),
    Optimizer("adamw", optim.adamw, rt.AdamW, (LR, WD, EPS), ("amsgrad", "maximize")),
)

NAN, INF = float("nan"), float("inf")
NOT_NUMBERS = ("0.1", b"0.1", None, True, np.bool_(False), 1j, object(), {0.1}, [], {"lr": 1})
NEGATIVE = (-1, -1e-300, -0.5, np.float32(-0.5), np.int64(-1), NAN, INF, -INF, np.float64(NAN))


def torch_params():
    return [torch.zeros(3, requires_grad=True)]


def build(opt: Optimizer, api: str, **kwargs):
    """Construct ``opt`` in ``api`` ("numpy" or "torch") with ``kwargs`` (numpy names)."""
    if api == "numpy":
        return opt.numpy(**kwargs)
    names = {a.numpy: a.torch for a in opt.arguments}
    return opt.torch(
        torch_params(), **opt.torch_fixed, **{names.get(k, k): v for k, v in kwargs.items()}
    )


def shown(value) -> str:
    """How a message shows a bad number: ``repr``."""
    return repr(value)


def hyperparameter_cases():
    for opt, api in itertools.product(OPTIMIZERS, ("numpy", "torch")):
        for arg in opt.arguments:
            name = arg.numpy if api == "numpy" else arg.torch
            too_big = (
                (arg.high, arg.high + 0.5, np.float32(arg.high + 0.5)) if arg.high < INF else ()
            )
            if arg.closed:
                too_big = too_big[1:]
            for value in NEGATIVE + too_big:
                yield Case(
                    f"{api} {opt.name}({name}={value!r})",
                    lambda o=opt, a=api, k=arg.numpy, v=value: build(o, a, **{k: v}),
                    (name, shown(value), arg.interval),
                )
            for value in NOT_NUMBERS:
                yield Case(
                    f"{api} {opt.name}({name}={value!r})",
                    lambda o=opt, a=api, k=arg.numpy, v=value: build(o, a, **{k: v}),
                    (name, arg.interval),
                )
            arrays = ([arg.good, -0.1], np.array([[arg.good], [NAN]]))
            for value in arrays:  # numpy: checked elementwise; torch: not a number
                yield Case(
                    f"{api} {opt.name}({name}=array {np.asarray(value).tolist()})",
                    lambda o=opt, a=api, k=arg.numpy, v=value: build(o, a, **{k: v}),
                    (name, arg.interval) + (("at index",) if api == "numpy" else ()),
                )
        for flag in opt.flags:
            for value in ("yes", 1, 0, 1.0, None, np.int64(1), [True]):
                yield Case(
                    f"{api} {opt.name}({flag}={value!r})",
                    lambda o=opt, a=api, f=flag, v=value: build(o, a, **{f: v}),
                    (flag, "True or False"),
                )


def betas_cases():
    bad_pairs = [
        ((1.0, 0.9), "betas[0]"),
        ((0.9, 1.0), "betas[1]"),
        ((-0.1, 0.9), "betas[0]"),
        ((0.9, NAN), "betas[1]"),
        ((0.9, "x"), "betas[1]"),
        ((0.9, None), "betas[1]"),
        (0.9, "pair"),
        ((0.9,), "pair"),
        ((0.9, 0.99, 0.999), "pair"),
        ({0.9, 0.999}, "pair"),
        ("ab", "pair"),
        (None, "pair"),
        ({"a": 0.9, "b": 0.99}, "pair"),
        (np.array([0.9, 0.999]), "pair"),
    ]
    for opt, api in itertools.product(OPTIMIZERS[-2:], ("numpy", "torch")):
        for value, fragment in bad_pairs:
            yield Case(
                f"{api} {opt.name}(betas={value!r})",
                lambda o=opt, a=api, v=value: build(o, a, betas=v),
                ("betas", fragment, "[0, 1)"),
            )


def combination_cases():
    combos = [
        (OPTIMIZERS[3], {"nesterov": True}, ("nesterov", "momentum > 0")),
        (OPTIMIZERS[3], {"nesterov": True, "momentum": 0.0}, ("nesterov", "momentum > 0")),
        (OPTIMIZERS[1], {"nesterov": True, "momentum": 0.0}, ("nesterov", "momentum > 0")),
        (OPTIMIZERS[1], {"nesterov": True, "dampening": 0.5}, ("nesterov", "dampening == 0")),
    ]
    for (opt, kwargs, fragments), api in itertools.product(combos, ("numpy", "torch")):
        yield Case(
            f"{api} {opt.name}({kwargs})",
            lambda o=opt, a=api, k=kwargs: build(o, a, **k),
            fragments,
        )
    yield Case(
        "numpy rmsprop(nesterov=True, momentum=[0.9, 0])",
        lambda: optim.rmsprop(nesterov=True, momentum=np.array([0.9, 0.0])),
        ("nesterov", "momentum > 0"),
    )
    for opt in OPTIMIZERS:
        yield Case(
            f"torch {opt.name}(lr=2-element tensor)",
            lambda o=opt: build(o, "torch", lr=torch.tensor([0.1, 0.2])),
            ("Tensor lr must be 1-element", "[0, inf)"),
        )
        yield Case(
            f"torch {opt.name}(foreach='no')",
            lambda o=opt: build(o, "torch", foreach="no"),
            ("foreach", "True, False or None"),
        )
        yield Case(
            f"numpy {opt.name}(check_finite=1)",
            lambda o=opt: build(o, "numpy", check_finite=1),
            ("check_finite", "True or False"),
        )


def numpy_step_cases():
    """``init`` and ``step`` of each numpy optimizer with a wrong x, g or state."""
    x6 = np.zeros(6)
    for opt in OPTIMIZERS:
        made = opt.numpy()
        yield Case(
            f"numpy {opt.name}.step(g of another shape)",
            lambda m=made: m.step(x6, np.zeros(5), m.init(x6)),
            ("g must have the shape of x", "(5,)", "(6,)"),
        )
        for bad_state, fragments in (
            (None, ("state must be", "init(x)", "NoneType")),
            ((), ("state must be", "init(x)", "tuple")),
            ({}, ("state must be", "init(x)", "dict")),
            (0, ("state must be", "init(x)", "int")),
        ):
            yield Case(
                f"numpy {opt.name}.step(state={bad_state!r})",
                lambda m=made, s=bad_state: m.step(x6, x6, s),
                fragments,
            )
        for other in OPTIMIZERS:
            other_state = other.numpy().init(x6)
            if type(other_state) is type(made.init(x6)):
                continue
            yield Case(
                f"numpy {opt.name}.step(state of {other.name})",
                lambda m=made, s=other_state: m.step(x6, x6, s),
                ("state must be", type(made.init(x6)).__name__, type(other_state).__name__),
            )
        for shape in ((1,), (2, 3), (3,)):
            state = made.init(np.zeros(shape))
            arrays = [v for v in state if isinstance(v, np.ndarray)]
            if not arrays:  # gd, and momentum before its first step, keep no array
                state = made.step(np.zeros(shape), np.ones(shape), state)[1]
                arrays = [v for v in state if isinstance(v, np.ndarray)]
            if arrays:
                yield Case(
                    f"numpy {opt.name}.step(x of (6,), state of {shape})",
                    lambda m=made, s=state: m.step(x6, x6, s),
                    ("state.", f"{shape}", "(6,)", "init(x)"),
                )
        for bad_x, fragment in (
            (np.zeros(3, dtype=complex), "x must be a real array"),
            (np.array(["a", "b"]), "x must be a real array"),
        ):
            yield Case(
                f"numpy {opt.name}.init(x of dtype {bad_x.dtype})",
                lambda m=made, b=bad_x: m.init(b),
                (fragment,),
            )
        yield Case(
            f"numpy {opt.name}.step(complex g)",
            lambda m=made: m.step(x6, np.zeros(6, dtype=complex), m.init(x6)),
            ("g must be a real array",),
        )
        yield Case(
            f"numpy {opt.name}(lr of shape (4,)).init(x of (3,))",
            lambda o=opt: o.numpy(lr=np.full(4, 0.1)).init(np.zeros(3)),
            ("lr has shape (4,)", "does not broadcast", "(3,)"),
        )


def torch_state_cases():
    """``load_state_dict`` with a state that belongs to another optimizer or parameter."""

    def stepped(cls, shape, **kwargs):
        param = torch.ones(shape, requires_grad=True)
        optimizer = cls([param], **kwargs)
        param.grad = torch.ones(shape)
        optimizer.step()
        return optimizer.state_dict()

    classes = [(rt.RMSProp, {}), (rt.Adam, {}), (rt.Adagrad, {}), (rt.Momentum, {"momentum": 0.9})]
    for (cls, kwargs), (other, other_kwargs) in itertools.permutations(classes, 2):
        saved = stepped(other, (3,), **other_kwargs)
        yield Case(
            f"torch {cls.__name__}.load_state_dict({other.__name__}'s)",
            lambda c=cls, k=kwargs, s=saved: c([torch.ones(3)], **k).load_state_dict(s),
            ("loaded state", "belongs to another optimizer"),
        )
    for cls, kwargs in classes:
        saved = stepped(cls, (1,), **kwargs)
        yield Case(
            f"torch {cls.__name__}.load_state_dict(state of a (1,) parameter) onto (6,)",
            lambda c=cls, k=kwargs, s=saved: c([torch.ones(6)], **k).load_state_dict(s),
            ("loaded state", "(1,)", "(6,)"),
        )


def run_cases():
    quadratic = problems.quadratic_1d()
    for value in (-1, 0, 1.5, "5", True, None, np.float64(3.0)):
        yield Case(
            f"run(steps={value!r})",
            lambda v=value: run(optim.gd(lr=0.1), quadratic, steps=v),
            ("steps", "integer >= 1"),
        )
    for value in (-1e-3, NAN, "0.1"):
        yield Case(
            f"run(tol={value!r})",
            lambda v=value: run(optim.gd(lr=0.1), quadratic, tol=v),
            ("tol", "[0, inf)"),
        )
    for value in (-1, 1.5, "0"):
        yield Case(
            f"sweep(seeds=({value!r},))",
            lambda v=value: sweep(optim.gd, quadratic, {"lr": [0.1]}, seeds=(v,)),
            ("seeds", "integer >= 0"),
        )


def bad_cases() -> list[Case]:
    return list(
        itertools.chain(
            hyperparameter_cases(),
            betas_cases(),
            combination_cases(),
            numpy_step_cases(),
            torch_state_cases(),
            run_cases(),
        )
    )


def good_cases() -> list[tuple[str, Callable]]:
    """Good values written as NumPy scalars (and 0-d arrays): each must be accepted."""
    cases = []
    for opt, api in itertools.product(OPTIMIZERS, ("numpy", "torch")):
        for arg in opt.arguments:
            for value in (np.float64(arg.good), np.float32(arg.good), np.int64(0), np.array(0.25)):
                cases.append(
                    (
                        f"{api} {opt.name}({arg.numpy}={value!r})",
                        lambda o=opt, a=api, k=arg.numpy, v=value: build(o, a, **{k: v}),
                    )
                )
        for flag in opt.flags:
            extra = {"momentum": 0.5} if flag == "nesterov" else {}
            cases.append(
                (
                    f"{api} {opt.name}({flag}=np.True_)",
                    lambda o=opt, a=api, f=flag, e=extra: build(o, a, **{f: np.True_}, **e),
                )
            )
    quadratic = problems.quadratic_1d()
    cases += [
        ("run(steps=np.int64(5))", lambda: run(optim.gd(lr=0.1), quadratic, steps=np.int64(5))),
        (
            "run(tol=np.float32(1e-3))",
            lambda: run(optim.gd(lr=0.1), quadratic, tol=np.float32(1e-3)),
        ),
        (
            "sweep(seeds=np.arange(2))",
            lambda: sweep(optim.gd, quadratic, {"lr": [0.1]}, seeds=np.arange(2)),
        ),
        ("adam(betas=[np.float32(0.9), 0.99])", lambda: optim.adam(betas=[np.float32(0.9), 0.99])),
        (
            "torch Adam(betas=(np.float64(0.9), 0.99))",
            lambda: rt.Adam(torch_params(), betas=(np.float64(0.9), 0.99)),
        ),
    ]
    return cases


def outcome(case: Case) -> str:
    """``clear``, ``unclear`` or ``silent``."""
    try:
        with np.errstate(all="ignore"):
            case.call()
    except Exception as error:  # noqa: BLE001 - classifying every failure is the point
        message = str(error)
        fine = isinstance(error, case.error) and all(f in message for f in case.fragments)
        return "clear" if fine else "unclear"
    return "silent"


def refused(call: Callable) -> str | None:
    """``None`` if ``call()`` succeeds, else the error it raised."""
    try:
        call()
    except Exception as error:  # noqa: BLE001
        return f"{type(error).__name__}: {error}"
    return None


def main() -> None:
    cases = bad_cases()
    outcomes = [(case, outcome(case)) for case in cases]
    counts = {kind: sum(o == kind for _, o in outcomes) for kind in ("clear", "unclear", "silent")}
    goods = good_cases()
    refusals = [(label, refused(call)) for label, call in goods]
    refusals = [(label, why) for label, why in refusals if why]
    print(
        f"{len(cases)} bad inputs: {counts['clear']} clear, {counts['unclear']} unclear, "
        f"{counts['silent']} silently accepted"
    )
    print(f"{len(goods)} good inputs as NumPy scalars: {len(refusals)} refused")
    for case, kind in outcomes:
        if kind != "clear":
            print(f"  {kind}: {case.label}")
    for label, why in refusals:
        print(f"  refused: {label}: {why}")


if __name__ == "__main__":
    main()
