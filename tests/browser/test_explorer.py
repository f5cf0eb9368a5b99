"""The kernel-less explorers (``_ext/explorer.py``) in the built book.

* **Parity**: the explorers' JavaScript runs every optimizer x convention x problem of
  :mod:`explorer_cases` for 300 steps, and each trajectory must equal ``rmslab.optim``'s to
  1e-12 relative (float64 on both sides); every page with an explorer loads that same script,
  byte for byte.
* **Wiring**: what an explorer draws is what its controls say: its trajectories equal
  rmslab's for the settings read back from the controls, before and after a keyboard input.
* **Controls**: every control is labelled and reachable with the keyboard.
* **Placement**: every chapter page holds one, except those :data:`WITHOUT_EXPLORER` exempts
  with a reason; :data:`PAGES_WITH_EXPLORERS` names them so a renamed page fails loudly.
"""

from __future__ import annotations

import numpy as np
import pytest
from builtbook import HTML_DIR, book_missing_reason, content_pages
from explorer_cases import RTOL, STEPS, cases, reference

#: The pages that must hold at least one explorer. Keep in step with the chapters.
PAGES_WITH_EXPLORERS = [
    "chapters/01_gradient_descent.html",
    "chapters/02_momentum.html",
    "chapters/03_adagrad.html",
    "chapters/04_rmsprop.html",
    "chapters/05_rmsprop_in_practice.html",
    "chapters/06_adam.html",
    "chapters/07_real_networks.html",
]
#: Chapter pages that need no explorer, and why. Every other chapter page must hold one.
WITHOUT_EXPLORER: dict[str, str] = {}

MARKER = 'class="rmslab-explorer"'


def explorer_pages() -> list[str]:
    """The built pages whose HTML holds an explorer block."""
    if book_missing_reason():
        return []
    return [p for p in content_pages() if MARKER in (HTML_DIR / p).read_text(encoding="utf-8")]


def _pages_param():
    reason = book_missing_reason()
    if reason:
        return [pytest.param(None, marks=pytest.mark.skip(reason))]
    pages = explorer_pages()
    return pages or [pytest.param(None, marks=pytest.mark.skip("no page has an explorer"))]


RUN_CASES = """([cases, steps]) => cases.map(c => {
    const core = window.rmslabExplorerCore;
    const run = core.run(c.optimizer, c.settings, core.makeProblem(c.problem), steps);
    return run.xs.map(x => x.map(v => Number.isFinite(v) ? v : String(v)));
})"""

STARTED = "() => window.rmslabExplorers && window.rmslabExplorers.every(e => e.runs)"
EXPLORERS = """() => window.rmslabExplorers.map(e => ({
    state: e.state(),
    xs: e.runs.map(r => r.xs.map(x => x.map(v => Number.isFinite(v) ? v : String(v)))),
    table: e.readout.textContent,
}))"""

CONTROLS = ".rmslab-explorer input, .rmslab-explorer select"
UNLABELLED = f"""() => [...document.querySelectorAll('{CONTROLS}')]
    .filter(c => !(c.labels && c.labels.length && c.labels[0].textContent.trim()))
    .map(c => c.id || c.outerHTML.slice(0, 80))"""


def assert_same_path(js, expected, what):
    js = np.array(js, dtype=float)
    assert js.shape == expected.shape, f"{what}: shape {js.shape} != {expected.shape}"
    np.testing.assert_allclose(js, expected, rtol=RTOL, atol=0, equal_nan=True, err_msg=what)


def test_every_case_is_finite_in_rmslab():
    """A diverged reference would compare NaN with NaN: every case stays finite."""
    for case in cases():
        assert np.isfinite(reference(case)).all(), case["id"]


CORE_SOURCE = """async () => {
    const script = document.querySelector('script[src*="rmslab-explorer-core"]');
    return script && window.rmslabExplorerCore ? (await fetch(script.src)).text() : null;
}"""


def test_page_code_matches_rmslab_for_every_optimizer_convention_and_problem(book):
    """Run on the first explorer page; the test below shows every page runs the same code."""
    visit = book.visit(PAGES_WITH_EXPLORERS[0])
    all_cases = cases()
    results = visit.page.evaluate(RUN_CASES, [all_cases, STEPS])
    assert len(results) == len(all_cases) >= 100
    failures = []
    for case, js in zip(all_cases, results, strict=True):
        try:
            assert_same_path(js, reference(case), case["id"])
        except AssertionError as error:
            failures.append(str(error).splitlines()[0] + f" ({case['id']})")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("explorer_page", _pages_param())
def test_every_explorer_page_runs_the_core_tested_above(book, explorer_page):
    """The script that defines ``rmslabExplorerCore`` on this page is, byte for byte, the one
    whose every optimizer x convention x problem the test above compares with rmslab."""
    tested = book.visit(PAGES_WITH_EXPLORERS[0]).page.evaluate(CORE_SOURCE)
    loaded = book.visit(explorer_page).page.evaluate(CORE_SOURCE)
    assert tested and "makeProblem" in tested
    assert loaded == tested


