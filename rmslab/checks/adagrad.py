r"""Checkers for Lab 3 (Adagrad).

The student writes Adagrad with torch's placement of :math:`\epsilon` (outside the root),

.. math::

    s_t = s_{t-1} + g_t^2, \qquad x_t = x_{t-1} - \eta\, \frac{g_t}{\sqrt{s_t} + \epsilon},

as ``adagrad_step(x, g, s, lr, eps) -> (x_new, s_new)``, then predicts and measures three of
its properties: invariance to the scale of each coordinate, the boost that rare features get,
and the :math:`1/\sqrt{t}` decay of the step. Right answers come from
:func:`rmslab.optim.adagrad` (tested against ``torch.optim.Adagrad``) or from closed forms.
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
from rmslab.measure import first_below, gradient_path, step_lengths

_SEED = 20261203


def _reference_step(x, g, s, lr, eps):
    opt = optim.adagrad(lr=lr, eps=eps)
    x_new, state = opt.step(x, g, optim.AdagradState(sum=s, step=3))
    return x_new, state.sum


def _descend(x, g, s_new, lr, eps):
    return x - lr * g / (np.sqrt(s_new) + eps)


_MOVING_AVERAGE = (
    "you keep a moving average of g**2 (that is RMSProp, Chapter 4). Adagrad adds up every "
    "squared gradient: `s_new = s + g**2`."
)

STEP_MISTAKES = [
    Diagnosis(
        "you divided by the sum *before* adding this step's g**2. Add first, "
        "`s_new = s + g**2`, then divide by `np.sqrt(s_new) + eps`.",
        lambda x, g, s, lr, eps: (_descend(x, g, s, lr, eps), s + g**2),
    ),
    Diagnosis(
        "you added g (or |g|) to the sum instead of its square: `s_new = s + g**2`.",
        lambda x, g, s, lr, eps: (_descend(x, g, s + np.abs(g), lr, eps), s + np.abs(g)),
    ),
    Diagnosis(
        "the square root is missing: divide by `np.sqrt(s_new) + eps`, not by `s_new + eps`.",
        lambda x, g, s, lr, eps: (x - lr * g / (s + g**2 + eps), s + g**2),
    ),
    Diagnosis(
        "eps is inside the square root. torch (and this lab) add it outside: "
        "`np.sqrt(s_new) + eps`.",
        lambda x, g, s, lr, eps: (x - lr * g / np.sqrt(s + g**2 + eps), s + g**2),
    ),
    Diagnosis(
        "you summed the squared gradients over all coordinates into one number. Adagrad keeps "
        "one sum *per coordinate*, `s_new = s + g**2` elementwise: that is what gives each "
        "coordinate its own step size.",
        lambda x, g, s, lr, eps: (_descend(x, g, s + np.sum(g**2), lr, eps), s + np.sum(g**2)),
    ),
    *(
        Diagnosis(
            "parentheses are missing: `lr * g / np.sqrt(s_new) + eps` divides by the root "
            "alone and adds eps outside the fraction. Put the whole denominator in "
            "parentheses: `lr * g / (np.sqrt(s_new) + eps)`.",
            lambda x, g, s, lr, eps, sign=sign: (
                x - lr * g / np.sqrt(s + g**2) + sign * eps,
                s + g**2,
            ),
        )
        for sign in (1.0, -1.0)  # `x - lr * g / ... + eps`, or `step = ... + eps; x - step`
    ),
    Diagnosis(
        _MOVING_AVERAGE,
        lambda x, g, s, lr, eps: (
            _descend(x, g, 0.9 * s + 0.1 * g**2, lr, eps),
            0.9 * s + 0.1 * g**2,
        ),
    ),
    Diagnosis(
        _MOVING_AVERAGE,
        lambda x, g, s, lr, eps: (
            _descend(x, g, 0.99 * s + 0.01 * g**2, lr, eps),
            0.99 * s + 0.01 * g**2,
        ),
    ),
    Diagnosis(
        "your sum forgets the past (`s_new = g**2`): the state must carry over, "
        "`s_new = s + g**2`.",
        lambda x, g, s, lr, eps: (_descend(x, g, g**2, lr, eps), g**2),
    ),
    Diagnosis(
        "wrong sign: you stepped *up* the slope. Subtract: "
        "`x_new = x - lr * g / (np.sqrt(s_new) + eps)`.",
        lambda x, g, s, lr, eps: (2 * x - _descend(x, g, s + g**2, lr, eps), s + g**2),
    ),
]


def check_adagrad_step(adagrad_step: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``adagrad_step(x, g, s, lr, eps) -> (x_new, s_new)`` (pure, eps outside the root).

    The first case has positive gradients (so adding g instead of g**2 stays finite and can
    be named) and a large eps (so its placement matters); the second is a first step from
    ``s = 0`` with gradients of both signs spanning six orders of magnitude.
    """

    def checker() -> str:
        rng = np.random.default_rng(_SEED)
        middle_of_run = dict(
            x=rng.normal(size=(2, 3)),
            g=rng.uniform(0.5, 2.0, size=(2, 3)),
            s=rng.uniform(0.5, 3.0, size=(2, 3)),
            lr=0.5,
            eps=0.1,
        )
        first_step = dict(
            x=rng.normal(size=(4,)),
            g=np.array([1e-3, -0.2, 5.0, -300.0]),
            s=np.zeros(4),
            lr=0.1,
            eps=1e-10,
        )
        check_step(
            adagrad_step,
            [middle_of_run, first_step],
            ("x_new", "s_new"),
            _reference_step,
            STEP_MISTAKES,
        )
        return "`adagrad_step` adds g**2 to each coordinate's sum and divides by its root."

    return run_check(checker, quiet=quiet, fn=adagrad_step)


