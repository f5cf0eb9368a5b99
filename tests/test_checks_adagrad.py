"""Lab 3 checkers: correct answers pass, and every catalogued mistake gets its own message."""

import numpy as np
import pytest
import torch
from mistake_catalog import Wrong, assert_distinct, assert_named

from rmslab import checks

# ---------------------------------------------------------------- correct student answers


def adagrad_step(x, g, s, lr, eps):
    s_new = s + g**2
    return x - lr * g / (np.sqrt(s_new) + eps), s_new


def rare_feature_boost(period, steps=1000, lr=0.1, eps=1e-10, rare=True):
    x, s = np.zeros(2), np.zeros(2)
    for t in range(steps):
        g = np.array([1.0, 1.0 if (t % period == 0) == rare else 0.0])
        x, s = adagrad_step(x, g, s, lr, eps)
    rates = lr / (np.sqrt(s) + eps)
    return rates[1] / rates[0]


CORRECT = {
    "check_adagrad_step": adagrad_step,
    "check_scale_prediction": lambda: "same",
    "check_rare_feature_boost": rare_feature_boost,
    "check_slowdown_prediction": lambda: 100,
}


@pytest.mark.parametrize("check", CORRECT)
def test_correct_answers_pass(check, capsys):
    assert getattr(checks, check)(CORRECT[check]).passed
    assert capsys.readouterr().out.startswith("Correct!")


def test_the_lab_convention_is_torch_adagrad():
    rng = np.random.default_rng(1)
    x0, grads = rng.normal(size=3), rng.normal(size=(6, 3))
    p = torch.tensor(x0, requires_grad=True)
    opt = torch.optim.Adagrad([p], lr=0.3, eps=1e-2)
    x, s = x0, np.zeros(3)
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
        x, s = adagrad_step(x, g, s, 0.3, 1e-2)
        np.testing.assert_allclose(x, p.detach().numpy(), rtol=1e-13, atol=1e-15)


def test_scale_invariance_claim_holds_for_the_students_own_adagrad():
    """The "same" answer is true: the two coordinates of (x1^2 + 100 x2^2)/2 move alike."""
    x, s = np.ones(2), np.zeros(2)
    for _ in range(50):
        x, s = adagrad_step(x, np.array([1.0, 100.0]) * x, s, 0.1, 1e-10)
        assert abs(x[0] - x[1]) < 1e-8
    assert abs(x[0]) < 0.9  # and they did move


# ---------------------------------------------------------------- the catalog of mistakes


def step_missing_parentheses(x, g, s, lr, eps):
    s_new = s + g**2
    return x - lr * g / np.sqrt(s_new) + eps, s_new


def step_old_sum(x, g, s, lr, eps):
    return x - lr * g / (np.sqrt(s) + eps), s + g**2


def step_adds_g(x, g, s, lr, eps):
    s_new = s + g
    return x - lr * g / (np.sqrt(s_new) + eps), s_new


def step_no_root(x, g, s, lr, eps):
    s_new = s + g**2
    return x - lr * g / (s_new + eps), s_new


def step_eps_inside(x, g, s, lr, eps):
    s_new = s + g**2
    return x - lr * g / np.sqrt(s_new + eps), s_new


def step_global_sum(x, g, s, lr, eps):
    s_new = s + np.sum(g * g)
    return x - lr * g / (np.sqrt(s_new) + eps), s_new


def step_moving_average(x, g, s, lr, eps):
    s_new = 0.9 * s + 0.1 * g**2
    return x - lr * g / (np.sqrt(s_new) + eps), s_new


def step_forgets_sum(x, g, s, lr, eps):
    s_new = g**2
    return x - lr * g / (np.sqrt(s_new) + eps), s_new


def step_wrong_sign(x, g, s, lr, eps):
    s_new = s + g**2
    return x + lr * g / (np.sqrt(s_new) + eps), s_new


def step_inplace_sum(x, g, s, lr, eps):
    s += g**2
    return x - lr * g / (np.sqrt(s) + eps), s


def step_returns_list(x, g, s, lr, eps):
    s_new = s + g**2
    return list(x - lr * g / (np.sqrt(s_new) + eps)), s_new


def step_negative_root(x, g, s, lr, eps):
    s_new = s - g**2
    return x - lr * g / (np.sqrt(s_new) + eps), s_new


def boost_of_sums(period):
    return rare_feature_boost(period) ** 2


def boost_without_rare_zeros(period):
    return rare_feature_boost(1)


CATALOG = [
    Wrong(
        "check_adagrad_step",
        "missing parentheses: lr * g / np.sqrt(s_new) + eps",
        step_missing_parentheses,
        "parentheses are missing",
    ),
    Wrong(
        "check_rare_feature_boost",
        "inverted rarity condition (t % period != 0)",
        lambda period: rare_feature_boost(period, rare=False),
        "rarity condition is inverted",
    ),
    Wrong("check_adagrad_step", "divides by the old sum", step_old_sum, "*before* adding"),
    Wrong("check_adagrad_step", "adds g instead of g**2", step_adds_g, "instead of its square"),
    Wrong("check_adagrad_step", "missing square root", step_no_root, "square root is missing"),
    Wrong("check_adagrad_step", "eps inside the root", step_eps_inside, "eps is inside"),
    Wrong("check_adagrad_step", "one sum for all coordinates", step_global_sum, "per coordinate"),
    Wrong(
        "check_adagrad_step",
        "moving average instead of sum",
        step_moving_average,
        "that is RMSProp",
    ),
    Wrong(
        "check_adagrad_step",
        "state not carried (s_new = g**2)",
        step_forgets_sum,
        "forgets the past",
    ),
    Wrong("check_adagrad_step", "wrong sign", step_wrong_sign, "wrong sign"),
    Wrong(
        "check_adagrad_step",
        "in-place update of the sum",
        step_inplace_sum,
        "changed its input `s` in place",
    ),
    Wrong("check_adagrad_step", "returns a list", step_returns_list, "should be a numpy array"),
    Wrong("check_adagrad_step", "root of a negative number", step_negative_root, "NaN"),
    Wrong(
        "check_scale_prediction", "the steep coordinate is faster", lambda: "second", "cancels out"
    ),
    Wrong(
        "check_scale_prediction",
        "the flat coordinate is faster",
        lambda: "first",
        "not faster either",
    ),
    Wrong("check_scale_prediction", "not one of the choices", lambda: 2, "one of the strings"),
    Wrong(
        "check_rare_feature_boost", "ratio of the sums", boost_of_sums, "ratio of the two *sums*"
    ),
    Wrong(
        "check_rare_feature_boost",
        "ratio upside down",
        lambda p: 1 / rare_feature_boost(p),
        "turn the ratio around",
    ),
    Wrong(
        "check_rare_feature_boost",
        "rare gradient never zero",
        boost_without_rare_zeros,
        "came out equal",
    ),
    Wrong("check_rare_feature_boost", "unrelated number", lambda p: 7.0, "count how many"),
    Wrong("check_slowdown_prediction", "1/t decay", lambda: 10, "1/t decay"),
    Wrong("check_slowdown_prediction", "1/t^(1/4) decay", lambda: 10_000, "1/t^(1/4)"),
    Wrong("check_slowdown_prediction", "unrelated number", lambda: 30, "too small"),
]


@pytest.mark.parametrize("wrong", CATALOG, ids=[w.id for w in CATALOG])
def test_each_mistake_is_named(wrong):
    assert_named(wrong)


def test_different_mistakes_get_different_messages():
    assert_distinct(CATALOG)
