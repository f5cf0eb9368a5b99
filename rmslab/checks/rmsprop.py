r"""Checkers for Lab 4 (RMSProp).

The student writes RMSProp exactly as ``torch.optim.RMSprop`` runs it (:math:`v_0 = 0`,
:math:`\epsilon` outside the root, torch's ``alpha`` is the book's :math:`\beta`),

.. math::

    v_t = \beta\, v_{t-1} + (1-\beta)\, g_t^2, \qquad
    x_t = x_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \epsilon},

as ``rmsprop_step(x, g, v, lr, beta, eps) -> (x_new, v_new)``, then predicts and measures the
start-up transient and the effect of moving :math:`\epsilon` inside the root, and reproduces
``torch.optim.RMSprop``, then sees what the forgetting is for: a moving minimum that
Adagrad loses and RMSProp follows, and a beta chosen for a time scale. Right answers come
from :func:`rmslab.optim.rmsprop` (tested against torch to 1e-12) or from closed forms, never
from the student's code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmslab import optim, problems
from rmslab.checks._core import (
    CheckResult,
    Diagnosis,
    Mistake,
    as_number,
    call,
    check_step,
    describe,
    fn_name,
    judge_number,
    run_check,
)
from rmslab.checks._runs import check_trajectory
from rmslab.measure import first_below, gradient_field_path, gradient_path, step_lengths

_SEED = 20261204


def _reference_step(x, g, v, lr, beta, eps):
    opt = optim.rmsprop(lr=lr, beta=beta, eps=eps)
    x_new, state = opt.step(x, g, optim.RMSPropState(v, None, None, 5))
    return x_new, state.square_avg


def _descend(x, g, v_new, lr, eps):
    return x - lr * g / (np.sqrt(v_new) + eps)


def _average(v, g, beta):
    return beta * v + (1 - beta) * g**2


def _with_average(update_average):
    """A mistake in the average only: the step divides correctly by the wrong average."""

    def compute(x, g, v, lr, beta, eps):
        v_new = update_average(v, g, beta)
        return _descend(x, g, v_new, lr, eps), v_new

    return compute


def _with_step(step):
    """A mistake in the step only: the average is right."""

    def compute(x, g, v, lr, beta, eps):
        v_new = _average(v, g, beta)
        return step(x, g, v, v_new, lr, eps), v_new

    return compute


STEP_MISTAKES = [
    # Before "sum": on a first step from v = 0 the two agree, and only this one passes the
    # earlier cases (where v != 0).
    Diagnosis(
        "you started the average at g**2 when v was 0. torch starts from v = 0 and applies "
        "the rule as it is, so v_1 = (1 - beta) g**2: that makes the first steps large, "
        "the start-up transient you will measure below.",
        _with_average(lambda v, g, beta: np.where(v == 0, g**2, _average(v, g, beta))),
    ),
    Diagnosis(
        "you add g**2 to a running *sum* (that is Adagrad). RMSProp keeps a moving average, "
        "`v_new = beta * v + (1 - beta) * g**2`, so that old gradients fade away.",
        _with_average(lambda v, g, beta: v + g**2),
    ),
    Diagnosis(
        "beta and 1 - beta are swapped. beta (close to 1) weighs the *old* average and "
        "1 - beta the new g**2: `v_new = beta * v + (1 - beta) * g**2`.",
        _with_average(lambda v, g, beta: (1 - beta) * v + beta * g**2),
    ),
    Diagnosis(
        "the new g**2 needs the weight (1 - beta), so that the weights add up to 1: "
        "`v_new = beta * v + (1 - beta) * g**2`.",
        _with_average(lambda v, g, beta: beta * v + g**2),
    ),
    Diagnosis(
        "you averaged |g| (or g) instead of its square: `v_new = beta * v + (1 - beta) * g**2`.",
        _with_average(lambda v, g, beta: beta * v + (1 - beta) * np.abs(g)),
    ),
    Diagnosis(
        "your average forgets the past (`v_new = (1 - beta) * g**2`): the state must carry "
        "over, `v_new = beta * v + (1 - beta) * g**2`.",
        _with_average(lambda v, g, beta: (1 - beta) * g**2),
    ),
    Diagnosis(
        "eps is inside the square root (the TensorFlow/Keras form). torch adds it outside, "
        "`np.sqrt(v_new) + eps`; with gradients near 1e-6 the two differ a hundredfold.",
        _with_step(lambda x, g, v, v_new, lr, eps: x - lr * g / np.sqrt(v_new + eps)),
    ),
    Diagnosis(
        "the square root is missing: divide by `np.sqrt(v_new) + eps`, the root *mean square* "
        "of the gradient, not by the mean square itself.",
        _with_step(lambda x, g, v, v_new, lr, eps: x - lr * g / (v_new + eps)),
    ),
    *(
        Diagnosis(
            "parentheses are missing: `lr * g / np.sqrt(v_new) + eps` divides by the root "
            "alone and adds eps outside the fraction. Put the whole denominator in "
            "parentheses: `lr * g / (np.sqrt(v_new) + eps)`.",
            _with_step(
                lambda x, g, v, v_new, lr, eps, sign=sign: x - lr * g / np.sqrt(v_new) + sign * eps
            ),
        )
        for sign in (1.0, -1.0)  # `x - lr * g / ... + eps`, or `step = ... + eps; x - step`
    ),
    Diagnosis(
        "you averaged g**2 over the coordinates (`np.mean(g**2)`), so every coordinate gets "
        "the same v. RMSProp averages over *time*, one average per coordinate: "
        "`v_new = beta * v + (1 - beta) * g**2`, elementwise.",
        _with_average(lambda v, g, beta: beta * v + (1 - beta) * np.mean(g**2)),
    ),
    Diagnosis(
        "eps is missing from the denominator: `np.sqrt(v_new) + eps`.",
        _with_step(lambda x, g, v, v_new, lr, eps: x - lr * g / np.sqrt(v_new)),
    ),
    Diagnosis(
        "you divided by the *old* average. Update v first, then divide by `np.sqrt(v_new) + eps`.",
        _with_step(lambda x, g, v, v_new, lr, eps: _descend(x, g, v, lr, eps)),
    ),
    Diagnosis(
        "wrong sign: you stepped *up* the slope. Subtract the step from x.",
        _with_step(lambda x, g, v, v_new, lr, eps: 2 * x - _descend(x, g, v_new, lr, eps)),
    ),
    Diagnosis(
        "the learning rate is missing: `x_new = x - lr * g / (np.sqrt(v_new) + eps)`.",
        _with_step(lambda x, g, v, v_new, lr, eps: x - g / (np.sqrt(v_new) + eps)),
    ),
]


def check_rmsprop_step(rmsprop_step: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``rmsprop_step(x, g, v, lr, beta, eps) -> (x_new, v_new)`` against torch's rule.

    Three cases: the middle of a run with positive gradients and a large eps (every mistake in
    the catalog gives a different answer); tiny gradients (|g| ~ 1e-6) with eps = 1e-8, where
    eps inside the root shrinks the step a hundredfold; and a first step from v = 0.
    """

    def checker() -> str:
        rng = np.random.default_rng(_SEED)
        middle_of_run = dict(
            x=rng.normal(size=(2, 3)),
            g=rng.uniform(0.5, 2.0, size=(2, 3)),
            v=rng.uniform(0.2, 3.0, size=(2, 3)),
            lr=0.1,
            beta=0.9,
            eps=0.05,
        )
        tiny = np.array([1e-6, -2e-6, 5e-7, -1e-6, 3e-6])
        tiny_gradients = dict(
            x=rng.normal(size=(5,)),
            g=tiny,
            v=(tiny * rng.uniform(0.5, 1.5, size=5)) ** 2,
            lr=1e-3,
            beta=0.99,
            eps=1e-8,
        )
        first_step = dict(
            x=rng.normal(size=(4,)),
            g=np.array([1e-3, -0.2, 5.0, -300.0]),
            v=np.zeros(4),
            lr=0.01,
            beta=0.99,
            eps=1e-8,
        )
        check_step(
            rmsprop_step,
            [middle_of_run, tiny_gradients, first_step],
            ("x_new", "v_new"),
            _reference_step,
            STEP_MISTAKES,
        )
        return (
            "`rmsprop_step` matches torch's rule, including tiny gradients and the first "
            "step from v = 0."
        )

    return run_check(checker, quiet=quiet, fn=rmsprop_step)


