"""`make lab` opens the student versions of the labs, never the instructor files in labs/.

The target is run for real with JUPYTER=echo, so it writes the notebooks it would open and prints
the folder instead of starting JupyterLab; the installation stamps are taken as up to date (`-o`),
so the test never installs anything.
"""

import shlex
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from rmslab.course.student import HIDDEN_TEST_MARKERS, SOLUTION_MARKERS, find_leaks, lab_paths

ROOT = Path(__file__).resolve().parents[1]
STAMPS = [".venv/.learner-stamp", ".venv/.instructor-stamp", ".venv/.installed-stamp"]

pytest.importorskip("nbgrader", reason="make lab writes the student versions with nbgrader")
pytestmark = pytest.mark.slow  # nbgrader generates every lab, then one again (about 10 s)


def make_lab(lab_dir: Path) -> str:
    """Run `make lab LAB_DIR=lab_dir JUPYTER=echo`; return the command it would have run."""
    old_stamps = [arg for stamp in STAMPS for arg in ("-o", stamp)]
    done = subprocess.run(
        ["make", "--no-print-directory", *old_stamps, "lab", "JUPYTER=echo", f"LAB_DIR={lab_dir}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def opened(tmp_path_factory):
    """(the folder `make lab` opens, the notebooks in it)."""
    opened_line = make_lab(tmp_path_factory.mktemp("lab"))
    command, folder = shlex.split(opened_line)
    assert command == "lab", f"make lab ran `{opened_line}`, not `jupyter lab FOLDER`"
    return Path(folder), sorted(Path(folder).glob("*.ipynb"))


def test_make_lab_opens_a_folder_outside_the_labs(opened):
    folder, _ = opened
    assert folder.resolve() != (ROOT / "labs").resolve()
    assert not folder.resolve().is_relative_to((ROOT / "labs").resolve())


def test_make_lab_opens_one_student_version_per_lab(opened):
    _, notebooks = opened
    assert [p.name for p in notebooks] == [lab.name for lab in lab_paths()]


@pytest.mark.parametrize("lab", lab_paths(), ids=lambda p: p.stem)
def test_the_opened_lab_has_no_solution_and_no_hidden_test(opened, lab):
    folder, _ = opened
    student = nbformat.read(folder / lab.name, as_version=4)
    instructor = nbformat.read(lab, as_version=4)
    assert find_leaks(student, instructor) == []
    text = "\n".join(cell.source for cell in student.cells)
    assert not [m for m in SOLUTION_MARKERS + HIDDEN_TEST_MARKERS if m in text]
    stubs = [c for c in student.cells if "raise NotImplementedError" in c.source]
    solutions = [c for c in instructor.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(stubs) >= len([c for c in solutions if c.cell_type == "code"]) > 0


def test_make_lab_keeps_the_learners_work(opened, tmp_path):
    """A second `make lab` leaves an answered lab alone and restores a deleted one (in a copy
    of the opened folder: the other tests see the labs as `make lab` first wrote them)."""
    folder = tmp_path / "labs"
    shutil.copytree(opened[0], folder)
    notebooks = sorted(folder.glob("*.ipynb"))
    answered, deleted = notebooks[0], notebooks[1]
    answered.write_text(answered.read_text().replace("NotImplementedError", "MyAnswer"))
    mine = answered.read_text()
    expected = deleted.read_text()
    deleted.unlink()
    make_lab(tmp_path)
    assert answered.read_text() == mine
    assert deleted.read_text() == expected
