# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The serial-mes command line against the demo database"
import json

import pytest

GS = '\x1d'


def test_demo_prints_a_summary(demo_db):
    out = demo_db.demo_output
    assert 'imported ubl ASN AST-DA-2024-0311' in out
    assert 'scanned its 18 serials at the dock (matched 18)' in out
    assert 'received 6 serials without ASN' in out
    assert 'shipped PC-PRO-00001 to Contoso Retail' in out
    assert 'PC-PRO-00001 ([PC-PRO] Desktop PC Northwind Pro) is At Customer' \
        ', held by Contoso Retail' in out


def test_serial_show_by_number_and_alias(demo_db):
    shown = json.loads(demo_db('serial', 'show', 'PC-PRO-00001', '--json',
            check=True).stdout)
    assert shown['status'] == 'at_customer'
    assert shown['inventory'] == 'SNII'
    assert shown['holder'] == 'Contoso Retail'
    # the RFID replay reads the shipped unit at the dock door after it
    # was shipped (serial_mes_rfid.demo.fit_times)
    rfid = [e['biz_step'] for e in shown['events'] if e['source'] == 'rfid']
    assert 'shipping' in rfid
    steps = [e['biz_step'] for e in shown['events'] if e['source'] != 'rfid']
    assert steps[:2] == ['shipping', 'picking']
    assert steps[-1] == 'commissioning'
    # the production output, then one event per component installed
    assert steps[2:-1] == ['assembling'] * 5

    by_mac = json.loads(demo_db('serial', 'show', '00:1B:21:3A:4F:5C',
            '--json', check=True).stdout)
    assert by_mac['number'] == 'PC-PRO-00002'
    assert by_mac['status'] == 'in_stock'
    assert by_mac['inventory'] == 'SII'


def test_trace_as_built_and_where_used(demo_db):
    tree = json.loads(demo_db('trace', 'PC-PRO-00001', '--json',
            check=True).stdout)
    assert tree['serial'] == 'PC-PRO-00001'
    board, = [c for c in tree['children'] if c['children']]
    assert board['product'].startswith('[MB-B760]')
    assert board['serial'].startswith('AB760-')  # the supplier's, from the ASN
    ssd, = [c for c in tree['children'] if c['product'].startswith('[SSD')]
    assert ssd['original_number'].startswith('SSSD1TB')
    assert sorted(c['product'][1:4] for c in board['children']) == [
        'CPU', 'RAM', 'RAM']
    cpu = [c for c in board['children'] if c['product'].startswith('[CPU')][0]

    up = json.loads(demo_db('trace', cpu['serial'], '--up', '--json',
            check=True).stdout)
    assert up['parents'][0]['serial'] == board['serial']
    assert up['parents'][0]['parents'][0]['serial'] == 'PC-PRO-00001'

    # by GS1 scan of the unit: (01) GTIN + (21) serial
    scanned = json.loads(demo_db('trace', '(01)09506000140179(21)PC-PRO-00001',
            '--json', check=True).stdout)
    assert scanned == tree


def test_trace_after_repair_and_in_the_past(demo_db):
    tree = json.loads(demo_db('trace', 'PC-PRO-00003', '--json',
            check=True).stdout)
    ssd, = [c for c in tree['children'] if c['product'].startswith('[SSD')]
    assert ssd['replaces']
    import datetime as dt
    just_before = (dt.datetime.fromisoformat(ssd['installed_at'])
        - dt.timedelta(milliseconds=1)).isoformat()
    past = json.loads(demo_db('trace', 'PC-PRO-00003', '--json', '--at',
            just_before, check=True).stdout)
    old, = [c for c in past['children'] if c['product'].startswith('[SSD')]
    assert old['serial'] == ssd['replaces']
    assert old['removal_reason'] == 'defective'
    bad = demo_db('trace', 'PC-PRO-00003', '--at', 'yesterday')
    assert bad.returncode == 2 and 'ISO' in bad.stderr


