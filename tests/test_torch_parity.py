"""rmslab.torch against torch.optim, hand-written formulas and rmslab.optim (numpy).

The cases cover every argument of torch 2.13's RMSprop (torch/optim/rmsprop.py: lr, alpha,
eps, weight_decay, momentum, centered, foreach) and the other frameworks' conventions. Every
run uses the same two small parameters (shapes (3, 4) and (5,)) and the same seeded sequence
of random gradients.
Tolerances: float64 within 1e-12 after 100 steps, float32 within atol = rtol = 1e-5 (float32
claims are about agreement with torch in the same precision, not about accuracy).
"""

import itertools

import numpy as np
import pytest
import torch

import rmslab.torch as rt

SHAPES = [(3, 4), (5,)]
STEPS = 100
TOLERANCE = {
    torch.float64: {"atol": 1e-12, "rtol": 0.0},
    torch.float32: {"atol": 1e-5, "rtol": 1e-5},
}
DTYPES = pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])


def _random_problem(seed=0):
    generator = torch.Generator().manual_seed(seed)
    start = [torch.randn(shape, generator=generator, dtype=torch.float64) for shape in SHAPES]
    grads = [
        [torch.randn(shape, generator=generator, dtype=torch.float64) for shape in SHAPES]
        for _ in range(STEPS)
    ]
    return start, grads


START, GRADS = _random_problem()


def trajectory(optimizer_class, dtype=torch.float64, steps=STEPS, **kwargs):
    """Flattened parameters after every step, shape (steps, 17), and the optimizer."""
    params = [p.to(dtype).clone().requires_grad_() for p in START]
    optimizer = optimizer_class(params, **kwargs)
    rows = []
    for grads in GRADS[:steps]:
        for param, grad in zip(params, grads, strict=True):
            param.grad = grad.to(dtype, copy=True)  # a fresh tensor: torch may modify it
        optimizer.step()
        rows.append(torch.cat([p.detach().flatten() for p in params]))
    return torch.stack(rows), optimizer


def grouped_trajectories(optimizer_class, configs, dtype, n_params=2, steps=STEPS, **common):
    """One optimizer with one parameter group per config (groups are independent).

    Returns the flattened parameters after every step, shape (steps, len(configs), size),
    and the optimizer. Much cheaper than one optimizer per config: the per-step overhead of
    ``Optimizer.step`` is paid once for all configs.
    """
    groups = [
        {"params": [p.to(dtype).clone().requires_grad_() for p in START[:n_params]], **config}
        for config in configs
    ]
    optimizer = optimizer_class(groups, **common)
    rows = []
    for grads in GRADS[:steps]:
        grads = [g.to(dtype) for g in grads[:n_params]]
        for group in optimizer.param_groups:
            for param, grad in zip(group["params"], grads, strict=True):
                param.grad = grad.clone()  # a fresh tensor each time: torch may modify it
        optimizer.step()
        rows.append(
            torch.stack([torch.cat([p.detach().flatten() for p in g["params"]]) for g in groups])
        )
    return torch.stack(rows), optimizer


def assert_states_close(ours, theirs, dtype, message=""):
    """Per parameter: state present in both or neither, same keys, values within tolerance."""
    our_params = [p for group in ours.param_groups for p in group["params"]]
    their_params = [p for group in theirs.param_groups for p in group["params"]]
    for our_param, their_param in zip(our_params, their_params, strict=True):
        assert (our_param in ours.state) == (their_param in theirs.state), message
        our_state, their_state = ours.state.get(our_param, {}), theirs.state.get(their_param, {})
        assert set(our_state) == set(their_state), message
        for key, value in their_state.items():
            tolerance = {"atol": 0, "rtol": 0} if key == "step" else TOLERANCE[dtype]
            torch.testing.assert_close(our_state[key], value, **tolerance, msg=message)


def assert_grid_matches(ours_class, torch_class, configs, dtype, foreach, **common):
    """rmslab against torch with the same foreach setting, for every config of the grid."""
    expected, theirs = grouped_trajectories(torch_class, configs, dtype, foreach=foreach, **common)
    actual, ours = grouped_trajectories(ours_class, configs, dtype, foreach=foreach, **common)
    for index, config in enumerate(configs):
        message = f"{ours_class.__name__} {config} foreach={foreach} {dtype}"
        torch.testing.assert_close(
            actual[:, index], expected[:, index], **TOLERANCE[dtype], msg=message
        )
    assert_states_close(ours, theirs, dtype, f"{ours_class.__name__} foreach={foreach} {dtype}")


FOREACH = pytest.mark.parametrize("foreach", [False, True], ids=["single", "foreach"])


