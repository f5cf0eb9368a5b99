"""Helpers the book's notebooks use to show code and to put computed numbers into the prose.

The book never pastes numbers into its text: a code cell computes them and :func:`glue` hands
them to the page (myst-nb's ``{glue:text}`` role). Outside the book build (Colab, a plain
Jupyter) myst-nb may be missing; then :func:`glue` does nothing.

Gluing writes a cell output in myst-nb's glue format (``myst_nb.ext.glue.glue``): the value's
display data, under a ``scrapbook`` metadata key naming it. It is written here rather than by
calling myst-nb, whose import costs about 1.5 s per notebook; a test checks the two agree.
"""

from __future__ import annotations

import importlib.util
import inspect
from typing import Any

import numpy as np

#: myst-nb stores hidden glued values under mime types with this prefix.
GLUE_PREFIX = "application/papermill.record/"


def myst_nb_available() -> bool:
    """Whether myst-nb is installed (the book build), checked without importing it."""
    return importlib.util.find_spec("myst_nb") is not None


def emit_glue(name: str, value: Any, *, display: bool) -> None:
    """Write ``value`` as a glued output named ``name``, as ``myst_nb.glue`` does."""
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipy_display

    mimebundle, metadata = format_display_data(value)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + k: v for k, v in mimebundle.items()}, raw=True, metadata=metadata)


def glue(name: str, value: Any) -> None:
    """Register ``value`` under ``name`` for the page's ``{glue:text}`name``` references.

    numpy scalars are converted to Python numbers first: numpy 2 writes ``np.float64(0.5)`` as
    their text form, which myst-nb's number formatting (``{glue:text}`name:.2f```) cannot read.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if myst_nb_available():
        emit_glue(name, value, display=False)


def glue_figure(name: str, fig) -> None:
    """Register a matplotlib figure for a captioned ``{glue:figure}`name``` on the page.

    The figure is also displayed in the cell, so a reader in Jupyter or Colab sees it; the book
    hides that copy with the cell tag ``remove-output`` and shows the captioned one instead.
    """
    import matplotlib.pyplot as plt

    if myst_nb_available():
        emit_glue(name, fig, display=True)
    else:  # running outside the book build
        from IPython.display import display

        display(fig)
    plt.close(fig)


def show_source(obj: Any):
    """Display the source code of a function or class from ``rmslab``, syntax-highlighted.

    The book shows the package's real code with this, never a copy: what you read is what ran.
    """
    from IPython.display import Code

    return Code(inspect.getsource(obj), language="python")


def markdown_table(header, rows):
    """A Markdown table for :func:`glue`: ``| h1 | h2 |``, a ``|---|---|`` line, one line a row.

    Cells are written with ``str``; each row must have one cell per header entry. Returns an
    ``IPython.display.Markdown``, which ``{glue:md}`` (or ``{glue}``) shows as a table.
    """
    from IPython.display import Markdown

    header = [str(h) for h in header]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for i, row in enumerate(rows):
        cells = [str(c) for c in row]
        if len(cells) != len(header):
            raise ValueError(
                f"rows[{i}] must have {len(header)} cells (one per header entry), got {len(cells)}"
            )
        lines.append("| " + " | ".join(cells) + " |")
    return Markdown("\n".join(lines))
