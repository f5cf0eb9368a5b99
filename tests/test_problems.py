"""Tests for rmslab.problems: analytic gradients vs finite differences, batching, minimizers."""

import numpy as np
import pytest

from rmslab import problems


def central_differences(f, x, h=1e-6):
    """Central finite-difference gradient of a scalar function f at x (shape (dim,))."""
    grad = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


DETERMINISTIC = {
    "quadratic": lambda: problems.quadratic(kappa=50.0, angle=0.7),
    "quadratic_5d": lambda: problems.quadratic(kappa=100.0, dim=5, angle=0.3, L=2.0),
    "quadratic_1d": lambda: problems.quadratic_1d(L=3.0),
    "scaled_quadratic": lambda: problems.scaled_quadratic([1.0, 100.0, 0.01]),
}


@pytest.fixture(params=sorted(DETERMINISTIC))
def problem(request):
    return DETERMINISTIC[request.param]()


def test_gradient_matches_finite_differences(problem):
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = problem.x0 + rng.normal(size=problem.dim)
        numeric = central_differences(problem.loss, x)
        np.testing.assert_allclose(problem.grad(x), numeric, rtol=1e-6, atol=1e-7)


def test_batched_shapes_and_rows_match_single_calls(problem):
    x = np.random.default_rng(1).normal(size=(3, 4, problem.dim))
    losses, grads = problem.loss(x), problem.grad(x)
    assert losses.shape == (3, 4) and grads.shape == (3, 4, problem.dim)
    np.testing.assert_allclose(losses[2, 1], problem.loss(x[2, 1]), rtol=1e-14)
    np.testing.assert_allclose(grads[0, 3], problem.grad(x[0, 3]), rtol=1e-14)


def test_minimizer_has_zero_gradient_and_min_value(problem):
    assert np.allclose(problem.grad(problem.minimizer), 0.0, atol=1e-12)
    assert problem.loss(problem.minimizer) == pytest.approx(problem.min_value, abs=1e-12)
    assert problem.loss(problem.x0) > problem.min_value
    assert problem.x0.shape == (problem.dim,)


def test_wrong_last_axis_is_rejected(problem):
    with pytest.raises(ValueError, match=f"shape \\(..., {problem.dim}\\)"):
        problem.loss(np.zeros(problem.dim + 1))


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
    ],
)
def test_bad_arguments_raise_value_error_naming_them(factory, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
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
