"""The tree the launch buttons open: student labs and readable chapters, never a solution.

The lab pages' Binder and Colab buttons name a branch (``launch_branch`` in `_config.yml`) whose
files the book build writes to ``_build/launch`` and the deploy workflow publishes. It holds what
Binder needs to install the learner's environment (`binder/`, `requirements.txt`, `pyproject.toml`,
`rmslab/`) and, at the paths the pages have, the labs' student versions (nbgrader) and the other
notebooks made readable in Jupyter (`rmslab.course.readable`). Nothing else is copied.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from rmslab.course import ROOT
from rmslab.course.output import copy_listed, fresh_folder
from rmslab.course.readable import Refs, glue_values, readable_notebook
from rmslab.course.student import student_notebooks

# Besides the notebooks, what Binder and the setup cell need to install the course.
RUNTIME_FILES = ("binder", "requirements.txt", "pyproject.toml", "README.md", "rmslab")


def glued(executed: Path) -> dict[str, dict]:
    """name -> output data of the values an executed notebook glued.

    myst-nb keeps them in ``<notebook>.glue.json`` beside the executed notebook (values glued
    with ``display=False`` are not in the notebook's outputs); the notebook's own outputs are
    read too, for a build that has no such file.
    """
    found = glue_values(nbformat.read(executed, as_version=4)) if executed.is_file() else {}
    store = executed.with_suffix(".glue.json")
    if store.is_file():
        found |= {name: out["data"] for name, out in json.loads(store.read_text()).items()}
    return found


def write_launch_tree(
    out: Path, notebooks: list[str], src: Path, executed: Path, refs: Refs, root: Path = ROOT
) -> list[Path]:
    """Write the launch tree to ``out``; return the notebooks written.

    ``notebooks`` are the book's notebook pages (``labs/01_..._lab.ipynb``...), ``src`` the
    book's source folder, ``executed`` the build's `jupyter_execute` folder (glue values).
    Labs come from ``root/labs`` through nbgrader, whatever ``src`` holds. Roles the build could
    not resolve are appended to ``refs.unresolved`` ("page: role").
    """
    out = fresh_folder(out, root)
    copy_listed(RUNTIME_FILES, root, out)
    written = []
    if any(page.startswith("labs/") for page in notebooks):
        written += student_notebooks(out)
    for page in notebooks:
        if page.startswith("labs/"):
            continue
        nb = nbformat.read(src / page, as_version=4)
        page_refs = Refs(**{**refs.__dict__, "glue": glued(executed / page), "unresolved": []})
        (out / page).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(readable_notebook(nb, page_refs), out / page)
        refs.unresolved += [f"{page}: {role}" for role in page_refs.unresolved]
        written.append(out / page)
    return written
