"""One plotting style for the whole book, and the standard figures.

Colors come from the Okabe-Ito palette (safe for the common forms of color blindness), and each
optimizer keeps one color in every figure: ``color_for("RMSProp")`` never changes. Every function
returns the matplotlib ``Figure``, labels its axes and adds a legend when it draws more than one
series. ``trajectories`` arguments are a dict ``label -> Trajectory`` or a list of Trajectories
(labelled by ``Trajectory.name``).
"""

from __future__ import annotations

import re
import zlib

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

#: Okabe & Ito (2008) colorblind-safe palette, yellow last (poor contrast on white).
PALETTE = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "yellow": "#F0E442",
}

#: Fixed optimizer -> color assignment (keys are lower-case name stems).
OPTIMIZER_COLORS = {
    "gd": PALETTE["black"],
    "sgd": PALETTE["black"],
    "momentum": PALETTE["blue"],
    "nesterov": PALETTE["blue"],
    "adagrad": PALETTE["bluish green"],
    "rmsprop": PALETTE["vermillion"],
    "adam": PALETTE["reddish purple"],
    "adamw": PALETTE["sky blue"],
    "amsgrad": PALETTE["orange"],
}

_CYCLE = [c for key, c in PALETTE.items() if key != "yellow"]

BOOK_STYLE = {
    "figure.figsize": (6.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=_CYCLE),
    "lines.linewidth": 1.8,
    "legend.frameon": False,
    "image.cmap": "viridis",
    "figure.constrained_layout.use": True,
}


def use_book_style() -> None:
    """Apply the book style globally (figure ~ (6, 4) in, 11 pt fonts, light grid, no top/right
    spines, Okabe-Ito color cycle, constrained layout)."""
    mpl.rcParams.update(BOOK_STYLE)


def color_for(name: str) -> str:
    """Stable color of an optimizer: the stem of ``name`` ("RMSProp (lr=0.01)" -> "rmsprop")
    looks up :data:`OPTIMIZER_COLORS`; unknown names get a palette color from a CRC32 hash, so the
    answer is the same in every process."""
    match = re.match(r"[a-z]+", name.lower())
    stem = match.group(0) if match else name.lower()
    if stem in OPTIMIZER_COLORS:
        return OPTIMIZER_COLORS[stem]
    return _CYCLE[zlib.crc32(stem.encode()) % len(_CYCLE)]


def series_colors(names) -> list[str]:
    """``color_for`` each name, but give repeated colors (two RMSProp runs) distinct palette
    colors so that every series stays distinguishable."""
    colors, used = [], set()
    for name in names:
        color = color_for(name)
        if color in used:
            color = next((c for c in _CYCLE if c not in used), color)
        used.add(color)
        colors.append(color)
    return colors


def as_named(trajectories) -> dict:
    """Normalize a dict ``label -> Trajectory`` or a list of Trajectories into a dict."""
    if isinstance(trajectories, dict):
        named = dict(trajectories)
    else:
        named = {}
        for traj in trajectories:
            label, k = traj.name, 2
            while label in named:
                label, k = f"{traj.name} ({k})", k + 1
            named[label] = traj
    if not named:
        raise ValueError("trajectories must contain at least one Trajectory, got none")
    return named


def new_axes(ax):
    """``(figure, axes)``: the given axes and its figure, or a fresh single-axes figure."""
    if ax is None:
        fig, ax = plt.subplots()
        return fig, ax
    return ax.figure, ax


def finish(ax, n_series: int, title=None, **legend_kw) -> None:
    """Add the title and, when there is more than one series, the legend."""
    if title is not None:
        ax.set_title(title)
    if n_series > 1:
        ax.legend(**legend_kw)


def contour(problem, trajectories=(), ax=None, title=None, levels: int = 15):
    """Log-spaced contour lines of :math:`f(x) - f^*` over ``problem.bounds`` with the
    trajectories drawn on top, a circle at the start and a star at the minimizer."""
    if problem.dim != 2 or problem.bounds is None:
        raise ValueError(f"contour needs a 2-D problem with bounds, got dim={problem.dim}")
    named = as_named(trajectories) if len(trajectories) else {}
    fig, ax = new_axes(ax)
    (x_lo, x_hi), (y_lo, y_hi) = problem.bounds
    X, Y = np.meshgrid(np.linspace(x_lo, x_hi, 201), np.linspace(y_lo, y_hi, 201))
    Z = problem.loss(np.stack([X, Y], axis=-1))
    Z = Z - (problem.min_value if problem.min_value is not None else Z.min())
    positive = Z[Z > 0]
    lowest = max(positive.min(), Z.max() * 1e-6)
    ax.contour(X, Y, Z, levels=np.geomspace(lowest, Z.max(), levels), colors="0.6", linewidths=0.6)
    for (label, traj), color in zip(named.items(), series_colors(named)):
        xs = np.asarray(traj.xs)
        if xs.ndim != 2 or xs.shape[1] != 2:
            raise ValueError(f"trajectory {label!r} must have xs of shape (T+1, 2), got {xs.shape}")
        ax.plot(xs[:, 0], xs[:, 1], "-o", color=color, markersize=2.5, label=label)
    starts = {tuple(np.asarray(t.xs)[0]) for t in named.values()} or {tuple(problem.x0)}
    sx, sy = np.array(sorted(starts)).T
    ax.plot(sx, sy, "o", color="black", markersize=7, linestyle="none", label="start $x_0$")
    if problem.minimizer is not None:
        ax.plot(*problem.minimizer, "*", color="black", markersize=13, linestyle="none",
                label="minimizer $x^*$")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    finish(ax, len(named) + 2, title or problem.name, loc="best")
    return fig


def loss_curves(trajectories, ax=None, logy: bool = True, title=None):
    """Loss gap :math:`f(x_t) - f^*` (or the loss if :math:`f^*` is unknown) against step ``t``;
    a diverged run ends with a cross and says where in its legend entry."""
    named = as_named(trajectories)
    fig, ax = new_axes(ax)
    gap_known = all(t.min_value is not None for t in named.values())
    for (label, traj), color in zip(named.items(), series_colors(named)):
        y = np.asarray(traj.gaps if gap_known else traj.losses)
        if y.ndim != 1:
            raise ValueError(f"trajectory {label!r} is batched (losses {y.shape}); pass one run")
        if traj.diverged_at is not None:
            label = f"{label} (diverged at t={traj.diverged_at})"
        ax.plot(np.arange(len(y)), y, color=color, label=label)
        if traj.diverged_at is not None:
            ax.plot(len(y) - 1, y[-1], "x", color=color, markersize=8, markeredgewidth=2)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("loss gap $f(x_t) - f^*$" if gap_known else "loss $f(x_t)$")
    finish(ax, len(named), title)
    return fig
