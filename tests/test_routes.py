# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The JSON routes over HTTP (`serial-mes serve` on the demo database):
bad input of every kind answers a JSON 4xx and writes nothing; flags are
JSON booleans; the size limits the README documents are the ones served;
the ASN route (keys, 201/200, 413); the server serves its own database
only."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import serve
from routes_client import (
    MB_GTIN, Client, RowCounts, changed, setup_database)

DEEP = b'[' * 20000 + b']' * 20000
NUL = '{"code": "A\\u0000B", "accept_extra": false}'
SURROGATE = '{"code": "\\ud800", "product": "\\udfff"}'
CONTENT_TYPES = [None, 'application/json', 'text/plain',
    'application/xml', 'text/xml', 'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded', 'application/json; charset=latin1']
MB = 1024 * 1024


@pytest.fixture(scope='module')
def setup(demo_db):
    return setup_database(demo_db, 5)


@pytest.fixture(scope='module')
def other_database(demo_db):
    "A copy of the demo database, on the same cluster, not to be served"
    name = demo_db.database + '_other'
    if demo_db.env['TRYTOND_DATABASE_URI'].startswith('postgresql'):
        subprocess.run(['createdb', '-T', demo_db.database, name],
            check=True)
    else:
        path = demo_db.env['TRYTOND_DATABASE__PATH']
        shutil.copy(os.path.join(path, demo_db.database + '.sqlite'),
            os.path.join(path, name + '.sqlite'))
    yield name
    if demo_db.env['TRYTOND_DATABASE_URI'].startswith('postgresql'):
        subprocess.run(['dropdb', '--if-exists', name], check=False)


@pytest.fixture(scope='module')
def client(demo_db, setup, other_database):
    with serve(demo_db, '/%s/serial_mes/receiving' % demo_db.database) as (
            url):
        yield Client(url, demo_db.database,
            setup['keys']['serial_mes_receiving'])


@pytest.fixture
def counts(demo_db):
    counter = RowCounts(demo_db)
    before = counter()
    yield
    after = counter()
    counter.close()
    assert not changed(before, after), changed(before, after)


