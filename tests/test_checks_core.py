"""Every checker, whatever the student's function does, reports and never raises."""

import logging
import re
import signal
import sys
import threading
import time

import numpy as np
import pytest
from mistake_catalog import ROOT, student_names

from rmslab import checks
from rmslab.checks import _core, grading, reference
from rmslab.checks._core import close

CHECKERS = [name for name in checks.__all__ if name.startswith("check_")]


def test_the_tests_below_cover_every_checker_the_labs_call():
    """An empty or short CHECKERS would leave the parametrized tests below with nothing to run."""
    labs = "".join(path.read_text() for path in (ROOT / "labs").glob("*.ipynb"))
    mentioned = set(re.findall(r"checks\.(check_\w+)", labs))
    assert mentioned, "the labs call no checker"
    assert set(student_names()) == mentioned, "a checker call the catalogs cannot read"
    assert mentioned <= set(CHECKERS), sorted(mentioned - set(CHECKERS))


def stub(*args):
    raise NotImplementedError()


def crashes(*args):
    return 1 / 0


def returns_nothing(*args):
    pass


def returns_an_object(*args):
    return object()


@pytest.mark.parametrize("check", CHECKERS)
def test_an_unfinished_exercise_reports_not_implemented(check, capsys):
    result = getattr(checks, check)(stub)
    assert not result.passed and not bool(result)
    printed = capsys.readouterr()
    assert "not implemented yet" in printed.err and printed.out == ""


def uses_an_unfinished_exercise(*args):
    return stub(*args)


@pytest.mark.parametrize("check", CHECKERS)
def test_an_answer_that_calls_an_unfinished_exercise_is_told_which(check):
    """A finished answer that calls an earlier exercise's stub is not "not implemented yet"
    itself: the message names the stub (Lab 1's `gd_run` calls `gd_step`)."""
    result = getattr(checks, check)(uses_an_unfinished_exercise, quiet=True)
    assert not result.passed
    assert result.message.startswith(
        "Not yet: `uses_an_unfinished_exercise` calls `stub`, which is not implemented yet"
    ), result.message


def meets_a_library_refusal(*args):
    logging.Handler().emit(None)  # the standard library's "subclasses must implement this"


@pytest.mark.parametrize("check", CHECKERS)
def test_a_library_not_implemented_error_is_quoted_not_called_a_stub(check):
    result = getattr(checks, check)(meets_a_library_refusal, quiet=True)
    assert not result.passed
    assert result.message.startswith(
        "Not yet: `meets_a_library_refusal` raised NotImplementedError: emit must be implemented"
    ), result.message


@pytest.mark.parametrize("check", CHECKERS)
def test_a_crash_is_reported_in_plain_words(check):
    result = getattr(checks, check)(crashes, quiet=True)
    assert not result.passed and "raised ZeroDivisionError: division by zero" in result.message


@pytest.mark.parametrize("check", CHECKERS)
@pytest.mark.parametrize("fn", [returns_nothing, returns_an_object])
def test_a_strange_return_value_is_reported(check, fn):
    result = getattr(checks, check)(fn, quiet=True)
    assert not result.passed and result.message.startswith("Not yet: ")


def test_close_compares_tiny_numbers_relatively():
    assert close(np.array([1e-12, 2e-12]), np.array([1e-12, 2e-12]) * (1 + 1e-12))
    assert not close(np.array([1e-12, 2e-12]), np.array([1e-12, 2.1e-12]))
    assert not close(np.ones(2), np.ones(3))
    assert not close(np.ones(2), np.array([1.0, np.nan]))


@pytest.mark.parametrize("check", CHECKERS)
def test_text_in_place_of_numbers_is_reported(check):
    """Even a result of the right shape made of strings gets a message, not a crash."""
    result = getattr(checks, check)(lambda *args: [["a", "b"]] * 8, quiet=True)
    assert not result.passed and result.message.startswith("Not yet: ")


# ---------------------------------------------------------------- the time limit

