"""Rewrite every notebook's setup cell (its first code cell) from the repository in `_config.yml`.

    python tools/sync_repo_url.py          # rewrite the cells that differ (`make sync-url`)
    python tools/sync_repo_url.py --check  # exit 1 and name the notebooks that differ

`_config.yml` (`repository.url`) is the one place the repository address is written by hand; the
cell's text is `rmslab.course.notebooks.setup_cell_source`. tests/test_notebooks.py fails until
the notebooks agree.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from rmslab.course import ROOT
from rmslab.course.notebooks import notebooks, repository_url, setup_cell, setup_cell_source


def main(argv: list[str] | None = None) -> None:
    parse = argparse.ArgumentParser(prog="sync_repo_url.py", description=__doc__.split("\n")[0])
    parse.add_argument("--check", action="store_true", help="only report, change nothing")
    parse.add_argument("--root", type=Path, default=ROOT, help="the course (default: this one)")
    args = parse.parse_args(argv)
    root = args.root.resolve()
    source = setup_cell_source(repository_url(root))
    stale = []
    for path in notebooks(root):
        nb = nbformat.read(path, as_version=4)
        cell = setup_cell(nb)
        if cell.source != source:
            stale.append(path.relative_to(root))
            if not args.check:
                cell.source = source
                nbformat.write(nb, path)
                print(f"updated {path.relative_to(root)}")
    if args.check and stale:
        sys.exit("setup cells differ from _config.yml in: " + ", ".join(map(str, stale)))


if __name__ == "__main__":
    main()
