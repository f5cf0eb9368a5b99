"""torch's own generic optimizer tests, run against every rmslab.torch class.

Each rmslab class is driven by torch's ``OptimizerInfo`` for the torch class it copies
(``torch.testing._internal.common_optimizers.optim_db``, torch 2.13; ``REGISTRY`` pairs
them, ``Momentum`` with ``SGD``, whose configs without momentum run too): its configurations
(``optim_inputs_func(device="cpu")``, and ``_get_optim_inputs_including_global_cliquey_kwargs``
where torch's test adds ``foreach``/``differentiable``), its bad inputs
(``optim_error_inputs_func("cpu", torch.float32)``, which include the ones every optimizer
must reject) and its learning-rate schedulers, with the class swapped for the rmslab one. The
test bodies are written here after ``TestOptimRenewed`` in torch's ``test/test_optim.py``.

Configurations left out, with the reason (``test_only_fused_configs_are_left_out`` checks
that nothing else is): ``fused=True``, which rmslab.torch does not implement (it raises
``NotImplementedError``). Added: torch's helper adds ``foreach=True`` only on CUDA, where
its foreach kernels run; rmslab's foreach path runs on the CPU, so every config also runs
with ``foreach=True`` where torch accepts the combination (where torch refuses it, rmslab
must refuse it with torch's message). And the comparison with the torch class runs every
config also with its lr as a float32 tensor (torch's CPU configs have a tensor lr for
Adagrad and SGD only).

Mirrored ``TestOptimRenewed`` tests (same name here unless noted): test_errors,
test_forloop_goes_right_direction (contiguous and strided, with and without torch's
schedulers), test_param_group_with_lrscheduler_goes_right_direction, test_tensor_lr,
test_complex (``test_complex_parameters_step_like_their_real_views``), test_complex_2d,
test_foreach_matches_forloop, test_set_default_dtype_works_with_foreach (CUDA-only in torch;
run here on the CPU, where rmslab's foreach path runs), test_param_groups_weight_decay,
test_param_groups_lr, test_step_is_noop_when_params_have_no_grad,
test_step_is_noop_for_zero_grads, test_optimizer_can_be_printed,
test_state_dict_deterministic, test_can_load_older_state_dict,
test_can_load_from_to_named_state_dict, test_save_load_equality_with_weights_only,
test_load_nontensor_step, test_state_dict_pre_hook / _post_hook / _pre_post_hook (one
test, ``test_state_dict_pre_and_post_hooks``), test_load_state_dict_pre_hook_and_prepend /
_post_hook / _pre_post_hook (``test_load_state_dict_hooks``), test_step_pre_hook and
test_step_post_hook (``test_step_pre_and_post_hooks``), test_step_all_hooks,
test_deepcopy_copies_all_public_attrs, test_non_empty_state and
test_optim_infos_do_not_specify_global_cliquey_kwargs (the premise of the added foreach
configs). Beyond torch: every config matches the torch class itself (real and complex), a
``load_state_dict`` pre-hook's dict is what gets loaded for float16/bfloat16 parameters, and
``differentiable=True`` steps pass ``gradcheck`` (as torch's ``TestDifferentiableOptimizer``).

Not mirrored: test_rosenbrock_sparse (sparse gradients are not supported by rmslab.torch,
they raise ``RuntimeError``); test_fused_matches_forloop, test_fused_error_on_params_on_meta,
test_fused_large_tensor, test_fused_does_not_step_if_foundinf, test_fused_cpu_matches_cuda
(no fused kernels); test_cpu_load_state_dict (torch skips it on the CPU); CUDA-only or
multi-device tests (test_forloop_goes_right_direction_multigpu, test_mixed_device_dtype,
test_foreach_large_tensor, test_peak_memory_foreach, test_state_dict_with_cuda_params,
test_defaults_changed_to_foreach); test_second_order_optims_return_consistent_types (LBFGS).

Importing torch's module changes global state (it loads a Hypothesis profile, freezes
``torch.backends`` flags, patches ``ScriptFunction.__call__``, adds warning filters, sets
``TORCHINDUCTOR_CACHE_DIR`` and extends ``sys.path``); :func:`import_torch_registry`
undoes all of that and checks that the default dtype and the deterministic flag are untouched.
"""

from __future__ import annotations

import copy
import functools
import importlib
import io
import os
import re
import sys
import warnings
from dataclasses import dataclass

import hypothesis
import pytest
import torch
from torch.nn import Parameter
from torch.optim.lr_scheduler import ReduceLROnPlateau
from torch.optim.optimizer import (
    register_optimizer_step_post_hook,
    register_optimizer_step_pre_hook,
)

import rmslab.torch as rt

pytestmark = pytest.mark.slow  # make test runs them