# What each checker's message suggests when the student's function runs out of time: a loop
# that does not end, or (for functions that need no loop) a `while` loop to look for.
LOOP_HINTS = {
    "check_gd_run": "`for _ in range(steps)`",
    "check_largest_stable_lr": "fixed number of halvings",
    "check_measured_rate": "`for _ in range(steps)`",
    "check_momentum_run": "`for _ in range(steps)`",
    "check_momentum_rate": "`for _ in range(steps)`",
    "check_rare_feature_boost": "carry `s` forward",
    "check_steps_to_settle": "carry `x` and `v` forward",
    "check_eps_placement_ratio": "carry `v` forward",
    "check_torch_rmsprop": "exactly `steps` times",
    "check_early_steps": "stop after 50 steps",
    "check_tracking": "stop after 2000 steps",
}


def busy_for(seconds):
    """A student's function that loops for ``seconds`` (then returns None), whatever it gets.

    Bounded, so that without a time limit the check ends with a wrong message and the test
    fails instead of hanging.
    """

    def looping(*args):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass
        looping.finished = True

    looping.finished = False
    return looping


def forever(*args):
    while True:
        pass


def forever_catching_exceptions(*args):
    while True:
        try:
            while True:
                pass
        except Exception:  # a student's catch-all cannot keep the check from ending
            pass


def catching_everything_for(seconds):
    """Catches even the check's own interrupt; loops for ``seconds`` so the test can end."""

    def stubborn(*args):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                while time.monotonic() < end:
                    pass
            except BaseException:
                pass

    return stubborn


@pytest.fixture
def short_limit(monkeypatch):
    monkeypatch.setattr(_core, "TIME_LIMIT", 0.2)


@pytest.mark.parametrize("check", CHECKERS)
def test_every_check_stops_a_function_that_loops_and_says_so(check, short_limit):
    looping = busy_for(3.0)
    result = getattr(checks, check)(looping, quiet=True)
    assert not result.passed
    assert "did not return within 0.2 s" in result.message, result.message
    assert LOOP_HINTS.get(check, "needs no loop") in result.message, result.message
    assert not looping.finished, "the loop ran to its end: nothing stopped it"


def test_every_hint_belongs_to_a_checker():
    assert set(LOOP_HINTS) <= set(CHECKERS)


@pytest.mark.parametrize("fn", [forever, forever_catching_exceptions])
def test_a_truly_infinite_loop_is_stopped_in_the_main_thread(fn, short_limit):
    result = checks.check_steps_to_settle(fn, quiet=True)
    assert "did not return within 0.2 s" in result.message
    for sig, timer in ((signal.SIGALRM, signal.ITIMER_REAL), (signal.SIGPROF, signal.ITIMER_PROF)):
        assert signal.getsignal(sig) is signal.SIG_DFL  # the handlers are put back
        assert signal.getitimer(timer) == (0.0, 0.0)


def run_in(thread: str, fn, wait: float) -> None:
    """Call ``fn()`` here (``"main"``) or in a new thread (``"other"``), waiting ``wait`` s."""
    if thread == "main":
        fn()
    else:
        caller = threading.Thread(target=fn, daemon=True)
        caller.start()
        caller.join(wait)


