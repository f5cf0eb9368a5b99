"""The labs' hidden tests: grade the student's function with a fresh copy of rmslab.

Every graded cell of a lab ends with a hidden test (nbgrader's ``### BEGIN HIDDEN TESTS``)
that first drops every ``rmslab`` module from ``sys.modules`` (:data:`FRESH`), then imports
this module again and calls :func:`grade`. The checkers it runs are therefore the ones on
disk, imported after every student cell: a notebook that replaced ``checks.check_...`` (or
anything else in ``rmslab``) cannot change the grade. :func:`grade` runs the checker on the
student's function, which computes each expected value from rmslab's references, and, for a
function that takes one optimizer step, also compares it with the reference on one more case
that the visible check does not use, so that an answer fitted to the check's cases fails.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmslab import checks
from rmslab.checks import _core, reference

#: The first lines of every hidden test: forget the imported rmslab, whatever it now holds.
FRESH = (
    "# graded by a fresh copy of rmslab, whatever the notebook changed in it\n"
    "import sys  # noqa: E402\n"
    "\n"
    'for _module in [m for m in sys.modules if m.split(".")[0] == "rmslab"]:\n'
    "    del sys.modules[_module]\n"
    "from rmslab.checks import grading  # noqa: E402\n"
)


def _case(shapes: dict[str, str], scalars: dict[str, float], seed: int) -> dict:
    """Inputs for one extra case: arrays drawn by kind ("normal", "positive", "zero")."""
    rng = np.random.default_rng(seed)
    draw = {
        "normal": lambda: rng.normal(size=(3, 2)),
        "positive": lambda: rng.uniform(0.1, 2.0, size=(3, 2)),
        "zero": lambda: np.zeros((3, 2)),
    }
    return {**{k: draw[kind]() for k, kind in shapes.items()}, **scalars}


#: Check name -> (outputs, reference, one extra case the visible check does not use).
EXTRA_CASES: dict[str, tuple[tuple[str, ...], Callable, dict]] = {
    "check_gd_step": (
        ("x_new",),
        reference.gd_step,
        _case({"x": "normal", "g": "normal"}, {"lr": 0.07}, 1),
    ),
    "check_momentum_step": (
        ("x_new", "b_new"),
        reference.momentum_step,
        _case({"x": "normal", "g": "normal", "b": "normal"}, {"lr": 0.02, "mu": 0.6}, 2),
    ),
    "check_adagrad_step": (
        ("x_new", "s_new"),
        reference.adagrad_step,
        _case({"x": "normal", "g": "normal", "s": "positive"}, {"lr": 0.3, "eps": 0.01}, 3),
    ),
    "check_rmsprop_step": (
        ("x_new", "v_new"),
        reference.rmsprop_step,
        _case(
            {"x": "normal", "g": "normal", "v": "positive"},
            {"lr": 0.03, "beta": 0.8, "eps": 0.02},
            4,
        ),
    ),
    "check_ema": (
        ("new_average",),
        reference.ema,
        _case({"average": "normal", "value": "normal"}, {"beta": 0.6}, 5),
    ),
    "check_bias_correct": (
        ("corrected",),
        reference.bias_correct,
        _case({"average": "normal"}, {"beta": 0.95, "t": 4}, 6),
    ),
    "check_adam_step": (
        ("x_new", "m_new", "v_new"),
        reference.adam_step,
        _case(
            {"x": "normal", "g": "normal", "m": "normal", "v": "positive"},
            {"t": 3, "lr": 0.05, "beta1": 0.7, "beta2": 0.9, "eps": 0.01},
            7,
        ),
    ),
}


def grade(check: str, student_fn: Callable) -> None:
    """Raise ``AssertionError`` (with the checker's message) unless ``student_fn`` is right.

    ``check`` names the checker in :mod:`rmslab.checks`, e.g. ``"check_rmsprop_step"``.
    """
    if not check.startswith("check_") or not callable(getattr(checks, check, None)):
        raise ValueError(f"check must name a checker in rmslab.checks, got {check!r}")
    result = getattr(checks, check)(student_fn, quiet=True)
    assert result.passed, result.message
    if check in EXTRA_CASES:
        outputs, right, case = EXTRA_CASES[check]
        try:
            _core.check_step(student_fn, [case], outputs, right, [])
        except _core.Mistake as mistake:
            raise AssertionError(f"a case the visible check does not use: {mistake}") from None
