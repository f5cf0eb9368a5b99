"""Helpers the book's notebooks use to show code and to put computed numbers into the prose.

The book never pastes numbers into its text: a code cell computes them and :func:`glue` hands
them to the page (myst-nb's ``{glue:text}`` role). Outside the book build (Colab, a plain
Jupyter) myst-nb may be missing; then :func:`glue` does nothing.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np


def glue(name: str, value: Any) -> None:
    """Register ``value`` under ``name`` for the page's ``{glue:text}`name``` references.

    numpy scalars are converted to Python numbers first: numpy 2 writes ``np.float64(0.5)`` as
    their text form, which myst-nb's number formatting (``{glue:text}`name:.2f```) cannot read.
    """
    if isinstance(value, np.generic):
        value = value.item()
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # running outside the book build
        return
    myst_glue(name, value, display=False)


def glue_figure(name: str, fig) -> None:
    """Register a matplotlib figure for a captioned ``{glue:figure}`name``` on the page.

    The figure is also displayed in the cell, so a reader in Jupyter or Colab sees it; the book
    hides that copy with the cell tag ``remove-output`` and shows the captioned one instead.
    """
    import matplotlib.pyplot as plt

    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # running outside the book build
        from IPython.display import display

        display(fig)
    else:
        myst_glue(name, fig, display=True)
    plt.close(fig)


def show_source(obj: Any):
    """Display the source code of a function or class from ``rmslab``, syntax-highlighted.

    The book shows the package's real code with this, never a copy: what you read is what ran.
    """
    from IPython.display import Code

    return Code(inspect.getsource(obj), language="python")
