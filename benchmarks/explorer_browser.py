"""How fast is the kernel-less explorer, and how heavy are the chapter pages that carry it?

Run from the repository root, after building the book (``make book`` or ``BOOK_HTML=...``)::

    python benchmarks/explorer_browser.py [--repeats 60] [--steps 500]

1. **Slider input to painted frame** in headless Chromium (``CHROMIUM``, default
   ``/usr/bin/chromium``): the first explorer of a chapter page runs ``--steps`` steps for both
   optimizers; each repeat moves optimizer A's learning-rate slider (an ``input`` event at a
   random moment of the frame), and the time runs until a task queued by the redraw runs, which
   is after the frame holding the new picture was painted. The time includes the wait for the
   next animation frame (up to 16.7 ms at 60 Hz). Goal: median < 16 ms. The recompute + redraw
   alone (inside that frame) is printed beside it.
2. **Page weight**: every file a chapter page loads once all its images are fetched (HTML,
   scripts, styles, fonts, images), as a host that gzips text serves them (GitHub Pages does;
   images and fonts are already compressed), and uncompressed. Goal: <= 2 MB per chapter
   page as transferred.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import os
import statistics
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTML_DIR = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html")).resolve()
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

MEASURE = """async ([repeats, steps]) => {
    const explorer = window.rmslabExplorers[0];
    const root = explorer.root;
    const stepsInput = root.querySelector("input[id$='-steps']");
    stepsInput.value = String(steps);
    stepsInput.dispatchEvent(new Event("input", {bubbles: true}));
    const slider = root.querySelector(".rx-side-a input[id$='-lr']");
    const lo = Number(slider.min), hi = Number(slider.max);
    const total = [], wait = [], inside = [];
    for (let k = 0; k < repeats + 3; k++) {
        await new Promise(r => setTimeout(r, 20 + 17 * Math.random()));  // random frame phase
        const done = new Promise(resolve => {
            // A task queued at the end of the redraw runs once that frame is painted.
            explorer.onrender = () => {
                const channel = new MessageChannel();
                channel.port1.onmessage = resolve;
                channel.port2.postMessage(null);
            };
        });
        const start = performance.now();
        slider.value = String(lo + (hi - lo) * (0.2 + 0.5 * ((k * 0.37) % 1)));
        slider.dispatchEvent(new Event("input", {bubbles: true}));
        await done;
        const painted = performance.now();
        if (k >= 3) {
            total.push(painted - start);
            wait.push(explorer.renderStart - start);
            inside.push(explorer.renderMs);
        }
    }
    explorer.onrender = null;
    return {total, wait, inside, steps: explorer.runs[0].steps};
}"""

WEIGHT = """async () => {
    for (const img of document.images) img.loading = "eager";
    await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
    window.scrollTo(0, document.body.scrollHeight);
    await new Promise(r => setTimeout(r, 500));
    await document.fonts.ready;
    const local = location.origin + "/";
    return [...new Set(performance.getEntriesByType("resource")
        .map(r => r.name.split(/[?#]/)[0])
        .filter(name => name.startsWith(local))
        .map(name => decodeURIComponent(name.slice(local.length))))];
}"""

TEXT = {".html", ".js", ".css", ".svg", ".json", ".txt", ".map"}


def gzipped_size(path: Path) -> int:
    """Bytes on the wire from a host that gzips text (GitHub Pages does); others as they are."""
    data = path.read_bytes()
    return len(gzip.compress(data, compresslevel=6)) if path.suffix in TEXT else len(data)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()
    if not (HTML_DIR / "index.html").is_file():
        print(f"no built book at {HTML_DIR}: build it first or set BOOK_HTML", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    chapters = sorted(p.relative_to(HTML_DIR).as_posix() for p in HTML_DIR.glob("chapters/*.html"))
    with_explorer = [p for p in chapters if 'class="rmslab-explorer"' in (HTML_DIR / p).read_text()]
    server, url = serve(HTML_DIR)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            print(f"Slider input to painted frame, 2 optimizers x {args.steps} steps, Chromium:")
            for path in with_explorer:
                page.goto(url + path, wait_until="load")
                page.wait_for_function("() => window.rmslabExplorers?.every(e => e.runs)")
                page.locator(".rmslab-explorer").first.scroll_into_view_if_needed()
                out = page.evaluate(MEASURE, [args.repeats, args.steps])
                total, wait, inside = (
                    statistics.median(out[k]) for k in ("total", "wait", "inside")
                )
                print(
                    f"  {path}: median {total:.1f} ms input-to-painted (goal < 16), "
                    f"p90 {sorted(out['total'])[int(0.9 * len(out['total']))]:.1f} ms; of which "
                    f"wait for the frame {wait:.1f} ms, recompute + redraw {inside:.1f} ms "
                    f"({args.repeats} repeats)"
                )
            print("Page weight (everything a chapter page loads; goal <= 2 MB as transferred):")
            for path in chapters:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(url + path, wait_until="load")
                files = [path, *page.evaluate(WEIGHT)]
                raw = sum((HTML_DIR / f).stat().st_size for f in files)
                served = sum(gzipped_size(HTML_DIR / f) for f in files)
                verdict = "ok" if served <= 2e6 else "OVER 2 MB"
                print(
                    f"  {path}: {served / 1e6:.2f} MB gzip-served (GitHub Pages compresses text), "
                    f"{raw / 1e6:.2f} MB uncompressed, {len(files)} files: {verdict}"
                )
                page.close()
            browser.close()
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
