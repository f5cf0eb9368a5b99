"""Student versions of the labs, made by nbgrader, and the book built from them.

The labs in `labs/` are the instructor versions: solutions between `### BEGIN SOLUTION` and
`### END SOLUTION`, hidden tests between `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS`,
nbgrader metadata on every graded cell. nbgrader's `generate_assignment` replaces each solution
by a stub that raises `NotImplementedError` and deletes the hidden tests.

    python tools/student_versions.py notebooks [OUT]  # student labs (default _build/student)
    python tools/student_versions.py book [OUT] [--toc FILE]  # student book (_build/student-book)
    python tools/student_versions.py course DIR       # a ready nbgrader course directory

`make student` and `make book-student` call the first two. tests/test_student_versions.py
checks that no solution or hidden test reaches a student notebook, that every student notebook
runs top to bottom, and that `nbgrader autograde` gives solved copies full marks and unsolved
copies zero.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
LABS = ROOT / "labs"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_TEST_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
COURSE_ID = "rmsprop-from-first-principles"
# What the student book does not need from the repository.
NOT_BOOK_SOURCES = (
    ".git",
    ".venv",
    "_build",
    "tests",
    "benchmarks",
    "rmslab",
    "binder",
    "*.egg-info",
    "__pycache__",
    ".hypothesis",
    ".ruff_cache",
    ".github",
)


def lab_paths() -> list[Path]:
    return sorted(LABS.glob("*_lab.ipynb"))


def assignment_id(lab: Path) -> str:
    """nbgrader's name for a lab: `labs/04_rmsprop_lab.ipynb` is assignment `lab04`."""
    return f"lab{lab.stem[:2]}"


def nbgrader_config(course_dir: Path) -> str:
    return (
        "# nbgrader settings for this course directory (written by tools/student_versions.py).\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course_dir)!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{course_dir / 'gradebook.db'}'\n"
        "c.Execute.timeout = 120  # seconds per cell; every lab runs in well under a minute\n"
    )


def make_course(course_dir: Path) -> Path:
    """An nbgrader course directory with every lab as an assignment in `source/`."""
    course_dir = Path(course_dir).resolve()
    for lab in lab_paths():
        target = course_dir / "source" / assignment_id(lab)
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(lab, target / lab.name)
    (course_dir / "nbgrader_config.py").write_text(nbgrader_config(course_dir))
    return course_dir


def nbgrader(course_dir: Path, *args: str) -> str:
    """Run an nbgrader command in ``course_dir`` with this Python's tools first on PATH.

    nbgrader calls `alembic` by name, and its kernels must see this environment's `rmslab`.
    Raises RuntimeError with nbgrader's output if the command fails or logs an error.
    """
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    done = subprocess.run(
        [str(Path(bin_dir) / "nbgrader"), *args],
        cwd=course_dir,
        env=env,
        capture_output=True,
        text=True,
    )
    log = done.stdout + done.stderr
    if done.returncode != 0 or "| ERROR]" in log:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{log}")
    return log


def generate(course_dir: Path) -> dict[Path, Path]:
    """Run `nbgrader generate_assignment` on every lab; map each lab to its student version."""
    nbgrader(course_dir, "generate_assignment", "lab*", "--force")
    return {lab: course_dir / "release" / assignment_id(lab) / lab.name for lab in lab_paths()}


def for_students(nb):
    """The released notebook, tidied for students: stubs are not collapsed in the book."""
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            tags = [t for t in cell.metadata.get("tags", []) if t != "hide-input"]
            if tags:
                cell.metadata["tags"] = tags
            else:
                cell.metadata.pop("tags", None)
    return nb


def student_notebooks(out_dir: Path, course_dir: Path | None = None) -> list[Path]:
    """Write the student version of every lab to ``out_dir/labs/``.

    The nbgrader course directory is temporary unless ``course_dir`` is given (the autograde
    test keeps it: its gradebook knows the assignments).
    """
    out = Path(out_dir).resolve() / "labs"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        released = generate(make_course(Path(course_dir or tmp)))
        written = []
        for lab, release in released.items():
            nb = for_students(nbformat.read(release, as_version=4))
            nbformat.write(nb, out / lab.name)
            written.append(out / lab.name)
    return written


