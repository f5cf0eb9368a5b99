"""The live ipywidgets explorer: dropdowns and sliders that re-run an optimizer and redraw.

The frame goes to an ``ipywidgets.Image`` as PNG, so the explorer needs no interactive
matplotlib backend (it works in JupyterLab, Colab and VS Code alike).
"""

from __future__ import annotations

from rmslab.problems.base import Problem, check_int
from rmslab.run import run
from rmslab.widgets.catalogue import (
    HYPERPARAMETERS,
    MOMENTUM_LABEL,
    OPTIMIZERS,
    PROBLEMS,
    build_optimizer,
    default_momentum,
    resolve_problem,
)
from rmslab.widgets.scene import Scene


class Explorer:
    """Live explorer: dropdowns for the problem and the optimizer, sliders for lr (log), beta,
    eps (log) and momentum. ``controls`` maps names to the widgets; :meth:`update` is the
    callback (call it, or set ``controls[name].value``, to redraw without a front end)."""

    def __init__(self, problem, optimizer, lr, beta, eps, momentum, steps):
        import ipywidgets as widgets

        self.steps = check_int("steps", steps, 1)
        self.problem = resolve_problem(problem)
        if momentum is None:
            momentum = default_momentum(optimizer)
        build_optimizer(optimizer, lr, beta, eps, momentum)  # validates the starting values
        self.choices = dict(PROBLEMS)
        if isinstance(problem, Problem):
            self.choices[problem.name] = lambda: problem
        start = problem.name if isinstance(problem, Problem) else problem
        # 90px holds the longest description ("momentum") without cutting it off.
        layout = {"continuous_update": True, "style": {"description_width": "90px"}}
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
                value=momentum,
                min=0.0,
                max=0.99,
                step=0.01,
                description=MOMENTUM_LABEL.get(optimizer, "momentum"),
                **layout,
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
        if change is not None and change.get("owner") is self.controls["optimizer"]:
            self.switch_momentum(change["old"], change["new"])
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

    def switch_momentum(self, old: str, new: str) -> None:
        """Relabel the momentum slider (Adam: beta1) and, when its meaning changes, reset it
        to the new optimizer's default without a redraw of the intermediate state."""
        slider = self.controls["momentum"]
        slider.description = MOMENTUM_LABEL.get(new, "momentum")
        if MOMENTUM_LABEL.get(old) != MOMENTUM_LABEL.get(new):
            slider.unobserve(self.update, names="value")
            slider.value = default_momentum(new)
            slider.observe(self.update, names="value")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def explorer(
    problem="quadratic",
    optimizer: str = "RMSProp",
    lr: float = 0.05,
    beta: float = 0.9,
    eps: float = 1e-8,
    momentum: float | None = None,
    steps: int = 200,
) -> Explorer:
    """Live ipywidgets explorer of one optimizer on one problem; see :class:`Explorer`.
    ``problem`` is a :data:`PROBLEMS` name or any Problem; ``optimizer`` an :data:`OPTIMIZERS`
    name; ``momentum`` (Adam's beta1) defaults to :func:`default_momentum` (0.9 for Adam,
    else 0). Display the returned object (last line of a cell) to use it."""
    return Explorer(problem, optimizer, lr, beta, eps, momentum, steps)
