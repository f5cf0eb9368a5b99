"""Tests for rmslab.measure: steps, first and settling indices, rates, driven paths, tuning."""

import numpy as np
import pytest

from rmslab import optim, problems
from rmslab.measure import (
    best_on_grid,
    convergence_rate,
    coordinate_steps,
    first_above,
    first_below,
    gradient_field_path,
    gradient_path,
    gradient_steps,
    noisy_path,
    seed_average,
    settles_below,
    step_lengths,
    tail_gaps,
    torch_path,
)
from rmslab.run import run, sweep


def test_step_lengths_of_a_1d_path_are_absolute_differences():
    np.testing.assert_array_equal(step_lengths([0.0, 1.0, -2.0, -2.0]), [1.0, 3.0, 0.0])


def test_step_lengths_take_the_euclidean_norm_over_the_last_axis():
    path = np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_array_equal(step_lengths(path), [5.0, 0.0, 5.0])
    batched = np.stack([path, 2 * path], axis=1)  # (T+1, 2 rows, dim)
    np.testing.assert_array_equal(step_lengths(batched), [[5, 10], [0, 0], [5, 10]])


def test_step_lengths_of_a_trajectory_match_gd_closed_form():
    # GD on L/2 x^2 from 1: x_t = (1 - lr L)^t, so |x_{t+1} - x_t| = lr L |1 - lr L|^t.
    trajectory = run(optim.gd(lr=0.3), problems.quadratic_1d(L=2.0), steps=20)
    expected = 0.6 * 0.4 ** np.arange(20)
    np.testing.assert_allclose(step_lengths(trajectory), expected, rtol=1e-12)


def test_step_lengths_of_a_single_point_are_empty_and_a_scalar_is_refused():
    assert step_lengths([[1.0, 2.0]]).shape == (0,)
    with pytest.raises(ValueError, match=r"^path must have shape \(T\+1, \.\.\.\)"):
        step_lengths(3.0)


def test_coordinate_steps_are_signed_per_coordinate_and_follow_gd_closed_form():
    path = np.array([[0.0, 0.0], [3.0, -4.0], [1.0, -4.0]])
    np.testing.assert_array_equal(coordinate_steps(path), [[-3.0, 4.0], [2.0, 0.0]])
    # GD on L/2 x^2 from 1: x_t = (1 - lr L)^t, so x_t - x_{t+1} = lr L (1 - lr L)^t.
    trajectory = run(optim.gd(lr=0.3), problems.quadratic_1d(L=2.0), steps=20)
    np.testing.assert_allclose(
        coordinate_steps(trajectory)[:, 0], 0.6 * 0.4 ** np.arange(20), rtol=1e-12
    )
    np.testing.assert_allclose(np.abs(coordinate_steps(trajectory))[:, 0], step_lengths(trajectory))
    with pytest.raises(ValueError, match=r"^path must have shape \(T\+1, \.\.\.\)"):
        coordinate_steps(3.0)


def test_gradient_steps_are_lr_times_g_for_gd_and_the_rmsprop_closed_form():
    gradients = np.array([[1.0, -2.0], [0.5, 0.0], [-3.0, 4.0]])
    np.testing.assert_allclose(gradient_steps(optim.gd(lr=0.1), gradients), 0.1 * gradients)
    # RMSProp from v_0 = 0 under a constant g > 0: the step is lr / sqrt(1 - beta^t), downhill.
    steps = gradient_steps(optim.rmsprop(lr=1.0, beta=0.9, eps=0.0), np.full((30, 1), 7.0))
    t = np.arange(1, 31)
    np.testing.assert_allclose(steps[:, 0], 1 / np.sqrt(1 - 0.9**t), rtol=1e-12)
    shifted = gradient_steps(optim.gd(lr=0.1), gradients, x0=[5.0, 5.0])
    np.testing.assert_allclose(shifted, 0.1 * gradients)  # the start does not change GD's steps


