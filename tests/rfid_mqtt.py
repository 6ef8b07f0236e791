# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the MQTT tests share: a Mosquitto broker of their own, started with
the shipped data/mosquitto/serial-mes.conf on a free port, and a Run: one
test's reader, topics and bridge client id on the demo database, with the
bridge started as `serial-mes rfid bridge` in a subprocess."""
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager

import pytest

from conftest import free_port, stop, tail

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED_CONF = os.path.join(ROOT, 'data', 'mosquitto', 'serial-mes.conf')
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


def broker_up(host=HOST, port=PORT):
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_broker(host=HOST, port=PORT):
    "Fail (never skip) when the broker CI starts is not there"
    if not broker_up(host, port):
        pytest.fail("no MQTT broker on %s:%s: start one (.ci/run does, "
            "mosquitto -c %s)" % (host, port, SHIPPED_CONF))


@contextmanager
def broker(conf=SHIPPED_CONF, timeout=20):
    """`mosquitto -c conf -p <free port>` in a directory of its own (its
    persistence file) until the block ends: yields (host, port)"""
    work = tempfile.mkdtemp(prefix='serial-mes-mosquitto-')
    # started as root, mosquitto runs as the mosquitto user
    os.chmod(work, 0o777)
    port = free_port()
    log = open(os.path.join(work, 'mosquitto.log'), 'w')
    process = subprocess.Popen(['mosquitto', '-c', conf, '-p', str(port)],
        cwd=work, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not broker_up('127.0.0.1', port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("mosquitto -c %s -p %s did not start:\n%s" % (
                        conf, port, tail(log.name)))
            time.sleep(0.1)
        yield '127.0.0.1', port
    finally:
        stop(process, timeout=30)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


class Run:
    "One test's reader, topics and bridge client id"

    def __init__(self, demo_db, host=HOST, port=PORT):
        self.cli = demo_db
        self.host = host
        self.port = port
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

    def start_bridge(self, max_messages=5):
        process = subprocess.Popen([sys.executable, '-m', 'serial_mes.cli',
                'rfid', 'bridge', '--database', self.cli.database,
                '--host', self.host, '--port', str(self.port),
                '--topic', '%s/+/reads' % self.prefix,
                '--client-id', self.client_id,
                '--max-messages', str(max_messages), '--json'],
            env=self.env, cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.bridges.append(process)
        self.wait_log(process, 'connected to')
        time.sleep(0.3)     # the subscription is sent right after
        return process

    def wait_log(self, process, text, timeout=120):
        """Until the bridge logged a line with text (its stderr is read
        by a thread into process.log); return the line"""
        if not hasattr(process, 'log'):
            process.log = []
            threading.Thread(target=self._read_log, args=(process,),
                daemon=True).start()
        deadline = time.monotonic() + timeout
        while True:
            for line in list(process.log):
                if text in line:
                    return line
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise AssertionError("the bridge did not log %r: %s" % (
                        text, ''.join(process.log)[-3000:]))
            time.sleep(0.05)

    @staticmethod
    def _read_log(process):
        for line in process.stderr:
            process.log.append(line)

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

    def publisher(self):
        from serial_mes_rfid.publish import Publisher
        return Publisher(self.host, self.port)

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
                stop(process, timeout=30)
        # forget the persistent session on the broker
        import paho.mqtt.client as mqtt
        client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id, clean_session=True)
        try:
            client.connect(self.host, self.port)
            client.disconnect()
        except OSError:
            pass
