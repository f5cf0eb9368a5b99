r"""Checkers for Lab 5 (from RMSProp to Adam).

The student rebuilds RMSProp from a moving-average helper ``ema(average, value, beta)``, adds
momentum the way torch's RMSprop does (after the scaling), writes the bias correction, and
assembles Adam (Kingma & Ba's Algorithm 1, as ``torch.optim.Adam`` runs it):

.. math::

    m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\\
    x_t &= x_{t-1} - \eta\, \frac{m_t / (1-\beta_1^t)}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon}.

Right answers come from :mod:`rmslab.optim` (tested against torch to 1e-12) or from closed
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
from rmslab.measure import gradient_path, step_lengths

_SEED = 20261205

EMA_MISTAKES = [
    Diagnosis(
        "beta and 1 - beta are swapped. beta (close to 1) weighs the *old* average: "
        "`beta * average + (1 - beta) * value`.",
        lambda average, value, beta: (1 - beta) * average + beta * value,
    ),
    Diagnosis(
        "that is a running sum, not a moving average: the old average must shrink by beta "
        "and the new value enter with weight 1 - beta.",
        lambda average, value, beta: average + value,
    ),
    Diagnosis(
        "the new value needs the weight (1 - beta), so that the weights add up to 1: "
        "`beta * average + (1 - beta) * value`.",
        lambda average, value, beta: beta * average + value,
    ),
    Diagnosis(
        "the old average must be multiplied by beta, or it never fades: "
        "`beta * average + (1 - beta) * value`.",
        lambda average, value, beta: average + (1 - beta) * value,
    ),
]


def check_ema(ema: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``ema(average, value, beta) -> beta * average + (1 - beta) * value`` (pure)."""

    def checker() -> str:
        rng = np.random.default_rng(_SEED)
        cases = [
            dict(average=rng.normal(size=(2, 3)), value=rng.normal(size=(2, 3)), beta=0.9),
            dict(average=rng.uniform(1, 2, size=4), value=rng.normal(size=4), beta=0.7),
        ]
        check_step(
            ema,
            cases,
            ("new_average",),
            lambda average, value, beta: beta * average + (1 - beta) * value,
            EMA_MISTAKES,
        )
        return (
            "`ema` keeps a fraction beta of the old average and adds (1 - beta) of the new value."
        )

    return run_check(checker, quiet=quiet, fn=ema)


def _torch_momentum_reference(x, g, v, b, lr, beta, mu, eps):
    opt = optim.rmsprop(lr=lr, beta=beta, eps=eps, momentum=mu)
    x_new, state = opt.step(x, g, optim.RMSPropState(v, None, b, 5))
    return x_new, state.square_avg, state.momentum_buffer


def _with_buffer(update):
    """A mistake in the buffer or the step; the average v is right."""

    def compute(x, g, v, b, lr, beta, mu, eps):
        v_new = beta * v + (1 - beta) * g**2
        x_new, b_new = update(x, g, v, b, lr, mu, np.sqrt(v_new) + eps)
        return x_new, v_new, b_new

    return compute


MOMENTUM_MISTAKES = [
    Diagnosis(
        "you applied momentum *before* the scaling: your buffer sums raw gradients and the "
        "sum is divided by sqrt(v) + eps. torch's RMSprop scales each gradient first and "
        "then adds it to the buffer: `b_new = mu * b + g / (np.sqrt(v_new) + eps)`. (Adam "
        "uses the other order, as you will see.)",
        _with_buffer(lambda x, g, v, b, lr, mu, d: (x - lr * (mu * b + g) / d, mu * b + g)),
    ),
    Diagnosis(
        "your buffer holds lr * g / d (the TensorFlow/Keras convention). In torch the buffer "
        "holds scaled gradients without the learning rate, `b_new = mu * b + g / d`, and the "
        "step is `x_new = x - lr * b_new`.",
        _with_buffer(
            lambda x, g, v, b, lr, mu, d: (x - (mu * b + lr * g / d), mu * b + lr * g / d)
        ),
    ),
    Diagnosis(
        "you moved x with the *old* buffer. Update the buffer first, then step with "
        "`x_new = x - lr * b_new`.",
        _with_buffer(lambda x, g, v, b, lr, mu, d: (x - lr * b, mu * b + g / d)),
    ),
    Diagnosis(
        "you scaled the new term by (1 - mu), like a moving average. torch's momentum adds "
        "it in full: `b_new = mu * b + g / d`.",
        _with_buffer(
            lambda x, g, v, b, lr, mu, d: (
                x - lr * (mu * b + (1 - mu) * g / d),
                mu * b + (1 - mu) * g / d,
            )
        ),
    ),
    Diagnosis(
        "your buffer forgets the past, so there is no momentum: `b_new = mu * b + g / d`.",
        _with_buffer(lambda x, g, v, b, lr, mu, d: (x - lr * g / d, g / d)),
    ),
    Diagnosis(
        "you divided by the *old* average: compute `v_new` first and use `np.sqrt(v_new) + eps`.",
        lambda x, g, v, b, lr, beta, mu, eps: (
            x - lr * (mu * b + g / (np.sqrt(v) + eps)),
            beta * v + (1 - beta) * g**2,
            mu * b + g / (np.sqrt(v) + eps),
        ),
    ),
]


