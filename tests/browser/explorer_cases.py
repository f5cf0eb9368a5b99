"""The parity matrix of the in-browser explorer: every optimizer x convention x problem.

Each case is run twice: by the page's own JavaScript (``rmslabExplorerCore.run``) and by
``rmslab.optim`` on ``rmslab.problems``; :mod:`test_explorer` compares the two trajectories.
The conventions are the keyword arguments each factory exposes (for RMSProp: eps inside or
outside the root, v0, centered with and without ``safe``, momentum before or after ``lr``,
Nesterov, bias correction, weight decay), with the hyperparameters the explorer offers.
"""

from __future__ import annotations

import numpy as np

from rmslab import optim, problems

STEPS = 300
RTOL = 1e-12

#: name -> factory of the rmslab problem that the explorer calls by the same name.
PROBLEMS = {
    "quadratic": lambda kappa: problems.quadratic(kappa=kappa),
    "rotated quadratic": lambda kappa: problems.quadratic(kappa=kappa, angle=np.pi / 4),
    "Rosenbrock": lambda kappa: problems.rosenbrock(),
    "plateau-cliff": lambda kappa: problems.plateau_cliff(),
}

#: (problem, kappa, lr for GD-like rules, lr for adaptive rules): stable but not trivial.
PROBLEM_SETTINGS = [
    ("quadratic", 10.0, 0.3, 0.05),
    ("quadratic", 100.0, 1.5, 0.05),
    ("rotated quadratic", 10.0, 0.3, 0.05),
    ("rotated quadratic", 100.0, 1.5, 0.05),
    ("Rosenbrock", None, 1e-3, 1e-2),
    ("plateau-cliff", None, 0.15, 0.05),
]

#: (optimizer, convention label, settings without lr, which lr column: "gd" or "adaptive").
CONVENTIONS = [
    ("gd", "plain", {}, "gd"),
    ("gd", "weight decay", {"weight_decay": 0.01}, "gd"),
    ("momentum", "heavy ball", {"momentum": 0.9}, "gd"),
    ("momentum", "heavy ball, dampening", {"momentum": 0.5, "dampening": 0.5}, "gd"),
    ("momentum", "Nesterov", {"momentum": 0.9, "nesterov": True}, "gd"),
    ("adagrad", "eps outside the root", {}, "adaptive"),
    (
        "adagrad",
        "eps inside the root, s0 = 0.1",
        {"eps_in_sqrt": True, "eps": 1e-7, "initial_accumulator_value": 0.1},
        "adaptive",
    ),
    ("adagrad", "eps = 0, safe", {"eps": 0.0, "safe": True}, "adaptive"),
    ("adagrad", "lr decay", {"lr_decay": 0.01}, "adaptive"),
    ("rmsprop", "torch defaults", {"beta": 0.99}, "adaptive"),
    ("rmsprop", "eps inside the root", {"beta": 0.9, "eps": 1e-6, "eps_in_sqrt": True}, "adaptive"),
    ("rmsprop", "v0 = 1 (TF1)", {"beta": 0.9, "initial_square_avg": 1.0}, "adaptive"),
    ("rmsprop", "centered", {"beta": 0.9, "centered": True}, "adaptive"),
    (
        "rmsprop",
        "centered, safe, eps = 0",
        {"beta": 0.9, "centered": True, "safe": True, "eps": 0.0},
        "adaptive",
    ),
    ("rmsprop", "momentum after lr (torch)", {"beta": 0.9, "momentum": 0.5}, "adaptive"),
    (
        "rmsprop",
        "momentum before lr (TF1)",
        {"beta": 0.9, "momentum": 0.5, "lr_in_momentum": True},
        "adaptive",
    ),
    ("rmsprop", "Nesterov", {"beta": 0.9, "momentum": 0.5, "nesterov": True}, "adaptive"),
    (
        "rmsprop",
        "Nesterov, momentum before lr",
        {"beta": 0.9, "momentum": 0.5, "nesterov": True, "lr_in_momentum": True},
        "adaptive",
    ),
    ("rmsprop", "bias correction", {"beta": 0.999, "bias_correction": True}, "adaptive"),
    (
        "rmsprop",
        "bias correction, eps inside the root",
        {"beta": 0.9, "bias_correction": True, "eps_in_sqrt": True, "eps": 1e-6},
        "adaptive",
    ),
    (
        "rmsprop",
        "weight decay, decoupled",
        {"beta": 0.9, "weight_decay": 0.1, "decoupled_weight_decay": True},
        "adaptive",
    ),
    ("adam", "Algorithm 1 (torch)", {"betas": [0.9, 0.999]}, "adaptive"),
    ("adam", "eps hat (Keras)", {"betas": [0.9, 0.999], "eps_hat": True}, "adaptive"),
    ("adam", "AMSGrad", {"betas": [0.9, 0.99], "amsgrad": True}, "adaptive"),
    ("adam", "beta1 = 0", {"betas": [0.0, 0.99]}, "adaptive"),
    (
        "adam",
        "AdamW",
        {"betas": [0.9, 0.999], "weight_decay": 0.1, "decoupled_weight_decay": True},
        "adaptive",
    ),
]


def cases() -> list[dict]:
    """Every optimizer x convention x problem, as JSON-ready dicts."""
    out = []
    for problem, kappa, lr_gd, lr_adaptive in PROBLEM_SETTINGS:
        for name, label, settings, column in CONVENTIONS:
            lr = lr_gd if column == "gd" else lr_adaptive
            out.append(
                {
                    "id": f"{name} [{label}] on {problem}" + (f" kappa={kappa:g}" if kappa else ""),
                    "optimizer": name,
                    "settings": {"lr": lr, **settings},
                    "problem": {"kind": problem, "kappa": kappa},
                }
            )
    return out


def reference(case: dict, steps: int = STEPS) -> np.ndarray:
    """rmslab's positions x_0..x_steps for one case, shape (steps + 1, 2)."""
    settings = dict(case["settings"])
    if "betas" in settings:
        settings["betas"] = tuple(settings["betas"])
    opt = getattr(optim, case["optimizer"])(**settings)
    problem = PROBLEMS[case["problem"]["kind"]](case["problem"]["kappa"])
    x = problem.x0.copy()
    state = opt.init(x)
    xs = [x]
    for _ in range(steps):
        x, state = opt.step(x, problem.grad(x), state)
        xs.append(x)
    return np.array(xs)
