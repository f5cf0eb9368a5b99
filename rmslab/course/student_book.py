"""The book built from the student versions: no solutions, no hidden tests, no instructor pages.

The sources are copied by allowlist: the configuration, the bibliography, the Sphinx extensions
and the pages the table of contents names (without the instructors' part); the labs are replaced
by their student versions, and the chapters lose their gated solutions. Nothing else of the
repository reaches the copy, so a new folder (drafts, notes, answer keys) never leaks into it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

from rmslab.course import ROOT
from rmslab.course.output import checked_output, copy_listed, fresh_folder
from rmslab.course.student import HIDDEN_TEST_MARKERS, SOLUTION_MARKERS, student_notebooks

# Besides the pages of the table of contents, what the book's build reads.
BOOK_FILES = ("_config.yml", "references.bib", "_ext", "_static")


def toc_files(toc: dict) -> list[str]:
    """Every page the table of contents names (root included), without its extension."""
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    return files


def student_toc(toc: dict) -> dict:
    """The table of contents without the instructors' pages."""
    toc = dict(toc)
    parts = []
    for part in toc.get("parts", []):
        chapters = [c for c in part["chapters"] if not c["file"].startswith("instructors/")]
        if chapters:
            parts.append(dict(part, chapters=chapters))
    toc["parts"] = parts
    return toc


def unlink_instructor_pages(markdown: str) -> str:
    """Turn ``{doc}`` links to the (removed) instructor pages into plain text."""
    markdown = re.sub(r"\{doc\}`([^`<]*?)\s*<[^`>]*instructors/[^`>]*>`", r"\1", markdown)
    return re.sub(r"\{doc\}`([^`<]*instructors/[^`]*)`", r"`\1`", markdown)


GATE_START = re.compile(r"^```\{solution-start\}.*?$", re.MULTILINE)
GATE_END = re.compile(r"^```\{solution-end\}[^\n]*\n```[^\n]*(\n|$)", re.MULTILINE)


def without_gated_solutions(nb):
    """The notebook without its gated solutions (``solution-start`` to ``solution-end``).

    A gated solution can span cells (text, code, hidden checks): every cell inside it goes,
    and the text before its start and after its end stays. Plain ``{solution}`` directives are
    left to sphinx-exercise's ``hide_solutions`` option.
    """
    kept, inside = [], False
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            if not inside:
                kept.append(cell)
            continue
        text, pieces = cell.source, []
        while True:
            marker = (GATE_END if inside else GATE_START).search(text)
            if marker is None:
                if not inside:
                    pieces.append(text)
                break
            if not inside:
                pieces.append(text[: marker.start()])
            text, inside = text[marker.end() :], not inside
        remaining = "".join(pieces).strip()
        if remaining:
            cell.source = remaining
            kept.append(cell)
    if inside:
        raise ValueError("a solution-start has no matching solution-end")
    nb.cells = kept
    return nb


def copy_sources(src: Path, toc: dict, root: Path = ROOT) -> list[str]:
    """Copy into ``src`` what the book needs: ``BOOK_FILES`` and the pages ``toc`` names.

    Returns the pages copied. A page of the table of contents that is missing is an error.
    """
    pages = []
    copy_listed(BOOK_FILES, root, src)
    for page in toc_files(toc):
        found = [
            root / f"{page}{ext}" for ext in (".ipynb", ".md") if (root / f"{page}{ext}").is_file()
        ]
        if not found:
            raise FileNotFoundError(f"the table of contents names {page}, which does not exist")
        (src / page).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(found[0], src / found[0].relative_to(root))
        pages.append(str(found[0].relative_to(root)))
    return pages


def student_config(config: dict) -> dict:
    """The book's configuration with sphinx-exercise's ``hide_solutions`` on; the rest (the
    launch branch and its extension included) unchanged."""
    config = dict(config, sphinx=dict(config.get("sphinx", {})))
    config["sphinx"]["config"] = dict(config["sphinx"].get("config", {}), hide_solutions=True)
    return config


def build_student_book(out_dir: Path, toc_file: Path = ROOT / "_toc.yml") -> Path:
    """Build the book from the student labs (no solutions, no instructor pages) into out_dir.

    Chapter exercises lose their solutions too: gated ones are cut from the notebooks, plain
    ones are dropped by sphinx-exercise's ``hide_solutions``. ``toc_file`` is the table of
    contents to start from (the instructors' part is removed). ``out_dir`` must lie outside the
    course's sources or under its ``_build/``.
    """
    out_dir = checked_output(out_dir)
    src = fresh_folder(out_dir / "src")
    toc = student_toc(yaml.safe_load(Path(toc_file).read_text()))
    copy_sources(src, toc)
    for notebook in student_notebooks(out_dir):
        shutil.copy2(notebook, src / "labs" / notebook.name)
    for page in src.rglob("*.md"):
        page.write_text(unlink_instructor_pages(page.read_text()))
    for chapter in (src / "chapters").glob("*.ipynb"):
        nbformat.write(without_gated_solutions(nbformat.read(chapter, as_version=4)), chapter)
    config = student_config(yaml.safe_load((src / "_config.yml").read_text()))
    (src / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (src / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    subprocess.run(
        [
            str(jupyter_book),
            "build",
            str(src),
            "--path-output",
            str(out_dir),
            "-W",
            "-n",
            "--keep-going",
        ],
        check=True,
    )
    html = out_dir / "_build" / "html"
    for page in html.rglob("*.html"):
        text = page.read_text(errors="replace")
        found = [m for m in SOLUTION_MARKERS + HIDDEN_TEST_MARKERS if m in text]
        found += ["a chapter solution"] if 'class="solution' in text else []
        if found or "instructors/" in str(page.relative_to(html)):
            raise RuntimeError(f"the student book leaks instructor material in {page}: {found}")
    return html
