r"""Lab 6, Exercises 5 and 6: explain from per-layer measurements why SGD stalls.

:func:`rmslab.train.fit` records, per layer and step, the relative update
:math:`\|\Delta W_l\| / \|W_l\|` (``History.rel_update``) and the relative gradient
(``History.rel_grad``). Exercise 5's ``layer_ratio(history)`` divides the last layer's mean
relative update by the first layer's (:func:`layer_ratio` is the right answer); Exercise 6
asks which of four explanations (:data:`STALL_CHOICES`) fits SGD's ratio of hundreds against
RMSProp's of about one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmslab.checks._core import CheckResult, Mistake, as_number, describe, fn_name, run_check
from rmslab.checks.networks.calling import raised, run_student
from rmslab.checks.networks.training import SGD_LRS

# ------------------------------------------------------------------ Exercise 5: layer ratio


def layer_ratio(history) -> float:
    r"""Mean relative update of the last layer over that of the first layer (means over steps):

    .. math:: \frac{\operatorname{mean}_t \|\Delta W_L\|/\|W_L\|}
                   {\operatorname{mean}_t \|\Delta W_1\|/\|W_1\|}.

    The layers are in the order ``history.rel_update`` lists them (input side first).
    """
    updates = list(history.rel_update.values())
    return float(np.mean(updates[-1]) / np.mean(updates[0]))


def made_up_history(rel_grad: dict, rel_update: dict):
    """A :class:`rmslab.train.History` holding only these per-layer values (layer -> steps)."""
    from rmslab.train import History

    empty = np.zeros(0)
    return History(np.ones(1), rel_grad, rel_update, empty, empty, empty, None, 0.0, None)


def _histories() -> list:
    """Two histories with skewed, noisy per-step values: 4 layers, then 10 (``layer10``)."""
    rng = np.random.default_rng(6)
    made = []
    for layers, steps in ((4, 30), (10, 40)):
        names = [f"layer{i + 1}" for i in range(layers)]
        scales = np.logspace(-4, -1, layers)
        grad = {n: s * rng.lognormal(0, 1, steps) for n, s in zip(names, scales, strict=True)}
        update = {n: 1e-2 * rng.lognormal(0, 1, steps) * (i + 1) for i, n in enumerate(names)}
        made.append(made_up_history(grad, update))
    return made


def _last(history, key):
    return list(getattr(history, key).values())[-1]


def _first(history, key):
    return list(getattr(history, key).values())[0]


#: (message, compute): what a wrong ``layer_ratio`` returns for a history.
RATIO_MISTAKES = [
    (
        "upside down: the ratio is the *last* layer's mean relative update over the *first* "
        "layer's.",
        lambda h: 1 / layer_ratio(h),
    ),
    (
        "you used `rel_grad`, what backpropagation hands the optimizer; the question is what "
        "the optimizer did with it, `rel_update`.",
        lambda h: np.mean(_last(h, "rel_grad")) / np.mean(_first(h, "rel_grad")),
    ),
    (
        "you averaged the per-step ratios; divide the two layers' *means* instead, "
        "`np.mean(last) / np.mean(first)`.",
        lambda h: np.mean(_last(h, "rel_update") / _first(h, "rel_update")),
    ),
    (
        "you took the median; the ratio is between *means* over the steps (`np.mean`).",
        lambda h: np.median(_last(h, "rel_update")) / np.median(_first(h, "rel_update")),
    ),
    (
        "you wrote the layer names into the function, so a deeper network's last layer is "
        "missed. Take the first and last layers from the history: `list(history.rel_update)`.",
        lambda h: np.mean(h.rel_update["layer4"]) / np.mean(h.rel_update["layer1"]),
    ),
    (
        "you used the last step only; average each layer over all the steps first.",
        lambda h: _last(h, "rel_update")[-1] / _first(h, "rel_update")[-1],
    ),
    (
        "you used the first step only; average each layer over all the steps first.",
        lambda h: _last(h, "rel_update")[0] / _first(h, "rel_update")[0],
    ),
    (
        "`sorted` puts 'layer10' before 'layer2' (it compares text), so with ten layers your "
        "last layer is layer9. Keep the history's own order: `list(history.rel_update)[-1]`.",
        lambda h: (
            np.mean(h.rel_update[sorted(h.rel_update)[-1]])
            / np.mean(h.rel_update[sorted(h.rel_update)[0]])
        ),
    ),
]


def _explain_ratio_error(name: str, layers: int) -> Callable[[Exception], Mistake]:
    """A ``KeyError`` on a history of ``layers`` layers: the layer names are written into the
    function; any other exception is quoted."""

    def explain(exc: Exception) -> Mistake:
        if isinstance(exc, KeyError):
            return Mistake(
                f"a history of {layers} layers has no key {exc}: do not "
                "write the layer names into the function; take the first and last from the "
                "history, `list(history.rel_update)[0]` and `[-1]`."
            )
        return raised(name, exc)

    return explain


def check_layer_ratio(ratio_fn: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``layer_ratio(history)`` against :func:`layer_ratio` on two made-up histories
    (4 and 10 layers, skewed noisy values, so that every catalogued variant differs)."""
    name = fn_name(ratio_fn)

    def checker() -> str:
        for history in _histories():
            got = run_student(
                ratio_fn,
                history,
                name=name,
                loop_hint="It needs no loop of its own: two means and a division.",
                explain=_explain_ratio_error(name, len(history.rel_update)),
            )
            got = as_number(got, name)
            answer = layer_ratio(history)
            if np.isclose(got, answer, rtol=1e-9):
                continue
            for message, compute in RATIO_MISTAKES:
                wrong = float(compute(history))
                if np.isclose(got, wrong, rtol=1e-9) and not np.isclose(wrong, answer, rtol=1e-9):
                    raise Mistake(message)
            raise Mistake(
                f"on a history of {len(history.rel_update)} layers the ratio is {answer:.6g}, but "
                f"`{name}` returned {got:.6g}: mean of the last layer's `rel_update` over the "
                "mean of the first layer's."
            )
        return "`layer_ratio` divides the last layer's mean relative update by the first's."

    return run_check(checker, quiet=quiet, fn=ratio_fn)


