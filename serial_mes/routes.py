# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Shop-floor routes: the receiving page and its JSON API.

Devices authenticate with a Tryton user-application key (application
serial_mes_receiving): `Authorization: Bearer <key>`. Every answer is JSON;
bad input gets HTTP 400 with {"error": "<one line>"} and writes nothing."""
import json
import os

from werkzeug.wrappers import Response

from trytond.cache import Cache
from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.protocols.wrappers import (
    HTTPStatus, abort, user_application, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'web')
CONTENT_TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.svg': 'image/svg+xml',
    }
MAX_BODY = 64 * 1024
MAX_LABELS = 1000

_user_contexts = Cache('serial_mes.route_user_context', duration=60)
receiving_application = user_application('serial_mes_receiving', json=False)


def _static(name):
    path = os.path.join(WEB, name)
    extension = os.path.splitext(name)[1]
    if (os.sep in name or name.startswith('.') or extension not in
            CONTENT_TYPES or not os.path.isfile(path)):
        abort(HTTPStatus.NOT_FOUND)
    with open(path, 'rb') as file:
        return Response(file.read(), content_type=CONTENT_TYPES[extension])


@app.route('/<database_name>/serial_mes/receiving', methods={'GET'})
def receiving_page(request, database_name):
    return _static('receiving.html')


@app.route('/<database_name>/serial_mes/web/<name>', methods={'GET'})
def web_asset(request, database_name, name):
    return _static(name)


def _json(value, status=200):
    return Response(json.dumps(value, default=str), status=status,
        content_type='application/json')


def _error(message, status=400):
    Transaction().rollback()
    return _json({'error': ' '.join(str(message).split())}, status=status)


def _body(request):
    data = request.get_data()
    if len(data) > MAX_BODY:
        raise ValueError("request body over %d bytes" % MAX_BODY)
    try:
        body = json.loads(data or b'{}')
    except ValueError as exception:
        raise ValueError("malformed JSON: %s" % exception)
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


def _user_context():
    """The key user's company, companies and employee: what the services
    need (get_preferences computes much more, at every scan)"""
    pool = Pool()
    User = pool.get('res.user')
    transaction = Transaction()
    key = (transaction.database.name, transaction.user)
    context = _user_contexts.get(key)
    if context is None:
        user = User(transaction.user)
        context = {
            'company': user.company.id if user.company else None,
            'companies': [c.id for c in user.companies],
            'employee': user.employee.id if user.employee else None,
            }
        _user_contexts.set(key, context)
    return context


def _service(request, function):
    "Run function(pool, body) as the key's user, with its company"
    pool = Pool()
    try:
        body = _body(request)
    except ValueError as exception:
        return _error(exception)
    with Transaction().set_context(_user_context()):
        try:
            return _json(function(pool, body))
        except UserError as exception:
            return _error(exception.message)


def _code(body):
    code = body.get('code')
    if not isinstance(code, str) or not code or len(code) > 4096:
        raise UserError("give the scanned code as a string")
    return code


def _shipment_or_none(pool, shipment_id):
    ShipmentIn = pool.get('stock.shipment.in')
    shipments = ShipmentIn.search([('id', '=', shipment_id)])
    return shipments[0] if shipments else None


def _shipment(pool, shipment_id):
    shipment = _shipment_or_none(pool, shipment_id)
    if shipment is None:
        raise UserError("unknown shipment %s" % shipment_id)
    return shipment


@app.route('/<database_name>/serial_mes/receiving/open', methods={'POST'})
@with_pool
@with_transaction()
@receiving_application
def receiving_open(request, pool):
    def open_(pool, body):
        ShipmentIn = pool.get('stock.shipment.in')
        return ShipmentIn.find_for_receipt(_code(body)).receipt_status()
    return _service(request, open_)


@app.route('/<database_name>/serial_mes/receiving/<int:shipment_id>/scan',
    methods={'POST'})
@with_pool
@with_transaction()
@receiving_application
def receiving_scan(request, pool, shipment_id):
    def scan(pool, body):
        ShipmentIn = pool.get('stock.shipment.in')
        return ShipmentIn.scan_receipt(_shipment(pool, shipment_id),
            _code(body), accept_extra=bool(body.get('accept_extra')))
    return _service(request, scan)


@app.route('/<database_name>/serial_mes/receiving/<int:shipment_id>/finish',
    methods={'POST'})
@with_pool
@with_transaction()
@receiving_application
def receiving_finish(request, pool, shipment_id):
    def finish(pool, body):
        ShipmentIn = pool.get('stock.shipment.in')
        return ShipmentIn.finish_receipt(_shipment(pool, shipment_id))
    return _service(request, finish)


@app.route('/<database_name>/serial_mes/receiving/<int:shipment_id>/generate',
    methods={'POST'})
@with_pool
@with_transaction()
@receiving_application
def receiving_generate(request, pool, shipment_id):
    "Number unlabelled parts: {product: code or GTIN, count}"
    def generate(pool, body):
        ShipmentIn = pool.get('stock.shipment.in')
        shipment = _shipment(pool, shipment_id)
        count = body.get('count')
        if isinstance(count, bool) or not isinstance(count, int):
            raise UserError("give the count as a whole number")
        Product = pool.get('product.product')
        lots = ShipmentIn.generate_serials(shipment,
            Product.find_code(body.get('product')), count)
        answer = ShipmentIn(shipment.id).receipt_status()
        answer['generated'] = [l.number for l in lots]
        answer['labels'] = '/%s/serial_mes/receiving/%d/labels?lots=%s' % (
            pool.database_name, shipment_id, ','.join(
                str(l.id) for l in lots))
        return answer
    return _service(request, generate)


@app.route('/<database_name>/serial_mes/receiving/<int:shipment_id>/labels',
    methods={'GET'})
@with_pool
@with_transaction(readonly=True)
@receiving_application
def receiving_labels(request, pool, shipment_id):
    "The labels (PDF) of serials of the shipment: ?lots=1,2,3"
    Lot = pool.get('stock.lot')
    Move = pool.get('stock.move')
    Labels = pool.get('serial_mes.lot.labels', type='report')
    try:
        ids = [int(i) for i in request.args.get('lots', '').split(',')]
    except ValueError:
        return _error("give lots as ids separated by commas")
    if not ids or len(ids) > MAX_LABELS:
        return _error("give 1 to %d lots" % MAX_LABELS)
    with Transaction().set_context(_user_context()):
        shipment = _shipment_or_none(pool, shipment_id)
        if shipment is None:
            return _error("unknown shipment %s" % shipment_id, status=404)
        on_shipment = {m.lot.id for m in Move.search([
                    ('shipment', '=', str(shipment)),
                    ('lot', 'in', ids),
                    ])}
        if set(ids) - on_shipment:
            return _error("serials %s are not on shipment %s" % (
                    ', '.join(map(str, sorted(set(ids) - on_shipment))),
                    shipment.rec_name), status=404)
        try:
            pdf = Labels.render(Lot.browse(ids))
        except UserError as exception:
            return _error(exception.message)
    return Response(pdf, content_type='application/pdf', headers={
            'Content-Disposition': 'inline; filename="labels-%s.pdf"'
            % shipment.number})


@app.route('/<database_name>/serial_mes/asn', methods={'POST'})
@with_pool
@with_transaction()
@receiving_application
def asn_import(request, pool):
    "Partner systems post the ASN file itself (any of the five formats)"
    from .asn import MAX_SIZE
    data = request.get_data()
    if len(data) > MAX_SIZE:
        return _error("ASN over %d bytes" % MAX_SIZE, status=413)
    ShipmentIn = pool.get('stock.shipment.in')
    with Transaction().set_context(_user_context()):
        try:
            shipment, created = ShipmentIn.import_asn(data,
                request.args.get('filename'))
        except UserError as exception:
            return _error(exception.message)
        answer = shipment.receipt_status()
        answer['created'] = created
        return _json(answer, status=201 if created else 200)
