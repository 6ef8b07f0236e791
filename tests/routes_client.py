# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the route tests share: a served demo database with API keys and
draft supplier shipments, an HTTP client that sends any bytes with any
Content-Type, and the database's row counts."""
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import urllib.parse

from conftest import ROOT

MB_GTIN = '09506000140100'  # Motherboard ATX B760, supplied by Asteria

SETUP_SCRIPT = '''\
import json, sys
from serial_mes import database
from trytond.transaction import Transaction
database.configure()
with database.session(sys.argv[1]) as pool:
    User = pool.get('res.user')
    Party = pool.get('party.party')
    Application = pool.get('res.user.application')
    ShipmentIn = pool.get('stock.shipment.in')
    Warehouse = pool.get('stock.location')
    admin, = User.search([('login', '=', 'admin')])
    keys = {}
    for application in ['serial_mes_receiving', 'serial_mes_rfid']:
        key, = Application.create([{'user': admin.id,
            'application': application, 'state': 'validated'}])
        keys[application] = key.key
    supplier, = Party.search([('code', '=', 'SUP-ASTERIA')])
    warehouse, = Warehouse.search([('type', '=', 'warehouse')], limit=1)
    shipments = []
    for i in range(int(sys.argv[2])):
        shipment = ShipmentIn(supplier=supplier, warehouse=warehouse,
            company=Transaction().context['company'])
        shipment.on_change_warehouse()
        shipment.save()
        shipments.append(shipment.id)
    print(json.dumps({'keys': keys, 'shipments': shipments}))
'''


def setup_database(demo_db, shipments):
    """Validated keys of admin for both applications and `shipments` new
    draft supplier shipments of Asteria without ASN"""
    result = subprocess.run([sys.executable, '-c', SETUP_SCRIPT,
            demo_db.database, str(shipments)], env=demo_db.env, cwd=ROOT,
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


class Client:
    "Requests to one served database, as raw as a test needs them"

    def __init__(self, base, database, key=None):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.database = database
        self.key = key

    def request(self, method, path, body=None, content_type=None,
            key=True, headers=None, query=None):
        """(status, content type, bytes) of method on /<database>/<path>;
        path may be absolute (starting with /)"""
        url = path if path.startswith('/') else '/%s/%s' % (
            self.database, path)
        if query:
            url += '?' + urllib.parse.urlencode(query)
        headers = dict(headers or {})
        if key is True:
            key = self.key
        if key:
            headers['Authorization'] = 'Bearer %s' % key
        if content_type:
            headers['Content-Type'] = content_type
        if isinstance(body, str):
            body = body.encode('utf-8', 'surrogatepass')
        connection = http.client.HTTPConnection(self.host, self.port,
            timeout=300)
        try:
            connection.putrequest(method, url, skip_accept_encoding=True)
            for name, value in headers.items():
                connection.putheader(name, value)
            if body is not None:
                connection.putheader('Content-Length', str(len(body)))
            connection.endheaders()
            if body:
                _send(connection, body)
            response = connection.getresponse()
            return (response.status, response.getheader('Content-Type', ''),
                response.read())
        finally:
            connection.close()

    def post(self, path, value=None, **kwargs):
        "POST value as JSON (bytes and str as they are)"
        if not isinstance(value, (bytes, str)):
            value = json.dumps(value)
        kwargs.setdefault('content_type', 'application/json')
        return self.request('POST', path, value, **kwargs)

    def json(self, *args, **kwargs):
        "(status, JSON answer) of post; fails on an answer not JSON"
        status, content_type, data = self.post(*args, **kwargs)
        assert content_type == 'application/json', (status, content_type,
            data[:300])
        return status, json.loads(data)


def _send(connection, body, chunk=1 << 20):
    "Send body; a server that answers early (413) may close the socket"
    try:
        for start in range(0, len(body), chunk):
            connection.send(body[start:start + chunk])
    except (BrokenPipeError, ConnectionResetError):
        pass


# tables that change without a write of the routes (caches, sessions)
VOLATILE = {'ir_cache', 'ir_session', 'ir_session_wizard',
    'res_user_login_attempt', 'ir_queue'}


class RowCounts:
    "The row count of every table of the demo database, in one query"

    def __init__(self, demo_db):
        uri = demo_db.env['TRYTOND_DATABASE_URI']
        self.postgresql = uri.startswith('postgresql')
        if self.postgresql:
            import psycopg
            self.connection = psycopg.connect(dbname=demo_db.database,
                autocommit=True)
            query = ("SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' "
                "AND table_type = 'BASE TABLE'")
        else:
            self.connection = sqlite3.connect(os.path.join(
                    demo_db.env['TRYTOND_DATABASE__PATH'],
                    demo_db.database + '.sqlite'))
            query = ("SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'")
        cursor = self.connection.cursor()
        cursor.execute(query)
        self.tables = sorted(t for t, in cursor if t not in VOLATILE)
        self.query = 'SELECT ' + ', '.join(
            '(SELECT COUNT(*) FROM "%s")' % t for t in self.tables)

    def __call__(self):
        cursor = self.connection.cursor()
        cursor.execute(self.query)
        return dict(zip(self.tables, cursor.fetchone()))

    def close(self):
        self.connection.close()


def changed(before, after):
    return {t: (before[t], after[t]) for t in before if before[t] != after[t]}
