"""Launch and download buttons of the built pages lead to this repository's notebooks.

The expected links are rebuilt here from `_config.yml` and `_toc.yml` (the repository, branch and
launch services named there), then compared with what the built HTML carries. No browser needed.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup
from builtbook import HTML_DIR, ROOT, book_missing_reason

MISSING = book_missing_reason()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
NOTEBOOK_PAGES = [
    entry["file"]
    for part in TOC["parts"]
    for entry in part["chapters"]
    if entry["file"].startswith(("chapters/", "labs/"))
]


def repository() -> tuple[str, str, str]:
    """(owner, name, branch) of the repository that `_config.yml` names."""
    url = CONFIG["repository"]["url"]
    parts = urlsplit(url)
    assert parts.netloc == "github.com", f"launch buttons need a GitHub repository, got {url}"
    owner, name = parts.path.strip("/").removesuffix(".git").split("/")
    return owner, name, CONFIG["repository"].get("branch", "main")


def notebook_path(page: str) -> str:
    """The notebook's path inside the repository."""
    book_dir = (CONFIG["repository"].get("path_to_book") or "").strip("/")
    return f"{book_dir}/{page}.ipynb" if book_dir else f"{page}.ipynb"


@functools.cache
def soup(page: str) -> BeautifulSoup:
    return BeautifulSoup((HTML_DIR / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


def links(page: str, prefix: str) -> list[str]:
    return [a["href"] for a in soup(page).find_all("a", href=True) if a["href"].startswith(prefix)]


def test_the_book_has_chapters_and_labs():
    assert any(page.startswith("chapters/") for page in NOTEBOOK_PAGES)
    assert any(page.startswith("labs/") for page in NOTEBOOK_PAGES)
    for page in NOTEBOOK_PAGES:
        assert (ROOT / f"{page}.ipynb").is_file(), f"{page} is not a notebook"
        assert (HTML_DIR / f"{page}.html").is_file(), f"{page} was not built"


@pytest.mark.parametrize("notebook", NOTEBOOK_PAGES)
def test_binder_link_opens_this_notebook_of_this_repository(notebook):
    owner, name, branch = repository()
    hub = CONFIG["launch_buttons"]["binderhub_url"].rstrip("/")
    interface = {"jupyterlab": "lab/tree", "classic": "tree"}[
        CONFIG["launch_buttons"].get("notebook_interface", "classic")
    ]
    expected = f"{hub}/v2/gh/{owner}/{name}/{branch}?urlpath={interface}/{notebook_path(notebook)}"
    assert links(notebook, f"{hub}/") == [expected]


@pytest.mark.parametrize("notebook", NOTEBOOK_PAGES)
def test_colab_link_opens_this_notebook_of_this_repository(notebook):
    owner, name, branch = repository()
    colab = CONFIG["launch_buttons"]["colab_url"].rstrip("/")
    expected = f"{colab}/github/{owner}/{name}/blob/{branch}/{notebook_path(notebook)}"
    assert links(notebook, f"{colab}/") == [expected]


@pytest.mark.parametrize("notebook", NOTEBOOK_PAGES)
def test_download_button_serves_the_notebook(notebook):
    buttons = soup(notebook).select("a.btn-download-source-button")
    assert len(buttons) == 1, "no download-.ipynb button"
    href = buttons[0]["href"]
    assert href.endswith(".ipynb"), f"download button offers {href}, not the notebook"
    served = (HTML_DIR / notebook).parent / href
    committed = nbformat.read(ROOT / f"{notebook}.ipynb", as_version=4)
    downloaded = nbformat.read(served.resolve(), as_version=4)
    nbformat.validate(downloaded)
    assert [c.source for c in downloaded.cells] == [c.source for c in committed.cells]


@pytest.mark.parametrize("notebook", NOTEBOOK_PAGES)
def test_repository_button_names_the_repository(notebook):
    assert CONFIG["repository"]["url"] in links(notebook, "https://github.com/")
