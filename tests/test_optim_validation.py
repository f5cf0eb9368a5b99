"""rmslab.optim input checks, non-finite gradients and float16 parameters."""

import math

import numpy as np
import pytest

from rmslab import optim

NAN = float("nan")

# (factory, keyword arguments, substrings the message must contain: argument, value, range)
BAD_INPUTS = [
    (optim.gd, dict(lr=-0.1), ["lr", "-0.1", "[0, inf)"]),
    (optim.gd, dict(lr=NAN), ["lr", "nan", "[0, inf)"]),
    (optim.gd, dict(lr=math.inf), ["lr", "inf", "[0, inf)"]),
    (optim.gd, dict(lr="0.1"), ["lr", "'0.1'", "real number"]),
    (optim.gd, dict(lr=None), ["lr", "None", "real number"]),
    (optim.gd, dict(lr=1e-3 + 0j), ["lr", "0.001+0j", "real number"]),
    (optim.gd, dict(lr=True), ["lr", "True", "real number"]),
    (optim.gd, dict(weight_decay=-1e-4), ["weight_decay", "-0.0001", "[0, inf)"]),
    (optim.gd, dict(maximize=1), ["maximize", "1", "True or False"]),
    (optim.momentum, dict(momentum=-0.5), ["momentum", "-0.5", "[0, 1)"]),
    (optim.momentum, dict(momentum=1.5), ["momentum", "1.5", "[0, 1)"]),
    (optim.momentum, dict(dampening=1.5), ["dampening", "1.5", "[0, 1]"]),
    (optim.momentum, dict(dampening=-0.1), ["dampening", "-0.1", "[0, 1]"]),
    (optim.momentum, dict(momentum=0.0, nesterov=True), ["nesterov", "momentum > 0", "0.0"]),
    (optim.momentum, dict(dampening=0.1, nesterov=True), ["nesterov", "dampening == 0", "0.1"]),
    (optim.adagrad, dict(eps=-1e-10), ["eps", "-1e-10", "[0, inf)"]),
    (optim.adagrad, dict(lr_decay=-1.0), ["lr_decay", "-1.0", "[0, inf)"]),
    (
        optim.adagrad,
        dict(initial_accumulator_value=-0.1),
        ["initial_accumulator_value", "-0.1", "[0, inf)"],
    ),
    (optim.rmsprop, dict(beta=1.0), ["beta", "1.0", "[0, 1)"]),
    (optim.rmsprop, dict(beta=1.5), ["beta", "1.5", "[0, 1)"]),
    (optim.rmsprop, dict(beta=-0.1), ["beta", "-0.1", "[0, 1)"]),
    (optim.rmsprop, dict(beta=NAN), ["beta", "nan", "[0, 1)"]),
    (optim.rmsprop, dict(eps=-1e-8), ["eps", "-1e-08", "[0, inf)"]),
    (optim.rmsprop, dict(momentum=-0.9), ["momentum", "-0.9", "[0, 1)"]),
    (optim.rmsprop, dict(momentum=1.5), ["momentum", "1.5", "[0, 1)"]),
    (optim.rmsprop, dict(nesterov=True), ["nesterov", "momentum > 0"]),
    (optim.rmsprop, dict(initial_square_avg=-1.0), ["initial_square_avg", "-1.0", "[0, inf)"]),
    (optim.rmsprop, dict(centered="yes"), ["centered", "'yes'", "True or False"]),
    (optim.rmsprop, dict(lr=np.array([[0.1], [-0.2]])), ["lr", "-0.2", "index (1, 0)"]),
    (optim.rmsprop, dict(beta=np.array([0.9, 1.0])), ["beta", "1.0", "[0, 1)", "index (1,)"]),
    (optim.rmsprop, dict(eps=np.array([1e-8, NAN])), ["eps", "nan", "index (1,)"]),
    (optim.rmsprop, dict(lr=["a", "b"]), ["lr", "real number"]),
    (optim.adam, dict(betas=(0.9, 1.0)), ["betas[1]", "1.0", "[0, 1)"]),
    (optim.adam, dict(betas=(-0.1, 0.999)), ["betas[0]", "-0.1", "[0, 1)"]),
    (optim.adam, dict(betas=0.9), ["betas", "pair"]),
    (optim.adam, dict(betas=(0.9, 0.99, 0.999)), ["betas", "pair"]),
    (optim.adam, dict(eps=-1.0), ["eps", "-1.0", "[0, inf)"]),
    (optim.adamw, dict(weight_decay=-0.01), ["weight_decay", "-0.01", "[0, inf)"]),
    (optim.adamw, dict(amsgrad=None), ["amsgrad", "None", "True or False"]),
]


@pytest.mark.parametrize("factory, kwargs, fragments", BAD_INPUTS)
def test_bad_hyperparameters_raise_value_error_naming_them(factory, kwargs, fragments):
    with pytest.raises(ValueError) as info:
        factory(**kwargs)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_table_is_large():
    assert len(BAD_INPUTS) >= 20


