"""Lab 6, Exercise 3: the student's optimizer trains the lab's network.

The lab's network is :func:`rmslab.train.digits_mlp` of depth :data:`DEPTH` (sigmoid units);
``train_with_yours()`` must train it with the student's ``NumpyRMSprop`` for at most
:data:`STEPS` steps to a test accuracy of at least :data:`TARGET_ACCURACY`, and return the
whole :class:`rmslab.train.History`. The check names a wrong network, a run too long, a
diverged run and a learning rate too large, far too small or somewhat too small.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmslab.checks._core import CheckResult, Mistake, describe, fn_name, run_check
from rmslab.checks.networks.calling import run_student

#: The lab's network: ``digits_mlp(depth=DEPTH)``, sigmoid units, trained for at most
#: :data:`STEPS` steps to a test accuracy of at least :data:`TARGET_ACCURACY`.
DEPTH = 3
STEPS = 400
TARGET_ACCURACY = 0.95
#: SGD's learning rates in the lab: it stays at chance on the sigmoid network with each.
SGD_LRS = (0.1, 1.0, 10.0)


def check_digits_training(train_with_yours: Callable, *, quiet: bool = False) -> CheckResult:
    """Check ``train_with_yours() -> History``: the digits MLP of depth :data:`DEPTH` (sigmoid)
    trained for at most :data:`STEPS` steps to a test accuracy of :data:`TARGET_ACCURACY`."""
    name = fn_name(train_with_yours)

    def checker() -> str:
        from torch import nn

        history = run_student(
            train_with_yours,
            name=name,
            loop_hint=(
                f"`{name}` needs no loop of its own, and `train.fit` takes about a second "
                f"for {STEPS} steps: did you ask for many more, or does your `step` never end?"
            ),
        )
        # by its fields, not isinstance: a hidden test re-imports rmslab, and with it History
        if not all(hasattr(history, key) for key in ("loss", "model", "final_test_accuracy")):
            raise Mistake(
                f"`{name}` returned {describe(history)}: return the whole History that "
                "`train.fit` returns, not a number taken from it."
            )
        layers = [m for m in history.model.modules() if isinstance(m, nn.Linear)]
        if len(layers) != DEPTH + 1:
            raise Mistake(
                f"you trained a network with {len(layers) - 1} hidden layers; train `TASK`, "
                f"`train.digits_mlp(depth={DEPTH})` (the default depth is 6)."
            )
        if not any(isinstance(m, nn.Sigmoid) for m in history.model.modules()):
            raise Mistake(
                "your network has no sigmoid units: train `TASK`, the sigmoid network, whose "
                "layers need RMSProp's per-coordinate scaling."
            )
        steps = len(history.loss)
        if history.diverged_at is None and steps > STEPS:
            raise Mistake(f"you trained for {steps} steps; stay within {STEPS} (`steps={STEPS}`).")
        if history.diverged_at is not None:
            raise Mistake(
                f"the run diverged at step {history.diverged_at}: the loss or a gradient became "
                "NaN or inf. A NaN usually comes from the optimizer (does Exercise 2's check "
                "pass?), an inf from a learning rate far too large."
            )
        accuracy = history.final_test_accuracy
        if accuracy >= TARGET_ACCURACY:
            return (
                f"your optimizer trained the network to {accuracy:.1%} test accuracy in "
                f"{steps} steps."
            )
        chance = np.log(10)
        if history.loss.max() > 2 * chance:
            raise Mistake(
                f"test accuracy {accuracy:.1%}, and the training loss jumped to "
                f"{history.loss.max():.3g} (chance is ln 10 = 2.30): the learning rate is too "
                "large. RMSProp moves every weight by about lr per step: try a smaller one."
            )
        if history.loss[-50:].mean() > chance - 0.05:
            raise Mistake(
                f"test accuracy {accuracy:.1%}: the loss stayed at ln 10 = 2.30, chance level. "
                "Is the optimizer your `NumpyRMSprop` (SGD stalls on this network), and is the "
                "learning rate large enough? Raise it by factors of 10."
            )
        raise Mistake(
            f"test accuracy {accuracy:.1%} after {steps} steps, below {TARGET_ACCURACY:.0%}: "
            "the network learns, but too slowly. Try a larger learning rate (a factor of 3 at "
            f"a time) and train all {STEPS} steps."
        )

    return run_check(checker, quiet=quiet, fn=train_with_yours)
