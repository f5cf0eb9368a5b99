"""Every page of the built book, as a reader's browser shows it, with the network unplugged.

All the tests of a page share one load of it, on one worker. The tests that only look at it
(`book.visit`) run first, and see it as a reader first sees it (solutions collapsed). The tests
that click or type (`book.interact`, marked `interacts`) run after them: an explorer's keys
(test_explorer.py), then the animations, then the solutions, in the order pytest collects them
(files, then definitions). Each acts only on elements of its own, and the solutions' test, which
wants every solution collapsed, comes last.
"""

from __future__ import annotations

import base64

import pytest

MATH_STATE = """() => {
    const nodes = [...document.querySelectorAll('.math')];
    const script = document.querySelector('script[src*="mathjax"]');
    return {
        nodes: nodes.length,
        typeset: document.querySelectorAll('.math mjx-container').length,
        raw: nodes.filter(n => !n.querySelector('mjx-container'))
                  .map(n => n.textContent.trim().slice(0, 80)),
        errors: [...document.querySelectorAll('mjx-merror')]
                  .map(e => e.getAttribute('data-mjx-error') || e.textContent),
        version: window.MathJax && window.MathJax.version,
        script: script && script.src,
    };
}"""

IMAGE_STATE = """async () => {
    const images = [...document.images];
    for (const img of images) { img.loading = 'eager'; }
    await Promise.all(images.map(img => img.decode().catch(() => null)));
    return images.map(img => ({
        src: (img.getAttribute('src') || '').slice(0, 100),
        inline: (img.getAttribute('src') || '').startsWith('data:'),
        where: img.id || (img.closest('[id]') || {}).id || '',
        alt: (img.getAttribute('alt') || '').trim(),
        width: img.naturalWidth,
    }));
}"""

FIGURE_STATE = """() => [...document.querySelectorAll('article figure')].map(figure => {
    const caption = figure.querySelector('figcaption');
    const number = caption && caption.querySelector('.caption-number');
    const text = caption ? caption.textContent.replace(number ? number.textContent : '', '') : '';
    return {id: figure.id, caption: text.trim(), images: figure.querySelectorAll('img').length};
})"""

# Images in the article that are neither in a figure nor an animation's frame: a plot printed
# by a code cell without a caption (give the cell `mystnb.figure` and `mystnb.image` metadata,
# or glue it and use `{glue:figure}`).
LOOSE_IMAGES = """() => [...document.querySelectorAll('article img')]
    .filter(img => !img.closest('figure') && !img.closest('.animation'))
    .map(img => img.getAttribute('src'))"""


def test_page_loads_without_errors_or_offsite_requests(book, page):
    visit = book.visit(page)
    assert visit.page_errors == [], "uncaught errors in the page's scripts"
    assert visit.offsite_requests == [], "the page fetched from another host"
    assert visit.failed_requests == [], "requests that failed"


def test_every_math_node_is_typeset_by_the_local_mathjax(book, page):
    visit = book.visit(page)
    math = visit.page.evaluate(MATH_STATE)
    if math["nodes"] == 0:
        return
    assert math["version"] and math["version"].startswith("3."), "MathJax 3 did not load"
    assert math["script"].startswith(book.origin + "/"), "MathJax must come from the built site"
    assert math["raw"] == [], "math left as raw LaTeX"
    assert math["typeset"] == math["nodes"], "each math node should hold one typeset formula"
    assert math["errors"] == [], "MathJax could not typeset these formulas"


def test_every_image_loads_and_has_alt_text(book, page):
    visit = book.visit(page)
    for image in visit.page.evaluate(IMAGE_STATE):
        name = f"{image['src']} (in #{image['where']})"
        assert image["width"] > 0, f"image did not load: {name}"
        assert image["alt"], f"image without alt text: {name}"
        if not image["inline"]:  # docutils falls back to the file's path as alt text
            file_name = image["src"].rsplit("/", 1)[-1]
            assert file_name not in image["alt"], f"alt text is only the file name: {name}"


def test_every_figure_has_a_caption_and_every_plot_is_a_figure(book, page):
    visit = book.visit(page)
    for figure in visit.page.evaluate(FIGURE_STATE):
        assert figure["caption"], f"figure {figure['id'] or '(no id)'} has no caption"
        assert figure["images"] >= 1, f"figure {figure['id']} shows no image"
    assert visit.page.evaluate(LOOSE_IMAGES) == [], "images outside a captioned figure"