def import_torch_registry():
    """``torch.testing._internal.common_optimizers``, imported without changing global state."""
    profile = hypothesis.settings.get_current_profile_name()
    script_calls = torch._C.ScriptFunction.__call__, torch._C.ScriptMethod.__call__
    flags_frozen = torch.backends.flags_frozen()
    environ, path = dict(os.environ), list(sys.path)
    dtype, deterministic = torch.get_default_dtype(), torch.are_deterministic_algorithms_enabled()
    with warnings.catch_warnings():  # restores the warning filters on exit
        module = importlib.import_module("torch.testing._internal.common_optimizers")
    hypothesis.settings.load_profile(profile)
    torch._C.ScriptFunction.__call__, torch._C.ScriptMethod.__call__ = script_calls
    if not flags_frozen:  # torch has disable_global_flags() but no public way back
        torch.backends.flags_frozen.__globals__["__allow_nonbracketed_mutation_flag"] = True
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:] = path
    assert torch.backends.flags_frozen() == flags_frozen
    assert torch.get_default_dtype() == dtype
    assert torch.are_deterministic_algorithms_enabled() == deterministic
    return module


registry = import_torch_registry()
TORCH_INFOS = {info.optim_cls: info for info in registry.optim_db}


@dataclass(frozen=True)
class Case:
    """An rmslab class and torch's ``OptimizerInfo`` for the torch class it copies."""

    cls: type
    torch_cls: type
    state_ranges: dict  # a plausible range for each state tensor, for gradcheck

    @property
    def name(self) -> str:
        return self.cls.__name__

    @property
    def info(self):
        return TORCH_INFOS[self.torch_cls]

    def inputs(self) -> list[dict]:
        """torch's configs on the CPU (fresh tensors on every call: schedulers change them)."""
        return [optim_input.kwargs for optim_input in self.info.optim_inputs_func(device="cpu")]

    def all_inputs(self, skip=()) -> list[dict]:
        """torch's configs with its global cliquey flags, as its tests get them on the CPU,
        without the ``fused=True`` ones and with ``foreach=True`` added (module docstring)."""
        configs, _ = self.torch_configs(skip)
        return [config for config in configs if torch_accepts(self.torch_cls, config)]

    def torch_configs(self, skip=()) -> tuple[list[dict], list[dict]]:
        """``(run, left out)`` from ``_get_optim_inputs_including_global_cliquey_kwargs``."""
        given = registry._get_optim_inputs_including_global_cliquey_kwargs(
            "cpu", torch.float32, self.info, skip=skip
        )
        configs = [optim_input.kwargs for optim_input in given]
        # fused=True is left out: rmslab.torch has no fused kernels (NotImplementedError).
        run = [config for config in configs if not config.get("fused")]
        left_out = [config for config in configs if config.get("fused")]
        if "foreach" not in skip:  # one foreach=True variant per config, as torch on CUDA
            run += [{**c, "foreach": True} for c in run if not c.get("differentiable")]
        return run, left_out

    def error_inputs(self):
        return self.info.optim_error_inputs_func("cpu", torch.float32)


def torch_accepts(torch_cls, config) -> bool:
    try:
        torch_cls([torch.zeros(1, requires_grad=True)], **config)
    except ValueError:
        return False
    return True


ADAM_STATE = {"exp_avg": (-1, 1), "exp_avg_sq": (1, 2), "max_exp_avg_sq": (2, 3)}
REGISTRY = (
    Case(
        rt.RMSProp,
        torch.optim.RMSprop,
        {"square_avg": (1, 2), "grad_avg": (0, 0.5), "momentum_buffer": (-1, 1)},
    ),
    Case(rt.Adam, torch.optim.Adam, ADAM_STATE),
    Case(rt.AdamW, torch.optim.AdamW, ADAM_STATE),
    Case(rt.Adagrad, torch.optim.Adagrad, {"sum": (1, 2)}),
    Case(rt.Momentum, torch.optim.SGD, {"momentum_buffer": (-1, 1)}),
)
optims = pytest.mark.parametrize("case", REGISTRY, ids=[case.name for case in REGISTRY])
named = pytest.mark.parametrize("named", [False, True], ids=["unnamed", "named"])

