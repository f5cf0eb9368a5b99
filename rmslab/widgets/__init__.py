"""Interactive figures: a live ipywidgets explorer and its kernel-less twin, an embedded animation.

Both draw the same two panels: the path of the iterates (over contour lines for a 2-D problem,
otherwise the first coordinate against ``t``) and the loss gap on a log scale. One module per job:

* :mod:`~rmslab.widgets.catalogue`: the problems and optimizers offered, by name;
* :mod:`~rmslab.widgets.scene`: drawing, the blitted two-panel figure;
* :mod:`~rmslab.widgets.live`: the live ipywidgets explorer (:func:`explorer`);
* :mod:`~rmslab.widgets.animation`: the embedded jshtml animation (:func:`animation_html`).

The book's kernel-less explorer (JavaScript, ``_ext/explorer_static``) is tested equal to
:mod:`rmslab.optim`; this package needs a kernel.
"""

from rmslab.widgets.animation import BUTTON_GLYPHS, animation_html, offline_jshtml, truncate
from rmslab.widgets.catalogue import (
    HYPERPARAMETERS,
    OPTIMIZERS,
    PROBLEMS,
    build_optimizer,
    default_momentum,
    resolve_problem,
)
from rmslab.widgets.live import Explorer, explorer
from rmslab.widgets.scene import Scene

__all__ = [
    "BUTTON_GLYPHS",
    "HYPERPARAMETERS",
    "OPTIMIZERS",
    "PROBLEMS",
    "Explorer",
    "Scene",
    "animation_html",
    "build_optimizer",
    "default_momentum",
    "explorer",
    "offline_jshtml",
    "resolve_problem",
    "truncate",
]
