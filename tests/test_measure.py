"""Tests for rmslab.measure: step lengths, first index below a tolerance, driven paths."""

import numpy as np
import pytest

from rmslab import optim, problems
from rmslab.measure import (
    best_on_grid,
    first_below,
    gradient_path,
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