# torch lists these two for CUDA only (its fused kernels run there); rmslab checks them on
# every device before it refuses fused=True. The messages are torch's.
FUSED_ERRORS = (
    ({"fused": True, "foreach": True}, "`fused` and `foreach` cannot be `True` together"),
    ({"fused": True, "differentiable": True}, "`fused` does not support `differentiable`"),
)


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """The tensors here are tiny, so intra-op threads only add CPU time (spin-waiting)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def minimizing(config) -> bool:
    return not config.get("maximize", False)


def linear_loss(weight, bias, inputs):
    return (weight.mv(inputs) + bias).pow(2).sum()


def weight_and_bias(dtype=torch.float32, contiguous=True, shape=(10, 5)):
    """Seeded parameters of a linear layer; strided ones are every other element."""
    torch.manual_seed(0)
    if contiguous:
        weight, bias = torch.randn(*shape, dtype=dtype), torch.randn(shape[0], dtype=dtype)
    else:
        weight = torch.randn(*shape, 2, dtype=dtype)[..., 0]
        bias = torch.randn(shape[0], 2, dtype=dtype)[..., 0]
    return Parameter(weight), Parameter(bias)


def assert_moved_the_right_way(config, before, after):
    assert (after < before) if minimizing(config) else (after > before), (config, before, after)


def closure_for(optimizer, weight, bias, inputs):
    def closure():
        optimizer.zero_grad()
        loss = linear_loss(weight, bias, inputs)
        loss.backward()
        return loss

    return closure


def with_names(params, is_named):
    return [(f"name{i}", p) for i, p in enumerate(params)] if is_named else params


def without_names(state_dict):
    state_dict = copy.deepcopy(state_dict)
    for group in state_dict["param_groups"]:
        group.pop("param_names", None)
    return state_dict


def assert_same_state_dict(a, b):
    """Equal tensors and numbers (``assert_close``), and equal parameter names."""
    torch.testing.assert_close(without_names(a), without_names(b))
    names = [[group.get("param_names") for group in d["param_groups"]] for d in (a, b)]
    assert names[0] == names[1]


def step_schedulers(schedulers, loss):
    for scheduler in schedulers:
        if isinstance(scheduler, ReduceLROnPlateau):
            scheduler.step(loss.item())
        else:
            scheduler.step()


@optims
def test_optim_infos_do_not_specify_global_cliquey_kwargs(case):
    """torch's configs leave foreach/fused/differentiable to the tests (so adding them is
    safe), and torch's helper adds no foreach variant on the CPU (so it is added here)."""
    for config in case.inputs():
        assert not {"foreach", "fused", "differentiable"} & set(config), config
    given = registry._get_optim_inputs_including_global_cliquey_kwargs(
        "cpu", torch.float32, case.info
    )
    assert not any(optim_input.kwargs.get("foreach") for optim_input in given)


@optims
def test_only_fused_configs_are_left_out(case):
    """Of torch's configs, only ``fused=True`` ones are left out, and rmslab refuses them."""
    run, left_out = case.torch_configs()
    given = registry._get_optim_inputs_including_global_cliquey_kwargs(
        "cpu", torch.float32, case.info
    )
    added = len(case.inputs())  # one foreach=True variant of each of torch's configs
    assert len(run) - added + len(left_out) == len(given)
    assert ("fused" in case.info.supported_impls) == bool(left_out)
    for config in left_out:
        with pytest.raises(NotImplementedError, match="fused=True"):
            case.cls([Parameter(torch.randn(2))], **config)


@optims
def test_errors(case):
    """torch's error inputs raise (or warn) the same type with a message matching its regex,
    at construction or at the step, as torch's test says."""
    errors = case.error_inputs()
    assert len(errors) >= 7  # the 6 every optimizer gets, and at least one of its own
    for error in errors:
        params, kwargs = error.optimizer_error_input.params, error.optimizer_error_input.kwargs
        if error.error_on == registry.OptimizerErrorEnum.CONSTRUCTION_ERROR:
            act = functools.partial(case.cls, params, **kwargs)
        else:
            act = case.cls(params, **kwargs).step
        if issubclass(error.error_type, Warning):
            with pytest.warns(error.error_type, match=error.error_regex):
                act()
        else:
            with pytest.raises(error.error_type, match=error.error_regex):
                act()
    if "fused" in case.info.supported_impls:
        for kwargs, message in FUSED_ERRORS:
            with pytest.raises(RuntimeError, match=message):
                case.cls([Parameter(torch.randn(2))], **kwargs)


@optims
@pytest.mark.parametrize("with_lrsched", [False, True], ids=["no_lrsched", "lrsched"])
@pytest.mark.parametrize("contiguous", [True, False], ids=["contiguous", "strided"])
def test_forloop_goes_right_direction(case, contiguous, with_lrsched):
    schedulers_sets = case.info.scheduler_inputs if with_lrsched else [[]]
    for make_schedulers in schedulers_sets:
        for config in case.inputs():
            weight, bias = weight_and_bias(contiguous=contiguous)
            inputs = torch.randn(5)
            optimizer = case.cls([weight, bias], **config, foreach=False)
            schedulers = [make(optimizer) for make in make_schedulers]
            closure = closure_for(optimizer, weight, bias, inputs)
            before = closure().item()
            for _ in range(20):
                loss = closure()
                optimizer.step()
                step_schedulers(schedulers, loss)
            assert_moved_the_right_way(config, before, closure().item())


@optims
def test_param_group_with_lrscheduler_goes_right_direction(case):
    for make_schedulers in case.info.scheduler_inputs:
        weight, bias = weight_and_bias()
        inputs = torch.randn(5)
        optimizer = case.cls([{"params": [weight]}, {"params": [bias], "lr": 0.01}])
        schedulers = [make(optimizer) for make in make_schedulers]
        closure = closure_for(optimizer, weight, bias, inputs)
        before = closure().item()
        for _ in range(20):
            step_schedulers(schedulers, optimizer.step(closure))
        assert closure().item() < before