def check_rmsprop_momentum_step(
    rmsprop_momentum_step: Callable, *, quiet: bool = False
) -> CheckResult:
    """Check ``rmsprop_momentum_step(x, g, v, b, lr, beta, mu, eps) -> (x_new, v_new, b_new)``.

    The rule is ``torch.optim.RMSprop(momentum=mu)``: the buffer accumulates scaled gradients.
    """

    def checker() -> str:
        rng = np.random.default_rng(_SEED + 1)
        middle_of_run = dict(
            x=rng.normal(size=(2, 3)),
            g=rng.normal(size=(2, 3)),
            v=rng.uniform(0.2, 3.0, size=(2, 3)),
            b=rng.normal(size=(2, 3)),
            lr=0.05,
            beta=0.9,
            mu=0.8,
            eps=0.01,
        )
        first_step = dict(
            x=rng.normal(size=(4,)),
            g=np.array([1e-3, -0.2, 5.0, -300.0]),
            v=np.zeros(4),
            b=np.zeros(4),
            lr=0.01,
            beta=0.99,
            mu=0.9,
            eps=1e-8,
        )
        check_step(
            rmsprop_momentum_step,
            [middle_of_run, first_step],
            ("x_new", "v_new", "b_new"),
            _torch_momentum_reference,
            MOMENTUM_MISTAKES,
        )
        return (
            "`rmsprop_momentum_step` scales each gradient, then adds it to the buffer: "
            "torch's RMSprop with momentum."
        )

    return run_check(checker, quiet=quiet, fn=rmsprop_momentum_step)


BIAS_MISTAKES = [
    Diagnosis(
        "the correction is off by one step. After t steps from 0 the weights of a moving "
        "average add up to 1 - beta**t, with t = 1 on the first step: divide by that.",
        lambda average, beta, t: average / (1 - beta ** (t - 1)),
    ),
    Diagnosis(
        "the correction is off by one step. After t steps from 0 the weights of a moving "
        "average add up to 1 - beta**t, with t = 1 on the first step: divide by that.",
        lambda average, beta, t: average / (1 - beta ** (t + 1)),
    ),
    Diagnosis(
        "you multiplied by 1 - beta**t. That factor is smaller than 1 and the average is too "
        "small, so *divide* by it.",
        lambda average, beta, t: average * (1 - beta**t),
    ),
    Diagnosis(
        "the correction depends on the step t: divide by 1 - beta**t, not by 1 - beta.",
        lambda average, beta, t: average / (1 - beta),
    ),
    Diagnosis(
        "divide by 1 - beta**t (the total weight of the average), not by beta**t.",
        lambda average, beta, t: average / beta**t,
    ),
]


