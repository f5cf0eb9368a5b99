"""The shape of the catalogs of wrong implementations kept in tests/test_checks_<lab>.py.

Each test module lists, for its lab, student-style implementations that contain one typical
mistake each, with the words the checker's message must contain. The tests assert that every
entry gets its own message; tools/instructor_tables.py turns the same catalogs into the table of
common mistakes in the instructor guide, so the guide quotes the checkers' real messages.
"""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rmslab import checks

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def student_names() -> dict[str, str]:
    """Checker name -> the name of the student's function it checks, read from the labs."""
    calls = re.findall(
        r"checks\.(check_\w+)\((\w+)\)",
        "".join(p.read_text() for p in (ROOT / "labs").glob("*.ipynb")),
    )
    return dict(calls)


def as_student_wrote_it(fn: Callable, name: str) -> Callable:
    """``fn`` under the name the lab gives the function, so messages read as students see them.

    A function is the same code renamed, not a wrapper (a message may name the function in
    which a `NotImplementedError` was raised); a class is called through a function of that name.
    """
    if not isinstance(fn, type):
        code = fn.__code__.replace(co_name=name, co_qualname=name)
        renamed = types.FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)
        renamed.__kwdefaults__ = fn.__kwdefaults__
        return renamed

    @functools.wraps(fn)
    def student_function(*args):
        return fn(*args)

    student_function.__name__ = name
    return student_function


@dataclass(frozen=True)
class Wrong:
    """One wrong student function and what its check must say about it."""

    check: str  # name of the checker in rmslab.checks, e.g. "check_rmsprop_step"
    mistake: str  # what the student did, in words, for the instructor guide
    fn: Callable  # a student-style implementation with exactly that mistake
    says: str  # a fragment that the checker's message must contain

    @property
    def id(self) -> str:
        return f"{self.check.removeprefix('check_')}: {self.mistake}"

    def message(self) -> str:
        fn = as_student_wrote_it(self.fn, student_names()[self.check])
        result = getattr(checks, self.check)(fn, quiet=True)
        assert not result.passed, f"{self.id} passed its check"
        return result.message


def assert_named(wrong: Wrong) -> None:
    message = wrong.message()
    assert wrong.says in message, f"{wrong.id}: expected {wrong.says!r} in {message!r}"


def assert_distinct(catalog: list[Wrong]) -> None:
    """Different mistakes under the same checker get different messages."""
    seen: dict[tuple[str, str], str] = {}
    for wrong in catalog:
        key = (wrong.check, wrong.message())
        assert key not in seen, f"{wrong.id} and {seen[key]} get the same message"
        seen[key] = wrong.id
