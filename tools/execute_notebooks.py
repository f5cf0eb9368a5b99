"""Execute the book's notebooks into its execution cache, several at a time.

python tools/execute_notebooks.py [--jobs N]   # `make book` runs it before `jupyter-book build`

The book executes its notebooks in `cache` mode (`_config.yml`): `jupyter-book build` runs a
notebook only when `_build/.jupyter_cache` holds no run of its current code, and it runs them one
after another. This script fills the same cache first, running the notebooks that need it in N
processes (default: one per core), longest first (by their last recorded run, else by file
size), so that the build then only renders them. It uses the settings the build uses
(`_config.yml`: timeout, errors not allowed, each notebook run from the folder it is in). A
notebook that fails here is not cached: the build runs it again and reports the error as it
always does, so this script never changes what passes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
from pathlib import Path

from jupyter_cache import get_cache
from jupyter_cache.executors.basic import ExecutionWorkerLocalMProc, ProcessData

from rmslab.course import ROOT
from rmslab.course.notebooks import execution_settings, notebooks

CACHE = ROOT / "_build" / ".jupyter_cache"  # where jupyter-book 1 keeps it by default


def main(argv: list[str] | None = None) -> None:
    parse = argparse.ArgumentParser(prog="execute_notebooks.py", description=__doc__.split("\n")[0])
    parse.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="notebooks at once (default: cores)",
    )
    jobs = parse.parse_args(argv).jobs
    if jobs < 1:
        parse.error(f"--jobs must be at least 1, got {jobs}")
    try:
        settings = execution_settings(ROOT)
    except ValueError as error:
        raise SystemExit(f"execute_notebooks: {error}") from None
    cache = get_cache(str(CACHE))
    paths = [str(p) for p in notebooks(ROOT)]
    for path in paths:
        cache.add_nb_to_project(path)
    # longest first, so that no long one starts last: by the last run of any version of each
    # notebook, else (a fresh cache) by file size
    seconds = {r.uri: r.data.get("execution_seconds", 0.0) for r in cache.list_cache_records()}
    stale = sorted(
        cache.list_unexecuted(paths),
        key=lambda r: (-seconds.get(r.uri, 0.0), -Path(r.uri).stat().st_size),
    )
    print(f"execute_notebooks: {len(stale)} of {len(paths)} notebooks to run, {jobs} at a time")
    work = [
        ProcessData(r.pk, r.uri, cache, settings["timeout"], settings["allow_errors"])
        for r in stale
    ]
    with multiprocessing.Pool(min(jobs, len(work) or 1)) as pool:
        done = pool.map(ExecutionWorkerLocalMProc(), work, chunksize=1)
    for status, uri in done:
        if status != 0:
            print(f"execute_notebooks: {uri} failed; the build runs it again and reports why")


if __name__ == "__main__":
    main()
