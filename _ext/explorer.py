"""Sphinx extension: the kernel-less explorer, and accessibility fixes to the generated HTML.

1. **Explorer.** A chapter places an explorer with a raw HTML block in a markdown cell::

       <div class="rmslab-explorer" data-config='{"problem": "quadratic", "kappa": 10,
            "a": {"optimizer": "gd", "lr": 0.3}, "b": {"optimizer": "momentum", "lr": 0.3}}'>
       <p>Fallback text, shown without JavaScript.</p></div>

   ``data-config`` keys are described in ``explorer_static/rmslab-explorer.js``. Pages that
   hold such a block get the two scripts and the stylesheet of ``explorer_static/`` (served
   from the site: no CDN); other pages get nothing. ``rmslab-explorer-core.js`` holds the
   numerics, tested equal to ``rmslab`` by ``tests/browser/test_explorer.py``.

2. **Accessibility** (axe-core, WCAG 2.1 A and AA; ``tests/browser/test_accessibility.py``):
   matplotlib's jshtml animation slider gets a label; sphinxcontrib-bibtex's citation list
   drops the deprecated ``doc-biblioentry`` role (its list also lacked list items); controls
   whose ``aria-label`` hid their visible text are named by that text; and
   ``rmslab-a11y.css`` (every page) darkens the theme colours that fail the 4.5:1 contrast.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx

STATIC = Path(__file__).resolve().parent / "explorer_static"
MARKER = 'class="rmslab-explorer"'


def _add_static_path(app: Sphinx, config) -> None:
    config.html_static_path.append(str(STATIC))


def label_animation_sliders(html: str) -> str:
    """Give matplotlib's unlabelled frame slider (``class="anim-slider"``) an accessible name."""
    return re.sub(
        r'<input(?![^>]*aria-label)([^>]*class="anim-slider")',
        r'<input aria-label="animation frame"\1',
        html,
    )


def fix_bibliography_roles(html: str) -> str:
    """``role="doc-biblioentry"`` is deprecated (DPUB-ARIA 1.1), and a ``role="list"`` whose
    children are not ``listitem`` is invalid: entries become list items of the list."""
    return html.replace('role="doc-biblioentry"', 'role="listitem"')


def name_from_content(html: str) -> str:
    """Drop ``aria-label``s that hide a control's visible text from its accessible name
    (axe's label-content-name-mismatch): myst-nb's "Show code cell source" toggles, the theme's
    search field ("Search Ctrl+K") and the titles of the theme switch's icons ("Light" inside
    a button named "Color mode")."""
    html = html.replace('<summary aria-label="Toggle hidden content">', "<summary>")
    search_field = r'(<button class="[^"]*search-button-field[^"]*"[^>]*?) aria-label="Search"'
    html = re.sub(search_field, r"\1", html)
    return re.sub(r'(<i class="theme-switch [^"]*" data-mode="\w+")\s+title="[^"]*"', r"\1", html)


def _page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    body = context.get("body")
    if not body:
        return
    body = name_from_content(fix_bibliography_roles(label_animation_sliders(body)))
    context["body"] = body
    if MARKER in body:
        app.add_css_file("rmslab-explorer.css")
        app.add_js_file("rmslab-explorer-core.js")
        app.add_js_file("rmslab-explorer.js", defer="defer")


def _rewrite_pages(app: Sphinx, exception) -> None:
    """The theme's navbar is not in ``body``: fix it in the written pages."""
    if exception is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir).rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        fixed = name_from_content(html)
        if fixed != html:
            path.write_text(fixed, encoding="utf-8")


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _add_static_path)
    app.connect("html-page-context", _page)
    app.connect("build-finished", _rewrite_pages, priority=400)  # before handlers that may fail
    app.add_css_file("rmslab-a11y.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
