"""Student versions of the labs, made by nbgrader, and the book built from them.

    python tools/student_versions.py notebooks [OUT]         # student labs in OUT/labs
    python tools/student_versions.py notebooks OUT --keep-existing  # add only missing labs
    python tools/student_versions.py book [OUT] [--toc FILE] # the student book
    python tools/student_versions.py course DIR               # a ready nbgrader course directory

OUT defaults to _build/student (notebooks) and _build/student-book (book). An output folder must
lie outside the repository or under its _build/: the tool refuses any other, so it can never
replace the sources (`notebooks .` would otherwise have written over labs/). The code is in
`rmslab.course.student` and `rmslab.course.student_book`; `make student` and
`make book-student` call the first two commands.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rmslab.course import ROOT
from rmslab.course.output import checked_output
from rmslab.course.student import make_course, student_notebooks
from rmslab.course.student_book import build_student_book


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog="student_versions.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parse.add_subparsers(dest="command", required=True)
    notebooks = commands.add_parser("notebooks", help="student versions of the labs")
    notebooks.add_argument("out", nargs="?", default=ROOT / "_build" / "student", type=Path)
    notebooks.add_argument(
        "--keep-existing", action="store_true", help="leave a lab already in OUT/labs as it is"
    )
    book = commands.add_parser("book", help="the book built from the student versions")
    book.add_argument("out", nargs="?", default=ROOT / "_build" / "student-book", type=Path)
    book.add_argument("--toc", default=ROOT / "_toc.yml", type=Path, help="table of contents")
    course = commands.add_parser("course", help="an nbgrader course directory")
    course.add_argument("dir", type=Path)
    return parse


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        if args.command == "notebooks":
            for path in student_notebooks(args.out, keep_existing=args.keep_existing):
                print(f"wrote {path}")
        elif args.command == "book":
            html = build_student_book(args.out, args.toc)
            print(f"Student book built: file://{html / 'index.html'}")
        else:
            course = make_course(checked_output(args.dir))
            print(f"nbgrader course directory ready in {course}: cd there and run, for example,")
            print("  nbgrader generate_assignment lab04    # student version in release/lab04")
    except ValueError as error:
        sys.exit(f"student_versions.py: {error}")


if __name__ == "__main__":
    main()
