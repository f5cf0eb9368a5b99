"""rmslab.torch as a torch.optim citizen: signatures, state, closures, fp16, NaN.

Value parity over hyperparameter grids is in test_torch_parity.py; argument checking in
test_torch_validation.py.
"""

import copy
import inspect

import pytest
import torch

import rmslab.torch as rt

PAIRS = [
    (rt.Momentum, torch.optim.SGD),
    (rt.Adagrad, torch.optim.Adagrad),
    (rt.RMSProp, torch.optim.RMSprop),
    (rt.Adam, torch.optim.Adam),
    (rt.AdamW, torch.optim.AdamW),
]
PAIR_IDS = [ours.__name__ for ours, _ in PAIRS]
EXTRA_KEYWORDS = {
    rt.RMSProp: {
        "eps_in_sqrt": False,
        "initial_square_avg": 0.0,
        "safe": False,
        "lr_in_momentum": False,
        "nesterov": False,
        "decoupled_weight_decay": False,
        "bias_correction": False,
    },
    rt.Adam: {"eps_hat": False},
    rt.AdamW: {"eps_hat": False},
}
SHAPES = [(3, 4), (5,)]


def make_params(dtype=torch.float64, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=generator, dtype=dtype).requires_grad_() for s in SHAPES]


def gradient_sequence(steps, dtype=torch.float64, seed=1):
    generator = torch.Generator().manual_seed(seed)
    return [
        [torch.randn(s, generator=generator, dtype=dtype) for s in SHAPES] for _ in range(steps)
    ]


def run(optimizer, params, grads_sequence, transform=lambda g: g):
    """Apply the gradient sequence; return the flattened parameters after the last step."""
    for grads in grads_sequence:
        for param, grad in zip(params, grads, strict=True):
            param.grad = transform(grad).clone()
        optimizer.step()
    return torch.cat([p.detach().flatten() for p in params])


def clone_params(params):
    return [p.detach().clone().requires_grad_() for p in params]


# --- the constructor is torch's -----------------------------------------------------------


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=PAIR_IDS)
def test_signature_defaults_and_kinds_equal_torch(ours, theirs):
    our_parameters = inspect.signature(ours).parameters
    their_parameters = inspect.signature(theirs).parameters
    assert [name for name in our_parameters if name in their_parameters] == list(their_parameters)
    for name, theirs_parameter in their_parameters.items():
        assert our_parameters[name].default == theirs_parameter.default, name
        assert type(our_parameters[name].default) is type(theirs_parameter.default), name
        assert our_parameters[name].kind == theirs_parameter.kind, name
    extras = {n: p for n, p in our_parameters.items() if n not in their_parameters}
    assert {name: p.default for name, p in extras.items()} == EXTRA_KEYWORDS.get(ours, {})
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in extras.values())


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=PAIR_IDS)
def test_param_groups_hold_torchs_keys_and_values(ours, theirs):
    our_group = ours(make_params()).param_groups[0]
    their_group = theirs(make_params()).param_groups[0]
    for key, value in their_group.items():
        if key != "params":
            assert our_group[key] == value, key


# --- state: same keys, same step counter, interchangeable state_dict -----------------------

STATE_CASES = [
    (rt.RMSProp, torch.optim.RMSprop, {}),
    (rt.RMSProp, torch.optim.RMSprop, {"momentum": 0.9}),
    (rt.RMSProp, torch.optim.RMSprop, {"centered": True}),
    (rt.RMSProp, torch.optim.RMSprop, {"centered": True, "momentum": 0.9}),
    (rt.Adagrad, torch.optim.Adagrad, {}),
    (rt.Adam, torch.optim.Adam, {}),
    (rt.Adam, torch.optim.Adam, {"amsgrad": True}),
    (rt.AdamW, torch.optim.AdamW, {"amsgrad": True}),
    (rt.Momentum, torch.optim.SGD, {}),
    (rt.Momentum, torch.optim.SGD, {"momentum": 0.9}),
]
STATE_IDS = [f"{ours.__name__}{config}" for ours, _, config in STATE_CASES]


@pytest.mark.parametrize("ours, theirs, config", STATE_CASES, ids=STATE_IDS)
def test_state_keys_and_step_counter_match_torch(ours, theirs, config):
    our_params, their_params = make_params(torch.float32), make_params(torch.float32)
    our_optimizer, their_optimizer = ours(our_params, **config), theirs(their_params, **config)
    assert_same_state_layout(our_optimizer, our_params, their_optimizer, their_params)
    grads = gradient_sequence(2, torch.float32)
    run(our_optimizer, our_params, grads)
    run(their_optimizer, their_params, grads)
    assert_same_state_layout(our_optimizer, our_params, their_optimizer, their_params)


