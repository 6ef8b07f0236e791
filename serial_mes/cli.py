# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""serial-mes: the command line of Serial MES.

Every command that reads prints JSON with --json; exit status 0 on success,
2 with a one-line error on stderr for bad input."""
import argparse
import importlib
import json
import os
import re
import sys

from . import gs1

EXIT_BAD_INPUT = 2
# serials created by one call of serial create (--count or --range)
MAX_SERIALS = 100000
_DATABASE_NAME = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_-]{0,62}')


class CommandError(Exception):
    "Bad input: printed as one line on stderr, exit status 2"


class ArgumentParser(argparse.ArgumentParser):
    "argparse whose usage errors are CommandErrors (one line, exit 2)"

    def error(self, message):
        command = self.prog.split(' ', 1)[1:]
        raise CommandError(': '.join(command + [message]))


def _check_arguments(argv):
    """Every argument is text: the shell hands bytes over, and one that is
    not UTF-8 reaches Python as lone surrogates, which no database or
    output stream accepts; nor does PostgreSQL take a NUL (main() may be
    called with any strings)"""
    for position, argument in enumerate(argv, 1):
        try:
            argument.encode('utf-8')
        except UnicodeEncodeError:
            try:    # as the bytes the shell passed
                shown = repr(argument.encode('utf-8', 'surrogateescape'))[1:]
            except UnicodeEncodeError:      # main() given other surrogates
                shown = ascii(argument)
            raise CommandError("argument %d (%s) is not valid UTF-8"
                % (position, shown[:60]))
        if '\0' in argument:
            raise CommandError("argument %d holds a NUL character"
                % position)


def integer(minimum, maximum):
    "argparse type: an integer from minimum to maximum"
    def parse(value):
        text = value.strip()
        digits = text[1:] if text[:1] in ('+', '-') else text
        if not (digits.isascii() and digits.isdigit()):
            raise argparse.ArgumentTypeError(
                "expected an integer, got %r" % value)
        # a long number is out of range: no need to build it
        if len(digits) > 18 or not minimum <= int(text) <= maximum:
            raise argparse.ArgumentTypeError("expected %d to %d, got %s"
                % (minimum, maximum, text if len(text) <= 30
                    else text[:27] + '...'))
        return int(text)
    parse.__name__ = 'integer'
    return parse


def number(minimum, maximum):
    "argparse type: a finite number from minimum to maximum"
    def parse(value):
        try:
            result = float(value)
        except ValueError:
            result = None
        if result is None or not minimum <= result <= maximum:
            raise argparse.ArgumentTypeError("expected a number from %g to "
                "%g, got %r" % (minimum, maximum, value))
        return result
    parse.__name__ = 'number'
    return parse


def database_name(value):
    "argparse type: a database name (also an SQLite file name)"
    if not _DATABASE_NAME.fullmatch(value):
        raise argparse.ArgumentTypeError("expected a database name of 1 to "
            "63 letters, digits, _ and -, got %r" % value)
    return value


def output_file(value):
    """argparse type: a file that can be written; checked before any work
    so that the work is not lost for a wrong path"""
    path = os.path.abspath(value)
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        raise argparse.ArgumentTypeError("%s is a folder" % value)
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError("folder %s does not exist" % folder)
    if not os.access(folder, os.W_OK) or (
            os.path.exists(path) and not os.access(path, os.W_OK)):
        raise argparse.ArgumentTypeError("%s cannot be written" % value)
    return value


def output_folder(value):
    "argparse type: a folder to write into (made when missing)"
    if os.path.exists(value) and not os.path.isdir(value):
        raise argparse.ArgumentTypeError("%s is not a folder" % value)
    return value


def read_file(path, limit):
    """The bytes of the file at path, refused beyond limit bytes (read
    that far only: /dev/zero or a pipe has no size to look at first)"""
    try:
        with open(path, 'rb') as file:
            data = file.read(limit + 1)
    except OSError as exception:
        raise CommandError("%s: %s" % (path, exception.strerror))
    if len(data) > limit:
        raise CommandError("%s: larger than the limit of %d MB"
            % (path, limit // (1024 * 1024)))
    return data


def database_arguments(parser, default_name='serial_mes'):
    parser.add_argument('--database-uri', metavar='URI',
        help="sqlite:// (default, files under ./var/db) or postgresql:///; "
        "default $TRYTOND_DATABASE_URI")
    parser.add_argument('--database', '-d', metavar='NAME',
        type=database_name,
        default=os.environ.get('SERIAL_MES_DATABASE', default_name),
        help="database name (default %(default)s)")


def _configure_database(args):
    """Point trytond at the database of the command, before anything
    imports trytond's backend (which reads the URI once, at import)"""
    from . import database
    try:
        args.database_uri = database.configure(args.database_uri)
    except database.DatabaseUriError as exception:
        raise CommandError(str(exception))


