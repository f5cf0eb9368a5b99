"""Remove outputs and execution counts from notebooks, as the course commits them.

python tools/clear_outputs.py [NOTEBOOK ...]   # default: every chapter, lab and appendix notebook
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rmslab.course import ROOT
from rmslab.course.notebooks import clear_outputs, notebooks


def main(argv: list[str] | None = None) -> None:
    parse = argparse.ArgumentParser(prog="clear_outputs.py", description=__doc__.split("\n")[0])
    parse.add_argument(
        "notebooks", nargs="*", type=Path, help="default: every chapter, lab and appendix notebook"
    )
    args = parse.parse_args(argv)
    for path in args.notebooks or notebooks(ROOT):
        if clear_outputs(path):
            print(f"cleared {path}")


if __name__ == "__main__":
    main()
