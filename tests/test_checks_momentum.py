"""Lab 2 checkers: correct answers pass, and every catalogued mistake gets its own message."""

import numpy as np
import pytest
import torch
from mistake_catalog import Wrong, assert_distinct, assert_named

from rmslab import checks

# ---------------------------------------------------------------- correct student answers


def momentum_step(x, g, b, lr, mu):
    b_new = mu * b + g
    return x - lr * b_new, b_new


def momentum_run(grad, x0, lr, mu, steps):
    xs, b = [np.asarray(x0, dtype=float)], np.zeros(np.shape(x0))
    for _ in range(steps):
        x, b = momentum_step(xs[-1], grad(xs[-1]), b, lr, mu)
        xs.append(x)
    return np.array(xs)


def terminal_speed_prediction():
    return 10.0


def momentum_rate(kappa, start=200, stop=400):
    curvatures = np.array([1.0 / kappa, 1.0])
    lr = 4 / (np.sqrt(curvatures.max()) + np.sqrt(curvatures.min())) ** 2
    mu = ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
    xs = momentum_run(lambda x: curvatures * x, np.ones(2), lr, mu, stop)
    distances = np.linalg.norm(xs, axis=1)
    return (distances[stop] / distances[start]) ** (1 / (stop - start))


CORRECT = {
    "check_momentum_step": momentum_step,
    "check_momentum_run": momentum_run,
    "check_terminal_speed": terminal_speed_prediction,
    "check_momentum_rate": momentum_rate,
}


@pytest.mark.parametrize("check", CORRECT)
def test_correct_answers_pass(check, capsys):
    assert getattr(checks, check)(CORRECT[check]).passed
    assert capsys.readouterr().out.startswith("Correct!")


def test_the_lab_convention_is_torch_sgd():
    """The rule the checker accepts is torch.optim.SGD(momentum=mu), step for step."""
    rng = np.random.default_rng(0)
    x0, grads = rng.normal(size=3), rng.normal(size=(5, 3))
    p = torch.tensor(x0, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.8)
    x, b = x0, np.zeros(3)
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
        x, b = momentum_step(x, g, b, 0.1, 0.8)
        np.testing.assert_allclose(x, p.detach().numpy(), rtol=1e-14, atol=1e-15)


# ---------------------------------------------------------------- the catalog of mistakes


def step_old_buffer(x, g, b, lr, mu):
    b_new = mu * b + g
    return x - lr * b, b_new


def step_tf_buffer(x, g, b, lr, mu):
    b_new = mu * b + lr * g
    return x - b_new, b_new


def step_velocity_form(x, g, b, lr, mu):
    v = mu * b - lr * g
    return x + v, v


def step_dampened(x, g, b, lr, mu):
    b_new = mu * b + (1 - mu) * g
    return x - lr * b_new, b_new


def step_mu_on_gradient(x, g, b, lr, mu):
    b_new = b + mu * g
    return x - lr * b_new, b_new


def step_forgets_buffer(x, g, b, lr, mu):
    return x - lr * g, g


def step_nesterov(x, g, b, lr, mu):
    b_new = mu * b + g
    return x - lr * (g + mu * b_new), b_new


def step_wrong_sign(x, g, b, lr, mu):
    b_new = mu * b + g
    return x + lr * b_new, b_new


def step_no_lr(x, g, b, lr, mu):
    b_new = mu * b + g
    return x - b_new, b_new


def step_inplace_buffer(x, g, b, lr, mu):
    b *= mu
    b += g
    return x - lr * b, b


def step_swapped_outputs(x, g, b, lr, mu):
    b_new = mu * b + g
    return b_new, x - lr * b_new


def step_returns_old_buffer(x, g, b, lr, mu):
    b_new = mu * b + g
    return x - lr * b_new, b


def step_forgets_state(x, g, b, lr, mu):
    return x - lr * (mu * b + g)


def step_flattens(x, g, b, lr, mu):
    b_new = mu * b + g
    return (x - lr * b_new).ravel(), b_new.ravel()


def step_nan(x, g, b, lr, mu):
    b_new = mu * b + g
    return x - lr * b_new / 0.0, b_new


def step_raises(x, g, b, lr, mu):
    return x - lr * momentum[0]  # noqa: F821 - a typo a student could make


def step_stub(x, g, b, lr, mu):
    raise NotImplementedError()


def run_resets_buffer(grad, x0, lr, mu, steps):
    xs = [x0]
    for _ in range(steps):
        x, _ = momentum_step(xs[-1], grad(xs[-1]), np.zeros_like(x0), lr, mu)
        xs.append(x)
    return np.array(xs)


def run_without_x0(grad, x0, lr, mu, steps):
    return momentum_run(grad, x0, lr, mu, steps)[1:]


def run_one_short(grad, x0, lr, mu, steps):
    return momentum_run(grad, x0, lr, mu, steps - 1)


def run_gradient_at_x0(grad, x0, lr, mu, steps):
    xs, b = [x0], np.zeros_like(x0)
    for _ in range(steps):
        x, b = momentum_step(xs[-1], grad(x0), b, lr, mu)
        xs.append(x)
    return np.array(xs)


def run_appends_same_array(grad, x0, lr, mu, steps):
    xs, x, b = [x0], x0.copy(), np.zeros_like(x0)
    for _ in range(steps):
        x_new, b = momentum_step(x, grad(x), b, lr, mu)
        x[:] = x_new
        xs.append(x)
    return np.array(xs)