def require_database(args):
    "CommandError unless the database of the command exists"
    from . import database
    try:
        found = database.exists(args.database)
    except database.DatabaseUnreachable as exception:
        raise CommandError(str(exception))
    if not found:
        raise CommandError("database %r does not exist (run 'serial-mes "
            "demo' or give --database)" % args.database)


def print_json(value):
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write('\n')


def table(headers, rows, indent=''):
    """The lines of rows in aligned columns under headers (none when
    headers is None); None and missing cells are blank"""
    lines = [list(headers)] if headers is not None else []
    lines += [['' if cell is None else str(cell) for cell in row]
        for row in rows]
    if not lines:
        return []
    columns = max(len(line) for line in lines)
    widths = [max(len(line[i]) if i < len(line) else 0 for line in lines)
        for i in range(columns)]
    return [(indent + '  '.join(cell.ljust(width)
                for cell, width in zip(line, widths))).rstrip()
        for line in lines]


def print_table(headers, rows, indent=''):
    for line in table(headers, rows, indent=indent):
        print(line)


def status_name(status):
    "The name of a serial's status for people (its code if unknown)"
    from .event import STATUSES
    return dict(STATUSES).get(status, status)


def status_change(status_from, status_to):
    if status_from and status_to:
        return '%s -> %s' % (status_name(status_from), status_name(status_to))
    if status_from:
        return 'was %s' % status_name(status_from)
    return status_name(status_to) if status_to else ''


def event_rows(events):
    "Rows of print_table for events as as_json gives them"
    return [(
            event['event_time'][:19].replace('T', ' '),
            (event['biz_step'] or '').capitalize(),
            status_change(event['status_from'], event['status_to']),
            event['location'],
            event.get('description') or '',
            ) for event in events]


EVENT_HEADERS = ('Time', 'Step', 'Status', 'Location', 'Details')
# how the text output names a serial's other numbers
ALIAS_LABELS = {
    'supplier': "supplier serial",
    'internal': "internal serial",
    'customer_asset': "customer asset tag",
    'mac': "MAC address",
    'imei': "IMEI",
    'previous': "previous number",
    'other': "other number",
    }


def alias_label(alias_type):
    from .alias import ALIAS_TYPES
    return ALIAS_LABELS.get(alias_type) or dict(ALIAS_TYPES).get(
        alias_type, alias_type)


def cmd_barcode_parse(args):
    try:
        barcode = gs1.parse_barcode(args.text, plain=args.plain)
    except gs1.BarcodeError as exception:
        raise CommandError(str(exception))
    result = barcode.as_dict()
    if args.json:
        print_json(result)
        return
    print_table(None, [(label + ':', result.get(key)) for key, label in [
                ('kind', "Kind"), ('gtin', "GTIN"), ('serial', "Serial"),
                ('lot', "Lot"), ('expiry', "Expiry"), ('text', "Text"),
                ('digital_link', "Digital Link")] if result.get(key)])
    if result['ais']:
        print()
        print_table(('AI', 'Value'), result['ais'].items())