def _csv(serials, number, supplier='Asteria Boards Ltd', pad=0):
    "A CSV ASN of motherboards; pad: bytes of blank rows (ignored)"
    rows = ['supplier,asn_number,po,gtin,supplier_code,serial,lot,quantity']
    rows += ['%s,%s,,%s,,%s,,' % (supplier, number, MB_GTIN, s)
        for s in serials]
    text = '\n'.join(rows) + '\n'
    blank = ' , , , , , , , \n'
    return (text + blank * (pad // len(blank))).encode()


def _assert_error(status, content_type, data, expected=None, text=None):
    assert content_type == 'application/json', (status, content_type,
        data[:300])
    answer = json.loads(data)
    assert set(answer) == {'error'} and answer['error'], answer
    assert '\n' not in answer['error']
    if expected is not None:
        assert status == expected, (status, answer)
    else:
        assert 400 <= status < 500, (status, answer)
    if text:
        assert text in answer['error'], answer
    return answer['error']


def _routes(setup):
    shipment = setup['shipments'][0]
    return [
        'serial_mes/receiving/open',
        'serial_mes/receiving/%d/scan' % shipment,
        'serial_mes/receiving/%d/finish' % shipment,
        'serial_mes/receiving/%d/generate' % shipment,
        'serial_mes/asn',
        'serial_mes_rfid/reads',
        ]


def _key(setup, path):
    return setup['keys']['serial_mes_rfid' if 'rfid' in path
        else 'serial_mes_receiving']


# --- item 5: any body, any Content-Type: a JSON 4xx, nothing written --------

@pytest.mark.parametrize('body', [DEEP, NUL, SURROGATE,
        b'{"code": "\x00"}', b'\x00', b'{"code": 1e999}', b'NaN',
        '{"a": "\\ud83d\\ude00 ok", "b": "\\udc00"}', b'\xc3\x28',
        b'{"reads": [{"epc": "\\u0000"}]}'],
    ids=['deep', 'nul', 'surrogate', 'raw-nul', 'only-nul', 'huge-number',
        'nan', 'second-surrogate', 'bad-utf8', 'nul-epc'])
def test_bad_bodies_answer_json_4xx(client, setup, counts, body):
    for path in _routes(setup):
        for content_type in CONTENT_TYPES:
            status, ctype, data = client.post(path, body,
                content_type=content_type, key=_key(setup, path))
            _assert_error(status, ctype, data)


def test_nul_in_query_parameters(client, setup, counts):
    shipment = setup['shipments'][0]
    for path, query in [
            ('serial_mes/asn', {'filename': 'asn\x00.csv'}),
            ('serial_mes/asn', {'filename': 'x' * 20000}),
            ('serial_mes_rfid/reads', {'reader': 'dock\x00'}),
            ]:
        status, ctype, data = client.post(path, _csv(['NULQ0001'],
                'NUL-QUERY-1'), query=query, key=_key(setup, path),
            content_type='text/csv')
        _assert_error(status, ctype, data, 400, 'query parameter')
    status, ctype, data = client.request('GET',
        'serial_mes/receiving/%d/labels' % shipment,
        query={'lots': '1\x00'})
    _assert_error(status, ctype, data, 400)


def test_keys_and_unknown_things_answer_json(client, setup, counts):
    for path in _routes(setup):
        for key in [None, 'wrong-key', setup['keys']['serial_mes_rfid']
                if 'rfid' not in path else
                setup['keys']['serial_mes_receiving']]:
            status, ctype, data = client.post(path, {}, key=key)
            _assert_error(status, ctype, data, 401)
    for path in ['serial_mes/receiving/999999/scan',
            'serial_mes/receiving/999999/finish',
            'serial_mes/receiving/99999999999999999999/scan']:
        status, ctype, data = client.post(path, {'code': 'X'})
        _assert_error(status, ctype, data)
    status, ctype, data = client.post(
        '/no_such_database/serial_mes/receiving/open', {'code': 'X'})
    _assert_error(status, ctype, data, 404)


# --- item 7: flags are JSON booleans ----------------------------------------

@pytest.mark.parametrize('value', ['false', '0', [0], 0, 1, None, {}, ''])
def test_accept_extra_takes_booleans_only(client, setup, counts, value):
    status, answer = client.json(
        'serial_mes/receiving/%d/scan' % setup['shipments'][1],
        {'code': '01%s21FLAG%04d' % (MB_GTIN, len(repr(value))),
            'accept_extra': value})
    assert status == 400 and 'true or false' in answer['error'], answer


# --- items 8 and 20: the ASN route ------------------------------------------

def test_asn_route(client, setup, demo_db):
    counter = RowCounts(demo_db)
    serials = ['HTTPASN%04d' % i for i in range(5)]
    data = _csv(serials, 'ASN-HTTP-1')
    before = counter()
    # no key, a wrong key, the RFID application's key: 401, nothing written
    for key in [None, 'wrong', setup['keys']['serial_mes_rfid']]:
        status, ctype, body = client.post('serial_mes/asn', data, key=key,
            content_type='text/csv')
        _assert_error(status, ctype, body, 401)
    # a bad ASN: 400 naming the problem
    status, ctype, body = client.post('serial_mes/asn',
        data.replace(MB_GTIN.encode(), b'12345'), content_type='text/csv')
    _assert_error(status, ctype, body, 400)
    assert not changed(before, counter())
    # imported over HTTP: 201, then the same file again: 200
    status, answer = client.json('serial_mes/asn', data,
        query={'filename': 'asn-http-1.csv'}, content_type='text/csv')
    assert status == 201 and answer['created'] is True, answer
    assert answer['shipment']['asn'] == 'ASN-HTTP-1', answer
    assert sum(l['expected'] for l in answer['lines']) == 5, answer
    after = counter()
    status, again = client.json('serial_mes/asn', data,
        content_type='text/csv')
    assert status == 200 and again['created'] is False, again
    assert again['shipment']['id'] == answer['shipment']['id']
    assert not changed(after, counter())
    counter.close()


def test_asn_over_trytond_default_limit_accepted(client):
    "A valid 3.4 MB ASN (trytond answered HTML 413 beyond 2 MB)"
    data = _csv(['BIGASN%04d' % i for i in range(3)], 'ASN-HTTP-BIG',
        pad=int(3.4 * MB))
    assert len(data) > 3.3 * MB
    status, answer = client.json('serial_mes/asn', data,
        content_type='text/csv')
    assert status == 201 and answer['created'], answer


def test_asn_over_documented_limit_is_json_413(client, setup, counts):
    data = _csv(['HUGE0001'], 'ASN-HTTP-HUGE', pad=50 * MB + 10)
    status, ctype, body = client.post('serial_mes/asn', data,
        content_type='text/csv')
    _assert_error(status, ctype, body, 413, '52428800 bytes')


def test_rfid_reads_over_limit_is_json_413(client, setup, counts):
    key = setup['keys']['serial_mes_rfid']
    body = b'{"reads": [' + b' ' * (8 * MB) + b']}'
    status, ctype, data = client.post('serial_mes_rfid/reads', body,
        key=key)
    _assert_error(status, ctype, data, 413, '8388608 bytes')
    # and just under it: read, and refused for what it is
    body = b'{"reads": 7' + b' ' * (8 * MB - 100) + b'}'
    status, ctype, data = client.post('serial_mes_rfid/reads', body,
        key=key)
    assert status != 413, data[:300]
    _assert_error(status, ctype, data, 400)


def test_json_body_over_limit_is_json_413(client, setup, counts):
    status, ctype, data = client.post(
        'serial_mes/receiving/%d/scan' % setup['shipments'][0],
        '{"code": "%s"}' % ('X' * (64 * 1024)))
    _assert_error(status, ctype, data, 413)


# --- item 20: scan and finish refuse bad input ------------------------------

def test_scan_and_finish_bad_input(client, setup, counts):
    shipment = setup['shipments'][2]
    scan = 'serial_mes/receiving/%d/scan' % shipment
    for body, text in [
            ({}, 'scanned code'),
            ({'code': ''}, 'scanned code'),
            ({'code': 42}, 'scanned code'),
            ({'code': ['01%s21X1' % MB_GTIN]}, 'scanned code'),
            ({'code': 'X' * 5000}, 'scanned code'),
            ([], 'JSON object'),
            ('"code"', 'JSON object'),
            (b'{"code": "A"', 'malformed JSON'),
            ]:
        status, answer = client.json(scan, body)
        assert status == 400 and text in answer['error'], (body, answer)
    for path in ['serial_mes/receiving/%d/finish' % shipment,
            'serial_mes/receiving/%d/generate' % shipment]:
        for body in [[], b'{', b'\xff', '{"a": "\\u0000"}']:
            status, ctype, data = client.post(path, body)
            _assert_error(status, ctype, data, 400)


def test_scan_finish_then_closed(client, setup):
    "After finish, scans and a second finish are refused, nothing written"
    shipment = setup['shipments'][3]
    status, answer = client.json(
        'serial_mes/receiving/%d/scan' % shipment,
        {'code': '01%s21CLOSE0001' % MB_GTIN})
    assert status == 200 and answer['result'] == 'accepted_extra', answer
    status, answer = client.json(
        'serial_mes/receiving/%d/finish' % shipment, {})
    assert status == 200, answer
    for path, body in [('scan', {'code': '01%s21CLOSE0002' % MB_GTIN}),
            ('finish', {})]:
        status, answer = client.json('serial_mes/receiving/%d/%s' % (
                shipment, path), body)
        assert status == 400, answer


def test_scan_confirms_plain_codes_without_asn(client, setup):
    """Issue 14 items 1-3: on a shipment without ASN paperwork is refused,
    a plain code of the only product answers confirm (nothing written),
    then confirm: true (and the product) creates it; bad flags are 400"""
    scan = 'serial_mes/receiving/%d/scan' % setup['shipments'][4]
    status, answer = client.json(scan, {
            'code': '01%s21CONFIRM0001' % MB_GTIN})
    assert status == 200 and answer['result'] == 'accepted_extra', answer
    assert set(answer['totals']) == {'expected', 'by_quantity', 'scanned',
        'missing', 'unexpected'}, answer
    for code in ['MB-B760', MB_GTIN]:
        status, answer = client.json(scan, {'code': code, 'confirm': True})
        assert (status, answer['result'], answer['accept']) == (
            200, 'invalid', False), answer
        assert 'code or GTIN' in answer['message'], answer
    status, answer = client.json(scan, {'code': 'CONFIRM0002'})
    assert (status, answer['result'], answer['accept']) == (
        200, 'confirm', True), answer
    assert 'Motherboard' in answer['product'], answer
    assert answer['totals']['scanned'] == 1, answer
    product = answer['product_code']
    for body, error in [
            ({'code': 'CONFIRM0002', 'confirm': 'yes'}, 'true or false'),
            ({'code': 'CONFIRM0002', 'confirm': True,
                    'product': 'NO-SUCH'}, 'Unknown product'),
            ({'code': 'CONFIRM0002', 'confirm': True, 'product': 7},
                'Unknown product'),
            ]:
        status, answer = client.json(scan, body)
        assert status == 400 and error in answer['error'], (body, answer)
    status, answer = client.json(scan, {'code': 'CONFIRM0002',
            'confirm': True, 'product': product})
    assert (status, answer['result'], answer['serial']) == (
        200, 'created', 'CONFIRM0002'), answer
    assert answer['totals']['scanned'] == 2, answer


# --- item 13: ids in ASCII digits -------------------------------------------

@pytest.mark.parametrize('lots', ['\u0663', '1,\u0663', '\uff11',
        '\u00b2', '1 ', '-1', '+1', '1_0', '99999999999'])
def test_labels_ids_are_ascii_digits(client, setup, lots):
    status, ctype, data = client.request('GET',
        'serial_mes/receiving/%d/labels' % setup['shipments'][0],
        query={'lots': lots})
    _assert_error(status, ctype, data, 400)


# --- item 14: one database served, not listed -------------------------------

def test_serves_its_database_only(client, other_database):
    status, ctype, data = client.request('POST', '/rpc/',
        json.dumps({'id': 1, 'method': 'common.db.list', 'params': []}),
        content_type='application/json', key=None)
    # the database served only, not the cluster's
    assert (status, json.loads(data)) == (
        200, {'id': 1, 'result': [client.database]}), (status, data[:300])
    for method, path in [
            ('POST', 'serial_mes/receiving/open'),
            ('GET', 'serial_mes/receiving'),
            ('POST', 'rpc/'),
            ]:
        status, ctype, data = client.request(method, '/%s/%s' % (
                other_database, path), b'{}',
            content_type='application/json')
        _assert_error(status, ctype, data, 404, other_database)
    # the served database still answers
    status, ctype, data = client.request('GET', 'serial_mes/receiving')
    assert status == 200


@pytest.mark.parametrize('time', ['9999-12-31T23:59:59-14:00',
        '0001-01-01T00:00:00+14:00'])
def test_rfid_dates_out_of_range(client, setup, counts, time):
    status, ctype, data = client.post('serial_mes_rfid/reads', {
            'reader': 'dock-1', 'reads': [{
                    'epc': 'urn:epc:id:sgtin:9506000.014010.1',
                    'antenna': 1, 'time': time}]},
        key=setup['keys']['serial_mes_rfid'])
    _assert_error(status, ctype, data, 400, 'out of range')


def test_rfid_reads_chunked_over_limit_is_json_413(client, setup, counts):
    "Without Content-Length the body is read up to the limit, no further"
    import http.client
    connection = http.client.HTTPConnection(client.host, client.port,
        timeout=300)
    chunks = [b'{"reads": ['] + [b' ' * MB] * 9 + [b']}']
    try:
        connection.request('POST', '/%s/serial_mes_rfid/reads' % (
                client.database), body=iter(chunks), encode_chunked=True,
            headers={'Content-Type': 'application/json',
                'Authorization': 'Bearer %s' % (
                    setup['keys']['serial_mes_rfid'])})
    except (BrokenPipeError, ConnectionResetError):
        pass
    response = connection.getresponse()
    status, ctype, data = (response.status,
        response.getheader('Content-Type'), response.read())
    connection.close()
    _assert_error(status, ctype, data, 413, '8388608 bytes')
