# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The MQTT bridge against the Mosquitto broker CI runs on 127.0.0.1:1883
(override with SERIAL_MES_MQTT_HOST/PORT) and the demo database: reads
published while the bridge runs become events; the bridge killed (SIGKILL)
and restarted while reads are published loses no read and counts none
twice.  Each run uses its own topics, reader and client id.  Without the
broker the tests fail: CI starts it and waits for it."""
import json
import signal
import threading
import time

import pytest

from rfid_mqtt import HOST, PORT, Run, require_broker


@pytest.fixture(scope='session')
def ci_broker():
    "Checked before the demo database is built (same scope, listed first)"
    require_broker(HOST, PORT)
    return HOST, PORT


@pytest.fixture
def run(ci_broker, demo_db):
    run = Run(demo_db, *ci_broker)
    yield run
    run.close()


def test_reads_published_become_events(run):
    bridge = run.start_bridge()
    epcs = [epc for _, epc in run.lots[:3]]
    sender = run.publisher()
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
    # a new session: the broker held nothing for it
    assert stats['held_at_start'] == 0


def test_bridge_killed_and_restarted_loses_and_doubles_nothing(run):
    total = 150
    epcs = [epc for _, epc in run.lots[:4]]
    first = run.start_bridge()
    sender = run.publisher()
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
