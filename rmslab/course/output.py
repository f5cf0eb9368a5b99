"""Output folders of the course tools: never the sources, emptied only if a tool made them.

A tool writes to ``_build/`` of the repository (build outputs, which `make clean` deletes) or to
a folder outside it. Outside ``_build/`` it replaces a folder's contents only if it finds the
marker file it left there the last time, so ``student_versions.py notebooks .`` or an output
folder that happens to hold other files stops with a message instead of deleting them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from rmslab.course import ROOT

MARKER = ".made-by-rmslab-course-tools"


def checked_output(path: str | Path, root: Path = ROOT) -> Path:
    """``path`` resolved, if it is under ``root/_build`` or outside ``root``; else ValueError."""
    out, root = Path(path).resolve(), Path(root).resolve()
    build = root / "_build"
    if out == root or out in root.parents:
        raise ValueError(
            f"output folder {path} holds the course sources ({root}): choose a folder "
            f"under {build} or outside the repository"
        )
    if root in out.parents and out != build and build not in out.parents:
        raise ValueError(
            f"output folder {path} is inside the course sources ({root}): choose a folder "
            f"under {build} or outside the repository"
        )
    return out


def fresh_folder(path: str | Path, root: Path = ROOT) -> Path:
    """An empty folder at ``path`` (checked as above), marked as made by these tools.

    An existing folder is deleted only if it is under ``root/_build``, empty, or carries the
    marker; otherwise ValueError: it holds files no course tool wrote.
    """
    out = checked_output(path, root)
    disposable = Path(root).resolve() / "_build" in out.parents
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"output folder {path} is a file")
        if not disposable and any(out.iterdir()) and not (out / MARKER).is_file():
            raise ValueError(
                f"output folder {path} holds files that no course tool wrote (no {MARKER}): "
                "choose another folder or empty it yourself"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("Written by rmslab.course; the next run replaces this folder.\n")
    return out


def copy_listed(names, root: Path, out: Path) -> None:
    """Copy each of ``names`` (files or folders, relative to ``root``) into ``out`` by the same
    relative path, leaving out ``__pycache__``; a name that does not exist is skipped (the
    allowlists name optional files)."""
    for name in names:
        path = root / name
        if path.is_dir():
            shutil.copytree(path, out / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.is_file():
            shutil.copy2(path, out / name)
