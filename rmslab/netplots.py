r"""Plots for the real-network chapter: tuning curves, per-seed results, per-layer profiles
and an annotated heatmap. They draw on a given matplotlib axes in the book style
(:func:`rmslab.plots.use_book_style`) and use :func:`rmslab.plots.color_for` for optimizers.

* :func:`moving_average`: :math:`\bar L_t = \frac1w \sum_{s=t-w+1}^{t} L_s`, to read noisy
  minibatch losses.
* :func:`tuning_curves`: each optimizer's tuning score against the learning rate.
* :func:`seed_dots`: one dot per seed and a bar at the mean, one column per label.
* :func:`layer_profile`: a per-layer quantity against the layer index, log scale.
* :func:`annotated_heatmap`: a grid of means with "mean ± spread" written in each cell.
"""

from __future__ import annotations

import numpy as np

from rmslab import plots


def moving_average(values, window: int) -> np.ndarray:
    """Mean of each ``window`` consecutive values (``len(values) - window + 1`` of them)."""
    values = np.asarray(values, dtype=float)
    if not 1 <= window <= len(values):
        raise ValueError(f"window must be between 1 and len(values) = {len(values)}, got {window}")
    sums = np.cumsum(np.insert(values, 0, 0.0))
    return (sums[window:] - sums[:-window]) / window


def tuning_curves(tunings: dict, ax, ylabel: str = "training loss, last 50 steps") -> None:
    """Plot ``tuning.scores`` against ``tuning.lrs`` for each ``label -> Tuning``; a hollow
    marker at each optimizer's chosen rate. Infinite scores (diverged) are left out."""
    for label, tuning in tunings.items():
        color = plots.color_for(label)
        lrs, scores = np.array(tuning.lrs), np.array(tuning.scores)
        finite = np.isfinite(scores)
        ax.plot(lrs[finite], scores[finite], "o-", color=color, label=label, markersize=4)
        best = int(np.argmin(scores))
        ax.plot(lrs[best], scores[best], "o", color=color, markersize=11, fillstyle="none")
    ax.set(xscale="log", xlabel=r"learning rate $\eta$", ylabel=ylabel)
    ax.legend()


def seed_dots(results: dict, ax, ylabel: str, colors=None) -> None:
    """One column per ``label -> values`` (one value per seed): dots and a bar at the mean."""
    colors = colors or [plots.color_for(label) for label in results]
    for i, (values, color) in enumerate(zip(results.values(), colors, strict=True)):
        values = np.asarray(values, dtype=float).ravel()
        offsets = np.linspace(-0.12, 0.12, len(values)) if len(values) > 1 else [0.0]
        ax.plot(i + np.asarray(offsets), values, "o", color=color, markersize=6)
        ax.plot([i - 0.25, i + 0.25], [np.nanmean(values)] * 2, color=color, linewidth=2.5)
    ax.set_xticks(range(len(results)), list(results), rotation=20, ha="right")
    ax.set(xlim=(-0.6, len(results) - 0.4), ylabel=ylabel)


def layer_profile(profiles: dict, ax, ylabel: str, styles=None, colors=None) -> None:
    """Plot each ``label -> per-layer values`` against the layer index 1..L on a log scale.
    ``styles`` and ``colors`` map labels to a format string and a color (defaults: ``"o-"``
    and :func:`rmslab.plots.color_for`)."""
    styles, colors = styles or {}, colors or {}
    for label, values in profiles.items():
        layers = np.arange(1, len(values) + 1)
        color = colors.get(label, plots.color_for(label))
        ax.plot(layers, values, styles.get(label, "o-"), color=color, label=label, markersize=5)
    ax.set(yscale="log", xlabel="layer (1 = input side)", ylabel=ylabel)
    ax.set_xticks(np.arange(1, max(len(v) for v in profiles.values()) + 1))
    ax.legend()


def annotated_heatmap(mean, spread, xlabels, ylabels, ax, fmt: str = "{:.2f}") -> object:
    """Color ``mean`` (rows = ``ylabels``, columns = ``xlabels``) and write ``mean ± spread`` in
    each cell, on two lines so that neighbouring labels cannot overlap. Returns the image."""
    mean, spread = np.asarray(mean, dtype=float), np.asarray(spread, dtype=float)
    if mean.shape != spread.shape or mean.shape != (len(ylabels), len(xlabels)):
        raise ValueError(
            f"mean and spread must have shape (len(ylabels), len(xlabels)) = "
            f"{(len(ylabels), len(xlabels))}, got {mean.shape} and {spread.shape}"
        )
    image = ax.imshow(mean, cmap="viridis", aspect="auto", vmin=np.nanmin(mean))
    middle = (np.nanmax(mean) + np.nanmin(mean)) / 2
    for (row, col), value in np.ndenumerate(mean):
        text = f"{fmt.format(value)}\n± {fmt.format(spread[row, col])}"
        color = "black" if value > middle else "white"
        ax.text(col, row, text, ha="center", va="center", color=color, fontsize=9)
    ax.set_xticks(range(len(xlabels)), xlabels)
    ax.set_yticks(range(len(ylabels)), ylabels)
    ax.grid(False)
    return image
