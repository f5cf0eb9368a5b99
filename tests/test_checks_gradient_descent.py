"""Lab 1 checkers: correct answers pass, and every catalogued mistake gets its own message."""

import numpy as np
import pytest
from mistake_catalog import Wrong, assert_distinct, assert_named

from rmslab import checks

# ---------------------------------------------------------------- gd_step


def gd_step(x, g, lr):
    return x - lr * g


def gd_step_inplace(x, g, lr):
    x -= lr * g
    return x


def test_correct_gd_step_passes(capsys):
    result = checks.check_gd_step(gd_step)
    assert result.passed and bool(result)
    assert "Correct" in capsys.readouterr().out


def test_not_implemented_is_reported_not_raised(capsys):
    def stub(x, g, lr):
        raise NotImplementedError

    result = checks.check_gd_step(stub)
    assert not result.passed
    assert "not implemented yet" in capsys.readouterr().err


def test_crashing_function_is_reported_not_raised():
    def broken(x, g, lr):
        return x - lr * undefined_name  # noqa: F821

    result = checks.check_gd_step(broken, quiet=True)
    assert not result.passed
    assert "NameError" in result.message


# ---------------------------------------------------------------- gd_run


def gd_run(grad, x0, lr, steps):
    xs = [np.asarray(x0, dtype=float)]
    for _ in range(steps):
        xs.append(gd_step(xs[-1], grad(xs[-1]), lr))
    return np.array(xs)


def gd_run_no_x0(grad, x0, lr, steps):
    return gd_run(grad, x0, lr, steps)[1:]


def gd_run_short(grad, x0, lr, steps):
    return gd_run(grad, x0, lr, steps - 1)


def gd_run_restart(grad, x0, lr, steps):
    return np.array([x0] + [gd_step(x0, grad(x0), lr) for _ in range(steps)])


def gd_run_appends_same_array(grad, x0, lr, steps):
    xs, x = [x0], x0.copy()
    for _ in range(steps):
        x -= lr * grad(x)
        xs.append(x)
    return np.array(xs)


def gd_run_wrong_step(grad, x0, lr, steps):
    xs = [x0]
    for _ in range(steps):
        xs.append(xs[-1] + lr * grad(xs[-1]))
    return np.array(xs)


def test_correct_gd_run_passes():
    assert checks.check_gd_run(gd_run, quiet=True).passed


# ---------------------------------------------------------------- largest stable lr


def largest_stable_lr(grad, steps=200, grow=True, x0=(1.0,), run=None, high=1.0):
    """Double the upper end from ``high`` until a run grows (unless ``grow`` is False), bisect."""
    run = run or gd_run

    def stable(lr):
        x = run(grad, np.array(x0), lr, steps)
        return abs(x[-1, 0]) <= abs(x[0, 0])

    lo, hi = 0.0, high
    while grow and stable(hi):
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if stable(mid) else (lo, mid)
    return lo


def gd_run_keeps_dtype(grad, x0, lr, steps):
    """A gd_run that passes its own check (float x0) but stores iterates in x0's dtype."""
    xs = np.zeros((steps + 1, *np.shape(x0)), dtype=np.asarray(x0).dtype)
    xs[0] = x0
    for t in range(steps):
        xs[t + 1] = xs[t] - lr * grad(xs[t])
    return xs


def test_bisection_finds_two_over_L():
    assert checks.check_largest_stable_lr(largest_stable_lr, quiet=True).passed


def test_the_dtype_keeping_run_is_a_correct_gd_run():
    """So the integer start point, not the run, is the mistake catalogued below."""
    assert checks.check_gd_run(gd_run_keeps_dtype, quiet=True).passed


def test_typing_the_formula_does_not_pass():
    """Lab 1 Exercise 3 asks for an experiment; 2/L read off one gradient is refused."""
    result = checks.check_largest_stable_lr(lambda grad: 2 / grad(np.ones(1))[0], quiet=True)
    assert not result.passed and "evaluated `grad` only 1 time:" in result.message


# ---------------------------------------------------------------- measured rate


def measured_rate(kappa, steps=60):
    scales = np.array([1.0 / kappa, 1.0])
    lr = 2.0 / (scales.max() + scales.min())
    xs = gd_run(lambda x: scales * x, np.array([1.0, 1.0]), lr, steps)
    dist = np.linalg.norm(xs, axis=1)
    return (dist[-1] / dist[10]) ** (1.0 / (steps - 10))


