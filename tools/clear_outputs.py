"""Remove outputs and execution counts from notebooks, as the course commits them.

Usage: python tools/clear_outputs.py [NOTEBOOK ...]   (default: every chapter and lab)
"""

import sys
from pathlib import Path

import nbformat
from sync_repo_url import notebooks


def clear(path: Path) -> bool:
    """Clear one notebook in place; return whether it changed."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
            cell.outputs, cell.execution_count = [], None
            changed = True
    if changed:
        nbformat.write(nb, path)
    return changed


def main(paths: list[str]) -> None:
    for path in [Path(p) for p in paths] or notebooks():
        if clear(path):
            print(f"cleared {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
