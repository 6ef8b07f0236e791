# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Bad input on the command line: one line on stderr, exit status 2, never
a traceback, and nothing written (issue 16, item 9)"""
import json
import resource

import pytest

from serial_mes_rfid import reads

NOT_UTF8 = b'PC-PRO-\xff00001'


def refused(result, *phrases):
    "The one-line refusal every bad input gets"
    assert 'Traceback' not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert result.stdout == ''
    assert result.stderr.count('\n') == 1, result.stderr
    assert result.stderr.startswith('serial-mes: error: '), result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, (phrase, result.stderr)
    return result.stderr


@pytest.mark.parametrize('args', [
        ['serial', 'show', NOT_UTF8],
        ['serial', 'show', 'PC-PRO-00001', '--product', NOT_UTF8],
        ['trace', NOT_UTF8],
        ['trace', NOT_UTF8, '--up'],
        ['serial', 'create', 'SSD-1TB', NOT_UTF8],
        ['serial', 'create', NOT_UTF8, '--count', '1'],
        ['recall', '--lot', NOT_UTF8],
        ['recall', '--supplier', NOT_UTF8],
        ['barcode', 'parse', '--plain', NOT_UTF8],
        ['epc', 'decode', NOT_UTF8],
        ['asn', 'parse', NOT_UTF8],
        ])
def test_arguments_not_utf8(demo_db, args):
    # bytes, as a shell passes them: Python decodes them with surrogates
    refused(demo_db(*args), 'not valid UTF-8', r"'PC-PRO-\xff00001'")


def test_asn_import_nul_byte(demo_db, tmp_path):
    path = tmp_path / 'nul.csv'
    path.write_bytes(b'supplier,asn_number,po,gtin,supplier_code,serial,lot,'
        b'quantity\n9506000300009,ASN\x00NUL,,09506000140131,,SN-NUL-1,,1\n')
    refused(demo_db('asn', 'import', str(path)), 'NUL byte')
    refused(demo_db('asn', 'parse', str(path), database=False), 'NUL byte')
    assert demo_db('serial', 'show', 'SN-NUL-1').returncode == 2


@pytest.mark.parametrize('uri', ['foo://', 'mysql://user:secret@host/db',
        'nonsense'])
def test_unknown_database_uri_scheme(demo_db, uri):
    message = refused(demo_db('serial', 'show', 'PC-PRO-00001',
            '--database-uri', uri), 'scheme', 'sqlite://')
    assert 'secret' not in message
    env = dict(demo_db.env, TRYTOND_DATABASE_URI=uri)
    cli = type(demo_db)(env, demo_db.database)
    refused(cli('recall', '--lot', 'X'), 'TRYTOND_DATABASE_URI', 'scheme')


def test_unreachable_database_server(demo_db):
    refused(demo_db('serial', 'show', 'PC-PRO-00001', '--database-uri',
            'postgresql://127.0.0.1:1/'), 'cannot connect')


@pytest.mark.parametrize('name', ['../etc/passwd', 'a b', 'x' * 64, ''])
def test_bad_database_name(demo_db, name):
    refused(demo_db('serial', 'show', 'PC-PRO-00001', '--database', name,
            database=False), '--database')


def test_recall_csv_checked_before_the_database(demo_db, tmp_path):
    # a database that does not exist: the file is checked first
    for path, phrase in [(tmp_path / 'missing' / 'recall.csv', 'missing'),
            (tmp_path, 'is a folder')]:
        refused(demo_db('recall', '--supplier', 'SUP-HELIX', '--csv',
                str(path), '--database', 'no_such_db', database=False),
            '--csv', phrase)
        refused(demo_db('recall', '--supplier', 'SUP-HELIX', '--csv',
                str(path)), '--csv', phrase)


def test_serial_create_is_capped(demo_db):
    for count in ['99999999999999999999', '100001', '0', '-5', 'many',
            '\u0661']:
        refused(demo_db('serial', 'create', 'SSD-1TB', '--count', count,
                timeout=120), '--count')
    refused(demo_db('serial', 'create', 'SSD-1TB', '--range', 'CAP-0',
            'CAP-99999999999999999999', timeout=120), '100000')
    refused(demo_db('serial', 'create', 'SSD-1TB', '--range', 'CAP-000000',
            'CAP-100000', timeout=120), '100000')
    assert demo_db('serial', 'show', 'CAP-000000').returncode == 2


def test_trace_at_out_of_range(demo_db):
    for at in ['9999-12-31T23:59:59-14:00', '0001-01-01T00:00:00+14:00']:
        refused(demo_db('trace', 'PC-PRO-00001', '--at', at), 'out of range')


def _no_more_memory_than(megabytes):
    def limit():
        size = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    return limit


def test_asn_parse_reads_at_most_the_limit(demo_db):
    # /dev/zero has no size to look at: read the limit and stop
    import subprocess
    import sys
    for command in [['asn', 'parse', '/dev/zero'],
            ['rfid', 'ingest', '/dev/zero', '--database',
                demo_db.database]]:
        result = subprocess.run(
            [sys.executable, '-m', 'serial_mes.cli'] + command,
            env=demo_db.env, capture_output=True, text=True, timeout=300,
            preexec_fn=_no_more_memory_than(1024))
        refused(result, '/dev/zero', '50 MB')


def _batch(**read):
    values = {'epc': '3074257BF7194E4000001A85', 'antenna': 1,
        'time': '2025-06-02T08:15:02+02:00'}
    values.update(read)
    return {'batch': 'cli-hardening', 'reader': 'dock-door-1',
        'reads': [values]}


BAD_BATCHES = [
    ('deep', '[' * 20000 + ']' * 20000, 'nested too deeply'),
    ('deep-object', '{"reads": ' + '[' * 20000 + ']' * 20000 + '}',
        'nested too deeply'),
    ('late', json.dumps(_batch(time='9999-12-31T23:59:59-14:00')),
        'out of range'),
    ('early', json.dumps(_batch(time='0001-01-01T00:00:00+14:00')),
        'out of range'),
    ('year-1', json.dumps(_batch(time='0001-01-01T00:00:00')),
        'out of range'),
    ('epoch-huge', json.dumps(_batch(time=10 ** 400)), 'out of range'),
    ('nul-epc', json.dumps(_batch(epc='30\x00FF')), 'printable'),
    ('surrogate-epc', json.dumps(_batch(epc='tag\ud800')), 'printable'),
    ('antenna-superscript', json.dumps(_batch(antenna='\u00b2')),
        'antenna'),
    ]


@pytest.mark.parametrize('name, data, phrase', BAD_BATCHES,
    ids=[b[0] for b in BAD_BATCHES])
def test_reads_refused(name, data, phrase):
    with pytest.raises(reads.ReadsError) as info:
        reads.parse(data.encode('utf-8'))
    assert phrase in str(info.value)
    assert '\n' not in str(info.value)


INGESTED = [b for b in BAD_BATCHES if b[0] in {
        'deep', 'late', 'early', 'nul-epc'}]


@pytest.mark.parametrize('name, data, phrase', INGESTED,
    ids=[b[0] for b in INGESTED])
def test_rfid_ingest_refuses(demo_db, tmp_path, name, data, phrase):
    path = tmp_path / ('%s.json' % name)
    path.write_text(data, encoding='utf-8')
    refused(demo_db('rfid', 'ingest', str(path)), phrase)


def test_argparse_errors_are_one_line(demo_db):
    for args in [['serial'], ['serial', 'create'], ['no-such-command'],
            ['trace', 'X', '--no-such-option'], ['rfid', 'review',
                '--limit', '-1'], ['epc', 'encode', '--gtin', '1']]:
        refused(demo_db(*args, database=False))