def test_first_above_is_strict_and_returns_none_when_never_above():
    values = np.array([0.1, 0.5, 1.0, 2.0, 0.0])
    assert first_above(values, 1.0) == 3  # 1.0 itself is not above 1.0
    assert first_above(values, 0.9999999) == 2
    assert first_above(values, 5.0) is None
    assert first_above([np.nan, 3.0], 1.0) == 1
    with pytest.raises(ValueError, match=r"^values must be 1-D, got shape \(1, 1\)$"):
        first_above([[1.0]], 0.0)
    with pytest.raises(ValueError, match="^level must be a number, got nan$"):
        first_above([1.0], np.nan)


def test_settles_below_ignores_a_dip_that_comes_back_up():
    values = np.array([5.0, 0.1, 3.0, 0.2, 0.1])
    assert first_below(values, 1.0) == 1 and settles_below(values, 1.0) == 3
    assert settles_below(values, 10.0) == 0  # below from the start
    assert settles_below([0.1, 2.0], 1.0) is None  # the last value is not below
    assert settles_below([0.1, np.nan], 1.0) is None  # NaN is not below
    assert settles_below([2.0, 1.0, 0.5], 1.0) == 2  # 1.0 itself is not below 1.0


def test_settles_below_counts_the_steps_of_an_oscillating_gd_run():
    # GD with lr = 1.5 on x^2/2 from 1: x_t = (-0.5)^t, |x_t| < 1e-6 from t = 20 on
    # (0.5^19 = 1.9e-6, 0.5^20 = 9.5e-7); the signed iterate is below 1e-6 at every odd t.
    xs = run(optim.gd(lr=1.5), problems.quadratic_1d(), steps=40).xs[:, 0]
    by_hand = max(t for t in range(41) if abs(xs[t]) >= 1e-6) + 1
    assert settles_below(np.abs(xs), 1e-6) == by_hand == 20
    assert first_below(xs, 1e-6) == 1 and settles_below(xs, 1e-6) == by_hand - 1
    with pytest.raises(ValueError, match="^tol must be a number, got nan$"):
        settles_below([1.0], np.nan)


def test_convergence_rate_of_gd_is_its_closed_form_factor():
    # GD with lr = 2/(L + mu) on the curvatures (1, 1/kappa): both coordinates shrink by
    # (kappa - 1)/(kappa + 1) in size at every step, until rounding error takes over.
    kappa = 10.0
    q = problems.scaled_quadratic([1.0, 1 / kappa])
    xs = run(optim.gd(lr=2 / (1 + 1 / kappa)), q, steps=400).xs
    distance = np.linalg.norm(xs, axis=-1)
    expected = (kappa - 1) / (kappa + 1)
    assert distance[-1] < 1e-12 * distance[0]  # the run reaches the floor: the default stops
    np.testing.assert_allclose(convergence_rate(distance), expected, rtol=1e-9)
    np.testing.assert_allclose(convergence_rate(distance, first=5, last=60), expected, rtol=1e-9)


def test_convergence_rate_stops_at_the_floor_and_can_divide_by_t():
    t = np.arange(80)
    rounding_tail = np.where(t <= 39, 0.5**t, 1e-13)  # 0.5^39 = 1.8e-12 > 1e-12 > 0.5^40
    assert convergence_rate(rounding_tail) == pytest.approx(0.5, rel=1e-12)
    assert convergence_rate(rounding_tail, last=79) > 0.9  # past the floor: not the method
    double_root = np.where(t == 0, 1.0, t * 0.9**t)  # d_t = t rho^t
    assert convergence_rate(double_root, divide_by_t=True) == pytest.approx(0.9, rel=1e-12)
    assert convergence_rate(double_root) > 0.9  # the plain average is slower
    for kwargs, message in (
        ({"first": 10, "last": 10}, r"^first and last must satisfy first < last <= 79"),
        ({"first": 5, "last": 80}, r"^first and last must satisfy first < last <= 79"),
        ({"first": 0, "divide_by_t": True}, r"^first must be >= 1 with divide_by_t"),
        ({"first": -1}, r"^first must be an integer >= 0, got -1$"),
    ):
        with pytest.raises(ValueError, match=message):
            convergence_rate(double_root, **kwargs)
    with pytest.raises(ValueError, match=r"^distances must be 1-D with at least 2 entries"):
        convergence_rate([[1.0, 0.5]])