def measured_loss_rate(kappa):
    return measured_rate(kappa) ** 2


def measured_rate_one_over_L(kappa, steps=200):
    scales = np.array([1.0 / kappa, 1.0])
    xs = gd_run(lambda x: scales * x, np.array([1.0, 1.0]), 1.0, steps)
    dist = np.linalg.norm(xs, axis=1)
    return (dist[-1] / dist[-2]) ** 1.0


def test_correct_rate_passes():
    assert checks.check_measured_rate(measured_rate, quiet=True).passed


# ---------------------------------------------------------------- the catalog of mistakes

CATALOG = [
    Wrong("check_gd_step", "wrong sign", lambda x, g, lr: x + lr * g, "wrong sign"),
    Wrong(
        "check_gd_step", "learning rate missing", lambda x, g, lr: x - g, "learning rate is missing"
    ),
    Wrong(
        "check_gd_step",
        "returns the step, not the point",
        lambda x, g, lr: -lr * g,
        "returned the step",
    ),
    Wrong("check_gd_step", "lr applied twice", lambda x, g, lr: x - lr**2 * g, "applied twice"),
    Wrong(
        "check_gd_step",
        "x instead of g",
        lambda x, g, lr: x - lr * x,
        "where the gradient g belongs",
    ),
    Wrong(
        "check_gd_step",
        "divides by lr",
        lambda x, g, lr: x - g / lr,
        "divided by the learning rate",
    ),
    Wrong("check_gd_step", "in-place update of x", gd_step_inplace, "in place"),
    Wrong("check_gd_step", "no return statement", lambda x, g, lr: None, "forget the `return`"),
    Wrong("check_gd_step", "wrong shape", lambda x, g, lr: (x - lr * g).ravel(), "shape"),
    Wrong("check_gd_step", "NaN in the result", lambda x, g, lr: x * np.nan, "NaN"),
    Wrong(
        "check_gd_step",
        "returns a string",
        lambda x, g, lr: "x - lr * g",
        "should be a numpy array",
    ),
    Wrong("check_gd_run", "x0 left out", gd_run_no_x0, "starting point is missing"),
    Wrong("check_gd_run", "one step short", gd_run_short, "one step early"),
    Wrong("check_gd_run", "every step restarts from x0", gd_run_restart, "starts again from x0"),
    Wrong("check_gd_run", "steps uphill", gd_run_wrong_step, "first step is wrong"),
    Wrong(
        "check_gd_run",
        "appends the same array, updated in place (aliasing)",
        gd_run_appends_same_array,
        "changed it in place",
    ),
    Wrong(
        "check_largest_stable_lr",
        "finds 1/L",
        lambda grad: largest_stable_lr(grad) / 2,
        "= 1/L",
    ),
    Wrong(
        "check_largest_stable_lr",
        "too large",
        lambda grad: 1.25 * largest_stable_lr(grad),
        "grows",
    ),
    Wrong(
        "check_largest_stable_lr",
        "too small",
        lambda grad: 0.75 * largest_stable_lr(grad),
        "noticeably below",
    ),
    Wrong(
        "check_largest_stable_lr",
        "returns a list",
        lambda grad: [largest_stable_lr(grad), 0.0],
        "one number",
    ),
    Wrong(
        "check_largest_stable_lr",
        "bisection bracket too small (fixed upper end 1)",
        lambda grad: largest_stable_lr(grad, grow=False),
        "top of your search range",
    ),
    Wrong(
        "check_largest_stable_lr",
        "integer start point np.array([1])",
        lambda grad: largest_stable_lr(grad, x0=(1,), run=gd_run_keeps_dtype, grow=False, high=20),
        "*integer* array",
    ),
    Wrong(
        "check_largest_stable_lr",
        "types the formula 2/L (one gradient read)",
        lambda grad: 2 / grad(np.ones(1))[0],
        "cannot have run gradient descent",
    ),
    Wrong("check_measured_rate", "rate of the loss", measured_loss_rate, "*loss* falls"),
    Wrong("check_measured_rate", "uses lr = 1/L", measured_rate_one_over_L, "1 - 1/kappa"),
    Wrong("check_measured_rate", "unrelated number", lambda kappa: 0.5, "should shrink"),
]


@pytest.mark.parametrize("wrong", CATALOG, ids=[w.id for w in CATALOG])
def test_each_mistake_is_named(wrong):
    assert_named(wrong)


def test_different_mistakes_get_different_messages():
    assert_distinct(CATALOG)
