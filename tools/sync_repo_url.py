"""Keep every notebook's setup cell pointing at the repository named in `_config.yml`.

`_config.yml` (`repository.url`) is the one place the repository address is written by hand.
The first code cell of each notebook installs `rmslab` from that address when it is missing
(on Colab); this script rewrites that cell from `setup_cell_source()`.  Run `make sync-url`
after changing the address; `tests/test_notebooks.py` fails until the notebooks agree.
"""

from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIRS = ("chapters", "labs")
SETUP_TAG = "setup"


def repository_url(root: Path = ROOT) -> str:
    config = yaml.safe_load((root / "_config.yml").read_text())
    return config["repository"]["url"].rstrip("/")


def setup_cell_source(url: str) -> str:
    return (
        "# Setup: makes `rmslab` importable. Binder, a local clone and CI already have it;\n"
        "# on Colab this installs it from the course repository (about a minute).\n"
        "import importlib.util\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if importlib.util.find_spec("rmslab") is None:\n'
        f'    REPO = "{url}"\n'
        '    pip = [sys.executable, "-m", "pip", "install", "-q"]\n'
        '    subprocess.run([*pip, f"git+{REPO}"], check=True)'
    )


def notebooks(root: Path = ROOT) -> list[Path]:
    return sorted(p for d in NOTEBOOK_DIRS for p in (root / d).glob("*.ipynb"))


def setup_cell(nb):
    """The first code cell, which must be the setup cell."""
    return next(c for c in nb.cells if c.cell_type == "code")


def main() -> None:
    source = setup_cell_source(repository_url())
    for path in notebooks():
        nb = nbformat.read(path, as_version=4)
        cell = setup_cell(nb)
        if cell.source != source:
            cell.source = source
            nbformat.write(nb, path)
            print(f"updated {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
