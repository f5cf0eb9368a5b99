"""Sphinx extension that keeps the built book self-contained and free of console errors.

1. Inline scripts are emitted once. Sphinx 7.4's ``Sphinx.add_js_file(None, body=...)``, called
   after the HTML builder has started (sphinx-thebe does so in ``env-before-read-docs``), stores
   the script under the file name ``None``; the builder later re-adds every registered script
   with the file name ``''``, and since ``None != ''`` the de-duplication misses it. Every page
   then declares ``const THEBE_JS_URL`` twice and the browser throws
   ``Identifier 'THEBE_JS_URL' has already been declared``. Sphinx fixed this upstream
   (sphinx-doc/sphinx#13402, Sphinx 8.2) by passing ``filename or ''`` to the builder; this
   extension applies the same normalisation to the builder of this build, before any other
   extension adds a script (sphinx-togglebutton's selector script was duplicated the same way,
   harmlessly, as it uses ``var``). It is a no-op on a Sphinx that already has the fix.

2. MathJax is served from the built site. ``sphinx-mathjax-offline`` copies MathJax 3 into
   ``_static/mathjax`` and points ``mathjax_path`` at it; if ``mathjax_path`` is still a URL
   (the extension missing from ``_config.yml``, or overridden), the build warns, which fails the
   strict ``-W`` build instead of publishing pages that fetch MathJax from a CDN at view time.
"""

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _normalise_inline_scripts(app: Sphinx) -> None:
    add_js_file = getattr(app.builder, "add_js_file", None)
    if add_js_file is None:  # not an HTML builder
        return

    def add_js_file_once(filename, **kwargs):
        return add_js_file(filename or "", **kwargs)

    app.builder.add_js_file = add_js_file_once


def _require_local_mathjax(app: Sphinx) -> None:
    if getattr(app.builder, "math_renderer_name", None) != "mathjax":
        return
    if "://" in app.config.mathjax_path or app.config.mathjax_path.startswith("//"):
        logger.warning(
            "mathjax_path is a remote URL (%s): pages would fetch MathJax from another host. "
            "Add sphinx-mathjax-offline to sphinx.extra_extensions in _config.yml.",
            app.config.mathjax_path,
        )


def setup(app: Sphinx) -> dict:
    # Before any other extension's builder-inited handler adds an inline script
    # (sphinx-togglebutton does so there; sphinx-thebe later, in env-before-read-docs).
    app.connect("builder-inited", _normalise_inline_scripts, priority=100)
    app.connect("builder-inited", _require_local_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
