"""torch's generic optimizer tests, run against every rmslab.torch class through one registry.

The pattern is torch's own (``TestOptimRenewed`` in torch's ``test/test_optim.py``, driven by
the ``OptimizerInfo`` entries of ``torch/testing/_internal/common_optimizers.py``, torch 2.13):
each optimizer is described once (its configurations and its bad inputs) and every generic
property is checked for each. Importing torch's module needs ``expecttest``, which the
project does not install, so :class:`OptimizerInfo` here is a small equivalent; the
configurations follow torch's entries for RMSprop, Adam, AdamW, Adagrad and SGD, and where
torch's tests check an error message the regex is torch's.
"""

from __future__ import annotations

import copy
import functools
import io
import re
from dataclasses import dataclass, field

import pytest
import torch
from torch.nn import Parameter

import rmslab.torch as rt

pytestmark = pytest.mark.slow  # 120 tests, about 30 s on 2 cores: make test runs them


@dataclass(frozen=True)
class ErrorInput:
    """``cls(params or default, **kwargs)`` raises (or warns) ``error`` matching ``regex``."""

    kwargs: dict
    error: type
    regex: str
    params: object = None


@dataclass(frozen=True)
class OptimizerInfo:
    cls: type
    torch_cls: type
    configs: tuple[dict, ...]
    errors: tuple[ErrorInput, ...]
    state_values: dict = field(default_factory=dict)  # a plausible state, for gradcheck

    @property
    def name(self) -> str:
        return self.cls.__name__

    def all_configs(self, differentiable=True):
        """Each config with foreach=False, with foreach=True and (if asked) with
        differentiable=True (torch's "global cliquey" flags, one at a time), where the torch
        class accepts the combination (Adam refuses a tensor lr with foreach=True)."""
        for config in self.configs:
            flags = [{"foreach": False}, {"foreach": True}]
            flags += [{"foreach": False, "differentiable": True}] if differentiable else []
            for extra in flags:
                if self.torch_accepts({**config, **extra}):
                    yield {**config, **extra}

    def torch_accepts(self, config) -> bool:
        try:
            self.torch_cls([torch.zeros(1, requires_grad=True)], **config)
        except ValueError:
            return False
        return True


def generic_errors():
    """The bad inputs torch checks for every optimizer (on the CPU)."""
    p1, p2 = Parameter(torch.randn(1, 1)), Parameter(torch.randn(1, 1))
    return (
        ErrorInput(
            {}, TypeError, "params argument given to the optimizer should be an iterable", p1
        ),
        ErrorInput({}, UserWarning, "a parameter group with duplicate parameters", [p1, p1]),
        ErrorInput(
            {},
            ValueError,
            "some parameters appear in more than one parameter group",
            [{"params": p1}, {"params": p1}],
        ),
        ErrorInput({"lr": torch.tensor([1e-3, 1e-3])}, ValueError, "Tensor lr must be 1-element"),
        ErrorInput(
            {}, ValueError, "all optimizer params should be with/without names", [("w", p1), p2]
        ),
    )


FUSED_ERRORS = (
    ErrorInput(
        {"fused": True, "foreach": True},
        RuntimeError,
        "`fused` and `foreach` cannot be `True` together",
    ),
    ErrorInput(
        {"fused": True, "differentiable": True},
        RuntimeError,
        "`fused` does not support `differentiable`",
    ),
)
ADAM_CONFIGS = (
    {},
    {"lr": 0.01},
    {"weight_decay": 0.1},
    {"weight_decay": 0.1, "maximize": True},
    {"weight_decay": 0.1, "amsgrad": True},
    {"lr": torch.tensor(0.01)},
)
ADAM_ERRORS = (
    generic_errors()
    + FUSED_ERRORS
    + (
        ErrorInput({"betas": (1.0, 0.0)}, ValueError, "Invalid beta parameter at index 0: 1.0"),
        ErrorInput({"weight_decay": -1}, ValueError, "Invalid weight_decay value: -1"),
        ErrorInput(
            {"lr": torch.tensor(0.001), "foreach": True},
            ValueError,
            "lr as a Tensor is not supported for capturable=False and foreach=True",
        ),
        ErrorInput(
            {"betas": (0.9, torch.tensor(0.99))},
            ValueError,
            "betas must be either both floats or both Tensors",
        ),
        ErrorInput(
            {"betas": (torch.tensor(0.9), torch.tensor(0.99)), "foreach": True},
            ValueError,
            r"betas\[0\] as a Tensor is not supported for capturable=False and foreach=True",
        ),
    )
)
ADAM_STATE = {"exp_avg": (-1, 1), "exp_avg_sq": (1, 2), "max_exp_avg_sq": (2, 3)}

