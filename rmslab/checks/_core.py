"""Shared machinery of the exercise checkers: safe calls, output validation, diagnosis, reports.

A checker is a function that returns a success message or raises :class:`Mistake` with a
message for the student; :func:`run_check` turns either into a printed :class:`CheckResult`.
Everything a student's function can do wrong (raise, return None, the wrong type or shape,
NaN, change its input in place) becomes a :class:`Mistake` here, so no checker ever raises.

Every call of a student's function goes through :func:`call`, which runs it under
:data:`TIME_LIMIT` (:func:`run_with_time_limit`), so a loop that never ends becomes a message
too, not a notebook that hangs.

Step functions (one optimizer step with its state passed in and returned) share one driver,
:func:`check_step`: it runs the student's function on a few cases and, when an answer is
wrong, compares it with the answers that known mistakes produce to say which mistake it is.
"""

from __future__ import annotations

import ctypes
import itertools
import signal
import sys
import sysconfig
import textwrap
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Relative tolerance for "the same answer": far above float64 rounding in a few operations,
#: far below the gap between a right answer and any catalogued mistake on the checkers' cases.
RTOL = 1e-8

#: Seconds of CPU time (user + system, every thread of the process) a student's function may
#: use in a check. Every right answer in the labs needs well under a second. CPU time, not
#: elapsed time: on a busy machine (an autograder running many notebooks at once) a right
#: answer takes longer to return but no more CPU, and must never be stopped as a loop.
TIME_LIMIT = 10.0

#: A function that waits instead of computing (``time.sleep``, ``input()``) uses no CPU time; it
#: is stopped after this many times :data:`TIME_LIMIT` of elapsed time.
WAIT_FACTOR = 6


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check: ``passed`` and the message shown to the student."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed


class Mistake(Exception):
    """Raised inside a checker to stop at the first problem found; carries the message."""


@dataclass(frozen=True)
class Diagnosis:
    """A known mistake: the message naming it and a function computing its (wrong) outputs.

    ``compute`` takes the same arguments as the student's function and returns what an
    implementation with this mistake would return (a tuple for multi-output functions).
    """

    message: str
    compute: Callable[..., Any]


def fn_name(fn: Callable) -> str:
    return getattr(fn, "__name__", "your function")


def describe(value: Any) -> str:
    """A short description of a value for messages: arrays by shape and dtype."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if value is None:
        return "None"
    if type(value).__module__.startswith("torch"):
        return f"a torch {type(value).__name__}"
    return f"{type(value).__name__} {value!r}"[:80]


def short(value: Any) -> str:
    """A value for a message: a number with 6 significant digits, or an array's first entry."""
    if isinstance(value, np.ndarray):
        return short(value.ravel()[0]) if value.size else "[]"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return repr(value)


def close(actual: Any, expected: Any, rtol: float = RTOL) -> bool:
    """True if ``actual`` equals ``expected`` to relative tolerance ``rtol`` (same shape).

    The absolute tolerance scales with the largest entry of ``expected``, so arrays of tiny
    numbers (squared gradients of size 1e-12) are compared as carefully as arrays of ones.
    Anything non-finite in ``expected`` never matches, nor does anything that is not numeric.
    """
    try:
        actual = np.asarray(actual, dtype=float)
        expected = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):  # not numbers at all: certainly not the same answer
        return False
    if actual.shape != expected.shape or not np.all(np.isfinite(expected)):
        return False
    scale = float(np.max(np.abs(expected), initial=0.0))
    with np.errstate(all="ignore"):
        return bool(np.allclose(actual, expected, rtol=rtol, atol=rtol * 1e-3 * scale))


class _OutOfTime(BaseException):
    """Raised inside a student's function whose time is up.

    A ``BaseException``, like ``KeyboardInterrupt``, so that a student's ``except Exception:``
    inside the loop cannot swallow it.
    """


_limits = threading.local()  # .active: this thread is already inside run_with_time_limit


def _alarm(signum, frame):
    raise _OutOfTime


