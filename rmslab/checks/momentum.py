r"""Checkers for Lab 2 (momentum).

The student writes heavy-ball momentum with torch's buffer convention,

.. math::

    b_t = \mu\, b_{t-1} + g_t, \qquad x_t = x_{t-1} - \eta\, b_t, \qquad b_0 = 0,

as ``momentum_step(x, g, b, lr, mu) -> (x_new, b_new)``, then runs it, predicts the speed-up
on a constant slope and measures the convergence rate with Polyak's tuning. Right answers
come from :func:`rmslab.optim.momentum` (tested against ``torch.optim.SGD``) or from closed
forms, never from the student's code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmslab import optim
from rmslab.checks._core import (
    CheckResult,
    Diagnosis,
    Mistake,
    as_number,
    call,
    check_step,
    fn_name,
    judge_number,
    run_check,
)
from rmslab.checks._runs import check_trajectory
from rmslab.checks.reference import gd_run, heavy_ball_rate
from rmslab.measure import gradient_path, step_lengths

_SEED = 20261202
_RUN_HINT = "Does the loop run a fixed number of steps, `for _ in range(steps)`?"


def _reference_step(x, g, b, lr, mu):
    opt = optim.momentum(lr=lr, momentum=mu)
    x_new, state = opt.step(x, g, optim.MomentumState(momentum_buffer=b, step=3))
    return x_new, state.momentum_buffer


STEP_MISTAKES = [
    Diagnosis(
        "you moved x with the *old* buffer. Update the buffer first, `b_new = mu * b + g`, "
        "then step with the new one: `x_new = x - lr * b_new`.",
        lambda x, g, b, lr, mu: (x - lr * b, mu * b + g),
    ),
    Diagnosis(
        "your buffer collects `lr * g` (the TensorFlow/Keras convention). In this lab, as "
        "in torch, the buffer collects plain gradients, `b_new = mu * b + g`, and the "
        "learning rate multiplies it in the step: `x_new = x - lr * b_new`.",
        lambda x, g, b, lr, mu: (x - (mu * b + lr * g), mu * b + lr * g),
    ),
    Diagnosis(
        "you used the velocity form `v = mu * v - lr * g; x = x + v`. This lab's buffer, "
        "like torch's, has no learning rate and a plus sign: `b_new = mu * b + g`, "
        "`x_new = x - lr * b_new`.",
        lambda x, g, b, lr, mu: (x + (mu * b - lr * g), mu * b - lr * g),
    ),
    Diagnosis(
        "you scaled the gradient by `(1 - mu)`: that is an exponential moving average (as "
        "in dampened momentum or Adam). Heavy-ball momentum adds the whole gradient: "
        "`b_new = mu * b + g`.",
        lambda x, g, b, lr, mu: (x - lr * (mu * b + (1 - mu) * g), mu * b + (1 - mu) * g),
    ),
    Diagnosis(
        "`mu` multiplies the wrong term. It decays the *old buffer*, and the new gradient "
        "is added in full: `b_new = mu * b + g`.",
        lambda x, g, b, lr, mu: (x - lr * (b + mu * g), b + mu * g),
    ),
    Diagnosis(
        "your buffer forgets the past (`b_new = g`), so this is plain gradient descent. The "
        "state must carry over: `b_new = mu * b + g`.",
        lambda x, g, b, lr, mu: (x - lr * g, g),
    ),
    Diagnosis(
        "you took a Nesterov step, `x - lr * (g + mu * b_new)`. This exercise is heavy-ball "
        "momentum: `x_new = x - lr * b_new`.",
        lambda x, g, b, lr, mu: (x - lr * (g + mu * (mu * b + g)), mu * b + g),
    ),
    Diagnosis(
        "wrong sign: you stepped *up* the slope. Subtract: `x_new = x - lr * b_new`.",
        lambda x, g, b, lr, mu: (x + lr * (mu * b + g), mu * b + g),
    ),
    Diagnosis(
        "the learning rate is missing from the step: `x_new = x - lr * b_new`.",
        lambda x, g, b, lr, mu: (x - (mu * b + g), mu * b + g),
    ),
]


def check_momentum_step(momentum_step: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``momentum_step(x, g, b, lr, mu) -> (x_new, b_new)`` (pure, torch's buffer)."""

    def checker() -> str:
        rng = np.random.default_rng(_SEED)
        middle_of_run = dict(
            x=rng.normal(size=(2, 3)),
            g=rng.normal(size=(2, 3)),
            b=rng.normal(size=(2, 3)),
            lr=0.1,
            mu=0.8,
        )
        first_step = dict(
            x=rng.normal(size=(4,)), g=rng.normal(size=(4,)), b=np.zeros(4), lr=0.05, mu=0.9
        )
        check_step(
            momentum_step,
            [middle_of_run, first_step],
            ("x_new", "b_new"),
            _reference_step,
            STEP_MISTAKES,
        )
        return "`momentum_step` updates the buffer and then steps with it, without side effects."

    return run_check(checker, quiet=quiet, fn=momentum_step)


RUN_MISTAKES = [
    Diagnosis(
        "your run is plain gradient descent: the buffer starts from zero at every step. "
        "Create `b` once, before the loop, and pass each step's `b_new` into the next step.",
        lambda grad, x0, lr, mu, steps: gd_run(grad, x0, lr, steps),
    ),
]


