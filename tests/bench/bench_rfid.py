#!/usr/bin/env python3
# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""RFID reads over MQTT into PostgreSQL: the bridge at sustained load.

Sets up a database with SERIALS serial-tracked boards and 20 antennas (5
readers x 4 ports, observe only, 5 s smoothing window), starts the bridge
(`serial-mes rfid bridge`, one process, or several sharing the 5
readers' topics), and publishes READS reads to the real broker in batches of
--batch reads (Serial MES shape, QoS 1): tag passes of --reads-per-pass
reads each (90 % duplicates within the window with the default 10), a
share of unknown EPCs, every read stamped with its publication time.
The publisher keeps at most --backlog messages ahead of what the database
holds (the broker drops what exceeds its queue) and, with --rate, no more
than that many reads per second.

Prints reads per second ingested (first publication to last commit),
events written (checked against the passes), and the read->event latency
p50/p99: from the first read of a pass (its publication) to the commit of
the transaction that wrote its event (the batch's ingested_at).  Figures
are printed, never asserted.

    python tests/bench/bench_rfid.py [--reads 500000] [--rate 6000]
        [--bridges 1] [--database serial_mes_bench_rfid] [--reuse]
"""
import argparse
import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

GTIN = '09506000150000'


def setup(args):
    "The database, product, serials and readers (reused with --reuse)"
    from serial_mes import database
    database.configure(args.database_uri)
    from common import fresh_database
    if args.reuse and database.exists(args.database):
        with database.session(args.database) as pool:
            Lot = pool.get('stock.lot')
            if Lot.search_count([]) >= args.serials:
                return lot_epcs(pool, args.serials)
    fresh_database(args.database, ['serial_mes', 'serial_mes_rfid'])
    with database.session(args.database) as pool:
        from serial_mes.tests.tools import create_product, create_rule
        Lot = pool.get('stock.lot')
        Location = pool.get('stock.location')
        Reader = pool.get('serial_mes.rfid.reader')
        product = create_product("Board", code='MB',
            rule=create_rule("Serial", pattern=None), gtin=GTIN)
        storage, = Location.search([('type', '=', 'storage'),
                ('code', '=', 'STO')])
        supplier, = Location.search([('type', '=', 'supplier')], limit=1)
        numbers = [str(100000 + i) for i in range(args.serials)]
        Lot.receive_serials(product, numbers, storage, supplier)
        Reader.create([{
                    'name': "Bench reader %d" % r,
                    'identifier': 'bench-%d' % r,
                    'smoothing_window': args.window,
                    'antennas': [('create', [{
                                    'port': port, 'role': 'shelf',
                                    'read_point': str(storage),
                                    'location': storage.id,
                                    'action': 'observe',
                                    } for port in range(1, 5)])],
                    } for r in range(5)])
        return lot_epcs(pool, args.serials)


def lot_epcs(pool, count):
    Lot = pool.get('stock.lot')
    lots = Lot.search([], order=[('id', 'ASC')], limit=count)
    return [l.epc for l in lots]


class Generator:
    """Messages of --batch reads drawn round-robin from --active open tag
    passes; pass k is antenna k % 20 and serial k // 20 (never the same
    pair twice within a run), or an unknown EPC"""

    def __init__(self, args, epcs, run_id):
        self.args = args
        self.epcs = epcs
        self.run_id = run_id
        self.next_pass = 0
        self.active = []
        self.passes = 0
        self.unknown_passes = 0
        self.messages = 0
        self.first_reads = {}       # batch id -> [publication time, n]

    def new_pass(self):
        k = self.next_pass
        self.next_pass += 1
        antenna = k % 20
        if (k * 7919) % 1000 < self.args.unknown * 1000:
            epc = '%024X' % (0x30F4 << 80 | k)  # a foreign company prefix
        else:
            epc = self.epcs[(k // 20) % len(self.epcs)]
        return [antenna, epc, self.args.reads_per_pass, True]

    def message(self, remaining):
        args = self.args
        now = dt.datetime.now(dt.timezone.utc)
        stamp = now.isoformat(timespec='microseconds')
        by_reader = {}
        firsts = 0
        size = min(args.batch, remaining)
        while len(self.active) < args.active:
            self.active.append(self.new_pass())
        i = 0
        for _ in range(size):
            if i >= len(self.active):
                i = 0
            tag = self.active[i]
            antenna, epc, left, first = tag
            by_reader.setdefault(antenna // 4, []).append({
                    'epc': epc, 'antenna': antenna % 4 + 1, 'time': stamp,
                    'rssi': -55.0})
            if first and epc.startswith('30F4'):
                self.unknown_passes += 1
            elif first:
                self.passes += 1
                firsts += 1
            tag[2] -= 1
            tag[3] = False
            if tag[2] <= 0:
                self.active[i] = self.new_pass()
            i += 1
        # one message per reader: middleware batches per reader
        messages = []
        for reader, reads in sorted(by_reader.items()):
            self.messages += 1
            batch_id = '%s-%07d' % (self.run_id, self.messages)
            messages.append(('bench-%d' % reader, batch_id, json.dumps({
                            'batch': batch_id, 'reader': 'bench-%d' % reader,
                            'reads': reads}, separators=(',', ':'))))
        return now, size, firsts, messages


def count_batches(cursor, run_id):
    cursor.execute('SELECT count(*) FROM serial_mes_rfid_batch '
        'WHERE batch_id LIKE %s', (run_id + '-%',))
    return cursor.fetchone()[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--reads', type=int, default=500000)
    parser.add_argument('--serials', type=int, default=10000)
    parser.add_argument('--reads-per-pass', type=int, default=10,
        help="reads of one tag pass: 10 makes 90%% duplicates")
    parser.add_argument('--unknown', type=float, default=0.01,
        help="share of passes of unknown EPCs")
    parser.add_argument('--batch', type=int, default=500,
        help="reads generated per tick, split into one message per reader")
    parser.add_argument('--active', type=int, default=400,
        help="tag passes in the antennas' fields at a time")
    parser.add_argument('--window', type=float, default=5)
    parser.add_argument('--rate', type=float, default=6000,
        help="reads per second published (0: as fast as the backlog allows)")
    parser.add_argument('--backlog', type=int, default=400,
        help="messages published ahead of the database at most")
    parser.add_argument('--bridges', type=int, default=1)
    parser.add_argument('--max-messages', type=int, default=50)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=1883)
    parser.add_argument('--database', default='serial_mes_bench_rfid')
    parser.add_argument('--database-uri', default='postgresql:///')
    parser.add_argument('--reuse', action='store_true',
        help="keep the database of an earlier run if it has the serials")
    args = parser.parse_args()

    epcs = setup(args)
    import psycopg

    from serial_mes_rfid.publish import Publisher
    run_id = 'bench%s' % uuid.uuid4().hex[:8]
    topic_prefix = 'serial-mes-bench/%s' % run_id
    env = dict(os.environ, TRYTOND_DATABASE_URI=args.database_uri,
        PYTHONWARNINGS='ignore')
    bridges = []
    for number in range(args.bridges):
        # a reader's messages go to one bridge: observations of one
        # antenna are smoothed in one transaction at a time
        topics = []
        for reader in range(number, 5, args.bridges):
            topics += ['--topic', '%s/bench-%d/reads' % (topic_prefix, reader)]
        process = subprocess.Popen([sys.executable, '-m', 'serial_mes.cli',
                'rfid', 'bridge', '--database', args.database,
                '--database-uri', args.database_uri, '--host', args.host,
                '--port', str(args.port)] + topics + [
                '--client-id', '%s-bridge-%d' % (run_id, number),
                '--max-messages', str(args.max_messages), '--json'],
            env=env, cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        connected = threading.Event()

        def watch(process=process, connected=connected):
            for line in process.stderr:
                if 'connected to' in line:
                    connected.set()
                elif 'rfid bridge:' not in line:
                    sys.stderr.write(line)
        threading.Thread(target=watch, daemon=True).start()
        if not connected.wait(120):
            sys.exit("the bridge did not connect")
        bridges.append(process)
    time.sleep(0.5)

    connection = psycopg.connect(dbname=args.database, autocommit=True)
    cursor = connection.cursor()
    cursor.execute("SELECT max(id) FROM serial_mes_event")
    last_event = cursor.fetchone()[0] or 0
    generator = Generator(args, epcs, run_id)
    publisher = Publisher(args.host, args.port)
    published_at = {}       # batch id -> (publication time, first reads)
    remaining = args.reads
    start = time.monotonic()
    started_at = dt.datetime.now()
    stored = 0
    print("publishing %d reads over MQTT to %d bridge(s) ..." % (
            args.reads, args.bridges), flush=True)
    while remaining > 0:
        if generator.messages - stored > args.backlog:
            stored = count_batches(cursor, run_id)
            if generator.messages - stored > args.backlog:
                time.sleep(0.05)
                continue
        now, size, firsts, messages = generator.message(remaining)
        remaining -= size
        share = firsts / max(len(messages), 1)
        for reader, batch_id, data in messages:
            publisher.publish('%s/%s/reads' % (topic_prefix, reader), data)
            published_at[batch_id] = [now, share]
        if args.rate:
            delay = start + (args.reads - remaining) / args.rate \
                - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    publisher.close()
    publish_seconds = time.monotonic() - start
    total = generator.messages
    while count_batches(cursor, run_id) < total:
        time.sleep(0.2)
        if time.monotonic() - start > 3600:
            sys.exit("the bridge did not ingest everything in an hour")
    for process in bridges:
        process.send_signal(signal.SIGTERM)
    stats = [json.loads(p.communicate(timeout=120)[0]) for p in bridges]
    from serial_mes_rfid.demo import _forget_session
    for number in range(args.bridges):
        _forget_session(args.host, args.port,
            '%s-bridge-%d' % (run_id, number))

    cursor.execute('SELECT batch_id, ingested_at, event_count, read_count '
        'FROM serial_mes_rfid_batch WHERE batch_id LIKE %s', (run_id + '-%',))
    rows = cursor.fetchall()
    last_commit = max(r[1] for r in rows)
    elapsed = (last_commit - started_at).total_seconds()
    events = sum(r[2] for r in rows)
    reads = sum(r[3] for r in rows)
    cursor.execute("SELECT count(*) FROM serial_mes_event "
        "WHERE id > %s AND source = 'rfid'", (last_event,))
    event_rows = cursor.fetchone()[0]
    latencies = []      # one per event: its pass's first read -> commit
    for batch_id, ingested_at, event_count, _ in rows:
        published, _ = published_at[batch_id]
        latency = (ingested_at.replace(tzinfo=None)
            - published.astimezone().replace(tzinfo=None)).total_seconds()
        latencies.extend([latency] * event_count)
    latencies.sort()

    def percentile(p):
        return latencies[min(int(len(latencies) * p), len(latencies) - 1)]
    print("RFID bench on %s: %d reads in %d messages from 20 antennas, "
        "%d reads per pass (%.0f%% duplicates), %d serials, "
        "publication %s" % (args.database_uri, reads, total,
            args.reads_per_pass,
            100 * (1 - 1 / args.reads_per_pass), args.serials,
            'at %d reads/s' % args.rate if args.rate else 'unthrottled'))
    print("ingested: %.0f reads/s (%d reads in %.1f s; publishing took "
        "%.1f s), %d transactions in %d bridge(s)" % (reads / elapsed,
            reads, elapsed, publish_seconds,
            sum(s['transactions'] for s in stats), len(stats)))
    print("events written: %d (expected %d: one per pass of a known "
        "serial; %d rows in serial_mes_event; %d passes of unknown EPCs "
        "went to review)" % (events, generator.passes, event_rows,
            generator.unknown_passes))
    print("read->event latency: p50 %.3f s, p99 %.3f s, max %.3f s "
        "(mean %.3f s)" % (percentile(0.5), percentile(0.99),
            latencies[-1], statistics.mean(latencies)))


if __name__ == '__main__':
    main()