def full_page_png(page) -> bytes:
    """The image `page.screenshot(full_page=True)` takes (the same request to Chromium, the same
    pixels), PNG-encoded for speed: a third less CPU, a quarter more bytes (a chapter is 10 000
    to 22 000 pixels tall)."""
    cdp = page.context.new_cdp_session(page)
    try:
        size = cdp.send("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = cdp.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "clip": clip,
                "captureBeyondViewport": True,
                "optimizeForSpeed": True,
            },
        )
    finally:
        cdp.detach()
    return base64.b64decode(shot["data"])


@pytest.mark.screenshots
def test_screenshot_of_each_page(book, content_page, screenshot_dir):
    """A full-page PNG of each page for a person to look over (`make screenshots`; CI keeps them
    as an artifact). Not part of `make test`: it checks nothing but that an image was made, and
    painting 20 000-pixel pages costs a tenth of the browser tests' CPU."""
    visit = book.visit(content_page)
    target = screenshot_dir / content_page.replace(".html", ".png")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(full_page_png(visit.page))
    assert target.stat().st_size > 10_000, "suspiciously small screenshot"


ANIMATIONS = """() => [...document.querySelectorAll('div.animation')].map(el => el.querySelector(
    'img').id)"""


FRAME_COUNT = r"""id => {
    for (const script of document.scripts) {
        if (script.textContent.includes(`var img_id = "${id}"`)) {
            const match = script.textContent.match(/var frames = new Array\((\d+)\)/);
            return match ? Number(match[1]) : 0;
        }
    }
    return 0;
}"""


def _frame(page, image_id: str) -> tuple[str, str]:
    return page.evaluate(
        """id => [document.getElementById(id).src,
                  document.getElementById(id).closest('.animation')
                      .querySelector('input.anim-slider').value]""",
        image_id,
    )


