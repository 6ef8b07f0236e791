# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The RFID commands of serial-mes on the demo database, with a Mosquitto
broker of the test's own (data/mosquitto/serial-mes.conf): rfid ingest,
publish, bridge, review and replay; bad input answers one line on stderr
and exit status 2."""
import copy
import json
import signal
import subprocess
import sys

import pytest

from rfid_mqtt import Run, broker, free_port

UNKNOWN_EPC = '30340242201D8840009896FF'    # decodes, matches no serial


@pytest.fixture(scope='module')
def mqtt():
    with broker() as address:
        yield address


@pytest.fixture
def run(demo_db, mqtt):
    run = Run(demo_db, *mqtt)
    yield run
    run.close()


def assert_bad_input(result, text):
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stderr.count('\n') == 1, result.stderr
    assert result.stderr.startswith('serial-mes: error: ')
    assert text in result.stderr, result.stderr
    assert 'Traceback' not in result.stderr


def write_lines(path, lines):
    path.write_text(''.join(line + '\n' for line in lines))
    return str(path)


def test_ingest_a_file_of_batches(demo_db, run, tmp_path):
    epcs = [epc for _, epc in run.lots[:2]]
    path = write_lines(tmp_path / 'reads.jsonl',
        [run.message(number, epcs) for number in range(3)])
    result = demo_db('rfid', 'ingest', path, '--json', check=True)
    assert json.loads(result.stdout) == {
        'batches': 3, 'duplicates': 0, 'reads': 24, 'observations': 6,
        'events': 6, 'moves': 0, 'review': 0}
    again = demo_db('rfid', 'ingest', path, '--json', check=True)
    assert json.loads(again.stdout)['duplicates'] == 3
    assert run.counts() == {'batches': 3, 'reads': 24, 'events': 6,
        'distinct': 6}


def test_ingest_bad_input(demo_db, run, tmp_path):
    before = run.counts()
    for name, content, text in [
            ('missing.json', None, 'No such file'),
            ('empty.json', '\n\n', 'no batch'),
            ('broken.jsonl', '{"reads": [\n', 'Malformed JSON'),
            ('unknown.json', json.dumps({'reader': 'no-such-reader',
                        'reads': []}), 'no-such-reader'),
            ]:
        path = tmp_path / name
        if content is not None:
            path.write_text(content)
        assert_bad_input(demo_db('rfid', 'ingest', str(path)), text)
    assert run.counts() == before


def test_publish_through_the_bridge(demo_db, run, tmp_path):
    "rfid publish to the broker, rfid bridge into the database"
    epcs = [epc for _, epc in run.lots[:3]]
    path = write_lines(tmp_path / 'reads.jsonl',
        [run.message(number, epcs) for number in range(4)])
    bridge = run.start_bridge()
    result = demo_db('rfid', 'publish', path, '--host', run.host,
        '--port', str(run.port), '--topic-prefix', run.prefix, '--json',
        database=False, check=True)
    assert json.loads(result.stdout) == {'published': 4}
    assert run.wait_for(4)['batches'] == 4
    bridge.send_signal(signal.SIGTERM)
    out, _ = bridge.communicate(timeout=60)
    assert bridge.returncode == 0, ''.join(bridge.log)
    stats = json.loads(out)
    assert (stats['messages'], stats['reads'], stats['events'],
        stats['duplicates'], stats['rejected']) == (4, 48, 12, 0, 0)
    assert run.counts() == {'batches': 4, 'reads': 48, 'events': 12,
        'distinct': 12}


def test_publish_and_bridge_bad_input(demo_db, tmp_path):
    path = write_lines(tmp_path / 'no-reader.jsonl', ['{"reads": []}'])
    assert_bad_input(demo_db('rfid', 'publish', path, database=False),
        'names no reader')
    path = write_lines(tmp_path / 'ok.jsonl',
        ['{"reader": "r", "reads": []}'])
    closed = free_port()
    assert_bad_input(demo_db('rfid', 'publish', path, '--port', str(closed),
            database=False), 'Connection refused')
    assert_bad_input(demo_db('rfid', 'bridge', '--database', 'no_such_db',
            database=False), 'does not exist')


def test_review_lists_unknown_tags(demo_db, run, tmp_path):
    path = tmp_path / 'unknown.json'
    path.write_text(json.dumps({'reader': run.reader, 'reads': [
                {'epc': UNKNOWN_EPC, 'antenna': 1,
                    'time': '2025-06-03T08:00:0%dZ' % k} for k in range(3)]}))
    result = demo_db('rfid', 'ingest', str(path), '--json', check=True)
    assert json.loads(result.stdout)['review'] == 3
    result = demo_db('rfid', 'review', '--json', '--limit', '1000',
        check=True)
    entry, = [e for e in json.loads(result.stdout)
        if e['epc'] == UNKNOWN_EPC]
    assert entry['kind'] == 'unknown'
    assert entry['reads'] >= 3
    text = demo_db('rfid', 'review', '--limit', '1000', check=True).stdout
    assert UNKNOWN_EPC in text


def test_replay_through_the_broker_doubles_nothing(demo_db, mqtt):
    "The demo already replayed its trace: again, every batch is known"
    host, port = mqtt
    cli = copy.copy(demo_db)
    cli.env = dict(demo_db.env, SERIAL_MES_MQTT_HOST=host,
        SERIAL_MES_MQTT_PORT=str(port))
    before = cli('rfid', 'review', '--json', check=True).stdout
    result = cli('rfid', 'replay', '--json', check=True)
    summary = json.loads(result.stdout)
    assert ('published 61 batches to the MQTT broker on %s:%s' % (host, port)
        in summary['how']), summary['how']
    assert 'the bridge ingested 0 reads' in summary['how'], summary['how']
    assert summary['events'] == 0
    after = cli('rfid', 'review', '--json', check=True).stdout
    assert json.loads(after) == json.loads(before)


def history(demo_db, number):
    "The serial's events, oldest first"
    shown = json.loads(demo_db('serial', 'show', number, '--json',
            '--events', '1000', check=True).stdout)
    return shown, shown['events'][::-1]


def test_demo_trace_fits_the_demo_timeline(demo_db):
    """The replayed trace reads units after they exist, and only the
    shipped unit passes the dock door outward"""
    _, events = history(demo_db, 'PC-PRO-00002')
    assert events[0]['biz_step'] == 'commissioning', events[0]
    times = [e['event_time'] for e in events]
    assert times == sorted(times), events
    assert 'shipping' not in [e['biz_step'] for e in events], events
    shown, events = history(demo_db, 'PC-PRO-00002')
    assert (shown['status'], shown['location']) == (
        'in_stock', '[STO] Storage Zone')

    shown, events = history(demo_db, 'PC-PRO-00001')
    assert shown['status'] == 'at_customer'
    times = [e['event_time'] for e in events]
    assert times == sorted(times), events
    shipped = [e['event_time'] for e in events
        if e['status_to'] == 'at_customer']
    rfid = [e for e in events if e['source'] == 'rfid']
    assert rfid and shipped
    assert min(e['event_time'] for e in rfid) > shipped[0]
    assert rfid[-1]['biz_step'] == 'shipping'
    review = json.loads(demo_db('rfid', 'review', '--json', '--limit',
            '1000', check=True).stdout)
    assert not [e for e in review if e['kind'] in (
            'not_commissioned', 'no_shipment')], review


EPC_OF = r'''
import os, sys
from serial_mes import database
database.configure()
with database.session(os.environ['EPC_DB']) as pool:
    print(pool.get('stock.lot').find_serial(sys.argv[1]).epc)
'''


def test_epc_encode_says_which_company_prefix_length(demo_db):
    "GS1's table without database, the product's setting with one"
    args = ['epc', 'encode', '--gtin', '09506000140179', '--serial',
        'PC-PRO-00001']
    result = demo_db(*args, '--json', database=False, check=True)
    encoded = json.loads(result.stdout)
    assert (encoded['company_prefix_length'],
        encoded['company_prefix_length_source']) == (11, 'gs1')
    assert encoded['company_prefix'] == '95060001401'
    text = demo_db(*args, database=False, check=True).stdout
    assert text.splitlines()[-1] == (
        "company prefix length 11: GS1's company prefix table")

    # with the database: the product's setting, as on the serial's form
    result = demo_db(*args, '--json', check=True)
    encoded = json.loads(result.stdout)
    assert (encoded['company_prefix_length'],
        encoded['company_prefix_length_source']) == (6, 'product')
    form = subprocess.run([sys.executable, '-c', EPC_OF, 'PC-PRO-00001'],
        env=dict(demo_db.env, EPC_DB=demo_db.database), capture_output=True,
        text=True, timeout=300)
    assert form.returncode == 0, form.stderr[-3000:]
    assert encoded['hex'] == form.stdout.strip()
    text = demo_db(*args, check=True).stdout
    assert text.splitlines()[-1] == ("company prefix length 6: the setting "
        "of product [PC-PRO] Desktop PC Northwind Pro")

    # the option wins; a GTIN no product has; a GTIN-8 outside the table
    encoded = json.loads(demo_db(*args, '--company-prefix-length', '7',
            '--json', check=True).stdout)
    assert (encoded['company_prefix_length'], encoded['company_prefix'],
        encoded['company_prefix_length_source']) == (7, '9506000', 'option')
    encoded = json.loads(demo_db('epc', 'encode', '--gtin', '7044610873466',
            '--serial', '1', '--json', check=True).stdout)
    assert (encoded['company_prefix_length'],
        encoded['company_prefix_length_source']) == (6, 'no_product_gs1')
    text = demo_db('epc', 'encode', '--gtin', '96385074', '--serial', '1',
        database=False, check=True).stdout
    assert "company prefix length 7: default" in text
    assert_bad_input(demo_db('epc', 'encode', '--gtin', '1', '--serial', '1'),
        'Expected a GTIN')