@optims
def test_tensor_lr(case):
    """A tensor lr steps like the float: within float32 rounding for a float32 tensor (as
    torch checks) and within 1e-12 for a float64 one; where torch refuses a tensor lr (Adam
    with foreach=True), rmslab refuses it with torch's message."""
    for config in case.all_inputs(skip=("differentiable",)):
        config = {k: v for k, v in config.items() if k != "lr"}
        for dtype, tolerance in ((torch.float32, {}), (torch.float64, {"atol": 1e-12, "rtol": 0})):
            lr = torch.tensor(1e-3, dtype=dtype)
            if not torch_accepts(case.torch_cls, {**config, "lr": lr}):
                with pytest.raises(ValueError, match="lr as a Tensor is not supported"):
                    case.cls([Parameter(torch.randn(2))], **config, lr=lr)
                continue
            results = []
            for value in (1e-3, lr):
                weight, bias = weight_and_bias(dtype=dtype)
                optimizer = case.cls([weight, bias], **config, lr=value)
                closure = closure_for(optimizer, weight, bias, torch.randn(5, dtype=dtype))
                for _ in range(5):
                    optimizer.step(closure)
                results.append(torch.cat([weight.flatten(), bias]))
            torch.testing.assert_close(*results, **tolerance)


@optims
def test_complex_parameters_step_like_their_real_views(case):
    """torch's test_complex: complex parameters (mixed with a real one) step exactly like
    their real views, at every step."""
    for config in case.all_inputs(skip=("differentiable",)):
        torch.manual_seed(0)
        complex_params = [
            torch.randn(10, 5, dtype=torch.complex64, requires_grad=True),
            torch.randn(10, dtype=torch.complex64, requires_grad=True),
            torch.randn(10, 5, dtype=torch.float32, requires_grad=True),
        ]
        real_params = [
            (torch.view_as_real(p) if p.is_complex() else p).detach().clone().requires_grad_()
            for p in complex_params
        ]
        complex_optimizer = case.cls(complex_params, **config)
        real_optimizer = case.cls(real_params, **config)
        for _ in range(3):
            for c, r in zip(complex_params, real_params, strict=True):
                r.grad = torch.randn_like(r)
                c.grad = torch.view_as_complex(r.grad) if c.is_complex() else r.grad.clone()
            complex_optimizer.step()
            real_optimizer.step()
            for c, r in zip(complex_params, real_params, strict=True):
                assert torch.equal(torch.view_as_real(c) if c.is_complex() else c, r)


def rosenbrock(tensor):
    x, y = tensor
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


@optims
def test_complex_2d(case):
    """A complex parameter steps like its real and imaginary parts as two real parameters,
    on the (complex) Rosenbrock function."""
    for config in case.all_inputs(skip=("differentiable",)):
        torch.manual_seed(2)
        z = torch.randn(2, dtype=torch.complex64, requires_grad=True)
        real, imag = (part.detach().clone().requires_grad_() for part in (z.real, z.imag))
        complex_optimizer = case.cls([z], **config)
        parts_optimizer = case.cls([real, imag], **config)
        for _ in range(3):
            for optimizer in (complex_optimizer, parts_optimizer):
                optimizer.zero_grad()
            rosenbrock(z).abs().backward()
            rosenbrock(torch.complex(real, imag)).abs().backward()
            torch.testing.assert_close(z.grad.real, real.grad)
            torch.testing.assert_close(z.grad.imag, imag.grad)
            complex_optimizer.step()
            parts_optimizer.step()
            torch.testing.assert_close(z.real, real)
            torch.testing.assert_close(z.imag, imag)


@optims
def test_complex_parameters_match_the_torch_class(case):
    for config in case.inputs():
        if torch.is_tensor(config.get("lr")):
            config = {**config, "lr": torch.tensor(float(config["lr"]), dtype=torch.float64)}
        torch.manual_seed(1)
        start = torch.randn(4, 3, dtype=torch.complex128)
        ours, theirs = start.clone().requires_grad_(), start.clone().requires_grad_()
        optimizers = case.cls([ours], **config), case.torch_cls([theirs], **config)
        for _ in range(5):
            g = torch.randn_like(start)
            ours.grad, theirs.grad = g.clone(), g.clone()
            for optimizer in optimizers:
                optimizer.step()
        torch.testing.assert_close(ours, theirs, atol=1e-12, rtol=0)


def assert_foreach_matches_forloop(case, step_dtype=None):
    """torch's _test_derived_optimizers for foreach: a small float64 network with a 0-d last
    parameter; at step 2 no gradients, steps 3-4 a frozen layer; parameters and state
    compared after every step."""
    inputs = torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], dtype=torch.float64).reshape(3, 2)
    for config in case.inputs():
        if not torch_accepts(case.torch_cls, {**config, "foreach": True}):
            continue
        models, optimizers = [], []
        for foreach in (False, True):
            torch.manual_seed(1)
            model = torch.nn.Sequential(
                torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1), torch.nn.Sigmoid()
            ).double()
            scalar = torch.rand((), dtype=torch.float64, requires_grad=True)
            scalar.grad = torch.rand_like(scalar)
            models.append(model)
            optimizers.append(case.cls([*model.parameters(), scalar], **config, foreach=foreach))
        for i in range(7):
            for model, optimizer in zip(models, optimizers, strict=True):
                optimizer.zero_grad()
                model[2].requires_grad_(i not in (3, 4))
                if i != 2:
                    model(inputs).sum().backward()
                optimizer.step()
            (loop, each), (loop_opt, each_opt) = models, optimizers
            for a, b in zip(loop.parameters(), each.parameters(), strict=True):
                torch.testing.assert_close(a, b)
                assert loop_opt.state[a].keys() == each_opt.state[b].keys()
                for key, value in loop_opt.state[a].items():
                    torch.testing.assert_close(value, each_opt.state[b][key])
                    if key == "step" and step_dtype is not None:
                        assert value.dtype == each_opt.state[b][key].dtype == step_dtype