@pytest.mark.interacts
def test_each_animation_plays_and_its_slider_moves(book, content_page):
    """matplotlib's to_jshtml animations, which run without a kernel."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    visit = book.interact(content_page)  # after the tests that only look: playing changes it
    page = visit.page
    if not page.evaluate(ANIMATIONS):
        return
    for image_id in page.evaluate(ANIMATIONS):
        animation = page.locator(f'.animation:has(img[id="{image_id}"])')
        slider = animation.locator("input.anim-slider")
        n_frames = page.evaluate(FRAME_COUNT, image_id)
        assert n_frames >= 2, f"animation {image_id} has {n_frames} frames"
        # The page's HTML says max="1"; the Animation object sets it from its frames.
        try:
            page.wait_for_function(
                """([id, n]) => document.getElementById(
                    id.replace('_anim_img', '_anim_slider')).max === String(n - 1)""",
                arg=[image_id, n_frames],
                timeout=10_000,
            )
        except PlaywrightTimeout:
            pytest.fail(f"the slider of animation {image_id} does not span its {n_frames} frames")
        animation.scroll_into_view_if_needed()
        animation.locator('button[title="First frame"]').click()
        first = _frame(page, image_id)
        animation.locator('button[title="Play"]').click()
        try:
            page.wait_for_function(
                """([id, src]) => document.getElementById(id).src !== src""",
                arg=[image_id, first[0]],
                timeout=10_000,
            )
        except PlaywrightTimeout:
            pytest.fail(f"pressing Play did not change the frame of animation {image_id}")
        animation.locator('button[title="Pause"]').click()
        assert _frame(page, image_id)[1] != first[1], "the slider did not follow the playback"

        slider.focus()
        page.keyboard.press("Home")
        at_start = _frame(page, image_id)
        page.keyboard.press("End")
        at_end = _frame(page, image_id)
        assert at_end[1] == str(n_frames - 1), "End did not go to the last frame"
        assert at_end[0] != at_start[0], "moving the slider did not change the frame"
    assert visit.page_errors == []
    assert visit.offsite_requests == []


SOLUTIONS = """() => {
    const found = [];
    document.querySelectorAll('.solution.admonition').forEach(el => found.push(
        {kind: 'solution', id: el.id}));
    document.querySelectorAll('.cell').forEach((cell, index) => {
        const source = cell.querySelector('.cell_input pre');
        if (source && source.textContent.includes('### BEGIN SOLUTION')) {
            cell.dataset.solutionIndex = String(index);
            found.push({kind: 'cell', id: String(index)});
        }
    });
    return found;
}"""


@pytest.mark.interacts
def test_exercise_solutions_are_collapsed_until_clicked(book, content_page):
    """sphinx-exercise solutions and nbgrader solution cells: hidden, then shown on a click."""
    visit = book.interact(content_page)  # after the tests that only look: clicking changes it
    page = visit.page
    if not page.evaluate(SOLUTIONS):
        return  # test_the_checks_are_not_vacuous: some pages do have both kinds
    for solution in page.evaluate(SOLUTIONS):
        if solution["kind"] == "solution":
            box = page.locator(f'[id="{solution["id"]}"]')
            body = box.locator(":scope > :not(.admonition-title)").first
            opener = box.locator(":scope > .admonition-title > button.toggle-button")
        else:
            box = page.locator(f'[data-solution-index="{solution["id"]}"]')
            body = box.locator(".cell_input pre").first
            opener = box.locator("details.hide > summary").first
        label = (
            f"solution #{solution['id']}"
            if solution["kind"] == "solution"
            else f"the solution code cell (cell {solution['id']} of the page, ### BEGIN SOLUTION)"
        )
        assert not body.is_visible(), f"{label} is shown before the reader asks for it"
        assert opener.count() == 1, f"{label} has nothing to click to show it"
        opener.click()  # scrolls it into view first, as a reader would
        body.wait_for(state="visible", timeout=5_000)
    assert visit.page_errors == []


def _finished_search(book, query):
    """Open the search page and wait until Sphinx has listed every result.

    Sphinx shows results one at a time on a 5 ms timer and sets the heading to "Search Results"
    only after the last one, so reading the list before that sees only the first few hits.
    """
    visit = book.open(f"search.html?q={query}")
    visit.page.wait_for_function(
        "() => { const h = document.querySelector('#search-results h2');"
        " return h && h.textContent.trim() === 'Search Results'; }",
        timeout=15_000,
    )
    summary = visit.page.locator("#search-results p.search-summary").inner_text()
    hrefs = [
        link.get_attribute("href")
        for link in visit.page.locator("#search-results ul.search li a").all()
    ]
    return visit, summary, hrefs


def test_search_finds_rmsprop(book):
    visit, summary, hrefs = _finished_search(book, "RMSProp")
    assert hrefs, "no search results for RMSProp"
    assert f"found {len(hrefs)} page" in summary, (summary, hrefs)
    pages = {href.split("#")[0].split("?")[0] for href in hrefs}
    assert {"intro.html", "chapters/04_rmsprop.html", "notation.html"} <= pages, hrefs
    assert visit.page_errors == [] and visit.offsite_requests == []


def test_search_reports_no_results_for_an_absent_word(book):
    """The search test above can fail: a word the book never uses finds nothing."""
    visit, summary, hrefs = _finished_search(book, "zzzyxnotinthebook")
    assert hrefs == []
    assert "did not match any documents" in summary, summary
    assert visit.page_errors == [] and visit.offsite_requests == []


@pytest.mark.parametrize("lab", ["labs/04_rmsprop_lab.html", "labs/05_adam_lab.html"])
def test_the_public_lab_pages_print_no_solution_markers_and_true_tolerances(book, lab):
    """Issue 12, T9: Lab 5's diff printed nbgrader's markers on the public (instructor) page;
    Lab 4 promised agreement to 1e-6 where the gap it prints is rounding error."""
    printed = book.visit(lab).page.evaluate(
        "() => [...document.querySelectorAll('.cell_output')].map(o => o.innerText).join('\\n')"
    )
    assert "### BEGIN" not in printed and "### END" not in printed
    if lab.startswith("labs/04"):
        gap = float(printed.split("largest difference over 200 steps: ")[1].split()[0])
        assert gap < 1e-12
    else:
        assert "+    m_new = ema(m, g, beta1)" in printed  # the diff is there
