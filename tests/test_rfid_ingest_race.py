# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Two ingests of overlapping batches at the same moment (the HTTP route
and the bridge, or two bridges), on PostgreSQL: the second waits on the
first's batch id or observation, fails on the unique constraint when the
first commits, and ingest_retrying() ingests it again, finding what the
first wrote: every batch and every observation once, and no error."""
import json
import os
import subprocess
import sys

import pytest

from rfid_mqtt import ROOT, Run

# Run against the demo database: two writers (tests/race.py), each ingests
# its list of batches with ingest_retrying(); prints their results
RACE = r'''
import json, os, sys
sys.path.insert(0, os.path.join(os.environ['ROOT'], 'tests'))
from race import race
from serial_mes import database
database.configure()
payloads = json.loads(sys.argv[1])

def ingest(pool, index):
    from serial_mes_rfid.rfid import ingest_retrying
    return ingest_retrying([(p, None, None) for p in payloads[index]])
print(json.dumps(race(os.environ['RFID_DB'], ingest)))
'''


def race(run, first, second):
    result = subprocess.run([sys.executable, '-c', RACE,
            json.dumps([first, second])],
        env=dict(run.env, ROOT=ROOT), cwd=ROOT, capture_output=True,
        text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_overlapping_ingests_write_everything_once(demo_db):
    if not demo_db.env['TRYTOND_DATABASE_URI'].startswith('postgresql'):
        pytest.skip("concurrent writers need PostgreSQL "
            "(SQLite serializes every write)")
    run = Run(demo_db)
    a, b, c = [epc for _, epc in run.lots[:3]]

    # the same batch 2 in both; batch 3 repeats batch 1's reads
    one = run.message(1, [a])
    two = run.message(2, [b])
    three = json.dumps(dict(json.loads(run.message(1, [a, c])),
            batch='%s-three' % run.id))
    results = race(run, [one, two], [two, three])
    assert all('ok' in r for r in results), results
    duplicate = [s['batch'] for r in results for s in r['ok']
        if s['duplicate']]
    assert duplicate == ['%s-000002' % run.id], results
    assert sum(s['events'] for r in results for s in r['ok']) == 3, results
    assert run.counts() == {'batches': 3, 'reads': 16, 'events': 3,
        'distinct': 3}

    # different batches with the same reads: one observation
    four = run.message(4, [a, b])
    five = json.dumps(dict(json.loads(four), batch='%s-five' % run.id))
    results = race(run, [four], [five])
    assert all('ok' in r for r in results), results
    assert sorted(r['ok'][0]['events'] for r in results) == [0, 2], results
    assert run.counts() == {'batches': 5, 'reads': 32, 'events': 5,
        'distinct': 5}
