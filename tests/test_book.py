"""rmslab.book: the glue and source-display helpers the notebooks use."""

import matplotlib

matplotlib.use("Agg")

import IPython.display  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import myst_nb.ext.glue  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rmslab import book  # noqa: E402


@pytest.fixture
def displayed(monkeypatch):
    """Record what rmslab.book and myst-nb's own glue send to IPython's display."""
    calls = []

    def record(*objs, **kwargs):
        calls.append((objs, kwargs))

    monkeypatch.setattr(IPython.display, "display", record)
    monkeypatch.setattr(myst_nb.ext.glue, "ipy_display", record)
    return calls


@pytest.mark.parametrize("value", [0.25, 3, "text", [1, 2]])
def test_glue_writes_exactly_what_myst_nb_glue_writes(displayed, value):
    book.glue("name", value)
    myst_nb.ext.glue.glue("name", value, display=False)
    ours, theirs = displayed
    assert ours == theirs
    (bundle,), kwargs = ours
    assert all(key.startswith(book.GLUE_PREFIX) for key in bundle)
    assert kwargs["metadata"]["scrapbook"]["name"] == "name"


def test_glue_converts_numpy_scalars_to_python_numbers(displayed):
    book.glue("x", np.float64(0.25))
    book.glue("x", 0.25)
    assert displayed[0] == displayed[1]
    (bundle,), _ = displayed[0]
    assert bundle[book.GLUE_PREFIX + "text/plain"] == "0.25"


def test_glue_returns_nothing_so_a_last_line_prints_nothing(displayed):
    assert book.glue("x", 1.5) is None


def test_glue_without_myst_nb_is_a_no_op(displayed, monkeypatch):
    monkeypatch.setattr(book, "myst_nb_available", lambda: False)
    book.glue("x", 1.0)
    assert displayed == []


def test_glue_figure_matches_myst_nb_and_closes_the_figure(displayed):
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    myst_nb.ext.glue.glue("fig", fig, display=True)
    book.glue_figure("fig", fig)
    theirs, ours = displayed
    assert ours == theirs
    assert not plt.fignum_exists(fig.number)


def test_glue_figure_without_myst_nb_just_displays(displayed, monkeypatch):
    monkeypatch.setattr(book, "myst_nb_available", lambda: False)
    fig, _ = plt.subplots()
    book.glue_figure("fig", fig)
    assert displayed == [((fig,), {})]


def test_show_source_shows_the_real_code():
    code = book.show_source(book.glue)
    assert "def glue(name" in code.data
    assert "emit_glue(name, value, display=False)" in code.data


def test_markdown_table_has_a_header_a_rule_and_one_line_per_row():
    table = book.markdown_table(["method", "steps"], [("GD", 120), ("RMSProp", 7)])
    assert table.data.splitlines() == [
        "| method | steps |",
        "|---|---|",
        "| GD | 120 |",
        "| RMSProp | 7 |",
    ]
    with pytest.raises(ValueError, match=r"^rows\[1\] must have 2 cells .*got 3$"):
        book.markdown_table(["a", "b"], [(1, 2), (1, 2, 3)])