REGISTRY = (
    OptimizerInfo(
        rt.RMSProp,
        torch.optim.RMSprop,
        (
            {},
            {"lr": 1e-3},
            {"weight_decay": 0.1},
            {"maximize": True},
            {"weight_decay": 0.1, "centered": True},
            {"maximize": True, "weight_decay": 0.1},
            {"weight_decay": 0.1, "centered": True, "momentum": 0.1},
            {"weight_decay": 0.1, "centered": True, "momentum": 0.1, "maximize": True},
            {"lr": torch.tensor(1e-3)},
        ),
        generic_errors()
        + (ErrorInput({"lr": 1e-2, "momentum": -1.0}, ValueError, "Invalid momentum value: -1.0"),),
        {"square_avg": (1, 2), "grad_avg": (0, 0.5), "momentum_buffer": (-1, 1)},
    ),
    OptimizerInfo(rt.Adam, torch.optim.Adam, ADAM_CONFIGS, ADAM_ERRORS, ADAM_STATE),
    OptimizerInfo(rt.AdamW, torch.optim.AdamW, ADAM_CONFIGS, ADAM_ERRORS, ADAM_STATE),
    OptimizerInfo(
        rt.Adagrad,
        torch.optim.Adagrad,
        (
            {},
            {"weight_decay": 0.1},
            {"weight_decay": 0.1, "maximize": True},
            {"lr": 0.1},
            {"initial_accumulator_value": 0.1, "weight_decay": 0.1},
            {"lr": 0.1, "lr_decay": 0.5, "weight_decay": 0.1},
            {"lr": torch.tensor(0.001)},
        ),
        generic_errors()
        + FUSED_ERRORS
        + (ErrorInput({"lr": 1e-2, "lr_decay": -0.5}, ValueError, "Invalid lr_decay value: -0.5"),),
        {"sum": (1, 2)},
    ),
    OptimizerInfo(
        rt.Momentum,
        torch.optim.SGD,
        (
            {"lr": 1e-2},
            {"lr": torch.tensor(0.001)},
            {"lr": 1e-2, "weight_decay": 0.5},
            {"lr": 1e-2, "momentum": 0.9},
            {"lr": 1e-2, "weight_decay": 0.1, "maximize": True},
            {"lr": 1e-2, "momentum": 0.9, "dampening": 0.5},
            {"lr": 1e-2, "momentum": 0.9, "weight_decay": 0.1},
            {"lr": 1e-2, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
        ),
        generic_errors()
        + FUSED_ERRORS
        + (ErrorInput({"lr": 1e-2, "momentum": -0.5}, ValueError, "Invalid momentum value: -0.5"),),
        {"momentum_buffer": (-1, 1)},
    ),
)
optims = pytest.mark.parametrize("info", REGISTRY, ids=[info.name for info in REGISTRY])


def minimizing(config) -> bool:
    return not config.get("maximize", False)


def linear_loss(weight, bias, inputs):
    return (weight.mv(inputs) + bias).pow(2).sum()


def weight_and_bias(dtype=torch.float32, contiguous=True, seed=0):
    torch.manual_seed(seed)
    if contiguous:
        return Parameter(torch.randn(10, 5, dtype=dtype)), Parameter(torch.randn(10, dtype=dtype))
    weight = Parameter(torch.randn(10, 5, 2, dtype=dtype)[..., 0])
    bias = Parameter(torch.randn(10, 2, dtype=dtype)[..., 0])
    return weight, bias


def assert_moved_the_right_way(config, before, after):
    assert (after < before) if minimizing(config) else (after > before), (config, before, after)


def closure_for(optimizer, weight, bias, inputs):
    def closure():
        optimizer.zero_grad()
        loss = linear_loss(weight, bias, inputs)
        loss.backward()
        return loss

    return closure


@optims
def test_errors(info):
    for case in info.errors:
        params = case.params if case.params is not None else [Parameter(torch.randn(2))]
        if issubclass(case.error, Warning):
            with pytest.warns(case.error, match=case.regex):
                info.cls(params, **case.kwargs)
        else:
            with pytest.raises(
                case.error, match=re.escape(case.regex) if "`" in case.regex else case.regex
            ):
                info.cls(params, **case.kwargs)


@optims
@pytest.mark.parametrize("contiguous", [True, False], ids=["contiguous", "strided"])
def test_forloop_goes_right_direction(info, contiguous):
    inputs = torch.randn(5)
    for config in info.configs:
        weight, bias = weight_and_bias(contiguous=contiguous)
        optimizer = info.cls([weight, bias], **config, foreach=False)
        closure = closure_for(optimizer, weight, bias, inputs)
        before = closure().item()
        for _ in range(20):
            optimizer.step(closure)
        assert_moved_the_right_way(config, before, closure().item())


@optims
def test_complex_parameters_step_like_their_real_views(info):
    for config in info.all_configs(differentiable=False):
        torch.manual_seed(0)
        complex_params = [
            torch.randn(10, 5, dtype=torch.complex64, requires_grad=True),
            torch.randn(10, dtype=torch.complex64, requires_grad=True),
            torch.randn(10, 5, dtype=torch.float32, requires_grad=True),  # mixed with a real one
        ]
        real_params = [
            (torch.view_as_real(p) if p.is_complex() else p).detach().clone().requires_grad_()
            for p in complex_params
        ]
        complex_optimizer = info.cls(complex_params, **config)
        real_optimizer = info.cls(real_params, **config)
        for _ in range(3):
            for c, r in zip(complex_params, real_params, strict=True):
                r.grad = torch.randn_like(r)
                c.grad = torch.view_as_complex(r.grad) if c.is_complex() else r.grad.clone()
            complex_optimizer.step()
            real_optimizer.step()
            for c, r in zip(complex_params, real_params, strict=True):
                assert torch.equal(torch.view_as_real(c) if c.is_complex() else c, r)


@optims
def test_complex_parameters_match_the_torch_class(info):
    for config in info.configs:
        if torch.is_tensor(config.get("lr")):
            config = {**config, "lr": torch.tensor(float(config["lr"]), dtype=torch.float64)}
        torch.manual_seed(1)
        start = torch.randn(4, 3, dtype=torch.complex128)
        ours, theirs = start.clone().requires_grad_(), start.clone().requires_grad_()
        optimizers = info.cls([ours], **config), info.torch_cls([theirs], **config)
        for _ in range(5):
            g = torch.randn_like(start)
            ours.grad, theirs.grad = g.clone(), g.clone()
            for optimizer in optimizers:
                optimizer.step()
        torch.testing.assert_close(ours, theirs, atol=1e-12, rtol=0)


@optims
def test_foreach_matches_forloop(info):
    inputs = torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], dtype=torch.float64).reshape(3, 2)
    for config in info.configs:
        if not info.torch_accepts({**config, "foreach": True}):
            continue
        results = []
        for foreach in (False, True):
            torch.manual_seed(1)
            model = torch.nn.Sequential(
                torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1), torch.nn.Sigmoid()
            ).double()
            scalar = torch.rand((), dtype=torch.float64, requires_grad=True)  # a 0-d last param
            scalar.grad = torch.rand_like(scalar)
            params = [*model.parameters(), scalar]
            optimizer = info.cls(params, **config, foreach=foreach)
            for i in range(7):
                optimizer.zero_grad()
                if i != 3:  # a step without gradients must do nothing
                    model(inputs).sum().backward()
                optimizer.step()
            results.append((params, optimizer.state))
        (params_a, state_a), (params_b, state_b) = results
        for a, b in zip(params_a, params_b, strict=True):
            torch.testing.assert_close(a, b)
            for key in state_a.get(a, {}):
                torch.testing.assert_close(state_a[a][key], state_b[b][key])


