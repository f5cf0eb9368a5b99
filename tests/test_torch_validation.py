"""Bad arguments to rmslab.torch raise errors that name the argument, the value and the range."""

import pytest
import torch

import rmslab.torch as rt

NAN = float("nan")

# (optimizer, keyword arguments, fragments the message must contain)
BAD_ARGUMENTS = [
    (rt.RMSProp, {"lr": -0.1}, ["lr", "-0.1", "[0, inf)"]),
    (rt.RMSProp, {"lr": "0.1"}, ["lr", "'0.1'", "[0, inf)", "str"]),
    (rt.RMSProp, {"lr": None}, ["lr", "None", "[0, inf)"]),
    (rt.RMSProp, {"lr": NAN}, ["lr", "nan", "[0, inf)"]),
    (rt.RMSProp, {"lr": torch.tensor([0.1, 0.2])}, ["lr", "[0, inf)", "Tensor"]),
    (rt.RMSProp, {"alpha": 1.0}, ["alpha", "1.0", "[0, 1)"]),
    (rt.RMSProp, {"alpha": -0.5}, ["alpha", "-0.5", "[0, 1)"]),
    (rt.RMSProp, {"alpha": None}, ["alpha", "None", "[0, 1)"]),
    (rt.RMSProp, {"eps": -1e-8}, ["eps", "-1e-08", "[0, inf)"]),
    (rt.RMSProp, {"eps": float("inf")}, ["eps", "inf", "[0, inf)"]),
    (rt.RMSProp, {"momentum": -0.9}, ["momentum", "-0.9", "[0, 1)"]),
    (rt.RMSProp, {"momentum": 1.0}, ["momentum", "1.0", "[0, 1)"]),
    (rt.RMSProp, {"weight_decay": -1e-2}, ["weight_decay", "-0.01", "[0, inf)"]),
    (rt.RMSProp, {"initial_square_avg": -1.0}, ["initial_square_avg", "-1.0", "[0, inf)"]),
    (rt.RMSProp, {"nesterov": True}, ["nesterov", "momentum > 0", "got momentum=0"]),
    (rt.RMSProp, {"momentum": 1.5}, ["momentum", "1.5", "[0, 1)"]),
    (rt.RMSProp, {"centered": "yes"}, ["centered", "'yes'", "True or False"]),
    (rt.RMSProp, {"safe": 1}, ["safe", "1", "True or False"]),
    (rt.RMSProp, {"foreach": "no"}, ["foreach", "'no'", "True, False or None"]),
    (rt.RMSProp, {"differentiable": True, "foreach": True}, ["foreach", "differentiable"]),
    (rt.Adam, {"betas": (1.0, 0.999)}, ["betas[0]", "1.0", "[0, 1)"]),
    (rt.Adam, {"betas": (0.9, -0.1)}, ["betas[1]", "-0.1", "[0, 1)"]),
    (rt.Adam, {"betas": 0.9}, ["betas", "0.9", "pair"]),
    (rt.Adam, {"betas": ("0.9", 0.999)}, ["betas[0]", "'0.9'", "[0, 1)"]),
    (rt.Adam, {"eps": -1.0}, ["eps", "-1.0", "[0, inf)"]),
    (rt.Adam, {"eps_hat": None}, ["eps_hat", "None", "True or False"]),
    (rt.AdamW, {"weight_decay": -1e-2}, ["weight_decay", "-0.01", "[0, inf)"]),
    (rt.AdamW, {"amsgrad": "false"}, ["amsgrad", "'false'", "True or False"]),
    (rt.Adagrad, {"lr_decay": -0.1}, ["lr_decay", "-0.1", "[0, inf)"]),
    (rt.Adagrad, {"initial_accumulator_value": -1}, ["initial_accumulator_value", "-1"]),
    (rt.Adagrad, {"eps": "1e-10"}, ["eps", "'1e-10'", "[0, inf)"]),
    (rt.Momentum, {"momentum": -0.9}, ["momentum", "-0.9", "[0, 1)"]),
    (rt.Momentum, {"dampening": 1.5}, ["dampening", "1.5", "[0, 1]"]),
    (rt.Momentum, {"nesterov": True}, ["nesterov", "momentum=0"]),
    (
        rt.Momentum,
        {"momentum": 0.9, "dampening": 0.5, "nesterov": True},
        ["nesterov", "dampening=0.5", "dampening == 0"],
    ),
    (rt.Momentum, {"lr": -1e-3}, ["lr", "-0.001", "[0, inf)"]),
]


def make_param():
    return torch.zeros(3, requires_grad=True)


def test_the_table_has_at_least_12_bad_inputs_for_each_kind_of_mistake():
    assert len(BAD_ARGUMENTS) >= 12
    non_numbers = [kw for _, kw, _ in BAD_ARGUMENTS if any(isinstance(v, str) for v in kw.values())]
    assert len(non_numbers) >= 3


@pytest.mark.parametrize(
    "optimizer_class, kwargs, fragments",
    BAD_ARGUMENTS,
    ids=[f"{cls.__name__}-{kwargs}" for cls, kwargs, _ in BAD_ARGUMENTS],
)
def test_bad_argument_raises_value_error_naming_it(optimizer_class, kwargs, fragments):
    with pytest.raises(ValueError) as error:
        optimizer_class([make_param()], **kwargs)
    message = str(error.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize(
    "optimizer_class, kwargs",
    [
        (rt.RMSProp, {"lr": 0.0, "alpha": 0.0, "eps": 0.0, "momentum": 0.0}),
        (rt.RMSProp, {"lr": torch.tensor(0.01), "momentum": 0.999}),
        (rt.Adam, {"betas": [0.0, 0.0]}),
        (rt.Momentum, {"momentum": 0.5, "dampening": 1.0}),
        (rt.Adagrad, {"lr": 1, "initial_accumulator_value": 0}),
    ],
)
def test_edge_values_are_accepted(optimizer_class, kwargs):
    optimizer_class([make_param()], **kwargs)


@pytest.mark.parametrize(
    "optimizer_class, kwargs",
    [
        (rt.RMSProp, {"capturable": True}),
        (rt.Adam, {"fused": True}),
        (rt.Adam, {"capturable": True}),
        (rt.Adagrad, {"fused": True}),
        (rt.Momentum, {"fused": True}),
    ],
)
def test_torch_options_without_an_implementation_say_so(optimizer_class, kwargs):
    with pytest.raises(NotImplementedError, match=next(iter(kwargs))):
        optimizer_class([make_param()], **kwargs)


def test_sparse_gradients_are_rejected_at_step():
    param = torch.zeros(3, requires_grad=True)
    param.grad = torch.ones(3).to_sparse()
    with pytest.raises(RuntimeError, match="Adam does not support sparse"):
        rt.Adam([param]).step()


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"fused": True, "differentiable": True}, RuntimeError, "`fused` does not support"),
        ({"fused": True, "foreach": True}, RuntimeError, "`fused` and `foreach` cannot be"),
    ],
)
def test_combinations_torch_refuses_raise_torchs_error(kwargs, error, message):
    for optimizer_class in (torch.optim.Adam, rt.Adam):
        with pytest.raises(error, match=message):
            optimizer_class([make_param()], **kwargs)
