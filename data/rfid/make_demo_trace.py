#!/usr/bin/env python3
# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Write demo_trace.jsonl: one minute of reads by the demo's readers
(readers.json) of serials the demo made, as a reader middleware
would have recorded them (one batch a line, at most a second of reads per
batch).  The GTINs and numbers are those of data/demo_pc_line.json and of
the demo's sequences; the EPCs are computed with serial_mes_rfid.epc
(company prefix 950600, filter 1).  The demo replays it after its own
steps (serial_mes_rfid.demo.fit_times), so every serial read exists; the
only dock-door passage outward is of the unit the demo shipped, as an
outward passage of a unit on no shipment being shipped goes to review.
Run from the repository root:

    python data/rfid/make_demo_trace.py > data/rfid/demo_trace.jsonl
"""
import datetime as dt
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))))

from serial_mes_rfid.epc import encode_sgtin  # noqa: E402

START = dt.datetime(2025, 6, 2, 8, 0, 0, tzinfo=dt.timezone(
        dt.timedelta(hours=2)))
GTIN = {
    'MB-B760': '09506000140100',
    'CASE-MID': '09506000140155',
    'CPU-8C65': '09506000140117',
    'RAM-D5-16': '09506000140124',
    'PC-PRO': '09506000140179',
    }


def epc(product, number):
    return encode_sgtin(GTIN[product], number, company_prefix_length=6).hex


# (reader, antenna, epc, first second, last second, reads per second)
PASSES = [
    # PC-PRO-00001, shipped to Contoso, leaves through dock door 1 on the
    # truck: inside, then outside
    ('dock-door-1', 2, epc('PC-PRO', 'PC-PRO-00001'), 2.0, 3.5, 8),
    ('dock-door-1', 1, epc('PC-PRO', 'PC-PRO-00001'), 3.0, 5.0, 8),
    # a case comes in (outside, then inside): already in storage
    ('dock-door-1', 1, epc('CASE-MID', 'ACM-0000804'), 20.0, 21.0, 6),
    ('dock-door-1', 2, epc('CASE-MID', 'ACM-0000804'), 20.8, 22.5, 6),
    # the pallet's SSCC label and a tag never encoded (raw TID-like EPC)
    ('dock-door-1', 1, '3174257BF4499602D2000000', 20.0, 22.0, 4),
    ('dock-door-1', 2, 'E2801160600002050000000A', 21.0, 22.0, 4),
    # memory modules put on Rack A: read every second while they lie there
    ('rack-a', 1, epc('RAM-D5-16', 'HXM16-000108'), 10.0, 59.0, 1),
    ('rack-a', 1, epc('RAM-D5-16', 'HXM16-000120'), 12.0, 59.0, 1),
    # a board of the supplier's number range that was never received
    ('rack-a', 1, epc('MB-B760', 'AB760-2403X0999'), 30.0, 40.0, 1),
    # CPUs and a board carried to the assembly line
    ('line-portal', 1, epc('CPU-8C65', 'HXC8-2406-0004'), 40.0, 41.2, 10),
    ('line-portal', 1, epc('CPU-8C65', 'HXC8-2406-0009'), 40.5, 41.5, 10),
    ('line-portal', 1, epc('MB-B760', 'AB760-2403X0104'), 41.0, 42.0, 10),
    # the same board again a while later: a second observation
    ('line-portal', 1, epc('MB-B760', 'AB760-2403X0104'), 50.0, 50.5, 10),
    ]


def main():
    rng = random.Random(20250602)
    reads = []
    for reader, antenna, code, first, last, per_second in PASSES:
        count = max(int((last - first) * per_second), 1)
        for k in range(count + 1):
            second = first + (last - first) * k / count
            reads.append((second + rng.uniform(-0.05, 0.05), reader,
                    antenna, code, round(rng.uniform(-68, -42), 1)))
    reads.sort()
    batches = {}
    for second, reader, antenna, code, rssi in reads:
        key = (reader, int(max(second, 0)))
        batches.setdefault(key, []).append({
                'epc': code, 'antenna': antenna,
                'time': (START + dt.timedelta(seconds=max(second, 0))
                    ).isoformat(timespec='milliseconds'),
                'rssi': rssi})
    for number, ((reader, second), items) in enumerate(
            sorted(batches.items(), key=lambda i: (i[0][1], i[0][0])), 1):
        print(json.dumps({'batch': 'demo-trace-%s-%04d' % (reader, number),
                    'reader': reader, 'reads': items},
                separators=(',', ':')))


if __name__ == '__main__':
    main()
