"""Tests for rmslab.widgets: explorer callbacks without a front end, embedded animations."""

import ast
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat
import numpy as np
import pytest

from rmslab import optim, plots, problems, widgets
from rmslab.run import run


@pytest.fixture
def explorer():
    """A fresh explorer per test: the tests move its controls, so sharing one would make each
    test depend on where the previous one left them."""
    return widgets.explorer(problem="quadratic", optimizer="RMSProp", lr=0.05, beta=0.9, steps=80)


def path_data(exp):
    return np.asarray(exp.scene.paths[0].get_xydata())


def test_slider_change_reruns_the_optimizer_and_redraws(explorer):
    before = explorer.image.value
    explorer.controls["lr"].value = 0.2
    explorer.controls["beta"].value = 0.5
    expected = run(
        optim.rmsprop(lr=0.2, beta=0.5, eps=explorer.controls["eps"].value),
        problems.quadratic(kappa=20.0),
        steps=80,
    )
    np.testing.assert_allclose(path_data(explorer), expected.xs, rtol=1e-12)
    gaps = np.asarray(explorer.scene.curves[0].get_ydata())
    np.testing.assert_allclose(gaps, expected.gaps, rtol=1e-12)
    assert bytes(explorer.image.value) != bytes(before)
    assert bytes(explorer.image.value).startswith(b"\x89PNG")
    assert "final loss gap" in explorer.status.value


def test_optimizer_and_problem_dropdowns(explorer):
    explorer.controls["optimizer"].value = "GD"
    assert explorer.scene.paths[0].get_color() == plots.color_for("GD")
    explorer.controls["problem"].value = "Rosenbrock"
    lr = explorer.controls["lr"].value
    expected = run(optim.gd(lr=lr), problems.rosenbrock(), steps=80)
    np.testing.assert_allclose(path_data(explorer), expected.xs, rtol=1e-12)
    assert explorer.scene.path_ax.get_xlim() == (-2.0, 2.0)
    explorer.controls["lr"].value = 1.0  # GD at lr = 1 on Rosenbrock blows up
    assert "diverged at step" in explorer.status.value
    assert "diverged" in explorer.scene.note.get_text()


def test_redraw_blits_only_the_moving_lines(explorer, monkeypatch):
    """Why a redraw is fast: no full figure draw, no new artists, the cached background reused.

    (The latency itself is a speed figure: benchmarks/harness.py prints it.)
    """
    scene = explorer.scene
    background, children = scene.background, len(scene.path_ax.get_children())
    full_draws, restored, drawn = [], [], []
    monkeypatch.setattr(scene.canvas, "draw", lambda *args, **kwargs: full_draws.append(1))
    restore, draw_artist = scene.canvas.restore_region, scene.fig.draw_artist
    monkeypatch.setattr(
        scene.canvas, "restore_region", lambda region: (restored.append(region), restore(region))
    )
    monkeypatch.setattr(
        scene.fig, "draw_artist", lambda artist: (drawn.append(artist), draw_artist(artist))
    )
    for lr in (0.01, 0.02, 0.04):
        before = explorer.image.value
        explorer.controls["lr"].value = lr
        assert explorer.image.value != before, "the picture did not change"
    assert full_draws == []
    assert restored == [background] * 3 and scene.background is background
    assert drawn == scene.moving * 3
    assert len(scene.path_ax.get_children()) == children


def test_explorer_accepts_a_problem_instance_and_rejects_unknown_names():
    reddi = problems.reddi_counterexample(3.0)
    exp = widgets.explorer(problem=reddi, optimizer="Adagrad", lr=0.1, steps=30)
    expected = run(optim.adagrad(lr=0.1, eps=1e-8), reddi, steps=30)
    np.testing.assert_allclose(path_data(exp)[:, 1], expected.xs[:, 0])  # x_t against t
    assert exp.controls["problem"].value == reddi.name
    with pytest.raises(ValueError, match="optimizer"):
        widgets.explorer(optimizer="Lion")
    with pytest.raises(ValueError, match="problem"):
        widgets.explorer(problem="Himmelblau")


def frames_of(html):
    return re.findall(r'frames\[\d+\] = "data:image/png;base64,(.*?)"', html, re.S)


def test_animation_is_self_contained_and_has_one_frame_per_value():
    html = widgets.animation_html(
        "quadratic", "RMSProp", vary="beta", values=[0.0, 0.5, 0.9, 0.99], steps=60, lr=0.1
    ).data
    frames = frames_of(html)
    assert len(frames) == 4 and len(set(frames)) == 4
    assert not re.search(r"https?://", html) and "<script" in html
    assert "fa fa-" not in html and len(html) < 1.5e6


