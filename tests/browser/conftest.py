"""Fixtures for the tests of the built book (`make book` first; `make test` runs them last).

The book is served from a local HTTP server on 127.0.0.1 (file:// breaks search) and viewed in
Debian's headless Chromium through Playwright. Every request to any other host (or port) is
refused and recorded, so the tests also prove that a page needs no network once the book is built.

Settings (environment variables):
    BOOK_HTML        the built HTML directory, default `_build/html` of this repository
    CHROMIUM         the Chromium executable, default /usr/bin/chromium
    REQUIRE_BROWSER  1: fail, instead of skip, when Chromium is missing (.ci/run sets it in CI)

The tests in this folder run only when the run names this folder, e.g. `pytest tests/browser`
(or when BOOK_TESTS=1): a plain `pytest tests` skips them, since they need the built book.
"""

from __future__ import annotations

import functools
import http.server
import inspect
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from builtbook import HTML_DIR, book_missing_reason, built_pages, content_pages

HERE = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ENABLE_HINT = (
    "install Debian's Chromium (`apt-get install chromium`, as root) and run `make test` again"
)


def browser_missing_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: run `make install`"
    if not CHROMIUM.is_file():
        return f"browser tests skipped: no Chromium at {CHROMIUM}; to enable them, {ENABLE_HINT}"
    return None


def _requested(config: pytest.Config) -> bool:
    if os.environ.get("BOOK_TESTS") == "1":
        return True
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _requested(config):
        # The tests that click or type run after those that only look, in the order they were
        # collected; a page's tests run on one worker in this order (`work_group`).
        for item in items:
            function = getattr(item, "function", None)  # None: not a Python test function
            clicks = function is not None and "book.interact(" in inspect.getsource(function)
            if clicks and not item.get_closest_marker("interacts"):
                raise pytest.UsageError(f"{item.nodeid} calls book.interact: mark it `interacts`")
        items.sort(key=lambda item: item.get_closest_marker("interacts") is not None)
        reason = book_missing_reason() or browser_missing_reason()
        if reason and os.environ.get("REQUIRE_BROWSER") == "1":
            raise pytest.UsageError(f"REQUIRE_BROWSER=1, so nothing may be skipped, but {reason}")
        return
    ours = [item for item in items if HERE in Path(str(item.path)).parents]
    if ours:
        config.hook.pytest_deselected(items=ours)
        items[:] = [item for item in items if item not in ours]