def assert_same_state_layout(our_optimizer, our_params, their_optimizer, their_params):
    for our_param, their_param in zip(our_params, their_params, strict=True):
        assert (our_param in our_optimizer.state) == (their_param in their_optimizer.state)
        our_state = our_optimizer.state.get(our_param, {})
        their_state = their_optimizer.state.get(their_param, {})
        assert set(our_state) == set(their_state)
        for key, value in their_state.items():
            assert our_state[key].dtype == value.dtype, key
            assert our_state[key].shape == value.shape, key
            assert our_state[key].device == value.device, key
        if "step" in their_state:
            assert our_state["step"].dtype == torch.float32  # torch's default scalar dtype
            assert our_state["step"].item() == their_state["step"].item()


INTERCHANGE_CASES = [
    (rt.RMSProp, torch.optim.RMSprop, {"centered": True, "momentum": 0.9, "weight_decay": 1e-2}),
    (rt.RMSProp, torch.optim.RMSprop, {"foreach": True}),
    (rt.Adagrad, torch.optim.Adagrad, {"lr_decay": 1e-2, "initial_accumulator_value": 0.1}),
    (rt.Adam, torch.optim.Adam, {"amsgrad": True, "lr": 1e-2}),
    (rt.AdamW, torch.optim.AdamW, {"lr": 1e-2}),
    (rt.Momentum, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
]


@pytest.mark.parametrize("direction", ["torch_to_rmslab", "rmslab_to_torch"])
@pytest.mark.parametrize(
    "ours, theirs, config", INTERCHANGE_CASES, ids=[str(i) for i in range(len(INTERCHANGE_CASES))]
)
def test_state_dict_loaded_mid_run_continues_identically(ours, theirs, config, direction):
    """Run 10 steps, save, continue 10 steps; load the save into the other class and
    continue it on the same gradients: the continuations are bitwise identical."""
    source_class, target_class = (
        (theirs, ours) if direction == "torch_to_rmslab" else (ours, theirs)
    )
    grads = gradient_sequence(20)
    params = make_params()
    source = source_class(params, **config)
    run(source, params, grads[:10])
    saved_params, saved_state = clone_params(params), copy.deepcopy(source.state_dict())
    expected = run(source, params, grads[10:])

    target_params = saved_params
    target = target_class(target_params, **config)
    target.load_state_dict(saved_state)
    actual = run(target, target_params, grads[10:])
    torch.testing.assert_close(actual, expected, atol=0, rtol=0)


def test_loading_a_torch_checkpoint_keeps_rmslab_keywords():
    torch_state = torch.optim.RMSprop(make_params()).state_dict()
    ours = rt.RMSProp(make_params(), eps_in_sqrt=True, safe=False)
    ours.load_state_dict(torch_state)
    assert ours.param_groups[0]["eps_in_sqrt"] is True
    assert ours.param_groups[0]["bias_correction"] is False


def test_adamw_stays_decoupled_after_loading_an_adam_checkpoint():
    adam_state = torch.optim.Adam(make_params()).state_dict()
    adamw = rt.AdamW(make_params())
    adamw.load_state_dict(adam_state)
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True


def test_adagrad_uses_each_groups_initial_accumulator_value():
    """torch fills every group's sum with the constructor's value; rmslab uses the group's."""

    def sums(optimizer_class):
        a, b = make_params()
        groups = [{"params": [a]}, {"params": [b], "initial_accumulator_value": 0.5}]
        optimizer = optimizer_class(groups, initial_accumulator_value=0.1)
        return [optimizer.state[p]["sum"].unique().item() for p in (a, b)]

    assert sums(rt.Adagrad) == [0.1, 0.5]
    assert sums(torch.optim.Adagrad) == [0.1, 0.1]


# --- the step: closure, missing gradients, schedulers, tensor lr ---------------------------


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=PAIR_IDS)
def test_closure_is_evaluated_with_grad_enabled_and_its_loss_returned(ours, theirs):
    target = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)

    def losses_and_final_x(optimizer_class):
        x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        optimizer = optimizer_class([x], lr=0.1)

        def closure():
            optimizer.zero_grad()
            loss = ((x - target) ** 2).sum()
            loss.backward()
            return loss

        with torch.no_grad():  # the optimizer must re-enable gradients for the closure
            losses = [optimizer.step(closure).item() for _ in range(15)]
        return losses, x.detach()

    our_losses, our_x = losses_and_final_x(ours)
    their_losses, their_x = losses_and_final_x(theirs)
    assert our_losses == their_losses
    assert our_losses[-1] < our_losses[0]
    torch.testing.assert_close(our_x, their_x, atol=0, rtol=0)


