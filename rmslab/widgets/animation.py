"""Embedded animations for the static book: one full run per frame, no kernel, no CDN."""

from __future__ import annotations

import re
from dataclasses import replace
from html import escape

import matplotlib as mpl
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rmslab.problems.base import check_int
from rmslab.run import run
from rmslab.widgets.catalogue import (
    HYPERPARAMETERS,
    build_optimizer,
    default_momentum,
    resolve_problem,
)
from rmslab.widgets.scene import Scene

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
    come from ``hyperparams`` (defaults lr=0.05, beta=0.9, eps=1e-8, momentum=0, or 0.9 as
    Adam's beta1). Each frame's
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
    momentum = default_momentum(optimizer)
    settings = {"lr": 0.05, "beta": 0.9, "eps": 1e-8, "momentum": momentum, **hyperparams}
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
    return replace(
        traj,
        xs=traj.xs[: k + 1],
        losses=traj.losses[: k + 1],
        grad_norms=traj.grad_norms[:k],
        effective_lr=traj.effective_lr[:k],
    )