def reference_from_state(state: dict, side: dict) -> np.ndarray:
    case = {"optimizer": side["optimizer"], "settings": side["settings"], **state}
    return reference(case, steps=state["steps"])


@pytest.mark.interacts
@pytest.mark.parametrize("explorer_page", _pages_param())
def test_what_the_explorer_draws_is_rmslab_for_its_controls(book, explorer_page):
    visit = book.interact(explorer_page)  # after the tests that only look: the keys change it
    tab = visit.page
    tab.wait_for_function(STARTED)
    explorers = tab.evaluate(EXPLORERS)
    assert explorers, "no explorer started"
    for shown in explorers:
        for side, xs in zip(shown["state"]["sides"], shown["xs"], strict=True):
            assert_same_path(xs, reference_from_state(shown["state"], side), str(side))
        assert "steps" in shown["table"] or "not within" in shown["table"]
    # Keyboard: focus A's learning-rate slider and press the arrow key twice.
    slider = tab.locator(".rmslab-explorer .rx-side-a input[id$='-lr']").first
    slider.focus()
    lr_before = tab.evaluate(EXPLORERS)[0]["state"]["sides"][0]["settings"]["lr"]
    slider.press("ArrowRight")
    slider.press("ArrowRight")
    # The redraw comes in a later animation frame, one per key press at most: wait until the
    # drawn run has the lr the slider now says (not just the lr after the first press).
    tab.wait_for_function(
        """lr => {
            const e = window.rmslabExplorers[0], drawn = e.runs[0].settings.lr;
            return drawn > lr && drawn === e.state().sides[0].settings.lr;
        }""",
        arg=lr_before,
    )
    after = tab.evaluate(EXPLORERS)[0]
    side = after["state"]["sides"][0]
    assert side["settings"]["lr"] > lr_before
    assert_same_path(after["xs"][0], reference_from_state(after["state"], side), "after keys")
    assert visit.page_errors == []


# Each control in turn, as Playwright's `locator.is_visible()` and `locator.focus()` see and do it
# (its `computeBox`: the element's `checkVisibility()`, `visibility: visible` and a box of some
# size, or for `display: contents` a visible child; its `focusNode`: `focus()`), in one call: five
# round trips a control took 2 s a chapter page.
FOCUS_EACH = f"""() => {{
    const visible = el => {{
        const style = getComputedStyle(el);
        if (style.display === 'contents') {{
            return [...el.childNodes].some(child => {{
                if (child.nodeType === Node.ELEMENT_NODE) return visible(child);
                if (child.nodeType !== Node.TEXT_NODE) return false;
                const range = document.createRange();
                range.selectNode(child);
                const box = range.getBoundingClientRect();
                return box.width > 0 && box.height > 0;
            }});
        }}
        if (!el.checkVisibility() || style.visibility !== 'visible') return false;
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.height > 0;
    }};
    return [...document.querySelectorAll('{CONTROLS}')].map(control => {{
        if (!visible(control)) return {{visible: false}};
        const tabindex = control.getAttribute('tabindex');
        control.focus();
        return {{visible: true, tabindex, id: control.getAttribute('id'),
                 focused: document.activeElement.id}};
    }});
}}"""


@pytest.mark.parametrize("explorer_page", _pages_param())
def test_every_control_is_labelled_and_keyboard_operable(book, explorer_page):
    tab = book.visit(explorer_page).page
    assert tab.evaluate(UNLABELLED) == []
    controls = tab.evaluate(FOCUS_EACH)
    assert len(controls) >= 6
    for control in controls:
        if not control["visible"]:
            continue
        assert control["tabindex"] in (None, "0"), control
        assert control["focused"] == control["id"], control


@pytest.mark.parametrize("explorer_page", _pages_param())
def test_explorer_paints_its_canvas(book, explorer_page):
    tab = book.visit(explorer_page).page
    tab.wait_for_function(STARTED)
    inked = tab.evaluate(
        """() => [...document.querySelectorAll('.rmslab-explorer canvas')].map(c => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let dark = 0;
            for (let k = 0; k < d.length; k += 4) if (d[k + 3] > 0 && d[k] < 100) dark++;
            return dark;
        })"""
    )
    assert inked and all(n > 1000 for n in inked), inked


@pytest.mark.parametrize("listed_page", PAGES_WITH_EXPLORERS)
def test_listed_pages_have_an_explorer(html_dir, listed_page):
    html = (html_dir / listed_page).read_text(encoding="utf-8")
    assert MARKER in html, f"{listed_page} has no explorer"


def test_every_chapter_has_an_explorer(html_dir):
    chapters = [
        p for p in content_pages() if p.startswith("chapters/") and p not in WITHOUT_EXPLORER
    ]
    missing = [p for p in chapters if MARKER not in (html_dir / p).read_text(encoding="utf-8")]
    assert chapters and missing == []