def _step_sizes(opt, g: float, steps: int) -> np.ndarray:
    """|x_t - x_{t-1}| for t = 1..steps under the constant gradient ``g`` (one coordinate)."""
    return step_lengths(gradient_path(opt, np.full((steps, 1), g)))


def check_rmsprop_first_step(
    first_step_prediction: Callable, *, quiet: bool = False
) -> CheckResult:
    """Check the predicted first step for lr = 0.01, beta = 0.99, g = 0.001 from v = 0.

    Measured with :func:`rmslab.optim.rmsprop` (torch's rule): about
    :math:`\\eta/\\sqrt{1-\\beta} = 0.1`, ten times the learning rate.
    """
    name = fn_name(first_step_prediction)

    def checker() -> str:
        guess = abs(as_number(call(first_step_prediction), name))
        lr, beta, g = 0.01, 0.99, 1e-3
        measured = _step_sizes(optim.rmsprop(lr=lr, beta=beta, eps=1e-8), g, 1)[0]
        wrong = [
            (
                lr * g,
                "that is plain gradient descent's step, lr * g. RMSProp divides g by "
                "the root of v, so the gradient's size drops out.",
            ),
            (
                lr,
                "that is the step once v has settled near g**2. On the first step v starts "
                "from 0 and reaches only (1 - beta) g**2, a hundred times smaller than g**2.",
            ),
            (lr / (1 - beta), "the denominator is the *square root* of v_1 = (1 - beta) g**2."),
            (
                lr * np.sqrt(1 - beta),
                "the factor sqrt(1 - beta) divides the step, it does not "
                "multiply it: v_1 = (1 - beta) g**2 sits in the denominator.",
            ),
        ]
        judge_number(
            guess,
            measured,
            wrong,
            rtol=0.05,
            hint=("Write v_1 from v_0 = 0, then the step lr * g / (sqrt(v_1) + eps)."),
        )
        return (
            f"the first step is {measured:.4f}, about lr / sqrt(1 - beta) = "
            f"{lr / np.sqrt(1 - beta):.4f}: ten times the learning rate, whatever the "
            "gradient's size."
        )

    return run_check(checker, quiet=quiet, fn=first_step_prediction)