@optims
def test_param_groups_weight_decay(info):
    inputs = torch.randn(5)
    for config in info.all_configs(differentiable=False):
        weight, bias = weight_and_bias()
        no_decay = {**config, "weight_decay": 0.0}
        optimizer = info.cls([dict(params=[weight], **config), dict(params=[bias], **no_decay)])
        before = linear_loss(weight, bias, inputs).item()
        for _ in range(20):
            optimizer.zero_grad()
            linear_loss(weight, bias, inputs).backward()
            optimizer.step()
        assert_moved_the_right_way(config, before, linear_loss(weight, bias, inputs).item())


@optims
def test_param_groups_lr(info):
    inputs = torch.randn(5)
    for config in info.all_configs(differentiable=False):
        config = {**config, "lr": config.get("lr", 1e-3) or 1e-3}
        weight, bias = weight_and_bias()
        irrelevant = Parameter(torch.randn(2))
        untouched = irrelevant.detach().clone()
        groups = [dict(params=[weight, bias], **config), dict(params=[irrelevant])]
        optimizer = info.cls(groups, lr=1e-28)
        before = linear_loss(weight, bias, inputs).item()
        for _ in range(20):
            optimizer.zero_grad()
            linear_loss(weight, bias, inputs).backward()
            irrelevant.grad = torch.rand_like(irrelevant)
            optimizer.step()
        assert_moved_the_right_way(config, before, linear_loss(weight, bias, inputs).item())
        assert torch.equal(irrelevant, untouched)


