r"""Train small real networks with any ``torch.optim.Optimizer`` and watch what each layer does.

One module for every network in the course: the data and model builders (:func:`digits_mlp`,
:func:`adding_task`), one training loop (:func:`fit`) and the per-layer diagnostics it records.

* :func:`digits_mlp`: scikit-learn's bundled 8x8 digits (1,797 images, no download), a fixed
  1,400 / 397 train/test split, and an MLP of chosen depth, width and activation.
* :func:`adding_task`: the adding problem (Hochreiter & Schmidhuber 1997): a recurrent network
  (tanh RNN or GRU) reads (value, marker) pairs and must output the sum of the two marked values.
  Predicting the mean scores :math:`\mathrm{Var}(u_1 + u_2) = 1/6`.
* :func:`fit`: a seeded, single-thread, deterministic loop over minibatches. At every step it
  records the minibatch loss and, for every layer :math:`l` (its weight matrix :math:`W_l`),

  .. math:: \text{relative gradient } \frac{\|\nabla_{W_l} L\|}{\|W_l\|}, \qquad
            \text{relative update } \frac{\|W_l^{+} - W_l\|}{\|W_l\|},

  where :math:`W_l^{+}` is the weight after the optimizer's step (Frobenius norms). The first
  is what backpropagation hands the optimizer; the second is what the optimizer did with it.
* :func:`fit_many`: many independent runs of a digits MLP (a grid of hyperparameters times
  seeds) trained side by side as one batched model, several times faster than one :func:`fit`
  per run; each run keeps its own weights, minibatches and optimizer state.
* :func:`tune`: the learning rate, on a grid, with the lowest training loss at the end of a
  short run (the protocol the book uses to compare optimizers fairly).
* :func:`gradient_through_time`: :math:`\|\partial L/\partial u_t\|` for each input step of a
  recurrent model, the quantity that vanishes with the distance :math:`T - t`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from rmslab.problems.base import check_int

#: The digits split: this many training images; the remaining 397 are the test set.
DIGITS_TRAIN = 1400
#: Seed of the permutation that splits the digits; fixed, so every run sees the same split.
DIGITS_SPLIT_SEED = 0
ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
CELLS = ("tanh", "gru")


@dataclass(frozen=True)
class Task:
    """A data set with a fixed train/test split and a model builder.

    Attributes:
        name: label for tables and legends.
        build: ``build() -> nn.Module``; :func:`fit` seeds torch before calling it.
        x_train, y_train, x_test, y_test: float32 inputs and targets (int64 class labels for a
            classification task).
        loss_fn: the training loss (``nn.CrossEntropyLoss`` or ``nn.MSELoss``).
        layers: layer name -> name of its weight parameter in ``build()``'s ``named_parameters``.
        classification: whether accuracy is meaningful.
    """

    name: str
    build: Callable[[], nn.Module]
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    loss_fn: nn.Module
    layers: dict[str, str]
    classification: bool

    def __repr__(self) -> str:
        return f"<Task {self.name!r}: {len(self.y_train)} train, {len(self.y_test)} test>"


@dataclass
class History:
    r"""What :func:`fit` records.

    Attributes:
        loss: minibatch loss before each step, shape ``(T,)`` (shorter if the run diverged).
        rel_grad: layer -> :math:`\|\nabla_{W_l} L\| / \|W_l\|` at each step, shape ``(T,)``.
        rel_update: layer -> :math:`\|\Delta W_l\| / \|W_l\|` at each step, shape ``(T,)``.
        eval_steps: steps after which the test set was evaluated.
        test_loss, test_accuracy: test loss and accuracy at ``eval_steps`` (accuracy ``nan``
            for regression).
        diverged_at: first step whose loss or gradient norm was not finite, else ``None``.
        seconds: wall-clock time of the run.
        model: the trained model.
    """

    loss: np.ndarray
    rel_grad: dict[str, np.ndarray]
    rel_update: dict[str, np.ndarray]
    eval_steps: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    diverged_at: int | None
    seconds: float
    model: nn.Module = field(repr=False)

    @property
    def final_test_loss(self) -> float:
        """Test loss after the last step (``nan`` if the run diverged)."""
        return float(self.test_loss[-1]) if self.diverged_at is None else float("nan")

    @property
    def final_test_accuracy(self) -> float:
        """Test accuracy after the last step (``nan`` if the run diverged or for regression)."""
        return float(self.test_accuracy[-1]) if self.diverged_at is None else float("nan")


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled digits as ``(X, y)``: X of shape (1797, 64) scaled to [0, 1]
    (pixel intensity / 16), y the labels 0-9. Read from the installed package, never downloaded."""
    from sklearn.datasets import load_digits as sklearn_digits

    data = sklearn_digits()
    return data.data / 16.0, data.target