def cmd_demo(args):
    from . import database
    from .demo import Demo, load_data, setup_company
    uri = args.database_uri
    name = args.database
    print("Serial MES demo: database %r on %s" % (name, uri.split('//')[0]))
    database.drop(name)
    print("- activating %s and their dependencies (takes a minute)"
        % ', '.join(database.MODULES))
    database.create(name, password=args.admin_password)
    data = load_data()
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(name)
    with Transaction().start(name, 0):
        setup_company(pool, data)
        ConfigItem = pool.get('ir.module.config_wizard.item')
        ConfigItem.write(ConfigItem.search([]), {'state': 'done'})

    def demo(pool):
        # printed once committed: an attempt may be started again
        lines = []
        return Demo(pool, data, log=lines.append).run(), lines
    summary, lines = database.run(name, demo)
    for line in lines:
        print(line)
    # After the commit above: the RFID bridge works in its own transactions
    try:
        from serial_mes_rfid.demo import replay_trace
    except ModuleNotFoundError:
        replay_trace = None
    if replay_trace is not None:
        summary['rfid'] = replay_trace(name)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, 'demo-summary.json')
        with open(path, 'w', encoding='utf-8') as file:
            json.dump(summary, file, indent=2, default=str)
        print("- wrote %s" % path)
    print("\nSerials per product (SII = in inventory, SNII = not):")
    for code, counts in summary['serials_by_product'].items():
        print("  %-10s SII %3d   SNII %3d" % (code, counts['sii'],
                counts['snii']))
    print("Serials per status: %s" % ', '.join(
            '%s %d' % (status_name(status), count) for status, count in
            sorted(summary['serials_by_status'].items())))
    unit = summary['shipped_unit']
    print("\n%s (%s) is %s%s; its history:" % (
            unit['number'], unit['product'], status_name(unit['status']),
            ', held by %s' % unit['holder'] if unit['holder'] else ''))
    print_table(EVENT_HEADERS, event_rows(reversed(unit['events'])),
        indent='  ')
    print("\nAs-built tree of %s (serial-mes trace %s):" % (
            unit['number'], unit['number']))
    print_tree(summary['trace'], 'children', indent='  ')
    recall = summary['recall']
    print("\nRecall of CPU %s (serial-mes recall --lot %s):" % (
            recall['lot'], recall['lot']))
    print_recall(recall['units'], indent='  ')
    print("\nLog in to the web client as user admin, password %s, once "
        "served by:" % args.admin_password)
    print("  " + serve_command(uri, name))


def serve_command(uri, name):
    """The command that serves database name at uri, to copy; a password
    in the URI is shown as PASSWORD (the output may be shared)"""
    import shlex
    import urllib.parse
    parts = urllib.parse.urlsplit(uri)
    if parts.password is not None:
        user, host = parts.netloc.rsplit('@', 1)
        uri = urllib.parse.urlunsplit(parts._replace(
                netloc='%s:PASSWORD@%s' % (user.split(':', 1)[0], host)))
    return 'serial-mes serve --database-uri %s --database %s' % (
        shlex.quote(uri), shlex.quote(name))


def cmd_serve(args):
    from . import server
    require_database(args)
    server.serve(args.database, host=args.host, port=args.port)


def _product(pool, code):
    return pool.get('product.product').find_code(code)


def with_service(args, function):
    """Run function(pool) in a session; user errors become CommandError
    and roll the transaction back"""
    from trytond.exceptions import UserError

    from . import database
    require_database(args)
    try:
        return database.run(args.database, function)
    except UserError as exception:
        raise CommandError(exception.message)


