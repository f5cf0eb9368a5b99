"""Calling the student's code in Lab 6's checks: one function, :func:`run_student`, under the
checks' time limit, that turns whatever the code does wrong into a :class:`Mistake`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rmslab.checks._core import Mistake, run_with_time_limit


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
        inner = _innermost_function(exc)
        if inner != name:
            raise Mistake(
                f"`{name}` calls `{inner}`, which is not implemented yet: finish that exercise "
                "first (until its check passes), then run this check again."
            ) from None
        raise Mistake(
            f"`{name}` is not implemented yet: replace the `raise NotImplementedError` line "
            "with your code, run that cell, then run this check again."
        ) from None
    except Mistake:
        raise
    except Exception as exc:  # the student's code may raise anything
        raise (explain or (lambda error: raised(name, error)))(exc) from None


def _innermost_function(exc: BaseException) -> str:
    """Name of the function in which ``exc`` was raised (the last frame of its traceback); for
    a constructor, the name of its class."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return ""
    frame = tb.tb_frame
    if frame.f_code.co_name == "__init__" and "self" in frame.f_locals:
        return type(frame.f_locals["self"]).__name__
    return frame.f_code.co_name


def an_instance(value: Any) -> str:
    """``None``, or "an instance of `Name`": what a constructor or factory gave back."""
    return "None" if value is None else f"an instance of `{type(value).__name__}`"
