"""rmslab.optim update rules: parity with torch.optim, hand-written references, purity, dtypes.

Expected values come from torch.optim (float64) or from reference loops written here,
never from rmslab itself.
"""

import inspect
import itertools
import math

import numpy as np
import pytest

from rmslab import optim

torch = pytest.importorskip("torch")

DIM = 6
STEPS = 50


def gradient_sequence(maximize, seed=0, dtype=np.float64):
    """g_t(x) = A x + noise_t, A diagonal; -A when maximizing, so that runs stay bounded."""
    rng = np.random.default_rng(seed)
    scale = np.linspace(0.1, 3.0, DIM) * (-1.0 if maximize else 1.0)
    noise = rng.standard_normal((STEPS, DIM))
    x0 = rng.standard_normal(DIM)
    return x0.astype(dtype), (lambda x, t: (scale * x + noise[t]).astype(dtype))


def run_rmslab(opt, maximize, dtype=np.float64, seed=0):
    x, grad = gradient_sequence(maximize, seed, dtype)
    state = opt.init(x)
    for t in range(STEPS):
        x, state = opt.step(x, grad(x, t), state)
    return x, state


def run_torch(make, maximize, dtype=np.float64, seed=0):
    x0, grad = gradient_sequence(maximize, seed, dtype)
    param = torch.nn.Parameter(torch.from_numpy(x0.copy()))
    opt = make([param])
    for t in range(STEPS):
        param.grad = torch.from_numpy(grad(param.detach().numpy(), t))
        opt.step()
    return param.detach().numpy().copy(), opt.state[param]


def assert_close(actual, expected, tol):
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=tol * scale)


RMSPROP_GRID = list(
    itertools.product(
        [0.9, 0.99], [1e-8, 1e-2], [0.0, 1e-2], [0.0, 0.9], [False, True], [False, True]
    )
)


@pytest.mark.parametrize("alpha, eps, wd, mu, centered, maximize", RMSPROP_GRID)
def test_rmsprop_matches_torch_float64(alpha, eps, wd, mu, centered, maximize):
    kw = dict(lr=1e-2, eps=eps, weight_decay=wd, momentum=mu, centered=centered, maximize=maximize)
    x, state = run_rmslab(optim.rmsprop(beta=alpha, **kw), maximize)
    x_ref, torch_state = run_torch(lambda p: torch.optim.RMSprop(p, alpha=alpha, **kw), maximize)
    assert_close(x, x_ref, 1e-12)
    assert_close(state.square_avg, torch_state["square_avg"].numpy(), 1e-12)
    assert (state.grad_avg is not None) == ("grad_avg" in torch_state) == centered
    assert (state.momentum_buffer is not None) == ("momentum_buffer" in torch_state) == (mu > 0)
    assert state.step == int(torch_state["step"]) == STEPS


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(centered=True, momentum=0.9, weight_decay=1e-2),
        dict(eps=1e-2, maximize=True, momentum=0.5),
    ],
)
def test_rmsprop_matches_torch_float32(kw):
    maximize = kw.get("maximize", False)
    x, state = run_rmslab(optim.rmsprop(**kw), maximize, dtype=np.float32)
    x_ref, _ = run_torch(lambda p: torch.optim.RMSprop(p, **kw), maximize, dtype=np.float32)
    assert x.dtype == state.square_avg.dtype == np.float32
    np.testing.assert_allclose(x, x_ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "amsgrad, wd, maximize, eps, decoupled",
    list(itertools.product([False, True], [0.0, 1e-2], [False, True], [1e-8, 1e-2], [False, True])),
)
def test_adam_matches_torch_float64(amsgrad, wd, maximize, eps, decoupled):
    kw = dict(
        lr=1e-2,
        eps=eps,
        weight_decay=wd,
        amsgrad=amsgrad,
        maximize=maximize,
        decoupled_weight_decay=decoupled,
    )
    x, state = run_rmslab(optim.adam(betas=(0.8, 0.95), **kw), maximize)
    x_ref, torch_state = run_torch(lambda p: torch.optim.Adam(p, betas=(0.8, 0.95), **kw), maximize)
    assert_close(x, x_ref, 1e-12)
    assert_close(state.exp_avg_sq, torch_state["exp_avg_sq"].numpy(), 1e-12)
    assert (state.max_exp_avg_sq is not None) == amsgrad


