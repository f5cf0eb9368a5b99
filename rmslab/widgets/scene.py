"""Drawing: the two-panel figure (path, loss gap) that the explorer and the animations share.

The axes, contours and labels are rendered once; a frame only restores that background and
draws the moving lines (blitting), so it costs milliseconds.
"""

from __future__ import annotations

import io

import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rmslab.plots import color_for, draw_landscape, series_colors
from rmslab.problems.base import Problem


class Scene:
    """A two-panel figure (path, loss gap) redrawn by blitting: the axes, contours and labels are
    rendered once; :meth:`render` only restores that background and draws the moving lines, so a
    frame costs milliseconds. Axis limits are fixed at construction (loss panel: from
    :math:`10^{-12}` to :math:`10^3` times the initial gap), which also keeps frames comparable."""

    def __init__(self, problem: Problem, labels, steps: int, figsize=(9.0, 3.6), dpi: int = 72):
        self.problem, self.steps, self.dpi = problem, steps, dpi
        self.fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        self.canvas = FigureCanvasAgg(self.fig)
        self.path_ax, self.loss_ax = self.fig.subplots(1, 2)
        for ax in (self.path_ax, self.loss_ax):
            ax.grid(True, alpha=0.3)
            ax.spines[["top", "right"]].set_visible(False)
        self.planar = problem.dim == 2 and problem.bounds is not None
        self.draw_background()
        colors = series_colors(labels)
        self.paths = [
            self.path_ax.plot([], [], "-o", markersize=2, color=c, label=label)[0]
            for label, c in zip(labels, colors, strict=True)
        ]
        self.curves = [
            self.loss_ax.plot([], [], color=c, label=label)[0]
            for label, c in zip(labels, colors, strict=True)
        ]
        self.note = self.loss_ax.text(
            0.98,
            0.95,
            "",
            transform=self.loss_ax.transAxes,
            ha="right",
            va="top",
            fontsize=9,
            color="#D55E00",
        )
        self.title = self.path_ax.set_title("placeholder", fontsize=10)
        if len(labels) > 1:
            self.loss_ax.legend(fontsize=8, loc="lower left")
        self.canvas.draw()  # lays out the figure once, with room for the title
        self.fig.set_layout_engine("none")
        title_position = self.title.get_position()
        self.moving = [*self.paths, *self.curves, self.note, self.title]
        for artist in self.moving:
            artist.set_visible(False)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        for artist in self.moving:
            artist.set_visible(True)
        self.title.set_position(title_position)  # an invisible title is moved by draw()

    def set_color(self, label: str) -> None:
        """Give every line the stable color of optimizer ``label``."""
        for line in (*self.paths, *self.curves):
            line.set_color(color_for(label))

    def draw_background(self) -> None:
        """Contour lines of a 2-D problem with start and minimizer markers (or axes for
        :math:`x_{t,1}` against ``t``), and the loss axes with fixed limits."""
        p, ax = self.problem, self.path_ax
        x0 = p.project(p.x0)
        gap0 = abs(float(p.loss(x0)) - (p.min_value or 0.0)) or 1.0
        self.loss_ax.set_yscale("log")
        self.loss_ax.set_ylim(gap0 * 1e-12, gap0 * 1e3)
        self.loss_ax.set_xlim(0, self.steps)
        self.loss_ax.set_xlabel("step t")
        gap_known = p.min_value is not None
        self.loss_ax.set_ylabel("loss gap $f(x_t) - f^*$" if gap_known else "|loss $f(x_t)$|")
        if not self.planar:
            reach = 1.5 * max(
                1.0, np.abs(x0[0]), np.abs(p.minimizer[0]) if p.minimizer is not None else 0.0
            )
            ax.set_xlim(0, self.steps)
            ax.set_ylim(-reach, reach)
            ax.set_xlabel("step t")
            ax.set_ylabel("position $x_{t,1}$")
            return
        draw_landscape(ax, p, starts=x0, levels=14, resolution=121, filled=False)

    def render(self, trajectories, title: str = "") -> np.ndarray:
        """Draw the trajectories over the cached background; returns the RGBA pixels."""
        notes = []
        for traj, path, curve in zip(trajectories, self.paths, self.curves, strict=True):
            xs = np.asarray(traj.xs)
            if self.planar:
                path.set_data(xs[:, 0], xs[:, 1])
            else:
                path.set_data(np.arange(len(xs)), xs[:, 0])
            gaps = np.abs(np.asarray(traj.gaps))
            curve.set_data(np.arange(len(gaps)), gaps)
            if traj.diverged_at is not None:
                notes.append(f"diverged at t={traj.diverged_at}")
        self.note.set_text("\n".join(notes))
        self.title.set_text(title)
        self.canvas.restore_region(self.background)
        for artist in self.moving:
            self.fig.draw_artist(artist)
        return np.asarray(self.canvas.buffer_rgba()).copy()

    def png(self, trajectories, title: str = "") -> bytes:
        """:meth:`render` encoded as PNG bytes."""
        buffer = io.BytesIO()
        PIL.Image.fromarray(self.render(trajectories, title)).save(buffer, "PNG", compress_level=1)
        return buffer.getvalue()
