"""Named keyword sets that make :func:`rmsprop` and :func:`adagrad` match a framework or paper.

``PRESETS[name]`` is a plain dict of :func:`rmsprop` keyword values plus a ``source`` string
citing what it reproduces, so the book can print the table. Overrides win over the preset:
``rmsprop_preset("keras", lr=1e-2, momentum=0.9)`` is Keras 3 ``RMSprop(learning_rate=1e-2,
momentum=0.9)``.
"""

from __future__ import annotations

from rmslab.optim import _common
from rmslab.optim._adagrad import adagrad
from rmslab.optim._rmsprop import rmsprop

PRESETS: dict[str, dict] = {
    "torch": dict(
        lr=1e-2,
        beta=0.99,
        eps=1e-8,
        eps_in_sqrt=False,
        initial_square_avg=0.0,
        lr_in_momentum=False,
        decoupled_weight_decay=False,
        safe=False,
        source="torch 2.13 torch/optim/rmsprop.py (RMSprop defaults: lr=1e-2, alpha=0.99, "
        "eps=1e-8 added after the square root, square_avg starts at 0)",
    ),
    "tf1": dict(
        lr=1e-3,
        beta=0.9,
        eps=1e-10,
        eps_in_sqrt=True,
        initial_square_avg=1.0,
        lr_in_momentum=True,
        decoupled_weight_decay=False,
        safe=False,
        source="TF1 tensorflow/python/training/rmsprop.py + core/kernels/training_ops.cc "
        "(decay=0.9, epsilon=1e-10 inside the root, 'rms' slot initialised to ones, "
        "mom = momentum*mom + lr*g/sqrt(ms+eps)); learning_rate has no default there, "
        "1e-3 here",
    ),
    "keras": dict(
        lr=1e-3,
        beta=0.9,
        eps=1e-7,
        eps_in_sqrt=True,
        initial_square_avg=0.0,
        lr_in_momentum=True,
        decoupled_weight_decay=True,
        safe=False,
        source="Keras 3 keras/src/optimizers/rmsprop.py (learning_rate=1e-3, rho=0.9, "
        "epsilon=1e-7 inside the root, zero velocities, momentum accumulates lr*g/d); "
        "weight_decay is decoupled (base_optimizer.py)",
    ),
    "optax": dict(
        lr=1e-3,
        beta=0.9,
        eps=1e-8,
        eps_in_sqrt=True,
        initial_square_avg=0.0,
        lr_in_momentum=True,
        decoupled_weight_decay=False,
        safe=False,
        source="optax optax/_src/alias.py rmsprop + transform.py scale_by_rms (decay=0.9, "
        "eps=1e-8, eps_in_sqrt=True, initial_scale=0, lr applied before the momentum "
        "trace); learning_rate has no default there, 1e-3 here",
    ),
    "hinton": dict(
        lr=1e-3,
        beta=0.9,
        eps=0.0,
        eps_in_sqrt=False,
        initial_square_avg=0.0,
        lr_in_momentum=False,
        decoupled_weight_decay=False,
        safe=True,
        source="Tieleman & Hinton (2012), Coursera Neural Networks lecture 6e slides: "
        "MeanSquare = 0.9 MeanSquare + 0.1 g^2, divide g by sqrt(MeanSquare). The "
        "slide has no eps (eps=0; the update is defined as 0 where MeanSquare = 0) "
        "and no learning rate: lr=1e-3 is the value later attributed to it "
        "(Ruder 2016), not from the slide",
    ),
    "dqn": dict(
        lr=2.5e-4,
        beta=0.95,
        eps=0.01,
        eps_in_sqrt=True,
        centered=True,
        initial_square_avg=0.0,
        lr_in_momentum=False,
        decoupled_weight_decay=False,
        safe=False,
        source="Mnih et al. (2015), Nature 518, Extended Data Table 1 (learning rate 0.00025, "
        "gradient momentum 0.95, squared gradient momentum 0.95, min squared gradient 0.01) "
        "and deepmind/dqn dqn/NeuralQLearner.lua (g = 0.95 g + 0.05 dw, g2 = 0.95 g2 + "
        "0.05 dw^2, step lr dw / sqrt(g2 - g^2 + 0.01): centered, eps inside the root, "
        "both averages start at 0, no momentum)",
    ),
}

ADAGRAD_PRESETS: dict[str, dict] = {
    "torch": dict(
        lr=1e-2,
        initial_accumulator_value=0.0,
        eps=1e-10,
        eps_in_sqrt=False,
        safe=False,
        source="torch 2.13 torch/optim/adagrad.py (lr=1e-2, initial_accumulator_value=0, "
        "eps=1e-10 added after the square root)",
    ),
    "optax": dict(
        lr=1e-2,
        initial_accumulator_value=0.1,
        eps=1e-7,
        eps_in_sqrt=True,
        safe=True,
        source="optax optax/_src/alias.py adagrad + transform.py scale_by_rss "
        "(initial_accumulator_value=0.1, eps=1e-7 inside the root, update 0 where "
        "the sum is 0); learning_rate has no default there, 1e-2 here (torch's)",
    ),
}


def _keywords(table: dict[str, dict], kind: str, name: str, overrides: dict) -> dict:
    if name not in table:
        raise ValueError(f"{kind} preset must be one of {sorted(table)}, got {name!r}")
    keywords = {k: v for k, v in table[name].items() if k != "source"}
    keywords.update(overrides)
    return keywords


def rmsprop_preset(name: str, **overrides) -> _common.Optimizer:
    """:func:`rmsprop` configured as ``PRESETS[name]``, with ``overrides`` applied on top.

    ``name`` is one of ``"torch"``, ``"tf1"``, ``"keras"``, ``"optax"``, ``"hinton"``, ``"dqn"``.
    """
    optimizer = rmsprop(**_keywords(PRESETS, "rmsprop", name, overrides))
    return optimizer._replace(name=f"rmsprop ({name})")


def adagrad_preset(name: str, **overrides) -> _common.Optimizer:
    """:func:`adagrad` configured as ``ADAGRAD_PRESETS[name]`` (``"torch"`` or ``"optax"``)."""
    optimizer = adagrad(**_keywords(ADAGRAD_PRESETS, "adagrad", name, overrides))
    return optimizer._replace(name=f"adagrad ({name})")