def cmd_serial_create(args):
    from .stock import expand_range

    def create(pool):
        Lot = pool.get('stock.lot')
        product = _product(pool, args.product)
        numbers = args.number or None
        if args.range:
            numbers = expand_range(*args.range)
        lots = Lot.create_serials(product, numbers=numbers,
            count=args.count, source='manual')
        return [l.number for l in lots]
    if not (args.number or args.count or args.range):
        raise CommandError("give --count N, --range FROM TO or numbers")
    numbers = with_service(args, create)
    if args.json:
        print_json({'product': args.product, 'created': numbers})
    else:
        print('\n'.join(numbers))


def cmd_serial_show(args):
    def show(pool):
        Lot = pool.get('stock.lot')
        product = _product(pool, args.product) if args.product else None
        lot = Lot.resolve_scan(args.serial, product=product)
        return lot.as_json(events=args.events)
    result = with_service(args, show)
    if args.json:
        print_json(result)
        return
    print_table(None, [(label + ':', value) for label, value in [
                ("Serial", result['number']),
                ("Product", result['product']),
                ("GTIN", result['gtin']),
                ("Status", status_name(result['status'])),
                ("Inventory", result['inventory']),
                ("Location", result['location']),
                ("Holder", result['holder'])]])
    if result['aliases']:
        print("\nAliases:")
        print_table(('Type', 'Value', 'Party', 'Valid from', 'Valid to'), [
                (alias_label(a['type']), a['value'], a['party'],
                    a['valid_from'], a['valid_to'])
                for a in result['aliases']], indent='  ')
    print("\nEvents (newest first):")
    if result['events']:
        print_table(EVENT_HEADERS, event_rows(result['events']),
            indent='  ')
    else:
        print("  none")


def _datetime(value):
    import datetime as dt
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError("%r is not an ISO date-time "
            "(YYYY-MM-DD[THH:MM[:SS]])" % value)
    if moment.tzinfo:
        try:
            moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
        except OverflowError:
            raise CommandError("%r is out of range in UTC" % value)
    return moment


def _date(value):
    import datetime as dt
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError("%r is not an ISO date (YYYY-MM-DD)" % value)


def cmd_trace(args):
    at = _datetime(args.at) if args.at else None

    def trace(pool):
        Lot = pool.get('stock.lot')
        lot = Lot.resolve_scan(args.serial)
        return lot.where_used(at=at) if args.up else lot.as_built(at=at)
    result = with_service(args, trace)
    if args.json:
        print_json(result)
    else:
        print_tree(result, 'parents' if args.up else 'children')


def print_tree(root, key, indent=''):
    "A trace's tree of nodes, each under its parent (or child, for --up)"
    rows = []

    def add(node, depth):
        alias = node.get('original_number')
        rows.append(('  ' * depth + node['serial'], node['product'],
                status_name(node['status']), '%s %s' % (
                    alias_label(node.get('original_number_type')), alias)
                if alias else None))
        for sub in node[key]:
            add(sub, depth + 1)
    add(root, 0)
    print_table(('Serial', 'Product', 'Status', 'Also known as'), rows,
        indent=indent)


def cmd_recall(args):
    from .installation import recall_csv
    from .recall import find_supplier
    received_from = _date(args.received_from) if args.received_from else None
    received_to = _date(args.received_to) if args.received_to else None
    if not args.lot and not args.supplier:
        raise CommandError("give --lot LOT (repeatable) or --supplier")

    def recall(pool):
        Lot = pool.get('stock.lot')
        Installation = pool.get('serial_mes.installation')
        lot_ids = set()
        for code in args.lot or []:
            # a lot's number names every lot of that number; else a scan
            lots = Lot.search([('rec_name', '=', code)]) or [
                Lot.resolve_scan(code)]
            lot_ids.update(l.id for l in lots)
        if args.supplier:
            lot_ids.update(Installation.lots_received(
                    find_supplier(args.supplier), received_from,
                    received_to))
        return Installation.recall(sorted(lot_ids))
    units = with_service(args, recall)
    if args.csv:
        with open(args.csv, 'w', encoding='utf-8', newline='') as file:
            file.write(recall_csv(units))
    if args.json:
        print_json({'count': len(units), 'units': units})
    else:
        print_recall(units)


