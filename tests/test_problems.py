"""Tests for rmslab.problems: analytic gradients vs finite differences and torch, batching,
minimizers, the documented shapes of the landscapes, stochastic and time-varying problems."""

import re

import numpy as np
import pytest

from rmslab import optim, problems
from rmslab.run import run, sweep


def central_differences(f, x, h=1e-6):
    """Central finite-difference gradient of a scalar function f at x (shape (dim,))."""
    grad = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


WITH_MINIMUM = {
    "quadratic": lambda: problems.quadratic(kappa=50.0, angle=0.7),
    "quadratic_5d": lambda: problems.quadratic(kappa=100.0, dim=5, angle=0.3, L=2.0),
    "quadratic_1d": lambda: problems.quadratic_1d(L=3.0),
    "scaled_quadratic": lambda: problems.scaled_quadratic([1.0, 100.0, 0.01]),
    "rosenbrock": lambda: problems.rosenbrock(a=0.5, b=20.0),
    "plateau_cliff": problems.plateau_cliff,
    "sparse_logistic": lambda: problems.sparse_logistic(n=300, dim=8, seed=2),
}
TIME_VARYING = {
    "moving_jump": lambda: problems.moving_minimum("jump", period=5, scales=[1.0, 3.0, 0.5]),
    "moving_drift": lambda: problems.moving_minimum("drift", period=12, scales=[2.0, 1.0]),
    "reddi": lambda: problems.reddi_counterexample(C=4.0),
}
ALL = {**WITH_MINIMUM, **TIME_VARYING}


@pytest.fixture(params=sorted(ALL))
def any_problem(request):
    return ALL[request.param]()


@pytest.fixture(params=sorted(WITH_MINIMUM))
def problem(request):
    return WITH_MINIMUM[request.param]()


def test_gradient_matches_finite_differences(any_problem):
    p, rng = any_problem, np.random.default_rng(0)
    for t in (0, 7, 8):
        x = p.x0 + rng.normal(size=p.dim)
        numeric = central_differences(lambda z, t=t: p.loss(z, t), x)
        np.testing.assert_allclose(p.grad(x, t), numeric, rtol=1e-6, atol=1e-7)


def test_batched_shapes_and_rows_match_single_calls(any_problem):
    p = any_problem
    x = np.random.default_rng(1).normal(size=(3, 4, p.dim))
    losses, grads = p.loss(x, 4), p.grad(x, 4)
    assert losses.shape == (3, 4) and grads.shape == (3, 4, p.dim)
    np.testing.assert_allclose(losses[2, 1], p.loss(x[2, 1], 4), rtol=1e-14)
    np.testing.assert_allclose(grads[0, 3], p.grad(x[0, 3], 4), rtol=1e-14)
    assert p.x0.shape == (p.dim,) and (p.bounds is None) == (p.dim != 2)


def test_minimizer_has_zero_gradient_and_min_value(problem):
    assert np.allclose(problem.grad(problem.minimizer), 0.0, atol=1e-12)
    assert problem.loss(problem.minimizer) == pytest.approx(problem.min_value, abs=1e-12)
    assert problem.loss(problem.x0) > problem.min_value
    nearby = problem.minimizer + 1e-3 * np.random.default_rng(5).normal(size=(20, problem.dim))
    assert np.all(problem.loss(nearby) > problem.min_value)


def test_wrong_last_axis_is_rejected(any_problem):
    with pytest.raises(ValueError, match=f"shape \\(..., {any_problem.dim}\\)"):
        any_problem.loss(np.zeros(any_problem.dim + 1))


def test_quadratic_eigenvalues_and_rotated_eigenvectors():
    kappa, L, angle = 25.0, 2.0, np.pi / 6
    q = problems.quadratic(kappa=kappa, dim=3, angle=angle, L=L)
    np.testing.assert_allclose(np.linalg.eigvalsh(q.A), [L / kappa, L / 5.0, L], rtol=1e-12)
    assert (q.mu, q.L, q.kappa) == pytest.approx((L / kappa, L, kappa))
    flat = np.array([np.cos(angle), np.sin(angle), 0.0])
    np.testing.assert_allclose(q.A @ flat, (L / kappa) * flat, atol=1e-12)
    assert q.bounds is None and np.array_equal(q.x0, np.ones(3))


def test_quadratic_formulas_by_hand():
    x = np.array([0.5, -2.0])
    q = problems.quadratic(kappa=4.0)
    assert q.loss(x) == pytest.approx(0.5 * (0.25 * 0.25 + 1.0 * 4.0))
    assert problems.quadratic_1d(L=3.0).loss(np.array([2.0])) == pytest.approx(6.0)
    s = problems.scaled_quadratic([2.0, 8.0])
    np.testing.assert_allclose(s.grad(x), [1.0, -16.0])
    assert s.kappa == pytest.approx(4.0)
    assert q.bounds[0][0] < q.x0[0] < q.bounds[0][1] and q.bounds[1][0] < q.x0[1] < q.bounds[1][1]


