"""Presets: each is checked against that framework's rule, written out independently here
(from the framework files each preset's ``source`` names: torch 2.13 torch/optim/rmsprop.py, TF1
training_ops.cc, Keras 3 keras/src/optimizers/rmsprop.py, optax transform.py, the lecture slide)."""

import math

import numpy as np
import pytest

from rmslab import optim

STEPS = 60
SCALE = np.array([0.2, 1.0, 3.0, 0.0, 0.5])  # coordinate 3 always has a zero gradient


def gradients(seed=0):
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((STEPS, SCALE.size)) * (SCALE > 0)
    x0 = rng.standard_normal(SCALE.size)
    return x0, lambda x, t: SCALE * x + 0.3 * noise[t]


def run(opt, seed=0):
    x, grad = gradients(seed)
    state = opt.init(x)
    for t in range(STEPS):
        x, state = opt.step(x, grad(x, t), state)
    return x


def run_formula(rule, seed=0):
    """rule(x, g, memory, t) -> x_new, where memory is a dict the rule may fill."""
    x, grad = gradients(seed)
    memory = {}
    for t in range(1, STEPS + 1):
        x = rule(x, grad(x, t - 1), memory, t)
    return x


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def torch_rule(lr, alpha=0.99, eps=1e-8, momentum=0.0, centered=False):
    # torch/optim/rmsprop.py, _single_tensor_rmsprop
    def rule(x, g, mem, t):
        v = mem["v"] = alpha * mem.get("v", 0.0) + (1 - alpha) * g**2
        if centered:
            ga = mem["ga"] = mem.get("ga", 0.0) + (g - mem.get("ga", 0.0)) * (1 - alpha)
            avg = np.sqrt(v - ga * ga) + eps
        else:
            avg = np.sqrt(v) + eps
        if momentum > 0:
            buf = mem["buf"] = momentum * mem.get("buf", 0.0) + g / avg
            return x - lr * buf
        return x - lr * g / avg

    return rule


def tf1_rule(lr, rho=0.9, eps=1e-10, momentum=0.0, centered=False):
    # tensorflow/core/kernels/training_ops.cc ApplyRMSProp / ApplyCenteredRMSProp,
    # with the "rms" slot initialised to ones (training/rmsprop.py)
    def rule(x, g, mem, t):
        ms = mem["ms"] = mem.get("ms", 1.0) + (g * g - mem.get("ms", 1.0)) * (1 - rho)
        if centered:
            mg = mem["mg"] = mem.get("mg", 0.0) + (g - mem.get("mg", 0.0)) * (1 - rho)
            denom = ms - mg * mg + eps
        else:
            denom = ms + eps
        mom = mem["mom"] = mem.get("mom", 0.0) * momentum + lr * g / np.sqrt(denom)
        return x - mom

    return rule


def keras_rule(lr=1e-3, rho=0.9, eps=1e-7, momentum=0.0, centered=False, weight_decay=0.0):
    # keras/src/optimizers/rmsprop.py update_step, base_optimizer._apply_weight_decay
    def rule(x, g, mem, t):
        x = x - x * weight_decay * lr
        velocity = mem["vel"] = rho * mem.get("vel", 0.0) + (1 - rho) * np.square(g)
        if centered:
            avg = mem["avg"] = rho * mem.get("avg", 0.0) + (1 - rho) * g
            denominator = velocity - np.square(avg) + eps
        else:
            denominator = velocity + eps
        increment = lr * g / np.sqrt(denominator)
        if momentum > 0:
            mom = mem["mom"] = momentum * mem.get("mom", 0.0) + increment
            return x - mom
        return x - increment

    return rule


def optax_rule(lr, decay=0.9, eps=1e-8, momentum=None, nesterov=False):
    # optax rmsprop = chain(scale_by_rms(eps_in_sqrt=True), scale_by_learning_rate, trace)
    def rule(x, g, mem, t):
        nu = mem["nu"] = (1 - decay) * g**2 + decay * mem.get("nu", 0.0)
        updates = -lr * (g * (1 / np.sqrt(nu + eps)))
        if momentum is not None:
            trace = mem["trace"] = updates + momentum * mem.get("trace", 0.0)
            updates = updates + momentum * trace if nesterov else trace
        return x + updates

    return rule


