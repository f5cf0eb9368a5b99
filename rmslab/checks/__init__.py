"""Exercise checkers for the labs.

Each ``check_<exercise>(student_fn)`` runs the student's function on cases chosen so that each
common mistake gives a recognisable answer, prints one plain-language message that names the
mistake (or says it is correct), and returns a :class:`CheckResult`. A checker never raises: an
unfinished exercise reports "not implemented yet", a function that crashes reports the error,
and the rest of the notebook keeps running. A cell that needs an exercise whose check has not
passed takes the reference instead (:func:`~rmslab.checks.reference.yours_or_reference`), and
the hidden tests grade with a fresh copy of the checkers (:mod:`~rmslab.checks.grading`).

One module per lab: :mod:`~rmslab.checks.gradient_descent` (Lab 1),
:mod:`~rmslab.checks.momentum` (Lab 2), :mod:`~rmslab.checks.adagrad` (Lab 3),
:mod:`~rmslab.checks.rmsprop` (Lab 4), :mod:`~rmslab.checks.adam` (Lab 5) and
:mod:`~rmslab.checks.networks` (Lab 6, a package with a module per exercise).
"""

from rmslab.checks._core import CheckResult, passed
from rmslab.checks.adagrad import (
    check_adagrad_step,
    check_rare_feature_boost,
    check_scale_prediction,
    check_slowdown_prediction,
)
from rmslab.checks.adam import (
    check_adam_first_step,
    check_adam_step,
    check_bias_correct,
    check_early_steps,
    check_ema,
    check_rmsprop_momentum_step,
)
from rmslab.checks.gradient_descent import (
    check_gd_run,
    check_gd_step,
    check_largest_stable_lr,
    check_measured_rate,
)
from rmslab.checks.momentum import (
    check_momentum_rate,
    check_momentum_run,
    check_momentum_step,
    check_terminal_speed,
)
from rmslab.checks.networks import (
    check_digits_training,
    check_layer_ratio,
    check_rmsprop_optimizer,
    check_stall_explanation,
    check_torch_rmsprop_factory,
)
from rmslab.checks.reference import yours_or_reference
from rmslab.checks.rmsprop import (
    check_eps_placement_ratio,
    check_eps_ratio_prediction,
    check_half_life_beta,
    check_rmsprop_first_step,
    check_rmsprop_step,
    check_steps_to_settle,
    check_torch_rmsprop,
    check_tracking,
)

__all__ = [
    "CheckResult",
    "passed",
    "yours_or_reference",
    "check_adagrad_step",
    "check_adam_first_step",
    "check_adam_step",
    "check_bias_correct",
    "check_digits_training",
    "check_early_steps",
    "check_ema",
    "check_eps_placement_ratio",
    "check_eps_ratio_prediction",
    "check_gd_run",
    "check_half_life_beta",
    "check_gd_step",
    "check_largest_stable_lr",
    "check_layer_ratio",
    "check_measured_rate",
    "check_momentum_rate",
    "check_momentum_run",
    "check_momentum_step",
    "check_rare_feature_boost",
    "check_rmsprop_first_step",
    "check_rmsprop_momentum_step",
    "check_rmsprop_optimizer",
    "check_rmsprop_step",
    "check_scale_prediction",
    "check_slowdown_prediction",
    "check_stall_explanation",
    "check_steps_to_settle",
    "check_terminal_speed",
    "check_torch_rmsprop",
    "check_tracking",
    "check_torch_rmsprop_factory",
]
