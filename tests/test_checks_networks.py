"""Lab 6 checkers: correct answers pass, and every catalogued mistake gets its own message.

The expected values behind the checks are anchored independently here: the checker's reference
optimizer is compared with torch.optim.RMSprop, the student-style optimizer with torch on the
digits network, and the layer ratio with a hand computation.
"""

import contextlib

import numpy as np
import pytest
import torch
from mistake_catalog import Wrong, assert_distinct, assert_named

# Exercise 1 is Lab 4's `rmsprop_step`: its right and wrong answers are shared with Lab 4's tests
from rmsprop_answers import (
    rmsprop_step,
    rmsprop_step_eps_inside,
    step_old_average,
    step_swapped_beta,
    step_wrong_sign,
)

from rmslab import checks, train
from rmslab.checks import _core
from rmslab.checks.networks import DEPTH, STEPS, diagnosis, optimizer_cases

TASK = train.digits_mlp(depth=DEPTH)

# ---------------------------------------------------------------- correct student answers


#: How `step` reads a parameter into numpy, and how it writes the new value back.
READS = {"p.numpy()": lambda p: p.numpy(), "p.detach().numpy()": lambda p: p.detach().numpy()}


def rebind(p, x_new):
    p = torch.from_numpy(x_new)  # noqa: F841 (the mistake: only the name changes)


WRITES = {
    "p.copy_": lambda p, x_new: p.copy_(torch.from_numpy(x_new)),
    "p.data =": lambda p, x_new: setattr(p, "data", torch.from_numpy(x_new)),
    "p.grad.copy_": lambda p, x_new: p.grad.copy_(torch.from_numpy(x_new)),
    "p =": rebind,
}


class NumpyRMSprop(torch.optim.Optimizer):
    """The lab's answer. Each class attribute is one choice made in writing it; a wrong
    optimizer in the catalog below is this class with one choice changed (:func:`wrong`)."""

    rule = staticmethod(rmsprop_step)  # the numpy step that `step` calls
    no_grad = True  # `step` runs under torch.no_grad()
    skips_missing_grad = True  # `if p.grad is None: continue`
    keeps_v = "per parameter"  # in self.state[p]; or "shared" by all, or "nowhere"
    lr_from = "group"  # group["lr"]; or "constructor"
    read = "p.numpy()"  # a key of READS
    write = "p.copy_"  # a key of WRITES
    returns_in_loop = False  # a `return` after the first parameter

    def __init__(self, params, lr=1e-2, beta=0.99, eps=1e-8):
        super().__init__(params, dict(lr=lr, beta=beta, eps=eps))

    def step(self, closure=None):
        with torch.no_grad() if self.no_grad else contextlib.nullcontext():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None and self.skips_missing_grad:
                        continue
                    lr = {"group": group, "constructor": self.defaults}[self.lr_from]["lr"]
                    store = self.v_store(p)
                    x_new, store["v"] = self.rule(
                        READS[self.read](p),
                        p.grad.numpy(),
                        store.setdefault("v", np.zeros(p.shape)),
                        lr,
                        group["beta"],
                        group["eps"],
                    )
                    WRITES[self.write](p, x_new)
                    if self.returns_in_loop:
                        return None

    def v_store(self, p):
        """Where v lives: the parameter's own state, one dict for all, or a new one each step."""
        return {"per parameter": self.state[p], "shared": self.__dict__, "nowhere": {}}[
            self.keeps_v
        ]


def wrong(**choices):
    """NumpyRMSprop with some of its choices changed (a new ``rule`` is a plain function)."""
    if "rule" in choices:
        choices["rule"] = staticmethod(choices["rule"])
    return type("WrongRMSprop", (NumpyRMSprop,), choices)


def train_with_yours(optimizer=NumpyRMSprop, steps=STEPS, task=TASK, lr=1e-2):
    return train.fit(task, optimizer, steps, lr=lr)


def torch_rmsprop(params, lr, beta, eps):
    return torch.optim.RMSprop(params, lr=lr, alpha=beta, eps=eps)


def layer_ratio(history):
    updates = history.rel_update
    names = list(updates)
    return np.mean(updates[names[-1]]) / np.mean(updates[names[0]])


CORRECT = {
    "check_rmsprop_optimizer": NumpyRMSprop,
    "check_digits_training": train_with_yours,
    "check_torch_rmsprop_factory": torch_rmsprop,
    "check_layer_ratio": layer_ratio,
    "check_stall_explanation": lambda: "C",
}


