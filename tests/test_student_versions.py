"""The student versions of the labs (nbgrader): nothing leaks, they run, they grade right.

The student versions are generated once per test session, exactly as `make student` writes
them (`generate_assignment`). Each test worker grades in its own copy of the nbgrader course:
one `nbgrader autograde` run per lab grades a solved, an unsolved (and cheating) and a
partly solved copy of it (one exercise skipped, one raising). Running the labs is most of this
module's time, so each kernel run asserts all it can. Needs nbgrader
(requirements-instructor.txt, which `make test` installs).
"""

import fcntl
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import rmslab.course.student as sv
import rmslab.course.student_book as book
from rmslab.checks import grading

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


def generated_once(tmp_path_factory, worker_id: str) -> Path:
    """A folder with `course/` (the nbgrader course) and `student/labs/` (the student versions,
    as `make student` writes them), generated once per test session: under pytest-xdist the
    first worker generates it in the session's shared temporary folder, under a file lock,
    and the other worker waits for it and reuses it."""
    if worker_id == "master":
        shared = tmp_path_factory.mktemp("generated")
    else:  # the parent of a worker's base folder belongs to this session's workers only
        shared = tmp_path_factory.getbasetemp().parent / "generated"
    with open(shared.parent / f"{shared.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "done").exists():
            sv.student_notebooks(shared / "student", course_dir=shared / "course")
            (shared / "done").touch()
    return shared


@pytest.fixture(scope="module")
def course(tmp_path_factory, worker_id):
    """(this worker's copy of the nbgrader course, the folder of student versions).

    The course is copied because autograding writes its submissions and scores into it."""
    assert_kernel_uses_this_rmslab()
    shared = generated_once(tmp_path_factory, worker_id)
    course_dir = tmp_path_factory.mktemp("course")
    shutil.copytree(shared / "course", course_dir, dirs_exist_ok=True)
    (course_dir / "nbgrader_config.py").write_text(sv.nbgrader_config(course_dir))
    return course_dir, shared / "student" / "labs"


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
def test_every_hidden_test_grades_with_a_fresh_rmslab(lab):
    """Each hidden test is `grading.FRESH`, then `grading.grade("check_...", name)` first: its
    checker is rmslab as it is on disk, whatever the notebook changed (tests/test_checks_core.py
    tries a replaced checker), so the cheat that the autograde test tries on one exercise of
    each lab is tried on the code that grades them all."""
    for cell in graded_cells(nbformat.read(lab, 4)):
        hidden = cell.source.split(sv.HIDDEN_TEST_MARKERS[0], 1)[1]
        hidden = hidden.split(sv.HIDDEN_TEST_MARKERS[1], 1)[0].lstrip("\n")
        assert hidden.startswith(grading.FRESH), cell.source
        graded_by = hidden.removeprefix(grading.FRESH).strip().splitlines()[0]
        assert re.fullmatch(r'grading\.grade\("check_\w+", \w+\)', graded_by), graded_by


# The labs whose later cells fall back on the reference (`checks.yours_or_reference`).
FALLBACK_LABS = [lab for lab in LABS if "yours_or_reference" in lab.read_text()]

# What a cheating solution cell adds: every checker replaced by one that always passes, and says
# so (the visible check it fools prints CHEATED).
CHEATED = "Correct! (a replaced checker)"
CHEAT = f"""
for _name in [n for n in dir(checks) if n.startswith("check_")]:
    setattr(checks, _name, lambda *a, **k: print({CHEATED!r}) or checks.CheckResult(True, "ok"))
"""


def solution_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def released_with_a_cheat(student):
    """The student version as released, except that its last solution cell, after the stub,
    replaces every checker: a learner's Run All with one cheat in it."""
    cheat = nbformat.from_dict(student)
    solution_cells(cheat)[-1].source += "\n" + CHEAT
    return cheat


RAISE = 'raise RuntimeError("a bug at the top of the cell")\n'


def skipping_and_raising_copy(solved, student):
    """Solved, except that the first exercise is left as released (its stub, as a learner who
    skipped it) and the last solution cell raises before it defines anything."""
    copy = nbformat.from_dict(solved)
    first, last = solution_cells(copy)[0], solution_cells(copy)[-1]
    first.source = solution_cells(student)[0].source
    last.source = RAISE + last.source
    return copy


def defined_name(stub_cell) -> str:
    """The function or class a solution cell defines."""
    return re.search(r"^(?:def|class) (\w+)", stub_cell.source, re.MULTILINE)[1]


def cell_scores(gradebook, lab, who, instructor) -> list[float]:
    """The autograded score of each graded cell of `who`'s copy of `lab`, in the order of the
    graded cells of `instructor` (the lab as read from disk)."""
    graded = gradebook.find_submission_notebook(lab.stem, sv.assignment_id(lab), who)
    by_id = {grade.name: grade.score for grade in graded.grades}
    return [by_id[c.metadata["nbgrader"]["grade_id"]] for c in graded_cells(instructor)]


def raised_by_the_hidden_test(cell) -> bool:
    """The cell's only error is the AssertionError of its hidden test (`grading.grade`)."""
    found = errors(cell)
    return (
        len(found) == 1
        and found[0].ename == "AssertionError"
        and any("grading.grade(" in line for line in found[0].traceback)
    )


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_autograde_gives_marks_only_to_real_solutions(course, lab):
    """One `nbgrader autograde` run per lab (so that the labs are graded on both test workers)
    grades three copies of the student version:

    * solved: full marks, and no cell raises;
    * unsolved (the student version as released) with a cheat in its last solution cell, which
      replaces every checker: 0. Every visible check before the cheat says "not implemented
      yet", the one after it is fooled (it prints CHEATED), and the only errors are the hidden
      tests' (a learner's Run All raises nothing). Every hidden test grades the same way
      (`test_every_hidden_test_grades_with_a_fresh_rmslab`), so a cheat that fooled one would
      fool them all;
    * skipper (`skipping_and_raising_copy`: solved, except a stub left in the first exercise
      and a last solution cell that raises): 0 for those two exercises and for each exercise
      whose answer calls the stub (its visible check names the stub); every other exercise gets
      its points. No other cell raises, and each later cell that needs the skipped answer
      uses the reference and says so in one line.
    """
    course_dir, _ = course
    instructor = nbformat.read(lab, 4)
    student = nbformat.read(course_dir / "release" / sv.assignment_id(lab) / lab.name, 4)
    solved = sv.solved_copy(student, instructor)
    copies = {
        "solved": solved,
        "unsolved": released_with_a_cheat(student),
        "skipper": skipping_and_raising_copy(solved, student),
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
        skipper_scores = cell_scores(gradebook, lab, "skipper", instructor)
    assert full >= 4
    assert score["solved"] == full
    assert score["unsolved"] == 0, "an unsolved lab with replaced checkers earned points"

    def graded(who):
        path = course_dir / "autograded" / who / sv.assignment_id(lab) / lab.name
        return nbformat.read(path, 4)

    for cell in graded("solved").cells:
        assert not errors(cell), f"solved copy raised in {cell.source[:80]}"
    unsolved = graded("unsolved")
    cheated = graded_cells(unsolved)[-1]  # the check after the cheat
    for cell in unsolved.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            said = CHEATED if cell is cheated else "not implemented yet"
            assert said in text(cell), cell.source
            assert raised_by_the_hidden_test(cell), f"the visible check raised: {cell.source[:80]}"
        else:
            assert not errors(cell), f"unsolved copy raised in {cell.source[:80]}"

    skipper = graded("skipper")
    skipped = defined_name(solution_cells(student)[0])
    checks = graded_cells(skipper)
    assert f"`{skipped}` is not implemented yet" in text(checks[0])
    assert raised_by_the_hidden_test(checks[0]) and skipper_scores[0] == 0
    assert skipper_scores[-1] == 0, "an exercise whose cell raised earned points"
    assert [e.ename for e in errors(solution_cells(skipper)[-1])] == ["RuntimeError"]
    points = [c.metadata["nbgrader"]["points"] for c in graded_cells(instructor)]
    for check, earned, worth in zip(checks[1:-1], skipper_scores[1:-1], points[1:-1], strict=True):
        if f"calls `{skipped}`, which is not implemented yet" in " ".join(text(check).split()):
            assert earned == 0 and raised_by_the_hidden_test(check), check.source
        else:
            assert earned == worth and not errors(check), check.source
    for cell in skipper.cells:
        if not any(cell is c for c in (*checks, solution_cells(skipper)[-1])):
            assert not errors(cell), f"skipper copy raised in {cell.source[:80]}"
    if lab in FALLBACK_LABS:
        said = [
            text(c) for c in skipper.cells if "so this cell uses the reference instead" in text(c)
        ]
        assert said, "no cell said that it used the reference"
        assert all(t.count("uses the reference") == 1 for t in said), said


def nbgrader_validate(notebooks: dict, tmp_path) -> dict[str, str]:
    """What `nbgrader validate` says of each notebook, from one run over all of them (each
    run starts nbgrader and a kernel: seconds apiece). Its report of a notebook opens with
    "Success!" or "VALIDATION FAILED"."""
    paths = []
    for name, nb in notebooks.items():
        paths.append(str(tmp_path / f"{name}.ipynb"))
        nbformat.write(nb, paths[-1])
    done = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "validate", *paths],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    reports = re.split(r"(?=Success! |VALIDATION FAILED)", done.stdout)[1:]
    assert len(reports) == len(notebooks), done.stdout + done.stderr
    return dict(zip(notebooks, reports, strict=True))


def test_nbgrader_validate_fails_an_unsolved_or_wrong_lab_and_passes_a_solved_one(course, tmp_path):
    course_dir, _ = course
    lab = LABS[0]
    student = nbformat.read(course_dir / "release" / sv.assignment_id(lab) / lab.name, 4)
    solved = sv.solved_copy(student, nbformat.read(lab, 4))
    wrong = nbformat.from_dict(solved)
    first = solution_cells(wrong)[0]
    assert "return x - lr * g" in first.source
    first.source = first.source.replace("return x - lr * g", "return x + lr * g")
    said = nbgrader_validate({"solved": solved, "unsolved": student, "wrong": wrong}, tmp_path)
    assert said["solved"].startswith("Success! Your notebook passes all the tests."), said
    for who in ("unsolved", "wrong"):
        assert said[who].startswith("VALIDATION FAILED") and "Not yet:" in said[who], said[who]


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
