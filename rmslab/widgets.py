"""Interactive figures: a live ipywidgets explorer and its kernel-less twin, an embedded animation.

Both draw the same two panels: the path of the iterates (over contour lines for a 2-D problem,
otherwise the first coordinate against ``t``) and the loss gap on a log scale. Changing a slider
re-runs the optimizer and only redraws the moving lines over a cached background (blitting); the
frame goes to an ``ipywidgets.Image`` as PNG, so the explorer needs no interactive matplotlib
backend (it works in JupyterLab, Colab and VS Code alike).
"""

from __future__ import annotations

import io
import re
from html import escape

import matplotlib as mpl
import numpy as np
import PIL.Image
from matplotlib.animation import FuncAnimation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rmslab import optim, problems
from rmslab.plots import color_for, draw_landscape, series_colors
from rmslab.problems.base import Problem, check_int
from rmslab.run import run

#: Problems offered by the explorer's dropdown (name -> factory).
PROBLEMS = {
    "quadratic": lambda: problems.quadratic(kappa=20.0),
    "rotated quadratic": lambda: problems.quadratic(kappa=20.0, angle=np.pi / 4),
    "noisy quadratic": lambda: problems.noisy(problems.quadratic(kappa=20.0), sigma=0.5),
    "Rosenbrock": problems.rosenbrock,
    "plateau-cliff": problems.plateau_cliff,
}

#: Optimizers offered (name -> builder from the slider values). Adam's beta1 is the momentum
#: slider and its beta2 the beta slider.
OPTIMIZERS = {
    "GD": lambda lr, beta, eps, momentum: optim.gd(lr=lr),
    "Momentum": lambda lr, beta, eps, momentum: optim.momentum(lr=lr, momentum=momentum),
    "Adagrad": lambda lr, beta, eps, momentum: optim.adagrad(lr=lr, eps=eps),
    "RMSProp": lambda lr, beta, eps, momentum: optim.rmsprop(
        lr=lr, beta=beta, eps=eps, momentum=momentum
    ),
    "Adam": lambda lr, beta, eps, momentum: optim.adam(lr=lr, betas=(momentum, beta), eps=eps),
}

HYPERPARAMETERS = ("lr", "beta", "eps", "momentum")


def resolve_problem(problem) -> Problem:
    """A Problem instance, or one built from a :data:`PROBLEMS` name."""
    if isinstance(problem, Problem):
        return problem
    if problem not in PROBLEMS:
        raise ValueError(f"problem must be a Problem or one of {list(PROBLEMS)}, got {problem!r}")
    return PROBLEMS[problem]()


