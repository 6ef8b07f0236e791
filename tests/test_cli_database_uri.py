# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every database command works on the database named by --database-uri
and --database, whatever the environment says (issue 16, item 10).

The demo database's URI is given as an option; the environment names no
URI when the demo is on PostgreSQL (the default would be SQLite: a command
that ignores the option looks for an SQLite file of the same name) and
names PostgreSQL when the demo is on SQLite.  The data is looked up with
the backend's own client, not through serial-mes."""
import json
import os
import sqlite3
import subprocess

import pytest

NUMBERS = ['SSD-U0001', 'SSD-U0002']


@pytest.fixture(scope='module')
def option(demo_db):
    "(uri, cli): the demo's URI and a Cli whose environment names another"
    uri = demo_db.env['TRYTOND_DATABASE_URI']
    env = dict(demo_db.env)
    if uri.startswith('postgresql'):
        del env['TRYTOND_DATABASE_URI']
    else:
        env['TRYTOND_DATABASE_URI'] = 'postgresql:///'
    return uri, type(demo_db)(env, demo_db.database)


def query(demo_db, sql):
    "Rows of sql in the demo database, read with the backend's own client"
    uri = demo_db.env['TRYTOND_DATABASE_URI']
    if uri.startswith('postgresql'):
        result = subprocess.run(['psql', '-X', '-d', demo_db.database,
                '-tA', '-F', '|', '-c', sql], capture_output=True, text=True,
            check=True)
        return [tuple(line.split('|')) for line in result.stdout.splitlines()]
    path = os.path.join(demo_db.env['TRYTOND_DATABASE__PATH'],
        demo_db.database + '.sqlite')
    with sqlite3.connect(path) as connection:
        return [tuple(str(v) for v in row)
            for row in connection.execute(sql)]


def run(option, *args, **kwargs):
    uri, cli = option
    result = cli(*args, '--database-uri', uri, **kwargs)
    assert 'Traceback' not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 0, (args, result.stderr[-3000:])
    return result


def test_serial_create_and_show(demo_db, option):
    created = json.loads(run(option, 'serial', 'create', 'SSD-1TB',
            *NUMBERS, '--json').stdout)
    assert created['created'] == NUMBERS
    assert query(demo_db, "SELECT number, status FROM stock_lot WHERE "
        "number IN ('SSD-U0001', 'SSD-U0002') ORDER BY number") == [
        (n, 'expected') for n in NUMBERS]
    shown = json.loads(run(option, 'serial', 'show', NUMBERS[0],
            '--json').stdout)
    assert shown['status'] == 'expected'


def test_trace_and_recall(demo_db, option, tmp_path):
    tree = json.loads(run(option, 'trace', 'PC-PRO-00001', '--json').stdout)
    board, = [c for c in tree['children'] if c['children']]
    up = json.loads(run(option, 'trace', board['serial'], '--up',
            '--json').stdout)
    assert up['parents'][0]['serial'] == 'PC-PRO-00001'
    path = tmp_path / 'recall.csv'
    recall = json.loads(run(option, 'recall', '--lot', board['serial'],
            '--csv', str(path), '--json').stdout)
    assert [u['serial'] for u in recall['units']] == ['PC-PRO-00001']
    assert 'PC-PRO-00001' in path.read_text()


def test_asn_import(demo_db, option):
    # the demo imported it: the same ASN again is recognised in this
    # database, and nothing changes
    before = query(demo_db, "SELECT count(*) FROM stock_shipment_in")
    again = json.loads(run(option, 'asn', 'import',
            'data/asn/ubl_despatch_advice.xml', '--json').stdout)
    assert again['created'] is False
    assert query(demo_db, "SELECT count(*) FROM stock_shipment_in") == before


def test_rfid_ingest_review_and_bridge(demo_db, option, tmp_path):
    path = tmp_path / 'batch.json'
    path.write_text(json.dumps({'batch': 'cli-database-uri',
                'reader': 'dock-door-1', 'reads': []}))
    ingested = json.loads(run(option, 'rfid', 'ingest', str(path),
            '--json').stdout)
    assert ingested['batches'] == 1
    assert query(demo_db, "SELECT batch_id FROM serial_mes_rfid_batch "
        "WHERE batch_id = 'cli-database-uri'") == [('cli-database-uri',)]
    run(option, 'rfid', 'review', '--json')
    stats = json.loads(run(option, 'rfid', 'bridge', '--idle-timeout', '1',
            '--client-id', 'serial-mes-test-database-uri', '--json',
            timeout=120).stdout)
    assert stats['rejected'] == 0


def test_no_database_of_the_other_backend(demo_db, option):
    "Run last: the commands above made nothing on the other backend"
    uri, cli = option
    if uri.startswith('postgresql'):
        folder = demo_db.env['TRYTOND_DATABASE__PATH']
        assert demo_db.database + '.sqlite' not in os.listdir(folder)
        assert not os.path.exists(os.path.join('var', 'db',
                demo_db.database + '.sqlite'))
    else:
        listed = subprocess.run(['psql', '-X', '-d', 'postgres', '-tA', '-c',
                "SELECT 1 FROM pg_database WHERE datname = '%s'"
                % demo_db.database], capture_output=True, text=True)
        assert listed.stdout.strip() == ''
