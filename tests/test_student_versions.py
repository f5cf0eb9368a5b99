"""The student versions of the labs (nbgrader): nothing leaks, they run, they grade right.

One nbgrader course directory is made per test worker: `generate_assignment` writes the
student versions exactly as `make student` does, then one `nbgrader autograde` run per lab
grades a solved, an unsolved, a cheating and a raising copy of it. Needs nbgrader
(requirements-instructor.txt, which `make test` installs).
"""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import rmslab.course.student as sv
import rmslab.course.student_book as book

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip(
    "nbgrader",
    reason="\n\n*** nbgrader is not installed: `pip install -r requirements-instructor.txt` "
    "(make test does it). The student-version and autograde tests did NOT run. ***\n",
)

LABS = sv.lab_paths()
IDS = [lab.stem for lab in LABS]


def graded_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def errors(cell):
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def text(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if "text" in o)


def assert_kernel_uses_this_rmslab():
    """The labs' setup cell pip-installs rmslab from GitHub when the kernel cannot import it.

    The "python3" kernel could be another interpreter (a user-wide kernelspec wins over the
    virtual environment's): the tests would then need the network and grade the published
    package instead of this checkout. Fail before any notebook runs.
    """
    from jupyter_client.manager import KernelManager

    python = KernelManager(kernel_name="python3").format_kernel_cmd()[0]
    code = "import importlib.util; print(importlib.util.find_spec('rmslab').origin)"
    # from "/": run from here, `-c` would find ./rmslab whatever the interpreter
    found = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd="/")
    assert found.returncode == 0, f"the python3 kernel ({python}) cannot import rmslab"
    origin = Path(found.stdout.strip()).resolve()
    assert origin.is_relative_to(ROOT / "rmslab"), f"the python3 kernel imports {origin}"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """An nbgrader course with the student versions generated (as `make student` writes them)."""
    assert_kernel_uses_this_rmslab()
    course_dir = tmp_path_factory.mktemp("course")
    out = tmp_path_factory.mktemp("student")
    sv.student_notebooks(out, course_dir=course_dir)
    return course_dir, out / "labs"