def work_group(nodeid: str, pages: frozenset[str]) -> str:
    """The tests that run on one worker under `--dist loadgroup` (make browser): those of one
    page, so that each worker loads a page once (`book.visit`), not each page twice; and the
    JupyterLab tests, which share one JupyterLab server (a module fixture)."""
    module, _, name = nodeid.partition("::")
    if Path(module).name == "test_jupyterlab.py":
        return "jupyterlab"
    if name.endswith("]"):
        page = name[name.index("[") + 1 : -1]  # the id of a test's one parameter, a built page
        if page in pages:
            return page
    return nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadgroup`, grouped by `work_group`, the JupyterLab tests first.

    xdist's own grouping (an `xdist_group` mark, which it appends to the test's id) has no effect
    under pytest 9.2, whose ids it can no longer rename: every test was scheduled on its own.
    JupyterLab first: the group takes longest, and started last it would run alone at the end.
    """
    if config.getvalue("dist") != "loadgroup" or not _requested(config):
        return None
    from xdist.scheduler import LoadGroupScheduling

    pages = frozenset() if book_missing_reason() else frozenset(built_pages())

    class PageScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_group(nodeid, pages)

        def _assign_work_unit(self, node) -> None:
            if "jupyterlab" in self.workqueue:
                self.workqueue.move_to_end("jupyterlab", last=False)
            super()._assign_work_unit(node)

    return PageScheduling(config, log)


def pytest_report_header(config: pytest.Config) -> str | None:
    if not _requested(config):
        return None
    reason = browser_missing_reason()
    return f"browser tests: {reason or f'Chromium {CHROMIUM}, book {HTML_DIR}'}"


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    reason = browser_missing_reason()
    if _requested(config) and reason:
        terminalreporter.section("BROWSER TESTS SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.line(reason)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`page` runs a test on every built page; `content_page` on the authors' pages only."""
    for name, pages in (("page", built_pages), ("content_page", content_pages)):
        if name in metafunc.fixturenames:
            reason = book_missing_reason()
            if reason:
                metafunc.parametrize(name, [pytest.param(None, marks=pytest.mark.skip(reason))])
            else:
                metafunc.parametrize(name, pages())


@pytest.fixture(scope="session")
def html_dir() -> Path:
    reason = book_missing_reason()
    if reason:
        pytest.skip(reason)
    return HTML_DIR


@pytest.fixture(scope="session")
def screenshot_dir(html_dir: Path) -> Path:
    """`_build/screenshots`, beside the `_build/html` that was tested."""
    path = html_dir.parent / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def server_url(html_dir: Path):
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@dataclass
class Visit:
    """One page opened in the browser, with what went wrong while it loaded."""

    page: object  # playwright.sync_api.Page
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    offsite_requests: list[str] = field(default_factory=list)


class Book:
    """Opens each page of the built book once per test session and keeps it open."""

    def __init__(self, context, base_url: str):
        self.context = context
        self.base_url = base_url
        self.origin = base_url.rstrip("/")
        self._visits: dict[str, Visit] = {}

    def open(self, path: str) -> Visit:
        """A fresh tab on `path` (relative URL, may carry a query), loaded and typeset."""
        page = self.context.new_page()
        visit = Visit(page)
        page.on("pageerror", lambda error: visit.page_errors.append(str(error)))
        page.on("requestfailed", lambda request: self._failed(request, visit))
        page.on("response", lambda response: self._http_error(response, visit))
        page.on("request", lambda request: self._offsite(request, visit))
        page.goto(self.base_url + path, wait_until="load")
        # MathJax loads deferred and typesets asynchronously; fonts arrive after it.
        page.evaluate(
            """async () => {
                if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
                    await MathJax.startup.promise;
                }
                await document.fonts.ready;
            }"""
        )
        return visit

    def visit(self, path: str) -> Visit:
        """The page at `path`, opened once and shared by the tests that only look at it."""
        return self._shared(path)

    def interact(self, path: str) -> Visit:
        """The same tab, for the tests that click or type in the page (marked `interacts`): they
        run after every test that only looks at it (`pytest_collection_modifyitems`), which so
        sees the page as a reader first sees it, and a chapter loads and typesets once (2 s of
        CPU), not twice. Each acts only on elements of its own (an explorer's slider, an
        animation's buttons, the solutions' toggles), which the others leave as they were
        loaded, and the solutions' test, which wants them all collapsed, runs last. `page_errors`
        are the tab's: each test sees the errors of those before it too."""
        return self._shared(path)

    def _shared(self, path: str) -> Visit:
        """The tab on `path`, opened on first use and brought to the front."""
        if path not in self._visits:
            self._visits[path] = self.open(path)
        # Background tabs get no animation frames, which Playwright's clicks wait for.
        self._visits[path].page.bring_to_front()
        return self._visits[path]

    @staticmethod
    def _failed(request, visit: Visit) -> None:
        visit.failed_requests.append(f"{request.url}: {request.failure}")

    @staticmethod
    def _http_error(response, visit: Visit) -> None:
        if response.status >= 400:
            visit.failed_requests.append(f"{response.url}: HTTP {response.status}")

    def _offsite(self, request, visit: Visit) -> None:
        # The context's proxy refuses it (see `book`); a data: URL is no request to any host.
        if not request.url.startswith((self.origin + "/", "data:", "blob:")):
            visit.offsite_requests.append(request.url)


@pytest.fixture(scope="session")
def browser():
    reason = browser_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def book(browser, server_url) -> Book:
    # Every request but to the book's own host and port goes to a proxy that refuses it: a
    # socket bound but never listening. Chromium does this itself, so each request of a page
    # costs no round trip through Python and the HTTP cache stays on (a route, `page.route`,
    # turns it off: each tab fetched and compiled every script again).
    with socket.socket() as refusing:
        refusing.bind(("127.0.0.1", 0))
        proxy = {
            "server": f"http://127.0.0.1:{refusing.getsockname()[1]}",
            "bypass": urlsplit(server_url).netloc,
        }
        context = browser.new_context(viewport={"width": 1280, "height": 900}, proxy=proxy)
        yield Book(context, server_url)
        context.close()
