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
import threading
import time

from serial_mes import database


def main(name, path):
    database.configure()
    with open(path, 'rb') as file:
        data = file.read()
    barrier = threading.Barrier(2)
    results = {}

    def dock(index):
        attempts = []

        def import_(pool):
            ShipmentIn = pool.get('stock.shipment.in')
            attempts.append(time.monotonic())
            if len(attempts) == 1:
                barrier.wait()
            shipment, created = ShipmentIn.import_asn(data, 'asn.xml')
            time.sleep(0.5)
            return {'shipment': shipment.id, 'created': created}
        try:
            results[index] = database.run(name, import_)
        except Exception as exception:
            results[index] = {
                'error': type(exception).__name__,
                'message': getattr(exception, 'message', str(exception)),
                }
        results[index]['attempts'] = len(attempts)

    threads = [threading.Thread(target=dock, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with database.session(name) as pool:
        ShipmentIn = pool.get('stock.shipment.in')
        Lot = pool.get('stock.lot')
        from serial_mes.asn import parse
        asn = parse(data)
        shipments = ShipmentIn.search([('asn_number', '=', asn.number)])
        serials = [n for l in asn.lines for n in l.serials]
        report = {
            'results': [results[0], results[1]],
            'shipments': [s.id for s in shipments],
            'moves': sum(len(s.incoming_moves) for s in shipments),
            'serials': Lot.search_count([('number', 'in', serials)]),
            'announced': len(serials),
            }
    print(json.dumps(report))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
