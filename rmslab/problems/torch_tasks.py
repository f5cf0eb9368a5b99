r"""Two small torch training tasks on generated data (CPU, a few seconds each).

* :func:`mlp_task`: classify two interleaved spirals with a 2-32-32-2 tanh MLP.
* :func:`rnn_adding_task`: the adding problem (Hochreiter & Schmidhuber 1997): a tanh RNN reads
  a sequence of (value, marker) pairs and must output the sum of the two marked values.
  Predicting the mean scores MSE :math:`\mathrm{Var}(u_1 + u_2) = 1/6`; learning it requires
  carrying information across the sequence, where recurrent gradients vanish or explode.

``task.train(optimizer_cls, steps, **kw)`` builds a fresh model from the task's seed, trains it
with ``optimizer_cls(model.parameters(), **kw)`` (``torch.optim.RMSprop``, ``rmslab.torch.RMSProp``
...) on seeded minibatches, and returns a :class:`TrainingHistory` with the minibatch loss and the
gradient norm of every layer at every step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from rmslab.problems.base import check_int


@dataclass(frozen=True)
class TrainingHistory:
    r"""Per-step record of one training run.

    Attributes:
        loss: minibatch loss before each step, shape ``(T,)``.
        grad_norms: layer name -> :math:`\|\nabla_{\text{layer}} L\|_2` per step, shape ``(T,)``.
        final_loss: loss of the trained model on the whole data set (``nan`` if it diverged).
        accuracy: classification accuracy on the whole data set (``None`` for regression).
        diverged_at: first step whose loss was not finite (history truncated there), else None.
        name: the optimizer class name.
    """

    loss: np.ndarray
    grad_norms: dict
    final_loss: float
    accuracy: float | None
    diverged_at: int | None
    name: str


class TorchTask:
    """Shared training loop; subclasses set ``inputs``, ``targets``, ``layers`` and ``build``."""

    loss_fn: nn.Module
    layers: ClassVar[dict[str, list[str]]]

    def __init__(self, seed: int, batch_size: int):
        self.seed = check_int("seed", seed, 0)
        self.batch_size = check_int("batch_size", batch_size, 1)

    def build(self) -> nn.Module:
        raise NotImplementedError

    def accuracy(self, outputs, targets) -> float | None:
        return None

    def layer_norms(self, model: nn.Module) -> dict:
        """Gradient norm of each named group of parameters."""
        params = dict(model.named_parameters())
        return {
            layer: float(torch.sqrt(sum((params[n].grad ** 2).sum() for n in names)))
            for layer, names in self.layers.items()
        }

    def train(self, optimizer_cls, steps: int = 300, **optimizer_kwargs) -> TrainingHistory:
        """Train a fresh, seeded model for ``steps`` minibatch steps; see :class:`TrainingHistory`.
        Same seed and arguments give the same history."""
        is_class = isinstance(optimizer_cls, type)
        if not (is_class and issubclass(optimizer_cls, torch.optim.Optimizer)):
            raise TypeError(
                f"optimizer_cls must be a torch.optim.Optimizer class, got {optimizer_cls!r}"
            )
        steps = check_int("steps", steps, 1)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # tiny tensors: one thread is fastest and immune to contention
        try:
            return self.fit(optimizer_cls, steps, optimizer_kwargs)
        finally:
            torch.set_num_threads(threads)

    def fit(self, optimizer_cls, steps: int, optimizer_kwargs: dict) -> TrainingHistory:
        """The training loop behind :meth:`train`."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            model = self.build().to(torch.float32)
        optimizer = optimizer_cls(model.parameters(), **optimizer_kwargs)
        batches = torch.Generator().manual_seed(self.seed + 1)
        losses, norms, diverged_at = [], {layer: [] for layer in self.layers}, None
        for step in range(steps):
            idx = torch.randint(len(self.targets), (self.batch_size,), generator=batches)
            optimizer.zero_grad()
            loss = self.loss_fn(model(self.inputs[idx]), self.targets[idx])
            if not torch.isfinite(loss):
                diverged_at = step
                break
            loss.backward()
            losses.append(loss.item())
            for layer, value in self.layer_norms(model).items():
                norms[layer].append(value)
            optimizer.step()
        with torch.no_grad():
            outputs = model(self.inputs)
            final = self.loss_fn(outputs, self.targets).item()
        return TrainingHistory(
            loss=np.array(losses),
            grad_norms={k: np.array(v) for k, v in norms.items()},
            final_loss=final,
            accuracy=self.accuracy(outputs, self.targets),
            diverged_at=diverged_at,
            name=optimizer_cls.__name__,
        )


