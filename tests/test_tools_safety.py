"""The course tools cannot overwrite the sources, copy only what the book needs, parse their
arguments, and the tests use the package rather than the scripts' internals."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from rmslab.course.notebooks import execution_settings, repository_url, setup_cell_source
from rmslab.course.output import MARKER, checked_output, fresh_folder
from rmslab.course.student_book import copy_sources, student_toc, toc_files

ROOT = Path(__file__).resolve().parents[1]
TOOLS = sorted((ROOT / "tools").glob("*.py"))


def run_tool(name, *args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / name), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("inside", [".", "labs", "chapters/new", "rmslab", ".."])
def test_an_output_folder_in_the_sources_is_refused(inside):
    with pytest.raises(ValueError, match="course sources"):
        checked_output(ROOT / inside, ROOT)


@pytest.mark.parametrize("allowed", ["_build", "_build/student", "_build/a/b"])
def test_build_folders_are_allowed(allowed):
    assert checked_output(ROOT / allowed, ROOT) == (ROOT / allowed).resolve()


def test_a_folder_outside_the_repository_is_allowed(tmp_path):
    assert checked_output(tmp_path / "out", ROOT) == (tmp_path / "out").resolve()


def test_fresh_folder_keeps_a_folder_it_did_not_make(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(ValueError, match="no course tool wrote"):
        fresh_folder(precious, ROOT)
    assert (precious / "thesis.tex").read_text() == "years of work"


def test_fresh_folder_replaces_a_folder_it_made(tmp_path):
    out = fresh_folder(tmp_path / "out", ROOT)
    (out / "old.ipynb").write_text("{}")
    again = fresh_folder(tmp_path / "out", ROOT)
    assert sorted(p.name for p in again.iterdir()) == [MARKER]


@pytest.mark.slow  # starts Python for a tool (seconds each on a loaded machine)
def test_student_versions_into_the_repository_root_leaves_the_labs_alone():
    """`tools/student_versions.py notebooks .` used to `rmtree` labs/ (issue 15)."""
    before = {p.name: p.read_bytes() for p in (ROOT / "labs").glob("*.ipynb")}
    assert before
    done = run_tool("student_versions.py", "notebooks", ".")
    assert done.returncode != 0
    assert "inside the course sources" in done.stderr or "holds the course sources" in done.stderr
    assert {p.name: p.read_bytes() for p in (ROOT / "labs").glob("*.ipynb")} == before


@pytest.mark.slow  # starts Python for a tool (seconds each on a loaded machine)
@pytest.mark.parametrize(
    "args, message",
    [
        ([], "required: command"),
        (["publish"], "invalid choice: 'publish'"),
        (["notebooks", "a", "b"], "unrecognized arguments: b"),
        (["course"], "the following arguments are required: dir"),
    ],
)
def test_student_versions_rejects_bad_arguments_with_a_usage_message(args, message):
    done = run_tool("student_versions.py", *args)
    assert done.returncode == 2
    assert message in done.stderr and "usage: student_versions.py" in done.stderr


@pytest.mark.parametrize("tool", [p.name for p in TOOLS])
@pytest.mark.slow  # starts Python for a tool (seconds each on a loaded machine)
def test_every_tool_answers_help(tool):
    done = run_tool(tool, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")


@pytest.mark.slow  # starts Python for a tool (seconds each on a loaded machine)
def test_sync_check_names_a_notebook_whose_setup_cell_differs(tmp_path):
    """`--check` changes nothing and says which notebook is stale; without it the cell is fixed."""
    shutil.copy2(ROOT / "_config.yml", tmp_path / "_config.yml")
    (tmp_path / "chapters").mkdir()
    stale = tmp_path / "chapters" / "01_x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("old()")]), stale)
    done = run_tool("sync_repo_url.py", "--check", "--root", str(tmp_path))
    assert done.returncode == 1 and "chapters/01_x.ipynb" in done.stderr
    assert nbformat.read(stale, as_version=4).cells[0].source == "old()"
    assert run_tool("sync_repo_url.py", "--root", str(tmp_path)).returncode == 0
    assert nbformat.read(stale, as_version=4).cells[0].source == setup_cell_source(
        repository_url(tmp_path)
    )
    assert run_tool("sync_repo_url.py", "--check", "--root", str(tmp_path)).returncode == 0


def test_student_book_copies_only_the_allowlist(tmp_path):
    """A folder the table of contents does not name (answer keys, drafts) never reaches the copy."""
    toc = student_toc(yaml.safe_load((ROOT / "_toc.yml").read_text()))
    pages = copy_sources(tmp_path, toc)
    copied = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert set(pages) <= copied
    assert {str(Path(p).with_suffix("")) for p in pages} == set(toc_files(toc))
    assert not [p for p in copied if p.startswith(("instructors/", "tests/", "tools/", "rmslab/"))]
    assert "_config.yml" in copied and "references.bib" in copied
    assert not [p for p in copied if p.startswith("labs/")] or all(
        f"{Path(p).with_suffix('')}" in toc_files(toc) for p in copied if p.startswith("labs/")
    )


def test_student_book_copy_fails_on_a_missing_page(tmp_path):
    with pytest.raises(FileNotFoundError, match="chapters/99_missing"):
        copy_sources(
            tmp_path, {"root": "intro", "parts": [{"chapters": [{"file": "chapters/99_missing"}]}]}
        )


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("test_file", sorted((ROOT / "tests").rglob("*.py")), ids=lambda p: p.name)
def test_tests_do_not_import_the_tools(test_file):
    """The tools are command-line scripts; what tests need lives in rmslab.course."""
    on_path = re.search(r"sys\.path\.\w+\([^)]*tools", test_file.read_text())
    assert on_path is None, f"{test_file.name} puts tools/ on sys.path"
    assert not imported_modules(test_file) & {p.stem for p in TOOLS}


def test_execute_notebooks_uses_the_books_own_settings(tmp_path):
    """tools/execute_notebooks.py fills the build's cache only with runs the build would make."""
    assert execution_settings(ROOT) == {"timeout": 120, "allow_errors": False}
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    for change, message in (
        ({"execute_notebooks": "force"}, "must be 'cache', got 'force'"),
        ({"exclude_patterns": ["labs/*"]}, "must be unset"),
    ):
        changed = dict(config, execute=dict(config["execute"], **change))
        (tmp_path / "_config.yml").write_text(yaml.safe_dump(changed))
        with pytest.raises(ValueError, match=re.escape(message)):
            execution_settings(tmp_path)


@pytest.mark.slow  # starts Python for a tool
def test_execute_notebooks_refuses_fewer_than_one_job():
    done = run_tool("execute_notebooks.py", "--jobs", "0")
    assert done.returncode == 2 and "--jobs must be at least 1, got 0" in done.stderr
