"""axe-core (WCAG 2.1 levels A and AA) on every page of the built book: 0 violations.

axe-core is vendored in ``tests/browser/vendor/`` (from the npm package ``axe-core``, MPL-2.0,
version in the file's first line): the tests never fetch it, and the book does not ship it.
"""

from __future__ import annotations

import json
from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN_AXE = """async (tags) => {
    // resultTypes: only the violations get full details (axe's option to run faster).
    const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                            resultTypes: ['violations']});
    return result.violations.map(v => ({
        rule: v.id, impact: v.impact,
        nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '),
                                              summary: (n.failureSummary || '').slice(0, 300)})),
    }));
}"""


def test_axe_finds_no_wcag_violation(book, page):
    tab = book.visit(page).page
    # The explorers draw after the first animation frame; test the page as it is then.
    tab.wait_for_function(
        "() => !document.querySelector('.rmslab-explorer') || "
        "(window.rmslabExplorers && window.rmslabExplorers.every(e => e.runs))"
    )
    if not tab.evaluate("() => typeof axe !== 'undefined'"):
        tab.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    violations = tab.evaluate(RUN_AXE, TAGS)
    assert violations == [], json.dumps(violations, indent=1)
