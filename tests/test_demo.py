# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The demo's story and data: what it prints can be run, its samples import"
import datetime as dt
import json
import os
import subprocess
import sys

import pytest


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


# --- the ASN samples and the demo's data (issue 14, item 18) ----------------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASN = os.path.join(ROOT, 'data', 'asn')
SAMPLES = sorted(n for n in os.listdir(ASN) if n != 'README.md')


def demo_data():
    with open(os.path.join(ROOT, 'data', 'demo_pc_line.json'),
            encoding='utf-8') as file:
        return json.load(file)


def imported_by_the_demo():
    return {os.path.basename(a['file']) for a in demo_data()['asn']}


def import_sample(cli, name):
    result = cli('asn', 'import', os.path.join('data', 'asn', name),
        '--json')
    assert result.returncode == 0, (name, result.stderr)
    answer = json.loads(result.stdout)
    # the demo imported some of them already: the same again is no change
    assert answer['created'] is (name not in imported_by_the_demo()), name
    return answer


def test_samples_are_all_tested():
    assert len(SAMPLES) == 8
    assert imported_by_the_demo() <= set(SAMPLES)


@pytest.mark.parametrize('name', SAMPLES)
def test_every_asn_sample_imports_into_a_fresh_demo_database(
        fresh_demo_db, name):
    answer = import_sample(fresh_demo_db, name)
    parsed = json.loads(fresh_demo_db('asn', 'parse',
            os.path.join('data', 'asn', name), '--json', database=False,
            check=True).stdout)
    assert answer['shipment']['asn'] == parsed['number']


def test_all_asn_samples_import_into_one_demo_database(fresh_demo_db):
    "As data/asn/README.md says: each sample has serials of its own"
    for name in SAMPLES:
        import_sample(fresh_demo_db, name)


PRODUCT_SUPPLIERS = '''
import json
from serial_mes import database
database.configure()

def read(pool):
    ProductSupplier = pool.get('purchase.product_supplier')
    Line = pool.get('purchase.line')
    return {
        'codes': [[s.party.code, s.product.code, s.code]
            for s in ProductSupplier.search([])],
        'lines': [[l.purchase.number, l.product.code,
                l.product_supplier.code if l.product_supplier else None]
            for l in Line.search([])],
        }
print(json.dumps(database.run(%r, read)))
'''


def test_asn_supplier_codes_are_the_demo_suppliers_codes(demo_db):
    "Each product's supplier code, on its orders and in the ASNs"
    result = subprocess.run([sys.executable, '-c',
            PRODUCT_SUPPLIERS % demo_db.database], env=demo_db.env,
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    read = json.loads(result.stdout)
    codes = {(party, product): code for party, product, code in read['codes']}
    data = demo_data()
    assert len(codes) == len([p for p in data['products']
            if p.get('supplier')])
    # the demo's purchase order lines name them
    for number, product, code in read['lines']:
        assert code and code in codes.values(), (number, product)
    parties = {s['gln']: s['code'] for s in data['suppliers']}
    parties.update({s['name']: s['code'] for s in data['suppliers']})
    products = {p['gtin'].zfill(14): p['code'] for p in data['products']}
    used = 0
    for name in SAMPLES:
        parsed = json.loads(demo_db('asn', 'parse',
                os.path.join('data', 'asn', name), '--json', database=False,
                check=True).stdout)
        supplier = parsed['supplier']
        party = parties.get(supplier['gln']) or parties[supplier['name']]
        for line in parsed['lines']:
            if not line['supplier_code']:
                continue
            product = (products[line['gtin']] if line['gtin']
                else line['supplier_code'])
            assert codes[(party, product)] == line['supplier_code'], (
                name, line['line'])
            used += 1
    assert used >= 10
