"""The student versions of the labs (nbgrader): nothing leaks, they run, they grade right.

One nbgrader course directory is made for the whole module: `generate_assignment` writes the
student versions exactly as `make student` does, then one `nbgrader autograde` run grades a
solved and an unsolved copy of every lab. Needs nbgrader (requirements-instructor.txt, which
`make test` installs).
"""

import subprocess
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


def test_autograde_gives_full_marks_when_solved_and_zero_when_not(course):
    course_dir, _ = course
    for lab in LABS:
        student = nbformat.read(course_dir / "release" / sv.assignment_id(lab) / lab.name, 4)
        copies = {"solved": sv.solved_copy(student, nbformat.read(lab, 4)), "unsolved": student}
        for who, nb in copies.items():
            target = course_dir / "submitted" / who / sv.assignment_id(lab)
            target.mkdir(parents=True)
            nbformat.write(nb, target / lab.name)
    sv.nbgrader(course_dir, "autograde", "lab*")  # raises on any nbgrader error

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        for lab in LABS:
            solved = gradebook.find_submission(sv.assignment_id(lab), "solved")
            unsolved = gradebook.find_submission(sv.assignment_id(lab), "unsolved")
            assert solved.max_score >= 4
            assert solved.score == solved.max_score, lab.name
            assert unsolved.score == 0, lab.name
    for lab in LABS:
        graded = course_dir / "autograded" / "solved" / sv.assignment_id(lab) / lab.name
        for cell in nbformat.read(graded, 4).cells:
            assert not errors(cell), f"{lab.name}: solved copy raised in {cell.source[:80]}"
        graded = course_dir / "autograded" / "unsolved" / sv.assignment_id(lab) / lab.name
        for cell in nbformat.read(graded, 4).cells:
            if not cell.metadata.get("nbgrader", {}).get("grade"):
                assert not errors(cell), f"{lab.name}: unsolved copy raised outside a test"


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