def check_bias_correct(bias_correct: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``bias_correct(average, beta, t) -> average / (1 - beta**t)`` for t = 3, 1, 50."""

    def checker() -> str:
        rng = np.random.default_rng(_SEED + 2)
        cases = [
            dict(average=rng.normal(size=(2, 3)), beta=0.9, t=3),
            dict(average=rng.normal(size=4), beta=0.999, t=1),
            dict(average=rng.normal(size=4), beta=0.99, t=50),
        ]
        check_step(
            bias_correct,
            cases,
            ("corrected",),
            lambda average, beta, t: average / (1 - beta**t),
            BIAS_MISTAKES,
        )
        return (
            "`bias_correct` divides by 1 - beta**t, the total weight an average started "
            "at 0 has after t steps."
        )

    return run_check(checker, quiet=quiet, fn=bias_correct)


def check_adam_first_step(
    adam_first_step_prediction: Callable, *, quiet: bool = False
) -> CheckResult:
    """Check the predicted size of Adam's first step (lr = 1e-3, torch defaults, |g| = 0.05).

    Measured with :func:`rmslab.optim.adam`: the corrections make m = g and v = g**2 exactly
    on step 1, so the step is lr (times |g| / (|g| + eps)).
    """
    name = fn_name(adam_first_step_prediction)

    def checker() -> str:
        guess = abs(as_number(call(adam_first_step_prediction), name))
        lr, beta1, beta2, g = 1e-3, 0.9, 0.999, 0.05
        opt = optim.adam(lr=lr, betas=(beta1, beta2))
        measured = abs(float(opt.step(np.zeros(1), np.full(1, g), opt.init(np.zeros(1)))[0][0]))
        wrong = [
            (
                lr * (1 - beta1) / np.sqrt(1 - beta2),
                "that is the step *without* bias "
                "correction: m_1 = 0.1 g and sqrt(v_1) = 0.0316 |g|. The corrections divide "
                "them by 1 - beta1 and 1 - beta2.",
            ),
            (
                lr / np.sqrt(1 - beta2),
                "that is RMSProp's first step at beta = 0.999 (or Adam "
                "with only m corrected): 31.6 lr. Adam corrects v as well.",
            ),
            (
                lr * (1 - beta1),
                "that corrects v but not m: m_1 = (1 - beta1) g needs its correction too.",
            ),
            (
                lr * g,
                "that is plain gradient descent's step. Adam divides by the root of v, "
                "so the gradient's size drops out.",
            ),
        ]
        judge_number(
            guess,
            measured,
            wrong,
            rtol=0.05,
            hint=(
                "Compute m_1, v_1 from zero, correct both, and take lr * m_hat / (sqrt(v_hat) + "
                "eps)."
            ),
        )
        return (
            f"Adam's first step is {measured:.6f} = lr (up to eps), for any gradient: "
            "bias correction removes RMSProp's start-up transient."
        )

    return run_check(checker, quiet=quiet, fn=adam_first_step_prediction)


def _adam_reference(x, g, m, v, t, lr, beta1, beta2, eps):
    opt = optim.adam(lr=lr, betas=(beta1, beta2), eps=eps)
    x_new, state = opt.step(x, g, optim.AdamState(m, v, None, t - 1))
    return x_new, state.exp_avg, state.exp_avg_sq


def _adam_variant(
    *,
    c1=lambda b, t: 1 - b**t,
    c2=lambda b, t: 1 - b**t,
    eps_mode="corrected",
    second_mean=False,
    store_corrected=False,
    swap_betas=False,
    sign=1.0,
    root=np.sqrt,
    second=lambda g, m: g**2,
):
    """Adam with one thing changed; the defaults give the right rule."""

    def compute(x, g, m, v, t, lr, beta1, beta2, eps):
        if swap_betas:
            beta1, beta2 = beta2, beta1
        m_new = beta1 * m + (1 - beta1) * g
        squares = second(g, m_new)
        if second_mean:
            squares = np.mean(squares)
        v_new = beta2 * v + (1 - beta2) * squares
        m_hat, v_hat = m_new / c1(beta1, t), v_new / c2(beta2, t)
        if eps_mode == "inside":
            step = lr * m_hat / root(v_hat + eps)
        elif eps_mode in ("parentheses", "parentheses-"):
            # `x - lr * m_hat / np.sqrt(v_hat) + eps`, or `step = ... + eps; x - step`
            step = lr * m_hat / root(v_hat) + (-eps if eps_mode == "parentheses" else eps)
        elif eps_mode == "uncorrected":
            step = lr * np.sqrt(c2(beta2, t)) / c1(beta1, t) * m_new / (root(v_new) + eps)
        else:
            step = lr * m_hat / (root(v_hat) + eps)
        if store_corrected:
            return x - sign * step, m_hat, v_hat
        return x - sign * step, m_new, v_new

    return compute


def _no_correction(beta, t):
    return 1.0


_OFF_BY_ONE = (
    "the bias correction is off by one step: step t divides by 1 - beta**t, with t = 1 on "
    "the first step (t is the number of steps taken, this one included)."
)

ADAM_MISTAKES = [
    Diagnosis(
        "there is no bias correction: divide m by 1 - beta1**t and v by 1 - beta2**t before "
        "the step (but store the uncorrected m and v).",
        _adam_variant(c1=_no_correction, c2=_no_correction),
    ),
    Diagnosis(
        _OFF_BY_ONE,
        _adam_variant(c1=lambda b, t: 1 - b ** (t - 1), c2=lambda b, t: 1 - b ** (t - 1)),
    ),
    Diagnosis(
        _OFF_BY_ONE,
        _adam_variant(c1=lambda b, t: 1 - b ** (t + 1), c2=lambda b, t: 1 - b ** (t + 1)),
    ),
    Diagnosis(
        "only v is corrected: m needs its correction too, m_hat = m / (1 - beta1**t).",
        _adam_variant(c1=_no_correction),
    ),
    Diagnosis(
        "only m is corrected: v needs its correction too, v_hat = v / (1 - beta2**t).",
        _adam_variant(c2=_no_correction),
    ),
    Diagnosis(
        "you returned the bias-corrected averages as the new state. Keep the raw m and v in "
        "the state; the correction is only for the step, and is recomputed from t each time.",
        _adam_variant(store_corrected=True),
    ),
    Diagnosis(
        "eps is inside the square root. Adam (Algorithm 1, torch) adds it outside, to the "
        "root of the *corrected* v: `np.sqrt(v_hat) + eps`.",
        _adam_variant(eps_mode="inside"),
    ),
    Diagnosis(
        "you added eps to the root of the *uncorrected* v (the 'eps-hat' form of Keras and "
        "TensorFlow). torch and Algorithm 1 add it to sqrt(v_hat).",
        _adam_variant(eps_mode="uncorrected"),
    ),
    Diagnosis(
        "beta1 and beta2 are swapped: beta1 is the decay of the gradient average m, beta2 "
        "that of the squared-gradient average v.",
        _adam_variant(swap_betas=True),
    ),
    Diagnosis(
        "v must average the squared *gradients* g**2, not the squared momentum m**2.",
        _adam_variant(second=lambda g, m: m**2),
    ),
    *(
        Diagnosis(
            "parentheses are missing: `lr * m_hat / np.sqrt(v_hat) + eps` divides by the root "
            "alone and adds eps outside the fraction. Put the whole denominator in "
            "parentheses: `lr * m_hat / (np.sqrt(v_hat) + eps)`.",
            _adam_variant(eps_mode=mode),
        )
        for mode in ("parentheses", "parentheses-")
    ),
    Diagnosis(
        "you averaged g**2 over the coordinates (`np.mean(g**2)`), so every coordinate gets "
        "the same v. Adam keeps one average per coordinate: `ema(v, g**2, beta2)`, "
        "elementwise.",
        _adam_variant(second_mean=True),
    ),
    Diagnosis(
        "the square root is missing: divide by `np.sqrt(v_hat) + eps`.",
        _adam_variant(root=lambda value: value),
    ),
    Diagnosis(
        "wrong sign: you stepped *up* the slope. Subtract the step from x.",
        _adam_variant(sign=-1.0),
    ),
]


def check_adam_step(adam_step: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``adam_step(x, g, m, v, t, lr, beta1, beta2, eps) -> (x_new, m_new, v_new)``.

    Cases: the middle of a run (t = 7) with unusual betas and a large eps, so that every
    catalogued mistake changes the answer; the first step from zero state (t = 1), where a
    missing correction shows most; tiny gradients, where the place of eps matters.
    """

    def checker() -> str:
        rng = np.random.default_rng(_SEED + 3)
        middle_of_run = dict(
            x=rng.normal(size=(2, 3)),
            g=rng.normal(size=(2, 3)),
            m=0.5 * rng.normal(size=(2, 3)),
            v=rng.uniform(0.2, 2, size=(2, 3)),
            t=7,
            lr=0.01,
            beta1=0.8,
            beta2=0.95,
            eps=1e-3,
        )
        first_step = dict(
            x=rng.normal(size=(4,)),
            g=np.array([1e-3, -0.2, 5.0, -300.0]),
            m=np.zeros(4),
            v=np.zeros(4),
            t=1,
            lr=1e-3,
            beta1=0.9,
            beta2=0.999,
            eps=1e-8,
        )
        tiny = np.array([1e-6, -2e-6, 5e-7, -1e-6, 3e-6])
        tiny_gradients = dict(
            x=rng.normal(size=(5,)),
            g=tiny,
            m=0.5 * tiny,
            v=(tiny * rng.uniform(0.5, 1.5, size=5)) ** 2 * 0.2,
            t=20,
            lr=1e-3,
            beta1=0.9,
            beta2=0.999,
            eps=1e-8,
        )
        check_step(
            adam_step,
            [middle_of_run, first_step, tiny_gradients],
            ("x_new", "m_new", "v_new"),
            _adam_reference,
            ADAM_MISTAKES,
        )
        return "`adam_step` is torch's Adam: RMSProp plus momentum on g plus bias correction."

    return run_check(checker, quiet=quiet, fn=adam_step)


def _largest_steps(lr: float, g: float, steps: int, beta2: float):
    """Step lengths of RMSProp (beta = beta2) and Adam under the constant gradient ``g``."""

    def sizes(opt):
        return step_lengths(gradient_path(opt, np.full((steps, 1), g)))

    return (
        sizes(optim.rmsprop(lr=lr, beta=beta2, eps=1e-8)),
        sizes(optim.adam(lr=lr, betas=(0.9, beta2), eps=1e-8)),
    )


def _not_finite(value) -> bool:
    try:
        return not np.isfinite(float(np.asarray(value).item()))
    except (TypeError, ValueError):
        return False


def check_early_steps(largest_early_steps: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``largest_early_steps() -> (rmsprop_largest, adam_largest)`` over 50 steps.

    Constant gradient 0.01, lr = 1e-3, RMSProp beta = 0.999, Adam betas = (0.9, 0.999).
    """
    name = fn_name(largest_early_steps)

    def checker() -> str:
        result = call(largest_early_steps, loop_hint="Do both runs stop after 50 steps?")
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Mistake(
                f"`{name}` should return two numbers, `rmsprop_largest, adam_largest`, but "
                f"it returned {result!r:.60}."
            )
        rmsprop_largest = as_number(result[0], name)
        if _not_finite(result[1]):
            raise Mistake(
                f"your Adam run gave {result[1]!r}: on its first step `bias_correct` divided by "
                "1 - beta**0 = 0. Count Adam's steps from t = 1, `for t in range(1, 51)`: t is "
                "the number of steps taken, this one included."
            )
        adam_largest = as_number(result[1], name)
        rms, adam = _largest_steps(1e-3, 0.01, 50, 0.999)
        got, right = (rmsprop_largest, adam_largest), (rms.max(), adam.max())
        if np.allclose(got, right[::-1], rtol=0.01):
            raise Mistake("the two numbers are swapped: return `rmsprop_largest, adam_largest`.")
        if np.allclose(got, (rms[-1], adam[-1]), rtol=0.01):
            raise Mistake(
                "those are the *last* steps of the 50. Return the largest step of each run: "
                "for RMSProp it is the first one."
            )
        for label, value, answer in zip(("RMSProp", "Adam"), got, right, strict=True):
            if not np.isclose(value, answer, rtol=0.01):
                raise Mistake(
                    f"the largest {label} step should be {answer:.4g}, but you found "
                    f"{value:.4g}. Record |x_t - x_(t-1)| at every step and take the maximum."
                )
        return (
            f"RMSProp's first step is {rms.max() / 1e-3:.1f} lr at beta = 0.999; Adam's "
            f"largest is {adam.max() / 1e-3:.3f} lr. Bias correction tames the start."
        )

    return run_check(checker, quiet=quiet, fn=largest_early_steps)