@optims
def test_step_is_noop_when_params_have_no_grad(info):
    params = [torch.randn(2, 3) for _ in range(2)]
    old = [p.clone() for p in params]
    for config in info.all_configs():
        info.cls(params, **config).step(lambda: torch.tensor([1.0]))
        assert all(torch.equal(a, b) for a, b in zip(params, old, strict=True))


@optims
def test_step_is_noop_for_zero_grads(info):
    for config in info.all_configs():
        if config.get("weight_decay", 0) != 0:
            continue  # decay moves the parameters whatever the gradient
        param = torch.randn(5, 1, requires_grad=True)
        old = param.detach().clone()
        if info.cls is rt.AdamW:  # AdamW's default decay moves it by lr * 1e-2 * param
            config = {**config, "weight_decay": 0.0}
        used = param.clone() if config.get("differentiable") else param
        used.grad = torch.zeros_like(used)
        info.cls([used], **config).step()
        assert torch.equal(used.detach(), old), config


@optims
def test_optimizer_can_be_printed(info):
    params = [Parameter(torch.randn(2, 3)) for _ in range(2)]
    for config in info.all_configs():
        text = repr(info.cls(params, **config))
        assert text.startswith(f"{info.name} (") and "Parameter Group 0" in text


@optims
def test_state_dict_deterministic(info):
    inputs = torch.randn(3, requires_grad=True)
    for config in info.all_configs(differentiable=False):
        weight = Parameter(torch.randn(2, 3))
        bias = Parameter(torch.randn(2))
        optimizer = info.cls([weight, bias], **config)
        closure = closure_for(optimizer, weight, bias, inputs)
        for _ in range(10):
            optimizer.step(closure)
        with torch.no_grad():
            weight_c, bias_c = Parameter(weight.clone()), Parameter(bias.clone())
        optimizer_c = info.cls([weight_c, bias_c], **config)
        closure_c = closure_for(optimizer_c, weight_c, bias_c, inputs)
        optimizer_c.load_state_dict(copy.deepcopy(optimizer.state_dict()))
        for _ in range(10):
            optimizer.step(closure)
            optimizer_c.step(closure_c)
            assert torch.equal(weight, weight_c) and torch.equal(bias, bias_c)
        torch.testing.assert_close(optimizer.state_dict(), optimizer_c.state_dict())
        optimizer_c.param_groups.extend(optimizer_c.param_groups)  # repeated groups print alike
        assert (
            optimizer.state_dict()["param_groups"][-1]
            == optimizer_c.state_dict()["param_groups"][-1]
        )


@optims
def test_can_load_older_state_dict(info):
    new_flags = ["maximize", "foreach", "fused", "differentiable", "capturable"]
    for config in info.all_configs(differentiable=False):
        torch.manual_seed(1)
        model = torch.nn.Sequential(torch.nn.Conv2d(4, 2, 1, stride=2), torch.nn.BatchNorm2d(2))
        inputs = torch.rand(1, 4, 16, 16)
        optimizer = info.cls(model.parameters(), **config)
        for _ in range(3):
            optimizer.zero_grad()
            model(inputs).sum().backward()
            optimizer.step()
        old = copy.deepcopy(optimizer.state_dict())
        for group in old["param_groups"]:
            for flag in new_flags:
                group.pop(flag, None)
        optimizer.load_state_dict(old)
        optimizer.zero_grad()
        model(inputs).sum().backward()
        optimizer.step()
        # the dropped flags come back from the constructor's values
        assert optimizer.param_groups[0]["maximize"] is config.get("maximize", False)


