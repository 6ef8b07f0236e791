# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Shop-floor routes: the receiving page and its JSON API.

Devices authenticate with a Tryton user-application key (application
serial_mes_receiving): `Authorization: Bearer <key>`. Every answer is JSON;
bad input gets a 4xx status with {"error": "<one line>"} and writes
nothing (serial_mes.json_api checks the requests of all routes)."""
import os

from werkzeug.wrappers import Response

from trytond.cache import Cache
from trytond.pool import Pool
from trytond.protocols.wrappers import HTTPStatus, abort
from trytond.transaction import Transaction
from trytond.wsgi import app

from .asn.common import MAX_SIZE as MAX_ASN_SIZE
from .json_api import RequestError, answer, flag, json_route, record_id

WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'web')
CONTENT_TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.svg': 'image/svg+xml',
    }
MAX_LABELS = 1000
RECEIVING = 'serial_mes_receiving'

_user_contexts = Cache('serial_mes.route_user_context', duration=60)


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


def _code(body):
    code = body.get('code')
    if not isinstance(code, str) or not code or len(code) > 4096:
        raise RequestError("give the scanned code as a string")
    return code


def _shipment(pool, shipment_id):
    "The shipment of the id in the path (a string: any is answered JSON)"
    ShipmentIn = pool.get('stock.shipment.in')
    shipments = ShipmentIn.search([
            ('id', '=', record_id(shipment_id, 'shipment'))])
    if not shipments:
        raise RequestError("unknown shipment %s" % shipment_id, 404)
    return shipments[0]


def _ids(text):
    "Record ids separated by commas"
    try:
        ids = [record_id(i, 'lot', 400) for i in text.split(',')]
    except RequestError:
        raise RequestError("give lots as ids separated by commas")
    if not ids or len(ids) > MAX_LABELS:
        raise RequestError("give 1 to %d lots" % MAX_LABELS)
    return ids


def _receiving_route(path, methods={'POST'}, **kwargs):
    return json_route('/<database_name>/serial_mes/' + path, methods,
        RECEIVING, **kwargs)


@_receiving_route('receiving/open', body='object')
def receiving_open(request, pool, body):
    ShipmentIn = pool.get('stock.shipment.in')
    with Transaction().set_context(_user_context()):
        return ShipmentIn.find_for_receipt(_code(body)).receipt_status()


@_receiving_route('receiving/<shipment_id>/scan', body='object')
def receiving_scan(request, pool, shipment_id, body):
    """{code, accept_extra, confirm, product}: product (code or GTIN) names
    what a plain code is a serial of; confirm creates it (no ASN)"""
    ShipmentIn = pool.get('stock.shipment.in')
    Product = pool.get('product.product')
    code, accept_extra = _code(body), flag(body, 'accept_extra')
    confirm = flag(body, 'confirm')
    with Transaction().set_context(_user_context()):
        product = body.get('product')
        product = Product.find_code(product) if product is not None else (
            None)
        return ShipmentIn.scan_receipt(_shipment(pool, shipment_id), code,
            accept_extra=accept_extra, confirm=confirm, product=product)


@_receiving_route('receiving/<shipment_id>/finish', body='object')
def receiving_finish(request, pool, shipment_id, body):
    ShipmentIn = pool.get('stock.shipment.in')
    with Transaction().set_context(_user_context()):
        return ShipmentIn.finish_receipt(_shipment(pool, shipment_id))


@_receiving_route('receiving/<shipment_id>/generate', body='object')
def receiving_generate(request, pool, shipment_id, body):
    "Number unlabelled parts: {product: code or GTIN, count}"
    ShipmentIn = pool.get('stock.shipment.in')
    Product = pool.get('product.product')
    count = body.get('count')
    if isinstance(count, bool) or not isinstance(count, int):
        raise RequestError("give the count as a whole number")
    with Transaction().set_context(_user_context()):
        shipment = _shipment(pool, shipment_id)
        lots = ShipmentIn.generate_serials(shipment,
            Product.find_code(body.get('product')), count)
        answer = ShipmentIn(shipment.id).receipt_status()
    answer['generated'] = [l.number for l in lots]
    answer['labels'] = '/%s/serial_mes/receiving/%d/labels?lots=%s' % (
        pool.database_name, shipment.id, ','.join(str(l.id) for l in lots))
    return answer


@_receiving_route('receiving/<shipment_id>/labels', methods={'GET'})
def receiving_labels(request, pool, shipment_id):
    "The labels (PDF) of serials of the shipment: ?lots=1,2,3"
    Lot = pool.get('stock.lot')
    Move = pool.get('stock.move')
    Labels = pool.get('serial_mes.lot.labels', type='report')
    ids = _ids(request.args.get('lots', ''))
    with Transaction().set_context(_user_context()):
        shipment = _shipment(pool, shipment_id)
        on_shipment = {m.lot.id for m in Move.search([
                    ('shipment', '=', str(shipment)),
                    ('lot', 'in', ids),
                    ])}
        if set(ids) - on_shipment:
            raise RequestError("serials %s are not on shipment %s" % (
                    ', '.join(map(str, sorted(set(ids) - on_shipment))),
                    shipment.rec_name), 404)
        pdf = Labels.render(Lot.browse(ids))
    return Response(pdf, content_type='application/pdf', headers={
            'Content-Disposition': 'inline; filename="labels-%s.pdf"'
            % shipment.number})


@_receiving_route('asn', body='raw', max_size=MAX_ASN_SIZE)
def asn_import(request, pool, body):
    "Partner systems post the ASN file itself (any of the five formats)"
    ShipmentIn = pool.get('stock.shipment.in')
    with Transaction().set_context(_user_context()):
        shipment, created = ShipmentIn.import_asn(body,
            request.args.get('filename'))
        status = shipment.receipt_status()
    status['created'] = created
    return answer(status, status=201 if created else 200)
