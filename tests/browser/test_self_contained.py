"""The built HTML, read as files: nothing is fetched from another host, MathJax is on the site,
no inline script is emitted twice, and the chapters that build an animation show one.

The browser tests prove the same at view time; these say which tag is at fault, and run
without Chromium.
"""

from __future__ import annotations

import functools
import re

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup
from builtbook import HTML_DIR, ROOT, book_missing_reason, content_pages

MISSING = book_missing_reason()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

# Tags whose attribute makes the browser fetch something as soon as the page is shown.
FETCHING = {
    "script": "src",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
    "object": "data",
}
OFFSITE = re.compile(r"^(https?:)?//", re.IGNORECASE)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
CSS_OFFSITE = re.compile(r"(@import\s+|url\()\s*['\"]?(https?:)?//", re.IGNORECASE)


@functools.cache
def soup(page: str) -> BeautifulSoup:
    return BeautifulSoup((HTML_DIR / page).read_text(encoding="utf-8"), "html.parser")


def offsite_assets(html: BeautifulSoup) -> list[str]:
    found = [
        f"<{tag.name} {attribute}={tag[attribute]}>"
        for name, attribute in FETCHING.items()
        for tag in html.find_all(name, attrs={attribute: OFFSITE})
    ]
    fetched_links = {"stylesheet", "icon", "preload", "modulepreload", "manifest"}
    for link in html.find_all("link", href=OFFSITE):
        # A stylesheet, icon, font or preload is fetched; a "canonical" or "author" link is not.
        if fetched_links & set(link.get("rel", [])):
            found.append(f"<link rel={link.get('rel')} href={link['href']}>")
    return found


def test_offsite_detector_catches_a_cdn_script_and_stylesheet():
    html = BeautifulSoup(
        '<script src="https://cdn.example.org/x.js"></script>'
        '<link rel="stylesheet" href="//cdn.example.org/x.css">'
        '<link rel="canonical" href="https://example.org/page.html">'
        '<img src="_static/local.png">',
        "html.parser",
    )
    assert len(offsite_assets(html)) == 2


def test_page_fetches_nothing_from_another_host(page):
    assert offsite_assets(soup(page)) == []


def test_stylesheets_import_nothing_from_another_host():
    stylesheets = sorted((HTML_DIR / "_static").rglob("*.css"))
    assert stylesheets, "no stylesheet in _static: the loop below would check nothing"
    for css in stylesheets:
        text = CSS_COMMENT.sub("", css.read_text(encoding="utf-8", errors="replace"))
        assert not CSS_OFFSITE.search(text), f"{css.relative_to(HTML_DIR)} loads a remote file"


def test_math_pages_load_mathjax_from_the_site(page):
    html = soup(page)
    if not html.select(".math"):
        return
    scripts = [s["src"] for s in html.find_all("script", src=True) if "mathjax" in s["src"]]
    assert len(scripts) == 1, scripts
    local = (HTML_DIR / page).parent / scripts[0].split("?")[0]
    assert local.resolve().is_relative_to(HTML_DIR / "_static" / "mathjax"), scripts[0]
    assert local.is_file()
    fonts = HTML_DIR / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert any(fonts.glob("MathJax_Main-Regular.woff")), "MathJax's fonts were not copied"


def test_no_inline_script_is_emitted_twice(page):
    """Sphinx 7.4 emitted sphinx-thebe's config twice (fixed by _ext/offline_book.py)."""
    bodies = [s.string for s in soup(page).find_all("script", src=False) if s.string]
    assert [b for b in set(bodies) if bodies.count(b) > 1] == []


def test_index_redirects_to_a_built_page():
    text = (HTML_DIR / "index.html").read_text(encoding="utf-8")
    target = re.search(r'url=([^"\']+)', text)
    assert target and (HTML_DIR / target.group(1)).is_file()


def toc_notebooks() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [entry["file"] for part in toc["parts"] for entry in part["chapters"]]
    return [entry for entry in entries if (ROOT / f"{entry}.ipynb").is_file()]


def calls_animation(entry: str) -> bool:
    notebook = nbformat.read(ROOT / f"{entry}.ipynb", as_version=4)
    return any(
        cell.cell_type == "code"
        and "animation_html(" in cell.source
        and "remove-cell" not in cell.metadata.get("tags", [])
        and "remove-output" not in cell.metadata.get("tags", [])
        for cell in notebook.cells
    )


@pytest.mark.parametrize(
    "entry",
    [pytest.param(None, marks=pytest.mark.skip(reason=MISSING))] if MISSING else toc_notebooks(),
)
def test_a_notebook_that_builds_an_animation_shows_it(entry):
    """So that the browser's animation test has something to play wherever one is promised."""
    if not calls_animation(entry):
        return
    assert soup(f"{entry}.html").select("div.animation"), "no to_jshtml animation on the page"


def test_the_checks_are_not_vacuous():
    """The book has what the per-page tests look for, so that they do not all pass on nothing:
    math, captioned figures, both kinds of collapsible solution, and animations."""
    pages = [soup(page) for page in content_pages()]
    assert sum(len(p.select(".math")) for p in pages) > 0
    assert sum(len(p.select("article figure figcaption")) for p in pages) > 0
    assert sum(len(p.select(".solution.dropdown")) for p in pages) > 0
    # the two kinds test_pages.py's SOLUTIONS finds: sphinx-exercise solutions, nbgrader cells
    assert sum(len(p.select(".solution.admonition")) for p in pages) > 0
    solution_cells = [
        pre
        for p in pages
        for pre in p.select(".cell .cell_input pre")
        if "### BEGIN SOLUTION" in pre.get_text()
    ]
    assert solution_cells, "no nbgrader solution cell on any page"
    # test_a_notebook_that_builds_an_animation_shows_it returns early for every notebook
    # that builds none: at least one must, and the book must show one.
    assert any(calls_animation(entry) for entry in toc_notebooks())
    assert sum(len(p.select("div.animation")) for p in pages) > 0