def stepped_three_times(info, config):
    """An optimizer over two (2, 3) parameters with random gradients, after three steps."""
    params = [Parameter(torch.randn(2, 3)) for _ in range(2)]
    for p in params:
        p.grad = torch.rand_like(p)
    optimizer = info.cls(params, **config)
    for _ in range(3):
        optimizer.step()
    return optimizer


@optims
def test_load_nontensor_step(info):
    for config in info.all_configs(differentiable=False):
        optimizer = stepped_three_times(info, config)
        state_dict = copy.deepcopy(optimizer.state_dict())
        for state in state_dict["state"].values():
            if torch.is_tensor(state.get("step")):
                state["step"] = state["step"].item()
        optimizer.load_state_dict(state_dict)
        optimizer.step()
        for state in optimizer.state.values():
            assert "step" not in state or (torch.is_tensor(state["step"]) and state["step"] == 4)


@optims
def test_deepcopy_copies_all_public_attrs(info):
    for config in info.all_configs(differentiable=False):
        optimizer = stepped_three_times(info, config)
        public = lambda obj: {k for k in obj.__dict__ if not k.startswith("_")}  # noqa: E731
        assert public(optimizer) == public(copy.deepcopy(optimizer))


@optims
def test_save_load_equality_with_weights_only(info):
    for config in info.all_configs(differentiable=False):
        weight, bias = weight_and_bias()
        inputs = torch.randn(5)
        optimizer = info.cls([weight, bias], **config)
        closure = closure_for(optimizer, weight, bias, inputs)
        for _ in range(3):
            optimizer.step(closure)
        buffer = io.BytesIO()
        torch.save(optimizer.state_dict(), buffer)
        buffer.seek(0)
        loaded = torch.load(buffer, weights_only=True)
        torch.testing.assert_close(loaded, optimizer.state_dict())


@optims
def test_step_pre_and_post_hooks_run_in_order_and_can_be_removed(info):
    param = Parameter(torch.randn(3))
    param.grad = torch.ones(3)
    optimizer = info.cls([param], **info.configs[0])
    calls = []
    pre = optimizer.register_step_pre_hook(lambda opt, args, kwargs: calls.append("pre"))
    post = optimizer.register_step_post_hook(lambda opt, args, kwargs: calls.append("post"))
    optimizer.step()
    pre.remove()
    post.remove()
    optimizer.step()
    assert calls == ["pre", "post"]


@optims
def test_state_dict_hooks_change_what_is_saved(info):
    param = Parameter(torch.randn(3))
    param.grad = torch.ones(3)
    optimizer = info.cls([param], **info.configs[0])
    optimizer.step()
    optimizer.register_state_dict_pre_hook(lambda opt: opt.param_groups[0].update(tag=1))
    optimizer.register_state_dict_post_hook(lambda opt, sd: {**sd, "extra": 2})
    saved = optimizer.state_dict()
    assert saved["param_groups"][0]["tag"] == 1 and saved["extra"] == 2


@optims
@pytest.mark.parametrize(
    "dtype", [torch.float32, torch.float16, torch.bfloat16], ids=["f32", "f16", "bf16"]
)
def test_load_state_dict_pre_hook_result_is_what_gets_loaded(info, dtype):
    """A pre-hook that returns a new dict decides what is loaded, for every dtype.

    rmslab.torch re-reads low-precision state at float32 after torch's load; it used to
    re-read it from the caller's dict, undoing the hook for float16/bfloat16 parameters.
    """
    config = {**info.configs[0], **({"momentum": 0.9} if info.cls is rt.Momentum else {})}
    param = Parameter(torch.randn(4).to(dtype))
    param.grad = torch.ones(4, dtype=dtype)
    optimizer = info.cls([param], **config)
    optimizer.step()
    saved = copy.deepcopy(optimizer.state_dict())

    def doubled(_, state_dict):
        state_dict = copy.deepcopy(state_dict)
        for state in state_dict["state"].values():
            for key, value in state.items():
                if key != "step" and torch.is_tensor(value):
                    state[key] = 2 * value
        return state_dict

    target = info.cls([param], **config)
    target.register_load_state_dict_pre_hook(doubled)
    loaded = []
    target.register_load_state_dict_post_hook(lambda opt: loaded.append(True))
    target.load_state_dict(saved)
    assert loaded == [True]
    for key, value in saved["state"][0].items():
        if key != "step" and torch.is_tensor(value):
            torch.testing.assert_close(
                target.state[param][key], 2 * value.float(), check_dtype=False
            )
            assert target.state[param][key].dtype == (
                torch.float32 if dtype != torch.float32 else dtype
            )


