"""Calling the student's code in Lab 6's checks: one function, :func:`run_student`, under the
checks' time limit, that turns whatever the code does wrong into a :class:`Mistake`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rmslab.checks._core import Mistake, not_implemented, run_with_time_limit


def raised(name: str, exc: Exception) -> Mistake:
    """The message for an exception no check knows better: its type and text, and what to do."""
    return Mistake(
        f"`{name}` raised {type(exc).__name__}: {exc}. Read the error, fix the code, and run "
        "both cells again."
    )


def run_student(
    fn: Callable,
    *args: Any,
    name: str,
    loop_hint: str,
    explain: Callable[[Exception], Mistake] | None = None,
):
    """``fn(*args)`` under the checks' time limit (``rmslab.checks._core.TIME_LIMIT``); every
    call of the student's code in Lab 6's checks goes through here.

    A timeout or a ``NotImplementedError`` (in ``fn`` or in an unfinished exercise it calls)
    becomes a :class:`Mistake`; so does any other exception, through ``explain`` (by default
    :func:`raised`, which quotes it), which names the exceptions a check knows.
    """
    try:
        with np.errstate(all="ignore"):
            return run_with_time_limit(fn, args)
    except TimeoutError as timeout:
        raise Mistake(
            f"`{name}` did not return within {timeout.args[0]:g} s, so the check stopped it: "
            f"it probably loops forever. {loop_hint}"
        ) from None
    except NotImplementedError as exc:
        raise not_implemented(name, exc) from None
    except Mistake:
        raise
    except Exception as exc:  # the student's code may raise anything
        raise (explain or (lambda error: raised(name, error)))(exc) from None


def an_instance(value: Any) -> str:
    """``None``, or "an instance of `Name`": what a constructor or factory gave back."""
    return "None" if value is None else f"an instance of `{type(value).__name__}`"
