"""The HTML rewrites of `_ext/explorer.py` on the markup the book's generators really emit
(matplotlib's jshtml, sphinxcontrib-bibtex, myst-nb, pydata-sphinx-theme). The built pages are
checked end to end by `tests/browser/test_accessibility.py` (axe-core)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))

import explorer  # noqa: E402

from rmslab import widgets  # noqa: E402


def test_animation_slider_gets_a_label_once():
    html = widgets.animation_html("quadratic", "GD", vary="lr", values=[0.1, 0.2], steps=3).data
    assert 'class="anim-slider"' in html and 'aria-label="animation frame"' not in html
    fixed = explorer.label_animation_sliders(html)
    assert fixed.count('aria-label="animation frame"') == 1
    assert explorer.label_animation_sliders(fixed) == fixed  # idempotent


def test_bibliography_entries_become_list_items():
    html = '<div role="list" class="citation-list"><div role="doc-biblioentry" id="a">A</div></div>'
    fixed = explorer.fix_bibliography_roles(html)
    assert 'role="doc-biblioentry"' not in fixed and 'role="listitem"' in fixed


def test_visible_text_names_the_controls():
    search = (
        '<button class="btn search-button-field search-button__button pst-js-only" '
        'title="Search" aria-label="Search" data-bs-placement="bottom">'
        "<span>Search</span><kbd>Ctrl</kbd>+<kbd>K</kbd></button>"
    )
    icon_only = '<button class="btn search-button search-button__button" aria-label="Search">'
    switch = '<i class="theme-switch fa-solid fa-moon   fa-lg" data-mode="dark"  title="Dark"></i>'
    toggle = '<summary aria-label="Toggle hidden content">'
    fixed = explorer.name_from_content(search + icon_only + switch + toggle)
    assert fixed.count('aria-label="Search"') == 1  # the icon-only button keeps its name
    assert 'title="Dark"' not in fixed and 'data-mode="dark"' in fixed
    assert "<summary>" in fixed and 'title="Search"' in fixed
