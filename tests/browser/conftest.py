"""Fixtures for the tests of the built book (`make book` first; `make test` runs them last).

The book is served from a local HTTP server on 127.0.0.1 (file:// breaks search) and viewed in
Debian's headless Chromium through Playwright. Every request to any other host is aborted and
recorded, so the tests also prove that a page needs no network once the book is built.

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
import os
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


#: The test parameters that name a built page (each test opens that page).
PAGE_PARAMETERS = ("page", "content_page", "explorer_page")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _requested(config):
        reason = book_missing_reason() or browser_missing_reason()
        if reason and os.environ.get("REQUIRE_BROWSER") == "1":
            raise pytest.UsageError(f"REQUIRE_BROWSER=1, so nothing may be skipped, but {reason}")
        for item in items:
            # Under `-n 2 --dist loadgroup` (make browser) every test of one page runs on the
            # same worker, so each worker loads a page once (`book.visit`), not each page twice.
            params = getattr(item, "callspec", None) and item.callspec.params or {}
            page = next((params[k] for k in PAGE_PARAMETERS if params.get(k)), None)
            if page:
                item.add_marker(pytest.mark.xdist_group(page))
            elif "jupyterlab" in getattr(item, "fixturenames", ()):
                # one JupyterLab server (a module fixture) instead of one per worker
                item.add_marker(pytest.mark.xdist_group("jupyterlab"))
        return
    ours = [item for item in items if HERE in Path(str(item.path)).parents]
    if ours:
        config.hook.pytest_deselected(items=ours)
        items[:] = [item for item in items if item not in ours]


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
        page.route("**/*", lambda route: self._local_only(route, visit))
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

    def _local_only(self, route, visit: Visit) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == self.origin:
            route.continue_()
        else:
            visit.offsite_requests.append(url)
            route.abort("blockedbyclient")


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
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield Book(context, server_url)
    context.close()
