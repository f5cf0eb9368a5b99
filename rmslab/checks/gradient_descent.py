"""Checkers for Lab 1 (gradient descent).

Each checker computes the right answer independently, then compares the student's answer with
the answers that typical mistakes produce, so that the message can say which mistake it is.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmslab.checks._core import (
    CheckResult,
    Diagnosis,
    Mistake,
    as_number,
    call,
    check_step,
    fn_name,
    run_check,
)
from rmslab.checks._runs import check_trajectory

_RNG_SEED = 20261124
_RUN_HINT = "Does the loop run a fixed number of steps, `for _ in range(steps)`?"
_SEARCH_HINT = (
    "Does the search stop after a fixed number of halvings, and each trial run after a "
    "fixed number of steps?"
)

GD_STEP_MISTAKES = [
    Diagnosis(
        "wrong sign: you stepped *up* the gradient. Descent subtracts lr * g.",
        lambda x, g, lr: x + lr * g,
    ),
    Diagnosis("the learning rate is missing: the step should be lr * g.", lambda x, g, lr: x - g),
    Diagnosis(
        "you returned the step -lr * g, not the new point x - lr * g.", lambda x, g, lr: -lr * g
    ),
    Diagnosis("the learning rate is applied twice (lr**2 * g).", lambda x, g, lr: x - lr**2 * g),
    Diagnosis("you used x where the gradient g belongs.", lambda x, g, lr: x - lr * x),
    Diagnosis("you divided by the learning rate; multiply instead.", lambda x, g, lr: x - g / lr),
]


def check_gd_step(gd_step: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``gd_step(x, g, lr) -> x_new`` implements :math:`x - \\eta g` without mutating x."""

    def checker() -> str:
        rng = np.random.default_rng(_RNG_SEED)
        inputs = dict(x=rng.normal(size=(3, 2)), g=rng.normal(size=(3, 2)), lr=0.3)
        check_step(gd_step, [inputs], ("x_new",), lambda x, g, lr: x - lr * g, GD_STEP_MISTAKES)
        return "`gd_step` returns x - lr * g and leaves its inputs untouched."

    return run_check(checker, quiet=quiet, fn=gd_step)


