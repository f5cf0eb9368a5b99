"""Test tiers: the ``slow`` marker (registered in pyproject.toml) for tests that take seconds.

``make check`` runs ``pytest -m "not slow"``; ``make test`` runs everything. A module marks
its own slow tests with ``pytest.mark.slow``; the modules below are marked here as a whole
(their time on 2 cores, measured with ``--durations``), so that the fast tier stays under
90 s without editing them.
"""

import pytest

SLOW_MODULES = {
    "test_student_versions": "nbgrader builds, runs and autogrades every lab: minutes",
}
SLOW_TESTS = {
    "test_instructor_guide.py::test_generated_tables_are_current": "39 s: runs every catalog",
    "test_checks_networks.py::test_different_mistakes_get_different_messages": "9 s",
}


def pytest_collection_modifyitems(items):
    for item in items:
        short_id = item.nodeid.rsplit("/", 1)[-1]
        if item.module.__name__ in SLOW_MODULES or short_id.split("[")[0] in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
    # The slow tests first (a stable sort keeps each module's order): under `-n 2 --dist
    # worksteal` the long nbgrader runs start at once and the quick tests fill in around them,
    # instead of the long runs starting last and leaving one worker idle at the end.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