@pytest.mark.parametrize("kw", [dict(), dict(weight_decay=0.1, amsgrad=True, maximize=True)])
def test_adamw_matches_torch_float64(kw):
    maximize = kw.get("maximize", False)
    x, _ = run_rmslab(optim.adamw(lr=1e-2, **kw), maximize)
    x_ref, _ = run_torch(lambda p: torch.optim.AdamW(p, lr=1e-2, **kw), maximize)
    assert_close(x, x_ref, 1e-12)
    assert (
        optim.adamw().hyperparams["weight_decay"]
        == torch.optim.AdamW([torch.zeros(1, requires_grad=True)]).defaults["weight_decay"]
    )


@pytest.mark.parametrize(
    "lr_decay, wd, init, eps, maximize",
    list(itertools.product([0.0, 1e-2], [0.0, 1e-2], [0.0, 0.1], [1e-10, 1e-2], [False, True])),
)
def test_adagrad_matches_torch_float64(lr_decay, wd, init, eps, maximize):
    kw = dict(
        lr=0.1,
        lr_decay=lr_decay,
        weight_decay=wd,
        initial_accumulator_value=init,
        eps=eps,
        maximize=maximize,
    )
    x, state = run_rmslab(optim.adagrad(**kw), maximize)
    x_ref, torch_state = run_torch(lambda p: torch.optim.Adagrad(p, **kw), maximize)
    assert_close(x, x_ref, 1e-12)
    assert_close(state.sum, torch_state["sum"].numpy(), 1e-12)


SGD_GRID = [
    c
    for c in itertools.product([0.0, 0.9], [0.0, 0.5], [False, True], [0.0, 1e-2], [False, True])
    if not (c[2] and (c[0] == 0 or c[1]))
]


@pytest.mark.parametrize("mu, dampening, nesterov, wd, maximize", SGD_GRID)
def test_momentum_and_gd_match_torch_sgd(mu, dampening, nesterov, wd, maximize):
    kw = dict(
        lr=1e-2,
        momentum=mu,
        dampening=dampening,
        nesterov=nesterov,
        weight_decay=wd,
        maximize=maximize,
    )
    x, state = run_rmslab(optim.momentum(**kw), maximize)
    x_ref, torch_state = run_torch(lambda p: torch.optim.SGD(p, **kw), maximize)
    assert_close(x, x_ref, 1e-12)
    if mu > 0:
        assert_close(state.momentum_buffer, torch_state["momentum_buffer"].numpy(), 1e-12)
    else:
        assert state.momentum_buffer is None
        x_gd, _ = run_rmslab(optim.gd(lr=1e-2, weight_decay=wd, maximize=maximize), maximize)
        assert_close(x_gd, x_ref, 1e-12)


def test_bias_corrected_rmsprop_is_torch_adam_with_beta1_zero():
    x, _ = run_rmslab(optim.rmsprop(lr=1e-2, beta=0.99, bias_correction=True), False)
    x_ref, _ = run_torch(lambda p: torch.optim.Adam(p, lr=1e-2, betas=(0.0, 0.99)), False)
    assert_close(x, x_ref, 1e-12)


# ---------------------------------------------------------------------------------------
# Options torch does not have: a scalar reference written from the formulas, coordinate by
# coordinate, in plain Python floats.


def reference_rmsprop(
    x0,
    grad,
    steps,
    *,
    lr,
    beta,
    eps,
    eps_in_sqrt,
    v0,
    centered,
    mu,
    nesterov,
    lr_in_momentum,
    wd,
    decoupled,
    maximize,
    bias_correction,
):
    x = [float(a) for a in x0]
    n = len(x)
    v, m, b = [v0] * n, [0.0] * n, [0.0] * n
    for t in range(1, steps + 1):
        g_all = grad(np.array(x), t - 1)
        for i in range(n):
            gi = -g_all[i] if maximize else g_all[i]
            if decoupled:
                x[i] -= lr * wd * x[i]
            else:
                gi += wd * x[i]
            v[i] = beta * v[i] + (1 - beta) * gi**2
            m[i] = beta * m[i] + (1 - beta) * gi
            c = 1 - beta**t if bias_correction else 1.0
            var = v[i] / c - ((m[i] / c) ** 2 if centered else 0.0)
            denom = math.sqrt(var + eps) if eps_in_sqrt else math.sqrt(var) + eps
            scaled = gi / denom
            if mu == 0:
                x[i] -= lr * scaled
            elif lr_in_momentum:
                b[i] = mu * b[i] + lr * scaled
                x[i] -= lr * scaled + mu * b[i] if nesterov else b[i]
            else:
                b[i] = mu * b[i] + scaled
                x[i] -= lr * (scaled + mu * b[i]) if nesterov else lr * b[i]
    return np.array(x)


