r"""Reference answers to the lab exercises, under the names and signatures the labs use.

A cell after an exercise that the student has not finished (its check has not passed) takes
the reference instead of the student's function, through :func:`yours_or_reference`, and says
so in one line: Run All never stops on a skipped exercise. The step functions are
:mod:`rmslab.optim`'s rules (tested against ``torch.optim``); the measurements run them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from rmslab import measure, optim, problems
from rmslab.checks._core import passed


def _step_lengths(step: Callable, g: float, steps: int, *args) -> np.ndarray:
    """|x_t - x_{t-1}| for t = 1..steps of ``step(x, g, v, *args)`` under the gradient ``g``."""
    x, v, lengths = np.zeros(1), np.zeros(1), []
    for _ in range(steps):
        x_new, v = step(x, np.full(1, g), v, *args)
        lengths.append(abs(float(x_new[0] - x[0])))
        x = x_new
    return np.array(lengths)


# ---------------------------------------------------------------- Lab 1: gradient descent


def gd_step(x, g, lr):
    """:math:`x - \\eta g`."""
    return x - lr * g


def gd_run(grad, x0, lr, steps):
    return measure.gradient_field_path(optim.gd(lr=lr), grad, x0, steps)


def largest_stable_lr(grad):
    """Double lr until a 200-step run from 1 grows, then bisect 50 times."""

    def stable(lr):
        xs = gd_run(grad, np.array([1.0]), lr, 200)
        return abs(xs[-1, 0]) <= abs(xs[0, 0])

    low, high = 0.0, 1.0
    while stable(high):
        high *= 2
    for _ in range(50):
        middle = (low + high) / 2
        low, high = (middle, high) if stable(middle) else (low, middle)
    return low


def measured_rate(kappa):
    """(|x_60| / |x_10|)^(1/50) of GD with lr = 2/(L + mu) on curvatures (1/kappa, 1)."""
    curvatures = np.array([1.0 / kappa, 1.0])
    xs = gd_run(lambda x: curvatures * x, np.ones(2), 2 / (1 + 1 / kappa), 60)
    return measure.convergence_rate(np.linalg.norm(xs, axis=1), first=10, last=60)


# ---------------------------------------------------------------- Lab 2: momentum


def momentum_step(x, g, b, lr, mu):
    """torch's heavy ball: :math:`b' = \\mu b + g`, :math:`x' = x - \\eta b'`."""
    b_new = mu * b + g
    return x - lr * b_new, b_new


def momentum_run(grad, x0, lr, mu, steps):
    return measure.gradient_field_path(optim.momentum(lr=lr, momentum=mu), grad, x0, steps)


def heavy_ball_rate(kappa, mu):
    """(|x_400| / |x_200|)^(1/200) of heavy ball with Polyak's lr and momentum ``mu`` on
    curvatures (1/kappa, 1); the checker also measures it for a wrong ``mu``."""
    curvatures = np.array([1.0 / kappa, 1.0])
    lr = 4 / (1 + np.sqrt(1 / kappa)) ** 2
    xs = momentum_run(lambda x: curvatures * x, np.ones(2), lr, mu, 400)
    return measure.convergence_rate(np.linalg.norm(xs, axis=1), first=200, last=400)


def momentum_rate(kappa):
    """(|x_400| / |x_200|)^(1/200) of heavy ball with Polyak's tuning."""
    return heavy_ball_rate(kappa, ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2)


# ---------------------------------------------------------------- Lab 3: Adagrad


def adagrad_step(x, g, s, lr, eps):
    """torch's Adagrad: :math:`s' = s + g^2`, :math:`x' = x - \\eta g/(\\sqrt{s'} + \\epsilon)`."""
    s_new = s + g**2
    return x - lr * g / (np.sqrt(s_new) + eps), s_new


def rare_feature_boost(period):
    """Rare coordinate's effective learning rate over the frequent one's after 1000 steps."""
    x, s = np.zeros(2), np.zeros(2)
    for t in range(1000):
        x, s = adagrad_step(x, np.array([1.0, 1.0 if t % period == 0 else 0.0]), s, 0.1, 1e-10)
    return float(np.sqrt(s[0] / s[1]))


# ---------------------------------------------------------------- Lab 4: RMSProp


def rmsprop_step(x, g, v, lr, beta, eps):
    """torch's RMSprop: :math:`v' = \\beta v + (1-\\beta) g^2`, eps outside the root."""
    v_new = beta * v + (1 - beta) * g**2
    return x - lr * g / (np.sqrt(v_new) + eps), v_new


def rmsprop_step_eps_inside(x, g, v, lr, beta, eps):
    """The TensorFlow 1 / Keras placement: :math:`x - \\eta g / \\sqrt{v' + \\epsilon}`."""
    v_new = beta * v + (1 - beta) * g**2
    return x - lr * g / np.sqrt(v_new + eps), v_new


def steps_to_settle(beta):
    """First step t whose length is at most 1.1 lr (lr = 0.01, g = 1, from v = 0)."""
    lengths = _step_lengths(rmsprop_step, 1.0, 5000, 0.01, beta, 1e-8)
    return int(np.argmax(lengths <= 1.1 * 0.01)) + 1


def eps_placement_ratio(g_size):
    """Last step length with eps outside over eps inside, after 2000 steps of ``g_size``."""
    outside = _step_lengths(rmsprop_step, g_size, 2000, 1e-3, 0.99, 1e-8)[-1]
    inside = _step_lengths(rmsprop_step_eps_inside, g_size, 2000, 1e-3, 0.99, 1e-8)[-1]
    return outside / inside


def torch_rmsprop_run(grad, x0, lr, beta, eps, steps):
    """``torch.optim.RMSprop(lr=lr, alpha=beta, eps=eps)`` in float64, iterates as numpy."""
    import torch

    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.RMSprop([p], lr=lr, alpha=beta, eps=eps)
    xs = [p.detach().numpy().copy()]
    for _ in range(steps):
        p.grad = torch.from_numpy(np.asarray(grad(p.detach().numpy().copy()), dtype=float))
        opt.step()
        xs.append(p.detach().numpy().copy())
    return np.array(xs)


def tracking_distances(method):
    """Mean distance to the jumping minimum over the first and last 200 of 2000 steps."""
    bowl = problems.moving_minimum("jump", period=200, radius=2.0)
    step = adagrad_step if method == "adagrad" else rmsprop_step
    extra = (0.5, 1e-8) if method == "adagrad" else (0.5, 0.99, 1e-8)
    x, state, distances = bowl.x0, np.zeros(2), []
    for t in range(2000):
        x, state = step(x, bowl.grad(x, t), state, *extra)
        distances.append(float(np.linalg.norm(x - bowl.minimizer_at(t))))
    return float(np.mean(distances[:200])), float(np.mean(distances[-200:]))


def beta_for_half_life(n):
    """The decay that halves an old value in ``n`` steps: :math:`\\beta^n = 1/2`."""
    return 0.5 ** (1 / n)


# ---------------------------------------------------------------- Lab 5: Adam


def ema(average, value, beta):
    return beta * average + (1 - beta) * value


def bias_correct(average, beta, t):
    return average / (1 - beta**t)


def adam_step(x, g, m, v, t, lr, beta1, beta2, eps):
    """Kingma and Ba's Algorithm 1 (torch.optim.Adam); ``t`` counts from 1."""
    m_new, v_new = ema(m, g, beta1), ema(v, g**2, beta2)
    m_hat, v_hat = bias_correct(m_new, beta1, t), bias_correct(v_new, beta2, t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new


def largest_early_steps():
    """Longest of the first 50 steps: RMSProp (beta = 0.999) and Adam, g = 0.01."""
    rms = _step_lengths(rmsprop_step, 0.01, 50, 1e-3, 0.999, 1e-8)
    x, m, v, adam = np.zeros(1), np.zeros(1), np.zeros(1), []
    for t in range(1, 51):
        x_new, m, v = adam_step(x, np.full(1, 0.01), m, v, t, 1e-3, 0.9, 0.999, 1e-8)
        adam.append(abs(float(x_new[0] - x[0])))
        x = x_new
    return float(rms.max()), max(adam)


# ---------------------------------------------------------------- choosing


def yours_or_reference(namespace: dict[str, Any], *names: str):
    """The student's functions ``names`` from ``namespace`` where their check passed, else ours.

    Call it as ``step, settle = checks.yours_or_reference(globals(), "rmsprop_step",
    "steps_to_settle")``. Each function taken from here is announced in one line, so the
    cell runs and says that it shows the reference, not the student's work. Returns one
    function for one name, a tuple for several.
    """
    module = sys.modules[__name__]
    for name in names:
        if not callable(getattr(module, name, None)):
            raise ValueError(f"names must be functions of rmslab.checks.reference, got {name!r}")
    chosen, replaced = [], []
    for name in names:
        student = namespace.get(name)
        if student is not None and passed(student):
            chosen.append(student)
        else:
            chosen.append(getattr(module, name))
            replaced.append(f"`{name}`")
    if replaced:
        verb = "has not passed its check" if len(replaced) == 1 else "have not passed their checks"
        print(f"{' and '.join(replaced)} {verb} yet, so this cell uses the reference instead.")
    return chosen[0] if len(chosen) == 1 else tuple(chosen)