@pytest.mark.parametrize("check", CORRECT)
def test_correct_answers_pass(check, capsys):
    assert getattr(checks, check)(CORRECT[check]).passed
    assert capsys.readouterr().out.startswith("Correct!")


@pytest.mark.parametrize("case", range(len(optimizer_cases.cases())))
def test_the_checker_reference_is_torch_rmsprop(case):
    """The path the checker expects is what torch.optim.RMSprop does on the same case."""
    case = optimizer_cases.cases()[case]
    params = optimizer_cases.leaf_tensors(case)
    groups = optimizer_cases.param_groups(case, params)
    opt = torch.optim.RMSprop(groups, lr=case.lr, alpha=case.beta, eps=case.eps)
    for expected in optimizer_cases.simulate(case):
        opt.zero_grad()
        optimizer_cases.loss(case, params).backward()
        opt.step()
        for k, p in params.items():
            tol = 1e-12 if case.dtype == "float64" else 1e-6
            np.testing.assert_allclose(p.detach().double().numpy(), expected[k], rtol=tol)


def test_a_numpy_optimizer_reproduces_torch_on_the_digits_network():
    """The lab's claim: same run to float32 rounding, the same accuracy."""
    ours = train.fit(TASK, NumpyRMSprop, 100, lr=1e-2, layer_stats=False)
    theirs = train.fit(TASK, torch.optim.RMSprop, 100, lr=1e-2, layer_stats=False)
    assert np.max(np.abs(ours.loss - theirs.loss)) < 1e-4
    assert ours.loss[0] == theirs.loss[0]


def test_layer_ratio_by_hand():
    history = diagnosis.made_up_history(
        {"layer1": np.ones(2), "layer2": np.ones(2)},
        {"layer1": np.array([1.0, 3.0]), "layer2": np.array([10.0, 30.0])},
    )
    assert diagnosis.layer_ratio(history) == pytest.approx(10.0, rel=1e-15)
    assert layer_ratio(history) == diagnosis.layer_ratio(history)


@pytest.mark.parametrize("message, options", optimizer_cases.variants())
def test_the_cases_tell_every_catalogued_variant_apart(message, options):
    """Each wrong rule changes the path of some case (else the checker could not name it)."""
    differs = []
    for case in optimizer_cases.cases():
        with np.errstate(all="ignore"):
            wrong_path = optimizer_cases.simulate(case, **options)
        right = optimizer_cases.simulate(case)
        differs.append(
            wrong_path is not None
            and not all(
                np.allclose(a[k], b[k], rtol=1e-6)
                for a, b in zip(right, wrong_path, strict=True)
                for k in a
            )
        )
    assert any(differs), message


def test_a_step_that_never_ends_is_stopped_and_named(monkeypatch):
    monkeypatch.setattr(_core, "TIME_LIMIT", 0.2)

    class Forever(NumpyRMSprop):
        def step(self, closure=None):
            while True:
                pass

    message = checks.check_rmsprop_optimizer(Forever, quiet=True).message
    assert "did not return within 0.2 s" in message
    assert "One pass over `self.param_groups`" in message


def boom(*args):
    raise ZeroDivisionError("boom")


#: (check, student function, what the message must say): an exception no check knows better
#: is quoted with the name of the function that raised it.
UNKNOWN_ERRORS = [
    ("check_rmsprop_optimizer", boom, "`boom` raised ZeroDivisionError: boom. Read the error"),
    ("check_rmsprop_optimizer", wrong(rule=boom), "`step` raised ZeroDivisionError: boom."),
    ("check_digits_training", boom, "`boom` raised ZeroDivisionError: boom."),
    ("check_torch_rmsprop_factory", boom, "`boom` raised ZeroDivisionError: boom."),
    ("check_layer_ratio", boom, "`boom` raised ZeroDivisionError: boom."),
    ("check_stall_explanation", boom, "`boom` raised ZeroDivisionError: boom."),
]


@pytest.mark.parametrize("check, fn, says", UNKNOWN_ERRORS)
def test_an_unknown_exception_is_quoted(check, fn, says):
    result = getattr(checks, check)(fn, quiet=True)
    assert not result.passed
    assert says in result.message