def test_first_below_is_strict_and_returns_none_when_never_below():
    values = np.array([4.0, 2.0, 1.0, 0.5, 1e-3])
    assert first_below(values, 1.0) == 3  # 1.0 itself is not below 1.0
    assert first_below(values, 1.0000001) == 2
    assert first_below(values, 1e-9) is None
    assert first_below([np.nan, 0.0], 1.0) == 1
    assert first_below(np.float64(0.1) ** np.arange(10), np.float32(1e-4)) == 5


@pytest.mark.parametrize(
    "values, tol, message",
    [([[1.0]], 1.0, r"^values must be 1-D, got shape \(1, 1\)$"), ([1.0], np.nan, "^tol must")],
)
def test_first_below_refuses_bad_input(values, tol, message):
    with pytest.raises(ValueError, match=message):
        first_below(values, tol)


def test_gradient_path_under_a_constant_gradient_matches_rmsprop_closed_form():
    # From v_0 = 0 under constant g: v_t = (1 - beta^t) g^2, step_t = lr / sqrt(1 - beta^t).
    lr, beta, g, steps = 0.01, 0.9, 3.0, 30
    path = gradient_path(optim.rmsprop(lr=lr, beta=beta, eps=0.0), np.full((steps, 1), g))
    t = np.arange(1, steps + 1)
    np.testing.assert_allclose(step_lengths(path[:, 0]), lr / np.sqrt(1 - beta**t), rtol=1e-12)
    assert path.shape == (steps + 1, 1) and np.all(np.diff(path[:, 0]) < 0)


def test_gradient_path_starts_at_x0_and_checks_shapes():
    path = gradient_path(optim.gd(lr=0.5), [[1.0, -1.0]], x0=[2.0, 2.0])
    np.testing.assert_array_equal(path, [[2.0, 2.0], [1.5, 2.5]])
    with pytest.raises(ValueError, match=r"^gradients must have shape \(T, \*x_shape\)"):
        gradient_path(optim.gd(lr=0.5), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"^x0 must have shape \(2,\), got \(3,\)$"):
        gradient_path(optim.gd(lr=0.5), [[1.0, -1.0]], x0=[0.0, 0.0, 0.0])


def test_noisy_path_of_gd_reaches_the_stationary_loss_of_its_closed_form():
    # GD on x^2/2 with g = x + sigma xi: x_{t+1} = (1 - lr) x_t - lr sigma xi_t, whose
    # stationary variance is lr sigma^2 / (2 - lr); the loss E[x^2/2] is half of it.
    lr, sigma = 0.1, np.array([0.5, 2.0])
    path = noisy_path(optim.gd(lr=lr), np.ones((4000, 2)), 300, sigma, np.random.default_rng(0))
    assert path.shape == (301, 4000, 2)
    measured = (path[150:] ** 2 / 2).mean(axis=(0, 1))
    np.testing.assert_allclose(measured, lr * sigma**2 / (2 * (2 - lr)), rtol=0.05)


def test_noisy_path_draws_one_normal_array_a_step_from_rng():
    xi = np.random.default_rng(7).standard_normal((2, 3, 2))  # what two steps draw, in order
    path = noisy_path(optim.gd(lr=0.5), np.ones((3, 2)), 2, [0.0, 1.0], np.random.default_rng(7))
    x1 = 1.0 - 0.5 * (1.0 + np.array([0.0, 1.0]) * xi[0])
    np.testing.assert_allclose(path[1], x1, rtol=1e-15)
    np.testing.assert_allclose(path[2], x1 - 0.5 * (x1 + [0.0, 1.0] * xi[1]), rtol=1e-15)
    np.testing.assert_array_equal(path[:, :, 0], [[1.0] * 3, [0.5] * 3, [0.25] * 3])
    # grad replaces the noiseless gradient: a constant 1 with no noise walks down by lr a step
    flat = noisy_path(optim.gd(lr=0.5), [0.0], 4, 0.0, np.random.default_rng(0), grad=lambda x: 1.0)
    np.testing.assert_array_equal(flat[:, 0], [0.0, -0.5, -1.0, -1.5, -2.0])