OPTION_GRID = [
    dict(eps_in_sqrt=True),
    dict(v0=1.0, eps_in_sqrt=True, eps=1e-10, mu=0.9, lr_in_momentum=True),
    dict(mu=0.9, nesterov=True),
    dict(mu=0.9, nesterov=True, lr_in_momentum=True, centered=True),
    dict(wd=0.05, decoupled=True, mu=0.5, lr_in_momentum=True),
    dict(wd=0.05, decoupled=True, maximize=True),
    dict(bias_correction=True, centered=True, eps_in_sqrt=True),
    dict(bias_correction=True, mu=0.9),
    dict(centered=True, v0=0.5, maximize=True, wd=0.01),
]


@pytest.mark.parametrize("options", OPTION_GRID)
def test_rmsprop_options_match_scalar_reference(options):
    ref = dict(
        lr=1e-2,
        beta=0.9,
        eps=1e-6,
        eps_in_sqrt=False,
        v0=0.0,
        centered=False,
        mu=0.0,
        nesterov=False,
        lr_in_momentum=False,
        wd=0.0,
        decoupled=False,
        maximize=False,
        bias_correction=False,
    )
    ref.update(options)
    names = dict(
        v0="initial_square_avg",
        mu="momentum",
        wd="weight_decay",
        decoupled="decoupled_weight_decay",
    )
    opt = optim.rmsprop(**{names.get(k, k): v for k, v in ref.items()})
    x, _ = run_rmslab(opt, ref["maximize"])
    x0, grad = gradient_sequence(ref["maximize"])
    assert_close(x, reference_rmsprop(x0, grad, STEPS, **ref), 1e-12)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_eps_hat_matches_keras_formula(amsgrad):
    lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-7
    x, _ = run_rmslab(optim.adam(lr, (b1, b2), eps, amsgrad=amsgrad, eps_hat=True), False)
    x_ref, grad = gradient_sequence(False)
    m, v, v_hat = (np.zeros(DIM) for _ in range(3))
    for t in range(1, STEPS + 1):  # keras/src/optimizers/adam.py, written out
        g = grad(x_ref, t - 1)
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        v_hat = np.maximum(v_hat, v)
        x_ref = x_ref - (m * alpha) / (np.sqrt(v_hat if amsgrad else v) + eps)
    assert_close(x, x_ref, 1e-12)


# ---------------------------------------------------------------------------------------
# Structure: purity, state names, dtypes, vectorised hyperparameters.

FULL_OPTIONS = {
    "gd": lambda: optim.gd(lr=0.1, weight_decay=0.1),
    "momentum": lambda: optim.momentum(lr=0.1, nesterov=True, weight_decay=0.1),
    "adagrad": lambda: optim.adagrad(weight_decay=0.1, initial_accumulator_value=0.1),
    "rmsprop": lambda: optim.rmsprop(centered=True, momentum=0.9, weight_decay=0.1),
    "adam": lambda: optim.adam(amsgrad=True, weight_decay=0.1),
    "adamw": lambda: optim.adamw(amsgrad=True),
}


def read_only(state):
    for value in state:
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return state


@pytest.mark.parametrize("name", sorted(FULL_OPTIONS))
def test_step_is_pure(name):
    opt = FULL_OPTIONS[name]()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4))
    state = opt.init(x)
    for _ in range(3):  # several steps: buffers exist from step 1 on
        g = rng.standard_normal((3, 4))
        copies = [np.copy(a) for a in (x, g)], [None if v is None else np.copy(v) for v in state]
        x.setflags(write=False)
        g.setflags(write=False)
        x_new, new_state = opt.step(x, g, read_only(state))
        np.testing.assert_array_equal(x, copies[0][0])
        np.testing.assert_array_equal(g, copies[0][1])
        for before, after in zip(copies[1], state, strict=True):
            np.testing.assert_array_equal(after, before)
        assert x_new is not x and new_state is not state
        x, state = x_new.copy(), new_state


