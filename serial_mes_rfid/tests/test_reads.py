# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Tests of serial_mes_rfid.reads (pure pytest, no database)"
import base64
import datetime as dt
import json

import pytest

from serial_mes_rfid.bridge import reader_from_topic
from serial_mes_rfid.reads import Read, ReadsError, parse

EPC = '3034257BF7194E4000001A85'


def test_native_batch():
    batch = parse(json.dumps({'batch': 'b-1', 'reader': 'dock-1', 'reads': [
                    {'epc': '0x' + EPC.lower(), 'antenna': '2',
                        'time': '2025-06-02T10:00:00.250+02:00',
                        'rssi': -50},
                    {'epc': EPC, 'antenna': 1, 'time': 1748851200.5,
                        'reader': 'dock-2'},
                    ]}).encode())
    assert (batch.batch_id, batch.reader, batch.shape) == (
        'b-1', 'dock-1', 'serial-mes')
    assert batch.reads == [
        Read('dock-1', 2, EPC, dt.datetime(2025, 6, 2, 8, 0, 0, 250000),
            '+02:00', -50.0),
        Read('dock-2', 1, EPC, dt.datetime(2025, 6, 2, 8, 0, 0, 500000),
            '+00:00', None),
        ]


@pytest.mark.parametrize('value, expected', [
    ('2025-06-02T08:00:00', dt.datetime(2025, 6, 2, 8)),       # UTC
    ('2025-06-02T08:00:00Z', dt.datetime(2025, 6, 2, 8)),
    ('2025-06-02T08:00:00.123456789Z',
        dt.datetime(2025, 6, 2, 8, 0, 0, 123456)),
    ('2025-06-02T07:00:00-0100', dt.datetime(2025, 6, 2, 8)),
    (1748851200, dt.datetime(2025, 6, 2, 8)),
    (1748851200000, dt.datetime(2025, 6, 2, 8)),
    (1748851200000000, dt.datetime(2025, 6, 2, 8)),
    ])
def test_times(value, expected):
    batch = parse({'reader': 'r', 'reads': [
                {'epc': EPC, 'antenna': 1, 'time': value}]})
    assert batch.reads[0].time == expected


def test_digest_is_the_id_of_a_batch_without_one():
    data = json.dumps([{'epc': EPC, 'antenna': 1, 'time': 0}])
    first = parse(data, reader='a')
    assert first.batch_id.startswith('sha256:')
    assert parse(data.encode(), reader='a').batch_id == first.batch_id
    # the same payload from another reader is another batch
    assert parse(data, reader='b').batch_id != first.batch_id
    assert parse(data, reader='a', batch_id='key').batch_id == 'key'


def test_impinj_events_and_json_lines():
    events = [
        {'timestamp': '2025-06-02T08:00:00Z', 'hostname': 'r700',
            'eventType': 'tagInventory', 'tagInventoryEvent': {
                'epc': base64.b64encode(bytes.fromhex(EPC)).decode(),
                'antennaPort': 3,
                'peakRssiCdbm': -5320}},
        {'timestamp': '2025-06-02T08:00:01Z', 'hostname': 'r700',
            'eventType': 'inventoryStatus',
            'inventoryStatusEvent': {'inventoryStatus': 'running'}},
        ]
    text = '\n'.join('data: ' + json.dumps(e) for e in events)
    batch = parse(text)
    assert batch.shape == 'impinj'
    assert batch.ignored == 1
    read, = batch.reads
    assert (read.reader, read.antenna, read.rssi) == ('r700', 3, -53.2)
    assert read.epc == EPC


def test_zebra_events_need_a_reader():
    events = [{'timestamp': '2025-06-02T08:00:00.000+0000', 'type': 'SIMPLE',
            'data': {'idHex': EPC.lower(), 'antenna': 1, 'peakRssi': -48}}]
    batch = parse(events, reader='fx9600')
    assert batch.shape == 'zebra'
    assert batch.reads[0] == Read('fx9600', 1, EPC,
        dt.datetime(2025, 6, 2, 8), '+00:00', -48.0)
    with pytest.raises(ReadsError, match='Zebra events do not name it'):
        parse(events)


def test_text_that_is_not_hex_is_kept_for_review():
    batch = parse({'reader': 'r', 'reads': [
                {'epc': ' tag#1 ', 'antenna': 1, 'time': 0}]})
    assert batch.reads[0].epc == 'tag#1'


@pytest.mark.parametrize('data, error', [
    (b'', 'Malformed JSON'),
    (b'{"reads": [}', 'Malformed JSON'),
    (b'{"a": 1}\n{"b": ', 'Malformed JSON on line 2'),
    ('"text"', 'JSON object or list'),
    ({'reader': 'r', 'reads': [{'epc': EPC, 'antenna': True, 'time': 0}]},
        'antenna'),
    ({'reader': 'r', 'reads': [{'epc': EPC, 'antenna': 1}]}, 'no time'),
    ({'reader': 'r', 'reads': [{'epc': EPC, 'antenna': 1, 'time': -1}]},
        'epoch time out of range'),
    ({'reader': 'r', 'reads': [{'epc': EPC, 'antenna': 1, 'time': 0,
                    'rssi': 'loud'}]}, 'rssi'),
    ({'reader': 'r', 'reads': [{'epc': 'A' * 129, 'antenna': 1,
                    'time': 0}]}, 'at most 128'),
    ({'reader': 'r', 'reads': [{'epc': '', 'antenna': 1, 'time': 0}]},
        'empty epc'),
    ({'reader': '', 'reads': []}, 'reader as a non-empty string'),
    ({'batch': 'x' * 201, 'reads': []}, 'batch of at most 200'),
    ])
def test_errors(data, error):
    with pytest.raises(ReadsError, match=error):
        parse(data)


@pytest.mark.parametrize('subscription, topic, reader', [
    ('serial-mes/rfid/+/reads', 'serial-mes/rfid/dock-1/reads', 'dock-1'),
    ('site/+/rfid/+', 'site/a/rfid/b', 'a'),
    ('readers/#', 'readers/x', None),
    ])
def test_reader_from_topic(subscription, topic, reader):
    assert reader_from_topic(subscription, topic) == reader