def test_recall_by_lot_and_supplier_csv(demo_db, tmp_path):
    tree = json.loads(demo_db('trace', 'PC-PRO-00001', '--json',
            check=True).stdout)
    board, = [c for c in tree['children'] if c['children']]
    cpu = [c for c in board['children'] if c['product'].startswith('[CPU')][0]
    result = json.loads(demo_db('recall', '--lot', cpu['serial'], '--json',
            check=True).stdout)
    assert result['count'] == 1
    unit, = result['units']
    assert (unit['serial'], unit['status'], unit['holder']) == (
        'PC-PRO-00001', 'at_customer', 'Contoso Retail')
    assert unit['delivered']

    path = tmp_path / 'recall.csv'
    result = json.loads(demo_db('recall', '--supplier', 'SUP-HELIX',
            '--csv', str(path), '--json', check=True).stdout)
    import csv
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == result['count']
    serials = {r['serial'] for r in rows}
    assert {'PC-PRO-00001', 'PC-PRO-00002', 'PC-PRO-00003'} <= serials
    assert not any(s.startswith('MB-') for s in serials)

    for args, reason in [
            (['--lot', 'NO-SUCH-LOT'], '"NO-SUCH-LOT"'),
            (['--supplier', 'Nobody'], '"Nobody"'),
            ([], '--lot'),
            (['--supplier', 'SUP-HELIX', '--received-from', '2026-13-01'],
                'ISO date')]:
        bad = demo_db('recall', *args)
        assert bad.returncode == 2, args
        assert reason in bad.stderr, (args, bad.stderr)


def test_asn_parse_and_import(demo_db, tmp_path):
    parsed = json.loads(demo_db('asn', 'parse',
            'data/asn/x12_856_pc_parts.x12', '--json', database=False,
            check=True).stdout)
    assert parsed['format'] == 'x12-856'
    assert sum(len(l['serials']) for l in parsed['lines']) == 6

    bad = tmp_path / 'bad.xml'
    bad.write_bytes(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>'
        b'<x>&a;</x>')
    for path in [str(bad), 'no/such/file']:
        result = demo_db('asn', 'parse', path, '--json', database=False)
        assert result.returncode == 2 and result.stdout == ''
        assert result.stderr.count('\n') == 1

    # the demo received this one already: same ASN again changes nothing
    again = json.loads(demo_db('asn', 'import',
            'data/asn/ubl_despatch_advice.xml', '--json', check=True).stdout)
    assert again['created'] is False
    # an ASN whose serials are in stock already is refused, nothing written
    clash = tmp_path / 'clash.xml'
    clash.write_bytes(open('data/asn/ubl_despatch_advice.xml', 'rb').read(
            ).replace(b'AST-DA-2024-0311', b'AST-DA-2024-0999'))
    result = demo_db('asn', 'import', str(clash))
    assert result.returncode == 2
    assert 'already exists' in result.stderr
    # an ASN naming an order the supplier does not have is refused
    unknown = tmp_path / 'unknown-order.x12'
    unknown.write_bytes(open('data/asn/x12_856_pc_parts.x12', 'rb').read(
            ).replace(b'4500012346', b'4500099999'))
    result = demo_db('asn', 'import', str(unknown))
    assert result.returncode == 2
    assert '4500099999' in result.stderr and 'no purchase' in result.stderr
    # the Keystone X12 ASN is new (it delivers the demo's open order
    # 4500012346): its serials are expected, its power supplies (SNII)
    # come by quantity, which the text says in words (not "0 expected")
    text = demo_db('asn', 'import', 'data/asn/x12_856_pc_parts.x12',
        check=True).stdout
    assert text.startswith('created shipment'), text
    assert ': 6 expected' in text, text
    assert '10 by quantity, serials registered later' in text, text
    assert '0 expected' not in text, text
    created = json.loads(demo_db('asn', 'import',
            'data/asn/x12_856_pc_parts.x12', '--json', check=True).stdout)
    assert created['created'] is False
    ssd = [l for l in created['lines'] if 'SSD' in l['product']][0]
    assert ssd['expected'] == 6 and ssd['missing'] == 6
    psu, = [l for l in created['lines'] if 'PSU' in l['product']]
    assert (psu['expected'], psu['by_quantity'], psu['missing']) == (
        0, 10, 0)
    assert created['totals'] == {'expected': 6, 'by_quantity': 10,
        'scanned': 0, 'missing': 6, 'unexpected': 0}


def test_serial_show_unknown(demo_db):
    result = demo_db('serial', 'show', 'NO-SUCH-SERIAL', '--json')
    assert result.returncode == 2
    assert result.stdout == ''
    assert result.stderr.count('\n') == 1
    assert 'NO-SUCH-SERIAL' in result.stderr