def test_step_hooks_fire_as_for_any_torch_optimizer():
    calls = []
    optimizer = rt.Adam(make_params())
    optimizer.register_step_pre_hook(lambda *args: calls.append("pre"))
    optimizer.register_step_post_hook(lambda *args: calls.append("post"))
    optimizer.step()
    assert calls == ["pre", "post"]


def test_parameters_without_gradient_are_skipped_like_torch():
    ours_params, theirs_params = make_params(), make_params()
    ours, theirs = rt.RMSProp(ours_params), torch.optim.RMSprop(theirs_params)
    for params, optimizer in ((ours_params, ours), (theirs_params, theirs)):
        params[0].grad = torch.ones_like(params[0])
        optimizer.step()
    torch.testing.assert_close(ours_params[1], make_params()[1], atol=0, rtol=0)
    assert (ours_params[1] in ours.state) == (theirs_params[1] in theirs.state) is False
    torch.testing.assert_close(ours_params[0], theirs_params[0], atol=0, rtol=0)


def test_lr_scheduler_and_tensor_lr_work_like_torch():
    grads = gradient_sequence(12)

    def scheduled(optimizer_class, lr):
        params = make_params()
        optimizer = optimizer_class(params, lr=lr, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.5)
        for step_grads in grads:
            run(optimizer, params, [step_grads])
            scheduler.step()
        return torch.cat([p.detach().flatten() for p in params])

    expected = scheduled(torch.optim.RMSprop, 1e-2)
    torch.testing.assert_close(scheduled(rt.RMSProp, 1e-2), expected, atol=0, rtol=0)
    with_tensor_lr = scheduled(rt.RMSProp, torch.tensor(1e-2, dtype=torch.float64))
    torch.testing.assert_close(with_tensor_lr, expected, atol=1e-15, rtol=0)


# --- properties from the reference (section 3.5) -------------------------------------------

PROPERTY_CASES = [
    (rt.RMSProp, {"centered": True, "momentum": 0.9, "weight_decay": 1e-2}),
    (rt.RMSProp, {"eps_in_sqrt": True, "decoupled_weight_decay": True, "weight_decay": 1e-2}),
    (rt.Adagrad, {"weight_decay": 1e-2}),
    (rt.Adam, {"weight_decay": 1e-2, "amsgrad": True}),
    (rt.Momentum, {"momentum": 0.9, "nesterov": True, "weight_decay": 1e-2}),
]


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize(
    "optimizer_class, config", PROPERTY_CASES, ids=[c.__name__ for c, _ in PROPERTY_CASES]
)
def test_maximize_g_equals_minimize_minus_g(optimizer_class, config, foreach):
    grads = gradient_sequence(30)
    params_a, params_b = make_params(), make_params()
    maximized = run(
        optimizer_class(params_a, maximize=True, foreach=foreach, **config), params_a, grads
    )
    minimized = run(
        optimizer_class(params_b, foreach=foreach, **config), params_b, grads, lambda g: -g
    )
    torch.testing.assert_close(maximized, minimized, atol=0, rtol=0)


@pytest.mark.parametrize("foreach", [False, True])
def test_alpha_zero_eps_zero_is_sign_descent(foreach):
    lr = 0.125
    grads = gradient_sequence(5)
    params = make_params()
    start = torch.cat([p.detach().flatten() for p in params])
    final = run(rt.RMSProp(params, lr=lr, alpha=0.0, eps=0.0, foreach=foreach), params, grads)
    expected = start.clone()
    for step_grads in grads:
        expected -= lr * torch.sign(torch.cat([g.flatten() for g in step_grads]))
    torch.testing.assert_close(final, expected, atol=0, rtol=0)


@pytest.mark.parametrize("scale", [1e3, 1e-6])
def test_eps_zero_is_invariant_to_gradient_scale(scale):
    grads = gradient_sequence(50)
    params_a, params_b = make_params(), make_params()
    reference = run(rt.RMSProp(params_a, eps=0.0, momentum=0.9), params_a, grads)
    scaled = run(rt.RMSProp(params_b, eps=0.0, momentum=0.9), params_b, grads, lambda g: scale * g)
    torch.testing.assert_close(scaled, reference, atol=1e-13, rtol=0)


# --- float16 parameters keep float32 state -------------------------------------------------

