"""Lab 5 checkers: correct answers pass, and every catalogued mistake gets its own message.

The student-style Adam is anchored to torch.optim.Adam and the RMSProp-with-momentum step to
torch.optim.RMSprop(momentum=...), so the checkers' expectations are torch's.
"""

import numpy as np
import pytest
import torch
from mistake_catalog import Wrong, assert_distinct, assert_named

from rmslab import checks

# ---------------------------------------------------------------- correct student answers


def ema(average, value, beta):
    return beta * average + (1 - beta) * value


def rmsprop_step(x, g, v, lr, beta, eps):
    v_new = ema(v, g**2, beta)
    return x - lr * g / (np.sqrt(v_new) + eps), v_new


def rmsprop_momentum_step(x, g, v, b, lr, beta, mu, eps):
    v_new = ema(v, g**2, beta)
    b_new = mu * b + g / (np.sqrt(v_new) + eps)
    return x - lr * b_new, v_new, b_new


def bias_correct(average, beta, t):
    return average / (1 - beta**t)


def adam_step(x, g, m, v, t, lr, beta1, beta2, eps):
    m_new, v_new = ema(m, g, beta1), ema(v, g**2, beta2)
    m_hat, v_hat = bias_correct(m_new, beta1, t), bias_correct(v_new, beta2, t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new


def step_sizes(step, state_size, steps, g=0.01):
    x, state, sizes = np.zeros(1), [np.zeros(1)] * state_size, []
    for t in range(1, steps + 1):
        x_new, *state = step(x, np.full(1, g), *state, t)
        sizes.append(abs(x_new[0] - x[0]))
        x = x_new
    return np.array(sizes)


def largest_early_steps(steps=50):
    rms = step_sizes(lambda x, g, v, t: rmsprop_step(x, g, v, 1e-3, 0.999, 1e-8), 1, steps)
    adam = step_sizes(
        lambda x, g, m, v, t: adam_step(x, g, m, v, t, 1e-3, 0.9, 0.999, 1e-8), 2, steps
    )
    return rms.max(), adam.max()


def adam_step_missing_parentheses(x, g, m, v, t, lr, beta1, beta2, eps):
    m_new, v_new = ema(m, g, beta1), ema(v, g**2, beta2)
    m_hat, v_hat = bias_correct(m_new, beta1, t), bias_correct(v_new, beta2, t)
    return x - lr * m_hat / np.sqrt(v_hat) + eps, m_new, v_new


def adam_step_mean_over_coordinates(x, g, m, v, t, lr, beta1, beta2, eps):
    m_new, v_new = ema(m, g, beta1), ema(v, np.mean(g**2), beta2)
    m_hat, v_hat = bias_correct(m_new, beta1, t), bias_correct(v_new, beta2, t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new


def adam_step_partly_reordered(x, g, m, v, t, lr, beta1, beta2, eps):
    x_new, m_new, v_new = adam_step(x, g, m, v, t, lr, beta1, beta2, eps)
    return x_new, v_new, m_new


def largest_early_steps_t_from_0(steps=50):
    """Adam's loop counts t = 0, 1, ...: the first correction divides by 1 - beta**0 = 0."""
    rms = step_sizes(lambda x, g, v, t: rmsprop_step(x, g, v, 1e-3, 0.999, 1e-8), 1, steps)
    adam = step_sizes(
        lambda x, g, m, v, t: adam_step(x, g, m, v, t - 1, 1e-3, 0.9, 0.999, 1e-8), 2, steps
    )
    return rms.max(), max(adam)


CORRECT = {
    "check_ema": ema,
    "check_rmsprop_step": rmsprop_step,
    "check_rmsprop_momentum_step": rmsprop_momentum_step,
    "check_bias_correct": bias_correct,
    "check_adam_first_step": lambda: 1e-3,
    "check_adam_step": adam_step,
    "check_early_steps": largest_early_steps,
}


@pytest.mark.parametrize("check", CORRECT)
def test_correct_answers_pass(check, capsys):
    assert getattr(checks, check)(CORRECT[check]).passed
    assert capsys.readouterr().out.startswith("Correct!")


def torch_run(make_optimizer, x0, grads):
    p = torch.tensor(x0, requires_grad=True)
    opt = make_optimizer([p])
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
        yield p.detach().numpy().copy()


def test_the_lab_adam_is_torch_adam():
    rng = np.random.default_rng(3)
    x0, grads = rng.normal(size=3), rng.normal(size=(30, 3)) * np.array([1e-6, 1.0, 1e3])
    x, m, v = x0, np.zeros(3), np.zeros(3)
    expected = torch_run(lambda p: torch.optim.Adam(p, lr=1e-2, betas=(0.8, 0.95)), x0, grads)
    for t, (g, x_torch) in enumerate(zip(grads, expected, strict=True), start=1):
        x, m, v = adam_step(x, g, m, v, t, 1e-2, 0.8, 0.95, 1e-8)
        np.testing.assert_allclose(x, x_torch, rtol=0, atol=1e-12)


def test_the_lab_rmsprop_momentum_is_torch_rmsprop():
    rng = np.random.default_rng(4)
    x0, grads = rng.normal(size=3), rng.normal(size=(30, 3))
    x, v, b = x0, np.zeros(3), np.zeros(3)
    expected = torch_run(
        lambda p: torch.optim.RMSprop(p, lr=1e-2, alpha=0.9, momentum=0.8), x0, grads
    )
    for g, x_torch in zip(grads, expected, strict=True):
        x, v, b = rmsprop_momentum_step(x, g, v, b, 1e-2, 0.9, 0.8, 1e-8)
        np.testing.assert_allclose(x, x_torch, rtol=0, atol=1e-12)


def test_early_step_answers_match_closed_forms():
    """RMSProp's first step from v0 = 0 is lr/sqrt(1 - beta); each Adam step is lr g/(g + eps)."""
    rms, adam = largest_early_steps()
    assert rms == pytest.approx(1e-3 / (np.sqrt(1e-3) + 1e-8 / 0.01), rel=1e-12)
    assert adam == pytest.approx(1e-3 * 0.01 / (0.01 + 1e-8), rel=1e-9)


# ---------------------------------------------------------------- the catalog of mistakes


def momentum_before_scaling(x, g, v, b, lr, beta, mu, eps):
    v_new = ema(v, g**2, beta)
    b_new = mu * b + g
    return x - lr * b_new / (np.sqrt(v_new) + eps), v_new, b_new


def momentum_tf_buffer(x, g, v, b, lr, beta, mu, eps):
    v_new = ema(v, g**2, beta)
    b_new = mu * b + lr * g / (np.sqrt(v_new) + eps)
    return x - b_new, v_new, b_new


def momentum_old_buffer(x, g, v, b, lr, beta, mu, eps):
    v_new = ema(v, g**2, beta)
    return x - lr * b, v_new, mu * b + g / (np.sqrt(v_new) + eps)


def momentum_dampened(x, g, v, b, lr, beta, mu, eps):
    v_new = ema(v, g**2, beta)
    b_new = ema(b, g / (np.sqrt(v_new) + eps), mu)
    return x - lr * b_new, v_new, b_new


def momentum_forgets_buffer(x, g, v, b, lr, beta, mu, eps):
    v_new = ema(v, g**2, beta)
    b_new = g / (np.sqrt(v_new) + eps)
    return x - lr * b_new, v_new, b_new


def momentum_old_average(x, g, v, b, lr, beta, mu, eps):
    b_new = mu * b + g / (np.sqrt(v) + eps)
    return x - lr * b_new, ema(v, g**2, beta), b_new


def momentum_two_outputs(x, g, v, b, lr, beta, mu, eps):
    return rmsprop_momentum_step(x, g, v, b, lr, beta, mu, eps)[:2]


def adam_variant(
    correct1=True,
    correct2=True,
    shift=0,
    store_hat=False,
    eps_inside=False,
    eps_hat=False,
    swap=False,
    m_squared=False,
    root=True,
    sign=1,
):
    def step(x, g, m, v, t, lr, beta1, beta2, eps):
        if swap:
            beta1, beta2 = beta2, beta1
        m_new = ema(m, g, beta1)
        v_new = ema(v, m_new**2 if m_squared else g**2, beta2)
        m_hat = bias_correct(m_new, beta1, t + shift) if correct1 else m_new
        v_hat = bias_correct(v_new, beta2, t + shift) if correct2 else v_new
        sqrt = np.sqrt if root else (lambda a: a)
        if eps_inside:
            update = lr * m_hat / sqrt(v_hat + eps)
        elif eps_hat:
            scale = np.sqrt(1 - beta2**t) / (1 - beta1**t)
            update = lr * scale * m_new / (sqrt(v_new) + eps)
        else:
            update = lr * m_hat / (sqrt(v_hat) + eps)
        if store_hat:
            return x - sign * update, m_hat, v_hat
        return x - sign * update, m_new, v_new

    return step


def adam_inplace(x, g, m, v, t, lr, beta1, beta2, eps):
    m *= beta1
    m += (1 - beta1) * g
    v_new = ema(v, g**2, beta2)
    return x - lr * (m / (1 - beta1**t)) / (np.sqrt(v_new / (1 - beta2**t)) + eps), m, v_new


def early_last_steps():
    rms = step_sizes(lambda x, g, v, t: rmsprop_step(x, g, v, 1e-3, 0.999, 1e-8), 1, 50)
    adam = step_sizes(lambda x, g, m, v, t: adam_step(x, g, m, v, t, 1e-3, 0.9, 0.999, 1e-8), 2, 50)
    return rms[-1], adam[-1]


CATALOG = [
    Wrong(
        "check_adam_step",
        "missing parentheses: lr * m_hat / np.sqrt(v_hat) + eps",
        adam_step_missing_parentheses,
        "parentheses are missing",
    ),
    Wrong(
        "check_adam_step",
        "np.mean of g**2 over the coordinates",
        adam_step_mean_over_coordinates,
        "averaged g**2 over the coordinates",
    ),
    Wrong(
        "check_adam_step",
        "m_new and v_new swapped in the return",
        adam_step_partly_reordered,
        "you returned `x_new, v_new, m_new`",
    ),
    Wrong(
        "check_early_steps",
        "Adam's step count t starts at 0",
        largest_early_steps_t_from_0,
        "Count Adam's steps from t = 1",
    ),
    Wrong(
        "check_ema",
        "beta and 1 - beta swapped",
        lambda average, value, beta: (1 - beta) * average + beta * value,
        "are swapped",
    ),
    Wrong("check_ema", "running sum", lambda average, value, beta: average + value, "running sum"),
    Wrong(
        "check_ema",
        "no (1 - beta) on the new value",
        lambda average, value, beta: beta * average + value,
        "needs the weight",
    ),
    Wrong(
        "check_ema",
        "old average not decayed",
        lambda average, value, beta: average + (1 - beta) * value,
        "never fades",
    ),
    Wrong(
        "check_rmsprop_momentum_step",
        "momentum applied before the scaling",
        momentum_before_scaling,
        "*before* the scaling",
    ),
    Wrong(
        "check_rmsprop_momentum_step",
        "lr inside the buffer (TF convention)",
        momentum_tf_buffer,
        "TensorFlow/Keras convention",
    ),
    Wrong(
        "check_rmsprop_momentum_step",
        "steps with the old buffer",
        momentum_old_buffer,
        "*old* buffer",
    ),
    Wrong("check_rmsprop_momentum_step", "dampened buffer", momentum_dampened, "(1 - mu)"),
    Wrong(
        "check_rmsprop_momentum_step",
        "state not carried (no momentum)",
        momentum_forgets_buffer,
        "forgets the past",
    ),
    Wrong(
        "check_rmsprop_momentum_step",
        "divides by the old average",
        momentum_old_average,
        "*old* average",
    ),
    Wrong(
        "check_rmsprop_momentum_step",
        "returns two of the three values",
        momentum_two_outputs,
        "returned 2 values",
    ),
    Wrong(
        "check_bias_correct",
        "off by one step (t - 1)",
        lambda average, beta, t: average / (1 - beta ** (t - 1)),
        "off by one step",
    ),
    Wrong(
        "check_bias_correct",
        "multiplies by 1 - beta**t",
        lambda average, beta, t: average * (1 - beta**t),
        "*divide* by it",
    ),
    Wrong(
        "check_bias_correct",
        "divides by 1 - beta",
        lambda average, beta, t: average / (1 - beta),
        "not by 1 - beta.",
    ),
    Wrong(
        "check_bias_correct",
        "divides by beta**t",
        lambda average, beta, t: average / beta**t,
        "not by beta**t",
    ),
    Wrong("check_adam_first_step", "no bias correction", lambda: 3.16e-3, "*without* bias"),
    Wrong("check_adam_first_step", "RMSProp's first step", lambda: 3.16e-2, "RMSProp's first"),
    Wrong("check_adam_first_step", "m not corrected", lambda: 1e-4, "corrects v but not m"),
    Wrong("check_adam_first_step", "plain GD step", lambda: 5e-5, "plain gradient descent"),
    Wrong(
        "check_adam_step", "no bias correction", adam_variant(False, False), "no bias correction"
    ),
    Wrong(
        "check_adam_step",
        "bias correction off by one step",
        adam_variant(shift=-1),
        "off by one step",
    ),
    Wrong("check_adam_step", "only v corrected", adam_variant(correct1=False), "only v"),
    Wrong("check_adam_step", "only m corrected", adam_variant(correct2=False), "only m"),
    Wrong(
        "check_adam_step",
        "corrected averages stored as state",
        adam_variant(store_hat=True),
        "as the new state",
    ),
    Wrong(
        "check_adam_step",
        "eps inside the root",
        adam_variant(eps_inside=True),
        "eps is inside the square root",
    ),
    Wrong(
        "check_adam_step",
        "eps on the uncorrected root (eps-hat)",
        adam_variant(eps_hat=True),
        "eps-hat",
    ),
    Wrong("check_adam_step", "beta1 and beta2 swapped", adam_variant(swap=True), "are swapped"),
    Wrong("check_adam_step", "v averages m**2", adam_variant(m_squared=True), "not the squared"),
    Wrong(
        "check_adam_step", "missing square root", adam_variant(root=False), "square root is missing"
    ),
    Wrong("check_adam_step", "wrong sign", adam_variant(sign=-1), "wrong sign"),
    Wrong("check_adam_step", "in-place update of m", adam_inplace, "changed its input `m`"),
    Wrong(
        "check_early_steps",
        "the two numbers swapped",
        lambda: largest_early_steps()[::-1],
        "swapped",
    ),
    Wrong("check_early_steps", "last steps instead of largest", early_last_steps, "*last* steps"),
    Wrong("check_early_steps", "one number only", lambda: largest_early_steps()[0], "two numbers"),
]


def test_the_first_step_case_alone_catches_a_missing_correction():
    """Correcting only from step 2 on passes the mid-run case; the step-1 case catches it."""

    def late_correction(x, g, m, v, t, lr, beta1, beta2, eps):
        variant = adam_variant(False, False) if t == 1 else adam_step
        return variant(x, g, m, v, t, lr, beta1, beta2, eps)

    message = checks.check_adam_step(late_correction, quiet=True).message
    assert "no bias correction" in message


def test_the_tiny_gradient_case_alone_catches_eps_inside():
    def sneaky(x, g, m, v, t, lr, beta1, beta2, eps):
        variant = adam_variant(eps_inside=True) if eps < 1e-4 and t > 1 else adam_step
        return variant(x, g, m, v, t, lr, beta1, beta2, eps)

    message = checks.check_adam_step(sneaky, quiet=True).message
    assert "eps is inside the square root" in message


@pytest.mark.parametrize("wrong", CATALOG, ids=[w.id for w in CATALOG])
def test_each_mistake_is_named(wrong):
    assert_named(wrong)


def test_different_mistakes_get_different_messages():
    assert_distinct(CATALOG)