def rate_with_unsquared_mu(kappa):
    curvatures = np.array([1.0 / kappa, 1.0])
    lr = 4 / (np.sqrt(curvatures.max()) + np.sqrt(curvatures.min())) ** 2
    mu = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)  # the square is missing
    xs = momentum_run(lambda x: curvatures * x, np.ones(2), lr, mu, 400)
    distances = np.linalg.norm(xs, axis=1)
    return (distances[400] / distances[200]) ** (1 / 200)


def rate_of_gradient_descent(kappa):
    curvatures = np.array([1.0 / kappa, 1.0])
    xs = momentum_run(lambda x: curvatures * x, np.ones(2), 2 / (1 + 1 / kappa), 0.0, 400)
    distances = np.linalg.norm(xs, axis=1)
    return (distances[400] / distances[200]) ** (1 / 200)


CATALOG = [
    Wrong("check_momentum_step", "steps with the old buffer", step_old_buffer, "*old* buffer"),
    Wrong(
        "check_momentum_step",
        "lr inside the buffer (TF convention)",
        step_tf_buffer,
        "TensorFlow/Keras convention",
    ),
    Wrong(
        "check_momentum_step", "velocity form v = mu v - lr g", step_velocity_form, "velocity form"
    ),
    Wrong(
        "check_momentum_step",
        "dampened buffer (1 - mu) g",
        step_dampened,
        "exponential moving average",
    ),
    Wrong(
        "check_momentum_step",
        "mu multiplies the gradient",
        step_mu_on_gradient,
        "multiplies the wrong term",
    ),
    Wrong(
        "check_momentum_step",
        "state not carried (b_new = g)",
        step_forgets_buffer,
        "forgets the past",
    ),
    Wrong("check_momentum_step", "Nesterov step", step_nesterov, "Nesterov"),
    Wrong("check_momentum_step", "wrong sign", step_wrong_sign, "wrong sign"),
    Wrong("check_momentum_step", "learning rate missing", step_no_lr, "learning rate is missing"),
    Wrong(
        "check_momentum_step",
        "in-place update of the buffer",
        step_inplace_buffer,
        "changed its input `b` in place",
    ),
    Wrong("check_momentum_step", "outputs in the wrong order", step_swapped_outputs, "wrong order"),
    Wrong(
        "check_momentum_step", "returns only x_new", step_forgets_state, "should return 2 values"
    ),
    Wrong("check_momentum_step", "wrong shape", step_flattens, "has shape"),
    Wrong("check_momentum_step", "NaN/inf in the result", step_nan, "NaN"),
    Wrong("check_momentum_step", "raises an error", step_raises, "raised NameError"),
    Wrong("check_momentum_step", "not implemented", step_stub, "not implemented yet"),
    Wrong(
        "check_momentum_run",
        "buffer reset at every step",
        run_resets_buffer,
        "plain gradient descent",
    ),
    Wrong("check_momentum_run", "x0 left out", run_without_x0, "starting point is missing"),
    Wrong("check_momentum_run", "one step short", run_one_short, "one step early"),
    Wrong(
        "check_momentum_run",
        "appends the same array, updated in place (aliasing)",
        run_appends_same_array,
        "changed it in place",
    ),
    Wrong(
        "check_momentum_step",
        "returns the old buffer b",
        step_returns_old_buffer,
        "`b_new` is the `b` you were given",
    ),
    Wrong(
        "check_momentum_rate",
        "mu not squared",
        rate_with_unsquared_mu,
        "the square is missing",
    ),
    Wrong("check_momentum_run", "gradient always taken at x0", run_gradient_at_x0, "row 2"),
    Wrong("check_terminal_speed", "mu / (1 - mu)", lambda: 9.0, "only the part carried over"),
    Wrong("check_terminal_speed", "1 / (1 - mu)^2", lambda: 100.0, "squares the factor"),
    Wrong("check_terminal_speed", "1 + mu", lambda: 1.9, "more than one step back"),
    Wrong("check_terminal_speed", "no speed-up", lambda: 1.0, "does speed up"),
    Wrong("check_terminal_speed", "1 - mu", lambda: 0.1, "longer, not shorter"),
    Wrong("check_terminal_speed", "1 / sqrt(1 - mu)", lambda: 3.16, "no square root"),
    Wrong("check_terminal_speed", "a far-off guess", lambda: 50.0, "too large"),
    Wrong("check_terminal_speed", "answer given as text", lambda: "ten", "one number"),
    Wrong(
        "check_momentum_rate",
        "gradient descent's rate",
        rate_of_gradient_descent,
        "plain gradient descent's rate",
    ),
    Wrong(
        "check_momentum_rate",
        "rate of the loss",
        lambda kappa: momentum_rate(kappa) ** 2,
        "*loss* falls",
    ),
    Wrong(
        "check_momentum_rate",
        "measured too early",
        lambda kappa: momentum_rate(kappa, 10, 60),
        "measure late",
    ),
    Wrong("check_momentum_rate", "diverging run", lambda kappa: 1.5, "does not shrink"),
    Wrong("check_momentum_rate", "unrelated number", lambda kappa: 0.3, "should shrink"),
]


@pytest.mark.parametrize("wrong", CATALOG, ids=[w.id for w in CATALOG])
def test_each_mistake_is_named(wrong):
    assert_named(wrong)


def test_different_mistakes_get_different_messages():
    assert_distinct(CATALOG)


def test_the_checker_never_raises_and_the_inputs_survive():
    """A function that trashes its inputs gets a message; the checker's own arrays are copies."""

    def vandal(x, g, b, lr, mu):
        x[...] = np.nan
        return x, b

    result = checks.check_momentum_step(vandal, quiet=True)
    assert not result.passed and "changed its input `x` in place" in result.message