def hinton_rule(lr):
    # Lecture 6e slide: MeanSquare(w, t) = 0.9 MeanSquare(w, t-1) + 0.1 (dE/dw)^2,
    # divide the gradient by sqrt(MeanSquare(w, t)); no eps on the slide.
    def rule(x, g, mem, t):
        ms = mem["ms"] = 0.9 * mem.get("ms", 0.0) + 0.1 * g**2
        step = np.zeros_like(x)
        seen = ms > 0
        step[seen] = lr * g[seen] / np.sqrt(ms[seen])
        return x - step

    return rule


def dqn_rule(lr=2.5e-4):
    # deepmind/dqn NeuralQLearner.lua: g = 0.95 g + 0.05 dw; g2 = 0.95 g2 + 0.05 dw^2;
    # tmp = sqrt(g2 - g^2 + 0.01); w += lr * dw / tmp (dw is the negative gradient there)
    def rule(x, g, mem, t):
        gm = mem["g"] = 0.95 * mem.get("g", 0.0) + 0.05 * g
        g2 = mem["g2"] = 0.95 * mem.get("g2", 0.0) + 0.05 * g * g
        return x - lr * g / np.sqrt(g2 - gm * gm + 0.01)

    return rule


CASES = [
    ("torch", dict(), torch_rule(1e-2)),
    ("torch", dict(momentum=0.9, centered=True), torch_rule(1e-2, momentum=0.9, centered=True)),
    ("tf1", dict(), tf1_rule(1e-3)),
    ("tf1", dict(lr=1e-2, momentum=0.9), tf1_rule(1e-2, momentum=0.9)),
    ("tf1", dict(lr=1e-2, centered=True), tf1_rule(1e-2, centered=True)),
    ("keras", dict(), keras_rule()),
    (
        "keras",
        dict(lr=1e-2, momentum=0.9, weight_decay=0.05),
        keras_rule(1e-2, momentum=0.9, weight_decay=0.05),
    ),
    ("keras", dict(centered=True), keras_rule(centered=True)),
    ("optax", dict(), optax_rule(1e-3)),
    ("optax", dict(lr=1e-2, momentum=0.9), optax_rule(1e-2, momentum=0.9)),
    (
        "optax",
        dict(lr=1e-2, momentum=0.9, nesterov=True),
        optax_rule(1e-2, momentum=0.9, nesterov=True),
    ),
    ("hinton", dict(), hinton_rule(1e-3)),
    ("hinton", dict(lr=0.05), hinton_rule(0.05)),
    ("dqn", dict(), dqn_rule()),
    ("dqn", dict(lr=0.1), dqn_rule(0.1)),
]


@pytest.mark.parametrize("name, overrides, rule", CASES)
def test_rmsprop_preset_matches_framework_formula(name, overrides, rule):
    x = run(optim.rmsprop_preset(name, **overrides))
    close(x, run_formula(rule))


def test_hinton_preset_leaves_zero_gradient_coordinates_alone():
    x0, _ = gradients()
    x = run(optim.rmsprop_preset("hinton"))
    assert np.all(np.isfinite(x))
    assert x[3] == x0[3]  # g == 0 forever: MeanSquare == 0, no step


def test_torch_preset_is_the_default():
    assert {
        k: v for k, v in optim.PRESETS["torch"].items() if k != "source"
    }.items() <= optim.rmsprop().hyperparams.items()


def adagrad_torch_rule(lr=1e-2, eps=1e-10):
    def rule(x, g, mem, t):  # torch/optim/adagrad.py, dense branch, lr_decay = 0
        s = mem["s"] = mem.get("s", 0.0) + g * g
        return x - lr * g / (np.sqrt(s) + eps)

    return rule


def adagrad_optax_rule(lr, init=0.1, eps=1e-7):
    def rule(x, g, mem, t):  # optax scale_by_rss: where(s > 0, g * rsqrt(s + eps), 0)
        s = mem["s"] = mem.get("s", init) + g * g
        scaled = np.where(s > 0, g * (1 / np.sqrt(s + eps)), 0.0)
        return x - lr * scaled

    return rule


