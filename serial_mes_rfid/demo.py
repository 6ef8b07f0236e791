# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The RFID step of the demo: replay data/rfid/demo_trace.jsonl through the
MQTT bridge into the demo database and show the events it produced.

`replay_trace(name)` runs after the rest of the demo committed: it sets up
the readers of data/rfid/readers.json, starts the bridge in a thread,
publishes the trace to the broker (times fitted to the demo's timeline by
fit_times: after the demo's last event, ending now when there is room),
waits until the bridge has ingested every message, and summarises.
Without a reachable broker it ingests the trace directly and says so."""
import datetime as dt
import json
import os
import socket
import threading
import time
import uuid

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
                __file__))), 'data', 'rfid')


def load_readers(path=os.path.join(DATA, 'readers.json')):
    with open(path, encoding='utf-8') as file:
        return json.load(file)


def load_trace(path=os.path.join(DATA, 'demo_trace.jsonl')):
    with open(path, 'rb') as file:
        return [line for line in file.read().splitlines() if line.strip()]


def shift_times(batches, end=None):
    """The batches (Serial MES shape) with their read times moved so that
    the last read is at end (default now), offsets kept"""
    values = [json.loads(b) for b in batches]
    times = [dt.datetime.fromisoformat(r['time'])
        for v in values for r in v['reads']]
    end = end or dt.datetime.now(dt.timezone.utc)
    delta = end - max(times)
    for value in values:
        for read in value['reads']:
            moment = dt.datetime.fromisoformat(read['time']) + delta
            read['time'] = moment.isoformat(timespec='milliseconds')
    return [json.dumps(v, separators=(',', ':')).encode() for v in values]


def fit_times(batches, after, now=None):
    """The batches with their read times shifted to fit the demo's
    timeline: the trace ends now (default the current time) unless that
    would put its first read before after (the demo's last event, aware
    UTC), then it starts a second after it.  The trace reads serials the
    demo made: their reads must come after they exist."""
    values = [json.loads(b) for b in batches]
    times = [dt.datetime.fromisoformat(r['time'])
        for v in values for r in v['reads']]
    now = now or dt.datetime.now(dt.timezone.utc)
    start = max(now - (max(times) - min(times)),
        after + dt.timedelta(seconds=1)) if after else None
    return shift_times(batches, start + (max(times) - min(times))
        if start else now)


def last_event_time(pool):
    "The time of the latest event (aware UTC), None without any"
    Event = pool.get('serial_mes.event')
    events = Event.search([], order=[('event_time', 'DESC')], limit=1)
    if not events:
        return None
    return events[0].event_time.replace(tzinfo=dt.timezone.utc)


def setup_readers(pool, config):
    "Create the readers and antennas of config, once"
    Reader = pool.get('serial_mes.rfid.reader')
    Antenna = pool.get('serial_mes.rfid.antenna')
    Location = pool.get('stock.location')
    Template = pool.get('product.template')
    Identifier = pool.get('product.identifier')
    for prefix, length in config.get('company_prefix_length', {}).items():
        identifiers = Identifier.search([('type', '=', 'ean'),
                ('code', 'like', prefix.lstrip('0') + '%')])
        templates = {i.product.template for i in identifiers}
        Template.write(list(templates), {'epc_company_prefix_length': length})
    locations = {l.code: l for l in Location.search([('code', '!=', None)])}
    readers = []
    for values in config['readers']:
        if Reader.search([('identifier', '=', values['identifier'])]):
            continue
        reader, = Reader.create([{k: values[k] for k in ['identifier', 'name',
                        'kind', 'smoothing_window', 'direction_window']}])
        antennas = Antenna.create([{
                    'reader': reader.id,
                    'port': a['port'], 'name': a['name'], 'role': a['role'],
                    'dock_side': a.get('dock_side'),
                    'read_point': str(locations[a['read_point']]),
                    'location': locations[a['location']].id
                    if a.get('location') else None,
                    'action': a['action'], 'biz_step': a.get('biz_step'),
                    } for a in values['antennas']])
        by_port = {a.port: a for a in antennas}
        for a in values['antennas']:
            if a.get('pair'):
                Antenna.write([by_port[a['port']]],
                    {'pair': by_port[a['pair']].id})
        readers.append(reader)
    return readers


def broker_reachable(host, port):
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def replay_trace(name, log=print, host=None, port=None, timeout=120):
    """Replay the demo trace into database name; return a summary dict"""
    from serial_mes import database

    from .bridge import Bridge
    from .publish import Publisher, reader_of
    host = host or os.environ.get('SERIAL_MES_MQTT_HOST', '127.0.0.1')
    port = int(port or os.environ.get('SERIAL_MES_MQTT_PORT', 1883))
    with database.session(name) as pool:
        setup_readers(pool, load_readers())
        after = last_event_time(pool)
    batches = fit_times(load_trace(), after)
    started = dt.datetime.now()
    try:
        import paho.mqtt.client  # noqa: F401
    except ImportError:
        paho = False
    else:
        paho = True
    if paho and broker_reachable(host, port):
        run_id = uuid.uuid4().hex[:8]
        prefix = 'serial-mes-demo/%s' % run_id
        bridge = Bridge(name, host=host, port=port,
            topics=['%s/+/reads' % prefix],
            client_id='serial-mes-demo-%s' % run_id,
            log=lambda text: None)
        thread = threading.Thread(target=bridge.run, kwargs={
                'idle_timeout': timeout}, daemon=True)
        thread.start()
        if not bridge.connected.wait(30):
            bridge.stop()
            raise RuntimeError("the RFID bridge did not connect to %s:%s"
                % (host, port))
        time.sleep(0.3)
        publisher = Publisher(host, port)
        for data in batches:
            publisher.publish('%s/%s/reads' % (prefix, reader_of(data)),
                data)
        publisher.close()
        deadline = time.monotonic() + timeout
        while (bridge.stats.messages < len(batches)
                and time.monotonic() < deadline and thread.is_alive()):
            time.sleep(0.1)
        bridge.stop()
        thread.join(10)
        _forget_session(host, port, bridge.client_id)
        how = "published %d batches to the MQTT broker on %s:%s; the " \
            "bridge ingested %d reads" % (len(batches), host, port,
                bridge.stats.reads)
    else:
        def ingest(pool):
            from .rfid import ingest_retrying
            return ingest_retrying([(b, None, None) for b in batches])
        results = database.run(name, ingest)
        how = "%s: ingested the %d batches directly (%d reads)" % (
            "no MQTT broker on %s:%s" % (host, port) if paho
            else "paho-mqtt is not installed", len(batches),
            sum(r['reads'] for r in results))
    with database.session(name) as pool:
        summary = summarize(pool, started)
    summary['how'] = how
    log("- replayed the RFID trace data/rfid/demo_trace.jsonl: " + how)
    log("  %(events)d observe events, %(moves)d moves, %(review)d EPCs to "
        "review:" % summary)
    for event in summary['event_list']:
        log("  %(time)s  %(serial)-16s %(reader)s/%(antenna)s  %(where)s%(d)s"
            % dict(event, d=' (%s)' % event['direction']
                if event['direction'] else ''))
    for entry in summary['review_list']:
        log("  review: %(epc)s  %(kind)s, %(reads)d reads  %(detail)s"
            % entry)
    return summary


def summarize(pool, since):
    Event = pool.get('serial_mes.event')
    Review = pool.get('serial_mes.rfid.review')
    Move = pool.get('stock.move')
    events = Event.search([('source', '=', 'rfid'),
            ('recorded_at', '>=', since.replace(microsecond=0))],
        order=[('event_time', 'ASC'), ('id', 'ASC')])
    event_list = []
    for event in events:
        payload = json.loads(event.payload or '{}')
        event_list.append({
                'time': event.event_time.isoformat(' ', 'seconds'),
                'serial': event.lot.number,
                'reader': payload.get('reader'),
                'antenna': payload.get('antenna'),
                'where': event.location.rec_name if event.location else '-',
                'direction': payload.get('direction'),
                })
    review = Review.search([])
    return {
        'events': len(events),
        'moves': Move.search_count([('create_date', '>=', since),
                ('lot', '!=', None)]),
        'review': len(review),
        'event_list': event_list,
        'review_list': [{'epc': r.epc, 'kind': r.kind, 'reads': r.read_count,
                'detail': r.detail} for r in review],
        }


def _forget_session(host, port, client_id):
    import paho.mqtt.client as mqtt
    client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id, clean_session=True)
    try:
        client.connect(host, port)
        client.disconnect()
    except OSError:
        pass
