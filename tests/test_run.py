"""Tests for rmslab.run: recorded arrays, stopping rules and the vectorized sweep."""

import warnings

import numpy as np
import pytest

from rmslab import measure, optim, problems
from rmslab.run import LR_GRID, compared_methods, run, sweep


def gd_closed_form(lr, L, x0, steps):
    """GD on f = L/2 x^2: x_t = (1 - lr L)^t x0."""
    return x0 * (1.0 - lr * L) ** np.arange(steps + 1)


def test_gd_on_1d_quadratic_follows_the_closed_form():
    traj = run(optim.gd(lr=0.3), problems.quadratic_1d(L=2.0), steps=25)
    expected = gd_closed_form(0.3, 2.0, 1.0, 25)
    np.testing.assert_allclose(traj.xs[:, 0], expected, rtol=1e-12)
    np.testing.assert_allclose(traj.losses, expected**2, rtol=1e-12)
    np.testing.assert_allclose(traj.grad_norms, 2.0 * np.abs(expected[:-1]), rtol=1e-12)
    np.testing.assert_allclose(traj.effective_lr, 0.3)
    assert traj.steps == 25 and traj.diverged_at is None and traj.converged_at is None
    assert traj.xs.shape == (26, 1) and traj.effective_lr.shape == (25, 1)


def test_effective_lr_is_nan_where_the_gradient_is_zero():
    traj = run(optim.gd(lr=0.1), problems.scaled_quadratic([1.0, 3.0]), x0=[1.0, 0.0], steps=5)
    assert np.all(np.isnan(traj.effective_lr[:, 1]))
    np.testing.assert_allclose(traj.effective_lr[:, 0], 0.1)


def test_divergence_stops_at_the_first_bad_iterate_without_warnings():
    # x_t = (-2)^t, loss 4^t / 2: first t with loss > 1e6 is the smallest t > log4(2e6).
    expected = int(np.floor(np.log(2e6) / np.log(4.0))) + 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = run(optim.gd(lr=3.0), problems.quadratic_1d(), steps=100, divergence=1e6)
        overflow = run(optim.gd(lr=1e200), problems.quadratic_1d(), steps=50, divergence=np.inf)
    assert traj.diverged_at == expected and len(traj.losses) == expected
    assert traj.grad_norms.shape == (expected - 1,) and np.all(np.abs(traj.losses) <= 1e6)
    assert overflow.diverged_at is not None and np.all(np.isfinite(overflow.xs))


def test_tol_on_loss_gap_records_first_converged_step():
    lr, tol = 0.2, 1e-6
    gaps = 0.5 * gd_closed_form(lr, 1.0, 1.0, 500) ** 2
    expected = int(np.argmax(gaps <= tol))
    traj = run(optim.gd(lr=lr), problems.quadratic_1d(), steps=500, tol=tol)
    assert traj.converged_at == expected and len(traj.losses) == expected + 1
    assert traj.gaps[-1] <= tol < traj.gaps[-2]


class UnknownMinimum(problems.Problem):
    """f = x^2 / 2 with f* withheld, so tol falls back to the gradient norm."""

    def __init__(self):
        super().__init__("no f*", 1, [1.0])

    def loss(self, x, t=0):
        return 0.5 * self.check_x(x)[..., 0] ** 2

    def grad(self, x, t=0, rng=None):
        return self.check_x(x)


def test_tol_on_gradient_norm_when_minimum_unknown():
    traj = run(optim.gd(lr=0.5), UnknownMinimum(), steps=100, tol=1e-3)
    expected = int(np.argmax(0.5 ** np.arange(100) <= 1e-3))  # |g_t| = 0.5^t
    assert traj.converged_at == expected and traj.steps == expected


