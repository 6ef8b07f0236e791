# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A long bridge outage on a broker run with the shipped configuration
(data/mosquitto/serial-mes.conf): more batches than Mosquitto's default
queue of 1,000 are published while the bridge is down; the restarted bridge
says how many the broker held and ingests every read exactly once."""
import json
import signal
import time

from rfid_mqtt import Run, broker

BEFORE = 5          # batches ingested before the bridge dies
DURING = 1200       # batches published while it is down (> 1,000)


def test_outage_longer_than_the_default_queue(demo_db):
    with broker() as (host, port):
        run = Run(demo_db, host, port)
        try:
            epcs = [epc for _, epc in run.lots[:4]]
            first = run.start_bridge(max_messages=50)
            sender = run.publisher()
            for number in range(BEFORE):
                sender.publish(run.topic(), run.message(number, epcs[:2]))
            sender.flush()
            assert run.wait_for(BEFORE)['batches'] == BEFORE
            time.sleep(1)   # the acknowledgements follow the commit
            first.send_signal(signal.SIGKILL)
            first.wait(30)

            for number in range(BEFORE, BEFORE + DURING):
                sender.publish(run.topic(), run.message(number,
                        epcs[number % 2:number % 2 + 2]))
            sender.close()      # every message acknowledged by the broker

            second = run.start_bridge(max_messages=50)
            run.wait_log(second, 'start-up')     # held messages counted
            counts = run.wait_for(BEFORE + DURING, timeout=600)
            second.send_signal(signal.SIGTERM)
            out, _ = second.communicate(timeout=60)
            stats = json.loads(out)
        finally:
            run.close()
    published = BEFORE + DURING
    held = stats['held_at_start']
    print("published %d batches (%d while the bridge was down), the "
        "broker held %d, ingested %d batches with %d reads and %d events, "
        "duplicated %d" % (published, DURING, held, counts['batches'],
            counts['reads'], counts['events'],
            counts['events'] - counts['distinct']))
    assert held == DURING
    assert stats['held_marker_missing'] is False
    assert stats['broker_dropped'] == 0
    assert stats['messages'] == DURING
    assert stats['duplicates'] == 0
    assert counts == {'batches': published, 'reads': published * 8,
        'events': published * 2, 'distinct': published * 2}
