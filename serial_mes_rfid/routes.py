# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The JSON route RFID readers and middleware post their reads to.

    POST /<database>/serial_mes_rfid/reads[?reader=IDENTIFIER]
    Authorization: Bearer <key of a user application "serial_mes_rfid">
    Idempotency-Key: <batch id>            (optional)

The body is one batch in a shape of serial_mes_rfid.reads (Serial MES,
Impinj IoT device interface, Zebra IoT Connector).  The reader comes from
the body, else from ?reader=.  The batch id comes from the body ("batch"),
else from the Idempotency-Key header, else it is the SHA-256 of ?reader=
and the body: posting the same batch again answers "duplicate": true and
writes nothing.

200: {"batch", "duplicate", "reads", "observations", "events", "moves",
"review", "ignored"}.  400: {"error": "<one line>"} (malformed JSON,
unknown reader or antenna ...), nothing written; 401: no or a wrong key;
403: the key's user may not post reads; 413: body over 8 MB."""
import json

from werkzeug.wrappers import Response

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.protocols.wrappers import (
    user_application, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

from .reads import MAX_BYTES

rfid_application = user_application('serial_mes_rfid', json=False)


def _json(value, status=200):
    return Response(json.dumps(value, default=str), status=status,
        content_type='application/json')


def _error(message, status=400):
    Transaction().rollback()
    return _json({'error': ' '.join(str(message).split())}, status=status)


@app.route('/<database_name>/serial_mes_rfid/reads', methods={'POST'})
@with_pool
@with_transaction()
@rfid_application
def post_reads(request, pool):
    from .rfid import ingest_retrying
    ModelAccess = pool.get('ir.model.access')
    try:
        ModelAccess.check('serial_mes.rfid.batch', 'create')
    except AccessError as exception:
        return _error(exception.message, status=403)
    if (request.content_length or 0) > MAX_BYTES:
        return _error("request body over %d bytes" % MAX_BYTES, status=413)
    data = request.get_data()
    if len(data) > MAX_BYTES:
        return _error("request body over %d bytes" % MAX_BYTES, status=413)
    reader = request.args.get('reader') or None
    batch_id = request.headers.get('Idempotency-Key') or None
    try:
        result, = ingest_retrying([(data, reader, batch_id)])
    except UserError as exception:
        return _error(exception.message)
    return _json(result)
