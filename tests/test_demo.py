# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The demo's story and data: what it prints can be run, its samples import"
import datetime as dt
import json
import os


def demo_summary(demo_db):
    path = os.path.join(demo_db.var, 'demo', 'demo-summary.json')
    with open(path, encoding='utf-8') as file:
        return json.load(file)


def ssd_of(tree):
    ssd, = [c['serial'] for c in tree['children']
        if c['product'].startswith('[SSD')]
    return ssd


def test_trace_at_the_times_the_demo_prints_shows_the_repair(demo_db):
    "Issue 14, item 9: the repair is a whole second after the assembly"
    repair = demo_summary(demo_db)['repair']
    unit, old, new = repair['unit'], repair['removed'], repair['installed']
    assert old != new
    for moment in [repair['before'], repair['after']]:
        parsed = dt.datetime.fromisoformat(moment)
        assert parsed.utcoffset() == dt.timedelta(0), moment
        assert moment.endswith('+00:00') and parsed.microsecond == 0
        # printed as a command to run
        assert 'serial-mes trace %s --at %s' % (unit, moment) \
            in demo_db.demo_output
    for moment, fitted in [(repair['before'], old), (repair['after'], new)]:
        tree = json.loads(demo_db('trace', unit, '--at', moment, '--json',
                check=True).stdout)
        assert ssd_of(tree) == fitted, moment
        text = demo_db('trace', unit, '--at', moment, check=True).stdout
        assert fitted in text
        assert ({old, new} - {fitted}).pop() not in text
