"""Binder's environment (binder/) agrees with requirements.txt, except for a CPU-only torch.

repo2docker reads binder/ and ignores the top-level files when binder/ exists, so the two
requirement files can drift apart silently; these tests stop that.
"""

import importlib.metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def requirement_lines(path: Path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def pins(path: Path) -> dict[str, str]:
    """Package name -> pinned version, for every `name==version` line."""
    found = {}
    for line in requirement_lines(path):
        if line.startswith("-"):
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{path.name}: {line} is not an exact pin"
        name = canonicalize_name(requirement.name)
        assert name not in found, f"{path.name}: {name} pinned twice"
        found[name] = specifier.version
    return found


TOP = ROOT / "requirements.txt"
BINDER = ROOT / "binder" / "requirements.txt"


def test_binder_pins_the_same_packages_at_the_same_versions_except_torch():
    top, binder = pins(TOP), pins(BINDER)
    assert set(binder) == set(top)
    differing = {name for name in top if top[name] != binder[name]}
    assert differing <= {"torch"}, f"pins that disagree: {sorted(differing)}"


def test_binder_torch_is_the_cpu_build_of_the_same_release():
    top, binder = Version(pins(TOP)["torch"]), Version(pins(BINDER)["torch"])
    assert binder.local == "cpu", "Binder must install the CPU-only torch wheel"
    assert binder.public == top.public


def test_binder_reads_the_cpu_wheel_index_without_replacing_pypi():
    options = [line for line in requirement_lines(BINDER) if line.startswith("-")]
    assert f"--extra-index-url {CPU_INDEX}" in options
    assert not any(line.startswith(("--index-url", "-i ")) for line in options)


def test_binder_installs_the_package_last_like_requirements_txt():
    """repo2docker runs pip from the repository root, so `-e .` is the root, as in the top file."""
    assert requirement_lines(BINDER)[-1] == requirement_lines(TOP)[-1] == "-e ."


@pytest.mark.parametrize("name", sorted(pins(TOP)))
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