def build_optimizer(name: str, lr: float, beta: float, eps: float, momentum: float):
    """The :data:`OPTIMIZERS` entry ``name`` with these hyperparameters."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[name](lr=lr, beta=beta, eps=eps, momentum=momentum)


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


class Explorer:
    """Live explorer: dropdowns for the problem and the optimizer, sliders for lr (log), beta,
    eps (log) and momentum. ``controls`` maps names to the widgets; :meth:`update` is the
    callback (call it, or set ``controls[name].value``, to redraw without a front end)."""

    def __init__(self, problem, optimizer, lr, beta, eps, momentum, steps):
        import ipywidgets as widgets

        self.steps = check_int("steps", steps, 1)
        self.problem = resolve_problem(problem)
        build_optimizer(optimizer, lr, beta, eps, momentum)  # validates the starting values
        self.choices = dict(PROBLEMS)
        if isinstance(problem, Problem):
            self.choices[problem.name] = lambda: problem
        start = problem.name if isinstance(problem, Problem) else problem
        layout = {"continuous_update": True, "style": {"description_width": "70px"}}
        self.controls = {
            "problem": widgets.Dropdown(
                options=list(self.choices), value=start, description="problem"
            ),
            "optimizer": widgets.Dropdown(
                options=list(OPTIMIZERS), value=optimizer, description="optimizer"
            ),
            "lr": widgets.FloatLogSlider(
                value=lr,
                base=10,
                min=-4,
                max=1,
                step=0.05,
                description="lr",
                readout_format=".2g",
                **layout,
            ),
            "beta": widgets.FloatSlider(
                value=beta,
                min=0.0,
                max=0.999,
                step=0.001,
                description="beta",
                readout_format=".3f",
                **layout,
            ),
            "eps": widgets.FloatLogSlider(
                value=eps,
                base=10,
                min=-10,
                max=0,
                step=0.5,
                description="eps",
                readout_format=".0e",
                **layout,
            ),
            "momentum": widgets.FloatSlider(
                value=momentum, min=0.0, max=0.99, step=0.01, description="momentum", **layout
            ),
        }
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML()
        self.scene = Scene(self.problem, ["trajectory"], self.steps)
        for control in self.controls.values():
            control.observe(self.update, names="value")
        c = self.controls
        self.widget = widgets.VBox(
            [
                widgets.HBox([c["problem"], c["optimizer"]]),
                widgets.HBox([c["lr"], c["eps"]]),
                widgets.HBox([c["beta"], c["momentum"]]),
                self.image,
                self.status,
            ]
        )
        self.update()

    def update(self, change=None):
        """Re-run the optimizer with the current control values and redraw; returns the
        Trajectory. A changed problem rebuilds the figure; any other change only moves lines."""
        if change is not None and change.get("owner") is self.controls["problem"]:
            self.problem = self.choices[change["new"]]()
            self.scene = Scene(self.problem, ["trajectory"], self.steps)
        values = {k: self.controls[k].value for k in HYPERPARAMETERS}
        try:
            optimizer = build_optimizer(self.controls["optimizer"].value, **values)
        except ValueError as error:
            self.status.value = f"<span style='color:#D55E00'>{error}</span>"
            return None
        traj = run(optimizer, self.problem, steps=self.steps)
        name = self.controls["optimizer"].value
        self.scene.set_color(name)
        title = f"{name} on {self.problem.name}"
        self.image.value = self.scene.png([traj], title)
        final = f"{traj.gaps[-1]:.3g}"
        self.status.value = (
            f"diverged at step {traj.diverged_at}"
            if traj.diverged_at is not None
            else f"final loss gap after {traj.steps} steps: {final}"
        )
        return traj

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def explorer(
    problem="quadratic",
    optimizer: str = "RMSProp",
    lr: float = 0.05,
    beta: float = 0.9,
    eps: float = 1e-8,
    momentum: float = 0.0,
    steps: int = 200,
) -> Explorer:
    """Live ipywidgets explorer of one optimizer on one problem; see :class:`Explorer`.
    ``problem`` is a :data:`PROBLEMS` name or any Problem; ``optimizer`` an :data:`OPTIMIZERS`
    name. Display the returned object (last line of a cell) to use it."""
    return Explorer(problem, optimizer, lr, beta, eps, momentum, steps)


#: Offline glyphs for the animation buttons (matplotlib links Font Awesome from a CDN).
BUTTON_GLYPHS = {
    "fa-minus": "&minus;",
    "fa-fast-backward": "|&#x25C2;",
    "fa-step-backward": "&#x25C2;",
    "fa-play fa-flip-horizontal": "&#x25C0;",
    "fa-pause": "&#x275A;&#x275A;",
    "fa-play": "&#x25B6;",
    "fa-step-forward": "&#x25B8;",
    "fa-fast-forward": "&#x25B8;|",
    "fa-plus": "+",
}


def offline_jshtml(html: str, alt: str) -> str:
    """Make matplotlib's jshtml self-contained and accessible: drop the CDN stylesheet link,
    draw the buttons with Unicode glyphs, and give the frame image its ``alt`` text."""
    html = re.sub(r"<link[^>]*https?://[^>]*>", "", html)
    html = re.sub(r'<img id="(_anim_img\w+)"', rf'<img id="\1" alt="{escape(alt)}"', html)
    return re.sub(
        r'<i class="fa ([^"]+)"></i>', lambda m: BUTTON_GLYPHS.get(m.group(1), m.group(1)), html
    )


def animation_html(
    problem="quadratic",
    optimizer: str = "RMSProp",
    vary: str = "lr",
    values=None,
    steps: int = 100,
    fps: int = 4,
    dpi: int = 72,
    alt: str | None = None,
    **hyperparams,
):
    """Embedded animation (no kernel, no server, no CDN) for a static book page.

    ``vary`` is a hyperparameter (``"lr"``, ``"beta"``, ``"eps"``, ``"momentum"``) whose
    ``values`` become the frames (one full run each), or ``"t"`` to play one run step by step
    (``values`` then lists the steps shown, default 30 evenly spaced). Other hyperparameters
    come from ``hyperparams`` (defaults lr=0.05, beta=0.9, eps=1e-8, momentum=0). Each frame's
    title names the value shown, so the book only needs a caption. ``alt`` describes the
    animation for readers who cannot see it (a generic description if omitted). Returns
    ``IPython.display.HTML`` made with ``FuncAnimation.to_jshtml(embed_frames=True)``.
    """
    from IPython.display import HTML

    problem = resolve_problem(problem)
    steps = check_int("steps", steps, 1)
    unknown = set(hyperparams) - set(HYPERPARAMETERS)
    if unknown:
        raise ValueError(f"hyperparams must be among {HYPERPARAMETERS}, got {sorted(unknown)}")
    settings = {"lr": 0.05, "beta": 0.9, "eps": 1e-8, "momentum": 0.0, **hyperparams}
    if vary == "t":
        traj = run(build_optimizer(optimizer, **settings), problem, steps=steps)
        frames = np.linspace(1, traj.steps, min(30, traj.steps)).astype(int)
        frames = frames if values is None else [int(v) for v in values]
        if len(frames) == 0 or min(frames) < 0 or max(frames) > traj.steps:
            raise ValueError(f"values must be steps in [0, {traj.steps}], got {values!r}")
        trajectories = [truncate(traj, k) for k in frames]
        titles = [f"{optimizer}, step t = {k}" for k in frames]
    elif vary in HYPERPARAMETERS:
        if values is None or len(values) == 0:
            raise ValueError(f"values must list the {vary} values to animate, got {values!r}")
        trajectories = [
            run(build_optimizer(optimizer, **{**settings, vary: v}), problem, steps=steps)
            for v in values
        ]
        titles = [f"{optimizer}, {vary} = {v:.3g}" for v in values]
    else:
        raise ValueError(f"vary must be 't' or one of {HYPERPARAMETERS}, got {vary!r}")
    if len(trajectories) > 60:
        raise ValueError(f"values must give at most 60 frames, got {len(trajectories)}")
    scene = Scene(problem, [optimizer], steps, figsize=(7.0, 2.9), dpi=dpi)
    frames = [scene.render([traj], title) for traj, title in zip(trajectories, titles, strict=True)]
    height, width = frames[0].shape[:2]
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="none")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    image = ax.imshow(frames[0], interpolation="none")
    animation = FuncAnimation(
        fig, lambda i: [image.set_data(frames[i])], frames=len(frames), interval=1000 / fps
    )
    # savefig restores "no layout engine" from rcParams, so the book style must not apply here
    plain = {"figure.constrained_layout.use": False, "figure.autolayout": False}
    with mpl.rc_context({"savefig.dpi": "figure", "savefig.bbox": "standard", **plain}):
        html = animation.to_jshtml(fps=fps, embed_frames=True, default_mode="once")
    if alt is None:
        shown = "step t" if vary == "t" else vary
        alt = f"Animation of {optimizer} on the {problem.name} problem, one frame per {shown}."
    return HTML(offline_jshtml(html, alt))


def truncate(traj, k: int):
    """The first ``k`` steps of a Trajectory (positions and losses up to ``x_k``)."""
    from dataclasses import replace

    return replace(
        traj,
        xs=traj.xs[: k + 1],
        losses=traj.losses[: k + 1],
        grad_norms=traj.grad_norms[:k],
        effective_lr=traj.effective_lr[:k],
    )