# ------------------------------------------------------------------ Exercise 6: why SGD stalls

#: Choice -> why it is wrong (None: the right answer).
STALL_CHOICES = {
    "A": (
        "sigmoid units block backpropagation: the first layer's gradient is exactly zero. "
        "It is not: `rel_grad` of layer 1 is small but positive at every step, and RMSProp, "
        "which sees the same gradients, trains that layer."
    ),
    "B": (
        f"a larger learning rate does not rescue SGD: it stalled at every lr from "
        f"{SGD_LRS[0]:g} to {SGD_LRS[-1]:g}, and since its last layer already moves far more "
        "(relative to its size) than its first, a larger lr moves the last layer even more "
        "before the first one wakes up."
    ),
    "C": None,  # the right answer
    "D": (
        "RMSProp gets the very same gradients from backpropagation (at the first step they are "
        "identical: the left panel of the last plot); what differs is what it does with them: "
        "it divides each coordinate by its own running RMS."
    ),
}


def check_stall_explanation(why_sgd_stalls: Callable, *, quiet: bool = False) -> CheckResult:
    """Check the choice (A-D) that explains why SGD stalls on the deep sigmoid network."""
    name = fn_name(why_sgd_stalls)

    def checker() -> str:
        answer = run_student(
            why_sgd_stalls, name=name, loop_hint="It needs no loop: it only returns a letter."
        )
        letter = answer.strip().upper() if isinstance(answer, str) else None
        if letter not in STALL_CHOICES:
            raise Mistake(
                f"`{name}` returned {describe(answer)}: return one letter, "
                f"{', '.join(repr(c) for c in STALL_CHOICES)}."
            )
        if STALL_CHOICES[letter] is not None:
            raise Mistake(f"not {letter}: {STALL_CHOICES[letter]}")
        return (
            "one learning rate cannot suit layers whose relative gradients differ by orders of "
            "magnitude; RMSProp's per-coordinate division gives every layer steps of about lr."
        )

    return run_check(checker, quiet=quiet, fn=why_sgd_stalls)