def print_recall(units, indent=''):
    if not units:
        print(indent + "no unit contains these parts")
        return
    print_table(('Serial', 'Product', 'Status', 'Location', 'Holder',
            'Delivered'), [(u['serial'], u['product'], status_name(
                    u['status']), u['location'], u['holder'], u['delivered'])
            for u in units], indent=indent)


def _read_asn(path):
    from .asn import MAX_SIZE
    return read_file(path, MAX_SIZE)


def cmd_asn_parse(args):
    from .asn import AsnError, parse
    try:
        asn = parse(_read_asn(args.file))
    except AsnError as exception:
        raise CommandError(str(exception))
    result = asn.as_dict()
    if args.json:
        print_json(result)
    else:
        print("%s %s from %s: %d lines, %d serials" % (result['format'],
                result['number'], result['supplier']['name']
                or result['supplier']['gln'], len(result['lines']),
                sum(len(l['serials']) for l in result['lines'])))


def cmd_asn_import(args):
    data = _read_asn(args.file)

    def import_(pool):
        ShipmentIn = pool.get('stock.shipment.in')
        shipment, created = ShipmentIn.import_asn(data,
            os.path.basename(args.file))
        answer = shipment.receipt_status()
        answer['created'] = created
        return answer
    result = with_service(args, import_)
    if args.json:
        print_json(result)
    else:
        shipment = result['shipment']
        print("%s shipment %s for ASN %s from %s" % (
                'created' if result['created'] else 'unchanged',
                shipment['number'], shipment['asn'], shipment['supplier']))
        for line in result['lines']:
            counts = ["%s expected" % line['expected']] if (
                line['expected'] or not line.get('note')) else []
            if line.get('note'):
                counts.append(line['note'])
            print("  %s: %s" % (line['product'], ", ".join(counts)))


SERIAL_HELP = ("serial number, alias, GS1 element string, Digital Link "
    "or EPC")


