"""The pre-commit hooks check what `make lint` checks, and the no-outputs rule catches outputs.

pre-commit itself needs the network to fetch ruff's hook, so the tests read its configuration
and run the notebook rule's regular expression the way pre-commit's `pygrep` does.
"""

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from rmslab.course.notebooks import notebooks

ROOT = Path(__file__).resolve().parents[1]

CONFIG = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
MAKEFILE = (ROOT / "Makefile").read_text()


def hook(hook_id: str) -> dict:
    for repo in CONFIG["repos"]:
        for entry in repo["hooks"]:
            if entry["id"] == hook_id:
                return {**entry, "repo": repo["repo"], "rev": repo.get("rev")}
    raise AssertionError(f"no pre-commit hook {hook_id}")


def make_variable(name: str) -> list[str]:
    value = re.search(rf"^{name}\s*:=\s*(.*)$", MAKEFILE, re.MULTILINE).group(1).split()
    expanded = []
    for word in value:
        inner = re.fullmatch(r"\$\((\w+)\)", word)
        expanded += make_variable(inner.group(1)) if inner else [word]
    return expanded


def flags_outputs(text: str) -> bool:
    """pre-commit's pygrep with --multiline: a match anywhere in the file fails the commit."""
    notebook_rule = hook("notebooks-without-outputs")
    assert notebook_rule["language"] == "pygrep" and "--multiline" in notebook_rule["args"]
    return re.search(notebook_rule["entry"], text, re.MULTILINE) is not None


def test_ruff_hooks_use_the_pinned_ruff():
    pinned = re.search(r"^ruff==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)
    for hook_id in ("ruff-check", "ruff-format"):
        assert hook(hook_id)["rev"] == f"v{pinned.group(1)}"
    assert "--check" in hook("ruff-format")["args"], "the hook must check, as `make lint` does"


def test_hooks_cover_the_paths_make_lint_covers():
    linted = set(make_variable("LINTED"))
    covered = set(re.fullmatch(r"\^\((.*)\)/", CONFIG["files"]).group(1).split("|"))
    assert covered == linted
    assert "$(VENV)/bin/ruff check $(LINTED)" in MAKEFILE
    assert "$(VENV)/bin/ruff format --check $(LINTED)" in MAKEFILE


@pytest.mark.parametrize("path", notebooks(ROOT), ids=lambda p: p.name)
def test_no_outputs_rule_passes_the_committed_notebooks(path):
    assert not flags_outputs(path.read_text())


def test_no_outputs_rule_catches_an_output_and_an_execution_count():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    assert not flags_outputs(nbformat.writes(notebook))
    notebook.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    assert flags_outputs(nbformat.writes(notebook))
    notebook.cells[0].outputs = []
    notebook.cells[0].execution_count = 1
    assert flags_outputs(nbformat.writes(notebook))
    # Written by another JSON writer, the rule still sees the output.
    compact = json.loads(nbformat.writes(notebook))
    compact["cells"][0].update(execution_count=None, outputs=[{"output_type": "stream"}])
    assert flags_outputs(json.dumps(compact, indent=1))