@pytest.mark.parametrize(
    "name, overrides, rule",
    [
        ("torch", dict(), adagrad_torch_rule()),
        ("torch", dict(lr=0.5), adagrad_torch_rule(lr=0.5)),
        ("optax", dict(), adagrad_optax_rule(1e-2)),
        ("optax", dict(lr=0.3, initial_accumulator_value=0.0), adagrad_optax_rule(0.3, init=0.0)),
        (
            "optax",
            dict(eps=0.0, initial_accumulator_value=0.0),
            adagrad_optax_rule(1e-2, init=0.0, eps=0.0),
        ),
    ],
)
def test_adagrad_preset_matches_framework_formula(name, overrides, rule):
    with np.errstate(all="ignore"):  # the optax rule computes 0/0 before `where`
        expected = run_formula(rule)
    close(run(optim.adagrad_preset(name, **overrides)), expected)


@pytest.mark.parametrize(
    "table, factory", [(optim.PRESETS, optim.rmsprop), (optim.ADAGRAD_PRESETS, optim.adagrad)]
)
def test_preset_tables_are_printable_and_valid(table, factory):
    for entry in table.values():
        assert isinstance(entry["source"], str) and len(entry["source"]) > 40
        keywords = {k: v for k, v in entry.items() if k != "source"}
        assert keywords.items() <= factory(**keywords).hyperparams.items()


def test_rmsprop_presets_cover_the_contract_names():
    assert set(optim.PRESETS) == {"torch", "tf1", "keras", "optax", "hinton", "dqn"}
    assert set(optim.ADAGRAD_PRESETS) == {"torch", "optax"}
    assert (
        "lr" in optim.PRESETS["hinton"]["source"]
        or "learning rate" in optim.PRESETS["hinton"]["source"]
    )


def test_overrides_win_and_name_mentions_the_preset():
    opt = optim.rmsprop_preset("keras", lr=0.5, momentum=0.9)
    assert opt.hyperparams["lr"] == 0.5 and opt.hyperparams["momentum"] == 0.9
    assert opt.hyperparams["eps"] == 1e-7 and opt.hyperparams["eps_in_sqrt"] is True
    assert opt.name == "rmsprop (keras)"
    assert optim.adagrad_preset("optax").name == "adagrad (optax)"


def test_unknown_preset_names_the_choices():
    with pytest.raises(ValueError, match=r"one of \[.*'hinton'.*\], got 'caffe'"):
        optim.rmsprop_preset("caffe")
    with pytest.raises(ValueError, match="optax"):
        optim.adagrad_preset("keras")


def test_presets_differ_where_the_frameworks_do():
    # one step from v0 at g = 1e-4: eps inside vs outside the root, and TF1's v0 = 1
    g = np.array([1e-4])
    steps = {}
    for name in ("torch", "tf1", "keras", "optax"):
        opt = optim.rmsprop_preset(name, lr=1.0, beta=0.9)
        steps[name] = -opt.step(np.zeros(1), g, opt.init(np.zeros(1)))[0][0]
    assert steps["torch"] == pytest.approx(1e-4 / (math.sqrt(0.1) * 1e-4 + 1e-8), rel=1e-12)
    assert steps["keras"] == pytest.approx(1e-4 / math.sqrt(0.1 * 1e-8 + 1e-7), rel=1e-12)
    assert steps["tf1"] == pytest.approx(1e-4 / math.sqrt(0.9 + 0.1 * 1e-8 + 1e-10), rel=1e-12)
    assert steps["optax"] == pytest.approx(1e-4 / math.sqrt(0.1 * 1e-8 + 1e-8), rel=1e-12)


def test_dqn_preset_is_centered_with_eps_inside_the_root():
    # first step from zero averages: v = 0.05 g^2, gbar = 0.05 g, so v - gbar^2 = 0.0475 g^2
    opt = optim.rmsprop_preset("dqn", lr=1.0)
    for g in (1e-3, 1.0, 100.0):
        step = -opt.step(np.zeros(1), np.array([g]), opt.init(np.zeros(1)))[0][0]
        assert step == pytest.approx(g / math.sqrt(0.0475 * g * g + 0.01), rel=1e-12)
    assert optim.PRESETS["dqn"]["lr"] == 2.5e-4 and "Mnih" in optim.PRESETS["dqn"]["source"]