def build_parser():
    parser = ArgumentParser(prog='serial-mes',
        description="Serial-number track and trace on Tryton.")
    commands = parser.add_subparsers(dest='command', required=True)

    demo = commands.add_parser('demo', help="build and run the demo")
    database_arguments(demo, default_name='demo')
    demo.add_argument('--out', metavar='DIR', type=output_folder,
        help="also write demo-summary.json into DIR")
    demo.add_argument('--admin-password', default='admin')
    demo.set_defaults(func=cmd_demo)

    serve = commands.add_parser('serve',
        help="serve the web client and the shop-floor pages")
    database_arguments(serve, default_name='demo')
    serve.add_argument('--port', type=integer(1, 65535), default=8000)
    serve.add_argument('--host', default='127.0.0.1')
    serve.set_defaults(func=cmd_serve)

    serial = commands.add_parser('serial', help="create and show serials")
    serial_commands = serial.add_subparsers(dest='serial_command',
        required=True)
    create = serial_commands.add_parser('create', help="create serials")
    database_arguments(create, default_name='demo')
    create.add_argument('product', help="product code or GTIN")
    create.add_argument('number', nargs='*',
        help="numbers typed or scanned (default: from the sequence)")
    create.add_argument('--count', type=integer(1, MAX_SERIALS),
        help="serials from the sequence (at most %d)" % MAX_SERIALS)
    create.add_argument('--range', nargs=2, metavar=('FROM', 'TO'))
    create.add_argument('--json', action='store_true')
    create.set_defaults(func=cmd_serial_create)
    show = serial_commands.add_parser('show',
        help="status, location, aliases and last events of a serial")
    database_arguments(show, default_name='demo')
    show.add_argument('serial', help=SERIAL_HELP)
    show.add_argument('--product', help="product code or GTIN")
    show.add_argument('--events', type=integer(0, 100000), default=10)
    show.add_argument('--json', action='store_true')
    show.set_defaults(func=cmd_serial_show)

    trace = commands.add_parser('trace',
        help="as-built tree of a unit, or where a part is used (--up)")
    database_arguments(trace, default_name='demo')
    trace.add_argument('serial', help=SERIAL_HELP)
    trace.add_argument('--up', action='store_true',
        help="where-used: every unit above the part")
    trace.add_argument('--at', metavar='DATETIME',
        help="as it was then (ISO date-time)")
    trace.add_argument('--json', action='store_true')
    trace.set_defaults(func=cmd_trace)

    recall = commands.add_parser('recall',
        help="finished units that contain given lots or serials")
    database_arguments(recall, default_name='demo')
    recall.add_argument('--lot', action='append', metavar='LOT',
        help="lot number, or a serial as " + SERIAL_HELP + " (repeatable)")
    recall.add_argument('--supplier',
        help="supplier's code or name, or their unique beginning")
    recall.add_argument('--received-from', metavar='DATE')
    recall.add_argument('--received-to', metavar='DATE')
    recall.add_argument('--csv', metavar='FILE', type=output_file)
    recall.add_argument('--json', action='store_true')
    recall.set_defaults(func=cmd_recall)

    asn = commands.add_parser('asn', help="advance shipping notices")
    asn_commands = asn.add_subparsers(dest='asn_command', required=True)
    asn_parse = asn_commands.add_parser('parse',
        help="parse an ASN file (DESADV, X12 856, UBL, GS1 XML, CSV)")
    asn_parse.add_argument('file')
    asn_parse.add_argument('--json', action='store_true')
    asn_parse.set_defaults(func=cmd_asn_parse)
    asn_import = asn_commands.add_parser('import',
        help="import an ASN into a supplier shipment")
    database_arguments(asn_import, default_name='demo')
    asn_import.add_argument('file')
    asn_import.add_argument('--json', action='store_true')
    asn_import.set_defaults(func=cmd_asn_import)

    barcode = commands.add_parser('barcode', help="GS1 barcodes")
    barcode_commands = barcode.add_subparsers(dest='barcode_command',
        required=True)
    parse = barcode_commands.add_parser('parse',
        help="interpret a scan: GS1 element string or Digital Link")
    parse.add_argument('text')
    parse.add_argument('--plain', action='store_true',
        help="accept text that is not GS1 as kind 'plain'")
    parse.add_argument('--json', action='store_true')
    parse.set_defaults(func=cmd_barcode_parse)

    # Commands of the other modules (epc, rfid, passport ...): they take
    # the helpers above from this module
    for name in ['serial_mes_rfid', 'serial_mes_passport']:
        try:
            module = importlib.import_module(name + '.cli')
        except ModuleNotFoundError as exception:
            if exception.name != name + '.cli':
                raise
            continue
        module.add_commands(commands)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        _check_arguments(argv)
        args = build_parser().parse_args(argv)
        if hasattr(args, 'database_uri'):
            _configure_database(args)
        args.func(args)
    except CommandError as exception:
        sys.stderr.write('serial-mes: error: %s\n' % one_line(exception))
        return EXIT_BAD_INPUT
    return 0


def one_line(message, limit=2000):
    """message on one line of printable text: the input it names may hold
    anything (terminal escape codes, lone surrogates, megabytes)"""
    text = ''.join(c if c.isprintable() else c.encode(
            'unicode_escape', 'backslashreplace').decode('ascii')
        for c in ' '.join(str(message).split()))
    return text if len(text) <= limit else text[:limit - 3] + '...'




if __name__ == '__main__':
    # python -m runs this file as __main__: hand over to serial_mes.cli,
    # the module the other modules' commands import (one CommandError)
    from serial_mes.cli import main
    sys.exit(main())