ADAPTIVE_PAIRS = [
    (rt.RMSProp, torch.optim.RMSprop),
    (rt.Adagrad, torch.optim.Adagrad),
    (rt.Adam, torch.optim.Adam),
]


@pytest.mark.parametrize(
    "ours, theirs", ADAPTIVE_PAIRS, ids=[c.__name__ for c, _ in ADAPTIVE_PAIRS]
)
def test_fp16_zero_gradient_is_nan_in_torch_and_finite_here(ours, theirs):
    """fp16(eps) == 0, so torch computes 0 / 0; rmslab computes in float32."""
    results = {}
    for optimizer_class in (ours, theirs):
        param = torch.zeros(4, dtype=torch.float16, requires_grad=True)
        param.grad = torch.zeros_like(param)
        optimizer = optimizer_class([param])
        optimizer.step()
        results[optimizer_class] = (param.detach(), optimizer.state[param])
    assert torch.isnan(results[theirs][0]).all()  # the documented torch behaviour
    our_param, our_state = results[ours]
    assert our_param.dtype == torch.float16
    assert torch.equal(our_param, torch.zeros_like(our_param))
    float_state = [v for k, v in our_state.items() if k != "step"]
    assert float_state and all(v.dtype == torch.float32 for v in float_state)


@pytest.mark.parametrize("foreach", [False, True])
def test_fp16_small_gradient_step_is_computed_in_float32(foreach):
    """g = 1e-4 squares to 1e-8, which fp16 flushes to 0: torch gives -inf."""
    lr, alpha, eps = 1e-2, 0.99, 1e-8
    grad = torch.full((4,), 1e-4, dtype=torch.float16)
    results = []
    for optimizer_class in (rt.RMSProp, torch.optim.RMSprop):
        param = torch.ones(4, dtype=torch.float16, requires_grad=True)
        param.grad = grad.clone()
        optimizer_class([param], lr=lr, alpha=alpha, eps=eps, foreach=foreach).step()
        results.append(param.detach())
    ours, theirs = results
    assert torch.isinf(theirs).all()
    g32 = grad.float()
    expected = (1 - lr * g32 / (torch.sqrt((1 - alpha) * g32 * g32) + eps)).half()
    torch.testing.assert_close(ours, expected, atol=0, rtol=0)


def test_fp16_state_dict_roundtrip_keeps_float32_state():
    params = [p.detach().half().requires_grad_() for p in make_params()]
    optimizer = rt.RMSProp(params, centered=True, momentum=0.9)
    run(optimizer, params, [[g.half() for g in grads] for grads in gradient_sequence(3)])
    saved = copy.deepcopy(optimizer.state_dict())
    restored = rt.RMSProp(params, centered=True, momentum=0.9)
    restored.load_state_dict(saved)
    for index, param in enumerate(params):
        for key, value in saved["state"][index].items():
            assert restored.state[param][key].dtype == value.dtype, key
            torch.testing.assert_close(restored.state[param][key], value, atol=0, rtol=0)


# --- centered RMSProp under a constant gradient ---------------------------------------------

CONSTANT_GRADIENT = torch.linspace(0.05, 3.0, 64)  # several constants: rounding differs


def first_nan_step(optimizer_class, steps, **config):
    """Step number of the first NaN in the parameter, or None if it stays finite."""
    param = torch.zeros(64, requires_grad=True)
    param.grad = CONSTANT_GRADIENT.clone()  # never modified by the optimizers
    optimizer = optimizer_class([param], alpha=0.9, centered=True, **config)
    for step in range(1, steps + 1):
        optimizer.step()
        if torch.isnan(param).any():
            return step
    return None


def test_torch_centered_rmsprop_eventually_gives_nan_and_rmslab_reproduces_it():
    """v - gbar^2 -> 0+, rounding makes it negative, sqrt gives NaN (eps is added after)."""
    torch_nan_step = first_nan_step(torch.optim.RMSprop, 10_000)
    assert torch_nan_step is not None
    assert first_nan_step(rt.RMSProp, 10_000) == torch_nan_step


def test_safe_centered_rmsprop_stays_finite_for_10000_steps():
    param = torch.zeros(64, requires_grad=True)
    param.grad = CONSTANT_GRADIENT.clone()
    optimizer = rt.RMSProp([param], alpha=0.9, centered=True, safe=True)
    for _ in range(10_000):
        optimizer.step()
    assert torch.isfinite(param).all()  # a NaN would have stayed: the gradient is constant
    assert all(torch.isfinite(value).all() for value in optimizer.state[param].values())
