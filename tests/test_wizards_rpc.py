# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The Import ASN and Replace Component wizards over JSON-RPC, the calls
the web client makes (wizard.<name>.create / execute / delete with the
form's values, files as JSON bytes), against the served demo database."""
import base64
import json
import urllib.request

import pytest

from conftest import serve

COUNTED = ['stock.shipment.in', 'stock.move', 'stock.lot',
    'serial_mes.event', 'serial_mes.installation', 'ir.attachment']


class Client:
    "A logged-in web client session"

    def __init__(self, url, database):
        self.url = url + database + '/rpc/'
        user, token, _ = self.call('common.db.login',
            ['admin', {'password': 'admin'}, 'en'], check=True)
        self.auth = 'Session ' + base64.b64encode(
            ('admin:%s:%s' % (user, token)).encode()).decode()
        self.context = self.call('model.res.user.get_preferences',
            [True, {}], check=True)

    def call(self, method, params, check=False):
        "The reply's result, or (check=False) the reply with its error"
        request = urllib.request.Request(self.url, json.dumps(
                {'id': 1, 'method': method, 'params': params}).encode(),
            {'Content-Type': 'application/json'})
        if getattr(self, 'auth', None):
            request.add_header('Authorization', self.auth)
        with urllib.request.urlopen(request, timeout=120) as response:
            assert response.status == 200
            reply = json.load(response)
        if check:
            assert not reply.get('error'), reply
            return reply['result']
        return reply

    def model(self, model, method, *args):
        return self.call('model.%s.%s' % (model, method),
            list(args) + [self.context], check=True)

    def counts(self):
        return {m: self.model(m, 'search_count', []) for m in COUNTED}

    def wizard(self, name, state, values, active=None):
        """Create the session, show its first view, press the button of
        state with the form's values; return the reply of that step"""
        context = dict(self.context)
        if active:
            model, id_ = active
            context.update(active_model=model, active_id=id_,
                active_ids=[id_])
        session, start, _ = self.call('wizard.%s.create' % name, [context],
            check=True)
        view = self.call('wizard.%s.execute' % name,
            [session, {}, start, context], check=True)['view']
        # values only: the client keeps the rec_names ('field.') to itself
        form = {k: v for k, v in view['defaults'].items() if '.' not in k}
        form.update(values)
        reply = self.call('wizard.%s.execute' % name,
            [session, {view['state']: form}, state, context])
        self.call('wizard.%s.delete' % name, [session, context], check=True)
        return reply


def as_json_bytes(data):
    return {'__class__': 'bytes', 'base64': base64.b64encode(data).decode()}


def error_text(reply):
    "The error of a refused call, which must be the user's kind"
    assert 'error' in reply and reply['error'], reply
    kind, args = reply['error']
    assert kind == 'UserError', reply
    return args[0]


@pytest.fixture(scope='module')
def client(demo_db):
    # a page that answers GET once the server is up (the web client's
    # files may not be installed)
    with serve(demo_db, '/%s/serial_mes/receiving' % demo_db.database) as (
            url):
        yield Client(url.split(demo_db.database)[0], demo_db.database)


def test_import_asn_over_rpc(client):
    "A garbage file is refused with nothing written; a CSV ASN imports"
    before = client.counts()
    reply = client.wizard('serial_mes.import_asn', 'open_', {
            'file': as_json_bytes(b'\x00\xff not an ASN \x9f' * 10),
            'filename': 'junk.xml'})
    assert 'The ASN cannot be read' in error_text(reply)
    assert client.counts() == before

    csv = ('supplier,asn_number,po,gtin,supplier_code,serial,lot,quantity\n'
        + ''.join('Asteria Boards Ltd,AST-RPC-0001,,9506000140100,'
            'MB-B760-AST,AB760-RPC-000%d,,\n' % i for i in (1, 2)))
    reply = client.wizard('serial_mes.import_asn', 'open_', {
            'file': as_json_bytes(csv.encode()), 'filename': 'asn.csv'})
    assert not reply.get('error'), reply
    (action, values), = reply['result']['actions']
    assert action['res_model'] == 'stock.shipment.in'
    shipment_id, = values['res_id']
    shipment, = client.model('stock.shipment.in', 'read', [shipment_id],
        ['asn_number', 'incoming_moves'])
    assert shipment['asn_number'] == 'AST-RPC-0001'
    assert len(shipment['incoming_moves']) == 2
    after = client.counts()
    assert after['stock.shipment.in'] == before['stock.shipment.in'] + 1
    assert after['ir.attachment'] == before['ir.attachment'] + 1


def test_replace_refuses_another_units_component_over_rpc(client):
    """A component of another unit, sent by a client that ignores the
    form's domain, is refused and nothing is written"""
    units = client.model('stock.lot', 'search',
        [('product.code', '=', 'PC-PRO'), ('status', '=', 'in_stock')],
        0, 2, [('id', 'ASC')])
    assert len(units) == 2
    links = client.model('serial_mes.installation', 'search_read',
        [('parent', '=', units[1]), ('removed_at', '=', None),
            ('serial', '=', True)], 0, 1, None, ['product', 'rec_name'])
    assert links, "the demo's second PC has no serial component"
    link, = links
    spare = client.model('stock.lot', 'search',
        [('product', '=', link['product']), ('status', '=', 'in_stock')],
        0, 1, None)
    assert spare, "no spare of the component's product in the demo"
    spare_number, = client.model('stock.lot', 'read', spare, ['number'])
    before = client.counts()
    reply = client.wizard('serial_mes.replace', 'replace', {
            'component': link['id'],
            'new_code': spare_number['number'],
            'reason': 'defective', 'disposal': 'scrap'},
        active=('stock.lot', units[0]))
    assert 'is not installed in' in error_text(reply)
    assert client.counts() == before