def grid(**axes):
    """All combinations of the keyword values, as dicts."""
    return [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]


# --- RMSProp -----------------------------------------------------------------------------

RMSPROP_GRID = grid(
    alpha=[0.9, 0.99],
    eps=[1e-8, 1e-2],
    weight_decay=[0.0, 1e-2],
    momentum=[0.0, 0.9],
    centered=[False, True],
    maximize=[False, True],
)


def test_rmsprop_grid_has_64_configs():
    assert len(RMSPROP_GRID) == 64


@FOREACH
@DTYPES
def test_rmsprop_grid_matches_torch(dtype, foreach):
    assert_grid_matches(rt.RMSProp, torch.optim.RMSprop, RMSPROP_GRID, dtype, foreach)


def test_rmsprop_defaults_match_torch():
    expected, _ = trajectory(torch.optim.RMSprop)
    actual, _ = trajectory(rt.RMSProp)
    torch.testing.assert_close(actual, expected, atol=1e-12, rtol=0)


def test_first_step_from_zero_state_has_closed_form():
    """theta_1 = theta_0 - lr/sqrt(1-alpha) * g / (|g| + eps/sqrt(1-alpha)): torch's update
    (torch/optim/rmsprop.py) from square_avg = 0."""
    lr, alpha, eps = 1e-2, 0.99, 1e-8
    grad = torch.tensor([1e-9, -1e-6, 1e-3, -1.0, 1e3], dtype=torch.float64)
    param = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    param.grad = grad.clone()
    rt.RMSProp([param], lr=lr, alpha=alpha, eps=eps).step()
    root = (1 - alpha) ** 0.5
    expected = -lr / root * grad / (grad.abs() + eps / root)
    torch.testing.assert_close(param.detach(), expected, atol=0, rtol=1e-14)


@pytest.mark.parametrize("foreach", [False, True])
def test_bias_corrected_rmsprop_is_adam_with_beta1_zero(foreach):
    """Bias correction with eps outside the root == torch Adam(betas=(0, alpha))."""
    config = {"lr": 1e-2, "eps": 1e-8, "foreach": foreach}
    expected, _ = trajectory(torch.optim.Adam, betas=(0.0, 0.99), **config)
    actual, _ = trajectory(rt.RMSProp, alpha=0.99, bias_correction=True, **config)
    torch.testing.assert_close(actual, expected, atol=1e-12, rtol=0)


def _reference_loop(update, state_names, initial=0.0, steps=STEPS):
    """Run a hand-written per-tensor ``update(theta, g, state, t)`` over the gradient sequence."""
    thetas = [p.clone() for p in START]
    states = [
        {name: torch.full_like(p, initial if name == "v" else 0.0) for name in state_names}
        for p in START
    ]
    rows = []
    for t, grads in enumerate(GRADS[:steps], start=1):
        thetas = [
            update(theta, g, state, t)
            for theta, g, state in zip(thetas, grads, states, strict=True)
        ]
        rows.append(torch.cat([theta.flatten() for theta in thetas]))
    return torch.stack(rows)


@pytest.mark.parametrize("foreach", [False, True])
def test_tf1_convention_matches_tf1_formula(foreach):
    """TF1 RMSPropOptimizer: ms starts at 1, eps inside the root, lr inside the momentum."""
    lr, rho, eps, mu = 1e-2, 0.9, 1e-10, 0.9

    def tf1(theta, g, state, t):
        state["v"] = state["v"] + (g * g - state["v"]) * (1 - rho)
        state["mom"] = mu * state["mom"] + lr * g / torch.sqrt(state["v"] + eps)
        return theta - state["mom"]

    expected = _reference_loop(tf1, ["v", "mom"], initial=1.0)
    actual, _ = trajectory(
        rt.RMSProp,
        lr=lr,
        alpha=rho,
        eps=eps,
        momentum=mu,
        eps_in_sqrt=True,
        initial_square_avg=1.0,
        lr_in_momentum=True,
        foreach=foreach,
    )
    torch.testing.assert_close(actual, expected, atol=1e-12, rtol=0)