def test_animation_through_time_and_bad_arguments():
    html = widgets.animation_html(
        "plateau-cliff", "RMSProp", vary="t", values=[1, 50, 100], steps=100, lr=0.03
    ).data
    assert len(frames_of(html)) == 3
    with pytest.raises(ValueError, match="vary"):
        widgets.animation_html(vary="kappa", values=[1.0])
    with pytest.raises(ValueError, match="values"):
        widgets.animation_html(vary="lr", values=[])
    with pytest.raises(ValueError, match="hyperparams"):
        widgets.animation_html(vary="lr", values=[0.1], alpha=0.9)
    with pytest.raises(ValueError, match="values"):
        widgets.animation_html(vary="t", values=[500], steps=100)


def test_animation_frame_image_carries_alt_text():
    default = widgets.animation_html("quadratic", "RMSProp", vary="lr", values=[0.05], steps=5)
    assert re.search(r'<img id="_anim_img\w+" alt="Animation of RMSProp on the', default.data)
    custom = widgets.animation_html(
        "quadratic", "RMSProp", vary="lr", values=[0.05], steps=5, alt='Paths "as lr grows"'
    )
    assert 'alt="Paths &quot;as lr grows&quot;"' in custom.data


def test_adam_starts_with_beta1_0_9_and_the_slider_says_so():
    exp = widgets.explorer(problem="quadratic", optimizer="Adam", lr=0.1, steps=20)
    slider = exp.controls["momentum"]
    assert slider.value == 0.9 and slider.description == "beta1"
    expected = run(optim.adam(lr=0.1, betas=(0.9, 0.9), eps=1e-8), problems.quadratic(20.0), 20)
    np.testing.assert_allclose(path_data(exp), expected.xs, rtol=1e-12)
    exp.controls["optimizer"].value = "Momentum"  # the slider means momentum again: reset to 0
    assert slider.value == 0.0 and slider.description == "momentum"
    exp.controls["optimizer"].value = "Adam"
    assert slider.value == 0.9 and slider.description == "beta1"
    explicit = widgets.explorer(optimizer="Adam", momentum=0.5, steps=5)
    assert explicit.controls["momentum"].value == 0.5


def test_slider_descriptions_fit_their_width(explorer):
    """ipywidgets cuts a description longer than description_width; at 13 px sans-serif a
    character is at most about 10 px wide (the old 70 px cut "momentum" off)."""
    sliders = {k: c for k, c in explorer.controls.items() if k in widgets.HYPERPARAMETERS}
    assert len(sliders) == 4
    for name, control in sliders.items():
        width = int(control.style.description_width.removesuffix("px"))
        assert width >= 10 * len(control.description), name


def test_public_names_stay_importable_from_the_package():
    from rmslab.widgets import animation, catalogue, live, scene

    assert widgets.explorer is live.explorer and widgets.Scene is scene.Scene
    assert widgets.animation_html is animation.animation_html
    assert widgets.PROBLEMS is catalogue.PROBLEMS and widgets.OPTIMIZERS is catalogue.OPTIMIZERS
    for name in widgets.__all__:
        assert getattr(widgets, name) is not None


def live_cells():
    """The chapters' live-kernel explorer cells (cell id ``explorer-live``, tagged
    ``skip-execution``: the book shows them, a kernel runs them)."""
    root = Path(__file__).resolve().parents[1]
    found = []
    for path in sorted(root.glob("chapters/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.get("id") == "explorer-live":
                found.append(pytest.param(ast.parse(cell.source), cell, id=path.stem))
    return found


@pytest.mark.parametrize(("tree", "cell"), live_cells())
def test_chapter_live_explorer_cells_run_and_show_an_explorer(tree, cell):
    assert "skip-execution" in cell.metadata.get("tags", [])
    *body, last = tree.body
    namespace = {"np": np, "problems": problems}
    exec(compile(ast.Module(body, []), "<cell>", "exec"), namespace)
    shown = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
    assert isinstance(shown, widgets.Explorer)
    assert bytes(shown.image.value).startswith(b"\x89PNG")
    assert "final loss gap" in shown.status.value


def test_chapters_one_to_six_have_a_live_explorer_cell():
    expected = {
        "01_gradient_descent",
        "02_momentum",
        "03_adagrad",
        "04_rmsprop",
        "05_rmsprop_in_practice",
        "06_adam",
        "07_real_networks",
    }
    assert {p.id for p in live_cells()} >= expected
