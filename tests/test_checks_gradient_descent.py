"""Lab 1 checkers: every catalogued mistake gets its own message; correct answers pass."""

import numpy as np
import pytest

from rmslab import checks

# ---------------------------------------------------------------- gd_step


def gd_step(x, g, lr):
    return x - lr * g


def gd_step_inplace(x, g, lr):
    x -= lr * g
    return x


WRONG_GD_STEPS = {
    "wrong sign": lambda x, g, lr: x + lr * g,
    "learning rate is missing": lambda x, g, lr: x - g,
    "returned the step": lambda x, g, lr: -lr * g,
    "applied twice": lambda x, g, lr: x - lr**2 * g,
    "where the gradient g belongs": lambda x, g, lr: x - lr * x,
    "divided by the learning rate": lambda x, g, lr: x - g / lr,
    "in place": gd_step_inplace,
    "forget the `return`": lambda x, g, lr: None,
    "shape": lambda x, g, lr: (x - lr * g).ravel(),
    "NaN": lambda x, g, lr: x * np.nan,
    "should return a numpy array": lambda x, g, lr: "x - lr * g",
}


def test_correct_gd_step_passes(capsys):
    result = checks.check_gd_step(gd_step)
    assert result.passed and bool(result)
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize("expected, wrong", WRONG_GD_STEPS.items(), ids=list(WRONG_GD_STEPS))
def test_each_gd_step_mistake_is_named(expected, wrong):
    result = checks.check_gd_step(wrong, quiet=True)
    assert not result.passed
    assert expected in result.message


def test_messages_are_distinct():
    messages = {checks.check_gd_step(w, quiet=True).message for w in WRONG_GD_STEPS.values()}
    assert len(messages) == len(WRONG_GD_STEPS)


def test_not_implemented_is_reported_not_raised(capsys):
    def stub(x, g, lr):
        raise NotImplementedError

    result = checks.check_gd_step(stub)
    assert not result.passed
    assert "not implemented yet" in capsys.readouterr().out


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


def gd_run_wrong_step(grad, x0, lr, steps):
    xs = [x0]
    for _ in range(steps):
        xs.append(xs[-1] + lr * grad(xs[-1]))
    return np.array(xs)


@pytest.mark.parametrize(
    "expected, wrong",
    [
        ("starting point is missing", gd_run_no_x0),
        ("one step early", gd_run_short),
        ("starts again from x0", gd_run_restart),
        ("first step is wrong", gd_run_wrong_step),
    ],
)
def test_each_gd_run_mistake_is_named(expected, wrong):
    result = checks.check_gd_run(wrong, quiet=True)
    assert not result.passed and expected in result.message


def test_correct_gd_run_passes():
    assert checks.check_gd_run(gd_run, quiet=True).passed


# ---------------------------------------------------------------- largest stable lr


def largest_stable_lr(L, steps=200):
    lo, hi = 0.0, 10.0 / L
    for _ in range(60):
        mid = (lo + hi) / 2
        x = gd_run(lambda x: L * x, np.array([1.0]), mid, steps)
        lo, hi = (mid, hi) if abs(x[-1, 0]) <= abs(x[0, 0]) else (lo, mid)
    return lo


@pytest.mark.parametrize(
    "expected, wrong",
    [
        ("= 1/L", lambda L: 1.0 / L),
        ("grows", lambda L: 2.5 / L),
        ("noticeably below", lambda L: 1.5 / L),
        ("one number", lambda L: [2.0 / L, 0.0]),
    ],
)
def test_each_stable_lr_mistake_is_named(expected, wrong):
    result = checks.check_largest_stable_lr(wrong, quiet=True)
    assert not result.passed and expected in result.message


def test_bisection_finds_two_over_L():
    assert checks.check_largest_stable_lr(largest_stable_lr, quiet=True).passed


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


@pytest.mark.parametrize(
    "expected, wrong",
    [
        ("*loss* falls", measured_loss_rate),
        ("1 - 1/kappa", measured_rate_one_over_L),
        ("should shrink", lambda kappa: 0.5),
    ],
)
def test_each_rate_mistake_is_named(expected, wrong):
    result = checks.check_measured_rate(wrong, quiet=True)
    assert not result.passed and expected in result.message


def test_correct_rate_passes():
    assert checks.check_measured_rate(measured_rate, quiet=True).passed
