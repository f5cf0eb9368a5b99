"""Where the built book is and which pages it has; shared by the tests of the built book."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HTML_DIR = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html")).resolve()
# Sphinx's own generated pages: not part of the table of contents, no screenshot needed.
GENERATED_PAGES = {"genindex.html", "search.html", "py-modindex.html"}


def is_redirect(path: Path) -> bool:
    """Jupyter Book's index.html is a one-line meta refresh to the root page, not a page."""
    head = path.read_text(encoding="utf-8", errors="replace")[:1000].lower()
    return "<html" not in head and 'http-equiv="refresh"' in head


def built_pages() -> list[str]:
    """Every HTML page of the built book, as a path relative to the HTML directory."""
    skip = {"_static", "_sources", "_images", "_sphinx_design_static"}
    return sorted(
        str(path.relative_to(HTML_DIR))
        for path in HTML_DIR.rglob("*.html")
        if not skip.intersection(path.relative_to(HTML_DIR).parts) and not is_redirect(path)
    )


def content_pages() -> list[str]:
    """The pages written by the authors (the table of contents), without Sphinx's own."""
    return [page for page in built_pages() if page not in GENERATED_PAGES]


def book_missing_reason() -> str | None:
    if not (HTML_DIR / "index.html").is_file():
        return f"no built book at {HTML_DIR}: run `make book` first (or set BOOK_HTML)"
    return None
