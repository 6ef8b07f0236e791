# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Commands of serial_mes_rfid for the serial-mes command line:

    serial-mes epc decode VALUE [--json]
    serial-mes epc encode --gtin G --serial S [--company-prefix-length N]
        [-d DB] [--scheme sgtin-96|sgtin-198] [--filter F] [--json]
    serial-mes rfid bridge [--host H] [--port P] [--topic T ...]
        [--client-id ID] [--idle-timeout S] [-d DB]
    serial-mes rfid ingest FILE [-d DB] [--json]
    serial-mes rfid publish FILE [--host H] [--port P] [--topic-prefix T]
    serial-mes rfid review [-d DB] [--json]
    serial-mes rfid replay [-d DB] [--json]

serial_mes.cli calls add_commands(); bad input raises its CommandError
(one line on stderr, exit status 2)."""
import json
import os
import sys

from serial_mes.cli import (
    CommandError, database_arguments, database_name, integer, number,
    print_json, read_file,
    require_database, with_service)

from . import epc as epc_module

EPC_SCHEMES = ['sgtin-96', 'sgtin-198']
PREFIX_SOURCES = {
    'option': "given by --company-prefix-length",
    'product': "the setting of product %(product)s",
    'gs1': "GS1's company prefix table",
    'default': "default (GS1's company prefix table has no length for "
    "this GTIN)",
    'no_product_gs1': "GS1's company prefix table (no product of the "
    "database has this GTIN)",
    'no_product_default': "default (no product of the database has this "
    "GTIN and GS1's company prefix table has no length for it)",
    }
# a file of batches (JSON or JSON lines) for ingest and publish
MAX_FILE_BYTES = 50 * 1024 * 1024


def add_commands(commands):
    def output(args, result, text):
        if args.json:
            print_json(result)
        else:
            print(text(result))

    # --- epc -----------------------------------------------------------

    def cmd_epc_decode(args):
        try:
            result = epc_module.decode(args.value).as_dict()
        except epc_module.EpcError as exception:
            raise CommandError(str(exception))
        output(args, result, lambda r: '\n'.join('%s: %s' % item
                for item in r.items()))

    def cmd_epc_encode(args):
        length, source = args.company_prefix_length, 'option'
        if length is None:
            length, source = prefix_length(args)
        try:
            result = epc_module.encode_sgtin(args.gtin, args.serial,
                company_prefix_length=length,
                scheme=args.scheme, filter=args.filter).as_dict()
        except epc_module.EpcError as exception:
            raise CommandError(str(exception))
        result['company_prefix_length'] = length
        result['company_prefix_length_source'] = source
        output(args, result, lambda r: '%s\n%s\ncompany prefix length %d: '
            '%s' % (r['hex'], r['tag_uri'], length, PREFIX_SOURCES[source]
                % {'product': args.product_name}))

    def prefix_length(args):
        """(length, source): the product's setting with a database, else
        GS1's prefix table, else 7"""
        from .epc import prefix_length_of
        args.product_name = None
        try:
            epc_module.gs1_company_prefix_length(args.gtin)
        except epc_module.EpcError as exception:
            raise CommandError(str(exception))
        if args.database is None:
            return prefix_length_of(args.gtin)
        # only now: without database, no database setting may refuse
        from serial_mes import database
        try:
            database.configure(args.encode_database_uri)
        except database.DatabaseUriError as exception:
            raise CommandError(str(exception))

        def lookup(pool):
            Product = pool.get('product.product')
            products = Product.search_gtin(args.gtin.strip())
            if not products:
                return None
            args.product_name = products[0].rec_name
            return products[0].template.epc_prefix_length(args.gtin)
        found = with_service(args, lookup)
        if found is None:
            length, source = prefix_length_of(args.gtin)
            return length, 'no_product_' + source
        return found

    epc = commands.add_parser('epc', help="EPC Tag Data Standard coding")
    epc_commands = epc.add_subparsers(dest='epc_command', required=True)
    decode = epc_commands.add_parser('decode',
        help="decode an EPC: hex, tag URI or pure-identity URI")
    decode.add_argument('value')
    decode.add_argument('--json', action='store_true')
    decode.set_defaults(func=cmd_epc_decode)
    encode = epc_commands.add_parser('encode',
        help="the SGTIN EPC of a GTIN and serial")
    encode.add_argument('--gtin', required=True)
    encode.add_argument('--serial', required=True)
    # the EPC module checks the ranges and names what is wrong
    encode.add_argument('--company-prefix-length', default=None,
        type=integer(-99, 99), metavar='N', help="6 to 12 (default: the "
        "product's setting with --database, else GS1's company prefix "
        "table, else 7)")
    encode.add_argument('--database-uri', metavar='URI',
        dest='encode_database_uri',
        help="with --database: sqlite:// or postgresql:///; default "
        "$TRYTOND_DATABASE_URI")
    encode.add_argument('--database', '-d', metavar='NAME',
        type=database_name, default=None,
        help="take the company prefix length of the GTIN's product there")
    encode.add_argument('--scheme', choices=EPC_SCHEMES,
        help="default: sgtin-96 when the serial fits it, else sgtin-198")
    encode.add_argument('--filter', default='1', metavar='F',
        type=integer(-99, 99),
        help="filter value 0-7 (default 1, point-of-sale item)")
    encode.add_argument('--json', action='store_true')
    encode.set_defaults(func=cmd_epc_encode)

    # --- rfid ----------------------------------------------------------

    def cmd_bridge(args):
        from .bridge import Bridge, install_signal_handlers
        require_database(args)
        bridge = Bridge(args.database, host=args.host, port=args.port,
            topics=args.topic, client_id=args.client_id, login=args.login,
            max_messages=args.max_messages, max_wait=args.max_wait,
            max_backoff=args.max_backoff, username=args.username,
            password=os.environ.get('SERIAL_MES_MQTT_PASSWORD'))
        install_signal_handlers(bridge)
        try:
            stats = bridge.run(idle_timeout=args.idle_timeout,
                stats_every=args.stats_every)
        except ValueError as exception:
            raise CommandError(str(exception))
        output(args, stats, lambda s: "rfid bridge: %(messages)d messages, "
            "%(reads)d reads, %(events)d events, %(duplicates)d duplicates, "
            "%(rejected)d rejected" % s)

    def read_batches(path):
        "A JSON file (one batch) or JSON lines (one batch a line)"
        data = read_file(path, MAX_FILE_BYTES)
        try:
            json.loads(data)
            return [data]
        except RecursionError:
            # one batch, nested too deeply: reads.parse says so
            return [data]
        except ValueError:
            lines = [line for line in data.splitlines() if line.strip()]
            if not lines:
                raise CommandError("%s: no batch" % path)
            return lines

    def cmd_ingest(args):
        batches = read_batches(args.file)

        def ingest(pool):
            from .rfid import ingest_retrying
            return ingest_retrying([(b, args.reader, None) for b in batches])
        results = with_service(args, ingest)
        total = {k: sum(r[k] for r in results) for k in ['reads',
                'observations', 'events', 'moves', 'review']}
        total['batches'] = len(results)
        total['duplicates'] = sum(r['duplicate'] for r in results)
        output(args, total, lambda t: "%(batches)d batches (%(duplicates)d "
            "duplicates): %(reads)d reads, %(observations)d observations, "
            "%(events)d events, %(moves)d moves, %(review)d reads to review"
            % t)

    def cmd_publish(args):
        from .publish import publish
        batches = read_batches(args.file)
        try:
            count = publish(batches, host=args.host, port=args.port,
                topic_prefix=args.topic_prefix, rate=args.rate)
        except (OSError, ValueError) as exception:
            raise CommandError(str(exception))
        output(args, {'published': count}, lambda r: "published %d "
            "messages" % r['published'])

    def cmd_review(args):
        def review(pool):
            Review = pool.get('serial_mes.rfid.review')
            return [{
                    'epc': r.epc, 'kind': r.kind, 'detail': r.detail,
                    'reads': r.read_count,
                    'first_seen': r.first_seen, 'last_seen': r.last_seen,
                    'antenna': r.last_antenna.rec_name
                    if r.last_antenna else None,
                    } for r in Review.search([], limit=args.limit)]
        entries = with_service(args, review)
        output(args, entries, lambda es: '\n'.join(
                '%(epc)s  %(kind)s  %(reads)d reads  %(detail)s' % e
                for e in es))

    def cmd_replay(args):
        from .demo import replay_trace
        require_database(args)
        summary = replay_trace(args.database,
            log=(lambda text: None) if args.json else print)
        if args.json:
            print_json(summary)

    rfid = commands.add_parser('rfid', help="RFID reads")
    rfid_commands = rfid.add_subparsers(dest='rfid_command', required=True)
    bridge = rfid_commands.add_parser('bridge',
        help="feed reads published on an MQTT broker into the database")
    database_arguments(bridge, default_name='demo')
    mqtt_arguments(bridge)
    bridge.add_argument('--topic', action='append', metavar='FILTER',
        help="topic filter, repeatable (default serial-mes/rfid/+/reads; "
        "the level of the first + names the reader)")
    bridge.add_argument('--client-id', default=os.environ.get(
            'SERIAL_MES_MQTT_CLIENT_ID', 'serial-mes-rfid-bridge'),
        help="fixed: the broker keeps the session's messages under it")
    bridge.add_argument('--login', default='admin',
        help="the Tryton user the reads are ingested as")
    bridge.add_argument('--username', help="broker user (password: "
        "$SERIAL_MES_MQTT_PASSWORD)")
    bridge.add_argument('--max-messages', type=integer(1, 100000),
        default=50,
        help="messages ingested per transaction (default 50)")
    bridge.add_argument('--max-wait', type=number(0, 60), default=0.05,
        help="seconds to gather messages for a transaction (0.05)")
    bridge.add_argument('--max-backoff', type=integer(1, 86400),
        default=30,
        help="longest wait between reconnections, seconds (30)")
    bridge.add_argument('--idle-timeout', type=number(0, 1e9),
        help="stop after this many seconds without a message")
    bridge.add_argument('--stats-every', type=number(0.001, 1e9),
        help="log the counters every so many seconds")
    bridge.add_argument('--json', action='store_true')
    bridge.set_defaults(func=cmd_bridge)

    ingest = rfid_commands.add_parser('ingest',
        help="ingest a file of batches (JSON, or JSON lines) directly")
    database_arguments(ingest, default_name='demo')
    ingest.add_argument('file')
    ingest.add_argument('--reader', help="reader of reads that name none")
    ingest.add_argument('--json', action='store_true')
    ingest.set_defaults(func=cmd_ingest)

    publish = rfid_commands.add_parser('publish',
        help="publish a file of batches to the broker (QoS 1), e.g. to "
        "replay a recorded trace")
    mqtt_arguments(publish)
    publish.add_argument('file')
    publish.add_argument('--topic-prefix', default='serial-mes/rfid',
        help="published to PREFIX/<reader>/reads (default serial-mes/rfid)")
    publish.add_argument('--rate', type=number(0.001, 1e6),
        help="messages per second (default: as fast as acknowledged)")
    publish.add_argument('--json', action='store_true')
    publish.set_defaults(func=cmd_publish)

    replay = rfid_commands.add_parser('replay',
        help="the demo's RFID step: replay data/rfid/demo_trace.jsonl "
        "through the MQTT bridge (set up the demo readers first)")
    database_arguments(replay, default_name='demo')
    replay.add_argument('--json', action='store_true')
    replay.set_defaults(func=cmd_replay)

    review = rfid_commands.add_parser('review',
        help="EPCs read that match no serial, are not serials or do not "
        "decode, with their read counts")
    database_arguments(review, default_name='demo')
    review.add_argument('--limit', type=integer(1, 100000), default=100)
    review.add_argument('--json', action='store_true')
    review.set_defaults(func=cmd_review)


def mqtt_arguments(parser):
    parser.add_argument('--host', default=os.environ.get(
            'SERIAL_MES_MQTT_HOST', '127.0.0.1'))
    parser.add_argument('--port', type=integer(1, 65535),
        default=os.environ.get('SERIAL_MES_MQTT_PORT', '1883'))


if __name__ == '__main__':      # pragma: no cover
    sys.exit("run it as serial-mes epc|rfid ...")
