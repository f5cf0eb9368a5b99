"""rmslab.book: the glue and source-display helpers the notebooks use."""

import sys
import types

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rmslab import book  # noqa: E402


@pytest.fixture
def captured_glue(monkeypatch):
    """Replace myst_nb.glue with a recorder."""
    calls = []
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: calls.append((name, value, display))
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    return calls


def test_glue_converts_numpy_scalars_to_python_numbers(captured_glue):
    book.glue("x", np.float64(0.25))
    book.glue("n", np.int64(3))
    (name, value, display), (_, count, _) = captured_glue
    assert (name, display) == ("x", False)
    assert type(value) is float and value == 0.25
    assert type(count) is int and count == 3
    assert format(value, ".2f") == "0.25"


def test_glue_returns_nothing_so_a_last_line_prints_nothing(captured_glue):
    assert book.glue("x", 1.5) is None


def test_glue_without_myst_nb_is_a_no_op(monkeypatch):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # makes `import myst_nb` raise ImportError
    assert book.glue("x", 1.0) is None


def test_glue_figure_displays_and_closes_the_figure(captured_glue):
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    book.glue_figure("fig", fig)
    assert captured_glue == [("fig", fig, True)]
    assert not plt.fignum_exists(fig.number)


def test_show_source_shows_the_real_code():
    code = book.show_source(book.glue)
    assert "def glue(name" in code.data
    assert "myst_glue(name, value, display=False)" in code.data
