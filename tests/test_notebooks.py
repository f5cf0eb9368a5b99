"""Structure of the committed notebooks: valid, clean, listed in the table of contents, and
starting with the setup cell that points at the repository named in `_config.yml`.

Executing them is the strict book build's job (`make test` runs it once; any cell error fails
it); one notebook by hand: `pytest --nbval-lax --nbval-current-env NOTEBOOK`.
"""

from pathlib import Path

import nbformat
import pytest
import yaml

from rmslab.course.notebooks import (
    clear_outputs,
    notebooks,
    repository_url,
    setup_cell,
    setup_cell_source,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = notebooks(ROOT)
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return {entry["file"] for part in toc["parts"] for entry in part["chapters"]}


def test_there_are_chapters_and_labs():
    assert any(p.parent.name == "chapters" for p in NOTEBOOKS)
    assert any(p.parent.name == "labs" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_valid_and_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} has stored outputs"
            assert cell.execution_count is None, f"cell {index} has an execution count"
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_setup_cell_installs_from_the_configured_repository(path):
    nb = nbformat.read(path, as_version=4)
    cell = setup_cell(nb)
    expected = setup_cell_source(repository_url(ROOT))
    assert cell.source == expected, "setup cell out of date: run `make sync-url`"
    assert "remove-cell" in cell.metadata.get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_in_the_table_of_contents(path):
    assert str(path.relative_to(ROOT).with_suffix("")) in toc_files()


def test_every_toc_entry_exists():
    for entry in toc_files():
        candidates = [ROOT / f"{entry}{ext}" for ext in (".ipynb", ".md")]
        assert any(c.exists() for c in candidates), f"_toc.yml lists missing page {entry}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_file_names_follow_the_convention(path):
    stem = path.stem
    if path.parent.name == "appendix":
        assert stem.isidentifier() and stem.islower(), "name appendix notebooks topic_name"
        return
    assert stem[:2].isdigit() and stem[2] == "_", "name notebooks NN_topic"
    if path.parent.name == "labs":
        assert stem.endswith("_lab")


def test_requirements_pin_everything_and_end_with_the_package():
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[-1] == "-e ."
    for line in lines[:-1]:
        assert "==" in line, f"unpinned requirement: {line}"
    assert 'torch==2.13.0+cpu ; sys_platform == "linux"' in lines


def test_clear_outputs_strips_outputs_and_counts(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "1 + 1",
                execution_count=3,
                outputs=[
                    nbformat.v4.new_output(
                        "execute_result", data={"text/plain": "2"}, execution_count=3
                    )
                ],
            )
        ]
    )
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, path)
    assert clear_outputs(path) is True
    cell = nbformat.read(path, as_version=4).cells[0]
    assert cell.outputs == [] and cell.execution_count is None
    assert clear_outputs(path) is False
