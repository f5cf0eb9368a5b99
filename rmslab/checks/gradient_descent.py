"""Checkers for Lab 1 (gradient descent).

Each checker computes the right answer independently, then compares the student's answer with
the answers that typical mistakes produce, so that the message can say which mistake it is.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from rmslab.checks._core import CheckResult, Mistake, as_array, as_number, call, fn_name, run_check

_RNG_SEED = 20261124


def _close(a: np.ndarray, b: np.ndarray, tol: float = 1e-10) -> bool:
    return bool(np.allclose(a, b, rtol=tol, atol=tol))


def check_gd_step(gd_step: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``gd_step(x, g, lr) -> x_new`` implements :math:`x - \\eta g` without mutating x."""
    name = fn_name(gd_step)

    def checker() -> str:
        rng = np.random.default_rng(_RNG_SEED)
        x = rng.normal(size=(3, 2))
        g = rng.normal(size=(3, 2))
        lr = 0.3
        x_before, g_before = x.copy(), g.copy()
        out = as_array(call(gd_step, x, g, lr), name, x.shape)
        if not np.array_equal(x, x_before) or not np.array_equal(g, g_before):
            raise Mistake(
                f"`{name}` changed its input array in place (for example with `x -= ...`). "
                "Return a new array instead: the caller still needs the old x."
            )
        diagnoses = [
            (x - lr * g, None),
            (x + lr * g, "wrong sign: you stepped *up* the gradient. Descent subtracts lr * g."),
            (x - g, "the learning rate is missing: the step should be lr * g."),
            (-lr * g, "you returned the step -lr * g, not the new point x - lr * g."),
            (x - lr**2 * g, "the learning rate is applied twice (lr**2 * g)."),
            (x - lr * x, "you used x where the gradient g belongs."),
            (x - g / lr, "you divided by the learning rate; multiply instead."),
        ]
        for wrong, message in diagnoses[1:]:
            if _close(out, wrong):
                raise Mistake(message)
        if not _close(out, diagnoses[0][0]):
            raise Mistake(
                f"for x = {x[0]}, g = {g[0]}, lr = {lr} the first row should be "
                f"{x[0] - lr * g[0]}, but `{name}` returned {out[0]}."
            )
        return "`gd_step` returns x - lr * g and leaves its inputs untouched."

    return run_check(checker, quiet=quiet)


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
        raw = call(gd_run, grad, x0.copy(), lr, steps)
        if raw is not None and np.shape(raw) == (steps, 2):
            raw = np.asarray(raw)
            if _close(raw, expected[1:]):
                raise Mistake(
                    "the starting point is missing: return x0 followed by the `steps` new "
                    f"iterates, {steps + 1} rows in all."
                )
            if _close(raw, expected[:-1]):
                raise Mistake(
                    f"you returned x0 and only {steps - 1} steps: the loop stops one step early."
                )
        out = as_array(raw, name, expected.shape)
        from_x0 = np.vstack([x0] + [x0 - lr * grad(x0)] * steps)
        if _close(out, from_x0):
            raise Mistake(
                "every step starts again from x0: update x inside the loop so that each step "
                "starts where the previous one ended."
            )
        if _close(out[0], x0) and not _close(out[1], expected[1]):
            raise Mistake(
                f"the first step is wrong: from x0 = {x0} with lr = {lr} it should reach "
                f"{expected[1]}, but row 1 is {out[1]}. Does `gd_run` call your `gd_step`?"
            )
        if not _close(out, expected):
            bad = int(np.argmax(~np.isclose(out, expected).all(axis=1)))
            raise Mistake(f"row {bad} should be {expected[bad]}, but it is {out[bad]}.")
        return f"`{name}` returns the {steps + 1} iterates x_0, ..., x_{steps}."

    return run_check(checker, quiet=quiet)


def check_largest_stable_lr(largest_stable_lr: Callable, *, quiet: bool = False) -> CheckResult:
    """Check an empirical estimate of the largest stable step on f(x) = L/2 x^2 (it is 2/L)."""
    name = fn_name(largest_stable_lr)

    def checker() -> str:
        for curvature in (1.0, 4.0):
            estimate = as_number(call(largest_stable_lr, curvature), name)
            limit = 2.0 / curvature
            if np.isclose(estimate, 1.0 / curvature, rtol=0.02):
                raise Mistake(
                    f"for L = {curvature} you found {estimate:.4g} = 1/L. That step jumps to "
                    "the minimum in one move; larger steps still converge (with oscillation) "
                    "up to a bigger limit. Keep increasing lr while |x_t| still shrinks."
                )
            if estimate > limit * 1.02:
                raise Mistake(
                    f"for L = {curvature} you found {estimate:.4g}, but at that step size "
                    f"|x_t| grows: x_t = (1 - lr L)^t x_0 and |1 - {estimate:.4g} * {curvature}| "
                    "> 1. Check how your test decides that a run is stable."
                )
            if estimate < limit * 0.98:
                raise Mistake(
                    f"for L = {curvature} you found {estimate:.4g}, noticeably below the "
                    "largest stable step. Refine the search (more bisection steps, or more "
                    "steps per run so slow divergence is visible)."
                )
        return f"`{name}` finds the stability limit within 2% for L = 1 and L = 4."

    return run_check(checker, quiet=quiet)


def check_measured_rate(measured_rate: Callable, *, quiet: bool = False) -> CheckResult:
    """Check the measured contraction factor of GD with lr = 2/(L + mu) on a kappa-quadratic."""
    name = fn_name(measured_rate)

    def checker() -> str:
        for kappa in (4.0, 20.0):
            rate = as_number(call(measured_rate, kappa), name)
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

    return run_check(checker, quiet=quiet)