def _limit_by_signal(fn: Callable, args: tuple, seconds: float) -> Any:
    """Main thread on Unix: a timer signal interrupts the function between two bytecodes.

    SIGPROF comes after ``seconds`` of the process's CPU time (``ITIMER_PROF``), SIGALRM after
    :data:`WAIT_FACTOR` times as long of elapsed time (``ITIMER_REAL``). Each repeats every half
    second until the function has stopped, in case its code catches one with a bare
    ``except:``. (A loop that catches *every* exception and goes on cannot be stopped from
    inside its thread; the kernel's interrupt button cannot stop it either.) The previous
    handlers are restored.
    """
    previous = {sig: signal.signal(sig, _alarm) for sig in (signal.SIGPROF, signal.SIGALRM)}
    try:
        try:
            signal.setitimer(signal.ITIMER_PROF, seconds, 0.5)
            signal.setitimer(signal.ITIMER_REAL, seconds * WAIT_FACTOR, 0.5)
            return fn(*args)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    except _OutOfTime:  # also if it came between the return and the disarming
        raise TimeoutError(seconds) from None


def _limit_by_thread(fn: Callable, args: tuple, seconds: float) -> Any:
    """Anywhere else (a worker thread, Windows): run ``fn`` in a daemon thread and watch it.

    When it has used ``seconds`` of the process's CPU time (or waited :data:`WAIT_FACTOR` times
    as long), :class:`_OutOfTime` is raised inside that thread (CPython's
    ``PyThreadState_SetAsyncExc``), which stops any loop of Python code. A function stuck
    inside one long C call, or one that catches every exception inside its loop, cannot be
    stopped: the check gives up on it after a second and says so (``TimeoutError`` with a
    second argument ``"still running"``); the thread is a daemon, so it never keeps the
    interpreter from exiting.
    """
    box: dict[str, Any] = {}

    def target():
        _limits.active = True
        try:
            box["value"] = fn(*args)
        except _OutOfTime:
            pass
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    cpu_end = time.process_time() + seconds
    wall_end = time.monotonic() + seconds * WAIT_FACTOR
    worker = threading.Thread(target=target, name="rmslab-check", daemon=True)
    worker.start()
    while worker.is_alive() and time.process_time() < cpu_end and time.monotonic() < wall_end:
        worker.join(0.02)
    for _ in range(10):  # again and again, in case the function catches it
        if not worker.is_alive():
            break
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(worker.ident), ctypes.py_object(_OutOfTime)
        )
        worker.join(0.1)
    if worker.is_alive():
        raise TimeoutError(seconds, "still running")
    if "error" in box:
        raise box["error"]
    if "value" not in box:
        raise TimeoutError(seconds)
    return box["value"]


def run_with_time_limit(fn: Callable, args: tuple = (), seconds: float | None = None) -> Any:
    """Return ``fn(*args)``, or raise ``TimeoutError`` once it has used ``seconds`` of CPU time
    (or waited :data:`WAIT_FACTOR` times as long) without returning.

    ``seconds`` defaults to :data:`TIME_LIMIT`. In the main thread on Unix (a Jupyter kernel,
    a pytest or pytest-xdist worker) timer signals interrupt the function, unless another
    timer is already set (pytest-timeout, say): then, and in any other thread, the function
    runs in a worker thread that is stopped when time is up. A call made while another one
    is running under a limit (a student's function calling a checker) runs under the outer
    limit. Exceptions raised by ``fn`` reach the caller unchanged.
    """
    seconds = TIME_LIMIT if seconds is None else float(seconds)
    if not seconds > 0:
        raise ValueError(f"seconds must be a positive number of seconds, got {seconds!r}")
    if getattr(_limits, "active", False):
        return fn(*args)
    use_signal = (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
        and signal.getitimer(signal.ITIMER_PROF)[0] == 0
    )
    _limits.active = True
    try:
        if use_signal:
            return _limit_by_signal(fn, args, seconds)
        return _limit_by_thread(fn, args, seconds)
    finally:
        _limits.active = False


RMSLAB_DIR = str(Path(__file__).resolve().parents[1])
#: Where library code lives (Python's, the installed packages', rmslab's): a
#: ``NotImplementedError`` raised there is not a stub of the student's.
LIBRARY_DIRS = tuple(
    {*(sysconfig.get_paths()[key] for key in ("stdlib", "purelib", "platlib")), RMSLAB_DIR}
)