@pytest.mark.parametrize("foreach", [False, True])
def test_keras3_convention_matches_keras_formula(foreach):
    """Keras 3 RMSprop (keras/src/optimizers/rmsprop.py), centered with momentum and decoupled
    weight decay."""
    lr, rho, eps, mu, wd = 1e-3, 0.9, 1e-7, 0.9, 4e-3

    def keras(theta, g, state, t):
        theta = theta - theta * wd * lr
        state["v"] = rho * state["v"] + (1 - rho) * g * g
        state["gbar"] = rho * state["gbar"] + (1 - rho) * g
        increment = lr * g / torch.sqrt(state["v"] - state["gbar"] ** 2 + eps)
        state["b"] = mu * state["b"] + increment
        return theta - state["b"]

    expected = _reference_loop(keras, ["v", "gbar", "b"])
    actual, _ = trajectory(
        rt.RMSProp,
        lr=lr,
        alpha=rho,
        eps=eps,
        momentum=mu,
        centered=True,
        weight_decay=wd,
        eps_in_sqrt=True,
        lr_in_momentum=True,
        decoupled_weight_decay=True,
        foreach=foreach,
    )
    torch.testing.assert_close(actual, expected, atol=1e-12, rtol=0)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("lr_in_momentum", [False, True])
def test_nesterov_rmsprop_matches_lookahead_formula(lr_in_momentum, foreach):
    """optax-style Nesterov: the step is lr * (g/d + mu * b_t) with b_t the new buffer."""
    lr, alpha, eps, mu = 1e-2, 0.99, 1e-8, 0.9

    def nesterov(theta, g, state, t):
        state["v"] = alpha * state["v"] + (1 - alpha) * g * g
        direction = g / (torch.sqrt(state["v"]) + eps)
        state["b"] = mu * state["b"] + direction
        return theta - lr * (direction + mu * state["b"])

    expected = _reference_loop(nesterov, ["v", "b"])
    actual, _ = trajectory(
        rt.RMSProp,
        lr=lr,
        alpha=alpha,
        eps=eps,
        momentum=mu,
        nesterov=True,
        lr_in_momentum=lr_in_momentum,
        foreach=foreach,
    )
    torch.testing.assert_close(actual, expected, atol=1e-12, rtol=0)


# --- Adagrad, Adam, AdamW, Momentum ------------------------------------------------------

# initial_accumulator_value is a constructor argument, not a group entry, in these grids:
# torch fills every group's `sum` with the constructor's value (see test_torch_optim.py).
ADAGRAD_GRID = grid(
    lr=[0.1],
    lr_decay=[0.0, 1e-2],
    weight_decay=[0.0, 1e-2],
    eps=[1e-10, 1e-2],
    maximize=[False, True],
)
ADAM_GRID = grid(
    amsgrad=[False, True], weight_decay=[0.0, 1e-2], maximize=[False, True], eps=[1e-8, 1e-2]
)
MOMENTUM_GRID = [
    dict(config, lr=0.05)
    for config in grid(
        momentum=[0.0, 0.9],
        dampening=[0.0, 0.5],
        nesterov=[False, True],
        weight_decay=[0.0, 1e-2],
        maximize=[False, True],
    )
    if not config["nesterov"] or (config["momentum"] > 0 and config["dampening"] == 0)
]


OTHER_GRIDS = {  # name: (rmslab class, torch class, grid, constructor arguments)
    "Adagrad(s0=0)": (rt.Adagrad, torch.optim.Adagrad, ADAGRAD_GRID, {}),
    "Adagrad(s0=0.1)": (
        rt.Adagrad,
        torch.optim.Adagrad,
        ADAGRAD_GRID,
        {"initial_accumulator_value": 0.1},
    ),
    "Adam": (rt.Adam, torch.optim.Adam, ADAM_GRID, {}),
    "AdamW": (rt.AdamW, torch.optim.AdamW, ADAM_GRID, {}),
    "Momentum": (rt.Momentum, torch.optim.SGD, MOMENTUM_GRID, {}),
}


def test_other_grids_have_the_expected_sizes():
    assert [len(entry[2]) for entry in OTHER_GRIDS.values()] == [16, 16, 16, 16, 20]


@FOREACH
@DTYPES
@pytest.mark.parametrize("name", OTHER_GRIDS)
def test_other_grids_match_torch(name, dtype, foreach):
    ours, theirs, configs, common = OTHER_GRIDS[name]
    assert_grid_matches(ours, theirs, configs, dtype, foreach, **common)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_eps_hat_matches_keras_formula(amsgrad):
    """Keras/TF Adam: theta -= lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps_hat)."""
    lr, beta1, beta2, eps_hat = 1e-2, 0.9, 0.999, 1e-7

    def keras_adam(theta, g, state, t):
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
        state["vmax"] = torch.maximum(state["vmax"], state["v"])
        second = state["vmax"] if amsgrad else state["v"]
        scale = lr * (1 - beta2**t) ** 0.5 / (1 - beta1**t)
        return theta - scale * state["m"] / (torch.sqrt(second) + eps_hat)

    expected = _reference_loop(keras_adam, ["m", "v", "vmax"])
    actual, _ = trajectory(rt.Adam, lr=lr, eps=eps_hat, amsgrad=amsgrad, eps_hat=True)
    torch.testing.assert_close(actual, expected, atol=1e-12, rtol=0)