CHOICES = ("first", "second", "same")


def check_scale_prediction(
    faster_coordinate_prediction: Callable, *, quiet: bool = False
) -> CheckResult:
    """Check the prediction for Adagrad on f = (x_1^2 + 100 x_2^2)/2 from (1, 1): "same".

    The claim is measured, not assumed: 50 steps of :func:`rmslab.optim.adagrad` keep the two
    coordinates equal to within 1e-6.
    """
    name = fn_name(faster_coordinate_prediction)

    def checker() -> str:
        answer = call(faster_coordinate_prediction)
        if not isinstance(answer, str) or answer.strip().lower() not in CHOICES:
            raise Mistake(
                f"`{name}` should return one of the strings {', '.join(map(repr, CHOICES))}, "
                f"but it returned {answer!r}."
            )
        scales = np.array([1.0, 100.0])
        opt = optim.adagrad(lr=0.1)
        x, state, gap = np.ones(2), opt.init(np.ones(2)), 0.0
        for _ in range(50):
            x, state = opt.step(x, scales * x, state)
            gap = max(gap, abs(x[0] - x[1]))
        if answer.strip().lower() == "second":
            raise Mistake(
                "the steeper coordinate moves faster under gradient descent, but not under "
                "Adagrad: it divides each coordinate's gradient by the root of that "
                "coordinate's own sum of squares, so a coordinate's scale cancels out."
            )
        if answer.strip().lower() == "first":
            raise Mistake(
                "the flat coordinate is not faster either. Write one Adagrad step for "
                "g_i = c_i x_i and look at what happens to the factor c_i."
            )
        return (
            f"both coordinates move in lockstep (largest gap over 50 steps: {gap:.1e}): "
            "Adagrad is invariant to rescaling a coordinate."
        )

    return run_check(checker, quiet=quiet, fn=faster_coordinate_prediction)