def not_implemented(name: str, exc: NotImplementedError) -> Mistake:
    """The message for a ``NotImplementedError`` out of the student's ``name``: its own stub,
    the stub of an earlier exercise it calls (then that one is named, not ``name``), or a
    library's refusal (then it is quoted like any other error)."""
    frame = innermost_frame(exc)
    if frame is not None and frame.f_code.co_filename.startswith(LIBRARY_DIRS):
        return Mistake(
            f"`{name}` raised NotImplementedError: {exc}. Read the error, fix the function, "
            "and run both cells again."
        )
    inner = "" if frame is None else function_name(frame)
    if inner.isidentifier() and inner != name:
        return Mistake(
            f"`{name}` calls `{inner}`, which is not implemented yet: finish that exercise "
            "first (until its check passes), then run this check again."
        )
    return Mistake(
        f"`{name}` is not implemented yet: replace the `raise NotImplementedError` line "
        "with your code, run that cell, then run this check again."
    )


def innermost_frame(exc: BaseException):
    """The frame in which ``exc`` was raised (the last of its traceback), or None."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return None if tb is None else tb.tb_frame


def function_name(frame) -> str:
    """The name of the function a frame runs; for a constructor, the name of its class."""
    if frame.f_code.co_name == "__init__" and "self" in frame.f_locals:
        return type(frame.f_locals["self"]).__name__
    return frame.f_code.co_name


#: What :func:`call` suggests when a function without a loop of its own runs out of time.
NO_LOOP_HINT = "This function needs no loop: look for a `while` loop whose condition never changes."


def call(fn: Callable, *args: Any, loop_hint: str = NO_LOOP_HINT) -> Any:
    """Call the student's function under the time limit; turn any exception into a Mistake.

    ``loop_hint`` says what probably loops forever if the function runs out of time, e.g.
    "Does the loop carry `v` forward?". Numpy floating-point warnings are silenced: a
    diverging student answer is judged by its value, not by a warning printed in the middle
    of the feedback.
    """
    name = fn_name(fn)

    def quietly():
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(*args)

    try:
        return run_with_time_limit(quietly)
    except TimeoutError as timeout:
        stopped = (
            "the check gave up on it, but it is still running in the background (restart "
            "the kernel if the notebook slows down)"
            if "still running" in timeout.args
            else "so the check stopped it"
        )
        raise Mistake(
            f"`{name}` did not return within {timeout.args[0]:g} s, {stopped}: it probably "
            f"loops forever. {loop_hint}"
        ) from None
    except NotImplementedError as exc:
        raise not_implemented(name, exc) from None
    except Exception as exc:  # the student's code may raise anything; report it plainly
        raise Mistake(
            f"`{name}` raised {type(exc).__name__}: {exc}. Read the error, fix the function, "
            "and run both cells again."
        ) from None


def call_pure(fn: Callable, inputs: dict[str, Any], loop_hint: str = NO_LOOP_HINT) -> Any:
    """Call ``fn`` with ``inputs`` (in order) and check that it changed none of its arrays."""
    before = {k: v.copy() for k, v in inputs.items() if isinstance(v, np.ndarray)}
    result = call(fn, *inputs.values(), loop_hint=loop_hint)
    for key, copy in before.items():
        if not np.array_equal(inputs[key], copy, equal_nan=True):
            raise Mistake(
                f"`{fn_name(fn)}` changed its input `{key}` in place (for example with "
                f"`{key} -= ...`, `{key} += ...` or `{key}[...] = ...`). Compute a new array "
                f"instead, such as `{key}_new = ...`: the caller still needs the old `{key}`."
            )
    return result


def as_array(value: Any, name: str, expected_shape: tuple[int, ...]) -> np.ndarray:
    """Check that a returned value is a finite float array of the expected shape.

    ``name`` is how the value is called in messages, e.g. "`gd_step`" or "`v_new`".
    """
    if value is None:
        raise Mistake(f"{name} is None. Did you forget the `return` statement?")
    if type(value).__module__.startswith("torch"):
        raise Mistake(
            f"{name} is {describe(value)}, but the answer is a numpy array: convert it with "
            "`.detach().numpy()` (after a `.clone()` if torch will change it later)."
        )
    if not isinstance(value, (np.ndarray, float, int, np.floating, np.integer)):
        raise Mistake(f"{name} should be a numpy array, but it is {describe(value)}.")
    array = np.asarray(value, dtype=float)
    if array.shape != expected_shape:
        raise Mistake(
            f"{name} has shape {array.shape}, but the answer has shape {expected_shape}. "
            "Work elementwise on whole arrays (no sums or means over an axis, no indexing)."
        )
    if not np.all(np.isfinite(array)):
        raise Mistake(
            f"{name} contains NaN (not a number) or infinity: {array.ravel()[:3]} ... "
            "This usually comes from a division by zero or the root of a negative number."
        )
    return array


def as_number(value: Any, name: str) -> float:
    """Check that a returned value is one finite real number (a bool or a string is not)."""
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise Mistake(f"`{name}` should return one number, but it returned {describe(value)}.")
    if value is None:
        raise Mistake(f"`{name}` returned None. Did you forget the `return` statement?")
    try:
        number = float(np.asarray(value).item())
    except (TypeError, ValueError):
        raise Mistake(
            f"`{name}` should return one number, but it returned {describe(value)}."
        ) from None
    if not np.isfinite(number):
        raise Mistake(f"`{name}` returned {number}; the answer is a finite number.")
    return number


def judge_number(
    guess: float,
    answer: float,
    wrong: Sequence[tuple[float, str]],
    *,
    rtol: float,
    hint: str,
    match_rtol: float = 0.02,
) -> None:
    """Raise a :class:`Mistake` unless ``guess`` is within ``rtol`` of ``answer``.

    ``wrong`` lists the answers that known mistakes give, each with its explanation; a guess
    within ``match_rtol`` of one of them gets that explanation (unless that answer is itself
    right here), any other wrong guess gets ``hint``.
    """
    for value, message in wrong:
        if np.isclose(guess, value, rtol=match_rtol) and not np.isclose(value, answer, rtol=rtol):
            raise Mistake(f"you answered {guess:.4g}: {message}")
    if not np.isclose(guess, answer, rtol=rtol):
        direction = "too large" if guess > answer else "too small"
        raise Mistake(f"{guess:.4g} is {direction}. {hint}")


def as_outputs(result: Any, name: str, outputs: Sequence[str], shape: tuple[int, ...]):
    """Split a step function's result into arrays named ``outputs``, each of ``shape``."""
    if len(outputs) == 1:
        return (as_array(result, f"`{name}`'s result", shape),)
    listing = ", ".join(outputs)
    if not isinstance(result, (tuple, list)):
        raise Mistake(
            f"`{name}` should return {len(outputs)} values, `{listing}`, but it returned "
            f"{describe(result)}. End the function with `return {listing}`: the new state "
            "must go back to the caller, who passes it into the next step."
        )
    if len(result) != len(outputs):
        raise Mistake(
            f"`{name}` returned {len(result)} values, but it should return {len(outputs)}: "
            f"`return {listing}`."
        )
    return tuple(
        as_array(r, f"`{o}` (returned by `{name}`)", shape)
        for r, o in zip(result, outputs, strict=True)
    )


