"""Every checker, whatever the student's function does, reports and never raises."""

import re
import signal
import threading
import time

import numpy as np
import pytest
from mistake_catalog import ROOT, student_names

from rmslab import checks
from rmslab.checks import _core
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
    assert "not implemented yet" in capsys.readouterr().out


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
    started = time.monotonic()
    result = getattr(checks, check)(busy_for(3.0), quiet=True)
    assert not result.passed
    assert "did not return within 0.2 s" in result.message, result.message
    assert LOOP_HINTS.get(check, "needs no loop") in result.message, result.message
    assert time.monotonic() - started < 2.5


def test_every_hint_belongs_to_a_checker():
    assert set(LOOP_HINTS) <= set(CHECKERS)


@pytest.mark.parametrize("fn", [forever, forever_catching_exceptions])
def test_a_truly_infinite_loop_is_stopped_in_the_main_thread(fn, short_limit):
    result = checks.check_steps_to_settle(fn, quiet=True)
    assert "did not return within 0.2 s" in result.message
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL  # the handler is put back
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.mark.parametrize("fn", [forever, forever_catching_exceptions])
def test_a_truly_infinite_loop_is_stopped_outside_the_main_thread(fn, short_limit):
    """A kernel may run cells in another thread (Jupyter subshells): no signal there."""
    box = {}
    caller = threading.Thread(
        target=lambda: box.update(result=checks.check_eps_placement_ratio(fn, quiet=True)),
        daemon=True,
    )
    caller.start()
    caller.join(20)
    assert "result" in box, "the check did not return"
    assert "did not return within 0.2 s" in box["result"].message
    deadline = time.monotonic() + 5
    while any(t.name == "rmslab-check" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the looping function is still running"
        time.sleep(0.05)


def test_a_timer_someone_else_set_is_left_alone(short_limit):
    """pytest-timeout (signal method) and the like keep their alarm; the check uses a thread."""
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *args: fired.append(True))
    signal.setitimer(signal.ITIMER_REAL, 30.0)
    try:
        result = checks.check_steps_to_settle(forever, quiet=True)
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert "did not return within 0.2 s" in result.message
    assert 25 < remaining <= 30 and not fired


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