def test_noisy_path_refuses_a_seed_and_a_sigma_of_another_shape():
    with pytest.raises(ValueError, match="^rng must be a numpy.random.Generator, got 0$"):
        noisy_path(optim.gd(lr=0.1), np.ones(2), 3, 1.0, 0)
    with pytest.raises(ValueError, match=r"^sigma must broadcast to x0's shape \(2,\), got shape"):
        noisy_path(optim.gd(lr=0.1), np.ones(2), 3, [1.0, 2.0, 3.0], np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^steps must be an integer >= 0, got -1$"):
        noisy_path(optim.gd(lr=0.1), np.ones(2), -1, 1.0, np.random.default_rng(0))


def test_torch_path_by_gradient_and_by_loss_agree_with_run():
    torch = pytest.importorskip("torch")
    q = problems.quadratic(kappa=10.0, angle=0.3)
    ours = run(optim.momentum(lr=0.05, momentum=0.9), q, steps=40).xs
    make = lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)  # noqa: E731
    by_grad = torch_path(make, q.x0, 40, grad=q.grad)
    A = torch.from_numpy(q.A)
    by_loss = torch_path(make, q.x0, 40, loss=lambda x: 0.5 * x @ A @ x)
    np.testing.assert_allclose(by_grad, ours, rtol=0, atol=1e-12)
    np.testing.assert_allclose(by_loss, ours, rtol=0, atol=1e-12)
    assert by_grad.dtype == np.float64 and by_grad.shape == (41, 2)


def test_torch_path_needs_exactly_one_driver_and_a_valid_step_count():
    torch = pytest.importorskip("torch")
    make = lambda p: torch.optim.SGD(p, lr=0.1)  # noqa: E731
    with pytest.raises(ValueError, match="^pass exactly one of grad"):
        torch_path(make, [1.0], 3)
    with pytest.raises(ValueError, match="^pass exactly one of grad"):
        torch_path(make, [1.0], 3, grad=lambda x: x, loss=lambda x: x @ x)
    with pytest.raises(ValueError, match=r"^steps must be an integer >= 0, got -1$"):
        torch_path(make, [1.0], -1, grad=lambda x: x)
    assert torch_path(make, [1.0], np.int64(2), grad=lambda x: x).shape == (3, 1)


def test_tail_gaps_follow_gd_closed_form_and_score_divergence_as_inf():
    # GD on x^2/2 from 1: x_t = (1 - lr)^t, gap_t = (1 - lr)^(2t) / 2; lr = 2.5 grows 1.5^t.
    result = sweep(optim.gd, problems.quadratic_1d(), {"lr": [0.5, 1.0, 2.5]}, steps=40)
    t = np.arange(31, 41)
    expected = 0.5 * 0.25**t
    np.testing.assert_allclose(tail_gaps(result, last=10)[0], expected.mean(), rtol=1e-12)
    assert tail_gaps(result, last=10)[1] == 0.0 and tail_gaps(result)[2] == np.inf
    all_steps = 0.5 * 0.25 ** np.arange(1, 41)
    np.testing.assert_allclose(tail_gaps(result)[0], all_steps.mean(), rtol=1e-12)
    assert tail_gaps(result, floor=1e-30)[1] == 1e-30


def test_tail_gaps_keep_the_final_gap_after_early_convergence():
    result = sweep(optim.gd, problems.quadratic_1d(), {"lr": [0.5]}, steps=40, tol=1e-6)
    stop = int(result.converged_at[0])
    assert 0 < stop < 40
    single = run(optim.gd(lr=0.5), problems.quadratic_1d(), steps=stop)
    padded = np.r_[single.gaps[1:], np.full(40 - stop, single.gaps[-1])]
    np.testing.assert_allclose(tail_gaps(result), [padded.mean()], rtol=1e-12)