def regions(source: str, markers: tuple[str, str]) -> tuple[list[str], list[str]]:
    """Split a cell's lines into those between ``markers`` and the others (markers dropped)."""
    inside, outside, active = [], [], False
    for line in source.splitlines():
        if line.strip() in markers:
            active = line.strip() == markers[0]
        else:
            (inside if active else outside).append(line.strip())
    return inside, outside


def find_leaks(student_nb, instructor_nb) -> list[str]:
    """Markers, solution lines or hidden-test lines of the instructor version that a student
    notebook contains. Lines that also occur in the given code are not leaks."""
    secret, given = set(), set()
    for cell in instructor_nb.cells:
        solution, rest = regions(cell.source, SOLUTION_MARKERS)
        hidden, rest = regions("\n".join(rest), HIDDEN_TEST_MARKERS)
        secret.update(line for line in solution + hidden if line and not line.startswith("#"))
        given.update(rest)
    leaks = []
    for cell in student_nb.cells:
        for line in cell.source.splitlines():
            stripped = line.strip()
            if stripped in SOLUTION_MARKERS + HIDDEN_TEST_MARKERS:
                leaks.append(stripped)
            elif stripped in secret and stripped not in given:
                leaks.append(stripped)
    return leaks


def strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS)


def solved_copy(student_nb, instructor_nb):
    """A student notebook with every answer filled in, as a student who solved it would.

    Each solution cell gets the instructor's code (without the markers); nothing else changes.
    """
    answers = {
        cell.metadata["nbgrader"]["grade_id"]: strip_markers(cell.source)
        for cell in instructor_nb.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    solved = nbformat.from_dict(student_nb)
    for cell in solved.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[grade_id]
    return solved


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


def build_student_book(out_dir: Path, toc_file: Path = ROOT / "_toc.yml") -> Path:
    """Build the book from the student labs (no solutions, no instructor pages) into out_dir.

    Chapter exercises lose their solutions too: gated ones are cut from the notebooks, plain
    ones are dropped by sphinx-exercise's ``hide_solutions``. ``toc_file`` is the table of
    contents to start from (the instructors' part is removed).
    """
    out_dir = Path(out_dir).resolve()
    src = out_dir / "src"
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*NOT_BOOK_SOURCES, "instructors"))
    (src / "labs").mkdir(exist_ok=True)
    student_notebooks(out_dir)
    for notebook in (out_dir / "labs").glob("*.ipynb"):
        shutil.copy2(notebook, src / "labs" / notebook.name)
    for page in src.rglob("*.md"):
        page.write_text(unlink_instructor_pages(page.read_text()))
    for chapter in (src / "chapters").glob("*.ipynb"):
        nbformat.write(without_gated_solutions(nbformat.read(chapter, as_version=4)), chapter)
    config = yaml.safe_load((src / "_config.yml").read_text())
    config.setdefault("sphinx", {}).setdefault("config", {})["hide_solutions"] = True
    (src / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    toc = yaml.safe_load(Path(toc_file).read_text())
    (src / "_toc.yml").write_text(yaml.safe_dump(student_toc(toc), sort_keys=False))
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


def main(argv: list[str]) -> None:
    command = argv[0] if argv else "notebooks"
    if command == "notebooks":
        out = Path(argv[1]) if len(argv) > 1 else ROOT / "_build" / "student"
        for path in student_notebooks(out):
            print(f"wrote {path}")
    elif command == "book":
        toc = Path(argv[argv.index("--toc") + 1]) if "--toc" in argv else ROOT / "_toc.yml"
        rest = [a for a in argv[1:] if a != "--toc" and a != str(toc)]
        out = Path(rest[0]) if rest else ROOT / "_build" / "student-book"
        html = build_student_book(out, toc)
        print(f"Student book built: file://{html / 'index.html'}")
    elif command == "course" and len(argv) == 2:
        course = make_course(Path(argv[1]))
        print(f"nbgrader course directory ready in {course}: cd there and run, for example,")
        print("  nbgrader generate_assignment lab04    # student version in release/lab04")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
