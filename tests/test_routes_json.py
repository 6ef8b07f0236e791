# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every answer under the Serial MES route prefixes (/<database>/serial_mes/
and /<database>/serial_mes_rfid/) is JSON, whoever gives it: the routes
(401, 413), werkzeug's routing (unknown paths 404, other methods 405 with
Allow), trytond before any route (403 of a foreign Origin). Real HTTP
requests to `serial-mes serve` on the demo database; hypothesis tries
arbitrary paths and methods."""
import http.client
import json
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import serve

PREFIXES = ['serial_mes', 'serial_mes_rfid']
JSON_ROUTES = {  # path under the database -> its method
    'serial_mes/receiving/open': 'POST',
    'serial_mes/receiving/1/scan': 'POST',
    'serial_mes/receiving/1/finish': 'POST',
    'serial_mes/receiving/1/generate': 'POST',
    'serial_mes/receiving/1/labels': 'GET',
    'serial_mes/asn': 'POST',
    'serial_mes_rfid/reads': 'POST',
    }
# what the routes serve that is not JSON (GET and HEAD)
PAGES = {'serial_mes/receiving', 'serial_mes/web/receiving.js',
    'serial_mes/web/receiving.css', 'serial_mes/web/receiving.html'}
METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS',
    'TRACE']


@pytest.fixture(scope='module')
def server(demo_db):
    with serve(demo_db, '/%s/serial_mes/receiving' % demo_db.database) as (
            url):
        parts = urllib.parse.urlsplit(url)
        yield parts.hostname, parts.port, demo_db.database


def request(server, method, path, body=None, headers=None):
    "(status, headers, bytes) of method on path (a raw request target)"
    host, port, _ = server
    connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection.putrequest(method, path, skip_host=False,
            skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader('Content-Length', str(len(body)))
        connection.endheaders()
        if body:
            try:
                connection.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # answered before the whole body was read
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def assert_json_error(method, status, headers, data, expected=None):
    assert headers.get('Content-Type') == 'application/json', (
        method, status, headers.get('Content-Type'), data[:300])
    if expected is not None:
        assert status == expected, (status, data[:300])
    else:
        assert 400 <= status < 500, (status, data[:300])
    if method == 'HEAD':
        assert not data
        return None
    answer = json.loads(data)
    assert set(answer) == {'error'} and answer['error'], answer
    assert '\n' not in answer['error']
    return answer['error']


def test_no_key_or_wrong_key_is_json_401(server):
    database = server[2]
    for path, method in JSON_ROUTES.items():
        for key in [None, 'Bearer wrong-key', 'Basic Zm9vOmJhcg==',
                'Negotiate xyz']:
            headers = {'Content-Type': 'application/json'}
            if key:
                headers['Authorization'] = key
            status, headers, data = request(server, method,
                '/%s/%s' % (database, path),
                b'{}' if method == 'POST' else None, headers)
            error = assert_json_error(method, status, headers, data, 401)
            assert 'Authorization: Bearer' in error, error
            assert headers.get('WWW-Authenticate') == 'Bearer', path


def test_body_over_limit_is_json_413(server):
    database = server[2]
    for path, method in JSON_ROUTES.items():
        if method != 'POST':
            continue
        status, headers, data = request(server, 'POST',
            '/%s/%s' % (database, path), b'x' * (60 * 1024 * 1024),
            {'Authorization': 'Bearer wrong-key'})
        error = assert_json_error('POST', status, headers, data, 413)
        assert 'bytes' in error, error


def test_unknown_paths_are_json_404(server):
    database = server[2]
    for path in ['serial_mes', 'serial_mes/', 'serial_mes/nothing',
            'serial_mes/web/nothing.js', 'serial_mes/web/..%2Fweb.py',
            'serial_mes/receiving/1/nothing', 'serial_mes_rfid',
            'serial_mes_rfid/nothing/at/all', 'serial_mes/%00',
            'serial_mes/%FF%FE']:
        # web/<name> is a route of GET: a name not there is 404 to GET
        for method in ['GET'] if '/web/' in path else [
                'GET', 'POST', 'DELETE']:
            status, headers, data = request(server, method,
                '/%s/%s' % (database, path))
            error = assert_json_error(method, status, headers, data, 404)
            assert 'Allow' not in headers, (path, headers)
            if method != 'HEAD':
                assert 'nothing at' in error or 'no database' in error, (
                    error)


def test_other_methods_are_json_405_with_allow(server):
    database = server[2]
    routes = dict(JSON_ROUTES, **{'serial_mes/receiving': 'GET',
            'serial_mes/web/receiving.js': 'GET'})
    for path, allowed in routes.items():
        for method in METHODS + ['BREW']:
            if method in {allowed, 'OPTIONS'} or (
                    allowed == 'GET' and method == 'HEAD'):
                continue
            status, headers, data = request(server, method,
                '/%s/%s' % (database, path))
            error = assert_json_error(method, status, headers, data, 405)
            assert allowed in headers.get('Allow', ''), (path, headers)
            if error:
                assert method in error and allowed in error, error


def test_foreign_origin_is_json_403(server):
    database = server[2]
    for path, method in JSON_ROUTES.items():
        status, headers, data = request(server, method,
            '/%s/%s' % (database, path), b'{}' if method == 'POST' else None,
            {'Origin': 'http://elsewhere.example',
                'Content-Type': 'application/json'})
        error = assert_json_error(method, status, headers, data, 403)
        assert 'http://elsewhere.example' in error, error


segment = st.text(st.characters(codec='utf-8', exclude_characters='/'),
    max_size=12)


@st.composite
def paths(draw):
    "A request target under one of the prefixes, of this or another database"
    database = draw(st.sampled_from(['{database}', '{database}',
                'no_such_database']))
    parts = [database, draw(st.sampled_from(PREFIXES))]
    parts += draw(st.lists(segment, max_size=4))
    path = '/' + '/'.join(urllib.parse.quote(p, safe='') for p in parts)
    if draw(st.booleans()):
        path += '?' + urllib.parse.urlencode(draw(st.dictionaries(
                    segment, segment, max_size=2)))
    return path


methods = st.sampled_from(METHODS) | st.text(
    st.sampled_from('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), min_size=1, max_size=10)


@settings(max_examples=150, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow])
@given(path=paths(), method=methods, body=st.none() | st.binary(max_size=64))
def test_any_path_and_method_answers_json(server, path, method, body):
    database = server[2]
    path = path.replace('%7Bdatabase%7D', database)
    if method == 'CONNECT':
        return  # a proxy's method: the request target is no path
    status, headers, data = request(server, method, path, body)
    assert status < 500, (method, path, status, data[:300])
    route = urllib.parse.unquote(path.split('?')[0]).split('/', 2)[-1]
    if status < 400:
        content_type = headers.get('Content-Type', '')
        if method == 'OPTIONS':
            assert not data, (method, path, data[:300])
        elif not content_type.startswith('application/json'):
            assert route in PAGES and method in {'GET', 'HEAD'}, (
                method, path, status, content_type)
        return
    assert_json_error(method, status, headers, data)