@optims
def test_foreach_matches_forloop(case):
    assert_foreach_matches_forloop(case)


@optims
def test_set_default_dtype_works_with_foreach(case):
    """The step counter is float64 under a float64 default dtype, else float32, on both paths."""
    old = torch.get_default_dtype()
    for default, step_dtype in ((torch.float64, torch.float64), (torch.float16, torch.float32)):
        try:
            torch.set_default_dtype(default)
            assert_foreach_matches_forloop(case, step_dtype)
        finally:
            torch.set_default_dtype(old)


@optims
def test_param_groups_weight_decay(case):
    inputs = torch.randn(5)
    for config in case.all_inputs(skip=("differentiable",)):
        weight, bias = weight_and_bias()
        no_decay = {**config, "weight_decay": 0.0}
        optimizer = case.cls([dict(params=[weight], **config), dict(params=[bias], **no_decay)])
        before = linear_loss(weight, bias, inputs).item()
        for _ in range(20):
            optimizer.zero_grad()
            linear_loss(weight, bias, inputs).backward()
            optimizer.step()
        assert_moved_the_right_way(config, before, linear_loss(weight, bias, inputs).item())


@optims
def test_param_groups_lr(case):
    inputs = torch.randn(5)
    for config in case.all_inputs(skip=("differentiable",)):
        config = {**config, "lr": config.get("lr", 1e-3) or 1e-3}
        weight, bias = weight_and_bias()
        irrelevant = Parameter(torch.randn(2))
        untouched = irrelevant.detach().clone()
        groups = [dict(params=[weight, bias], **config), dict(params=[irrelevant])]
        optimizer = case.cls(groups, lr=1e-28)
        before = linear_loss(weight, bias, inputs).item()
        for _ in range(20):
            optimizer.zero_grad()
            linear_loss(weight, bias, inputs).backward()
            irrelevant.grad = torch.rand_like(irrelevant)
            optimizer.step()
        assert_moved_the_right_way(config, before, linear_loss(weight, bias, inputs).item())
        assert torch.equal(irrelevant, untouched)


@optims
def test_step_is_noop_when_params_have_no_grad(case):
    params = [torch.randn(2, 3) for _ in range(2)]
    old = [p.clone() for p in params]
    for config in case.all_inputs():
        case.cls(params, **config).step(lambda: torch.tensor([1.0]))
        assert all(torch.equal(a, b) for a, b in zip(params, old, strict=True))


@optims
def test_step_is_noop_for_zero_grads(case):
    """Exactly no move; torch lowers AdamW's lr to 1e-5 so its default decay (1e-2) stays
    within tolerance, here the decay is set to 0 so that equality is exact."""
    for config in case.all_inputs():
        if config.get("weight_decay", 0) != 0:
            continue  # decay moves the parameters whatever the gradient
        if case.cls is rt.AdamW:
            config = {**config, "weight_decay": 0.0}
        param = torch.randn(5, 1, requires_grad=True)
        old = param.detach().clone()
        used = param.clone() if config.get("differentiable") else param
        used.grad = torch.zeros_like(used)
        case.cls([used], **config).step(lambda: torch.tensor([1.0]))
        assert torch.equal(used.detach(), old), config


@optims
def test_optimizer_can_be_printed(case):
    params = [Parameter(torch.randn(2, 3)) for _ in range(2)]
    for config in case.all_inputs():
        text = repr(case.cls(params, **config))
        assert text.startswith(f"{case.name} (") and "Parameter Group 0" in text


@optims
@pytest.mark.parametrize("named_0", [False, True], ids=["unnamed0", "named0"])
@pytest.mark.parametrize("named_1", [False, True], ids=["unnamed1", "named1"])
def test_state_dict_deterministic(case, named_0, named_1):
    inputs = torch.randn(3, requires_grad=True)
    for config in case.all_inputs(skip=("differentiable",)):
        weight, bias = weight_and_bias(shape=(2, 3))
        optimizer = case.cls(with_names([weight, bias], named_0), **config)
        closure = closure_for(optimizer, weight, bias, inputs)
        for _ in range(10):
            optimizer.step(closure)
        with torch.no_grad():
            weight_c, bias_c = Parameter(weight.clone()), Parameter(bias.clone())
        optimizer_c = case.cls(with_names([weight_c, bias_c], named_1), **config)
        closure_c = closure_for(optimizer_c, weight_c, bias_c, inputs)
        optimizer_c.load_state_dict(copy.deepcopy(optimizer.state_dict()))
        for _ in range(10):
            optimizer.step(closure)
            optimizer_c.step(closure_c)
            assert torch.equal(weight, weight_c) and torch.equal(bias, bias_c)
        torch.testing.assert_close(
            without_names(optimizer.state_dict()), without_names(optimizer_c.state_dict())
        )
        optimizer_c.param_groups.extend(optimizer_c.param_groups)  # repeated groups print alike
        assert (
            without_names(optimizer.state_dict())["param_groups"][-1]
            == without_names(optimizer_c.state_dict())["param_groups"][-1]
        )


