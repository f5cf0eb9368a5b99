"""The setup cell (every notebook's first code cell): silent where everything is installed, and
where it cannot install what is missing it stops with the one command to run, in plain words."""

import subprocess
import sys
import venv

from rmslab.course.notebooks import CPU_INDEX, install_command, setup_cell_source

URL = "https://github.com/someone/a-fork"


def run_cell(python, source):
    """Run the cell from /, where no ./rmslab can be imported by accident."""
    return subprocess.run(
        [python, "-c", source], capture_output=True, text=True, timeout=120, cwd="/"
    )


def test_the_cell_does_nothing_where_the_course_is_installed():
    done = run_cell(sys.executable, setup_cell_source(URL))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


def test_without_the_packages_and_without_pip_it_names_the_command(tmp_path):
    """A bare Python (no pip, no network use possible): the cell says what to run."""
    venv.create(tmp_path / "bare", with_pip=False)
    done = run_cell(str(tmp_path / "bare" / "bin" / "python"), setup_cell_source(URL))
    assert done.returncode != 0
    assert "Installing rmslab, torch, sklearn into this Python" in done.stdout
    assert "Could not install the course packages. In a terminal, run" in done.stderr
    command = done.stderr.split("run\n", 1)[1].splitlines()[0].strip()
    assert command.startswith("pip install 'rmslab[course] @ git+" + URL + "'")
    assert command.endswith(f"--extra-index-url {CPU_INDEX}")
    assert "restart the kernel" in done.stderr


def test_the_documented_command_installs_torch_from_the_cpu_index():
    assert install_command(URL) == (
        f'pip install "rmslab[course] @ git+{URL}" --extra-index-url {CPU_INDEX}'
    )