def _settling_step(beta: float) -> int:
    """First step t (from 1) whose size is at most 1.1 lr under a constant gradient g = 1."""
    sizes = _step_sizes(optim.rmsprop(lr=0.01, beta=beta, eps=1e-8), 1.0, 5000)
    return first_below(sizes, 1.1 * 0.01 * (1 + 1e-12)) + 1  # sizes[0] is step 1


def check_steps_to_settle(steps_to_settle: Callable, *, quiet: bool = False) -> CheckResult:
    """Check the measured length of the start-up transient for beta = 0.9 and 0.99."""
    name = fn_name(steps_to_settle)

    def checker() -> str:
        for beta in (0.9, 0.99):
            hint = (
                "Does the loop carry `x` and `v` forward, so that the step can shrink to "
                "1.1 lr and end it?"
            )
            count = as_number(call(steps_to_settle, beta, loop_hint=hint), name)
            answer = _settling_step(beta)
            wrong = [
                (
                    answer - 1,
                    f"one step early for beta = {beta}. Count steps from 1 (the "
                    "first step is step 1) and return the first step that is within 10%.",
                ),
                (
                    answer + 1,
                    f"one step late for beta = {beta}: return the *first* step whose "
                    "size is at most 1.1 lr.",
                ),
                (
                    1 / (1 - beta),
                    f"{1 / (1 - beta):g} = 1 / (1 - beta) is the averaging "
                    "window, a rough rule for how far back v looks. Measure instead: run your "
                    "`rmsprop_step` and watch the step size.",
                ),
            ]
            judge_number(
                count,
                answer,
                wrong,
                rtol=1e-9,
                match_rtol=1e-9,
                hint=(
                    f"For beta = {beta}, run `rmsprop_step` with the constant gradient g = 1 from "
                    "v = 0 and record |x_t - x_{t-1}| at each step."
                ),
            )
        return (
            f"the transient lasts {_settling_step(0.9)} steps at beta = 0.9 and "
            f"{_settling_step(0.99)} at beta = 0.99: v = (1 - beta^t) g**2 approaches "
            "g**2 only as beta^t dies out."
        )

    return run_check(checker, quiet=quiet, fn=steps_to_settle)


