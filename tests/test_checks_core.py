"""Every checker, whatever the student's function does, reports and never raises."""

import re

import numpy as np
import pytest
from mistake_catalog import ROOT, student_names

from rmslab import checks
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
