"""Launch and download buttons of the built pages lead to this repository's notebooks, and the
notebooks the Binder and Colab buttons open hold no solution.

The expected links are rebuilt here from `_config.yml` and `_toc.yml` (the repository, the launch
branch and the launch services named there), then compared with what the built HTML carries. The
launch branch's files are the tree the same build wrote to `_build/launch` (beside `_build/html`),
which the deploy workflow publishes: each notebook a button names is read from there. No browser
needed.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup
from builtbook import HTML_DIR, ROOT, book_missing_reason

from rmslab.course.student import HIDDEN_TEST_MARKERS, SOLUTION_MARKERS, find_leaks

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


LAUNCH_TREE = HTML_DIR.parent / "launch"
LAUNCH_BRANCH = CONFIG["sphinx"]["config"]["launch_branch"]
LABS = [page for page in NOTEBOOK_PAGES if page.startswith("labs/")]
OTHERS = [page for page in NOTEBOOK_PAGES if not page.startswith("labs/")]
# What Jupyter would show raw: a MyST role, a directive fence, a gated solution.
RAW_MYST = re.compile(r"\{(glue|cite|numref|ref|doc|eq|prf)[:a-z]*\}`|^(```+|:::+)\s*\{", re.M)


def repository() -> tuple[str, str, str]:
    """(owner, name, branch the launch buttons open) of the repository `_config.yml` names."""
    url = CONFIG["repository"]["url"]
    parts = urlsplit(url)
    assert parts.netloc == "github.com", f"launch buttons need a GitHub repository, got {url}"
    owner, name = parts.path.strip("/").removesuffix(".git").split("/")
    assert LAUNCH_BRANCH != CONFIG["repository"].get("branch", "main"), (
        "the launch buttons must not open the branch with the instructor labs"
    )
    return owner, name, LAUNCH_BRANCH


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


def launched(page: str) -> dict[str, str]:
    """Service -> path of the notebook its button opens, relative to the launch branch."""
    owner, name, branch = repository()
    found = {}
    for url in links(page, CONFIG["launch_buttons"]["binderhub_url"].rstrip("/") + "/"):
        head, query = url.split("?", 1)
        assert head.endswith(f"/gh/{owner}/{name}/{branch}"), url
        found["binder"] = parse_qs(query)["urlpath"][0].split("/tree/", 1)[1]
    for url in links(page, CONFIG["launch_buttons"]["colab_url"].rstrip("/") + "/"):
        found["colab"] = url.split(f"/{owner}/{name}/blob/{branch}/", 1)[1]
    assert set(found) == {"binder", "colab"}, f"{page}: launch buttons {found}"
    return found


@pytest.mark.parametrize("lab", LABS)
def test_the_lab_a_launch_button_opens_is_the_student_version(lab):
    instructor = nbformat.read(ROOT / f"{lab}.ipynb", as_version=4)
    for service, path in launched(lab).items():
        student = nbformat.read(LAUNCH_TREE / path, as_version=4)
        assert find_leaks(student, instructor) == [], f"{service} opens a solution"
        text = "\n".join(cell.source for cell in student.cells)
        assert not [m for m in SOLUTION_MARKERS + HIDDEN_TEST_MARKERS if m in text], service
        assert "raise NotImplementedError" in text, f"{service} opens a lab without stubs"


@pytest.mark.parametrize("notebook", OTHERS)
def test_a_chapter_a_launch_button_opens_reads_as_text_in_jupyter(notebook):
    for service, path in launched(notebook).items():
        nb = nbformat.read(LAUNCH_TREE / path, as_version=4)
        markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        raw = [m.group(0) for m in RAW_MYST.finditer(markdown)]
        assert raw == [], f"{service} opens {path}, which shows raw MyST: {raw[:5]}"
        assert "solution-start" not in markdown and "{solution}" not in markdown


def test_the_launch_tree_installs_the_course_on_binder():
    """Binder builds the launch branch: it needs binder/, the learner's pins and the package."""
    for name in ("binder/requirements.txt", "requirements.txt", "pyproject.toml", "rmslab"):
        assert (LAUNCH_TREE / name).exists(), f"the launch branch lacks {name}"
    assert not (LAUNCH_TREE / "tests").exists() and not (LAUNCH_TREE / "instructors").exists()
