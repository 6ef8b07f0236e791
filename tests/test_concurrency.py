# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT


def test_two_stations_install_the_same_serial(demo_db):
    "One wins, the other is told why; the database holds one active link"
    if not demo_db.env['TRYTOND_DATABASE_URI'].startswith('postgresql'):
        pytest.skip("concurrent writers need PostgreSQL "
            "(SQLite serializes every write)")
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tests', 'two_stations.py'),
            demo_db.database],
        env=demo_db.env, capture_output=True, text=True, timeout=300,
        cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    winners = [r for r in report['results'] if 'ok' in r]
    losers = [r for r in report['results'] if 'error' in r]
    assert len(winners) == 1 and len(losers) == 1, report
    loser, = losers
    assert 'already installed' in loser['message'] \
        or 'only one unit' in loser['message'], report
    assert loser['attempts'] >= 1
    assert report['active_links'] == [winners[0]['ok']]
    assert report['cpu_status'] == 'installed'