def _steady_step_ratio(g: float, steps: int = 2000) -> float:
    """Final step with eps outside the root over the step with eps inside (torch defaults)."""
    outside = _step_sizes(optim.rmsprop(lr=1e-3, beta=0.99, eps=1e-8), g, steps)[-1]
    inside = _step_sizes(optim.rmsprop(lr=1e-3, beta=0.99, eps=1e-8, eps_in_sqrt=True), g, steps)[
        -1
    ]
    return outside / inside


def check_eps_ratio_prediction(
    eps_ratio_prediction: Callable, *, quiet: bool = False
) -> CheckResult:
    """Check the predicted steady-state ratio, eps outside over eps inside, for |g| = 1e-6."""
    name = fn_name(eps_ratio_prediction)

    def checker() -> str:
        guess = as_number(call(eps_ratio_prediction), name)
        measured = _steady_step_ratio(1e-6)
        wrong = [
            (
                1.0,
                "eps = 1e-8 is tiny next to 1, but inside the root it is compared with "
                "g**2 = 1e-12, and there it dominates.",
            ),
            (
                1e4,
                "that is the ratio of eps to g**2 under the root. The step divides by the "
                "*square root*: sqrt(g**2 + eps) is about sqrt(eps) = 1e-4.",
            ),
            (
                1e-2,
                "turned around: the eps-inside step is the *smaller* one, since its "
                "denominator sqrt(g**2 + eps) is about 1e-4 instead of |g| = 1e-6.",
            ),
        ]
        judge_number(
            guess,
            measured,
            wrong,
            rtol=0.25,
            hint=(
                "In steady state v = g**2. Compare the denominators |g| + eps and "
                "sqrt(g**2 + eps) for |g| = 1e-6 and eps = 1e-8."
            ),
        )
        return (
            f"measured: torch's step is {measured:.1f} times the eps-inside step. Same "
            "name, same eps, a hundredfold different optimizer for small gradients."
        )

    return run_check(checker, quiet=quiet, fn=eps_ratio_prediction)


def check_eps_placement_ratio(eps_placement_ratio: Callable, *, quiet: bool = False) -> CheckResult:
    """Check the measured steady-state step ratio (eps outside / inside) for three |g|."""
    name = fn_name(eps_placement_ratio)

    def checker() -> str:
        answers = {}
        for g in (1e-6, 1e-4, 1.0):
            hint = "Does each run stop after 2000 steps, and carry `v` forward?"
            ratio = as_number(call(eps_placement_ratio, g, loop_hint=hint), name)
            answer = answers[g] = _steady_step_ratio(g)
            first = _steady_step_ratio(g, steps=1)
            wrong = [
                (
                    1 / answer,
                    f"for |g| = {g:g} you returned the eps-inside step over the "
                    "eps-outside step. Return outside / inside.",
                ),
                (
                    first,
                    f"for |g| = {g:g} that is the ratio of the *first* steps, which are "
                    "still in the start-up transient. Run until v has settled (2000 steps at "
                    "beta = 0.99) and compare the last steps.",
                ),
                (
                    1.0,
                    f"for |g| = {g:g} your two variants take the same step. Check that "
                    "`rmsprop_step_eps_inside` divides by `np.sqrt(v_new + eps)`.",
                ),
            ]
            judge_number(
                ratio,
                answer,
                wrong,
                rtol=0.02,
                hint=(
                    f"For |g| = {g:g}, run both variants for 2000 steps with the constant "
                    "gradient and divide the last step of one by the last step of the other."
                ),
            )
        return (
            f"the ratio is {answers[1.0]:.3g} at |g| = 1, {answers[1e-4]:.3g} at 1e-4 and "
            f"{answers[1e-6]:.3g} at 1e-6: where eps sits matters once |g| is below sqrt(eps)."
        )

    return run_check(checker, quiet=quiet, fn=eps_placement_ratio)


def _run_with(**settings):
    def compute(grad, x0, lr, beta, eps, steps):
        values = dict(dict(lr=lr, beta=beta, eps=eps), **settings)
        return gradient_field_path(optim.rmsprop(**values), grad, x0, steps)

    return compute


