"""Exercise checkers for the labs.

Each ``check_<exercise>(student_fn)`` runs the student's function on cases chosen so that each
common mistake gives a recognisable answer, prints one plain-language message that names the
mistake (or says it is correct), and returns a :class:`CheckResult`. A checker never raises: an
unfinished exercise reports "not implemented yet", a function that crashes reports the error,
and the rest of the notebook keeps running.
"""

from rmslab.checks._core import CheckResult
from rmslab.checks.gradient_descent import (
    check_gd_run,
    check_gd_step,
    check_largest_stable_lr,
    check_measured_rate,
)

__all__ = [
    "CheckResult",
    "check_gd_run",
    "check_gd_step",
    "check_largest_stable_lr",
    "check_measured_rate",
]