def _rare_feature_sums(period: int, steps: int, rare: bool = True) -> np.ndarray:
    """The Adagrad sums after ``steps`` steps: coordinate 1 gets a gradient every period-th.

    With ``rare=False`` the condition is inverted: coordinate 1 gets a gradient on every step
    except each period-th.
    """
    opt = optim.adagrad(lr=0.1)
    x, state = np.zeros(2), opt.init(np.zeros(2))
    for t in range(steps):
        g = np.array([1.0, 1.0 if (t % period == 0) == rare else 0.0])
        x, state = opt.step(x, g, state)
    return state.sum


def check_rare_feature_boost(rare_feature_boost: Callable, *, quiet: bool = False) -> CheckResult:
    """Check the measured ratio of effective learning rates, rare over frequent coordinate."""
    name = fn_name(rare_feature_boost)

    def checker() -> str:
        for period in (10, 4):
            hint = "Does the loop run a fixed 1000 steps and carry `s` forward?"
            boost = as_number(call(rare_feature_boost, period, loop_hint=hint), name)
            sums = _rare_feature_sums(period, 1000)
            answer = np.sqrt(sums[0] / sums[1])
            inverted = _rare_feature_sums(period, 1000, rare=False)
            wrong = [
                (
                    np.sqrt(inverted[0] / inverted[1]),
                    "the rarity condition is inverted: your rare coordinate gets a gradient "
                    "on every step *except* each period-th (`t % period != 0`). It should get "
                    "one only when `t % period == 0`.",
                ),
                (
                    answer**2,
                    "that is the ratio of the two *sums*. The learning rates go "
                    "with 1 / sqrt(sum), so take the square root.",
                ),
                (
                    1 / answer,
                    "that is the frequent coordinate's rate over the rare one's: "
                    "turn the ratio around.",
                ),
                (
                    1.0,
                    "the two rates came out equal. Does the rare coordinate's gradient "
                    "really stay 0 between its rare steps?",
                ),
            ]
            judge_number(
                boost,
                answer,
                wrong,
                rtol=0.01,
                hint=(
                    f"For period = {period}, count how many nonzero squared gradients each "
                    "coordinate has added to its sum after 1000 steps."
                ),
            )
        return (
            "the rare coordinate keeps a learning rate sqrt(period) times larger: Adagrad "
            "boosts features that seldom get a gradient."
        )

    return run_check(checker, quiet=quiet, fn=rare_feature_boost)


def check_slowdown_prediction(
    tenfold_slowdown_prediction: Callable, *, quiet: bool = False
) -> CheckResult:
    """Check the predicted number of steps until Adagrad's step is 10 times its first one.

    Measured with :func:`rmslab.optim.adagrad` on a constant gradient: step t is
    :math:`\\eta/\\sqrt{t}`, so the answer is 100.
    """
    name = fn_name(tenfold_slowdown_prediction)

    def checker() -> str:
        guess = as_number(call(tenfold_slowdown_prediction), name)
        steps = step_lengths(gradient_path(optim.adagrad(lr=1.0), np.ones((1000, 1))))
        measured = first_below(steps, steps[0] / 10 * (1 + 1e-6)) + 1  # steps[0] is step 1
        wrong = [
            (
                10.0,
                "that would be a 1/t decay. The sum grows like t, so the step, which "
                "divides by the sum's square root, shrinks like 1/sqrt(t).",
            ),
            (
                1e4,
                "that would be a 1/t^(1/4) decay: the step divides by the root of the "
                "sum, and the sum grows like t.",
            ),
        ]
        judge_number(
            guess,
            measured,
            wrong,
            rtol=0.05,
            hint=(
                "After t equal gradients g the sum is t g**2: write the step size and solve for t."
            ),
        )
        return (
            f"the step falls to a tenth after {measured} steps: it shrinks like "
            "1/sqrt(t), whether or not the problem needs smaller steps."
        )

    return run_check(checker, quiet=quiet, fn=tenfold_slowdown_prediction)