# --- rmslab.torch against rmslab.optim (numpy) ---------------------------------------------

MOMENTUM_MODES = {
    "none": {},
    "torch": {"momentum": 0.9},
    "lr_in": {"momentum": 0.9, "lr_in_momentum": True},
    "nesterov": {"momentum": 0.9, "nesterov": True},
    "nesterov_lr_in": {"momentum": 0.9, "nesterov": True, "lr_in_momentum": True},
}
DECAY_MODES = {
    "none": {},
    "coupled": {"weight_decay": 1e-2},
    "decoupled": {"weight_decay": 1e-2, "decoupled_weight_decay": True},
}
NUMPY_RMSPROP_GRID = [
    {
        "centered": centered,
        "eps_in_sqrt": eps_in_sqrt,
        "bias_correction": bias_correction,
        **MOMENTUM_MODES[momentum_mode],
        **DECAY_MODES[decay_mode],
        # the remaining options vary with the index so that each appears in many combinations
        "maximize": index % 2 == 1,
        "safe": index % 3 == 0,
        "initial_square_avg": 1.0 if index % 4 == 0 else 0.0,
    }
    for index, (centered, eps_in_sqrt, bias_correction, momentum_mode, decay_mode) in enumerate(
        itertools.product([False, True], [False, True], [False, True], MOMENTUM_MODES, DECAY_MODES)
    )
    # Centered with bias correction is degenerate: at t = 1, v_hat = g^2 and gbar_hat = g, so
    # the variance estimate is 0 up to rounding and the first step is lr * g / eps (or NaN).
    # Rounding then decides everything, so the two implementations cannot be compared there.
    if not (centered and bias_correction)
]
NUMPY_STEPS = 40


def _numpy_trajectory(optimizer):
    x = START[0].numpy().copy()
    state = optimizer.init(x)
    rows = []
    for grads in GRADS[:NUMPY_STEPS]:
        x, state = optimizer.step(x, grads[0].numpy(), state)
        rows.append(x.ravel())
    return torch.from_numpy(np.stack(rows))


def _numpy_optim():
    return pytest.importorskip("rmslab.optim", reason="rmslab.optim (numpy) is not available")


def test_numpy_grid_covers_every_rmsprop_option():
    assert len(NUMPY_RMSPROP_GRID) == 90
    for option in ["maximize", "safe", "nesterov", "lr_in_momentum", "decoupled_weight_decay"]:
        assert any(config.get(option) for config in NUMPY_RMSPROP_GRID), option


def assert_agrees_with_numpy(numpy_factory, torch_class, configs, foreach=False, **common):
    """float64, 1e-12: rmslab.optim's functional step against rmslab.torch, per config."""
    actual, _ = grouped_trajectories(
        torch_class,
        configs,
        torch.float64,
        n_params=1,
        steps=NUMPY_STEPS,
        foreach=foreach,
        **common,
    )
    for index, config in enumerate(configs):
        expected = _numpy_trajectory(numpy_factory(**common, **config))
        message = f"{torch_class.__name__} {config} foreach={foreach}"
        torch.testing.assert_close(actual[:, index], expected, atol=1e-12, rtol=0, msg=message)


@FOREACH
def test_rmsprop_agrees_with_numpy_rmsprop(foreach):
    """Every convention keyword of rmsprop, in 90 combinations."""
    optim = _numpy_optim()
    configs = [{"lr": 1e-2, "eps": 1e-8, **config} for config in NUMPY_RMSPROP_GRID]

    def numpy_rmsprop(alpha, **config):  # the book's beta is torch's alpha
        return optim.rmsprop(beta=alpha, **config)

    assert_agrees_with_numpy(numpy_rmsprop, rt.RMSProp, configs, foreach=foreach, alpha=0.9)


def test_other_optimizers_agree_with_numpy():
    optim = _numpy_optim()
    for initial in (0.0, 0.1):
        assert_agrees_with_numpy(
            optim.adagrad, rt.Adagrad, ADAGRAD_GRID, initial_accumulator_value=initial
        )
    for eps_hat in (False, True):
        assert_agrees_with_numpy(optim.adam, rt.Adam, ADAM_GRID, eps_hat=eps_hat)
    assert_agrees_with_numpy(optim.adamw, rt.AdamW, ADAM_GRID)
    assert_agrees_with_numpy(optim.momentum, rt.Momentum, MOMENTUM_GRID)
