"""Mathematical properties of the update rules, checked with hypothesis and closed forms."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rmslab import optim

FEW = settings(max_examples=25, deadline=None, derandomize=True)

betas = st.floats(0.0, 0.999)
lrs = st.floats(1e-4, 1.0)
magnitudes = st.floats(1e-6, 1e6)
nonzero = st.one_of(magnitudes, magnitudes.map(lambda m: -m))
gradient_rows = arrays(np.float64, (6, 4), elements=nonzero)


def trajectory(opt, gs, x0):
    """Positions after each step, gradients g_t(x) = gs[t] + 0.1 x (so weight decay matters)."""
    x, state, xs = x0, opt.init(x0), []
    for g in gs:
        x, state = opt.step(x, g + 0.1 * x, state)
        xs.append(x)
    return np.array(xs)


MAXIMIZE_FACTORIES = [
    lambda **kw: optim.gd(lr=0.1, weight_decay=0.05, **kw),
    lambda **kw: optim.momentum(lr=0.1, nesterov=True, weight_decay=0.05, **kw),
    lambda **kw: optim.adagrad(weight_decay=0.05, lr_decay=0.1, **kw),
    lambda **kw: optim.rmsprop(centered=True, momentum=0.9, weight_decay=0.05, **kw),
    lambda **kw: optim.rmsprop(decoupled_weight_decay=True, weight_decay=0.05, **kw),
    lambda **kw: optim.adam(amsgrad=True, weight_decay=0.05, **kw),
    lambda **kw: optim.adamw(**kw),
]


@pytest.mark.parametrize("factory", MAXIMIZE_FACTORIES)
@settings(max_examples=10, deadline=None, derandomize=True)
@given(gs=gradient_rows)
def test_maximize_equals_minimizing_the_negated_gradient(factory, gs):
    x0 = np.linspace(-1.0, 1.0, 4)
    up, state_up = x0, factory(maximize=True).init(x0)
    down, state_down = x0, factory().init(x0)
    for g in gs:
        up, state_up = factory(maximize=True).step(up, g + 0.1 * up, state_up)
        down, state_down = factory().step(down, -(g + 0.1 * down), state_down)
        np.testing.assert_array_equal(up, down)


@FEW
@given(gs=gradient_rows, lr=lrs, x0=arrays(np.float64, 4, elements=st.floats(-10, 10)))
def test_beta_zero_eps_zero_is_sign_descent(gs, lr, x0):
    opt = optim.rmsprop(lr=lr, beta=0.0, eps=0.0)
    x, state = x0, opt.init(x0)
    for g in gs:  # every step, not only the first
        x_new, state = opt.step(x, g, state)
        np.testing.assert_array_equal(x_new, x - lr * np.sign(g))
        x = x_new


@FEW
@given(gs=gradient_rows, beta=betas, k=st.integers(-20, 20), c=st.floats(1e-3, 1e3))
def test_eps_zero_makes_steps_invariant_to_gradient_scale(gs, beta, k, c):
    opt = optim.rmsprop(lr=0.01, beta=beta, eps=0.0, momentum=0.5, centered=False)
    x0 = np.zeros(4)
    plain = trajectory(opt, gs, x0)

    # gradients(x) = gs + 0.1 x would not scale, so scale the whole gradient explicitly
    def scaled_run(factor):
        x, state, xs = x0, opt.init(x0), []
        for g in gs:
            x, state = opt.step(x, factor * (g + 0.1 * x), state)
            xs.append(x)
        return np.array(xs)

    np.testing.assert_array_equal(scaled_run(2.0**k), plain)  # exact: powers of two
    np.testing.assert_allclose(scaled_run(c), plain, rtol=1e-12, atol=1e-15)


@FEW
@given(g=arrays(np.float64, 5, elements=nonzero), beta=betas, lr=lrs, eps=st.floats(0.0, 1.0))
def test_first_step_from_zero_accumulator(g, beta, lr, eps):
    opt = optim.rmsprop(lr=lr, beta=beta, eps=eps)
    x_new, _ = opt.step(np.zeros(5), g, opt.init(np.zeros(5)))
    root = math.sqrt(1 - beta)
    expected = lr / root * np.abs(g) / (np.abs(g) + eps / root)
    np.testing.assert_allclose(-x_new * np.sign(g), expected, rtol=1e-12)
    assert np.all(np.abs(x_new) <= lr / root * (1 + 1e-12))  # the lr/sqrt(1-beta) bound


@FEW
@given(
    gs=arrays(np.float64, (12, 3), elements=nonzero),
    lr_decay=st.sampled_from([0.0, 0.1]),
    eps=st.sampled_from([1e-10, 1e-3]),
    eps_in_sqrt=st.booleans(),
)
def test_adagrad_effective_step_sizes_never_grow(gs, lr_decay, eps, eps_in_sqrt):
    opt = optim.adagrad(lr=0.5, lr_decay=lr_decay, eps=eps, eps_in_sqrt=eps_in_sqrt)
    x, state = np.zeros(3), opt.init(np.zeros(3))
    previous, previous_rounding = np.full(3, np.inf), 0.0
    for g in gs:
        x_new, state = opt.step(x, g, state)
        effective = (x - x_new) / g  # per-coordinate step size lr_t / d_t
        # x - x_new is exact only up to an ulp of x: allow that much, for this and last step
        rounding = 4e-16 * np.maximum(np.abs(x), np.abs(x_new)) / np.abs(g)
        assert np.all(effective > 0)
        assert np.all(effective - rounding <= (previous + previous_rounding) * (1 + 1e-12))
        x, previous, previous_rounding = x_new, effective, rounding


@settings(max_examples=10, deadline=None, derandomize=True)
@given(
    beta=st.floats(0.5, 0.999),
    eps=st.sampled_from([1e-8, 1e-4, 1e-1]),
    lr=lrs,
    seed=st.integers(0, 100),
)
def test_bias_corrected_rmsprop_equals_torch_adam_beta1_zero(beta, eps, lr, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    gs = rng.standard_normal((20, 4)) * rng.choice([1e-3, 1.0, 1e3], size=4)
    x0 = rng.standard_normal(4)
    opt = optim.rmsprop(lr=lr, beta=beta, eps=eps, bias_correction=True)
    x, state = x0, opt.init(x0)
    param = torch.nn.Parameter(torch.from_numpy(x0.copy()))
    reference = torch.optim.Adam([param], lr=lr, betas=(0.0, beta), eps=eps)
    for g in gs:
        x, state = opt.step(x, g, state)
        param.grad = torch.from_numpy(g.copy())
        reference.step()
    np.testing.assert_allclose(x, param.detach().numpy(), rtol=1e-12, atol=1e-12)


CONSTANT_G = np.random.default_rng(0).standard_normal(1000)


def first_non_finite_step(opt, g, steps):
    x, state = np.zeros_like(g), opt.init(np.zeros_like(g))
    for t in range(1, steps + 1):
        x, state = opt.step(x, g, state)
        if not np.all(np.isfinite(x)):
            return t
    return None


def test_centered_rmsprop_under_constant_gradient_reproduces_torch_nan():
    # v - gbar^2 -> 0 exactly in theory; rounding makes it negative and sqrt gives NaN.
    nan_step = first_non_finite_step(optim.rmsprop(beta=0.9, centered=True), CONSTANT_G, 2000)
    assert nan_step is not None
    torch = pytest.importorskip("torch")
    param = torch.nn.Parameter(torch.zeros(CONSTANT_G.size, dtype=torch.float64))
    reference = torch.optim.RMSprop([param], alpha=0.9, centered=True)
    torch_nan_step = None
    for t in range(1, 2001):
        param.grad = torch.from_numpy(CONSTANT_G.copy())
        reference.step()
        if not torch.isfinite(param).all():
            torch_nan_step = t
            break
    assert torch_nan_step is not None
    assert abs(torch_nan_step - nan_step) < 50  # same phenomenon, at about the same time


def test_safe_centered_rmsprop_stays_finite():
    assert (
        first_non_finite_step(optim.rmsprop(beta=0.9, centered=True, safe=True), CONSTANT_G, 10_000)
        is None
    )
    assert (
        first_non_finite_step(
            optim.rmsprop(beta=0.9, centered=True, eps=0.0, safe=True), CONSTANT_G, 2000
        )
        is None
    )
