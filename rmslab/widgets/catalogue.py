"""What the interactive figures offer: the problems and optimizers by name, and their defaults.

The ipywidgets explorer (:mod:`rmslab.widgets.live`) and the embedded animations
(:mod:`rmslab.widgets.animation`) share four hyperparameter sliders: ``lr``, ``beta``, ``eps``
and ``momentum``. Adam reads ``momentum`` as :math:`\\beta_1` and ``beta`` as :math:`\\beta_2`.
"""

from __future__ import annotations

import numpy as np

from rmslab import optim, problems
from rmslab.problems.base import Problem

#: Problems offered by the explorer's dropdown (name -> factory).
PROBLEMS = {
    "quadratic": lambda: problems.quadratic(kappa=20.0),
    "rotated quadratic": lambda: problems.quadratic(kappa=20.0, angle=np.pi / 4),
    "noisy quadratic": lambda: problems.noisy(problems.quadratic(kappa=20.0), sigma=0.5),
    "Rosenbrock": problems.rosenbrock,
    "plateau-cliff": problems.plateau_cliff,
}

#: Optimizers offered (name -> builder from the slider values). Adam's beta1 is the momentum
#: slider and its beta2 the beta slider.
OPTIMIZERS = {
    "GD": lambda lr, beta, eps, momentum: optim.gd(lr=lr),
    "Momentum": lambda lr, beta, eps, momentum: optim.momentum(lr=lr, momentum=momentum),
    "Adagrad": lambda lr, beta, eps, momentum: optim.adagrad(lr=lr, eps=eps),
    "RMSProp": lambda lr, beta, eps, momentum: optim.rmsprop(
        lr=lr, beta=beta, eps=eps, momentum=momentum
    ),
    "Adam": lambda lr, beta, eps, momentum: optim.adam(lr=lr, betas=(momentum, beta), eps=eps),
}

HYPERPARAMETERS = ("lr", "beta", "eps", "momentum")

#: The ``momentum`` slider's meaning and default per optimizer: Adam's beta1 is 0.9, as in
#: torch and the paper; every other optimizer starts without momentum.
MOMENTUM_LABEL = {"Adam": "beta1"}
MOMENTUM_DEFAULT = {"Adam": 0.9}


def default_momentum(optimizer: str) -> float:
    """The ``momentum`` slider's starting value for ``optimizer`` (Adam: beta1 = 0.9)."""
    return MOMENTUM_DEFAULT.get(optimizer, 0.0)


def resolve_problem(problem) -> Problem:
    """A Problem instance, or one built from a :data:`PROBLEMS` name."""
    if isinstance(problem, Problem):
        return problem
    if problem not in PROBLEMS:
        raise ValueError(f"problem must be a Problem or one of {list(PROBLEMS)}, got {problem!r}")
    return PROBLEMS[problem]()


def build_optimizer(name: str, lr: float, beta: float, eps: float, momentum: float):
    """The :data:`OPTIMIZERS` entry ``name`` with these hyperparameters."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[name](lr=lr, beta=beta, eps=eps, momentum=momentum)