@pytest.mark.parametrize("name", sorted(FULL_OPTIONS))
def test_new_state_does_not_alias_the_gradient(name):
    opt = FULL_OPTIONS[name]()
    x, g = np.ones(4), np.full(4, 0.5)
    _, state = opt.step(x, g, opt.init(x))
    snapshot = [None if v is None else np.copy(v) for v in state]
    g[:] = 123.0  # the caller reuses its gradient buffer
    for before, after in zip(snapshot, state, strict=True):
        np.testing.assert_array_equal(after, before)


def test_state_fields_use_torch_names():
    assert optim.RMSPropState._fields == ("square_avg", "grad_avg", "momentum_buffer", "step")
    assert optim.AdamState._fields == ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step")
    assert optim.AdagradState._fields == ("sum", "step")
    assert optim.MomentumState._fields == ("momentum_buffer", "step")
    assert optim.GDState._fields == ("step",)
    x = np.zeros(3)
    plain = optim.rmsprop().init(x)
    assert plain.grad_avg is None and plain.momentum_buffer is None and plain.step == 0
    assert optim.adam().init(x).max_exp_avg_sq is None
    assert optim.momentum().init(x).momentum_buffer is None  # created at step 1, as torch


@pytest.mark.parametrize("name", sorted(FULL_OPTIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(name, dtype):
    opt = FULL_OPTIONS[name]()
    x = np.ones(5, dtype=dtype)
    x_new, state = opt.step(x, np.full(5, 0.25, dtype=dtype), opt.init(x))
    assert x_new.dtype == dtype
    assert all(v.dtype == dtype for v in state if isinstance(v, np.ndarray))


def test_integer_x_is_promoted_to_float64():
    opt = optim.gd(lr=0.5)
    x_new, _ = opt.step(np.array([1, 2]), np.array([1, 1]), opt.init(np.array([1, 2])))
    np.testing.assert_array_equal(x_new, [0.5, 1.5])


@pytest.mark.parametrize(
    "factory, grid",
    [
        (
            optim.rmsprop,
            dict(lr=[1e-3, 1e-2, 3e-2], beta=[0.5, 0.9, 0.99], momentum=[0.0, 0.5, 0.9]),
        ),
        (optim.adam, dict(lr=[1e-3, 1e-2, 3e-2], eps=[1e-8, 1e-3, 1e-1])),
        (optim.adagrad, dict(lr=[0.1, 0.5, 1.0], initial_accumulator_value=[0.0, 0.1, 1.0])),
        (optim.momentum, dict(momentum=[0.0, 0.5, 0.9], dampening=[0.5, 0.5, 0.5])),
    ],
)
def test_array_hyperparameters_equal_separate_runs(factory, grid):
    n = 3
    columns = {k: np.array(v)[:, None] for k, v in grid.items()}
    opt = factory(**columns)
    x0, grad = gradient_sequence(False)
    xs = np.tile(x0, (n, 1))
    state = opt.init(xs)
    for t in range(STEPS):
        xs, state = opt.step(xs, grad(xs, t), state)
    for i in range(n):
        x, _ = run_rmslab(factory(**{k: v[i] for k, v in grid.items()}), False)
        assert_close(xs[i], x, 1e-13)


def test_step_source_is_the_algorithm():
    source = inspect.getsource(optim.rmsprop().step)
    assert source.lstrip().startswith("def update(")
    assert "np.sqrt" in source and "beta" in source
    for factory in (
        optim.gd,
        optim.momentum,
        optim.adagrad,
        optim.rmsprop,
        optim.adam,
        optim.adamw,
    ):
        assert "def update(" in inspect.getsource(factory().step)
        assert ".. math::" in factory.__doc__ and "Conventions" in factory.__doc__


def test_optimizer_metadata():
    opt = optim.rmsprop(lr=0.05, centered=True)
    assert isinstance(opt, optim.Optimizer)
    assert opt.name == "rmsprop"
    assert opt.hyperparams["lr"] == 0.05 and opt.hyperparams["centered"] is True
    assert opt.hyperparams["beta"] == 0.99 and opt.hyperparams["initial_square_avg"] == 0.0
    assert optim.adam(betas=(0.5, 0.6)).hyperparams["betas"] == (0.5, 0.6)
    assert optim.adamw().name == "adamw"
