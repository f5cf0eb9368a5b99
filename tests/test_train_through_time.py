"""Tests for rmslab.train.gradient_through_time: per-time-step input gradients of a recurrent
model against a closed form."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rmslab.train import gradient_through_time  # noqa: E402


class LastState(torch.nn.Module):
    """A 1-unit ReLU RNN without biases whose output is its last hidden state."""

    def __init__(self, a: float, w: float):
        super().__init__()
        self.rnn = torch.nn.RNN(1, 1, nonlinearity="relu", bias=False, batch_first=True).double()
        with torch.no_grad():
            self.rnn.weight_ih_l0.fill_(a)
            self.rnn.weight_hh_l0.fill_(w)

    def forward(self, x):
        states, _ = self.rnn(x)
        return states[:, -1, 0]


def total(outputs, targets):
    return (outputs * targets).sum()


def test_gradient_through_time_matches_the_closed_form():
    # With positive inputs and weights the ReLU is the identity: h_t = a u_t + w h_{t-1}, so
    # dL/du_t = target * a * w**(T-1-t) for each sequence, and the norm over a batch of B
    # sequences with targets c_b is a * w**(T-1-t) * sqrt(sum c_b**2).
    a, w, T = 0.7, 0.5, 12
    model = LastState(a, w)
    inputs = torch.rand(5, T, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    targets = torch.tensor([1.0, 2.0, -1.0, 0.5, 3.0], dtype=torch.float64)
    measured = gradient_through_time(model, inputs, targets, total)
    expected = a * w ** (T - 1 - np.arange(T)) * np.sqrt(np.sum(targets.numpy() ** 2))
    assert measured.shape == (T,)
    np.testing.assert_allclose(measured, expected, rtol=1e-12)


def test_gradient_through_time_leaves_the_model_alone():
    model = LastState(0.7, 0.5)
    before = [p.detach().clone() for p in model.parameters()]
    inputs = torch.ones(2, 4, 1, dtype=torch.float64)
    gradient_through_time(model, inputs, torch.ones(2, dtype=torch.float64), total)
    for p, old in zip(model.parameters(), before, strict=True):
        assert p.grad is None and torch.equal(p, old)
    assert not inputs.requires_grad
