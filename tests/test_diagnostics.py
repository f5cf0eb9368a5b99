"""Tests for rmslab.diagnostics: per-time-step input gradients against a closed form, and the
trained model returned next to the training history."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rmslab import problems  # noqa: E402
from rmslab.diagnostics import gradient_through_time, train_keeping_model  # noqa: E402


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


def test_gradient_through_time_rejects_inputs_without_a_time_axis():
    with pytest.raises(ValueError, match="inputs must have shape"):
        gradient_through_time(LastState(1.0, 1.0), torch.ones(3, 4), torch.ones(3), total)


def test_trained_model_reproduces_the_history_and_its_final_loss():
    task = problems.rnn_adding_task(seed=1, length=6, n=128, hidden=8, batch_size=16)
    history, model = train_keeping_model(task, torch.optim.RMSprop, steps=30, lr=1e-2)
    reference = problems.rnn_adding_task(seed=1, length=6, n=128, hidden=8, batch_size=16)
    plain = reference.train(torch.optim.RMSprop, steps=30, lr=1e-2)
    np.testing.assert_array_equal(history.loss, plain.loss)
    assert history.name == "RMSprop"
    with torch.no_grad():
        loss = float(task.loss_fn(model(task.inputs), task.targets))
    assert loss == pytest.approx(plain.final_loss, rel=1e-6)
    with torch.random.fork_rng():
        torch.manual_seed(task.seed)  # the initial model, as task.train builds it
        initial = task.build()
    pairs = zip(model.parameters(), initial.parameters(), strict=True)
    assert any(not torch.equal(p, q) for p, q in pairs)


def test_train_keeping_model_checks_its_arguments():
    task = problems.rnn_adding_task(length=4, n=16, hidden=2, batch_size=4)
    with pytest.raises(TypeError, match="optimizer_cls"):
        train_keeping_model(task, "rmsprop", steps=2)
    with pytest.raises(ValueError, match="steps"):
        train_keeping_model(task, torch.optim.SGD, steps=0, lr=0.1)
