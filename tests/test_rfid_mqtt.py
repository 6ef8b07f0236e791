# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The MQTT bridge against the real Mosquitto broker on 127.0.0.1:1883
(override with SERIAL_MES_MQTT_HOST/PORT) and the demo database: reads
published while the bridge runs become events; the bridge killed (SIGKILL)
and restarted while reads are published loses no read and counts none
twice.  Each run uses its own topics, reader and client id."""
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = os.environ.get('SERIAL_MES_MQTT_HOST', '127.0.0.1')
PORT = int(os.environ.get('SERIAL_MES_MQTT_PORT', 1883))
T0 = dt.datetime(2025, 6, 2, 8, 0, 0)

# Run in a subprocess against the demo database: a reader with one
# antenna, and the EPCs of serials in stock
SETUP = r'''
import json, os, sys
from serial_mes import database
database.configure()
reader, = sys.argv[1:]
with database.session(os.environ['RFID_DB']) as pool:
    Reader = pool.get('serial_mes.rfid.reader')
    Location = pool.get('stock.location')
    Lot = pool.get('stock.lot')
    storage, = Location.search([('type', '=', 'storage')], limit=1)
    Reader.create([{'name': reader, 'identifier': reader, 'kind': 'mqtt',
        'smoothing_window': 5, 'direction_window': 10,
        'antennas': [('create', [{'port': 1, 'role': 'shelf',
            'read_point': str(storage), 'location': storage.id,
            'action': 'observe'}])]}])
    lots = Lot.search([('status', '=', 'in_stock')], order=[('id', 'ASC')])
    print(json.dumps([[l.id, l.epc] for l in lots if l.epc][:8]))
'''
# Counts of what the bridge wrote for a reader
COUNT = r'''
import json, os, sys
from serial_mes import database
database.configure()
reader, = sys.argv[1:]
with database.session(os.environ['RFID_DB']) as pool:
    Batch = pool.get('serial_mes.rfid.batch')
    Event = pool.get('serial_mes.event')
    batches = Batch.search([('reader.identifier', '=', reader)])
    events = Event.search([('source', '=', 'rfid'),
        ('payload', 'like', '%%"reader":"%s"%%' % reader)])
    print(json.dumps({
        'batches': len(batches),
        'reads': sum(b.read_count for b in batches),
        'events': len(events),
        'distinct': len({(e.lot.id, str(e.event_time)) for e in events}),
        }))
'''


def broker_up():
    try:
        with socket.create_connection((HOST, PORT), timeout=2):
            return True
    except OSError:
        return False


pytest.importorskip('paho.mqtt.client')
pytestmark = pytest.mark.skipif(not broker_up(),
    reason="no MQTT broker on %s:%s" % (HOST, PORT))


class Run:
    "One test's reader, topics and bridge client id"

    def __init__(self, demo_db):
        self.cli = demo_db
        self.id = uuid.uuid4().hex[:10]
        self.reader = 'mqtt-%s' % self.id
        self.prefix = 'serial-mes-test/%s' % self.id
        self.client_id = 'serial-mes-test-bridge-%s' % self.id
        self.env = dict(demo_db.env, RFID_DB=demo_db.database,
            PYTHONPATH=ROOT)
        self.lots = json.loads(self.python(SETUP, self.reader))
        assert len(self.lots) >= 4, self.lots
        self.bridges = []

    def python(self, code, *args):
        result = subprocess.run([sys.executable, '-c', code] + list(args),
            env=self.env, cwd=ROOT, capture_output=True, text=True,
            timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def counts(self):
        return json.loads(self.python(COUNT, self.reader))

    def start_bridge(self):
        process = subprocess.Popen([sys.executable, '-m', 'serial_mes.cli',
                'rfid', 'bridge', '--database', self.cli.database,
                '--host', HOST, '--port', str(PORT),
                '--topic', '%s/+/reads' % self.prefix,
                '--client-id', self.client_id, '--max-messages', '5',
                '--json'], env=self.env, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.bridges.append(process)
        self.wait_connected(process)
        return process

    def wait_connected(self, process, timeout=120):
        "Until the bridge logged its connection (it subscribed then)"
        lines = []

        def read():
            for line in process.stderr:
                lines.append(line)
                if 'connected to' in line:
                    connected.set()
        connected = threading.Event()
        threading.Thread(target=read, daemon=True).start()
        if not connected.wait(timeout):
            process.kill()
            raise AssertionError("the bridge did not connect: %s"
                % ''.join(lines)[-3000:])
        time.sleep(0.3)     # the subscription is sent right after
        process.log = lines

    def message(self, number, epcs):
        "Batch number: 4 reads of each EPC within 1.5 s: one event each"
        base = T0 + dt.timedelta(seconds=100 * number)
        reads = [{'epc': epc, 'antenna': 1, 'rssi': -50.0,
                'time': (base + dt.timedelta(seconds=k * 0.5)).isoformat()
                + 'Z'} for epc in epcs for k in range(4)]
        return json.dumps({'batch': '%s-%06d' % (self.id, number),
                'reader': self.reader, 'reads': reads})

    def topic(self):
        return '%s/%s/reads' % (self.prefix, self.reader)

    def wait_for(self, batches, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            counts = self.counts()
            if counts['batches'] >= batches or time.monotonic() > deadline:
                return counts
            time.sleep(1)

    def close(self):
        for process in self.bridges:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
        # forget the persistent session on the broker
        import paho.mqtt.client as mqtt
        client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id, clean_session=True)
        client.connect(HOST, PORT)
        client.disconnect()


@pytest.fixture
def run(demo_db):
    run = Run(demo_db)
    yield run
    run.close()


def publisher():
    from serial_mes_rfid.publish import Publisher
    return Publisher(HOST, PORT)


def test_reads_published_become_events(run):
    bridge = run.start_bridge()
    epcs = [epc for _, epc in run.lots[:3]]
    sender = publisher()
    for number in range(10):
        sender.publish(run.topic(), run.message(number, epcs))
    # the same message again (a middleware retry): a duplicate
    sender.publish(run.topic(), run.message(0, epcs))
    sender.close()
    counts = run.wait_for(10)
    time.sleep(2)
    counts = run.counts()
    assert counts == {'batches': 10, 'reads': 120, 'events': 30,
        'distinct': 30}
    bridge.send_signal(signal.SIGTERM)
    out, _ = bridge.communicate(timeout=60)
    assert bridge.returncode == 0
    stats = json.loads(out)
    assert stats['events'] == 30
    assert stats['duplicates'] == 1


def test_bridge_killed_and_restarted_loses_and_doubles_nothing(run):
    total = 150
    epcs = [epc for _, epc in run.lots[:4]]
    first = run.start_bridge()
    sender = publisher()
    published = []
    done = threading.Event()

    def publish():
        for number in range(total):
            sender.publish(run.topic(), run.message(number,
                    epcs[number % 2:number % 2 + 2]))
            published.append(number)
            time.sleep(0.02)
        done.set()
    thread = threading.Thread(target=publish)
    thread.start()
    # kill it in the middle of the stream, with messages in flight
    while len(published) < 40:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    killed_at = len(published)
    while len(published) < min(killed_at + 40, total):
        time.sleep(0.01)
    second = run.start_bridge()
    # and once more, right after a commit or not: whatever moment it is
    while len(published) < 110:
        time.sleep(0.01)
    second.send_signal(signal.SIGKILL)
    second.wait(30)
    run.start_bridge()
    done.wait(120)
    thread.join()
    sender.close()
    counts = run.wait_for(total, timeout=180)
    time.sleep(2)
    counts = run.counts()
    assert counts['batches'] == total
    assert counts['reads'] == total * 8
    assert counts['events'] == total * 2
    assert counts['distinct'] == total * 2