def conv_model_stepped(case, config, named_params=False, steps=3):
    """torch's small Conv2d + BatchNorm2d model and an optimizer after ``steps`` steps."""
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Conv2d(4, 2, 1, stride=2), torch.nn.BatchNorm2d(2))
    inputs = torch.rand(1, 4, 16, 16)
    params = model.named_parameters() if named_params else model.parameters()
    optimizer = case.cls(params, **config)
    for _ in range(steps):
        optimizer.zero_grad()
        model(inputs).sum().backward()
        optimizer.step()
    return model, inputs, optimizer


@optims
def test_can_load_older_state_dict(case):
    """A state dict without the flags torch added after the optimizer's first release loads
    and steps; the dropped flags come back from the constructor's values."""
    for config in case.all_inputs(skip=("differentiable",)):
        model, inputs, optimizer = conv_model_stepped(case, config)
        old = copy.deepcopy(optimizer.state_dict())
        for group in old["param_groups"]:
            for flag in case.info.not_og_supported_flags:
                group.pop(flag, None)
        optimizer.load_state_dict(old)
        optimizer.zero_grad()
        model(inputs).sum().backward()
        optimizer.step()
        assert optimizer.param_groups[0]["maximize"] is config.get("maximize", False)


@optims
@pytest.mark.parametrize("named_0", [False, True], ids=["unnamed0", "named0"])
@pytest.mark.parametrize("named_1", [False, True], ids=["unnamed1", "named1"])
def test_can_load_from_to_named_state_dict(case, named_0, named_1):
    for config in case.all_inputs(skip=("differentiable",)):
        model, inputs, optimizer = conv_model_stepped(case, config, named_0)
        saved = copy.deepcopy(optimizer.state_dict())
        params = model.named_parameters() if named_1 else model.parameters()
        optimizer_2 = case.cls(params, **config)
        optimizer_2.load_state_dict(saved)
        optimizer_2.zero_grad()
        model(inputs).sum().backward()
        optimizer_2.step()
        if named_0 or named_1:
            names = optimizer_2.state_dict()["param_groups"][0]["param_names"]
            assert names == ["0.weight", "0.bias", "1.weight", "1.bias"]


@optims
@named
def test_save_load_equality_with_weights_only(case, named):
    for config in case.all_inputs(skip=("differentiable",)):
        weight, bias = weight_and_bias(shape=(2, 3))
        inputs = torch.randn(3, requires_grad=True)
        optimizer = case.cls(with_names([weight, bias], named), **config)
        closure = closure_for(optimizer, weight, bias, inputs)
        for _ in range(3):
            optimizer.step(closure)
        buffer = io.BytesIO()
        torch.save(optimizer.state_dict(), buffer)
        for weights_only in (False, True):
            buffer.seek(0)
            loaded = torch.load(buffer, weights_only=weights_only)
            assert_same_state_dict(loaded, optimizer.state_dict())


def stepped_three_times(case, config):
    """An optimizer over two (2, 3) parameters with random gradients, after three steps."""
    params = [Parameter(torch.randn(2, 3)) for _ in range(2)]
    for p in params:
        p.grad = torch.rand_like(p)
    optimizer = case.cls(params, **config)
    for _ in range(3):
        optimizer.step()
    return optimizer


@optims
def test_load_nontensor_step(case):
    for config in case.all_inputs(skip=("differentiable",)):
        optimizer = stepped_three_times(case, config)
        state_dict = copy.deepcopy(optimizer.state_dict())
        for state in state_dict["state"].values():
            if torch.is_tensor(state.get("step")):
                state["step"] = state["step"].item()
        optimizer.load_state_dict(state_dict)
        optimizer.step()
        for state in optimizer.state.values():
            assert "step" not in state or (torch.is_tensor(state["step"]) and state["step"] == 4)


@optims
def test_deepcopy_copies_all_public_attrs(case):
    for config in case.all_inputs(skip=("differentiable",)):
        optimizer = stepped_three_times(case, config)
        public = lambda obj: {k for k in obj.__dict__ if not k.startswith("_")}  # noqa: E731
        assert public(optimizer) == public(copy.deepcopy(optimizer))


@optims
def test_non_empty_state(case):
    """Every state entry a step creates holds something (and a step with momentum, or any
    step of the other classes, creates one per parameter)."""
    for config in case.inputs():
        torch.manual_seed(0)
        model = torch.nn.Linear(5, 5)
        optimizer = case.cls(model.parameters(), **config)
        model(torch.rand(2, 5)).sum().backward()
        optimizer.step()
        assert all(len(state) > 0 for state in optimizer.state.values())
        stateless = case.cls is rt.Momentum and not config.get("momentum")
        assert len(optimizer.state) == (0 if stateless else 2), config


