# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The same ASN imported twice at the same moment (posted by the supplier's
system and uploaded by a clerk, say).

Run by test_concurrency.py against the demo database with the path of an
ASN file: each import is a thread with its own transaction; both start
together and the first holds its transaction open a little while. Prints
a JSON report."""
import json
import sys

from race import race

from serial_mes import database


def main(name, path):
    database.configure()
    with open(path, 'rb') as file:
        data = file.read()
    def import_(pool, index):
        ShipmentIn = pool.get('stock.shipment.in')
        shipment, created = ShipmentIn.import_asn(data, 'asn.xml')
        return {'shipment': shipment.id, 'created': created}
    # each result: what the import answered, or its error
    results = [dict(r.pop('ok', {}), **r) for r in race(name, import_)]

    with database.session(name) as pool:
        ShipmentIn = pool.get('stock.shipment.in')
        Lot = pool.get('stock.lot')
        from serial_mes.asn import parse
        asn = parse(data)
        shipments = ShipmentIn.search([('asn_number', '=', asn.number)])
        serials = [n for l in asn.lines for n in l.serials]
        report = {
            'results': results,
            'shipments': [s.id for s in shipments],
            'moves': sum(len(s.incoming_moves) for s in shipments),
            'serials': Lot.search_count([('number', 'in', serials)]),
            'announced': len(serials),
            }
    print(json.dumps(report))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
