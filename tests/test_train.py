"""Tests for rmslab.train: the fixed digits split, determinism, the per-layer diagnostics
against a hand computation, divergence, scheduling, clipping, and argument checks."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from rmslab import train  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    return train.digits_mlp(depth=3, width=16)


def test_digits_split_is_fixed_disjoint_and_complete():
    a_train, a_test = train.digits_split()
    b_train, b_test = train.digits_split()
    np.testing.assert_array_equal(a_train, b_train)
    np.testing.assert_array_equal(a_test, b_test)
    assert len(a_train) == 1400 and len(a_test) == 397
    assert not set(a_train) & set(a_test)
    assert sorted([*a_train, *a_test]) == list(range(1797))


def test_digits_task_data_match_the_split(digits):
    x, y = train.load_digits()
    assert x.shape == (1797, 64) and x.min() == 0.0 and x.max() == 1.0
    tr, te = train.digits_split()
    np.testing.assert_array_equal(digits.y_test.numpy(), y[te])
    np.testing.assert_allclose(digits.x_train.numpy(), x[tr], rtol=1e-7)
    assert set(digits.layers) == {"layer1", "layer2", "layer3", "layer4"}


def test_fit_is_deterministic_and_seeded(digits):
    a = train.fit(digits, torch.optim.RMSprop, 15, seed=1, lr=1e-2)
    b = train.fit(digits, torch.optim.RMSprop, 15, seed=1, lr=1e-2)
    c = train.fit(digits, torch.optim.RMSprop, 15, seed=2, lr=1e-2)
    np.testing.assert_array_equal(a.loss, b.loss)
    for layer in digits.layers:
        np.testing.assert_array_equal(a.rel_update[layer], b.rel_update[layer])
    assert not np.allclose(a.loss, c.loss)
    assert a.loss.shape == (15,) and a.diverged_at is None


def test_layer_diagnostics_match_a_hand_computation(digits):
    lr = 0.3
    history = train.fit(digits, torch.optim.SGD, 1, seed=4, lr=lr)
    with torch.random.fork_rng():
        torch.manual_seed(4)
        model = digits.build()
    idx = torch.randint(1400, (64,), generator=torch.Generator().manual_seed(4))
    loss = torch.nn.functional.cross_entropy(model(digits.x_train[idx]), digits.y_train[idx])
    loss.backward()
    assert history.loss[0] == pytest.approx(float(loss.detach()), rel=1e-6)
    for i, layer in enumerate(digits.layers):
        w = model[2 * i].weight
        expected = float(w.grad.norm() / w.norm())
        assert history.rel_grad[layer][0] == pytest.approx(expected, rel=1e-5)
        # For SGD the update is lr * grad, so the relative update is lr times the relative grad.
        assert history.rel_update[layer][0] == pytest.approx(lr * expected, rel=1e-4)


def test_rmsprop_equalises_the_layers_where_sgd_does_not():
    task = train.digits_mlp()
    sgd = train.fit(task, torch.optim.SGD, 30, lr=1.0)
    rms = train.fit(task, torch.optim.RMSprop, 30, lr=3e-3)

    def spread(history):
        sizes = [history.rel_update[k][10:].mean() for k in task.layers]
        return max(sizes) / min(sizes)

    assert spread(sgd) > 1e3 and spread(rms) < 10


def test_layer_stats_off_records_nothing_but_trains_the_same(digits):
    a = train.fit(digits, torch.optim.Adam, 10, lr=1e-2)
    b = train.fit(digits, torch.optim.Adam, 10, lr=1e-2, layer_stats=False)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert all(len(v) == 0 for v in b.rel_grad.values())


def test_evaluation_schedule_and_final_numbers(digits):
    history = train.fit(digits, torch.optim.SGD, 10, lr=0.1, eval_every=4)
    np.testing.assert_array_equal(history.eval_steps, [4, 8, 10])
    assert history.final_test_loss == pytest.approx(train.evaluate(digits, history.model)[0])
    assert 0.0 <= history.final_test_accuracy <= 1.0


def test_divergence_stops_the_run():
    task = train.adding_task("tanh", length=5, hidden=4, n_train=64, n_test=16)
    history = train.fit(task, torch.optim.SGD, 60, lr=1e12)
    assert history.diverged_at is not None and len(history.loss) == history.diverged_at
    assert np.isnan(history.final_test_loss)


def test_scheduler_clip_and_gradient_hook(digits):
    seen = []

    def spike(step, model):
        seen.append(step)
        if step == 2:
            for p in model.parameters():
                p.grad.mul_(1e6)

    clipped = train.fit(
        digits, torch.optim.SGD, 4, lr=0.1, clip_norm=1.0, on_gradient=spike, layer_stats=True
    )
    assert seen == [0, 1, 2, 3]
    total = sum(float(clipped.rel_update[k][2]) for k in digits.layers)
    assert np.isfinite(total) and total < 1.0
    decayed = train.fit(
        digits,
        torch.optim.SGD,
        3,
        lr=0.1,
        scheduler=lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.0 if t else 1),
    )
    assert decayed.rel_update["layer1"][0] > 0 and decayed.rel_update["layer1"][1] == 0


def test_adding_task_targets_and_marked_weights():
    task = train.adding_task("gru", length=8, hidden=4, n_train=256, n_test=4096)
    assert float(task.y_test.var()) == pytest.approx(1 / 6, rel=0.05)
    x = task.x_test.numpy()
    assert np.all(x[:, :, 1].sum(axis=1) == 2)
    np.testing.assert_allclose((x[:, :, 0] * x[:, :, 1]).sum(axis=1), task.y_test, rtol=1e-6)

    class Oracle(torch.nn.Module):
        def forward(self, inputs):
            return (inputs[:, :, 0] * inputs[:, :, 1]).sum(dim=1)

    np.testing.assert_allclose(train.marked_value_weights(task, Oracle()), [1.0, 1.0], atol=1e-5)
    with pytest.raises(ValueError, match="^marked_value_weights needs an adding_task"):
        train.marked_value_weights(train.digits_mlp(depth=1, width=2), Oracle())


def test_fit_accepts_a_factory_and_rmslab_optimizers(digits):
    from rmslab.torch import RMSProp

    a = train.fit(digits, RMSProp, 5, lr=1e-2)
    b = train.fit(digits, lambda params: torch.optim.RMSprop(params, lr=1e-2), 5)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-6)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda t: train.fit(t, "sgd", 5), TypeError, "^optimizer must be"),
        (lambda t: train.fit(t, int, 5), TypeError, "^optimizer must be a torch.optim"),
        (lambda t: train.fit(t, lambda p: 3, 5), TypeError, r"^optimizer\(params\) must return"),
        (lambda t: train.fit(t, torch.optim.SGD, 0, lr=0.1), ValueError, "^steps must be"),
        (lambda t: train.fit(t, torch.optim.SGD, 2, seed=-1, lr=1), ValueError, "^seed must be"),
        (lambda t: train.fit(t, torch.optim.SGD, 2, clip_norm=0, lr=1), ValueError, "^clip_norm"),
        (lambda t: train.digits_mlp(activation="gelu"), ValueError, "^activation must be one of"),
        (lambda t: train.digits_mlp(depth=0), ValueError, "^depth must be"),
        (lambda t: train.adding_task("lstm"), ValueError, "^cell must be one of"),
        (lambda t: train.adding_task(length=1), ValueError, "^length must be"),
    ],
)
def test_bad_arguments_name_themselves(digits, call, error, message):
    with pytest.raises(error, match=message):
        call(digits)


def test_gradient_through_time_rejects_inputs_without_a_time_axis():
    task = train.adding_task("tanh", length=4, hidden=2, n_train=8, n_test=8)
    with pytest.raises(ValueError, match=r"^inputs must have shape \(batch, T, features\)"):
        train.gradient_through_time(task.build(), torch.ones(3, 4), torch.ones(3), task.loss_fn)


def test_tune_scores_each_rate_by_the_end_of_its_training_loss(digits):
    lrs = (1e-3, 1e-2, 1.0)
    tuning = train.tune(digits, torch.optim.SGD, lrs, 12, seeds=(3, 4), window=4)
    assert tuning.lrs == lrs
    for lr, score in zip(lrs, tuning.scores, strict=True):
        ends = [
            train.fit(digits, torch.optim.SGD, 12, seed=s, lr=lr, layer_stats=False).loss[-4:]
            for s in (3, 4)
        ]
        assert score == pytest.approx(np.mean(ends), rel=1e-6)
    assert tuning.best_lr == lrs[int(np.argmin(tuning.scores))]
    assert len(set(tuning.scores)) == 3


def test_tune_scores_a_diverged_run_as_infinite():
    task = train.adding_task("tanh", length=5, hidden=4, n_train=64, n_test=16)
    tuning = train.tune(task, torch.optim.SGD, (1e-2, 1e12), 60)
    assert np.isfinite(tuning.scores[0]) and tuning.scores[1] == np.inf
    assert tuning.best_lr == 1e-2
    assert tuning.runs.loss.shape == (2, 1, 60) and tuning.runs.diverged_at[0, 0] == -1
    stop = tuning.runs.diverged_at[1, 0]
    assert 0 <= stop < 60 and np.isnan(tuning.runs.loss[1, 0, stop:]).all()
    history = train.fit(task, torch.optim.SGD, 60, lr=1e-2)
    np.testing.assert_array_equal(tuning.runs.loss[0, 0], history.loss)
    assert tuning.runs.test_loss[0, 0] == history.final_test_loss


def test_tune_passes_other_hyperparameters_to_the_optimizer(digits):
    plain = train.tune(digits, torch.optim.SGD, (0.5,), 6, window=3)
    heavy = train.tune(digits, torch.optim.SGD, (0.5,), 6, window=3, momentum=0.9)
    history = train.fit(digits, torch.optim.SGD, 6, lr=0.5, momentum=0.9)
    assert heavy.scores[0] == pytest.approx(history.loss[-3:].mean(), rel=1e-6)
    assert heavy.scores[0] != pytest.approx(plain.scores[0], rel=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(lrs=()), "^lrs must be a non-empty sequence of positive numbers"),
        (dict(lrs=(0.1, -1.0)), "^lrs must be a non-empty sequence of positive numbers"),
        (dict(lrs=(0.1,), window=0), "^window must be"),
        (dict(lrs=(0.1,), window=9), "^window must be at most steps = 8, got 9"),
    ],
)
def test_tune_rejects_bad_grids_and_windows(digits, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train.tune(digits, torch.optim.SGD, steps=8, **kwargs)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_one_bad_gradient_entry_stops_the_run_at_that_step(digits, bad):
    def poison(step, model):
        if step == 2:
            model[2].weight.grad[0, 0] = bad

    history = train.fit(digits, torch.optim.RMSprop, 5, lr=1e-2, on_gradient=poison)
    assert history.diverged_at == 2 and len(history.loss) == 2
    assert all(torch.isfinite(p).all() for p in history.model.parameters())


@pytest.mark.parametrize(
    ("optimizer", "kwargs", "lrs"),
    [
        (torch.optim.SGD, dict(momentum=0.9), (0.1, 3.0)),
        (torch.optim.RMSprop, dict(alpha=0.9), (1e-3, 1e-2)),
        (torch.optim.Adam, dict(betas=(0.8, 0.99)), (1e-3, 1e-2)),
    ],
)
def test_fit_many_runs_what_fit_runs_for_each_lr_and_seed(digits, optimizer, kwargs, lrs):
    many = train.fit_many(digits, optimizer, 25, lrs=lrs, seeds=(0, 5), **kwargs)
    assert many.loss.shape == (2, 2, 25) and many.test_accuracy.shape == (2, 2)
    for i, lr in enumerate(lrs):
        for j, seed in enumerate((0, 5)):
            one = train.fit(digits, optimizer, 25, seed=seed, lr=lr, layer_stats=False, **kwargs)
            np.testing.assert_allclose(many.loss[i, j], one.loss, rtol=1e-5)
            assert many.test_loss[i, j] == pytest.approx(one.final_test_loss, rel=1e-5)
            assert abs(many.test_accuracy[i, j] - one.final_test_accuracy) <= 1 / 397 + 1e-9
    assert np.all(many.diverged_at == -1)


def test_fit_many_isolates_a_diverged_run(digits):
    many = train.fit_many(digits, torch.optim.SGD, 20, lrs=(1e-2, 1e38))
    one = train.fit(digits, torch.optim.SGD, 20, lr=1e-2, layer_stats=False)
    np.testing.assert_allclose(many.loss[0, 0], one.loss, rtol=1e-5)
    start = many.diverged_at[1, 0]
    assert 0 <= start < 20 and np.isnan(many.loss[1, 0, start:]).all()
    assert np.isfinite(many.loss[1, 0, :start]).all()
    assert np.isnan(many.test_accuracy[1, 0]) and np.isfinite(many.test_accuracy[0, 0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(lrs=(0.1,), lr=0.1), "^fit_many takes the learning rates as lrs="),
        (dict(lrs=(0.1,), weight_decay=1e-4), "^fit_many takes the learning rates as lrs="),
        (dict(lrs=()), "^lrs must be a non-empty sequence"),
        (dict(lrs=(0.1,), seeds=()), "^seeds must hold at least one seed"),
        (dict(lrs=(0.1,), seeds=(-1,)), "^seed must be"),
    ],
)
def test_fit_many_rejects_bad_arguments(digits, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train.fit_many(digits, torch.optim.SGD, 3, **kwargs)


def test_fit_many_needs_an_mlp():
    task = train.adding_task("tanh", length=4, hidden=2, n_train=8, n_test=8)
    with pytest.raises(ValueError, match="^fit_many needs a digits_mlp task"):
        train.fit_many(task, torch.optim.SGD, 3, lrs=(0.1,))
