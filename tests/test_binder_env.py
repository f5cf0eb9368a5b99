"""The learner's environment (requirements.txt) is lean, CPU-only, and Binder installs exactly it.

requirements.txt is what a learner, `make install` and Binder install; requirements-instructor.txt
adds nbgrader and requirements-dev.txt the tools that build and test the book. repo2docker reads
binder/ and ignores the top-level files when binder/ exists, so binder/requirements.txt must
include the learner's file and nothing else; these tests stop the files drifting apart.
"""

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
LEARNER = ROOT / "requirements.txt"
INSTRUCTOR = ROOT / "requirements-instructor.txt"
DEV = ROOT / "requirements-dev.txt"
BINDER = ROOT / "binder" / "requirements.txt"
LINUX = {"sys_platform": "linux", "platform_system": "Linux"}
MACOS = {"sys_platform": "darwin", "platform_system": "Darwin"}
# What builds or tests the book, never what a learner runs.
TOOLS = {
    "jupyter-book",
    "sphinx",
    "sphinx-exercise",
    "sphinx-proof",
    "sphinxcontrib-bibtex",
    "sphinx-mathjax-offline",
    "nbval",
    "pytest",
    "pytest-xdist",
    "hypothesis",
    "playwright",
    "ruff",
    "nbgrader",
}


def requirement_lines(path: Path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def requirements(path: Path) -> list[Requirement]:
    """Every `name==version` line of ``path`` (options and includes skipped); exact pins only."""
    found = []
    for line in requirement_lines(path):
        if line.startswith("-"):
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{path.name}: {line} is not an exact pin"
        found.append(requirement)
    return found


def pins(path: Path, platform: dict[str, str] = LINUX) -> dict[str, str]:
    """Package name -> pinned version on ``platform``, for the lines whose marker applies."""
    found = {}
    for requirement in requirements(path):
        if requirement.marker and not requirement.marker.evaluate(platform):
            continue
        name = canonicalize_name(requirement.name)
        assert name not in found, f"{path.name}: {name} pinned twice for {platform}"
        found[name] = next(iter(requirement.specifier)).version
    return found


def includes(path: Path) -> list[str]:
    return [line.split()[1] for line in requirement_lines(path) if line.startswith("-r ")]


def test_the_learner_installs_what_the_notebooks_import_and_no_book_tools():
    learner = pins(LEARNER)
    assert {"numpy", "matplotlib", "ipywidgets", "torch", "scikit-learn", "jupyterlab"} <= set(
        learner
    )
    assert not TOOLS & set(learner), (
        f"book or test tools in requirements.txt: {TOOLS & set(learner)}"
    )
    assert requirement_lines(LEARNER)[-1] == "-e .", "rmslab itself comes last, from the root"


def test_the_tools_stack_on_the_learner_file_in_order():
    """dev includes instructor, which includes the learner's file: one set of learner pins."""
    assert includes(INSTRUCTOR) == ["requirements.txt"]
    assert includes(DEV) == ["requirements-instructor.txt"]
    assert set(pins(INSTRUCTOR)) == {"nbgrader"}
    dev = pins(DEV)
    assert TOOLS - {"nbgrader", "sphinx"} <= set(dev)
    assert not set(dev) & set(pins(LEARNER)), "a learner pin repeated in requirements-dev.txt"


def test_linux_torch_is_the_cpu_build_and_other_systems_get_the_same_release():
    linux, macos = Version(pins(LEARNER)["torch"]), Version(pins(LEARNER, MACOS)["torch"])
    assert linux.local == "cpu", "on Linux only the CPU wheel may match (PyPI's is CUDA)"
    assert macos.local is None and macos.public == linux.public


def test_binder_installs_the_learner_file_and_reads_the_cpu_index_beside_pypi():
    assert requirement_lines(BINDER) == [f"--extra-index-url {CPU_INDEX}", "-r ../requirements.txt"]
    assert (BINDER.parent / "../requirements.txt").resolve() == LEARNER


def test_the_notebook_pin_accepts_the_pinned_jupyterlab():
    """Binder's base image has a `notebook`; the pinned one must accept the pinned jupyterlab."""
    learner = pins(LEARNER)
    installed = importlib.metadata.version("notebook")
    assert installed == learner["notebook"], "this environment does not have the pinned notebook"
    wanted = [
        Requirement(line)
        for line in importlib.metadata.requires("notebook")
        if canonicalize_name(Requirement(line).name) == "jupyterlab" and "extra" not in line
    ]
    assert wanted, "notebook no longer declares which jupyterlab it needs"
    for requirement in wanted:
        assert Version(learner["jupyterlab"]) in requirement.specifier, (
            f"notebook {installed} needs jupyterlab{requirement.specifier}, "
            f"requirements.txt pins {learner['jupyterlab']}"
        )


@pytest.mark.parametrize("name", sorted(pins(LEARNER)))
def test_binder_python_satisfies_every_pinned_package(name):
    """binder/runtime.txt names a Python that every pinned release supports."""
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert runtime.startswith("python-3."), runtime
    python = Version(runtime.removeprefix("python-"))
    try:
        requires = importlib.metadata.metadata(name).get("Requires-Python")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"{name} is not installed here")
    if requires:
        assert python in SpecifierSet(requires), f"{name} needs Python {requires}"


def test_pin_parser_rejects_a_loose_pin(tmp_path):
    loose = tmp_path / "requirements.txt"
    loose.write_text("numpy>=2\n")
    with pytest.raises(AssertionError, match="not an exact pin"):
        pins(loose)


def test_pin_parser_rejects_a_package_pinned_twice_for_one_platform(tmp_path):
    twice = tmp_path / "requirements.txt"
    twice.write_text('torch==2.13.0+cpu ; sys_platform == "linux"\ntorch==2.13.0\n')
    with pytest.raises(AssertionError, match="pinned twice"):
        pins(twice)
    assert pins(twice, MACOS) == {"torch": "2.13.0"}


def test_reading_a_notebook_builds_no_uri_parser():
    """The jsonschema pin in requirements.txt: importing nbformat does not import
    rfc3987-syntax, whose parser costs 1.4 s in every process that reads a notebook."""
    code = "import sys, nbformat; print('rfc3987_syntax' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