def one_param_optimizer(case, config):
    return case.cls([torch.rand(2, 3, requires_grad=True)], **config)


@optims
def test_state_dict_pre_and_post_hooks(case):
    """torch's test_state_dict_pre_hook, _post_hook and _pre_post_hook in one."""

    def pre(optimizer):
        optimizer.state["test"] = 1

    def post(optimizer, state_dict):
        state_dict["ran_pre_hook"] = state_dict["state"].pop("test", None) == 1
        return state_dict

    for config in case.all_inputs():
        optimizer = one_param_optimizer(case, config)
        optimizer.register_state_dict_pre_hook(pre)
        assert optimizer.state_dict()["state"]["test"] == 1
        optimizer = one_param_optimizer(case, config)
        optimizer.register_state_dict_post_hook(post)
        assert optimizer.state_dict()["ran_pre_hook"] is False
        optimizer.register_state_dict_pre_hook(pre)
        saved = optimizer.state_dict()
        assert saved["ran_pre_hook"] is True and "test" not in saved["state"]
        optimizer.register_state_dict_post_hook(lambda _, state_dict: {**state_dict, "new": 2})
        assert optimizer.state_dict()["new"] == 2  # a post-hook's new dict is what is returned


def lr_to_0_002(optimizer, state_dict):
    state_dict["param_groups"][0]["lr"] = 0.002


def copy_with_lr_0_003(optimizer, state_dict):
    state_dict = copy.deepcopy(state_dict)
    state_dict["param_groups"][0]["lr"] = 0.003
    return state_dict


def record_lr(optimizer):
    optimizer.state["ran_pre_hook_that_copies"] = optimizer.param_groups[0]["lr"] == 0.003
    optimizer.state["ran_post_hook"] = True


@optims
def test_load_state_dict_hooks(case):
    """torch's test_load_state_dict_pre_hook_and_prepend, _post_hook and _pre_post_hook."""
    for config in case.all_inputs():
        optimizer = one_param_optimizer(case, config)
        saved = optimizer.state_dict()
        optimizer.register_load_state_dict_pre_hook(lr_to_0_002)
        optimizer.load_state_dict(saved)
        assert optimizer.param_groups[0]["lr"] == 0.002
        optimizer.register_load_state_dict_pre_hook(copy_with_lr_0_003, prepend=True)
        optimizer.load_state_dict(saved)
        assert optimizer.param_groups[0]["lr"] == 0.002  # the prepended hook ran first

        optimizer = one_param_optimizer(case, config)
        optimizer.register_load_state_dict_post_hook(record_lr)
        optimizer.load_state_dict(optimizer.state_dict())
        assert optimizer.state["ran_post_hook"] and not optimizer.state["ran_pre_hook_that_copies"]

        optimizer = one_param_optimizer(case, config)
        optimizer.register_load_state_dict_pre_hook(copy_with_lr_0_003)
        optimizer.register_load_state_dict_post_hook(record_lr)
        optimizer.load_state_dict(optimizer.state_dict())
        assert optimizer.state["ran_post_hook"] and optimizer.state["ran_pre_hook_that_copies"]


@optims
@pytest.mark.parametrize(
    "dtype", [torch.float32, torch.float16, torch.bfloat16], ids=["f32", "f16", "bf16"]
)
def test_load_state_dict_pre_hook_result_is_what_gets_loaded(case, dtype):
    """A pre-hook that returns a new dict decides what is loaded, for every dtype.

    rmslab.torch re-reads low-precision state at float32 after torch's load; it used to
    re-read it from the caller's dict, undoing the hook for float16/bfloat16 parameters.
    """

    def doubled(_, state_dict):
        state_dict = copy.deepcopy(state_dict)
        for state in state_dict["state"].values():
            for key, value in state.items():
                if key != "step" and torch.is_tensor(value):
                    state[key] = 2 * value
        return state_dict

    checked = 0
    for config in case.inputs():
        param = Parameter(torch.randn(4).to(dtype))
        param.grad = torch.ones(4, dtype=dtype)
        optimizer = case.cls([param], **config)
        optimizer.step()
        saved = copy.deepcopy(optimizer.state_dict())
        target = case.cls([param], **config)
        target.register_load_state_dict_pre_hook(doubled)
        loaded = []
        target.register_load_state_dict_post_hook(appender(loaded, True))
        target.load_state_dict(saved)
        assert loaded == [True]
        for key, value in saved["state"].get(0, {}).items():
            if key != "step" and torch.is_tensor(value):
                checked += 1
                torch.testing.assert_close(
                    target.state[param][key], 2 * value.float(), check_dtype=False
                )
                expected = torch.float32 if dtype != torch.float32 else dtype
                assert target.state[param][key].dtype == expected
    assert checked > 0  # SGD's configs without momentum keep no state, the others do


def appender(data: list, value):
    """A hook (any arguments) that appends ``value`` to ``data``."""
    return lambda *_: data.append(value)


