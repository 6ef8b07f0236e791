# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Acceptance of the routes' promise over HTTP (`serial-mes serve` on the
demo database): random JSON (any nesting, any Unicode including NUL and
lone surrogates, any types) and random bytes, with any Content-Type, to
every route answer 2xx, or 4xx with a JSON {"error"} and no row written.
The figures (inputs tried, answers by status) go to
test-output/routes-fuzz-<backend>.json."""
import json
import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import serve
from routes_client import Client, RowCounts, changed, setup_database

EXAMPLES = 120  # per test; each is one HTTP request and one row count
CONTENT_TYPES = [None, 'application/json', 'text/plain', 'text/csv',
    'application/xml', 'application/octet-stream',
    'multipart/form-data; boundary=x', 'application/json; charset=utf-16']

text = st.text(st.characters(exclude_categories=()), max_size=30)
scalars = (st.none() | st.booleans() | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True) | text)
values = st.recursive(scalars, lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(text, children, max_size=5)), max_leaves=25)
# objects with the keys the routes read, to get past the first checks
objects = st.fixed_dictionaries({}, optional={
        'code': values, 'accept_extra': values, 'product': values,
        'count': values, 'reads': values, 'reader': values,
        'batch': values, 'epc': values})


@st.composite
def json_bodies(draw):
    value = draw(values | objects)
    depth = draw(st.sampled_from([0, 0, 0, 1, 70, 1000, 20000]))
    body = json.dumps(value, ensure_ascii=draw(st.booleans()))
    body = '[' * depth + body + ']' * depth
    return body.encode('utf-8', 'surrogatepass')


bodies = json_bodies() | st.binary(max_size=300)


@pytest.fixture(scope='module')
def setup(demo_db):
    return setup_database(demo_db, 1)


@pytest.fixture(scope='module')
def client(demo_db, setup):
    with serve(demo_db, '/%s/serial_mes/receiving' % demo_db.database) as (
            url):
        yield Client(url, demo_db.database)


@pytest.fixture(scope='module')
def tally(demo_db, output_dir):
    "What was sent and answered, written out at the end"
    counts = Counter()
    yield counts
    backend = demo_db.env['TRYTOND_DATABASE_URI'].split(':')[0]
    figures = dict(sorted(counts.items()))
    with open(os.path.join(output_dir, 'routes-fuzz-%s.json' % backend),
            'w') as file:
        json.dump(figures, file, indent=1)
    print('\nroutes fuzz on %s: %s' % (backend, json.dumps(figures)))


@pytest.fixture(scope='module')
def rows(demo_db):
    counter = RowCounts(demo_db)
    yield counter
    counter.close()


def _routes(setup):
    shipment = setup['shipments'][0]
    receiving = setup['keys']['serial_mes_receiving']
    return [
        ('POST', 'serial_mes/receiving/open', receiving),
        ('POST', 'serial_mes/receiving/%d/scan' % shipment, receiving),
        ('POST', 'serial_mes/receiving/%d/finish' % shipment, receiving),
        ('POST', 'serial_mes/receiving/%d/generate' % shipment, receiving),
        ('POST', 'serial_mes/asn', receiving),
        ('POST', 'serial_mes_rfid/reads', setup['keys']['serial_mes_rfid']),
        ]


def _check(client, rows, tally, method, path, key, body=None,
        content_type=None, query=None):
    before = rows()
    status, ctype, data = client.request(method, path, body,
        content_type=content_type, key=key, query=query)
    tally['tried'] += 1
    tally['status %d' % status] += 1
    if status >= 500:
        tally['5xx'] += 1
    assert status < 500, (path, body[:200] if body else query, status,
        data[:500])
    if ctype != 'application/pdf':
        assert ctype == 'application/json', (path, status, ctype, data[:300])
        answer = json.loads(data)
    if status >= 400:
        tally['refused'] += 1
        assert answer['error'] and '\n' not in answer['error'], answer
        assert not changed(before, rows()), (path, status, answer)
    else:
        assert 200 <= status < 300, (path, status, data[:300])


@settings(max_examples=EXAMPLES, deadline=None,
    suppress_health_check=[HealthCheck.too_slow,
        HealthCheck.data_too_large])
@given(data=st.data())
def test_random_bodies_to_every_route(client, setup, rows, tally, data):
    method, path, key = data.draw(st.sampled_from(_routes(setup)))
    body = data.draw(bodies)
    content_type = data.draw(st.sampled_from(CONTENT_TYPES))
    _check(client, rows, tally, method, path, key, body, content_type)


@settings(max_examples=EXAMPLES // 3, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_query_parameters(client, setup, rows, tally, data):
    "The labels' lots, the ASN's filename, the reads' reader"
    shipment = setup['shipments'][0]
    receiving = setup['keys']['serial_mes_receiving']
    method, path, key, name = data.draw(st.sampled_from([
                ('GET', 'serial_mes/receiving/%d/labels' % shipment,
                    receiving, 'lots'),
                ('POST', 'serial_mes/asn', receiving, 'filename'),
                ('POST', 'serial_mes_rfid/reads',
                    setup['keys']['serial_mes_rfid'], 'reader'),
                ]))
    # what urlencode can carry: no lone surrogates in a URL
    value = data.draw(st.text(st.characters(exclude_categories=['Cs']),
            max_size=40) | st.from_regex(r'[0-9,]{1,20}', fullmatch=True))
    body = data.draw(st.none() | st.binary(max_size=100)) if (
        method == 'POST') else None
    _check(client, rows, tally, method, path, key, body,
        query={name: value})


@settings(max_examples=EXAMPLES // 3, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
@given(shipment=st.text(st.characters(exclude_categories=['Cs']),
        min_size=1, max_size=25).filter(lambda t: '/' not in t
        and t not in {'.', '..'}
        and not (t.isascii() and t.isdigit())),  # not a demo shipment
    action=st.sampled_from(['scan', 'finish', 'generate', 'labels']))
def test_random_shipment_in_the_path(client, setup, rows, tally, shipment,
        action):
    from urllib.parse import quote
    path = 'serial_mes/receiving/%s/%s' % (quote(shipment, safe=''), action)
    _check(client, rows, tally, 'GET' if action == 'labels' else 'POST',
        path, setup['keys']['serial_mes_receiving'],
        None if action == 'labels' else b'{"code": "X"}',
        'application/json')