@optims
def test_tensor_lr_steps_like_float_lr(info):
    for config in info.configs:
        lr = float(config.get("lr", 1e-3))
        results = []
        for value in (lr, torch.tensor(lr, dtype=torch.float64)):
            weight, bias = weight_and_bias(dtype=torch.float64)
            optimizer = info.cls([weight, bias], **{**config, "lr": value})
            closure = closure_for(optimizer, weight, bias, torch.randn(5, dtype=torch.float64))
            torch.manual_seed(3)
            for _ in range(5):
                optimizer.step(closure)
            results.append(torch.cat([weight.flatten(), bias]))
        torch.testing.assert_close(*results, atol=1e-12, rtol=0)


def uniform(low, high, generator):
    """Six float64 numbers uniform in [low, high) that require grad."""
    values = torch.rand(6, dtype=torch.float64, generator=generator)
    return (low + (high - low) * values).requires_grad_()


def one_differentiable_step(info, config, param, grad, *state_values):
    """``(new param, new state tensors)`` after one step from the given ones."""
    param = param.clone()
    param.grad = grad
    optimizer = info.cls([param], **config, differentiable=True)
    state = optimizer.state[param]
    state.clear()
    state.update(zip(info.state_values, (v.clone() for v in state_values), strict=True))
    state["step"] = torch.tensor(2.0)
    optimizer.step()
    return (param, *(state[k] for k in info.state_values if k in state))


@optims
def test_differentiable_step_passes_gradcheck(info):
    """With ``differentiable=True`` autograd goes through the step: the gradient with respect
    to the parameter, the gradient and the state matches finite differences."""
    for config in info.configs:
        if torch.is_tensor(config.get("lr")):
            continue
        needed = {k for k in info.state_values}
        if not config.get("centered"):
            needed.discard("grad_avg")
        if not config.get("momentum"):
            needed.discard("momentum_buffer")
        if not config.get("amsgrad"):
            needed.discard("max_exp_avg_sq")
        sub = OptimizerInfo(
            info.cls,
            info.torch_cls,
            (),
            (),
            {k: v for k, v in info.state_values.items() if k in needed},
        )
        generator = torch.Generator().manual_seed(0)

        bounds = [(-1, 1), (-1, 1), *sub.state_values.values()]
        inputs = tuple(uniform(low, high, generator) for low, high in bounds)
        step = functools.partial(one_differentiable_step, sub, config)
        assert torch.autograd.gradcheck(step, inputs, eps=1e-6, atol=1e-5), config


@optims
def test_every_config_matches_the_torch_class(info):
    for config in info.all_configs():
        try:
            info.torch_cls([torch.zeros(1, requires_grad=True)], **config)
        except ValueError as refusal:  # then ours refuses it with torch's message
            with pytest.raises(ValueError, match=re.escape(str(refusal))):
                info.cls([torch.zeros(1, requires_grad=True)], **config)
            continue
        results = []
        for cls in (info.cls, info.torch_cls):
            weight, bias = weight_and_bias(dtype=torch.float64)
            inputs = torch.randn(5, dtype=torch.float64)
            if config.get("differentiable"):
                weight, bias = weight.clone(), bias.clone()
            optimizer = cls([weight, bias], **config)
            for _ in range(10):
                loss = linear_loss(weight, bias, inputs)
                grads = torch.autograd.grad(loss, [weight, bias])
                weight.grad, bias.grad = (g.detach() for g in grads)
                optimizer.step()
            results.append(torch.cat([weight.detach().flatten(), bias.detach()]))
        # torch computes Adam's step size in float32 from a float32 tensor lr, and from the
        # float32 step counter when differentiable; rmslab in float64 (lr.item()).
        float32_step_size = info.cls in (rt.Adam, rt.AdamW) and (
            torch.is_tensor(config.get("lr")) or config.get("differentiable")
        )
        tolerance = (
            {"atol": 1e-6, "rtol": 1e-4} if float32_step_size else {"atol": 1e-12, "rtol": 0}
        )
        torch.testing.assert_close(*results, **tolerance)
