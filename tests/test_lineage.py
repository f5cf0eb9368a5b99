"""rmslab.lineage: each bare update rule against torch.optim (float64) or a closed form, and the
diffs between them."""

import numpy as np
import pytest
import torch

from rmslab import lineage, optim

STEPS = 60


@pytest.fixture
def gradients():
    rng = np.random.default_rng(7)
    return rng.normal(size=(STEPS, 5)) * np.logspace(-4, 2, 5)


def torch_trajectory(make_optimizer, gradients):
    p = torch.zeros(gradients.shape[1], dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([p])
    xs = []
    for g in gradients:
        p.grad = torch.from_numpy(g.copy())
        opt.step()
        xs.append(p.detach().numpy().copy())
    return np.array(xs)


def lineage_trajectory(rule, gradients, n_buffers, **hyper):
    x = np.zeros(gradients.shape[1])
    state = [np.zeros_like(x) for _ in range(n_buffers)]
    if rule is lineage.adam:
        state.append(0)
    xs = []
    for g in gradients:
        x, *state = rule(x, g, *state, **hyper)
        xs.append(x)
    return np.array(xs)


def test_rmsprop_is_torch_rmsprop(gradients):
    expected = torch_trajectory(
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-3), gradients
    )
    got = lineage_trajectory(lineage.rmsprop, gradients, 1, lr=0.01, beta2=0.9, eps=1e-3)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-13)


def test_rmsprop_momentum_is_torch_rmsprop_with_momentum(gradients):
    expected = torch_trajectory(
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-8, momentum=0.8), gradients
    )
    got = lineage_trajectory(
        lineage.rmsprop_momentum, gradients, 2, lr=0.01, beta2=0.99, mu=0.8, eps=1e-8
    )
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-13)


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.0, 0.99), (0.5, 0.9)])
def test_adam_is_torch_adam(gradients, betas):
    expected = torch_trajectory(
        lambda p: torch.optim.Adam(p, lr=0.01, betas=betas, eps=1e-6), gradients
    )
    got = lineage_trajectory(
        lineage.adam, gradients, 2, lr=0.01, beta2=betas[1], beta1=betas[0], eps=1e-6
    )
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-13)


def test_adam_uncorrected_matches_the_closed_form_of_its_running_means(gradients):
    beta1, beta2, lr, eps = 0.8, 0.95, 0.02, 1e-7
    got = lineage_trajectory(
        lineage.adam_uncorrected, gradients, 2, lr=lr, beta2=beta2, beta1=beta1, eps=eps
    )
    x = np.zeros(gradients.shape[1])
    for t in range(STEPS):
        weights = np.array([beta1 ** (t - s) for s in range(t + 1)])[:, None]
        weights2 = np.array([beta2 ** (t - s) for s in range(t + 1)])[:, None]
        m = (1 - beta1) * np.sum(weights * gradients[: t + 1], axis=0)
        v = (1 - beta2) * np.sum(weights2 * gradients[: t + 1] ** 2, axis=0)
        x = x - lr * m / (np.sqrt(v) + eps)
        np.testing.assert_allclose(got[t], x, rtol=1e-12, atol=1e-15)


def test_adam_with_beta1_zero_is_bias_corrected_rmsprop(gradients):
    reference = optim.rmsprop(lr=0.01, beta=0.99, eps=1e-8, bias_correction=True)
    x = np.zeros(gradients.shape[1])
    state = reference.init(x)
    expected = []
    for g in gradients:
        x, state = reference.step(x, g, state)
        expected.append(x)
    got = lineage_trajectory(lineage.adam, gradients, 2, lr=0.01, beta2=0.99, beta1=0.0, eps=1e-8)
    np.testing.assert_allclose(got, np.array(expected), rtol=0, atol=1e-13)


def test_rules_do_not_modify_their_inputs(gradients):
    x, g, v, m = (np.ones(5), gradients[0].copy(), np.full(5, 0.5), np.full(5, 0.1))
    copies = [a.copy() for a in (x, g, v, m)]
    lineage.adam(x, g, v, m, 3, lr=0.1, beta2=0.9, beta1=0.5, eps=1e-8)
    lineage.rmsprop_momentum(x, g, v, m, lr=0.1, beta2=0.9, mu=0.5, eps=1e-8)
    for original, copy in zip((x, g, v, m), copies, strict=True):
        np.testing.assert_array_equal(original, copy)


def test_diff_shows_exactly_the_changed_lines():
    text = lineage.diff(lineage.rmsprop_momentum, lineage.adam_uncorrected)
    added = [
        line[1:].strip()
        for line in text.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    removed = [
        line[1:].strip()
        for line in text.splitlines()
        if line.startswith("-") and not line.startswith("---")
    ]
    assert "m = beta1 * m + (1 - beta1) * g" in added
    assert "b = mu * b + g / (np.sqrt(v) + eps)" in removed
    assert " " + "    v = beta2 * v + (1 - beta2) * g**2" in text.splitlines()  # unchanged context
    assert '"""' not in text and "torch" not in text  # docstrings are left out


def test_diff_of_a_function_with_itself_is_empty():
    assert lineage.diff(lineage.adam, lineage.adam) == ""


def test_code_lines_keeps_the_body_and_drops_the_docstring():
    lines = lineage.code_lines(lineage.rmsprop)
    assert lines[0].startswith("def rmsprop(")
    assert lines[-1].strip() == "return x, v"
    assert len(lines) == 4
