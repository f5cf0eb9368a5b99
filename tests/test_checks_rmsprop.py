"""Lab 4 checkers: correct answers pass, and every catalogued mistake gets its own message.

The expected values behind the checks are anchored independently here: the student-style
RMSProp is compared with torch.optim.RMSprop, and the transient and eps-placement answers
with their closed forms.
"""

import numpy as np
import pytest
import torch
from mistake_catalog import Wrong, assert_distinct, assert_named
from rmsprop_answers import (
    rmsprop_step,
    rmsprop_step_eps_inside,
    step_averages_abs,
    step_forgets_average,
    step_inplace_x,
    step_mean_over_axis,
    step_mean_over_coordinates,
    step_missing_parentheses,
    step_no_eps,
    step_no_lr,
    step_no_one_minus_beta,
    step_no_root,
    step_old_average,
    step_starts_at_g_squared,
    step_sum,
    step_swapped_beta,
    step_wrong_sign,
    step_zero_division,
)

from rmslab import checks, problems

# ---------------------------------------------------------------- correct student answers
# (the step itself, right and wrong, is in rmsprop_answers.py, which Lab 6's tests share)


def step_sizes(step, g_size, steps, lr=1e-3, beta=0.99, eps=1e-8):
    x, v, sizes = np.zeros(1), np.zeros(1), []
    for _ in range(steps):
        x_new, v = step(x, np.full(1, g_size), v, lr, beta, eps)
        sizes.append(abs(x_new[0] - x[0]))
        x = x_new
    return np.array(sizes)


def steps_to_settle(beta, lr=0.01):
    sizes = step_sizes(rmsprop_step, 1.0, 5000, lr=lr, beta=beta)
    return int(np.argmax(sizes <= 1.1 * lr)) + 1


def eps_placement_ratio(g_size, steps=2000):
    outside = step_sizes(rmsprop_step, g_size, steps)[-1]
    inside = step_sizes(rmsprop_step_eps_inside, g_size, steps)[-1]
    return outside / inside


def torch_rmsprop_run(grad, x0, lr, beta, eps, steps, dtype=torch.float64, overrides=()):
    p = torch.tensor(x0, dtype=dtype, requires_grad=True)
    opt = torch.optim.RMSprop([p], **dict(dict(lr=lr, alpha=beta, eps=eps), **dict(overrides)))
    xs = [p.detach().numpy().copy()]
    for _ in range(steps):
        p.grad = torch.as_tensor(grad(p.detach().numpy().astype(float)), dtype=dtype)
        opt.step()
        xs.append(p.detach().numpy().copy())
    return np.array(xs)


def tracking_distances(method, moving=True):
    """Student-style: Adagrad (written here) or this file's RMSProp on the jumping minimum."""
    bowl = problems.moving_minimum("jump", period=200, radius=2.0)

    def adagrad_step(x, g, s, lr, eps):
        s_new = s + g**2
        return x - lr * g / (np.sqrt(s_new) + eps), s_new

    step, settings = (
        (adagrad_step, (0.5, 1e-8)) if method == "adagrad" else (rmsprop_step, (0.5, 0.99, 1e-8))
    )
    x, state, distances = bowl.x0, np.zeros(2), []
    for t in range(2000):
        x, state = step(x, bowl.grad(x, t if moving else 0), state, *settings)
        distances.append(np.linalg.norm(x - bowl.minimizer_at(t if moving else 0)))
    return np.mean(distances[:200]), np.mean(distances[-200:])


def beta_for_half_life(n):
    return 0.5 ** (1 / n)


CORRECT = {
    "check_tracking": tracking_distances,
    "check_half_life_beta": beta_for_half_life,
    "check_rmsprop_step": rmsprop_step,
    "check_rmsprop_first_step": lambda: 0.1,
    "check_steps_to_settle": steps_to_settle,
    "check_eps_ratio_prediction": lambda: 100.0,
    "check_eps_placement_ratio": eps_placement_ratio,
    "check_torch_rmsprop": torch_rmsprop_run,
}


@pytest.mark.parametrize("check", CORRECT)
def test_correct_answers_pass(check, capsys):
    assert getattr(checks, check)(CORRECT[check]).passed
    assert capsys.readouterr().out.startswith("Correct!")


