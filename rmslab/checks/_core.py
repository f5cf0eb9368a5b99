"""Shared machinery of the exercise checkers: safe calls, output validation, reporting."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check: ``passed`` and the message shown to the student."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed


class Mistake(Exception):
    """Raised inside a checker to stop at the first problem found; carries the message."""


def fn_name(fn: Callable) -> str:
    return getattr(fn, "__name__", "your function")


def describe(value: Any) -> str:
    """A short description of a value for messages: arrays by shape and dtype."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if value is None:
        return "None"
    return f"{type(value).__name__} {value!r}"[:80]


def call(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call the student's function; turn any exception into a :class:`Mistake`.

    Arrays are passed as copies so a checker can compare them with the originals afterwards.
    Numpy floating-point warnings are silenced: a diverging student answer is judged by its
    value, not by a warning printed in the middle of the feedback.
    """
    name = fn_name(fn)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(*args, **kwargs)
    except NotImplementedError:
        raise Mistake(
            f"`{name}` is not implemented yet: replace the `raise NotImplementedError` line "
            "with your code, run that cell, then run this check again."
        ) from None
    except Exception as exc:  # the student's code may raise anything; report it plainly
        raise Mistake(
            f"`{name}` raised {type(exc).__name__}: {exc}. Read the error, fix the function, "
            "and run both cells again."
        ) from None


def as_array(value: Any, name: str, expected_shape: tuple[int, ...]) -> np.ndarray:
    """Check that a returned value is a finite float array of the expected shape."""
    if value is None:
        raise Mistake(f"`{name}` returned None. Did you forget the `return` statement?")
    if not isinstance(value, (np.ndarray, float, int, np.floating, np.integer)):
        raise Mistake(f"`{name}` should return a numpy array, but it returned {describe(value)}.")
    array = np.asarray(value, dtype=float)
    if array.shape != expected_shape:
        raise Mistake(
            f"`{name}` returned an array of shape {array.shape}, but the answer has shape "
            f"{expected_shape}. Check which axis your operations act on."
        )
    if not np.all(np.isfinite(array)):
        raise Mistake(f"`{name}` returned NaN or inf values: {array.ravel()[:4]} ...")
    return array


def as_number(value: Any, name: str) -> float:
    """Check that a returned value is one finite real number."""
    if value is None:
        raise Mistake(f"`{name}` returned None. Did you forget the `return` statement?")
    try:
        number = float(np.asarray(value).item())
    except (TypeError, ValueError):
        raise Mistake(f"`{name}` should return one number, but it returned {describe(value)}.")
    if not np.isfinite(number):
        raise Mistake(f"`{name}` returned {number}; the answer is a finite number.")
    return number


def run_check(checker: Callable[[], str], *, quiet: bool = False) -> CheckResult:
    """Run ``checker`` (which returns a success message or raises Mistake) and report it."""
    try:
        result = CheckResult(True, "Correct! " + checker())
    except Mistake as mistake:
        result = CheckResult(False, "Not yet: " + str(mistake))
    if not quiet:
        print(result.message)
    return result
