# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What each group may do through the web client's RPC path.

tests/test_access.py walks every row of this table against a served
demo database, one user per group; README.md (section "Access rights")
shows the same table, as markdown() renders it."""

# (column title, names of the res.group the column's user has): each
# Serial MES group alone, Tryton's Stock group alone, and both together as
# warehouse staff have them (opening a shipment takes Tryton's Stock group)
GROUPS = [
    ("No group", ()),
    ("Stock", ("Stock",)),
    ("Warehouse", ("Serial MES Warehouse",)),
    ("Stock + Warehouse", ("Stock", "Serial MES Warehouse")),
    ("Production Operator", ("Serial MES Production Operator",)),
    ("Quality", ("Serial MES Quality",)),
    ("Service", ("Serial MES Service",)),
    ("Administration", ("Serial MES Administration",)),
    ]

# (what, how the test checks it, one cell per group, in the order above)
# model rows: c(reate) r(ead) w(rite) d(elete); field rows: r(ead) w(rite);
# "system event / correction": c(reate); buttons and wizards: x (may run)
TABLE = [
    ("Serial (`stock.lot`)", 'model stock.lot',
        "-  crwd  crw  crwd  crw  r  crw  crw"),
    ("Serial status", 'field stock.lot status',
        "-  r  r  r  r  r  r  r"),
    ("Serial current location", 'field stock.lot current_location',
        "-  r  r  r  r  r  r  r"),
    ("Serial holder", 'field stock.lot holder',
        "-  r  r  r  r  r  r  r"),
    ("Serial number", 'field stock.lot number',
        "-  r  r  r  r  r  r  r"),
    ("Re-serialize (button)", 'button stock.lot reserialize',
        "-  -  -  -  -  -  x  x"),
    ("Product tracking rule", 'field product.template tracking_rule',
        "r  r  r  r  r  r  r  r"),
    ("Category tracking rule", 'field product.category tracking_rule',
        "r  r  r  r  r  r  r  r"),
    ("Tracking rule", 'model serial_mes.tracking.rule',
        "r  r  r  r  r  r  r  crwd"),
    ("Event", 'model serial_mes.event',
        "r  r  cr  cr  cr  cr  cr  crwd"),
    ("System event (source system)", 'event source system',
        "-  -  -  -  -  -  -  c"),
    ("Event correction (corrects)", 'event corrects',
        "-  -  -  -  -  -  -  c"),
    ("Correct Event (button)", 'button serial_mes.event correct',
        "-  -  -  -  -  -  -  x"),
    ("Alias", 'model serial_mes.alias',
        "r  r  crw  crw  r  r  crw  crwd"),
    ("Installation (genealogy link)", 'model serial_mes.installation',
        "r  r  r  r  r  r  r  r"),
    ("Receipt exception", 'model serial_mes.receipt.exception',
        "r  crw  cr  crw  r  r  r  r"),
    ("RFID reader", 'model serial_mes.rfid.reader',
        "r  r  r  r  r  r  r  crwd"),
    ("RFID antenna", 'model serial_mes.rfid.antenna',
        "r  r  r  r  r  r  r  crwd"),
    ("RFID sighting (no RPC)", 'model serial_mes.rfid.sighting',
        "-  -  -  -  -  -  -  -"),
    ("RFID tag to review", 'model serial_mes.rfid.review',
        "r  r  r  r  r  r  r  rd"),
    ("RFID batch", 'model serial_mes.rfid.batch',
        "r  r  r  r  r  r  r  crd"),
    ("Create Serials (wizard)", 'wizard serial_mes.create_serials',
        "-  -  x  x  x  -  x  x"),
    ("Re-serialize (wizard)", 'wizard serial_mes.reserialize',
        "-  -  -  -  -  -  x  x"),
    ("Replace Component (wizard)", 'wizard serial_mes.replace',
        "-  -  -  -  -  -  x  x"),
    ("Correct Event (wizard)", 'wizard serial_mes.event.correct',
        "-  -  -  -  -  -  -  x"),
    ("Recall (wizard)", 'wizard serial_mes.recall',
        "-  -  x  x  x  x  x  x"),
    ("Import ASN (wizard)", 'wizard serial_mes.import_asn',
        "-  -  x  x  -  -  -  x"),
    ("Scan Receipt (wizard)", 'wizard serial_mes.scan_receipt',
        "-  -  -  x  -  -  -  -"),
    ("Number Unlabelled Parts (wizard)", 'wizard serial_mes.receipt_generate',
        "-  -  -  x  -  -  -  -"),
    ("Pair Device (wizard)", 'wizard serial_mes.device.pair',
        "-  -  -  -  -  -  -  x"),
    ]


def rows():
    "(what, check, {group title: set of letters}) for each row"
    for what, check, cells in TABLE:
        cells = cells.split()
        assert len(cells) == len(GROUPS), what
        yield what, check, {
            title: set(cell.strip('-'))
            for (title, _), cell in zip(GROUPS, cells)}


def markdown():
    "The table as README.md shows it"
    lines = [
        '| | ' + ' | '.join(title for title, _ in GROUPS) + ' |',
        '| --- |' + ' :-: |' * len(GROUPS),
        ]
    for what, _, cells in TABLE:
        lines.append('| %s | %s |' % (what, ' | '.join(cells.split())))
    return '\n'.join(lines) + '\n'