def test_the_lab_convention_is_torch_rmsprop_to_1e_12():
    rng = np.random.default_rng(2)
    x0 = rng.normal(size=4)
    xs_torch = torch_rmsprop_run(lambda x: np.array([1, 3, 10, 30]) * x, x0, 0.01, 0.9, 1e-8, 50)
    x, v = x0, np.zeros(4)
    for t in range(50):
        x, v = rmsprop_step(x, np.array([1, 3, 10, 30]) * x, v, 0.01, 0.9, 1e-8)
        np.testing.assert_allclose(x, xs_torch[t + 1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("beta", [0.9, 0.99])
def test_settling_step_matches_its_closed_form(beta):
    """Step t from v0 = 0 is lr / sqrt(1 - beta^t): within 10% once beta^t <= 1 - 1/1.21."""
    assert steps_to_settle(beta) == int(np.ceil(np.log(1 - 1 / 1.21) / np.log(beta)))


@pytest.mark.parametrize("g", [1e-6, 1e-4, 1.0])
def test_eps_ratio_matches_its_closed_form(g):
    """In steady state v = g^2: the ratio is sqrt(g^2 + eps) / (|g| + eps)."""
    eps = 1e-8
    assert eps_placement_ratio(g) == pytest.approx(np.sqrt(g**2 + eps) / (g + eps), rel=1e-3)


def test_first_step_matches_its_closed_form():
    lr, beta, g = 0.01, 0.99, 1e-3
    first = step_sizes(rmsprop_step, g, 1, lr=lr, beta=beta)[0]
    assert first == pytest.approx(lr / (np.sqrt(1 - beta) + 1e-8 / g), rel=1e-12)
    assert first == pytest.approx(0.1, rel=1e-3)


# ---------------------------------------------------------------- the catalog of mistakes


def torch_default_alpha(grad, x0, lr, beta, eps, steps):
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.RMSprop([p], lr=lr, eps=eps)
    xs = [x0.copy()]
    for _ in range(steps):
        p.grad = torch.from_numpy(grad(p.detach().numpy().copy()))
        opt.step()
        xs.append(p.detach().numpy().copy())
    return np.array(xs)


def torch_stores_without_copy(grad, x0, lr, beta, eps, steps):
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.RMSprop([p], lr=lr, alpha=beta, eps=eps)
    xs = [p.detach().numpy()]
    for _ in range(steps):
        p.grad = torch.from_numpy(grad(p.detach().numpy().copy()))
        opt.step()
        xs.append(p.detach().numpy())
    return np.array(xs)


def torch_returns_tensors(grad, x0, lr, beta, eps, steps):
    return torch.tensor(torch_rmsprop_run(grad, x0, lr, beta, eps, steps))


CATALOG = [
    Wrong(
        "check_tracking",
        "first and last swapped",
        lambda method: tracking_distances(method)[::-1],
        "the two numbers are swapped",
    ),
    Wrong(
        "check_tracking",
        "step number not passed to the gradient",
        lambda method: tracking_distances(method, moving=False),
        "your minimum never moved",
    ),
    Wrong(
        "check_tracking",
        "the 'rmsprop' run uses Adagrad",
        lambda method: tracking_distances("adagrad"),
        "gives Adagrad's distances",
    ),
    Wrong(
        "check_half_life_beta",
        "beta = 1 - 1/n (the window rule)",
        lambda n: 1 - 1 / n,
        "averaging-window rule",
    ),
    Wrong("check_half_life_beta", "beta = 0.5**n", lambda n: 0.5**n, "halves the value n times"),
    Wrong(
        "check_half_life_beta", "beta outside (0, 1)", lambda n: 2.0 ** (1 / n), "between 0 and 1"
    ),
    Wrong("check_rmsprop_step", "sum instead of moving average", step_sum, "running *sum*"),
    Wrong("check_rmsprop_step", "beta and 1 - beta swapped", step_swapped_beta, "are swapped"),
    Wrong(
        "check_rmsprop_step",
        "no (1 - beta) on g**2",
        step_no_one_minus_beta,
        "needs the weight (1 - beta)",
    ),
    Wrong(
        "check_rmsprop_step",
        "averages |g| instead of g**2",
        step_averages_abs,
        "instead of its square",
    ),
    Wrong(
        "check_rmsprop_step",
        "state not carried (v_new ignores v)",
        step_forgets_average,
        "forgets the past",
    ),
    Wrong(
        "check_rmsprop_step",
        "eps inside the root",
        rmsprop_step_eps_inside,
        "eps is inside the square root",
    ),
    Wrong("check_rmsprop_step", "missing square root", step_no_root, "square root is missing"),
    Wrong("check_rmsprop_step", "eps left out", step_no_eps, "eps is missing"),
    Wrong("check_rmsprop_step", "divides by the old average", step_old_average, "*old* average"),
    Wrong("check_rmsprop_step", "wrong sign", step_wrong_sign, "wrong sign"),
    Wrong(
        "check_rmsprop_step",
        "v started at g**2 instead of 0",
        step_starts_at_g_squared,
        "started the average at g**2",
    ),
    Wrong("check_rmsprop_step", "learning rate missing", step_no_lr, "learning rate is missing"),
    Wrong(
        "check_rmsprop_step",
        "in-place update of x",
        step_inplace_x,
        "changed its input `x` in place",
    ),
    Wrong("check_rmsprop_step", "averages over an axis", step_mean_over_axis, "has shape"),
    Wrong("check_rmsprop_step", "division by zero", step_zero_division, "NaN"),
    Wrong(
        "check_rmsprop_step",
        "missing parentheses: lr * g / np.sqrt(v_new) + eps",
        step_missing_parentheses,
        "parentheses are missing",
    ),
    Wrong(
        "check_rmsprop_step",
        "np.mean of g**2 over the coordinates",
        step_mean_over_coordinates,
        "averaged g**2 over the coordinates",
    ),
    Wrong(
        "check_rmsprop_step",
        "returns the old average v",
        lambda x, g, v, lr, beta, eps: (rmsprop_step(x, g, v, lr, beta, eps)[0], v),
        "`v_new` is the `v` you were given",
    ),
    Wrong(
        "check_torch_rmsprop",
        "momentum=beta instead of alpha=beta",
        lambda grad, x0, lr, beta, eps, steps: torch_rmsprop_run(
            grad, x0, lr, beta, eps, steps, overrides={"alpha": 0.99, "momentum": beta}
        ),
        "you passed beta as `momentum`",
    ),
    Wrong(
        "check_torch_rmsprop",
        "stores p.detach().numpy() without a copy",
        torch_stores_without_copy,
        "shares its memory with `p`",
    ),
    Wrong("check_rmsprop_first_step", "plain GD step lr * g", lambda: 1e-5, "lr * g"),
    Wrong("check_rmsprop_first_step", "steady-state step lr", lambda: 0.01, "has settled"),
    Wrong("check_rmsprop_first_step", "forgot the root", lambda: 1.0, "*square root* of v_1"),
    Wrong(
        "check_rmsprop_first_step",
        "multiplied by sqrt(1 - beta)",
        lambda: 0.001,
        "does not multiply",
    ),
    Wrong("check_rmsprop_first_step", "unrelated number", lambda: 0.5, "too large"),
    Wrong(
        "check_steps_to_settle",
        "counts from 0",
        lambda beta: steps_to_settle(beta) - 1,
        "one step early",
    ),
    Wrong(
        "check_steps_to_settle",
        "one step late",
        lambda beta: steps_to_settle(beta) + 1,
        "one step late",
    ),
    Wrong(
        "check_steps_to_settle",
        "averaging window 1/(1 - beta)",
        lambda beta: 1 / (1 - beta),
        "averaging window",
    ),
    Wrong("check_eps_ratio_prediction", "eps cannot matter", lambda: 1.0, "there it dominates"),
    Wrong(
        "check_eps_ratio_prediction", "eps / g**2 without the root", lambda: 1e4, "*square root*"
    ),
    Wrong("check_eps_ratio_prediction", "ratio upside down", lambda: 0.01, "turned around"),
    Wrong(
        "check_eps_placement_ratio",
        "inside over outside",
        lambda g: 1 / eps_placement_ratio(g),
        "Return outside / inside",
    ),
    Wrong(
        "check_eps_placement_ratio",
        "compares the first steps",
        lambda g: eps_placement_ratio(g, steps=1),
        "*first* steps",
    ),
    Wrong("check_eps_placement_ratio", "variants not different", lambda g: 1.0, "same step"),
    Wrong(
        "check_torch_rmsprop",
        "torch's alpha left at 0.99",
        torch_default_alpha,
        "`alpha` at its default",
    ),
    Wrong(
        "check_torch_rmsprop",
        "alpha = 1 - beta",
        lambda grad, x0, lr, beta, eps, steps: torch_rmsprop_run(
            grad, x0, lr, beta, eps, steps, overrides={"alpha": 1 - beta}
        ),
        "not 1 - beta",
    ),
    Wrong(
        "check_torch_rmsprop",
        "lr left at torch's default",
        lambda grad, x0, lr, beta, eps, steps: torch_rmsprop_run(
            grad, x0, lr, beta, eps, steps, overrides={"lr": 0.01}
        ),
        "`lr` at its default",
    ),
    Wrong(
        "check_torch_rmsprop",
        "eps left at torch's default",
        lambda grad, x0, lr, beta, eps, steps: torch_rmsprop_run(
            grad, x0, lr, beta, eps, steps, overrides={"eps": 1e-8}
        ),
        "`eps` at its default",
    ),
    Wrong(
        "check_torch_rmsprop",
        "float32 parameters",
        lambda grad, x0, lr, beta, eps, steps: torch_rmsprop_run(
            grad, x0, lr, beta, eps, steps, dtype=torch.float32
        ),
        "float32",
    ),
    Wrong(
        "check_torch_rmsprop",
        "returns a torch tensor",
        torch_returns_tensors,
        "`.detach().numpy()`",
    ),
    Wrong(
        "check_torch_rmsprop",
        "x0 left out",
        lambda grad, x0, lr, beta, eps, steps: torch_rmsprop_run(grad, x0, lr, beta, eps, steps)[
            1:
        ],
        "starting point is missing",
    ),
]


def test_the_tiny_gradient_case_alone_catches_eps_inside():
    """A step that puts eps inside only when eps is tiny passes the large-eps case."""

    def sneaky(x, g, v, lr, beta, eps):
        step = rmsprop_step_eps_inside if eps < 1e-4 else rmsprop_step
        return step(x, g, v, lr, beta, eps)

    message = checks.check_rmsprop_step(sneaky, quiet=True).message
    assert "eps is inside the square root" in message


@pytest.mark.parametrize("wrong", CATALOG, ids=[w.id for w in CATALOG])
def test_each_mistake_is_named(wrong):
    assert_named(wrong)


def test_different_mistakes_get_different_messages():
    assert_distinct(CATALOG)