def test_stochastic_runs_are_deterministic_per_seed_and_batched():
    p = problems.noisy(problems.quadratic(), sigma=0.5)
    a, b = run(optim.gd(0.1), p, steps=30, seed=3), run(optim.gd(0.1), p, steps=30, seed=3)
    c = run(optim.gd(0.1), p, steps=30, seed=4)
    np.testing.assert_array_equal(a.xs, b.xs)
    assert not np.allclose(a.xs, c.xs)
    batch = run(optim.gd(0.1), problems.quadratic(), x0=np.ones((4, 2)), steps=10)
    assert batch.xs.shape == (11, 4, 2) and batch.losses.shape == (11, 4)
    assert batch.grad_norms.shape == (10, 4) and batch.effective_lr.shape == (10, 4, 2)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"steps": 0}, "steps"),
        ({"tol": -1.0}, "tol"),
        ({"divergence": 0.0}, "divergence"),
        ({"x0": [1.0, 2.0, 3.0]}, "shape"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        run(optim.gd(0.1), problems.quadratic(), **kwargs)


def rmsprop_loop_reference(lr, beta, eps, problem, steps, seed):
    """RMSProp written out by hand (torch form), one configuration."""
    rng = np.random.default_rng(seed)
    x, v = problem.x0.copy(), np.zeros(problem.dim)
    losses = [problem.loss(x)]
    for t in range(steps):
        g = problem.grad(x, t, rng)
        v = beta * v + (1 - beta) * g**2
        x = x - lr * g / (np.sqrt(v) + eps)
        losses.append(problem.loss(x, t + 1))
    return np.array(losses)


def test_sweep_equals_a_loop_of_runs_config_by_config():
    p = problems.noisy(problems.quadratic(kappa=30.0, angle=0.4), sigma=0.3)
    grid = {"lr": [1e-3, 3e-2, 0.3], "beta": [0.5, 0.9, 0.999]}
    result = sweep(optim.rmsprop, p, grid, seeds=(0, 1), steps=60, fixed={"eps": 1e-8})
    assert result.losses.shape == (61, 18) and result.shape == (3, 3, 2)
    for i in range(18):
        config = result.config(i)
        seed = config.pop("seed")
        traj = run(optim.rmsprop(eps=1e-8, **config), p, steps=60, seed=seed)
        np.testing.assert_allclose(result.losses[:, i], traj.losses, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(result.final_xs[i], traj.xs[-1], rtol=1e-12)
    by_hand = rmsprop_loop_reference(0.3, 0.9, 1e-8, p, 60, seed=1)
    i = int(
        np.flatnonzero(
            (result.params["lr"] == 0.3) & (result.params["beta"] == 0.9) & (result.seed == 1)
        )[0]
    )
    np.testing.assert_allclose(result.losses[:, i], by_hand, rtol=1e-10)


def test_sweep_divergence_is_per_config_and_at_the_right_step():
    # GD on L/2 x^2 with L = 1: lr in (0, 2) converges; lr = 3 gives x_t = (-2)^t.
    result = sweep(optim.gd, problems.quadratic_1d(), {"lr": [0.5, 3.0, 1.5]}, steps=40)
    expected = int(np.floor(np.log(2e6) / np.log(4.0))) + 1
    np.testing.assert_array_equal(result.diverged_at, [-1, expected, -1])
    assert np.all(np.isnan(result.losses[expected:, 1])) and np.isinf(result.final_losses[1])
    np.testing.assert_allclose(result.final_losses[[0, 2]], 0.5 * np.array([0.5, 0.5]) ** 80)
    mean, std = result.mean_over_seeds()
    assert np.isinf(mean[1]) and np.isnan(std[1]) and std[0] == 0.0
    assert result.best()["lr"] in (0.5, 1.5)


def test_sweep_tol_freezes_converged_configs_like_run():
    result = sweep(optim.gd, problems.quadratic_1d(), {"lr": [0.1, 0.5, 0.9]}, steps=300, tol=1e-8)
    for i, lr in enumerate([0.1, 0.5, 0.9]):
        traj = run(optim.gd(lr=lr), problems.quadratic_1d(), steps=300, tol=1e-8)
        assert result.converged_at[i] == traj.converged_at
        assert result.final_losses[i] == pytest.approx(traj.losses[-1], rel=1e-12)


def test_sweep_is_deterministic_and_seeds_matter():
    p = problems.noisy(problems.quadratic(), sigma=1.0)
    a, b = (sweep(optim.gd, p, {"lr": [0.1, 0.2]}, seeds=(0, 1), steps=20) for _ in range(2))
    np.testing.assert_array_equal(a.losses, b.losses)
    per_seed = a.final_losses.reshape(a.shape)
    assert not np.allclose(per_seed[..., 0], per_seed[..., 1])


@pytest.mark.parametrize(
    "grid, seeds, argument",
    [
        ({}, (0,), "grid"),
        ({"lr": []}, (0,), "lr"),
        ({"lr": [0.1]}, (), "seeds"),
        ({"lr": [0.1]}, (-1,), "seeds"),
    ],
)
def test_sweep_bad_arguments(grid, seeds, argument):
    with pytest.raises(ValueError, match=argument):
        sweep(optim.gd, problems.quadratic(), grid, seeds=seeds, steps=5)


def test_lr_schedule_equals_rebuilding_the_optimizer_by_hand():
    reddi = problems.reddi_counterexample(C=3.0)

    def make(lr):
        return optim.adam(lr=lr, betas=(0.0, 0.1), amsgrad=True)

    def schedule(t):
        return 0.5 / np.sqrt(t + 1)

    x = reddi.x0.copy()
    state = make(1.0).init(x)
    by_hand = [x]
    for t in range(300):
        x, state = make(schedule(t)).step(x, reddi.grad(x, t), state)
        x = reddi.project(x)
        by_hand.append(x)
    traj = run(make, reddi, steps=300, lr_schedule=schedule)
    assert np.array_equal(traj.xs, np.array(by_hand))
    # A constant schedule is the same as no schedule; a decaying one is not.
    constant = run(make, reddi, steps=300, lr_schedule=lambda t: 0.5)
    assert np.array_equal(constant.xs, run(make(0.5), reddi, steps=300).xs)
    assert not np.array_equal(constant.xs, traj.xs)


def test_lr_schedule_effective_step_follows_the_schedule():
    traj = run(
        lambda lr: optim.gd(lr=lr),
        problems.quadratic_1d(),
        steps=20,
        lr_schedule=lambda t: 0.1 / (t + 1),
    )
    assert np.allclose(traj.effective_lr[:, 0], 0.1 / np.arange(1, 21), rtol=1e-12)


@pytest.mark.parametrize(
    "optimizer, lr_schedule, message",
    [
        (lambda lr: optim.gd(lr=lr), None, "needs lr_schedule"),
        (optim.gd(lr=0.1), lambda t: 0.1, "must be a function lr -> Optimizer"),
        (lambda lr: optim.gd(lr=lr), 0.1, "lr_schedule must be a function t -> lr"),
        (lambda lr: lr, lambda t: 0.1, "optimizer\\(lr\\) must return"),
        ("rmsprop", None, "optimizer must be an rmslab.optim Optimizer"),
    ],
)
def test_lr_schedule_bad_combinations(optimizer, lr_schedule, message):
    with pytest.raises(TypeError, match=message):
        run(optimizer, problems.quadratic_1d(), steps=5, lr_schedule=lr_schedule)


def test_sweep_over_adam_beta2_through_a_wrapper_equals_a_loop():
    def adam_beta2(lr, beta2):
        return optim.adam(lr=lr, betas=(0.9, beta2))

    q = problems.quadratic(kappa=10)
    grid = {"lr": [0.01, 0.1], "beta2": [0.9, 0.999]}
    result = sweep(adam_beta2, q, grid, steps=50)
    for i in range(4):
        config = result.config(i)
        expected = run(adam_beta2(config["lr"], config["beta2"]), q, steps=50)
        assert np.allclose(result.final_xs[i], expected.xs[-1], rtol=1e-12, atol=0)


def test_lr_grid_is_thirteen_powers_of_ten_to_the_third_and_read_only():
    np.testing.assert_allclose(LR_GRID, 10.0 ** (-3 + np.arange(13) / 3), rtol=1e-14)
    with pytest.raises(ValueError, match="read-only"):
        LR_GRID[0] = 1.0


def test_compared_methods_take_two_steps_as_their_docstring_says():
    """Two steps on the constant gradient g = 2 with lr = 0.1, against each rule by hand."""
    lr, g = 0.1, 2.0
    expected = {
        "GD": (lr * g, lr * g),
        "momentum": (lr * g, lr * 1.9 * g),  # b = g, then 0.9 g + g
        "Adagrad": (lr * g / (g + 1e-10), lr * g / (np.sqrt(2) * g + 1e-10)),
        "RMSProp 0.9": tuple(lr * g / (np.sqrt(1 - 0.9**t) * g + 1e-8) for t in (1, 2)),
        "RMSProp 0.99": tuple(lr * g / (np.sqrt(1 - 0.99**t) * g + 1e-8) for t in (1, 2)),
    }
    methods = compared_methods()
    assert list(methods) == list(expected)
    for label, (factory, fixed) in methods.items():
        steps = measure.gradient_steps(factory(lr=lr, **fixed), np.full((2, 1), g))[:, 0]
        np.testing.assert_allclose(steps, expected[label], rtol=1e-12, err_msg=label)
    methods["GD"][1]["momentum"] = 0.5
    del methods["Adagrad"]
    assert compared_methods()["GD"] == (optim.gd, {}) and "Adagrad" in compared_methods()
