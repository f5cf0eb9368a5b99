"""Student versions of the labs, made by nbgrader, and the checks that nothing leaks.

The labs in `labs/` are the instructor versions: solutions between `### BEGIN SOLUTION` and
`### END SOLUTION`, hidden tests between `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS`,
nbgrader metadata on every graded cell. nbgrader's `generate_assignment` replaces each solution
by a stub that raises `NotImplementedError` and deletes the hidden tests. nbgrader is needed only
by the functions that run it (requirements-instructor.txt).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from rmslab.course import ROOT
from rmslab.course.output import checked_output, fresh_folder

LABS = ROOT / "labs"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_TEST_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
COURSE_ID = "rmsprop-from-first-principles"


def lab_paths(labs: Path = LABS) -> list[Path]:
    """The instructor versions of the labs, in order."""
    return sorted(Path(labs).glob("*_lab.ipynb"))


def assignment_id(lab: Path) -> str:
    """nbgrader's name for a lab: `labs/04_rmsprop_lab.ipynb` is assignment `lab04`."""
    return f"lab{lab.stem[:2]}"


def nbgrader_config(course_dir: Path) -> str:
    return (
        "# nbgrader settings for this course directory (written by rmslab.course.student).\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course_dir)!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{course_dir / 'gradebook.db'}'\n"
        "c.Execute.timeout = 120  # seconds per cell; every lab runs in well under a minute\n"
    )


def make_course(course_dir: Path, labs: list[Path] | None = None) -> Path:
    """An nbgrader course directory with each lab (default: all) an assignment in `source/`."""
    course_dir = Path(course_dir).resolve()
    for lab in lab_paths() if labs is None else labs:
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


def generate(course_dir: Path, labs: list[Path] | None = None) -> dict[Path, Path]:
    """Run `nbgrader generate_assignment` on each lab (default: every lab) in one call; map
    each lab to its student version."""
    labs = lab_paths() if labs is None else labs
    if not labs:
        return {}
    course_dir = make_course(course_dir, labs)
    nbgrader(course_dir, "generate_assignment", "lab*", "--force")
    return {lab: course_dir / "release" / assignment_id(lab) / lab.name for lab in labs}


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


def student_notebooks(
    out_dir: Path, course_dir: Path | None = None, keep_existing: bool = False
) -> list[Path]:
    """Write the student version of every lab to ``out_dir/labs/``; return the paths.

    The nbgrader course directory is temporary unless ``course_dir`` is given (the autograde
    test keeps it: its gradebook knows the assignments). ``out_dir`` must lie outside the
    course's sources or under its ``_build/`` (`rmslab.course.output`). The folder is replaced,
    unless ``keep_existing``: then a lab already there (a learner's work) is left as it is, and
    nbgrader runs only on the labs that are missing.
    """
    if keep_existing:
        out = checked_output(Path(out_dir) / "labs")
        out.mkdir(parents=True, exist_ok=True)
    else:
        out = fresh_folder(Path(out_dir) / "labs")
    missing = [lab for lab in lab_paths() if not (keep_existing and (out / lab.name).exists())]
    with tempfile.TemporaryDirectory() as tmp:
        for release in generate(Path(course_dir or tmp), missing).values():
            nb = for_students(nbformat.read(release, as_version=4))
            nbformat.write(nb, out / release.name)
    return [out / lab.name for lab in lab_paths()]


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