def test_serial_create_sequence_typed_and_refusals(demo_db):
    created = json.loads(demo_db('serial', 'create', 'SSD-1TB',
            '--count', '3', '--json', check=True).stdout)['created']
    assert len(created) == 3
    assert all(n.startswith('SSD-1TB-') for n in created)
    for number in created:
        shown = json.loads(demo_db('serial', 'show', number, '--json',
                check=True).stdout)
        assert shown['status'] == 'expected'

    # by GTIN, typed numbers
    typed = json.loads(demo_db('serial', 'create', '9506000140131',
            'SSD-T0001', 'SSD-T0002', '--json', check=True).stdout)
    assert typed['created'] == ['SSD-T0001', 'SSD-T0002']

    for args, reason in [
            (['SSD-1TB', 'SSD-T0003', 'bad serial'],
                'are 4 to 20 capital letters, digits or hyphens'),
            (['SSD-1TB', 'SSD-T0004', 'SSD-T0001'], 'already exists'),
            (['SSD-1TB', 'SSD-T0005', 'SSD-T0005'], 'given twice'),
            (['NO-SUCH-PRODUCT', 'X1'], 'Unknown product'),
            (['SCR-M3', 'SCREW-1'], 'not tracked'),
            (['SSD-1TB', '--range', 'SSD-T0010', 'SSD-T0001'], 'not a range'),
            ]:
        result = demo_db('serial', 'create', *args)
        assert result.returncode == 2, args
        assert reason in result.stderr, (args, result.stderr)
        assert result.stderr.count('\n') == 1
    # all or nothing: the good numbers of refused calls were not created
    for number in ['SSD-T0003', 'SSD-T0004', 'SSD-T0005']:
        assert demo_db('serial', 'show', number).returncode == 2


def test_serial_create_range(demo_db):
    created = json.loads(demo_db('serial', 'create', 'CASE-MID', '--range',
            'CASE-R0098', 'CASE-R0102', '--json', check=True).stdout)
    assert created['created'] == [
        'CASE-R0098', 'CASE-R0099', 'CASE-R0100', 'CASE-R0101', 'CASE-R0102']


def test_unknown_database(demo_db):
    result = demo_db('serial', 'show', 'X', '--database', 'no_such_db',
        database=False)
    assert result.returncode == 2
    assert 'does not exist' in result.stderr


@pytest.mark.parametrize('text, expected', [
        (']C101095060001343521710123121ABC' + GS + '10LOT7', {
                'kind': 'gs1', 'gtin': '09506000134352', 'serial': 'ABC',
                'lot': 'LOT7', 'expiry': '2010-12-31'}),
        ('https://example.com/shop/01/09506000134352/21/A%2FB?17=261231', {
                'kind': 'digital_link', 'serial': 'A/B',
                'expiry': '2026-12-31'}),
        ('(01) 09506000134352 (21) 0001', {'serial': '0001'}),
        ])
def test_barcode_parse(demo_db, text, expected):
    result = demo_db('barcode', 'parse', text, '--json', database=False,
        check=True)
    parsed = json.loads(result.stdout)
    for key, value in expected.items():
        assert parsed[key] == value, key
    assert parsed['digital_link'].startswith(
        'https://id.gs1.org/01/09506000134352/')


@pytest.mark.parametrize('text, reason', [
        (']C10109506000134353', 'check digit'),
        (']C10109506000134352' + '21AB#C', '21'),
        (']C101095060001343521ABC10LOT', None),
        ('(99)X(01)09506000134352(00)123', None),
        ('(21)ABC', '21'),
        (']d1hello', 'not GS1'),
        ('x' * 5000, '4096'),
        ])
def test_barcode_parse_refuses(demo_db, text, reason):
    result = demo_db('barcode', 'parse', text, '--json', database=False)
    assert result.returncode == 2
    assert result.stdout == ''
    assert result.stderr.count('\n') == 1
    if reason:
        assert reason in result.stderr


def test_barcode_parse_plain(demo_db):
    result = demo_db('barcode', 'parse', ']d1hello', '--plain', '--json',
        database=False, check=True)
    assert json.loads(result.stdout)['kind'] == 'plain'
    broken = demo_db('barcode', 'parse', ']C10109506000134353', '--plain',
        database=False)
    assert broken.returncode == 2
