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
from matplotlib.colors import LogNorm

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


def draw_landscape(
    ax, problem, starts=None, levels: int = 15, resolution: int = 201, filled: bool = True
) -> None:
    """Log-spaced contour lines (optionally shaded) of :math:`f(x) - f^*` over
    ``problem.bounds``, circles at the ``starts`` (default ``problem.x0``), a star at the
    minimizer, fixed limits and axis labels."""
    if problem.dim != 2 or problem.bounds is None:
        raise ValueError(f"contour needs a 2-D problem with bounds, got dim={problem.dim}")
    (x_lo, x_hi), (y_lo, y_hi) = problem.bounds
    X, Y = np.meshgrid(np.linspace(x_lo, x_hi, resolution), np.linspace(y_lo, y_hi, resolution))
    Z = problem.loss(np.stack([X, Y], axis=-1))
    Z = Z - (problem.min_value if problem.min_value is not None else Z.min())
    lowest = max(Z[Z > 0].min(), Z.max() * 1e-6)
    level_values = np.geomspace(lowest, Z.max(), levels)
    if filled:
        shade = {"cmap": "Blues_r", "alpha": 0.35, "norm": LogNorm(), "extend": "both"}
        ax.contourf(X, Y, np.maximum(Z, lowest), levels=level_values, **shade)
    ax.contour(X, Y, Z, levels=level_values, colors="0.55", linewidths=0.6)
    sx, sy = np.atleast_2d(problem.x0 if starts is None else starts).T
    marker = {"color": "black", "linestyle": "none", "zorder": 4}
    ax.plot(sx, sy, "o", markersize=7, label="start $x_0$", **marker)
    if problem.minimizer is not None:
        x_star, y_star = problem.minimizer
        ax.plot(x_star, y_star, "*", markersize=13, label="minimizer $x^*$", **marker)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def contour(problem, trajectories=(), ax=None, title=None, levels: int = 15):
    """Trajectories over the shaded, log-spaced contour lines of :math:`f(x) - f^*` (see
    :func:`draw_landscape`), with a circle at each start and a star at the minimizer."""
    named = as_named(trajectories) if len(trajectories) else {}
    for label, traj in named.items():
        if np.ndim(traj.xs) != 2 or np.shape(traj.xs)[1] != 2:
            shape = np.shape(traj.xs)
            raise ValueError(f"trajectory {label!r} must have xs of shape (T+1, 2), got {shape}")
    fig, ax = new_axes(ax)
    starts = sorted({tuple(np.asarray(t.xs)[0]) for t in named.values()}) or None
    for (label, traj), color in zip(named.items(), series_colors(named), strict=True):
        xs = np.asarray(traj.xs)
        ax.plot(xs[:, 0], xs[:, 1], "-o", color=color, markersize=2.5, label=label, zorder=3)
    draw_landscape(ax, problem, starts=starts, levels=levels)
    finish(ax, len(named) + 2, title or problem.name, loc="best")
    return fig


def loss_curves(trajectories, ax=None, logy: bool = True, title=None):
    """Loss gap :math:`f(x_t) - f^*` (or the loss if :math:`f^*` is unknown) against step ``t``;
    a diverged run ends with a cross and says where in its legend entry."""
    named = as_named(trajectories)
    fig, ax = new_axes(ax)
    gap_known = all(t.min_value is not None for t in named.values())
    for (label, traj), color in zip(named.items(), series_colors(named), strict=True):
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


#: Axis labels for common hyperparameter names.
HYPERPARAMETER_LABELS = {
    "lr": "learning rate $\\eta$",
    "beta": "decay $\\beta$",
    "eps": "$\\epsilon$",
    "momentum": "momentum $\\mu$",
    "weight_decay": "weight decay $\\lambda$",
}


def heatmap(result, x=None, y=None, title=None):
    """Final loss gap of a :class:`rmslab.run.SweepResult` over two hyperparameters (log color
    scale, mean over seeds, each cell annotated, diverged cells marked "div"); with more than one
    seed a second panel shows the standard deviation over seeds. ``x`` and ``y`` name grid axes
    (default: the first two); every other axis must hold a single value."""
    names = list(result.grid)
    x = names[0] if x is None else x
    y = (names[1] if len(names) > 1 else None) if y is None else y
    if x not in names or y not in names or x == y:
        raise ValueError(f"x and y must be two different grid axes out of {names}, got {x}, {y}")
    extra = [k for k in names if k not in (x, y) and len(result.grid[k]) > 1]
    if extra:
        raise ValueError(f"grid axes {extra} have several values; sweep them separately")
    mean, std = result.mean_over_seeds()
    order = [names.index(y), names.index(x)] + [i for i, k in enumerate(names) if k not in (x, y)]
    mean = mean.transpose(order).reshape(len(result.grid[y]), len(result.grid[x]))
    std = std.transpose(order).reshape(mean.shape)
    panels = [(mean, "mean")] + ([(std, "std")] if len(result.seeds) > 1 else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    what = "final loss gap $f(x_T) - f^*$" if result.min_value is not None else "final loss"
    for ax, (values, kind) in zip(axes[0], panels, strict=True):
        draw_cells(ax, values, result.grid[x], result.grid[y])
        ax.set_xlabel(HYPERPARAMETER_LABELS.get(x, x))
        ax.set_ylabel(HYPERPARAMETER_LABELS.get(y, y))
        ax.set_title(f"{what}\n{kind} over {len(result.seeds)} seed(s)", fontsize=10)
    if title is not None:
        fig.suptitle(title)
    return fig


def draw_cells(ax, values, x_values, y_values):
    """Log-colored cells with value annotations; non-finite cells grey and labelled "div"."""
    finite = np.isfinite(values)
    floor = 1e-16
    shown = np.where(finite, np.maximum(values, floor), np.nan)
    positive = shown[np.isfinite(shown)]
    norm = None
    if positive.size:
        norm = LogNorm(positive.min(), max(positive.max(), positive.min() * 10))
    cmap = mpl.colormaps["viridis"].with_extremes(bad="0.85")
    mesh = ax.pcolormesh(np.ma.masked_invalid(shown), cmap=cmap, norm=norm)
    for (i, j), value in np.ndenumerate(values):
        text = f"{value:.1e}" if finite[i, j] else "div"
        ax.text(
            j + 0.5,
            i + 0.5,
            text,
            ha="center",
            va="center",
            fontsize=7,
            color="white"
            if finite[i, j] and norm is not None and norm(max(value, floor)) < 0.5
            else "black",
        )
    ax.set_xticks(np.arange(len(x_values)) + 0.5, [f"{v:.3g}" for v in x_values])
    ax.set_yticks(np.arange(len(y_values)) + 0.5, [f"{v:.3g}" for v in y_values])
    ax.tick_params(axis="x", labelrotation=45)
    ax.grid(False)
    ax.figure.colorbar(mesh, ax=ax)
