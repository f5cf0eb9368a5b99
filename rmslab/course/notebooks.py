"""The course's notebooks, the setup cell that opens each of them, how the book executes them,
and clearing outputs.

`_config.yml` (`repository.url`) is the one place the repository address is written by hand;
the first code cell of every notebook is `setup_cell_source(url)`, rewritten by
`tools/sync_repo_url.py` (`make sync-url`).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import yaml

from rmslab.course import ROOT

NOTEBOOK_DIRS = ("chapters", "labs", "appendix")
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def repository_url(root: Path = ROOT) -> str:
    config = yaml.safe_load((Path(root) / "_config.yml").read_text())
    return config["repository"]["url"].rstrip("/")


def execution_settings(root: Path = ROOT) -> dict:
    """The book's execution settings from `_config.yml` (``execute:``), as jupyter-cache's
    executors take them: ``{"timeout": seconds per cell, "allow_errors": bool}``.

    Raises ValueError unless the book executes in ``cache`` mode without exclusions or
    temporary folders, the only setup in which a run made outside the build is the run the
    build would make (tools/execute_notebooks.py).
    """
    execute = yaml.safe_load((Path(root) / "_config.yml").read_text()).get("execute") or {}
    if execute.get("execute_notebooks") != "cache":
        raise ValueError(
            "_config.yml: execute.execute_notebooks must be 'cache', "
            f"got {execute.get('execute_notebooks')!r}"
        )
    if execute.get("exclude_patterns") or execute.get("run_in_temp"):
        raise ValueError("_config.yml: execute.exclude_patterns and run_in_temp must be unset")
    return {"timeout": execute.get("timeout", 30), "allow_errors": bool(execute["allow_errors"])}


def install_command(url: str) -> str:
    """The one command that installs what every notebook imports, torch's CPU build included."""
    return f'pip install "rmslab[course] @ git+{url}" --extra-index-url {CPU_INDEX}'


def setup_cell_source(url: str) -> str:
    """The first code cell of every notebook.

    Binder, a clone after `make install` and CI have everything: the cell does nothing. On Colab
    (torch and scikit-learn preinstalled) it installs rmslab. In any other Jupyter it runs
    `install_command(url)` into the notebook's own Python, and if that fails it stops with the
    command to run in a terminal.
    """
    return (
        "# Setup: makes rmslab, torch and scikit-learn importable. On Binder, Colab and a clone\n"
        "# after `make install` it takes a second; anywhere else it installs them once.\n"
        "import importlib.util\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        f'REPO = "{url}"\n'
        f'CPU_INDEX = "{CPU_INDEX}"  # torch without CUDA\n'
        'INSTALL = ["rmslab[course] @ git+" + REPO, "--extra-index-url", CPU_INDEX]\n'
        'missing = [m for m in ("rmslab", "torch", "sklearn") if not importlib.util.find_spec(m)]\n'
        "if missing:\n"
        '    print("Installing", ", ".join(missing), "into this Python (a few minutes)")\n'
        '    pip = [sys.executable, "-m", "pip", "install", "-q", *INSTALL]\n'
        "    if subprocess.run(pip).returncode != 0:\n"
        "        raise SystemExit(\n"
        '            "Could not install the course packages. In a terminal, run\\n  pip install "\n'
        '            + " ".join(repr(a) if " " in a else a for a in INSTALL)\n'
        '            + "\\nthen restart the kernel and run this cell again."\n'
        "        )\n"
        "    importlib.invalidate_caches()"
    )


def notebooks(root: Path = ROOT) -> list[Path]:
    """Every chapter, lab and appendix notebook, in path order."""
    return sorted(p for d in NOTEBOOK_DIRS for p in (Path(root) / d).glob("*.ipynb"))


def setup_cell(nb):
    """The first code cell, which must be the setup cell."""
    return next(c for c in nb.cells if c.cell_type == "code")


def clear_outputs(path: Path) -> bool:
    """Remove outputs and execution counts from one notebook in place; return whether it changed."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
            cell.outputs, cell.execution_count = [], None
            changed = True
    if changed:
        nbformat.write(nb, path)
    return changed
