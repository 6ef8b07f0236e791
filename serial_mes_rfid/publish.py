# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Publish batches of reads to an MQTT broker (QoS 1), as reader
middleware does: `serial-mes rfid publish`, the demo replay, tests and the
benchmark."""
import json
import time
import uuid


def reader_of(data):
    "The reader a batch names (Serial MES 'reader', Impinj 'hostname')"
    try:
        value = json.loads(data)
    except ValueError:
        raise ValueError("a batch is not JSON: %r" % data[:60])
    if isinstance(value, list):
        value = value[0] if value else {}
    if isinstance(value, dict):
        for key in ('reader', 'hostname'):
            if isinstance(value.get(key), str):
                return value[key]
        reads = value.get('reads')
        if isinstance(reads, list) and reads and isinstance(reads[0], dict):
            if isinstance(reads[0].get('reader'), str):
                return reads[0]['reader']
    raise ValueError("a batch names no reader: %r" % data[:60])


class Publisher:
    "A connected QoS 1 publisher; publish() returns when the broker has it"

    def __init__(self, host='127.0.0.1', port=1883, client_id=None,
            max_inflight=100):
        import paho.mqtt.client as mqtt
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or 'serial-mes-publisher-%s'
            % uuid.uuid4().hex[:8],
            clean_session=True, protocol=mqtt.MQTTv311)
        self.client.max_inflight_messages_set(max_inflight)
        self.client.max_queued_messages_set(0)
        self.client.connect(host, port, keepalive=30)
        self.client.loop_start()
        self.pending = []

    def publish(self, topic, data, qos=1, wait=False):
        info = self.client.publish(topic, data, qos=qos)
        self.pending.append(info)
        if wait:
            self.flush()
        elif len(self.pending) > 1000:
            self.pending = [i for i in self.pending if not i.is_published()]
        return info

    def flush(self, timeout=60):
        deadline = time.monotonic() + timeout
        for info in self.pending:
            info.wait_for_publish(max(deadline - time.monotonic(), 0.001))
            if not info.is_published():
                raise OSError("the broker did not acknowledge a message "
                    "within %s s" % timeout)
        self.pending = []

    def close(self):
        self.flush()
        self.client.disconnect()
        self.client.loop_stop()


def publish(batches, host='127.0.0.1', port=1883,
        topic_prefix='serial-mes/rfid', rate=None):
    "Publish each batch to <topic_prefix>/<its reader>/reads"
    publisher = Publisher(host, port)
    try:
        start = time.monotonic()
        for count, data in enumerate(batches, 1):
            publisher.publish('%s/%s/reads' % (topic_prefix, reader_of(data)),
                data)
            if rate:
                delay = start + count / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
    finally:
        publisher.close()
    return len(batches)