def test_an_unfinished_exercise_further_down_is_named():
    """The optimizer is written, but the rmsprop_step it calls is still the stub."""

    def rmsprop_step(x, g, v, lr, beta, eps):
        raise NotImplementedError()

    message = checks.check_rmsprop_optimizer(wrong(rule=rmsprop_step), quiet=True).message
    assert "`step` calls `rmsprop_step`, which is not implemented yet" in message
    message = checks.check_digits_training(
        lambda: quick_run(wrong(rule=rmsprop_step)), quiet=True
    ).message
    assert "calls `rmsprop_step`, which is not implemented yet" in message

    class Unfinished(NumpyRMSprop):
        def __init__(self, params, lr=1e-2, beta=0.99, eps=1e-8):
            raise NotImplementedError()

    message = checks.check_rmsprop_optimizer(Unfinished, quiet=True).message
    assert "`Unfinished` is not implemented yet" in message
    message = checks.check_digits_training(lambda: quick_run(Unfinished), quiet=True).message
    assert "calls `Unfinished`, which is not implemented yet" in message


# ---------------------------------------------------------------- the catalog of mistakes


def step_not_squared(x, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g
    return x - lr * g / (np.sqrt(v_new) + eps), v_new


def step_scales_g_in_place(x, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    g /= np.sqrt(v_new) + eps  # g is p.grad.numpy(): this writes into p.grad
    return x - lr * g, v_new


def init_without_defaults(self, params, lr=1e-2, beta=0.99, eps=1e-8):
    torch.optim.Optimizer.__init__(self, params, {})


def init_without_super(self, params, lr=1e-2, beta=0.99, eps=1e-8):
    self.lr, self.beta, self.eps = lr, beta, eps


class NotAnOptimizer:
    def __init__(self, params, lr=1e-2, beta=0.99, eps=1e-8):
        self.params, self.lr, self.beta, self.eps = list(params), lr, beta, eps


OPTIMIZER_MISTAKES = [
    ("eps inside the root", wrong(rule=rmsprop_step_eps_inside), "eps is inside the square root"),
    ("forgot to square g", wrong(rule=step_not_squared), "averages g, not its square"),
    ("beta and 1 - beta swapped", wrong(rule=step_swapped_beta), "are swapped"),
    ("divides by the old average", wrong(rule=step_old_average), "*old* average"),
    ("wrong sign", wrong(rule=step_wrong_sign), "wrong sign"),
    ("state not kept between steps", wrong(keeps_v="nowhere"), "forgets v between steps"),
    ("one state for all parameters", wrong(keeps_v="shared"), "all parameters share one v"),
    (
        "lr from the constructor, not the group",
        wrong(lr_from="constructor"),
        "with the constructor's lr",
    ),
    (
        "in-place update without no_grad",
        wrong(no_grad=False, read="p.detach().numpy()"),
        "while autograd was recording. Run",
    ),
    ("p.numpy() without no_grad", wrong(no_grad=False), "called `.numpy()` on a parameter"),
    ("grad None not skipped", wrong(skips_missing_grad=False), "`if p.grad is None: continue`"),
    (
        "hyperparameters not in the defaults",
        wrong(__init__=init_without_defaults),
        "looked up 'lr' in a parameter group",
    ),
    ("no super().__init__", wrong(__init__=init_without_super), "has no `param_groups`"),
    (
        "p.data replaced by a float64 array",
        wrong(write="p.data ="),
        "came out of `step` as float64",
    ),
    (
        "new values written into p.grad",
        wrong(write="p.grad.copy_"),
        "you wrote the new values into `p.grad`",
    ),
    ("rebinds the name p", wrong(write="p ="), "only gives the name `p` a new tensor"),
    (
        "in-place aliasing of p.grad",
        wrong(rule=step_scales_g_in_place),
        "shares memory with the gradient",
    ),
    ("return inside the loop", wrong(returns_in_loop=True), "only the first parameter moved"),
    ("not an Optimizer subclass", NotAnOptimizer, "not a torch.optim.Optimizer"),
]


def quick_run(optimizer=NumpyRMSprop, steps=5, task=TASK, lr=1e-2):
    """A short run: for mistakes the check sees whatever the length of the run."""
    return train_with_yours(optimizer, steps, task, lr)


TRAINING_MISTAKES = [
    ("returns the accuracy", lambda: quick_run().final_test_accuracy, "not a number taken"),
    ("default depth 6", lambda: quick_run(task=train.digits_mlp()), "the default depth is 6"),
    (
        "ReLU network",
        lambda: quick_run(task=train.digits_mlp(depth=DEPTH, activation="relu")),
        "has no sigmoid units",
    ),
    ("too many steps", lambda: quick_run(steps=STEPS + 1, lr=1e-4), "stay within"),
    ("an optimizer that gives NaN", lambda: quick_run(wrong(rule=step_not_squared)), "diverged"),
    ("lr far too large", lambda: train_with_yours(lr=0.1), "too large"),
    ("lr far too small", lambda: train_with_yours(lr=1e-4), "chance level"),
    ("lr somewhat too small", lambda: train_with_yours(lr=1e-3), "too slowly"),
]


def torch_with(**settings):
    def make(params, lr, beta, eps):
        return torch.optim.RMSprop(params, **dict(dict(lr=lr, alpha=beta, eps=eps), **settings))

    return make


FACTORY_MISTAKES = [
    (
        "alpha = 1 - beta",
        lambda params, lr, beta, eps: torch_with(alpha=1 - beta)(params, lr, beta, eps),
        "not 1 - beta",
    ),
    (
        "alpha left at torch's default",
        lambda params, lr, beta, eps: torch.optim.RMSprop(params, lr=lr, eps=eps),
        "`alpha` is 0.99 (torch's default)",
    ),
    (
        "beta passed as momentum",
        lambda params, lr, beta, eps: torch.optim.RMSprop(params, lr=lr, momentum=beta, eps=eps),
        "passed beta as `momentum`",
    ),
    (
        "lr left at torch's default",
        lambda params, lr, beta, eps: torch.optim.RMSprop(params, alpha=beta, eps=eps),
        "pass `lr=lr`",
    ),
    (
        "eps left at torch's default",
        lambda params, lr, beta, eps: torch.optim.RMSprop(params, lr=lr, alpha=beta),
        "`eps` is 1e-08 (torch's default)",
    ),
    ("centered RMSProp", torch_with(centered=True), "`centered=True`"),
    ("weight decay set", torch_with(weight_decay=1e-2), "does not step as RMSProp does"),
    (
        "returns their own optimizer",
        lambda params, lr, beta, eps: NumpyRMSprop(params, lr, beta, eps),
        "an instance of `NumpyRMSprop`",
    ),
]


def updates(history):
    return list(history.rel_update.values())


RATIO_MISTAKES = [
    ("upside down", lambda h: np.mean(updates(h)[0]) / np.mean(updates(h)[-1]), "upside down"),
    (
        "relative gradients instead of updates",
        lambda h: np.mean(list(h.rel_grad.values())[-1]) / np.mean(list(h.rel_grad.values())[0]),
        "you used `rel_grad`",
    ),
    (
        "mean of the per-step ratios",
        lambda h: np.mean(updates(h)[-1] / updates(h)[0]),
        "averaged the per-step ratios",
    ),
    (
        "medians",
        lambda h: np.median(updates(h)[-1]) / np.median(updates(h)[0]),
        "you took the median",
    ),
    (
        "layer names written in (layer4)",
        lambda h: np.mean(h.rel_update["layer4"]) / np.mean(h.rel_update["layer1"]),
        "you wrote the layer names into the function",
    ),
    (
        "layer names written in (layer7, depth 6)",
        lambda h: np.mean(h.rel_update["layer7"]) / np.mean(h.rel_update["layer1"]),
        "has no key 'layer7'",
    ),
    ("last step only", lambda h: updates(h)[-1][-1] / updates(h)[0][-1], "last step only"),
    ("first step only", lambda h: updates(h)[-1][0] / updates(h)[0][0], "first step only"),
    (
        "layers sorted as text",
        lambda h: (
            np.mean(h.rel_update[sorted(h.rel_update)[-1]])
            / np.mean(h.rel_update[sorted(h.rel_update)[0]])
        ),
        "`sorted` puts 'layer10' before 'layer2'",
    ),
]

STALL_MISTAKES = [
    ("A: the gradient is zero", lambda: "A", "not A:"),
    ("B: SGD's lr is too small", lambda: "B", "not B:"),
    ("D: RMSProp gets other gradients", lambda: "D", "not D:"),
    ("the answer as text", lambda: "one learning rate for all layers", "return one letter"),
]

CATALOG = [
    Wrong(check, mistake, fn, says)
    for check, mistakes in [
        ("check_rmsprop_optimizer", OPTIMIZER_MISTAKES),
        ("check_digits_training", TRAINING_MISTAKES),
        ("check_torch_rmsprop_factory", FACTORY_MISTAKES),
        ("check_layer_ratio", RATIO_MISTAKES),
        ("check_stall_explanation", STALL_MISTAKES),
    ]
    for mistake, fn, says in mistakes
]


@pytest.mark.parametrize("wrong", CATALOG, ids=[w.id for w in CATALOG])
def test_each_mistake_is_named(wrong):
    assert_named(wrong)


def test_different_mistakes_get_different_messages():
    assert_distinct(CATALOG)
