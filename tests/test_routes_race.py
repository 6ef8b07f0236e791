# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Races over HTTP (`serial-mes serve`, threaded, on the demo database):
concurrent requests that create the same row answer cleanly, one wins,
the others are told what happened, and exactly one row remains. Meant
for PostgreSQL (where they used to answer 500 "duplicate key" and "could
not obtain lock"); on SQLite the writers are serialized and the same
answers hold."""
import threading

import pytest

from conftest import serve
from routes_client import MB_GTIN, Client, RowCounts, setup_database
from test_routes import _csv

ROUNDS = 5


@pytest.fixture(scope='module')
def setup(demo_db):
    return setup_database(demo_db, 1)


@pytest.fixture(scope='module')
def client(demo_db, setup):
    with serve(demo_db, '/%s/serial_mes/receiving' % demo_db.database) as (
            url):
        yield Client(url, demo_db.database,
            setup['keys']['serial_mes_receiving'])


@pytest.fixture(scope='module')
def rows(demo_db):
    counter = RowCounts(demo_db)
    yield counter
    counter.close()


def at_once(count, call):
    "call(index) in count threads released together: their results"
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        barrier.wait()
        try:
            results[index] = call(index)
        except Exception as exception:  # reported by the assertions
            results[index] = ('exception', repr(exception))
    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _count(rows, query, *params):
    cursor = rows.connection.cursor()
    cursor.execute(query.replace('?', '%s') if rows.postgresql else query,
        params)
    return cursor.fetchone()[0]


def _lots(rows, number):
    return _count(rows, 'SELECT COUNT(*) FROM stock_lot WHERE number = ?',
        number)


def _no_5xx(results):
    for result in results:
        assert result[0] != 'exception', result
        status, answer = result
        assert status < 500, result
        if status >= 400:
            assert answer['error'], result


def test_same_new_serial_scanned_at_two_docks(client, setup, rows):
    "Receipt without ASN: one creates the serial, the other sees it"
    path = 'serial_mes/receiving/%d/scan' % setup['shipments'][0]
    for round_ in range(ROUNDS):
        number = 'RACENEW%04d' % round_
        results = at_once(2, lambda i: client.json(path,
                {'code': '01%s21%s' % (MB_GTIN, number)}))
        _no_5xx(results)
        answers = sorted(r[1].get('result', 'error') for r in results)
        assert answers == ['accepted_extra', 'duplicate'], results
        assert _lots(rows, number) == 1


def test_same_extra_accepted_at_two_docks(client, rows):
    "On an ASN shipment, both accept the same unexpected serial as extra"
    status, answer = client.json('serial_mes/asn',
        _csv(['RACEASN0001'], 'ASN-RACE-EXTRA'), content_type='text/csv')
    assert status == 201, answer
    path = 'serial_mes/receiving/%d/scan' % answer['shipment']['id']
    for round_ in range(ROUNDS):
        number = 'RACEXTRA%04d' % round_
        results = at_once(2, lambda i: client.json(path, {
                    'code': '01%s21%s' % (MB_GTIN, number),
                    'accept_extra': True}))
        _no_5xx(results)
        answers = sorted(r[1].get('result', 'error') for r in results)
        assert answers == ['accepted_extra', 'duplicate'], results
        assert _lots(rows, number) == 1


def test_two_suppliers_announce_the_same_serial(client, rows):
    for round_ in range(ROUNDS):
        number = 'RACESUP%04d' % round_
        files = [_csv([number], 'ASN-RACE-SUP-%d-%d' % (round_, i),
                supplier=supplier)
            for i, supplier in enumerate(
                ['Asteria Boards Ltd', 'Helix Silicon GmbH'])]
        results = at_once(2, lambda i: client.json('serial_mes/asn',
                files[i], content_type='text/csv'))
        _no_5xx(results)
        statuses = sorted(r[0] for r in results)
        assert statuses[0] == 201 and statuses[1] in {400, 409}, results
        loser = [r[1] for r in results if r[0] != 201][0]
        assert number in loser['error'], loser
        assert _lots(rows, number) == 1


@pytest.mark.parametrize('posts', [3, 5])
def test_same_asn_posted_at_once(client, rows, posts):
    for round_ in range(3):
        asn = 'ASN-RACE-SAME-%d-%d' % (posts, round_)
        data = _csv(['RACESAME%d%d%02d' % (posts, round_, i)
                for i in range(20)], asn)
        results = at_once(posts, lambda i: client.json('serial_mes/asn',
                data, content_type='text/csv'))
        _no_5xx(results)
        statuses = sorted(r[0] for r in results)
        assert statuses == [200] * (posts - 1) + [201], results
        assert len({r[1]['shipment']['id'] for r in results}) == 1
        assert _count(rows, 'SELECT COUNT(*) FROM stock_shipment_in '
            'WHERE asn_number = ?', asn) == 1
