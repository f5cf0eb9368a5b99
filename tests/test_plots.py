"""Tests for rmslab.plots under the Agg backend: series, labels, legends, colors."""

import os
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
    return Trajectory(
        xs,
        losses,
        np.ones(steps),
        np.ones((steps, xs.shape[1])),
        diverged_at,
        None,
        name,
        min_value,
    )


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
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # str hashes differ from this process's
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == plots.color_for("my-new-method")


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


def fake_sweep(means_by_seed, diverged=None):
    """A SweepResult over lr (3 values) x beta (2 values) x seeds built by hand."""
    from rmslab.run import SweepResult

    grid = {"lr": np.array([0.01, 0.1, 1.0]), "beta": np.array([0.9, 0.99])}
    shape = (3, 2, means_by_seed.shape[-1])
    finals = means_by_seed.reshape(-1)
    div = np.zeros(finals.size, bool) if diverged is None else diverged.reshape(-1)
    return SweepResult(
        grid,
        tuple(range(shape[-1])),
        {},
        np.zeros(finals.size, int),
        np.zeros((2, finals.size)),
        np.where(div, np.inf, finals),
        np.zeros((finals.size, 1)),
        np.where(div, 3, -1),
        np.full(finals.size, -1),
        "rmsprop",
        0.0,
    )


def cell_texts(ax):
    return [t.get_text() for t in ax.texts]


def test_heatmap_shows_mean_and_std_over_seeds_with_log_colors():
    finals = np.empty((3, 2, 2))
    finals[..., 0], finals[..., 1] = 1e-4, 3e-4  # mean 2e-4, std 1e-4 everywhere ...
    finals[2, 1] = [1.0, 1.0]  # ... except lr=1, beta=0.99
    diverged = np.zeros((3, 2, 2), bool)
    diverged[0, 0, 1] = True  # lr=0.01, beta=0.9 diverged in seed 1
    fig = plots.heatmap(fake_sweep(finals, diverged), x="lr", y="beta")
    mean_ax, std_ax = [ax for ax in fig.axes if ax.get_title()]  # skip the colorbars
    assert "lr" in mean_ax.get_xlabel() or "eta" in mean_ax.get_xlabel()
    assert "beta" in mean_ax.get_ylabel() and "mean" in mean_ax.get_title()
    assert "std" in std_ax.get_title()
    texts = cell_texts(mean_ax)  # row-major over (beta, lr)
    assert texts[0] == "div" and texts[5] == "1.0e+00" and texts[1] == "2.0e-04"
    assert cell_texts(std_ax)[1] == "1.0e-04"
    assert isinstance(mean_ax.collections[0].norm, matplotlib.colors.LogNorm)
    assert [t.get_text() for t in mean_ax.get_xticklabels()] == ["0.01", "0.1", "1"]


def test_heatmap_single_seed_has_one_panel_and_rejects_bad_axes():
    fig = plots.heatmap(fake_sweep(np.full((3, 2, 1), 0.5)))
    assert len([ax for ax in fig.axes if ax.get_title()]) == 1
    with pytest.raises(ValueError, match="two different grid axes"):
        plots.heatmap(fake_sweep(np.full((3, 2, 1), 0.5)), x="lr", y="lr")