@optims
def test_step_pre_and_post_hooks(case):
    """torch's test_step_pre_hook and test_step_post_hook: each fires once per step until
    its handle is removed."""
    params = [torch.tensor([1.0, 1.0])]
    for config in case.all_inputs():
        optimizer = case.cls(params, **config)
        data = []
        pre = optimizer.register_step_pre_hook(appender(data, "pre"))
        post = optimizer.register_step_post_hook(appender(data, "post"))
        optimizer.step()
        optimizer.step()
        assert data == ["pre", "post"] * 2
        pre.remove()
        post.remove()
        optimizer.step()
        assert data == ["pre", "post"] * 2


@optims
def test_step_all_hooks(case):
    """Global hooks wrap an instance's own, in torch's order, for rmslab and torch classes."""
    params = [torch.tensor([1.0, 1.0])]
    for config in case.all_inputs():
        optimizer, other = case.cls(params, **config), torch.optim.SGD(params)
        data = []
        handles = [
            register_optimizer_step_pre_hook(appender(data, 0)),
            register_optimizer_step_post_hook(appender(data, 5)),
        ]
        try:
            for opt in (optimizer, other):
                handles.append(opt.register_step_pre_hook(appender(data, 1)))
                handles.append(opt.register_step_post_hook(appender(data, 2)))
            optimizer.step()
            other.step()
            optimizer.step()
            assert data == [0, 1, 2, 5] * 3
        finally:
            for handle in handles:
                handle.remove()
        optimizer.step()
        other.step()
        assert data == [0, 1, 2, 5] * 3


def uniform(low, high, generator):
    """Six float64 numbers uniform in [low, high) that require grad."""
    values = torch.rand(6, dtype=torch.float64, generator=generator)
    return (low + (high - low) * values).requires_grad_()


def one_differentiable_step(case, config, keys, param, grad, *state_values):
    """``(new param, new state tensors)`` after one step from the given ones."""
    param = param.clone()
    param.grad = grad
    optimizer = case.cls([param], **config)
    state = optimizer.state[param]
    state.clear()
    state.update(zip(keys, (v.clone() for v in state_values), strict=True))
    state["step"] = torch.tensor(2.0)
    optimizer.step()
    return (param, *(state[k] for k in keys if k in state))


@optims
def test_differentiable_step_passes_gradcheck(case):
    """With ``differentiable=True`` (torch's configs) autograd goes through the step: the
    gradient with respect to the parameter, the gradient and the state matches finite
    differences."""
    configs = [c for c in case.all_inputs() if c.get("differentiable")]
    assert len(configs) == len(case.inputs())
    for config in configs:
        keys = [k for k in case.state_ranges if k != "grad_avg" or config.get("centered")]
        keys = [k for k in keys if k != "momentum_buffer" or config.get("momentum")]
        keys = [k for k in keys if k != "max_exp_avg_sq" or config.get("amsgrad")]
        generator = torch.Generator().manual_seed(0)
        bounds = [(-1, 1), (-1, 1), *(case.state_ranges[k] for k in keys)]
        inputs = tuple(uniform(low, high, generator) for low, high in bounds)
        step = functools.partial(one_differentiable_step, case, config, keys)
        assert torch.autograd.gradcheck(step, inputs, eps=1e-6, atol=1e-5), config


@optims
def test_every_config_matches_the_torch_class(case):
    """rmslab and torch take the same ten steps (float64) on every config, also with its lr
    as a (float32) tensor; a config torch refuses, rmslab refuses with torch's message."""
    run, _ = case.torch_configs()
    default_lr = case.torch_cls([torch.zeros(1, requires_grad=True)]).defaults["lr"]
    tensor_lrs = [
        {**config, "lr": torch.tensor(float(config.get("lr", default_lr)))}
        for config in run
        if not torch.is_tensor(config.get("lr"))
    ]
    for config in run + tensor_lrs:
        try:
            case.torch_cls([torch.zeros(1, requires_grad=True)], **config)
        except ValueError as refusal:
            with pytest.raises(ValueError, match=re.escape(str(refusal))):
                case.cls([torch.zeros(1, requires_grad=True)], **config)
            continue
        results = []
        for cls in (case.cls, case.torch_cls):
            torch.manual_seed(0)
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
        torch.testing.assert_close(*results, **tolerance_against_torch(case, config))


def tolerance_against_torch(case, config) -> dict:
    """1e-12, except where torch computes the step size in float32 and rmslab in float64
    (from ``lr.item()``): Adam's from a float32 tensor lr or, when differentiable, from the
    float32 step counter; Adagrad's decayed lr ``lr / (1 + (t - 1) lr_decay)`` from a float32
    tensor lr (torch 2.13 adagrad.py)."""
    tensor_lr = torch.is_tensor(config.get("lr"))
    if case.cls in (rt.Adam, rt.AdamW) and (tensor_lr or config.get("differentiable")):
        return {"atol": 1e-6, "rtol": 1e-4}
    if case.cls is rt.Adagrad and tensor_lr and config.get("lr_decay"):
        return {"atol": 1e-8, "rtol": 1e-6}
    return {"atol": 1e-12, "rtol": 0}