def digits_split() -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)`` of the fixed split: a permutation seeded by
    :data:`DIGITS_SPLIT_SEED`, its first :data:`DIGITS_TRAIN` entries for training."""
    order = np.random.default_rng(DIGITS_SPLIT_SEED).permutation(1797)
    return np.sort(order[:DIGITS_TRAIN]), np.sort(order[DIGITS_TRAIN:])


def digits_mlp(depth: int = 6, width: int = 64, activation: str = "sigmoid") -> Task:
    """Classify the 8x8 digits with an MLP of ``depth`` hidden layers of ``width`` units.

    The model is ``64 -> width -> ... -> width -> 10`` with ``activation`` after every hidden
    layer (``"sigmoid"``, ``"tanh"`` or ``"relu"``), PyTorch's default initialisation, and a
    cross-entropy loss. Layers are named ``"layer1"`` (input side) to ``f"layer{depth + 1}"``
    (the output layer).
    """
    depth = check_int("depth", depth, 1)
    width = check_int("width", width, 1)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    x, y = load_digits()
    train, test = digits_split()
    sizes = [64] + [width] * depth + [10]

    def build() -> nn.Module:
        modules: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            modules.append(nn.Linear(n_in, n_out))
            if i < depth:
                modules.append(ACTIVATIONS[activation]())
        return nn.Sequential(*modules)

    return Task(
        name=f"digits MLP, {depth} x {width} {activation}",
        build=build,
        x_train=torch.tensor(x[train], dtype=torch.float32),
        y_train=torch.tensor(y[train], dtype=torch.int64),
        x_test=torch.tensor(x[test], dtype=torch.float32),
        y_test=torch.tensor(y[test], dtype=torch.int64),
        loss_fn=nn.CrossEntropyLoss(),
        layers={f"layer{i + 1}": f"{2 * i}.weight" for i in range(depth + 1)},
        classification=True,
    )


class Recurrent(nn.Module):
    """A tanh RNN or a GRU over the sequence and a linear read-out of its last hidden state."""

    def __init__(self, cell: str, hidden: int):
        super().__init__()
        layer = nn.GRU if cell == "gru" else nn.RNN
        self.rnn = layer(2, hidden, batch_first=True)
        self.readout = nn.Linear(hidden, 1)

    def forward(self, x):
        states, _ = self.rnn(x)
        return self.readout(states[:, -1]).squeeze(-1)


def adding_sequences(n: int, length: int, rng: np.random.Generator):
    """``(inputs, targets, first, second)`` for ``n`` adding-problem sequences.

    Channel 0 holds values :math:`u_t \\sim U(0, 1)`; channel 1 marks one step ``first`` in the
    first half and one step ``second`` in the second half; the target is
    :math:`u_{first} + u_{second}`."""
    values = rng.random((n, length))
    half = length // 2
    first = rng.integers(0, half, n)
    second = rng.integers(half, length, n)
    markers = np.zeros((n, length))
    rows = np.arange(n)
    markers[rows, first] = markers[rows, second] = 1.0
    inputs = np.stack([values, markers], axis=-1)
    return inputs, values[rows, first] + values[rows, second], first, second


def adding_task(
    cell: str = "tanh", length: int = 30, hidden: int = 32, n_train: int = 2048, n_test: int = 512
) -> Task:
    """The adding problem for a recurrent ``cell`` (``"tanh"`` RNN or ``"gru"``).

    Sequences of ``length`` steps, drawn once from a generator seeded 0 (training set first,
    then the test set, so the two are disjoint draws). Layers: ``"input"`` (input-to-hidden
    weights), ``"recurrent"`` (hidden-to-hidden) and ``"readout"``; MSE loss.
    """
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {list(CELLS)}, got {cell!r}")
    length = check_int("length", length, 2)
    hidden = check_int("hidden", hidden, 1)
    n_train = check_int("n_train", n_train, 1)
    n_test = check_int("n_test", n_test, 1)
    rng = np.random.default_rng(0)
    train = adding_sequences(n_train, length, rng)
    test = adding_sequences(n_test, length, rng)
    return Task(
        name=f"adding problem, {'GRU' if cell == 'gru' else 'tanh RNN'}, length {length}",
        build=lambda: Recurrent(cell, hidden),
        x_train=torch.tensor(train[0], dtype=torch.float32),
        y_train=torch.tensor(train[1], dtype=torch.float32),
        x_test=torch.tensor(test[0], dtype=torch.float32),
        y_test=torch.tensor(test[1], dtype=torch.float32),
        loss_fn=nn.MSELoss(),
        layers={
            "input": "rnn.weight_ih_l0",
            "recurrent": "rnn.weight_hh_l0",
            "readout": "readout.weight",
        },
        classification=False,
    )


@contextlib.contextmanager
def one_thread():
    """Run torch on one thread, with subnormal floats flushed to zero, inside the block.

    One thread is fastest for tiny tensors, and repeatable. A saturated sigmoid network makes
    subnormal numbers (below 1.2e-38 in float32), which CPUs process many times more slowly
    (they made batched sigmoid runs here up to three times slower); flushed to zero, each
    changes a result by less than 1.2e-38. (Flushing is turned off again on exit.)
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(threads)


