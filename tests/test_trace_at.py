# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""`serial-mes trace --at T` shows the statuses of time T (from the
events), not today's: the SSD the demo's repair replaced and scrapped
reads "installed" at a time it was still in the unit."""
import datetime as dt
import json

UNIT = 'PC-PRO-00003'  # the demo's repaired unit


def _ssd(node, key='children'):
    ssd, = [c for c in node[key] if c['product'].startswith('[SSD')]
    return ssd


def _trace(demo_db, *args):
    return json.loads(demo_db('trace', *args, '--json', check=True).stdout)


def test_trace_at_shows_the_statuses_of_that_time(demo_db):
    new = _ssd(_trace(demo_db, UNIT))
    assert new['status'] == 'installed'
    old_number = new['replaces']
    repaired = dt.datetime.fromisoformat(new['installed_at'])
    before = (repaired - dt.timedelta(microseconds=1)).isoformat()
    after = repaired.isoformat()

    # today the old SSD is scrapped
    assert _trace(demo_db, old_number, '--up')['status'] == 'scrapped'

    past = _trace(demo_db, UNIT, '--at', before)
    old = _ssd(past)
    assert old['serial'] == old_number
    assert old['status'] == 'installed', old
    assert past['status'] == 'in_stock'
    up = _trace(demo_db, old_number, '--up', '--at', before)
    assert up['status'] == 'installed', up
    assert up['parents'][0]['serial'] == UNIT

    # at the repair's instant the new SSD is in, the old one is out
    now = _trace(demo_db, UNIT, '--at', after)
    assert (_ssd(now)['serial'], _ssd(now)['status']) == (
        new['serial'], 'installed')
    assert _trace(demo_db, old_number, '--up', '--at', after)[
        'status'] != 'installed'

    text = demo_db('trace', UNIT, '--at', before, check=True).stdout
    line, = [l for l in text.splitlines() if old_number in l]
    assert 'installed' in line.lower() and 'scrapped' not in line.lower(), (
        text)
