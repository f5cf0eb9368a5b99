"""Tests for rmslab.plots under the Agg backend: series, labels, legends, colors."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rmslab import plots, problems
from rmslab.run import Trajectory

OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def straight_line(name, start, steps=10, min_value=0.0, diverged_at=None):
    """A hand-made Trajectory moving linearly from start to the origin."""
    xs = np.linspace(0, 1, steps + 1)[::-1, None] * np.asarray(start, float)
    losses = 0.5 * np.sum(xs**2, axis=1)
    return Trajectory(xs, losses, np.ones(steps), np.ones((steps, xs.shape[1])),
                      diverged_at, None, name, min_value)


def legend_texts(ax):
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def test_palette_is_okabe_ito_and_book_style_applies():
    assert set(plots.PALETTE.values()) == OKABE_ITO
    plots.use_book_style()
    assert tuple(matplotlib.rcParams["figure.figsize"]) == (6.0, 4.0)
    assert matplotlib.rcParams["axes.grid"] and not matplotlib.rcParams["axes.spines.top"]


def test_color_for_is_stable_across_names_and_processes():
    assert plots.color_for("RMSProp") == plots.color_for("rmsprop (lr=0.01)")
    assert plots.color_for("RMSProp") != plots.color_for("Adam")
    assert plots.color_for("my-new-method") in OKABE_ITO
    code = "from rmslab.plots import color_for; print(color_for('my-new-method'))"
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": seed}).stdout.strip()
        for seed in ("1", "2")
    }
    assert outputs == {plots.color_for("my-new-method")}


def test_contour_draws_each_trajectory_with_markers_and_legend():
    q = problems.quadratic(kappa=10.0)
    trajs = {"GD": straight_line("GD", q.x0), "RMSProp": straight_line("RMSProp", [-4.0, -2.0])}
    fig = plots.contour(q, trajs, title="demo")
    ax = fig.axes[0]
    labels = legend_texts(ax)
    assert labels[:2] == ["GD", "RMSProp"] and any("start" in s for s in labels)
    assert any("minimizer" in s for s in labels)
    gd_line = next(line for line in ax.get_lines() if line.get_label() == "GD")
    np.testing.assert_allclose(gd_line.get_xydata(), trajs["GD"].xs)
    assert gd_line.get_color() == plots.color_for("GD")
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "demo"
    assert ax.get_xlim() == (-5.0, 5.0)
    assert len(ax.collections) > 0  # the contour set


def test_contour_rejects_non_2d_problems():
    with pytest.raises(ValueError, match="2-D"):
        plots.contour(problems.quadratic(dim=3), [])


def test_loss_curves_log_scale_gap_labels_and_divergence_note():
    trajs = [straight_line("GD", [1.0, 1.0]), straight_line("GD", [2.0, 0.0], diverged_at=11)]
    fig = plots.loss_curves(trajs)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step t"
    assert "f^*" in ax.get_ylabel()
    labels = legend_texts(ax)
    assert labels == ["GD", "GD (2) (diverged at t=11)"]
    colors = {line.get_color() for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert len(colors) == 2


def test_single_series_has_no_legend_and_accepts_given_axes():
    fig, ax = plt.subplots()
    out = plots.loss_curves({"only": straight_line("GD", [1.0])}, ax=ax, logy=False)
    assert out is fig and ax.get_legend() is None and ax.get_yscale() == "linear"