def evaluate(task: Task, model: nn.Module) -> tuple[float, float]:
    """``(test loss, test accuracy)`` of ``model`` on the task's test set (accuracy ``nan`` for
    regression)."""
    with torch.no_grad():
        outputs = model(task.x_test)
        loss = float(task.loss_fn(outputs, task.y_test))
        if not task.classification:
            return loss, float("nan")
        return loss, float((outputs.argmax(dim=1) == task.y_test).float().mean())


def make_optimizer(optimizer, params, optimizer_kwargs: dict) -> torch.optim.Optimizer:
    """``optimizer(params, **optimizer_kwargs)`` for an Optimizer class or a factory function."""
    if isinstance(optimizer, type) and not issubclass(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer class, got {optimizer!r}")
    if not callable(optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer class or a function params -> "
            f"optimizer, got {optimizer!r}"
        )
    made = optimizer(params, **optimizer_kwargs)
    if not isinstance(made, torch.optim.Optimizer):
        raise TypeError(f"optimizer(params) must return a torch.optim.Optimizer, got {made!r}")
    return made


def all_finite(model: nn.Module) -> bool:
    """Whether the total norm of ``model``'s gradients is finite: no inf or NaN entry, and no
    overflow of the norm in the gradients' precision (about 1e19 per entry in float32, which
    counts as divergence). One fused norm instead of one check per tensor: cheap every step."""
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    return not grads or bool(torch.isfinite(nn.utils.get_total_norm(grads)))


def fit(
    task: Task,
    optimizer,
    steps: int,
    *,
    seed: int = 0,
    batch_size: int = 64,
    eval_every: int | None = None,
    scheduler: Callable | None = None,
    clip_norm: float | None = None,
    on_gradient: Callable | None = None,
    layer_stats: bool = True,
    **optimizer_kwargs,
) -> History:
    """Train a fresh model of ``task`` for ``steps`` minibatch steps; see :class:`History`.

    Args:
        task: from :func:`digits_mlp` or :func:`adding_task`.
        optimizer: a ``torch.optim.Optimizer`` class (``torch.optim.RMSprop``,
            ``rmslab.torch.RMSProp``, ...) called as ``optimizer(params, **optimizer_kwargs)``,
            or any function with that signature that returns an optimizer.
        steps: number of optimizer steps.
        seed: seeds the initial weights and the minibatch order (sampled with replacement).
        batch_size: minibatch size.
        eval_every: evaluate the test set every this many steps (default: only at the end).
        scheduler: ``scheduler(optimizer) -> torch.optim.lr_scheduler.LRScheduler``, stepped
            after every optimizer step.
        clip_norm: if given, ``torch.nn.utils.clip_grad_norm_`` to this total norm before the
            optimizer sees the gradient.
        on_gradient: ``on_gradient(step, model)`` called after ``backward`` and before clipping,
            for experiments that edit the gradient (a spike, say).
        layer_stats: record ``rel_grad`` and ``rel_update`` (about doubles the cost of a step;
            turn off for tuning sweeps, which then get empty arrays).

    The run is deterministic: the same arguments give the same history, bit for bit. A step
    whose loss or gradient norm is not finite stops the run and sets ``diverged_at``.
    """
    steps = check_int("steps", steps, 1)
    seed = check_int("seed", seed, 0)
    batch_size = check_int("batch_size", batch_size, 1)
    eval_every = steps if eval_every is None else check_int("eval_every", eval_every, 1)
    if clip_norm is not None and not clip_norm > 0:
        raise ValueError(f"clip_norm must be a positive number or None, got {clip_norm!r}")
    start = time.perf_counter()
    with one_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = task.build()
        params = dict(model.named_parameters())
        weights = {layer: params[name] for layer, name in task.layers.items()}
        opt = make_optimizer(optimizer, model.parameters(), optimizer_kwargs)
        schedule = scheduler(opt) if scheduler is not None else None
        batches = torch.Generator().manual_seed(seed)
        n = len(task.y_train)
        losses, diverged_at = [], None
        rel_grad = {layer: [] for layer in weights}
        rel_update = {layer: [] for layer in weights}
        eval_steps, test_loss, test_acc = [], [], []
        for step in range(steps):
            idx = torch.randint(n, (batch_size,), generator=batches)
            opt.zero_grad()
            loss = task.loss_fn(model(task.x_train[idx]), task.y_train[idx])
            loss.backward()
            if on_gradient is not None:
                on_gradient(step, model)
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            if not (torch.isfinite(loss) and all_finite(model)):
                diverged_at = step
                break
            losses.append(loss.item())
            before = {}
            if layer_stats:
                for layer, w in weights.items():
                    norm = w.detach().norm()
                    rel_grad[layer].append(float(w.grad.norm() / norm))
                    before[layer] = (w.detach().clone(), norm)
            opt.step()
            if schedule is not None:
                schedule.step()
            for layer, (old, norm) in before.items():
                rel_update[layer].append(float((weights[layer].detach() - old).norm() / norm))
            if (step + 1) % eval_every == 0 or step + 1 == steps:
                eval_steps.append(step + 1)
                lo, acc = evaluate(task, model)
                test_loss.append(lo)
                test_acc.append(acc)
    return History(
        loss=np.array(losses),
        rel_grad={k: np.array(v) for k, v in rel_grad.items()},
        rel_update={k: np.array(v) for k, v in rel_update.items()},
        eval_steps=np.array(eval_steps, dtype=int),
        test_loss=np.array(test_loss),
        test_accuracy=np.array(test_acc),
        diverged_at=diverged_at,
        seconds=time.perf_counter() - start,
        model=model,
    )


@dataclass
class ManyHistory:
    """What :func:`fit_many` records, indexed ``[lr, seed]``.

    Attributes:
        lrs, seeds: the grid, as given.
        loss: minibatch losses, shape ``(lrs, seeds, steps)`` (``nan`` from divergence on).
        test_loss, test_accuracy: after the last step, shape ``(lrs, seeds)`` (``nan`` where
            the run diverged).
        diverged_at: first step whose loss was not finite, ``-1`` if none; same shape.
        seconds: wall-clock time of the whole batch.
    """

    lrs: tuple[float, ...]
    seeds: tuple[int, ...]
    loss: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    diverged_at: np.ndarray
    seconds: float


def _mlp_layers(model: nn.Module) -> list[tuple[nn.Linear, nn.Module | None]]:
    """``[(linear, activation or None), ...]`` of a :func:`digits_mlp` model."""
    if not isinstance(model, nn.Sequential) or not isinstance(model[0], nn.Linear):
        raise ValueError("fit_many needs a digits_mlp task (a Sequential of Linear layers)")
    layers = []
    for module in model:
        if isinstance(module, nn.Linear):
            layers.append((module, None))
        else:
            layers[-1] = (layers[-1][0], module)
    return layers


def check_lrs(lrs) -> tuple[float, ...]:
    """``lrs`` as a tuple of floats, or ``ValueError`` unless it is non-empty and positive."""
    lrs = tuple(float(lr) for lr in lrs)
    if not lrs or not all(lr > 0 for lr in lrs):
        raise ValueError(f"lrs must be a non-empty sequence of positive numbers, got {lrs!r}")
    return lrs


def fit_many(
    task: Task, optimizer, steps: int, *, lrs, seeds=(0,), batch_size: int = 64, **optimizer_kwargs
) -> ManyHistory:
    r"""Train one :func:`digits_mlp` model per (learning rate, seed) pair, side by side.

    Run ``(i, j)`` is what ``fit(task, optimizer, steps, seed=seeds[j], lr=lrs[i],
    batch_size=batch_size, **optimizer_kwargs)`` computes, up to float32 rounding: the same
    initial weights, minibatches and optimizer state. The runs are stacked along a leading
    axis, layer :math:`l` of run :math:`r` computing
    :math:`h^{(r)}_{l} = \sigma(h^{(r)}_{l-1} W^{(r)\top}_l + b^{(r)}_l)` in one batched
    matrix product, and the loss is the sum of the runs' mean losses, so each run's gradient
    is exactly its own. The optimizer runs once, with ``lr=1``, on zeroed copies of the
    weights: it writes the update direction :math:`-u_t` there, and run :math:`r` takes
    :math:`W \leftarrow W - \eta_r u_t`. That is exact for optimizers whose step is the
    learning rate times a quantity that depends on the gradients only: ``torch.optim``'s SGD
    (with momentum), RMSprop and Adam, without weight decay. On one core, a step of 12 runs of
    the 6 x 32 digits network costs about twice a step of one run.
    """
    steps = check_int("steps", steps, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    lrs = check_lrs(lrs)
    seeds = tuple(check_int("seed", s, 0) for s in seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    if "lr" in optimizer_kwargs or optimizer_kwargs.get("weight_decay", 0):
        raise ValueError("fit_many takes the learning rates as lrs= and no weight_decay")
    if not task.classification:
        raise ValueError("fit_many needs a digits_mlp task (a Sequential of Linear layers)")
    start = time.perf_counter()
    runs = [(lr, seed) for lr in lrs for seed in seeds]
    with one_thread(), torch.random.fork_rng(devices=[]):
        models = []
        for _, seed in runs:
            torch.manual_seed(seed)
            models.append(_mlp_layers(task.build()))
        activations = [act for _, act in models[0]]
        params = []
        for i in range(len(activations)):
            for name in ("weight", "bias"):
                stacked = torch.stack([getattr(m[i][0], name).detach() for m in models])
                params.append(stacked.clone().requires_grad_(True))
        shadows = [torch.zeros_like(p, requires_grad=True) for p in params]
        opt = make_optimizer(optimizer, shadows, {**optimizer_kwargs, "lr": 1.0})
        scale = torch.tensor([lr for lr, _ in runs], dtype=params[0].dtype)

        def forward(x):
            for act, w, b in zip(activations, params[::2], params[1::2], strict=True):
                x = torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))
                x = x if act is None else act(x)
            return x

        generators = {seed: torch.Generator().manual_seed(seed) for seed in seeds}
        n, n_runs = len(task.y_train), len(runs)
        losses = []
        for _ in range(steps):
            drawn = {s: torch.randint(n, (batch_size,), generator=g) for s, g in generators.items()}
            idx = torch.stack([drawn[seed] for _, seed in runs])
            out = forward(task.x_train[idx])
            per_run = (
                nn.functional.cross_entropy(
                    out.reshape(n_runs * batch_size, -1),
                    task.y_train[idx].reshape(-1),
                    reduction="none",
                )
                .view(n_runs, batch_size)
                .mean(dim=1)
            )
            grads = torch.autograd.grad(per_run.sum(), params)
            with torch.no_grad():
                for z, g in zip(shadows, grads, strict=True):
                    z.zero_()
                    z.grad = g
                opt.step()
                for p, z in zip(params, shadows, strict=True):
                    p.add_(z * scale.view(-1, *[1] * (z.ndim - 1)))
            losses.append(per_run.detach())
        loss = torch.stack(losses, dim=1).double().numpy()
        with torch.no_grad():
            out = forward(task.x_test.expand(n_runs, *task.x_test.shape))
            y = task.y_test.expand(n_runs, -1)
            test_loss = nn.functional.cross_entropy(
                out.reshape(-1, out.shape[-1]), y.reshape(-1), reduction="none"
            )
            test_loss = test_loss.view(n_runs, -1).mean(dim=1).double().numpy()
            accuracy = (out.argmax(dim=2) == y).double().mean(dim=1).numpy()
    bad = ~np.isfinite(loss)
    diverged_at = np.where(bad.any(axis=1), bad.argmax(axis=1), -1)
    loss[bad.cumsum(axis=1) > 0] = np.nan
    test_loss[diverged_at >= 0] = np.nan
    accuracy[diverged_at >= 0] = np.nan
    shape = (len(lrs), len(seeds))
    return ManyHistory(
        lrs=lrs,
        seeds=seeds,
        loss=loss.reshape(*shape, steps),
        test_loss=test_loss.reshape(shape),
        test_accuracy=accuracy.reshape(shape),
        diverged_at=diverged_at.reshape(shape),
        seconds=time.perf_counter() - start,
    )


@dataclass(frozen=True)
class Tuning:
    """What :func:`tune` found.

    Attributes:
        lrs: the grid, as given.
        scores: score of each learning rate (``inf`` where the run diverged).
        best_lr: the learning rate with the lowest score (the first on the grid on a tie).
        runs: the runs behind the scores, a :class:`ManyHistory` of shape ``(lrs, seeds)``.
    """

    lrs: tuple[float, ...]
    scores: np.ndarray
    best_lr: float
    runs: ManyHistory


def tune(task: Task, optimizer, lrs, steps: int, *, seeds=(0,), window: int = 50, **kwargs):
    r"""Pick the learning rate of ``optimizer`` on the grid ``lrs``.

    Every learning rate trains for ``steps`` steps from each seed; its score is the mean
    minibatch training loss over the last ``window`` steps,
    :math:`\frac{1}{w}\sum_{t > T - w} L_t`, averaged over the seeds, or ``inf`` if a run
    diverged. The test set plays no part, so the test numbers of the chosen runs are not tuned
    on. ``kwargs`` go to the optimizer and the training loop (``batch_size``, ...). A digits
    MLP trains all runs side by side in one :func:`fit_many`; other tasks run :func:`fit`
    once per run. Returns a :class:`Tuning`.
    """
    lrs = check_lrs(lrs)
    steps = check_int("steps", steps, 1)
    window = check_int("window", window, 1)
    if window > steps:
        raise ValueError(f"window must be at most steps = {steps}, got {window}")
    seeds = tuple(seeds)
    if task.classification:
        runs = fit_many(task, optimizer, steps, lrs=lrs, seeds=seeds, **kwargs)
    else:
        start = time.perf_counter()
        histories = [
            [fit(task, optimizer, steps, seed=s, layer_stats=False, lr=lr, **kwargs) for s in seeds]
            for lr in lrs
        ]
        loss = np.full((len(lrs), len(seeds), steps), np.nan)
        for i, row in enumerate(histories):
            for j, history in enumerate(row):
                loss[i, j, : len(history.loss)] = history.loss
        runs = ManyHistory(
            lrs=lrs,
            seeds=seeds,
            loss=loss,
            test_loss=np.array([[h.final_test_loss for h in row] for row in histories]),
            test_accuracy=np.array([[h.final_test_accuracy for h in row] for row in histories]),
            diverged_at=np.array(
                [[-1 if h.diverged_at is None else h.diverged_at for h in row] for row in histories]
            ),
            seconds=time.perf_counter() - start,
        )
    scores = runs.loss[:, :, -window:].mean(axis=(1, 2))
    scores[~np.isfinite(scores)] = np.inf
    return Tuning(lrs=lrs, scores=scores, best_lr=lrs[int(np.argmin(scores))], runs=runs)


def gradient_through_time(model, inputs, targets, loss_fn) -> np.ndarray:
    r"""Norm of the loss gradient with respect to each time step's input.

    ``inputs`` has shape ``(batch, T, features)`` (batch first). Returns an array of shape
    ``(T,)`` whose entry ``t`` is :math:`\|\partial L / \partial u_{\cdot, t, \cdot}\|_2`, the
    Euclidean norm over the batch and the features of the gradient of
    ``loss_fn(model(inputs), targets)`` with respect to the inputs at step ``t``. The model's
    parameters are left unchanged and their ``.grad`` untouched.
    """
    if inputs.ndim != 3:
        raise ValueError(f"inputs must have shape (batch, T, features), got {tuple(inputs.shape)}")
    probe = inputs.detach().clone().requires_grad_(True)
    loss = loss_fn(model(probe), targets)
    (grad,) = torch.autograd.grad(loss, probe)
    return grad.norm(dim=(0, 2)).detach().cpu().double().numpy()


def marked_value_weights(task: Task, model: nn.Module) -> np.ndarray:
    """Least-squares weights ``(a, b)`` of ``prediction ~ a u_first + b u_second + c`` on the
    adding problem's test set: how much of each marked value the trained model carries to its
    output (1 and 1 for a perfect model, 0 and 0 for one that predicts the mean)."""
    if task.classification:
        raise ValueError("marked_value_weights needs an adding_task, got a classification task")
    x = task.x_test.double().numpy()
    rows = np.arange(len(x))
    first = x[:, : x.shape[1] // 2, 1].argmax(axis=1)
    second = x.shape[1] // 2 + x[:, x.shape[1] // 2 :, 1].argmax(axis=1)
    design = np.stack([x[rows, first, 0], x[rows, second, 0], np.ones(len(x))], axis=1)
    with torch.no_grad():
        prediction = model(task.x_test).double().numpy()
    coef, *_ = np.linalg.lstsq(design, prediction, rcond=None)
    return coef[:2]
