# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Two stations install the same serial into two units at the same moment.

Run by test_concurrency.py against the demo database with the status the
serial is in when scanned: in_stock (installing consumes it, a move that
updates the serial too) or in_wip (already issued to production: only the
row lock serves the stations one after the other). Each station is a
thread with its own transaction (its own database connection); both start
together, and the first holds its transaction open a little while so that
the other really waits on it. Prints a JSON report."""
import json
import os
import sys

from race import race

from serial_mes import database


def main(name, status):
    database.configure()
    with database.session(name) as pool:
        Lot = pool.get('stock.lot')
        Product = pool.get('product.product')
        Location = pool.get('stock.location')
        cpu_product, = Product.search([('code', '=', 'CPU-8C65')])
        board_product, = Product.search([('code', '=', 'MB-B760')])
        warehouse, = Location.search([('type', '=', 'warehouse')], limit=1)
        supplier, = Location.search([('type', '=', 'supplier')], limit=1)
        # a serial of its own, whatever other tests did to the demo's stock
        cpu_number = 'HXC8-RACE-%d-%s' % (os.getpid(), status[3].upper())
        cpu_id, = Lot.receive_serials(cpu_product, [cpu_number],
            warehouse.storage_location, supplier)
        if status == 'in_wip':
            Lot.consume(Lot(cpu_id))
        boards = Lot.search([('product', '=', board_product.id),
                ('status', '=', 'in_stock')], limit=2)
        board_ids = [b.id for b in boards]
    with database.session(name) as pool:
        scanned_status = pool.get('stock.lot')(cpu_id).status

    def install(pool, index):
        Lot = pool.get('stock.lot')
        Installation = pool.get('serial_mes.installation')
        link = Installation.install(Lot(board_ids[index]), Lot(cpu_id),
            source='scan')
        return link.parent.number
    results = race(name, install)

    with database.session(name) as pool:
        Installation = pool.get('serial_mes.installation')
        Lot = pool.get('stock.lot')
        active = Installation.search([('child', '=', cpu_id),
                ('removed_at', '=', None)])
        report = {
            'cpu': cpu_number,
            'scanned_status': scanned_status,
            'results': results,
            'active_links': [l.parent.number for l in active],
            'cpu_status': Lot(cpu_id).status,
            }
    print(json.dumps(report))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