@pytest.mark.parametrize(
    "factory, kwargs, argument",
    [
        (problems.quadratic, {"kappa": 0.5}, "kappa"),
        (problems.quadratic, {"dim": 1}, "dim"),
        (problems.quadratic, {"L": -1.0}, "L"),
        (problems.quadratic, {"angle": np.inf}, "angle"),
        (problems.quadratic_1d, {"L": 0.0}, "L"),
        (problems.scaled_quadratic, {"scales": []}, "scales"),
        (problems.scaled_quadratic, {"scales": [1.0, -2.0]}, "scales"),
        (problems.noisy, {"problem": problems.quadratic(), "sigma": -1.0}, "sigma"),
        (problems.noisy, {"problem": problems.quadratic(), "kind": "pink"}, "kind"),
        (problems.rosenbrock, {"b": 0.0}, "b"),
        (problems.plateau_cliff, {"slope": -1.0}, "slope"),
        (problems.sparse_logistic, {"dim": 0}, "dim"),
        (problems.sparse_logistic, {"n": 1}, "n"),
        (problems.sparse_logistic, {"reg": 0.0}, "reg"),
        (
            problems.minibatch,
            {"problem": problems.sparse_logistic(n=50), "batch_size": 51},
            "batch_size",
        ),
        (problems.moving_minimum, {"move": "teleport"}, "move"),
        (problems.moving_minimum, {"period": 0}, "period"),
        (problems.moving_minimum, {"move": "drift", "scales": [1.0]}, "scales"),
        (problems.reddi_counterexample, {"C": 2.0}, "C"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(factory, kwargs, argument):
    # Anchored: a bare match="b" or "n" would accept any message (e.g. "a must be ...").
    with pytest.raises(ValueError, match=rf"^{re.escape(argument)} must "):
        factory(**kwargs)


@pytest.mark.parametrize("kind", ["additive", "multiplicative"])
def test_noisy_gradient_is_unbiased_with_requested_spread(kind):
    base = problems.scaled_quadratic([1.0, 4.0])
    p = problems.noisy(base, sigma=0.5, kind=kind)
    x = np.tile([1.0, -2.0], (20000, 1))
    g = p.grad(x, rng=np.random.default_rng(0))
    exact = base.grad(x[0])
    expected_std = 0.5 * (np.ones(2) if kind == "additive" else np.abs(exact))
    np.testing.assert_allclose(g.mean(axis=0), exact, atol=4 * expected_std.max() / np.sqrt(2e4))
    np.testing.assert_allclose(g.std(axis=0), expected_std, rtol=0.03)
    assert p.stochastic and p.loss(x[0]) == base.loss(x[0]) and p.kappa == base.kappa


def test_multiplicative_noise_vanishes_at_the_minimizer():
    p = problems.noisy(problems.quadratic(), sigma=2.0, kind="multiplicative")
    assert np.array_equal(p.grad(p.minimizer, rng=np.random.default_rng(3)), np.zeros(2))


def test_noisy_rng_rules():
    p = problems.noisy(problems.quadratic(), sigma=1.0)
    x = np.zeros((3, 2))
    with pytest.raises(ValueError, match="rng"):
        p.grad(x)
    with pytest.raises(ValueError, match="one Generator per row"):
        p.grad(x, rng=[np.random.default_rng(0)])
    rows = p.grad(x, rng=[np.random.default_rng(s) for s in (4, 5, 4)])
    np.testing.assert_array_equal(rows[1], p.grad(x[1], rng=np.random.default_rng(5)))
    np.testing.assert_array_equal(rows[0], rows[2])
    first = p.grad(x, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(first, p.grad(x, rng=np.random.default_rng(7)))


def test_rosenbrock_by_hand():
    r = problems.rosenbrock()
    assert r.loss(np.array([0.0, 0.0])) == pytest.approx(1.0)
    np.testing.assert_allclose(r.grad(np.array([0.0, 0.0])), [-2.0, 0.0])
    assert r.loss(np.array([2.0, 1.0])) == pytest.approx(1.0 + 100.0 * 9.0)
    np.testing.assert_allclose(r.minimizer, [1.0, 1.0])


def test_plateau_cliff_regions_have_the_documented_slopes():
    p = problems.plateau_cliff(height=1.0, slope=1e-3, width=0.5, wall=10.0)
    np.testing.assert_allclose(p.grad(np.array([2.0, 0.0])), [1e-3, 0.0])  # plateau
    assert p.grad(np.array([-0.25, 0.0]))[0] == pytest.approx(1.5 / 0.5 + 1e-3)  # cliff peak
    drop = p.loss(np.array([0.0, 0.0])) - p.loss(np.array([-0.5, 0.0]))
    assert drop == pytest.approx(1.0 + 1e-3 * 0.5)
    assert p.grad(np.array([-2.0, 0.0]))[0] == pytest.approx(1e-3 + 10.0 * (-2.0 + 1.0))
    assert p.grad(np.array([5.0, 0.0]))[0] == pytest.approx(1e-3 + 10.0 * 1.0)


def test_plateau_cliff_defeats_every_gd_learning_rate_but_not_rmsprop():
    p = problems.plateau_cliff()
    gd = sweep(optim.gd, p, {"lr": [0.01, 0.1, 0.19, 1.0, 6.5, 10.0, 30.0]}, steps=500)
    crawled = ~gd.diverged & (gd.final_gaps > 0.9)
    assert np.all(crawled | gd.diverged) and crawled.any() and gd.diverged.any()
    assert run(optim.rmsprop(lr=0.03), p, steps=500).gaps[-1] < 0.01


def logistic_by_torch(p, w):
    """Loss and gradient of the regularised logistic loss by torch autograd."""
    torch = pytest.importorskip("torch")
    wt = torch.tensor(w, requires_grad=True)
    margins = torch.tensor(p.y) * (torch.tensor(p.X) @ wt)
    loss = torch.nn.functional.softplus(-margins).mean() + 0.5 * p.reg * (wt**2).sum()
    loss.backward()
    return loss.item(), wt.grad.numpy()


def test_sparse_logistic_matches_torch_and_rare_features_carry_signal():
    p = problems.sparse_logistic(n=2000, dim=10, seed=1)
    w = np.random.default_rng(0).normal(size=10)
    loss, grad = logistic_by_torch(p, w)
    assert p.loss(w) == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(p.grad(w), grad, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(p.frequencies, np.geomspace(0.5, 0.01, 10))
    binomial_sd = np.sqrt(p.frequencies * (1 - p.frequencies) / 2000)
    assert np.all(np.abs(p.empirical_frequencies - p.frequencies) < 4 * binomial_sd)
    assert np.all(np.diff(np.abs(p.w_true)) > 0)
    assert set(np.unique(p.X)) == {0.0, 1.0} and set(np.unique(p.y)) == {-1.0, 1.0}
    np.testing.assert_array_equal(problems.sparse_logistic(n=2000, dim=10, seed=1).X, p.X)


def test_minibatch_gradient_is_unbiased_and_seeded():
    p = problems.sparse_logistic(n=100, dim=4, seed=0)
    mb = problems.minibatch(p, batch_size=5)
    w = np.array([0.3, -0.2, 0.1, 0.5])
    np.testing.assert_allclose(p.sample_grad(w, np.arange(100)), p.grad(w), rtol=1e-12)
    draws = mb.grad(np.tile(w, (40000, 1)), rng=np.random.default_rng(0))
    spread = draws.std(axis=0) / np.sqrt(40000)
    assert np.all(np.abs(draws.mean(axis=0) - p.grad(w)) < 4 * spread + 1e-12)
    rows = mb.grad(np.tile(w, (2, 1)), rng=[np.random.default_rng(8), np.random.default_rng(9)])
    np.testing.assert_array_equal(rows[1], mb.grad(w, rng=np.random.default_rng(9)))
    assert mb.stochastic and mb.min_value == p.min_value and mb.n_samples == 100


def test_moving_minimum_jumps_and_drifts_as_documented():
    jump = problems.moving_minimum("jump", period=10, radius=2.0, scales=[1.0, 1.0])
    c = 2.0 / np.sqrt(2.0)
    np.testing.assert_allclose(jump.minimizer_at(9), [c, c])
    np.testing.assert_allclose(jump.minimizer_at(10), [-c, -c])
    np.testing.assert_allclose(jump.minimizer_at(20), [c, c])
    assert jump.loss(jump.minimizer_at(13), 13) == 0.0 and jump.loss(jump.minimizer_at(13), 3) > 0
    drift = problems.moving_minimum("drift", period=8, radius=3.0, scales=[1.0, 1.0, 1.0])
    np.testing.assert_allclose(drift.minimizer_at(2), [0.0, 3.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(drift.minimizer_at(np.arange(3))[1], [3 / np.sqrt(2)] * 2 + [0.0])
    assert drift.minimizer is None and drift.min_value == 0.0


def test_reddi_counterexample_losses_regret_and_the_rmsprop_failure():
    C = 3.0
    r = problems.reddi_counterexample(C)
    x = np.array([0.5])
    assert [float(r.loss(x, t)) for t in range(6)] == [C * 0.5, -0.5, -0.5] * 2
    clipped = r.project(np.array([[-3.0], [0.2], [7.0]]))
    np.testing.assert_array_equal(clipped, [[-1.0], [0.2], [1.0]])
    k = 4
    at_optimum, at_worst = np.full((3 * k, 1), -1.0), np.full((3 * k, 1), 1.0)
    assert r.regret(at_optimum)[-1] == pytest.approx(0.0)
    assert r.regret(at_worst)[-1] == pytest.approx(2 * k * (C - 2))
    beta = 1.0 / (1.0 + C**2)
    bad = run(optim.rmsprop(lr=0.1, beta=beta), r, steps=600)
    good = run(optim.adam(lr=0.1, betas=(0.0, beta), amsgrad=True), r, steps=600)
    assert bad.xs[-30:].mean() > 0.5 and good.xs[-30:].mean() < -0.5
    late_bad, late_good = (r.regret(t.xs)[-1] - r.regret(t.xs)[300] for t in (bad, good))
    assert late_bad > 5 * late_good  # linear regret vs regret that levels off


def test_importing_problems_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, rmslab.problems; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