TORCH_MISTAKES = [
    Diagnosis(
        "you left torch's `alpha` at its default, 0.99. torch calls the decay beta `alpha`: "
        "pass `alpha=beta`.",
        _run_with(beta=0.99),
    ),
    Diagnosis(
        "torch's `alpha` is the decay itself, the weight of the old average (our beta), "
        "not 1 - beta: pass `alpha=beta`.",
        lambda grad, x0, lr, beta, eps, steps: _run_with(beta=1 - beta)(
            grad, x0, lr, beta, eps, steps
        ),
    ),
    Diagnosis(
        "you passed beta as `momentum`. torch's RMSprop calls the decay of the average "
        "`alpha` (default 0.99); `momentum` adds a separate momentum buffer, which this "
        "exercise does not use. Pass `alpha=beta` and leave `momentum` out.",
        lambda grad, x0, lr, beta, eps, steps: _run_with(beta=0.99, momentum=beta)(
            grad, x0, lr, beta, eps, steps
        ),
    ),
    Diagnosis(
        "you left torch's `lr` at its default, 0.01: pass `lr=lr`.",
        _run_with(lr=0.01),
    ),
    Diagnosis(
        "you left torch's `eps` at its default, 1e-8: pass `eps=eps`.",
        _run_with(eps=1e-8),
    ),
]


