"""The instructor guide states only what the code does: generated tables are current, every
number in the exam answers is recomputed here, and the documented tolerances are the real ones.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rmslab import checks, measure, optim

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "instructors"
EXAM = (GUIDE / "exam.md").read_text()


def test_generated_tables_are_current():
    """Run `python tools/instructor_tables.py` after changing a lab, a checker or a catalog."""
    check = [sys.executable, str(ROOT / "tools" / "instructor_tables.py"), "--check"]
    done = subprocess.run(check, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (GUIDE / "_labs.md").is_file() and (GUIDE / "_mistakes.md").is_file()


def test_every_guide_page_is_linked_from_the_overview():
    index = (GUIDE / "index.md").read_text()
    for page in GUIDE.glob("[!_]*.md"):
        assert page.stem == "index" or f"{{doc}}`{page.stem}`" in index


def steps(opt, g, count):
    """Step lengths of ``opt`` under the constant one-coordinate gradient ``g``."""
    return np.abs(measure.gradient_steps(opt, np.full((count, 1), g))[:, 0])


def test_question_2_transient_numbers():
    sizes = steps(optim.rmsprop(lr=0.01, beta=0.99, eps=1e-8), 1e-3, 400)
    assert f"= {sizes[0]:.7f}$" in EXAM
    settled = int(np.argmax(sizes <= 1.1 * 0.01)) + 1
    assert settled == int(np.ceil(np.log(1 - 1 / 1.21) / np.log(0.99)))
    assert f"\\rceil = {settled}$ on" in EXAM
    at_09 = int(np.argmax(steps(optim.rmsprop(lr=0.01, beta=0.9), 1.0, 100) <= 0.011)) + 1
    assert f"({at_09} for $\\beta = 0.9$)" in EXAM
    big = steps(optim.rmsprop(lr=0.01, beta=0.99, eps=1e-8), 1e3, 400)
    assert int(np.argmax(big <= 1.1 * 0.01)) + 1 == settled  # "they do not change"


def test_question_3_eps_ratios():
    def ratio(g):
        inside = optim.rmsprop(lr=1e-3, beta=0.99, eps=1e-8, eps_in_sqrt=True)
        outside = optim.rmsprop(lr=1e-3, beta=0.99, eps=1e-8)
        return steps(outside, g, 2000)[-1] / steps(inside, g, 2000)[-1]

    assert f"= {ratio(1e-6):.1f}$" in EXAM
    assert f"is already {ratio(1e-4):.2f}." in EXAM


def test_question_4_step_counts():
    gd, momentum = 99 / 101, 9 / 11
    assert f"$99/101 = {gd:.3f}$ and $9/11 = {momentum:.3f}$" in EXAM
    counts = [round(np.log(1e-6) / np.log(rate)) for rate in (gd, momentum)]
    assert f"{counts[0]} for gradient descent and {counts[1]} for momentum" in EXAM


def test_question_8_first_steps():
    lr, g = 1e-3, 0.05
    adam = optim.adam(lr=lr, betas=(0.9, 0.999))
    first = abs(adam.step(np.zeros(1), np.full(1, g), adam.init(np.zeros(1)))[0][0])
    assert first == pytest.approx(lr, rel=1e-6)
    uncorrected = lr * 0.1 / np.sqrt(0.001)
    assert f"= {uncorrected / lr:.2f}\\,\\eta$" in EXAM
    rms = steps(optim.rmsprop(lr=lr, beta=0.999), g, 1)[0]
    assert f"would step ${rms / lr:.1f}\\,\\eta$" in EXAM


def test_documented_prediction_tolerances_are_the_checkers():
    page = (GUIDE / "assigning.md").read_text()
    assert "5% for Lab 4's first step, 25% for its $\\epsilon$ ratio" in page
    # Lab 4's first step from v0 = 0, lr = 0.01, beta = 0.99, eps = 1e-8, |g| = 1e-3: closed form
    first = 0.01 / (np.sqrt(1 - 0.99) + 1e-8 / 1e-3)
    for factor, ok in [(1.045, True), (0.955, True), (1.06, False), (0.94, False)]:
        guess = factor * first
        assert checks.check_rmsprop_first_step(lambda g=guess: g, quiet=True).passed == ok
    # Question 3's ratio in steady state (v = g^2), eps = 1e-8, |g| = 1e-6: closed form
    tiny, eps = 1e-6, 1e-8
    ratio = np.sqrt(tiny**2 + eps) / (tiny + eps)
    for factor, ok in [(1.24, True), (0.76, True), (1.27, False), (0.73, False)]:
        guess = factor * ratio
        assert checks.check_eps_ratio_prediction(lambda g=guess: g, quiet=True).passed == ok


def test_quoted_check_phrases_are_real():
    core = (ROOT / "rmslab" / "checks" / "_core.py").read_text()
    quoted = 0
    for page in GUIDE.glob("*.md"):
        text = page.read_text()
        for phrase in ("not implemented yet", "Correct!", "Not yet:"):
            if phrase in text:
                quoted += 1
                assert phrase in core, f"{page.name} quotes {phrase!r}"
    assert quoted > 0, "no guide page quotes a checker's phrase: the check above saw nothing"