def test_tail_gaps_until_score_a_sweep_as_if_it_had_stopped_there():
    # GD on x^2/2 from 1, lr = 2.5: |x_t| = 1.5^t, the loss passes 1e6 at t = 18, so a sweep of
    # 30 steps diverges, one of 10 steps does not.
    grid = {"lr": [0.5, 1.0, 2.5]}
    long = sweep(optim.gd, problems.quadratic_1d(), grid, steps=30)
    short = sweep(optim.gd, problems.quadratic_1d(), grid, steps=10)
    assert long.diverged[2] and not short.diverged[2]
    np.testing.assert_array_equal(tail_gaps(long, until=10), tail_gaps(short))
    np.testing.assert_array_equal(tail_gaps(long, last=4, until=10), tail_gaps(short, last=4))
    by_hand = 0.5 * 2.25 ** np.arange(1, 11)
    np.testing.assert_allclose(tail_gaps(long, until=10)[2], by_hand.mean(), rtol=1e-12)
    assert tail_gaps(long, until=20)[2] == np.inf
    with pytest.raises(ValueError, match=r"^until must be an integer in \[1, 30\], got 31$"):
        tail_gaps(long, until=31)
    with pytest.raises(ValueError, match=r"^last must be an integer in \[1, 10\], got 11$"):
        tail_gaps(long, last=11, until=10)


def test_seed_average_matches_separate_runs_and_keeps_inf():
    noisy = problems.noisy(problems.quadratic(kappa=10.0), sigma=0.5)
    lrs, seeds = [0.01, 0.05], (0, 1, 2)
    result = sweep(optim.gd, noisy, {"lr": lrs}, seeds=seeds, steps=50)
    finals = np.array(
        [[run(optim.gd(lr=lr), noisy, steps=50, seed=s).gaps[-1] for s in seeds] for lr in lrs]
    )
    np.testing.assert_allclose(seed_average(result, result.final_gaps), finals.mean(axis=1))
    geometric = np.exp(np.log(finals).mean(axis=1))
    np.testing.assert_allclose(seed_average(result, result.final_gaps, geometric=True), geometric)
    scores = result.final_gaps.copy()
    scores[1] = np.inf  # one seed of the first learning rate
    averaged = seed_average(result, scores, geometric=True)
    assert averaged[0] == np.inf and np.isfinite(averaged[1])


def test_best_on_grid_averages_seeds_like_separate_runs():
    noisy = problems.noisy(problems.quadratic(kappa=10.0), sigma=0.5)
    lrs, seeds = [0.01, 0.05, 0.15], (0, 1, 2)
    result = sweep(optim.gd, noisy, {"lr": lrs}, seeds=seeds, steps=100)
    by_hand = {
        lr: [run(optim.gd(lr=lr), noisy, steps=100, seed=s).gaps[-20:].mean() for s in seeds]
        for lr in lrs
    }
    arithmetic = {lr: np.mean(v) for lr, v in by_hand.items()}
    geometric = {lr: np.exp(np.log(v).mean()) for lr, v in by_hand.items()}
    scores = tail_gaps(result, last=20)
    for chosen, means in (
        (best_on_grid(result, scores), arithmetic),
        (best_on_grid(result, scores, geometric=True), geometric),
    ):
        best = min(means, key=means.get)
        assert chosen["lr"] == best
        np.testing.assert_allclose(chosen["score"], means[best], rtol=1e-10)


def test_best_on_grid_never_picks_a_point_where_a_seed_diverged():
    result = sweep(optim.gd, problems.quadratic_1d(), {"lr": [0.1, 2.5]}, steps=30)
    scores = tail_gaps(result)
    assert best_on_grid(result, scores)["lr"] == 0.1
    with pytest.raises(ValueError, match="^every grid point diverged"):
        best_on_grid(result, np.full(2, np.inf))
    with pytest.raises(ValueError, match=r"^last must be an integer in \[1, 30\], got 31$"):
        tail_gaps(result, last=31)


def test_gradient_field_path_follows_gradient_descent_on_a_quadratic_in_closed_form():
    """GD on f(x) = a x^2 / 2 (g = a x): x_t = (1 - lr a)^t x_0, per coordinate."""
    a, lr, x0 = np.array([0.5, 3.0]), 0.1, np.array([1.0, -2.0])
    path = gradient_field_path(optim.gd(lr=lr), lambda x: a * x, x0, 25)
    t = np.arange(26)[:, None]
    np.testing.assert_allclose(path, (1 - lr * a) ** t * x0, rtol=1e-12)
    assert gradient_field_path(optim.gd(lr=lr), lambda x: a * x, x0, 0).shape == (1, 2)
    with pytest.raises(ValueError, match="steps must be an integer >= 0"):
        gradient_field_path(optim.gd(lr=lr), lambda x: a * x, x0, -1)