@pytest.mark.parametrize("fn", [forever, forever_catching_exceptions])
def test_a_truly_infinite_loop_is_stopped_outside_the_main_thread(fn, short_limit):
    """A kernel may run cells in another thread (Jupyter subshells): no signal there."""
    box = {}
    run_in("other", lambda: box.update(result=checks.check_eps_placement_ratio(fn, quiet=True)), 20)
    assert "result" in box, "the check did not return"
    assert "did not return within 0.2 s" in box["result"].message
    deadline = time.monotonic() + 5
    while any(t.name == "rmslab-check" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the looping function is still running"
        time.sleep(0.05)


@pytest.mark.parametrize(
    "sig, timer", [(signal.SIGALRM, signal.ITIMER_REAL), (signal.SIGPROF, signal.ITIMER_PROF)]
)
def test_a_timer_someone_else_set_is_left_alone(sig, timer, short_limit):
    """pytest-timeout (signal method), a sampling profiler and the like keep their timer; the
    check uses a thread."""
    fired = []
    previous = signal.signal(sig, lambda *args: fired.append(True))
    signal.setitimer(timer, 30.0)
    try:
        result = checks.check_steps_to_settle(forever, quiet=True)
        remaining, _ = signal.getitimer(timer)
    finally:
        signal.setitimer(timer, 0)
        signal.signal(sig, previous)
    assert "did not return within 0.2 s" in result.message
    assert 25 < remaining <= 30 and not fired


def sleepy(seconds):
    """A right answer on a busy machine: it takes ``seconds`` to return but almost no CPU."""

    def answer(*args):
        time.sleep(seconds)
        return 42

    return answer


# "main": the signal timers; "other": the watched worker thread.
@pytest.mark.parametrize("thread", ["main", "other"])
def test_the_limit_counts_cpu_time_so_a_busy_machine_stops_no_right_answer(thread):
    """The cause of a real failure: autograding under load stopped right answers after 10 s of
    waiting for the CPU. 0.6 s of waiting against a 0.2 s limit: still returned."""
    box = {}

    def run():
        box["value"] = _core.run_with_time_limit(sleepy(0.6), seconds=0.2)

    run_in(thread, run, 10)
    assert box.get("value") == 42


@pytest.mark.parametrize("thread", ["main", "other"])
def test_a_function_that_only_waits_is_stopped_after_wait_factor_times_the_limit(thread):
    box = {}

    def run():
        start = time.monotonic()
        try:
            _core.run_with_time_limit(sleepy(60), seconds=0.2)
        except TimeoutError:
            box["stopped after"] = time.monotonic() - start

    run_in(thread, run, 20)
    wait = 0.2 * _core.WAIT_FACTOR
    assert wait <= box.get("stopped after", -1) < wait + 5, box


def test_a_function_that_returns_in_time_is_not_disturbed():
    assert _core.run_with_time_limit(lambda a, b: a + b, (2, 3), seconds=5) == 5
    with pytest.raises(KeyError):
        _core.run_with_time_limit({}.__getitem__, ("x",), seconds=5)


@pytest.mark.parametrize("seconds", [0, -1.0, float("nan")])
def test_a_time_limit_that_is_not_positive_is_refused(seconds):
    with pytest.raises(ValueError, match="seconds must be a positive number"):
        _core.run_with_time_limit(print, seconds=seconds)


def test_a_loop_that_catches_everything_is_given_up_on_and_the_student_is_told(short_limit):
    box = {}
    caller = threading.Thread(
        target=lambda: box.update(
            result=checks.check_steps_to_settle(catching_everything_for(4.0), quiet=True)
        ),
        daemon=True,
    )
    caller.start()
    caller.join(20)
    assert "still running in the background (restart the kernel" in box["result"].message


# ---------------------------------------------------------------- where messages go


def test_a_failed_check_prints_to_stderr_so_nbgrader_counts_it_as_failed(capsys):
    """nbgrader gives a graded cell 0 points, and `validate` fails, when it wrote to stderr."""
    checks.check_ema(lambda average, value, beta: average, quiet=False)
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err.startswith("Not yet:")
    checks.check_ema(lambda average, value, beta: beta * average + (1 - beta) * value)
    printed = capsys.readouterr()
    assert printed.err == "" and printed.out.startswith("Correct!")


# ---------------------------------------------------------------- the reference stand-ins


def test_a_cell_after_an_unfinished_exercise_takes_the_reference_and_says_so(capsys):
    def rmsprop_step(x, g, v, lr, beta, eps):
        raise NotImplementedError

    namespace = {"rmsprop_step": rmsprop_step}
    checks.check_rmsprop_step(rmsprop_step, quiet=True)
    step = checks.yours_or_reference(namespace, "rmsprop_step")
    assert step is reference.rmsprop_step
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and "`rmsprop_step` has not passed its check" in printed


def test_a_finished_exercise_is_used_as_it_is_and_silently(capsys):
    def rmsprop_step(x, g, v, lr, beta, eps):
        v_new = beta * v + (1 - beta) * g**2
        return x - lr * g / (np.sqrt(v_new) + eps), v_new

    assert checks.check_rmsprop_step(rmsprop_step, quiet=True).passed
    namespace = {"rmsprop_step": rmsprop_step}
    step, settle = checks.yours_or_reference(namespace, "rmsprop_step", "steps_to_settle")
    assert step is rmsprop_step and settle is reference.steps_to_settle
    assert "`steps_to_settle` has not passed" in capsys.readouterr().out


def test_a_function_redefined_after_its_check_counts_as_unchecked():
    def ema(average, value, beta):
        return beta * average + (1 - beta) * value

    assert checks.check_ema(ema, quiet=True).passed and checks.passed(ema)

    def ema(average, value, beta):  # noqa: F811 - the student edits the cell and runs it again
        return average

    assert not checks.passed(ema)
    assert checks.yours_or_reference({"ema": ema}, "ema") is reference.ema


def test_every_reference_passes_its_own_check():
    pairs = [(c, n) for c, n in student_names().items() if hasattr(reference, n)]
    assert len(pairs) >= 15
    for check, name in pairs:
        result = getattr(checks, check)(getattr(reference, name), quiet=True)
        assert result.passed, (check, result.message)


def test_an_unknown_name_is_refused():
    with pytest.raises(ValueError, match="names must be functions of rmslab.checks.reference"):
        checks.yours_or_reference({}, "no_such_exercise")


# ---------------------------------------------------------------- the hidden tests


@pytest.fixture
def fresh_rmslab_undone():
    """`grading.FRESH` drops every rmslab module from sys.modules, as a hidden test does in its
    kernel; put the originals back afterwards, or later tests in this process would import a
    second copy of rmslab (``widgets.explorer is live.explorer`` would then fail)."""
    saved = {name: m for name, m in sys.modules.items() if name.split(".")[0] == "rmslab"}
    yield
    for name in [name for name in sys.modules if name.split(".")[0] == "rmslab"]:
        del sys.modules[name]
    sys.modules.update(saved)


def test_grading_is_not_fooled_by_a_redefined_checker(monkeypatch, fresh_rmslab_undone):
    """A solution cell that replaces `checks.check_...` changes the visible check only."""

    def stub(x, g, v, lr, beta, eps):
        raise NotImplementedError

    monkeypatch.setattr(checks, "check_rmsprop_step", lambda *a, **k: checks.CheckResult(True, ""))
    assert checks.check_rmsprop_step(stub).passed  # the visible check is fooled
    namespace = {"rmsprop_step": stub}
    exec(grading.FRESH, namespace)  # what every hidden test does first
    with pytest.raises(AssertionError, match="not implemented yet"):
        namespace["grading"].grade("check_rmsprop_step", stub)


def test_grading_tries_a_case_the_visible_check_does_not_use():
    """An answer fitted to the check's cases passes the check but not the hidden test."""
    seen = []

    def fitted(x, g, v, lr, beta, eps):
        seen.append(lr)
        if lr in (0.1, 1e-3, 0.01):  # the visible check's cases
            return reference.rmsprop_step(x, g, v, lr, beta, eps)
        return x, v

    assert checks.check_rmsprop_step(fitted, quiet=True).passed
    with pytest.raises(AssertionError, match="a case the visible check does not use"):
        grading.grade("check_rmsprop_step", fitted)
    assert set(seen) > {0.1, 1e-3, 0.01}


def test_grading_names_only_real_checkers():
    with pytest.raises(ValueError, match="check must name a checker"):
        grading.grade("passed", print)


def test_every_extra_case_belongs_to_a_step_checker_and_its_reference_passes():
    assert len(grading.EXTRA_CASES) >= 7
    for check, (_outputs, right, _case) in grading.EXTRA_CASES.items():
        assert check in CHECKERS
        grading.grade(check, right)


def test_the_instructor_guide_states_the_real_time_limit():
    for page in ("mistakes.md", "assigning.md"):
        text = " ".join((ROOT / "instructors" / page).read_text().split())
        assert f"{_core.TIME_LIMIT:g} seconds" in text, page