class MLPTask(TorchTask):
    """Two spirals (``n`` points, 2 classes, Gaussian jitter of 0.1 x radius) and a 2-32-32-2
    tanh MLP with layers ``"hidden1"``, ``"hidden2"``, ``"output"``; cross-entropy, float32."""

    loss_fn = nn.CrossEntropyLoss()
    layers: ClassVar[dict[str, list[str]]] = {
        "hidden1": ["0.weight", "0.bias"],
        "hidden2": ["2.weight", "2.bias"],
        "output": ["4.weight", "4.bias"],
    }

    def __init__(self, seed: int = 0, n: int = 512, batch_size: int = 64):
        super().__init__(seed, batch_size)
        n = check_int("n", n, 2)
        rng = np.random.default_rng(self.seed)
        labels = np.arange(n) % 2
        radius = rng.uniform(0.2, 1.0, n)
        angle = 3 * np.pi * radius + np.pi * labels
        points = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        points += 0.1 * rng.standard_normal((n, 2)) * radius[:, None]
        self.inputs = torch.tensor(points, dtype=torch.float32)
        self.targets = torch.tensor(labels, dtype=torch.int64)

    def build(self) -> nn.Module:
        return nn.Sequential(
            nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2)
        )

    def accuracy(self, outputs, targets) -> float:
        return float((outputs.argmax(dim=1) == targets).float().mean())


class AddingRNN(nn.Module):
    """tanh RNN over the sequence, linear read-out of the last hidden state."""

    def __init__(self, hidden: int):
        super().__init__()
        self.rnn = nn.RNN(2, hidden, batch_first=True)
        self.readout = nn.Linear(hidden, 1)

    def forward(self, x):
        states, _ = self.rnn(x)
        return self.readout(states[:, -1]).squeeze(-1)


class RNNAddingTask(TorchTask):
    """Adding problem: ``n`` sequences of length ``length``; channel 0 holds values
    :math:`u_t \\sim U(0, 1)`, channel 1 marks one step in each half; target
    :math:`u_i + u_j`. Layers ``"input"`` (input-to-hidden), ``"recurrent"`` (hidden-to-hidden)
    and ``"readout"``; MSE loss, float32."""

    loss_fn = nn.MSELoss()
    layers: ClassVar[dict[str, list[str]]] = {
        "input": ["rnn.weight_ih_l0", "rnn.bias_ih_l0"],
        "recurrent": ["rnn.weight_hh_l0", "rnn.bias_hh_l0"],
        "readout": ["readout.weight", "readout.bias"],
    }

    def __init__(
        self, seed: int = 0, length: int = 10, n: int = 1024, hidden: int = 32, batch_size: int = 64
    ):
        super().__init__(seed, batch_size)
        length = check_int("length", length, 2)
        n = check_int("n", n, 1)
        self.hidden = check_int("hidden", hidden, 1)
        rng = np.random.default_rng(self.seed)
        values = rng.random((n, length))
        half = length // 2
        first = rng.integers(0, half, n)
        second = rng.integers(half, length, n)
        markers = np.zeros((n, length))
        markers[np.arange(n), first] = markers[np.arange(n), second] = 1.0
        rows = np.arange(n)
        self.inputs = torch.tensor(np.stack([values, markers], axis=-1), dtype=torch.float32)
        self.targets = torch.tensor(values[rows, first] + values[rows, second], dtype=torch.float32)

    def build(self) -> nn.Module:
        return AddingRNN(self.hidden)


def mlp_task(seed: int = 0, **kwargs) -> MLPTask:
    """Two-spirals MLP classification task; see :class:`MLPTask`."""
    return MLPTask(seed, **kwargs)


def rnn_adding_task(seed: int = 0, **kwargs) -> RNNAddingTask:
    """RNN adding-problem regression task; see :class:`RNNAddingTask`."""
    return RNNAddingTask(seed, **kwargs)
