# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.mark.parametrize('status', ['in_stock', 'in_wip'])
def test_two_stations_install_the_same_serial(demo_db, status):
    """One wins, the other is told where the part went; the database holds
    one active link. For a serial in WIP only the row lock on the serial
    gives that answer: without it the loser's insert would run into the
    exclusion constraint, whose message names no unit."""
    if not demo_db.env['TRYTOND_DATABASE_URI'].startswith('postgresql'):
        pytest.skip("concurrent writers need PostgreSQL "
            "(SQLite serializes every write)")
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tests', 'two_stations.py'),
            demo_db.database, status],
        env=demo_db.env, capture_output=True, text=True, timeout=300,
        cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report['scanned_status'] == status, report
    winners = [r for r in report['results'] if 'ok' in r]
    losers = [r for r in report['results'] if 'error' in r]
    assert len(winners) == 1 and len(losers) == 1, report
    (winner,), (loser,) = winners, losers
    assert loser['error'] == 'InstallationError', report
    assert loser['message'] == (
        'Serial "%s" is already installed in "%s".' % (
            report['cpu'], winner['ok'])), report
    # The winner went straight through. The loser's first attempt was in
    # flight with the winner's (it waited on the winner's lock and, its
    # snapshot being older than the winner's commit, was started again):
    # a lost race, not a late arrival that saw the link from the start.
    assert winner['attempts'] == 1, report
    assert loser['attempts'] == 2, report
    assert report['active_links'] == [winner['ok']], report
    assert report['cpu_status'] == 'installed', report


def test_two_docks_import_the_same_asn(demo_db, tmp_path):
    "One import creates the shipment, the other finds it: nothing doubled"
    if not demo_db.env['TRYTOND_DATABASE_URI'].startswith('postgresql'):
        pytest.skip("concurrent writers need PostgreSQL "
            "(SQLite serializes every write)")
    path = tmp_path / 'asn-two-docks.xml'
    with open(os.path.join(ROOT, 'data', 'asn', 'ubl_despatch_advice.xml'),
            'rb') as file:
        data = file.read()
    # another ASN of the demo's open board order, with serials of its own
    for old, new in [(b'AST-DA-2024-0311', b'AST-DA-2024-0977'),
            (b'PO-2024-0822', b'PO-2024-0901'),
            (b'AB760-2403X01', b'AB760-2411D01'),
            (b'ACM-00008', b'ACM-00078'), (b'ACM-00009', b'ACM-00079')]:
        assert old in data
        data = data.replace(old, new)
    path.write_bytes(data)
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tests', 'two_docks.py'),
            demo_db.database, str(path)],
        env=demo_db.env, capture_output=True, text=True, timeout=300,
        cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    results = report['results']
    assert all('shipment' in r for r in results), report
    assert sorted(r['created'] for r in results) == [False, True], report
    assert len(report['shipments']) == 1, report
    assert {r['shipment'] for r in results} == set(report['shipments'])
    assert report['moves'] == report['announced'] == 12, report
    assert report['serials'] == 12, report
