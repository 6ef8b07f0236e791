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
403: the key's user may not post reads; 413: body over 8 MB.  The body
is checked as JSON (or JSON lines) by serial_mes.json_api first."""
from serial_mes.json_api import json_route

from .reads import MAX_BYTES


@json_route('/<database_name>/serial_mes_rfid/reads', {'POST'},
    'serial_mes_rfid', body='json', max_size=MAX_BYTES)
def post_reads(request, pool, body):
    "body: the checked JSON documents; ingest parses the bytes themselves"
    from .rfid import ingest_retrying
    ModelAccess = pool.get('ir.model.access')
    ModelAccess.check('serial_mes.rfid.batch', 'create')
    reader = request.args.get('reader') or None
    batch_id = request.headers.get('Idempotency-Key') or None
    result, = ingest_retrying([(request.get_data(), reader, batch_id)])
    return result