def test_boundary_values_are_accepted():
    optim.rmsprop(lr=0.0, beta=0.0, eps=0.0, momentum=0.0, weight_decay=0.0)
    optim.momentum(dampening=1.0)
    optim.adam(betas=(0.0, 0.0))
    optim.rmsprop(lr=np.float32(0.1), beta=np.array(0.9), eps=1)  # numpy and int values


def test_gradient_shape_must_match_x():
    opt = optim.rmsprop()
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        opt.step(x, np.zeros((3, 2)), opt.init(x))
    with pytest.raises(ValueError, match=r"\(6,\).*\(2, 3\)"):
        opt.step(x, np.zeros(6), opt.init(x))


def test_hyperparameter_arrays_must_broadcast_to_x():
    opt = optim.rmsprop(lr=np.full((4, 1), 0.1))
    with pytest.raises(ValueError, match=r"lr has shape \(4, 1\).*x's shape \(3, 2\)"):
        opt.init(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"initial_square_avg has shape \(5,\)"):
        optim.rmsprop(initial_square_avg=np.ones(5)).init(np.zeros(2))
    with pytest.raises(ValueError, match=r"^betas\[1\] has shape \(2, 1\)"):
        optim.adam(betas=(0.9, np.full((2, 1), 0.99))).init(np.zeros(3))
    with pytest.raises(ValueError, match=r"^lr has shape \(4, 1\).*x's shape \(3, 2\)"):
        optim.gd(lr=np.full((4, 1), 0.1)).step(np.zeros((3, 2)), np.zeros((3, 2)), optim.GDState(0))


def test_complex_x_is_rejected():
    opt = optim.gd()
    with pytest.raises(ValueError, match="x must be a real array"):
        opt.init(np.zeros(2, dtype=complex))


def torch_rmsprop_reference(g, beta=0.99, eps=1e-8, lr=1e-2):
    """First torch-RMSprop step from v = 0, written out with Python floats."""
    v = (1 - beta) * g * g
    return -lr * g / (math.sqrt(v) + eps)


@pytest.mark.parametrize("bad", [NAN, math.inf, -math.inf])
def test_non_finite_gradient_propagates_by_default(bad):
    opt = optim.rmsprop()
    x = np.zeros(3)
    x_new, state = opt.step(x, np.array([0.5, bad, -2.0]), opt.init(x))
    assert np.isnan(x_new[1]) and not np.isfinite(state.square_avg[1])
    # the other coordinates are untouched by the bad one (elementwise rule)
    assert x_new[0] == pytest.approx(torch_rmsprop_reference(0.5), rel=1e-12)
    assert x_new[2] == pytest.approx(torch_rmsprop_reference(-2.0), rel=1e-12)


def test_check_finite_names_step_and_flat_index():
    opt = optim.adam(check_finite=True)
    x = np.zeros((2, 3))
    state = opt.init(x)
    x, state = opt.step(x, np.ones((2, 3)), state)
    x, state = opt.step(x, np.ones((2, 3)), state)
    g = np.ones((2, 3))
    g[1, 1] = np.inf
    g[1, 2] = np.nan
    with pytest.raises(FloatingPointError, match=r"step 3\b.*g\.flat\[4\] = inf"):
        opt.step(x, g, state)


@pytest.mark.parametrize(
    "factory", [optim.gd, optim.momentum, optim.adagrad, optim.rmsprop, optim.adam, optim.adamw]
)
def test_every_factory_has_check_finite(factory):
    opt = factory(check_finite=True)
    x = np.zeros(2)
    with pytest.raises(FloatingPointError, match=r"step 1: g\.flat\[0\] = nan"):
        opt.step(x, np.array([np.nan, 1.0]), opt.init(x))
    assert factory().step(x, np.array([np.nan, 1.0]), factory().init(x))[0].shape == (2,)


@pytest.mark.parametrize("g_value", [0.0, 1e-4])
def test_float16_parameters_keep_float32_state_and_stay_finite(g_value):
    x = np.ones(4, dtype=np.float16)
    g = np.full(4, g_value, dtype=np.float16)

    # A naive float16 implementation of torch's rule: eps and g**2 round to 0 in fp16.
    eps16, v16 = np.float16(1e-8), (np.float16(1 - 0.99) * g * g).astype(np.float16)
    with np.errstate(all="ignore"):
        naive = x - np.float16(1e-2) * g / (np.sqrt(v16) + eps16)
    assert eps16 == 0 and not np.all(np.isfinite(naive))

    opt = optim.rmsprop()
    state = opt.init(x)
    assert state.square_avg.dtype == np.float32
    for _ in range(10):
        x, state = opt.step(x, g, state)
    assert x.dtype == np.float16 and np.all(np.isfinite(x))
    assert state.square_avg.dtype == np.float32 and np.all(state.square_avg >= 0)
    # same as the float32 computation, rounded to float16 at each step
    x32 = np.ones(4, dtype=np.float32)
    state32 = opt.init(x32)
    for _ in range(10):
        x32, state32 = opt.step(x32, g.astype(np.float32), state32)
        x32 = x32.astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(x, x32.astype(np.float16))
