"""Checking a whole run: a function that returns every iterate ``x_0, ..., x_T`` as one array."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rmslab.checks._core import (
    NO_LOOP_HINT,
    Diagnosis,
    Mistake,
    as_array,
    call_pure,
    close,
    fn_name,
    name_mistake,
)


def _row_count_mistakes(raw: Any, expected: np.ndarray) -> None:
    """Name the two classic off-by-one errors: x_0 left out, or the loop one step short."""
    steps = expected.shape[0] - 1
    try:
        shape = np.shape(raw)
    except ValueError:  # a ragged list: as_array reports it
        return
    if raw is None or shape != (steps,) + expected.shape[1:]:
        return
    if close(raw, expected[1:]):
        raise Mistake(
            "the starting point is missing: return x0 followed by the `steps` new iterates, "
            f"{steps + 1} rows in all."
        )
    if close(raw, expected[:-1]):
        raise Mistake(f"you returned x0 and only {steps - 1} steps: the loop stops one step early.")


#: What an aliased run looks like to the student, and what to do about it.
ALIASED_ROWS = (
    "every row from row {first} on is the same point, the last one: you stored the array `x` "
    "and then changed it in place (`x -= ...` or `x[...] = ...`), so each stored row shows "
    "its final value. Store a copy, `xs.append(x.copy())`, or make a new array each step, "
    "`x = x - ...`."
)


def _aliased_rows(got: np.ndarray, expected: np.ndarray, message: str) -> None:
    """Name a run whose stored rows are all one array that kept changing (aliasing).

    Its signature: from row 0 or row 1 on, every row equals the last one, and the last one
    is right (or at least not the start), while the right rows differ from each other.
    """
    if len(got) < 3 or close(expected[-1], expected[-2]):
        return
    for first in (0, 1):
        if all(np.array_equal(row, got[-1]) for row in got[first:]) and close(
            got[-1], expected[-1]
        ):
            raise Mistake(message.format(first=first))


def check_trajectory(
    fn: Callable,
    inputs: dict[str, Any],
    expected: np.ndarray,
    diagnoses: Sequence[Diagnosis],
    near_miss: str | None = None,
    loop_hint: str = NO_LOOP_HINT,
    aliasing: str = ALIASED_ROWS,
    first_step: str = (
        "Does `{name}` call your step function with the gradient at the current point, and "
        "keep its result?"
    ),
) -> None:
    """Compare ``fn(*inputs.values())`` with the iterates ``expected`` (row t is x_t).

    Raises :class:`Mistake` naming an off-by-one error, rows that are one array changed in
    place (``aliasing``, with ``{first}`` the first such row), a catalogued mistake,
    ``near_miss`` if the run agrees to 1e-4 but not to full precision, a wrong first step
    (with the question ``first_step``), or else the first wrong row. ``loop_hint`` says what
    probably loops if the function runs out of time.
    """
    name = fn_name(fn)
    raw = call_pure(fn, inputs, loop_hint)
    _row_count_mistakes(raw, expected)
    got = as_array(raw, f"`{name}`'s result", expected.shape)
    _aliased_rows(got, expected, aliasing)
    if not close(got[0], expected[0]):
        raise Mistake(f"row 0 should be the starting point x0 = {expected[0]}, but it is {got[0]}.")
    if close(got, expected):
        return
    name_mistake(inputs, (got,), (expected,), ("xs",), diagnoses)
    if near_miss and close(got, expected, rtol=1e-4):
        error = float(np.max(np.abs(got - expected)))
        raise Mistake(f"your run agrees only to about {error:.1e}: {near_miss}")
    bad = next(t for t in range(len(got)) if not close(got[t], expected[t]))
    if bad == 1:
        raise Mistake(
            f"the first step is wrong: from x0 = {expected[0]} it should reach {expected[1]}, "
            f"but row 1 is {got[1]}. " + first_step.format(name=name)
        )
    raise Mistake(f"row {bad} should be {expected[bad]}, but it is {got[bad]}.")