def test_there_is_a_student_version_of_every_lab(course):
    _, student_dir = course
    assert len(LABS) >= 5
    assert sorted(p.name for p in student_dir.glob("*.ipynb")) == [lab.name for lab in LABS]


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_no_solution_or_hidden_test_reaches_students(course, lab):
    _, student_dir = course
    instructor = nbformat.read(lab, as_version=4)
    raw = (student_dir / lab.name).read_text()
    for marker in sv.SOLUTION_MARKERS + sv.HIDDEN_TEST_MARKERS:
        assert marker not in raw
    assert sv.find_leaks(nbformat.read(student_dir / lab.name, as_version=4), instructor) == []
    # The guard itself works: the instructor version is full of what it looks for.
    assert len(sv.find_leaks(instructor, instructor)) > 2 * len(graded_cells(instructor))


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_every_exercise_is_graded_and_worth_points(lab):
    nb = nbformat.read(lab, as_version=4)
    solutions = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    graded = graded_cells(nb)
    assert len(graded) >= 4, "every lab has at least four checked exercises"
    assert solutions, "no solution cell: the loop below would check nothing"
    for cell in graded:
        assert cell.metadata["nbgrader"]["points"] > 0
        assert "### BEGIN HIDDEN TESTS" in cell.source
    for cell in solutions:
        assert "### BEGIN SOLUTION" in cell.source and "hide-input" in cell.metadata["tags"]


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_a_fresh_student_version_runs_top_to_bottom(course, lab, tmp_path):
    """Unsolved, every check says "not implemented yet" and nothing raises."""
    _, student_dir = course
    nb = nbformat.read(student_dir / lab.name, as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    for cell in nb.cells:
        assert not errors(cell), f"cell raised: {cell.source[:80]}"
    for cell in graded_cells(nb):
        assert "not implemented yet" in text(cell), cell.source


MY_LABS = [lab for lab in LABS if lab.name[:2] in {"01", "02", "03", "04", "05"}]
MY_IDS = [lab.stem for lab in MY_LABS]

# What a cheating solution cell adds: every checker replaced by one that always says "Correct!".
CHEAT = """
for _name in [n for n in dir(checks) if n.startswith("check_")]:
    setattr(checks, _name, lambda *args, **kwargs: checks.CheckResult(True, "Correct!"))
"""


def solution_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def cheating_copy(student):
    """Unsolved, but the first solution cell also replaces every checker (visible checks pass)."""
    cheat = nbformat.from_dict(student)
    solution_cells(cheat)[0].source += "\n" + CHEAT
    return cheat


def raising_copy(solved):
    """Solved, but the last solution cell raises before it defines anything."""
    broken = nbformat.from_dict(solved)
    last = solution_cells(broken)[-1]
    last.source = 'raise RuntimeError("a bug at the top of the cell")\n' + last.source
    return broken


def points_lost_when_the_last_solution_raises(instructor):
    """The points of the graded cell that checks the last solution cell's function."""
    cells = instructor.cells
    last = cells.index(solution_cells(instructor)[-1])
    check = next(c for c in cells[last:] if c.metadata.get("nbgrader", {}).get("grade"))
    return check.metadata["nbgrader"]["points"]


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_autograde_gives_full_marks_only_to_real_solutions(course, lab):
    """Solved: full marks. Unsolved: 0. Checkers replaced by a solution cell: still 0. A
    solution cell that raises: 0 for its exercise only, and no other cell raises.

    One `nbgrader autograde` run per lab, so that the labs are graded on both test workers."""
    course_dir, _ = course
    student = nbformat.read(course_dir / "release" / sv.assignment_id(lab) / lab.name, 4)
    solved = sv.solved_copy(student, nbformat.read(lab, 4))
    copies = {
        "solved": solved,
        "unsolved": student,
        "cheater": cheating_copy(student),
        "raiser": raising_copy(solved),
    }
    for who, nb in copies.items():
        target = course_dir / "submitted" / who / sv.assignment_id(lab)
        target.mkdir(parents=True)
        nbformat.write(nb, target / lab.name)
    sv.nbgrader(course_dir, "autograde", sv.assignment_id(lab))  # raises on any nbgrader error

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        score = {who: gradebook.find_submission(sv.assignment_id(lab), who).score for who in copies}
        full = gradebook.find_submission(sv.assignment_id(lab), "solved").max_score
    assert full >= 4
    assert score["solved"] == full
    assert score["unsolved"] == 0
    assert score["cheater"] == 0, "replaced checkers earned points"
    lost = points_lost_when_the_last_solution_raises(nbformat.read(lab, 4))
    assert score["raiser"] == full - lost
    graded = course_dir / "autograded" / "solved" / sv.assignment_id(lab) / lab.name
    for cell in nbformat.read(graded, 4).cells:
        assert not errors(cell), f"solved copy raised in {cell.source[:80]}"
    for who in ("unsolved", "raiser"):
        graded = course_dir / "autograded" / who / sv.assignment_id(lab) / lab.name
        for cell in nbformat.read(graded, 4).cells:
            grade_or_solution = cell.metadata.get("nbgrader", {})
            if not (grade_or_solution.get("grade") or grade_or_solution.get("solution")):
                assert not errors(cell), f"{who} copy raised in {cell.source[:80]}"


def nbgrader_validate(nb, tmp_path) -> str:
    path = tmp_path / "lab.ipynb"
    nbformat.write(nb, path)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    return done.stdout + done.stderr


def test_nbgrader_validate_fails_an_unsolved_or_wrong_lab_and_passes_a_solved_one(course, tmp_path):
    course_dir, _ = course
    lab = MY_LABS[0]
    student = nbformat.read(course_dir / "release" / sv.assignment_id(lab) / lab.name, 4)
    solved = sv.solved_copy(student, nbformat.read(lab, 4))
    wrong = nbformat.from_dict(solved)
    first = solution_cells(wrong)[0]
    assert "return x - lr * g" in first.source
    first.source = first.source.replace("return x - lr * g", "return x + lr * g")
    assert "Success! Your notebook passes all the tests." in nbgrader_validate(solved, tmp_path)
    for nb in (student, wrong):
        log = nbgrader_validate(nb, tmp_path)
        assert "VALIDATION FAILED" in log and "Not yet:" in log, log[-2000:]


@pytest.mark.parametrize("lab", MY_LABS, ids=MY_IDS)
def test_run_all_with_a_skipped_exercise_uses_the_reference_and_says_so(course, lab, tmp_path):
    """Everything solved except the first exercise: nothing raises, and the cells that need
    the skipped exercise say in one line that they use the reference."""
    course_dir, _ = course
    student = nbformat.read(course_dir / "release" / sv.assignment_id(lab) / lab.name, 4)
    nb = sv.solved_copy(student, nbformat.read(lab, 4))
    skipped = solution_cells(nb)[0]
    skipped.source = solution_cells(student)[0].source
    assert "NotImplementedError" in skipped.source
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    for cell in nb.cells:
        assert not errors(cell), f"cell raised: {cell.source[:80]}"
    said = [text(c) for c in nb.cells if "so this cell uses the reference instead" in text(c)]
    assert said, "no cell said that it used the reference"
    assert all(t.count("uses the reference") == 1 for t in said)


def test_lab_4_promises_agreement_to_rounding_error_not_to_1e_6():
    """Issue 12, T9: Lab 4 promised agreement to 1e-6 where it measures rounding error. (What
    the built pages of labs 4 and 5 print is checked in tests/browser/test_pages.py.)"""
    lab4 = next(lab for lab in LABS if lab.name.startswith("04"))
    intro = " ".join(nbformat.read(lab4, 4).cells[0].source.split())
    assert "10^{-6}" not in intro and "rounding error" in intro


def test_the_student_book_leaves_out_the_instructor_pages():
    toc = {
        "format": "jb-book",
        "root": "intro",
        "parts": [
            {"caption": "Labs", "chapters": [{"file": "labs/01_gradient_descent_lab"}]},
            {"caption": "For instructors", "chapters": [{"file": "instructors/index"}]},
        ],
    }
    assert book.student_toc(toc)["parts"] == toc["parts"][:1]


def test_links_to_instructor_pages_become_plain_text_in_the_student_book():
    text = "See {doc}`the kit <instructors/index>` or {doc}`instructors/exam`; {doc}`notation`."
    assert book.unlink_instructor_pages(text) == (
        "See the kit or `instructors/exam`; {doc}`notation`."
    )


def test_gated_chapter_solutions_are_cut_with_every_cell_inside_them():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(
        cells=[
            md(
                "```{exercise}\n:label: ex-a\nDo A.\n```\n\n```{solution-start} ex-a\n"
                ":class: dropdown\n```\n\nThe idea of A:"
            ),
            code("answer_a = 1"),
            code("assert answer_a == 1"),
            md("So A holds.\n\n```{solution-end}\n```\n\n## References"),
            md(
                "```{exercise}\n:label: ex-b\nDo B.\n```\n\n```{solution-start} ex-b\n```\n"
                "B is easy.\n```{solution-end}\n```\nAfter B."
            ),
            code("kept = True"),
        ]
    )
    cut = book.without_gated_solutions(nb)
    sources = [cell.source for cell in cut.cells]
    assert sources == [
        "```{exercise}\n:label: ex-a\nDo A.\n```",
        "## References",
        "```{exercise}\n:label: ex-b\nDo B.\n```\n\nAfter B.",
        "kept = True",
    ]


def test_an_unclosed_gated_solution_is_an_error():
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("```{solution-start} ex-a\n```\nNo end.")]
    )
    with pytest.raises(ValueError, match="no matching solution-end"):
        book.without_gated_solutions(nb)


def test_every_chapter_loses_all_its_gated_solutions_and_keeps_its_exercises():
    chapters = sorted((sv.ROOT / "chapters").glob("*.ipynb"))
    assert chapters
    gated = 0
    for chapter in chapters:
        original = nbformat.read(chapter, as_version=4)
        text = "\n".join(cell.source for cell in original.cells)
        gated += text.count("solution-start")
        cut = book.without_gated_solutions(nbformat.read(chapter, as_version=4))
        cut_text = "\n".join(cell.source for cell in cut.cells)
        assert "solution-start" not in cut_text and "solution-end" not in cut_text, chapter
        assert cut_text.count("```{exercise}") == text.count("```{exercise}"), chapter
    assert gated > 0, "no chapter has a gated solution: nothing was cut"
