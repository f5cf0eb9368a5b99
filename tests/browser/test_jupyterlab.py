"""A chapter opened from its launch button, in a real JupyterLab in Chromium, reads as the book.

JupyterLab (the learner's, from requirements.txt) serves the launch tree the build wrote to
`_build/launch` (the files of the branch Binder and Colab open) on 127.0.0.1. Each chapter is
opened as a learner would open it, its markdown cells rendered, and the rendered text must hold
no MyST role or directive (`{glue:text}`, `{cite:t}`, `{numref}`, a ```` ```{exercise} ```` fence)
and its solutions must be collapsed.

One JupyterLab tab serves the module: the first chapter opens from its URL (`lab/tree/<path>`, what
the Binder button opens) in a fresh workspace, and each next one in that same JupyterLab by the
command that URL runs (`filebrowser:open-path`), which replaces the chapter before it. Loading the
whole app again for each chapter took 6-8 s a chapter; opening one in the loaded app takes 1-2 s.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from builtbook import HTML_DIR, book_missing_reason

LAUNCH_TREE = HTML_DIR.parent / "launch"
RAW = re.compile(r"\{(glue|cite|numref|ref|doc|eq|prf|exercise|solution)[:a-z-]*\}")
MISSING = book_missing_reason()
# A built book without a launch tree has no chapter here: the empty parametrization fails.
CHAPTERS = (
    [pytest.param(None, marks=pytest.mark.skip(reason=MISSING))]
    if MISSING
    else sorted(
        str(p.relative_to(LAUNCH_TREE))
        for p in LAUNCH_TREE.glob("*/*.ipynb")
        if p.parent.name in ("chapters", "appendix")
    )
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """(base URL, token) of a JupyterLab serving the launch tree; stopped after the module."""
    settings = tmp_path_factory.mktemp("settings")
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    # Render every cell, not only those in view, so the whole chapter can be read.
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    # JupyterLab writes checkpoints beside what it opens: serve a copy, not the published tree.
    served = tmp_path_factory.mktemp("served") / "launch"
    shutil.copytree(LAUNCH_TREE, served)
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTER_TOKEN=token)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter-lab"),
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--ServerApp.root_dir={served}",
            "--ServerApp.open_browser=False",
            # window.jupyterapp: the tests open each next chapter with the app's own command
            "--LabApp.expose_app_in_browser=True",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(settings / "jupyterlab.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 60 s")
        yield base, token
    finally:
        server.terminate()
        server.wait(timeout=30)


# JupyterLab's tree URL opens its file with this command, once the app has started.
OPEN = """async path => {
    const app = window.jupyterapp, before = [...app.shell.widgets('main')];
    const opened = await app.commands.execute('filebrowser:open-path',
                                              {path, dontShowBrowser: true});
    before.filter(w => w !== opened).forEach(w => w.dispose());
}"""
PANEL = """path => {
    const app = window.jupyterapp;
    const panel = app && [...app.shell.widgets('main')]
        .find(w => w.context && w.context.path === path);
    return panel ? panel.id : false;
}"""
# Every markdown cell of the chapter's panel rendered (JupyterLab marks a cell `jp-mod-rendered`
# once its HTML is in place), and MathJax set up: it typesets a cell as soon as the cell is shown,
# and its first typesetting, when it is ready, adds its stylesheet; every typesetting that waited
# for it has run in the same task, before this check can run again.
RENDERED = """([id, n]) => {
    const panel = document.getElementById(id);
    const cells = panel ? panel.querySelectorAll('.jp-Notebook .jp-MarkdownCell') : [];
    return cells.length >= n && [...cells].every(c => c.classList.contains('jp-mod-rendered'))
        && document.getElementById('MJX-CHTML-styles') !== null;
}"""


@pytest.fixture(scope="module")
def lab_tab(browser, jupyterlab):
    """One browser tab for the module's JupyterLab; the first test loads the app in it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def open_chapter(tab, jupyterlab, chapter: str) -> str:
    """Open `chapter` in the JupyterLab of `tab`, alone in the main area: the id of its panel."""
    base, token = jupyterlab
    if tab.url.startswith(base):
        tab.evaluate(OPEN, chapter)
    else:
        # `reset`: a fresh workspace, without notebooks an earlier run left open.
        tab.goto(f"{base}/lab/tree/{chapter}?reset&token={token}", wait_until="load")
    return tab.wait_for_function(PANEL, arg=chapter, timeout=90_000).json_value()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_chapter_in_jupyterlab_shows_text_not_markup(lab_tab, jupyterlab, chapter):
    page = lab_tab
    cells = json.loads(Path(LAUNCH_TREE / chapter).read_text())["cells"]
    count = len([c for c in cells if c["cell_type"] == "markdown"])
    panel = open_chapter(page, jupyterlab, chapter)
    page.wait_for_function(RENDERED, arg=[panel, count], timeout=90_000)
    page.evaluate("() => document.fonts.ready.then(() => null)")  # MathJax's fonts, for the shot
    rendered = page.eval_on_selector_all(
        f'[id="{panel}"] .jp-Notebook .jp-MarkdownCell', "cells => cells.map(c => c.innerText)"
    )
    assert len(rendered) == count, "not every markdown cell was rendered"
    text = "\n".join(rendered)
    raw = sorted({m.group(0) for m in RAW.finditer(text)})
    assert raw == [], f"{chapter} shows raw markup in JupyterLab: {raw}"
    opened = page.eval_on_selector_all(
        f'[id="{panel}"] .jp-RenderedMarkdown details[open]', "n => n.length"
    )
    assert opened == 0, "a solution is open when the chapter is opened"
    Path(HTML_DIR.parent / "screenshots").mkdir(exist_ok=True)
    page.screenshot(
        path=str(HTML_DIR.parent / "screenshots" / f"jupyterlab-{Path(chapter).stem}.png")
    )
