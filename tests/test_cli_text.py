# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What a person meets on the command line: the text the commands print
(without --json), the serials and suppliers they accept"""
import json

import pytest

from serial_mes.cli import build_parser, serve_command, table


def test_table_aligns_columns_under_headers():
    lines = table(('Serial', 'Status', 'Holder'), [
            ('PC-PRO-00001', 'At Customer', 'Contoso Retail'),
            ('SSD-1TB-00003', None, None)])
    assert lines == [
        'Serial         Status       Holder',
        'PC-PRO-00001   At Customer  Contoso Retail',
        'SSD-1TB-00003',
        ]
    assert table(None, [('Serial:', 'X'), ('Location:', None)],
        indent='  ') == ['  Serial:    X', '  Location:']
    assert table(('A', 'B'), []) == ['A  B']


def _no_python_values(text):
    for word in ['None', "{'", "['", 'status_from']:
        assert word not in text, (word, text)


def test_serial_show_prints_fields_and_events_in_columns(demo_db):
    out = demo_db('serial', 'show', 'PC-PRO-00001', check=True).stdout
    _no_python_values(out)
    lines = out.splitlines()
    assert 'Serial:     PC-PRO-00001' in lines
    assert 'Status:     At Customer' in lines
    assert 'Holder:     Contoso Retail' in lines
    header = lines.index('Events (newest first):') + 1
    assert lines[header].split() == [
        'Time', 'Step', 'Status', 'Location', 'Details']
    # newest first: the RFID dock-door reads, then the shipment's event
    shipping, = [line for line in lines[header + 1:]
        if 'In Stock -> At Customer' in line]
    assert 'Shipping' in shipping
    # columns line up: every event's status starts under the header's
    column = lines[header].index('Status')
    assert shipping[column:].startswith('In Stock -> At Customer')

    # a unit without holder: blank, not None; its MAC address as an alias
    out = demo_db('serial', 'show', 'PC-PRO-00002', check=True).stdout
    _no_python_values(out)
    assert 'Holder:' in out.splitlines()
    assert any(l.split()[:3] == ['MAC', 'address', '00:1B:21:3A:4F:5C']
        for l in out.splitlines())


def test_recall_prints_a_table_or_says_nothing_is_affected(demo_db):
    out = demo_db('recall', '--supplier', 'SUP-HELIX', check=True).stdout
    _no_python_values(out)
    lines = out.splitlines()
    assert lines[0].split() == ['Serial', 'Product', 'Status', 'Location',
        'Holder', 'Delivered']
    unit, = [l for l in lines if l.startswith('PC-PRO-00001 ')]
    assert 'At Customer' in unit and 'Contoso Retail' in unit

    empty = demo_db('recall', '--supplier', 'SUP-HELIX', '--received-to',
        '2000-01-01', check=True)
    assert empty.stdout == 'no unit contains these parts\n'


def test_trace_and_barcode_parse_print_columns(demo_db):
    out = demo_db('trace', 'PC-PRO-00001', check=True).stdout
    _no_python_values(out)
    lines = out.splitlines()
    assert lines[0].split()[:3] == ['Serial', 'Product', 'Status']
    assert lines[1].startswith('PC-PRO-00001 ')
    assert 'At Customer' in lines[1]
    # a part of the board, indented under it
    assert any(l.startswith('    HXC8-') for l in lines)

    out = demo_db('barcode', 'parse', '(01)09506000134352(21)0001',
        database=False, check=True).stdout
    _no_python_values(out)
    lines = out.splitlines()
    assert 'GTIN:          09506000134352' in lines
    assert 'Serial:        0001' in lines
    assert lines[lines.index('AI  Value') + 1] == '01  09506000134352'


def test_demo_prints_tables(demo_db):
    out = demo_db.demo_output
    _no_python_values(out)
    assert any(l.split() == ['Time', 'Step', 'Status', 'Location',
            'Details'] for l in out.splitlines())
    assert any(l.split()[:2] == ['Serial', 'Product']
        for l in out.splitlines())


def _scans_of_pc_pro_00001():
    from serial_mes_rfid.epc import encode_sgtin
    epc = encode_sgtin('09506000140179', 'PC-PRO-00001',
        company_prefix_length=6)
    return [
        'PC-PRO-00001',
        '(01)09506000140179(21)PC-PRO-00001',
        ']C10109506000140179' + '21PC-PRO-00001',
        'https://id.gs1.org/01/09506000140179/21/PC-PRO-00001',
        epc.hex,
        epc.tag_uri,
        epc.pure_identity_uri,
        ]


def test_every_command_taking_a_serial_accepts_every_scan(demo_db):
    scans = _scans_of_pc_pro_00001()
    for scan in scans:
        shown = json.loads(demo_db('serial', 'show', scan, '--json',
                check=True).stdout)
        assert shown['number'] == 'PC-PRO-00001', scan
    # the same resolution in trace and recall (each call takes seconds)
    for scan in scans[3:5]:
        tree = json.loads(demo_db('trace', scan, '--json',
                check=True).stdout)
        assert tree['serial'] == 'PC-PRO-00001', scan
    for scan in scans[1], scans[6]:
        recall = json.loads(demo_db('recall', '--lot', scan, '--json',
                check=True).stdout)
        assert [u['serial'] for u in recall['units']] == ['PC-PRO-00001']


def test_a_scan_of_another_product_or_nothing_is_refused(demo_db):
    for args, reason in [
            (['serial', 'show', '(01)09506000140179(21)PC-PRO-00001',
                    '--product', 'SSD-1TB'], 'is not a'),
            (['serial', 'show', '(01)09506000140179(21)NO-SUCH'],
                'NO-SUCH'),
            (['trace', 'urn:epc:id:sgtin:950600.0014017.NO-SUCH'],
                'NO-SUCH'),
            (['recall', '--lot', '(01)09506000000008'], 'no serial')]:
        result = demo_db(*args)
        assert result.returncode == 2, args
        assert result.stdout == ''
        assert result.stderr.count('\n') == 1
        assert reason in result.stderr, (args, result.stderr)


def test_recall_takes_a_supplier_by_code_name_or_their_beginning(demo_db):
    def recalled(supplier):
        result = demo_db('recall', '--supplier', supplier, '--json',
            check=True)
        return sorted(u['serial'] for u in json.loads(result.stdout)['units'])
    by_code = recalled('SUP-HELIX')
    assert 'PC-PRO-00001' in by_code
    for supplier in ['Helix Silicon GmbH', 'Helix', 'helix sil', 'sup-hel']:
        assert recalled(supplier) == by_code, supplier

    for supplier, reasons in [
            ('SUP-', ['Asteria Boards Ltd (SUP-ASTERIA)',
                    'Helix Silicon GmbH (SUP-HELIX)',
                    'Keystone Storage Inc (SUP-KEYSTONE)']),
            ('Nobody', ['No party', '"Nobody"']),
            ('%', ['No party']),
            ('H' * 1001, ['No party', 'HHH...'])]:
        result = demo_db('recall', '--supplier', supplier)
        assert result.returncode == 2, supplier
        assert result.stdout == ''
        assert result.stderr.count('\n') == 1
        for reason in reasons:
            assert reason in result.stderr, (supplier, result.stderr)


def test_trace_names_each_alias_by_its_type(demo_db):
    tree = json.loads(demo_db('trace', 'PC-PRO-00001', '--json',
            check=True).stdout)
    ssd, = [c for c in tree['children'] if c['product'].startswith('[SSD')]
    assert ssd['original_number_type'] == 'supplier'
    out = demo_db('trace', 'PC-PRO-00001', check=True).stdout
    assert '(was ' not in out
    line, = [l for l in out.splitlines() if ssd['serial'] in l]
    assert line.endswith('supplier serial %s' % ssd['original_number'])
    # the demo re-serialized HXM16-000107: its old number is a previous one
    out = demo_db('trace', 'RAM-D5-16-00007', check=True).stdout
    assert out.splitlines()[1].endswith('previous number HXM16-000107')
    # the demo's printout says the same
    assert 'supplier serial %s' % ssd['original_number'] \
        in demo_db.demo_output


def test_demo_ends_with_the_command_that_serves_its_database(demo_db):
    import shlex
    last = demo_db.demo_output.rstrip('\n').splitlines()[-1]
    uri = demo_db.env['TRYTOND_DATABASE_URI']
    assert last == '  ' + serve_command(uri, demo_db.database)
    program, *argv = shlex.split(last)
    assert program == 'serial-mes'
    args = build_parser().parse_args(argv)
    assert (args.command, args.database_uri, args.database) == (
        'serve', uri, demo_db.database)


@pytest.mark.parametrize('uri, shown', [
        ('sqlite://', 'sqlite://'),
        ('postgresql:///', 'postgresql:///'),
        ('postgresql://mes@db:5433/', 'postgresql://mes@db:5433/'),
        # the output may be shared: no password in it
        ('postgresql://mes:s3cr%40t@db/', 'postgresql://mes:PASSWORD@db/'),
        ])
def test_serve_command(uri, shown):
    assert serve_command(uri, 'demo') == (
        'serial-mes serve --database-uri %s --database demo' % shown)