def check_gd_run(gd_run: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``gd_run(grad, x0, lr, steps) -> iterates`` of shape ``(steps + 1, *x0.shape)``."""
    name = fn_name(gd_run)

    def checker() -> str:
        scales = np.array([1.0, 10.0])

        def grad(x):
            return scales * x

        x0 = np.array([1.0, -2.0])
        lr, steps = 0.05, 7
        expected = np.empty((steps + 1, 2))
        expected[0] = x0
        for t in range(steps):
            expected[t + 1] = expected[t] - lr * grad(expected[t])
        mistakes = [
            Diagnosis(
                "every step starts again from x0: update x inside the loop so that each step "
                "starts where the previous one ended.",
                lambda grad, x0, lr, steps: np.vstack([x0] + [x0 - lr * grad(x0)] * steps),
            ),
        ]
        inputs = dict(grad=grad, x0=x0, lr=lr, steps=steps)
        check_trajectory(gd_run, inputs, expected, mistakes, loop_hint=_RUN_HINT)
        return f"`{name}` returns the {steps + 1} iterates x_0, ..., x_{steps}."

    return run_check(checker, quiet=quiet, fn=gd_run)


#: A search that evaluates the gradient fewer times than this has not run gradient descent.
MIN_GRADIENT_CALLS = 100


def _counted_gradient(curvature: float) -> tuple[Callable, list]:
    """The gradient x -> L x of f(x) = L/2 x^2, and the list of the dtypes it was called with."""
    calls: list = []

    def grad(x):
        calls.append(np.asarray(x).dtype)
        return curvature * np.asarray(x)

    return grad, calls


_INTEGER_RUNS = (
    "your runs work on *integer* arrays (`grad` received x of dtype {dtype}): with a start "
    "point such as `np.array([1])`, a run that stores its iterates in x0's dtype keeps them "
    "whole numbers, so 1 - 2.5 = -1.5 becomes -1 and a diverging run can look stable (or "
    "overflow). Start from a float, `np.array([1.0])`."
)


def _estimates(largest_stable_lr: Callable, curvatures: tuple[float, ...]) -> dict:
    """Curvature L -> the student's estimate for the gradient x -> L x (L is not passed).

    The gradient counts its calls: an answer computed from a formula, or from one gradient
    read off to find L, is refused, since the exercise is to find the limit by experiment.
    It also records the dtype of the points it gets: runs on integers are named as such
    (when their answer is wrong or they do not finish).
    """
    name, estimates = fn_name(largest_stable_lr), {}
    for curvature in curvatures:
        grad, calls = _counted_gradient(curvature)
        try:
            estimate = as_number(call(largest_stable_lr, grad, loop_hint=_SEARCH_HINT), name)
        except Mistake:
            integer = next((d for d in calls if d.kind in "iu"), None)
            if integer is not None:
                raise Mistake(_INTEGER_RUNS.format(dtype=integer)) from None
            raise
        integer = next((d for d in calls if d.kind in "iu"), None)
        if integer is not None and not np.isclose(estimate, 2.0 / curvature, rtol=0.02):
            raise Mistake(_INTEGER_RUNS.format(dtype=integer))
        if len(calls) < MIN_GRADIENT_CALLS:
            raise Mistake(
                f"`{name}` evaluated `grad` only {len(calls)} "
                f"time{'s' if len(calls) != 1 else ''}: it cannot have run "
                "gradient descent. Find the limit by experiment: run `gd_run(grad, ...)` at "
                "trial step sizes and bisect between a stable and an unstable one."
            )
        estimates[curvature] = estimate
    return estimates


def check_largest_stable_lr(largest_stable_lr: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``largest_stable_lr(grad)``: the largest stable step on f(x) = L/2 x^2 is 2/L.

    The student gets only the gradient ``grad(x) = L x``, for L = 1, 4 and 0.25. Wrong answers
    are named: runs on integer arrays (the gradient sees integer points), 1/L (the one-step
    jump, or the top of a search range of 1/L), the same number for two curvatures (a fixed
    search range that stops below 2/L), too large, too small.
    """
    name = fn_name(largest_stable_lr)

    def checker() -> str:
        estimates = _estimates(largest_stable_lr, (1.0, 4.0, 0.25))
        for curvature, estimate in estimates.items():
            limit = 2.0 / curvature
            if np.isclose(estimate, limit, rtol=0.02):
                continue
            where = f"for the gradient {curvature:g} x (L = {curvature:g}) you found {estimate:.4g}"
            same = [other for c, other in estimates.items() if c != curvature]
            if estimate < limit and any(np.isclose(estimate, o, rtol=1e-3) for o in same):
                raise Mistake(
                    f"{where}, the same number as for another L: your answer stops at the top "
                    "of your search range, which is below the largest stable step. Make sure "
                    "the upper end is unstable before you bisect: double it until a run grows."
                )
            if np.isclose(estimate, 1.0 / curvature, rtol=0.02):
                raise Mistake(
                    f"{where} = 1/L. That step jumps to the minimum in one move; larger steps "
                    "still converge (with oscillation) up to a bigger limit. Keep increasing "
                    "lr while |x_t| still shrinks (and if 1/L was the top of your search "
                    "range, start from a step that makes a run grow)."
                )
            if estimate > limit:
                raise Mistake(
                    f"{where}, but at that step size |x_t| grows: x_t = (1 - lr L)^t x_0 and "
                    f"|1 - {estimate:.4g} * {curvature:g}| > 1. Check how your test decides "
                    "that a run is stable."
                )
            raise Mistake(
                f"{where}, noticeably below the largest stable step. Refine the search (more "
                "bisection steps, or more steps per run so slow divergence is visible)."
            )
        return f"`{name}` finds the stability limit within 2% for L = 1, 4 and 0.25."

    return run_check(checker, quiet=quiet, fn=largest_stable_lr)


def check_measured_rate(measured_rate: Callable, *, quiet: bool = False) -> CheckResult:
    """Check the measured contraction factor of GD with lr = 2/(L + mu) on a kappa-quadratic."""
    name = fn_name(measured_rate)

    def checker() -> str:
        for kappa in (4.0, 20.0):
            rate = as_number(call(measured_rate, kappa, loop_hint=_RUN_HINT), name)
            theory = (kappa - 1) / (kappa + 1)
            if np.isclose(rate, theory**2, rtol=0.01):
                raise Mistake(
                    f"for kappa = {kappa} you found {rate:.4f} = ((kappa-1)/(kappa+1))^2: that "
                    "is how fast the *loss* falls. Measure the ratio of distances |x_t - x*|."
                )
            if np.isclose(rate, 1 - 1 / kappa, rtol=0.01):
                raise Mistake(
                    f"for kappa = {kappa} you found {rate:.4f} = 1 - 1/kappa, the rate of lr = "
                    "1/L. The exercise asks for lr = 2/(L + mu)."
                )
            if not np.isclose(rate, theory, rtol=0.01):
                raise Mistake(
                    f"for kappa = {kappa} the distance to the minimum should shrink by a factor "
                    f"of about {theory:.4f} per step, but you measured {rate:.4f}. Measure over "
                    "many steps, after the first few, and take a per-step factor."
                )
        return f"`{name}` measures (kappa - 1)/(kappa + 1) to within 1%."

    return run_check(checker, quiet=quiet, fn=measured_rate)