def _inputs_text(inputs: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {short(v)}" for k, v in inputs.items() if not callable(v))


def old_name(output: str) -> str:
    """``"b_new"`` -> ``"b"``: the input that an output updates."""
    return output.removesuffix("_new")


def _wrong_order(got: tuple, expected: tuple, outputs: Sequence[str]) -> None:
    """Raise a :class:`Mistake` if ``got`` holds the right values in another order."""
    if len(got) < 2:
        return
    for order in itertools.permutations(range(len(got))):
        if order == tuple(range(len(got))):
            continue
        moved = [i for i in order if order[i] != i]
        if any(close(expected[i], expected[order[i]]) for i in moved):
            continue  # two equal outputs: swapping them is no mistake
        if all(close(got[i], expected[order[i]]) for i in range(len(got))):
            returned = ", ".join(outputs[order[i]] for i in range(len(got)))
            raise Mistake(
                f"the values are right but in the wrong order: you returned `{returned}`; "
                f"return `{', '.join(outputs)}`."
            )


def name_mistake(
    inputs: dict[str, Any],
    got: tuple,
    expected: tuple,
    outputs: Sequence[str],
    diagnoses: Sequence[Diagnosis],
) -> None:
    """Raise a :class:`Mistake` if the wrong answer ``got`` is one that a known mistake gives.

    A diagnosis applies when its outputs differ from the right ones on these inputs and the
    student's outputs reproduce them. Right values in the wrong order (any order) are
    recognised too, and so is a new state returned unchanged: an output ``b_new`` equal to the
    input ``b`` it should have updated.
    """
    _wrong_order(got, expected, outputs)
    for index, output in enumerate(outputs):
        old = inputs.get(old_name(output))
        if (
            output.endswith("_new")
            and isinstance(old, np.ndarray)
            and close(got[index], old)
            and not close(expected[index], old)
        ):
            raise Mistake(
                f"`{output}` is the `{old_name(output)}` you were given, unchanged: the new "
                f"value is computed but not returned (or stored under another name). "
                f"Return the updated one: `return {', '.join(outputs)}`."
            )
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for diagnosis in diagnoses:
            wrong = diagnosis.compute(*inputs.values())
            wrong = wrong if isinstance(wrong, tuple) else (wrong,)
            differs = any(not close(w, e) for w, e in zip(wrong, expected, strict=True))
            if differs and all(close(a, w) for a, w in zip(got, wrong, strict=True)):
                raise Mistake(diagnosis.message)


def diagnose(
    name: str,
    inputs: dict[str, Any],
    got: tuple,
    expected: tuple,
    outputs: Sequence[str],
    diagnoses: Sequence[Diagnosis],
) -> None:
    """Raise a :class:`Mistake` unless ``got`` equals ``expected``; name the mistake if known.

    An unknown mistake gets a message showing the first coordinate of the first wrong output
    next to its right value.
    """
    if all(close(a, b) for a, b in zip(got, expected, strict=True)):
        return
    name_mistake(inputs, got, expected, outputs, diagnoses)
    bad = [i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if not close(a, b)]
    first = bad[0]
    right = [outputs[i] for i in range(len(outputs)) if i not in bad]
    also = f" (`{'`, `'.join(right)}` {'is' if len(right) == 1 else 'are'} right)" if right else ""
    raise Mistake(
        f"`{outputs[first]}` is wrong{also}. Take the first coordinate of this test: "
        f"{_inputs_text(inputs)}. The right `{outputs[first]}` is {short(expected[first])}, "
        f"but `{name}` returned {short(got[first])}. Compare your code with the update rule "
        "line by line."
    )


def check_step(
    fn: Callable,
    cases: Sequence[dict[str, Any]],
    outputs: Sequence[str],
    reference: Callable[..., tuple],
    diagnoses: Sequence[Diagnosis],
    loop_hint: str = NO_LOOP_HINT,
) -> None:
    """Run ``fn`` on each case (a dict of inputs, in the function's argument order).

    ``reference`` computes the right outputs from the same inputs, independently of the
    student. The first case that goes wrong raises a :class:`Mistake` naming the mistake.
    """
    name = fn_name(fn)
    for inputs in cases:
        shape = np.shape(next(iter(inputs.values())))
        got = as_outputs(call_pure(fn, inputs, loop_hint), name, outputs, shape)
        expected = reference(*inputs.values())
        expected = expected if isinstance(expected, tuple) else (expected,)
        diagnose(name, inputs, got, expected, outputs, diagnoses)


#: The functions whose last check passed, by id (see :func:`passed`).
_PASSED: dict[int, Callable] = {}


def passed(fn: Any) -> bool:
    """True if the last check that ran ``fn`` (this very function object) passed."""
    return _PASSED.get(id(fn)) is fn


def run_check(
    checker: Callable[[], str], *, quiet: bool = False, fn: Callable | None = None
) -> CheckResult:
    """Run ``checker`` (which returns a success message or raises Mistake) and report it.

    The printed message is wrapped at 76 characters so that it reads well in a notebook and
    on a book page; ``CheckResult.message`` keeps it on one line. A success goes to stdout; a
    failure goes to stderr, which Jupyter shows on a red background and nbgrader counts as a
    failed test (so `nbgrader validate` flags an unfinished or wrong exercise), without
    stopping the notebook. ``fn``, the student's function, is remembered as passed or not
    (:func:`passed`).
    """
    try:
        result = CheckResult(True, "Correct! " + checker())
    except Mistake as mistake:
        result = CheckResult(False, "Not yet: " + str(mistake))
    if fn is not None:
        if result.passed:
            _PASSED[id(fn)] = fn
        else:
            _PASSED.pop(id(fn), None)
    if not quiet:
        stream = sys.stdout if result.passed else sys.stderr
        print(textwrap.fill(result.message, width=76, break_on_hyphens=False), file=stream)
    return result
