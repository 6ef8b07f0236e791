# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The skip policy of every test run, here at the top so that it covers the
module tests under serial_mes*/tests as well as the cross-module tests under
tests/ (pytest applies a conftest.py to the tests below its folder only).

A green run must not hide a test that did not run: a skipped test or module
fails the session unless EXPECTED_SKIPS lists it for the backend of the run
($TRYTOND_DATABASE_URI).  A missing tool (broker, Chromium, sao, a test
library) is an error of the set-up, not a reason to pass."""
import os

import pytest

# (backend, start of the skip reason): the only skips a run may have
EXPECTED_SKIPS = [
    # tests/test_concurrency.py, tests/test_rfid_ingest_race.py: SQLite
    # serializes every write, so two writers never race on it
    ('sqlite', "concurrent writers need PostgreSQL"),
    ]

unexpected_skips = []


def backend():
    uri = os.environ.get('TRYTOND_DATABASE_URI') or 'sqlite://'
    return uri.split(':', 1)[0]


def skip_reason(report):
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):     # (path, line, "Skipped: reason")
        reason = longrepr[2]
    else:
        reason = str(longrepr)
    return reason.removeprefix('Skipped: ')


def is_expected(reason, backend_name):
    return any(backend_name == name and reason.startswith(prefix)
        for name, prefix in EXPECTED_SKIPS)


def note_skip(report):
    if not report.skipped or hasattr(report, 'wasxfail'):
        return
    reason = skip_reason(report)
    if not is_expected(reason, backend()):
        unexpected_skips.append((report.nodeid, reason))


def pytest_runtest_logreport(report):
    note_skip(report)


def pytest_collectreport(report):
    note_skip(report)


def pytest_terminal_summary(terminalreporter):
    if unexpected_skips:
        terminalreporter.section("unexpected skips (they fail the run)")
        for nodeid, reason in unexpected_skips:
            terminalreporter.write_line('%s: %s' % (nodeid, reason))
        terminalreporter.write_line("Expected on %s: %s" % (backend(),
                [p for b, p in EXPECTED_SKIPS if b == backend()] or 'none'))


def pytest_sessionfinish(session, exitstatus):
    if unexpected_skips and exitstatus in (pytest.ExitCode.OK,
            pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_runtest_teardown(item, nextitem):
    """pytest runs the scenario_*.rst doctests (--doctest-glob) without
    trytond's doctest_teardown: drop their database as it does, or the next
    test class that restores the database cache finds the name taken
    (PostgreSQL: DuplicateDatabase)"""
    if (isinstance(item, pytest.DoctestItem)
            and os.path.basename(str(item.path)).startswith('scenario_')):
        from trytond.tests.test_tryton import drop_db
        drop_db()