def check_momentum_run(momentum_run: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``momentum_run(grad, x0, lr, mu, steps) -> xs`` of shape ``(steps + 1, *x0.shape)``."""
    name = fn_name(momentum_run)

    def checker() -> str:
        scales = np.array([1.0, 10.0])

        def grad(x):
            return scales * x

        x0, lr, mu, steps = np.array([1.0, -2.0]), 0.05, 0.7, 8
        opt = optim.momentum(lr=lr, momentum=mu)
        state, xs = opt.init(x0), [x0]
        for _ in range(steps):
            x, state = opt.step(xs[-1], grad(xs[-1]), state)
            xs.append(x)
        inputs = dict(grad=grad, x0=x0, lr=lr, mu=mu, steps=steps)
        check_trajectory(momentum_run, inputs, np.array(xs), RUN_MISTAKES, loop_hint=_RUN_HINT)
        return f"`{name}` carries the buffer from step to step and returns all {steps + 1} points."

    return run_check(checker, quiet=quiet, fn=momentum_run)


def check_terminal_speed(
    terminal_speed_prediction: Callable, *, quiet: bool = False
) -> CheckResult:
    """Check the predicted step, in units of ``lr * g``, after many steps on a constant slope.

    The prediction is compared with a measurement: :func:`rmslab.optim.momentum` with
    ``mu = 0.9`` run for 300 steps on a constant gradient (the answer is :math:`1/(1-\\mu)`).
    """
    name = fn_name(terminal_speed_prediction)

    def checker() -> str:
        mu = 0.9
        guess = as_number(call(terminal_speed_prediction), name)
        path = gradient_path(optim.momentum(lr=1.0, momentum=mu), np.ones((300, 1)))
        step = float(step_lengths(path)[-1])
        wrong = [
            (
                mu / (1 - mu),
                "you counted only the part carried over from earlier steps, "
                "mu + mu^2 + ... = mu / (1 - mu). The current gradient counts too.",
            ),
            (
                1 / (1 - mu) ** 2,
                "that squares the factor. The buffer is a geometric sum, 1 + mu + mu^2 + ...",
            ),
            (
                1 + mu,
                "the buffer remembers more than one step back: it keeps mu times "
                "everything it held before.",
            ),
            (
                1.0,
                "momentum does speed up on a constant slope: the buffer keeps adding the "
                "same gradient, shrunk by mu each step.",
            ),
            (1 - mu, "momentum makes steps longer, not shorter, when the gradients agree."),
            (
                1 / np.sqrt(1 - mu),
                "there is no square root: the buffer is a plain geometric sum 1 + mu + mu^2 + ...",
            ),
        ]
        judge_number(
            guess,
            step,
            wrong,
            rtol=0.05,
            hint=(
                "Write the buffer after t steps of the same gradient g as a sum of powers of mu, "
                "and let t grow."
            ),
        )
        return (
            f"after 300 steps the measured step is {step:.4f} lr * g; the limit is "
            f"1 / (1 - mu) = {1 / (1 - mu):g}."
        )

    return run_check(checker, quiet=quiet, fn=terminal_speed_prediction)


def check_momentum_rate(momentum_rate: Callable, *, quiet: bool = False) -> CheckResult:
    """Check the measured rate of tuned heavy ball: :math:`(\\sqrt\\kappa-1)/(\\sqrt\\kappa+1)`."""
    name = fn_name(momentum_rate)

    def checker() -> str:
        for kappa in (10.0, 100.0):
            rate = as_number(call(momentum_rate, kappa, loop_hint=_RUN_HINT), name)
            theory = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
            gd = (kappa - 1) / (kappa + 1)
            if np.isclose(rate, gd, rtol=0.01):
                raise Mistake(
                    f"for kappa = {kappa:g} you measured {rate:.4f} = (kappa - 1)/(kappa + 1), "
                    "plain gradient descent's rate. Check that the run uses momentum with "
                    "the tuned mu and lr given in the exercise."
                )
            if np.isclose(rate, theory**2, rtol=0.02):
                raise Mistake(
                    f"for kappa = {kappa:g} you found {rate:.4f}, the square of the rate: "
                    "that is how fast the *loss* falls. Measure distances |x_t - x*|."
                )
            if np.isclose(rate, heavy_ball_rate(kappa, mu=theory), rtol=0.02):
                raise Mistake(
                    f"for kappa = {kappa:g} you measured {rate:.4f}, the rate of mu = "
                    f"(sqrt(kappa) - 1)/(sqrt(kappa) + 1) = {theory:.4f}: the square is "
                    "missing. Polyak's momentum is mu = ((sqrt(kappa) - 1)/(sqrt(kappa) + 1))**2."
                )
            if rate >= 1:
                raise Mistake(
                    f"for kappa = {kappa:g} the distance does not shrink (rate {rate:.4f}). "
                    "Check the formulas for lr and mu: lr = 4 / (sqrt(L) + sqrt(mu_f))^2."
                )
            if theory * 1.02 < rate < theory * 1.2:
                raise Mistake(
                    f"for kappa = {kappa:g} you measured {rate:.4f}, a little above "
                    f"{theory:.4f}. With the tuned parameters the slow directions shrink like "
                    "t r^t, not r^t, so measure late and over a long window, for example "
                    "(|x_400| / |x_200|)^(1/200)."
                )
            if not np.isclose(rate, theory, rtol=0.02):
                raise Mistake(
                    f"for kappa = {kappa:g} the distance to the minimum should shrink by about "
                    f"{theory:.4f} per step, but you measured {rate:.4f}. Check the problem "
                    "(curvatures 1/kappa and 1), the tuned lr and mu, and the measurement."
                )
        return (
            f"`{name}` measures (sqrt(kappa) - 1)/(sqrt(kappa) + 1) to within 2%: "
            "momentum needs about sqrt(kappa) times fewer steps than gradient descent."
        )

    return run_check(checker, quiet=quiet, fn=momentum_rate)