def check_torch_rmsprop(torch_rmsprop_run: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``torch_rmsprop_run(grad, x0, lr, beta, eps, steps) -> xs`` (torch, float64).

    The reference is :func:`rmslab.optim.rmsprop` in float64, which agrees with torch to
    about 1e-15; the non-default lr, beta and eps expose an argument left at its default.
    """
    name = fn_name(torch_rmsprop_run)

    def checker() -> str:
        scales = np.array([1.0, 20.0])

        def grad(x):
            return scales * x

        inputs = dict(grad=grad, x0=np.array([1.0, -1.5]), lr=0.05, beta=0.9, eps=1e-3, steps=20)
        expected = gradient_field_path(
            optim.rmsprop(lr=0.05, beta=0.9, eps=1e-3), grad, inputs["x0"], 20
        )
        check_trajectory(
            torch_rmsprop_run,
            inputs,
            expected,
            TORCH_MISTAKES,
            loop_hint="Does the loop run exactly `steps` times?",
            aliasing=(
                "every row from row {first} on is the final point: `p.detach().numpy()` shares "
                "its memory with `p`, which `opt.step()` changes in place, so each stored "
                "row shows the last value. Store a copy: `p.detach().numpy().copy()`."
            ),
            first_step=(
                "Check the arguments of `torch.optim.RMSprop`: `lr=lr`, `alpha=beta` (torch's "
                "name for the decay) and `eps=eps`, nothing else."
            ),
            near_miss=(
                "that is float32 precision. Create the parameter with `dtype=torch.float64` "
                "(and convert the gradients to float64 too)."
            ),
        )
        return f"`{name}` runs torch.optim.RMSprop with lr, alpha = beta and eps, in float64."

    return run_check(checker, quiet=quiet, fn=torch_rmsprop_run)


def _tracking(method: str) -> tuple[float, float]:
    """Mean distance to the moving minimum over the first and the last 200 of 2000 steps.

    ``problems.moving_minimum("jump", period=200, radius=2)``, lr = 0.5, eps = 1e-8, from the
    origin; RMSProp with beta = 0.99. After step t (counted from 0) the distance is measured to
    the centre of step t.
    """
    bowl = problems.moving_minimum("jump", period=200, radius=2.0)
    if method == "adagrad":
        opt = optim.adagrad(lr=0.5, eps=1e-8)
    else:
        opt = optim.rmsprop(lr=0.5, beta=0.99, eps=1e-8)
    x, state, distances = bowl.x0, opt.init(bowl.x0), []
    for t in range(2000):
        x, state = opt.step(x, bowl.grad(x, t), state)
        distances.append(float(np.linalg.norm(x - bowl.minimizer_at(t))))
    return float(np.mean(distances[:200])), float(np.mean(distances[-200:]))


def _static_tracking(method: str) -> tuple[float, float]:
    """The same measurement with the gradient of step 0 throughout (the minimum never moves)."""
    bowl = problems.moving_minimum("jump", period=200, radius=2.0)
    opt = optim.adagrad(lr=0.5, eps=1e-8) if method == "adagrad" else optim.rmsprop(lr=0.5)
    x, state, distances = bowl.x0, opt.init(bowl.x0), []
    for _ in range(2000):
        x, state = opt.step(x, bowl.grad(x, 0), state)
        distances.append(float(np.linalg.norm(x - bowl.minimizer_at(0))))
    return float(np.mean(distances[:200])), float(np.mean(distances[-200:]))


def check_tracking(tracking_distances: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``tracking_distances(method) -> (first, last)`` for "adagrad" and "rmsprop".

    The answers are measured with :func:`rmslab.optim.adagrad` and :func:`rmslab.optim.rmsprop`
    on :func:`rmslab.problems.moving_minimum` (see :func:`_tracking`): both follow the first
    jump; after ten jumps Adagrad's summed squares have shrunk its step and it lags far
    behind, while RMSProp's average has forgotten the old gradients.
    """
    name = fn_name(tracking_distances)

    def checker() -> str:
        answers = {}
        for method in ("adagrad", "rmsprop"):
            hint = "Does the run stop after 2000 steps?"
            result = call(tracking_distances, method, loop_hint=hint)
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise Mistake(
                    f"`{name}` should return two numbers, `first, last`, but it returned "
                    f"{describe(result)}."
                )
            first = as_number(result[0], name)
            last = as_number(result[1], name)
            right = answers[method] = _tracking(method)
            if np.allclose((first, last), right[::-1], rtol=0.01):
                raise Mistake(
                    f"for {method!r} the two numbers are swapped: return the first period's "
                    "mean distance, then the last period's."
                )
            if np.allclose((first, last), _static_tracking(method), rtol=0.01):
                raise Mistake(
                    f"for {method!r} your minimum never moved: pass the step number to the "
                    "gradient, `bowl.grad(x, t)`, so that the centre jumps every 200 steps."
                )
            if method == "rmsprop" and np.allclose((first, last), answers["adagrad"], rtol=0.01):
                raise Mistake(
                    "your 'rmsprop' run gives Adagrad's distances: it must use your "
                    "`rmsprop_step` (beta = 0.99), whose average forgets, not a growing sum."
                )
            for label, got, want in (("first", first, right[0]), ("last", last, right[1])):
                if not np.isclose(got, want, rtol=0.01):
                    raise Mistake(
                        f"for {method!r} the mean distance over the {label} 200 steps should "
                        f"be {want:.3g}, but you found {got:.3g}. Measure after each step t "
                        "the distance |x - bowl.minimizer_at(t)|, with lr = 0.5, eps = 1e-8."
                    )
        (a_first, a_last), (r_first, r_last) = answers["adagrad"], answers["rmsprop"]
        return (
            f"both follow the first jump (mean distance {a_first:.2g} and {r_first:.2g}); after "
            f"ten jumps Adagrad lags at {a_last:.2g}, RMSProp stays at {r_last:.2g}: it forgets."
        )

    return run_check(checker, quiet=quiet, fn=tracking_distances)


def check_half_life_beta(beta_for_half_life: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``beta_for_half_life(n)``: the decay whose average halves an old value in n steps.

    The answer is beta = 2^(-1/n); a beta whose half-life ln(1/2)/ln(beta) is within 1% of n
    passes.
    """
    name = fn_name(beta_for_half_life)

    def checker() -> str:
        for n in (10, 200):
            beta = as_number(call(beta_for_half_life, n), name)
            if not 0 < beta < 1:
                raise Mistake(
                    f"for n = {n} you returned beta = {beta:.4g}; a decay lies between 0 and 1."
                )
            half_life = np.log(0.5) / np.log(beta)
            wrong = [
                (
                    1 - 1 / n,
                    f"beta = 1 - 1/n is the averaging-window rule: after n = {n} steps an old "
                    "value keeps (1 - 1/n)^n, about 1/e = 37%, not half. Solve beta**n = 1/2.",
                ),
                (0.5**n, "0.5**n halves the value n times in every step. Solve beta**n = 1/2."),
                (1 / n, "beta = 1/n forgets almost everything at once. Solve beta**n = 1/2."),
            ]
            judge_number(
                beta,
                0.5 ** (1 / n),
                wrong,
                rtol=0.01 * np.log(2) / n,  # the half-life within 1%
                match_rtol=1e-4,
                hint=(
                    f"for n = {n} the half-life of your beta is {half_life:.3g} steps: an old "
                    "value is multiplied by beta at every step, so it keeps beta**n after n."
                ),
            )
        return (
            f"beta = 2**(-1/n): {0.5 ** (1 / 10):.3f} at n = 10, {0.5 ** (1 / 200):.4f} at "
            "n = 200. The memory of RMSProp's average is a choice of time scale."
        )

    return run_check(checker, quiet=quiet, fn=beta_for_half_life)
