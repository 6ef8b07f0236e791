# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Two stations install the same serial into two units at the same moment.

Run by test_concurrency.py against the demo database: each station is a
thread with its own transaction (its own database connection); both start
together, and the first holds its transaction open a little while so that
the other really waits on it. Prints a JSON report."""
import json
import sys

from race import race

from serial_mes import database


def main(name):
    database.configure()
    with database.session(name) as pool:
        Lot = pool.get('stock.lot')
        Product = pool.get('product.product')
        cpu_product, = Product.search([('code', '=', 'CPU-8C65')])
        board_product, = Product.search([('code', '=', 'MB-B760')])
        cpu = Lot.search([('product', '=', cpu_product.id),
                ('status', '=', 'in_stock')], limit=1)[0]
        boards = Lot.search([('product', '=', board_product.id),
                ('status', '=', 'in_stock')], limit=2)
        cpu_id, board_ids = cpu.id, [b.id for b in boards]
        cpu_number = cpu.number

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
            'results': results,
            'active_links': [l.parent.number for l in active],
            'cpu_status': Lot(cpu_id).status,
            }
    print(json.dumps(report))


if __name__ == '__main__':
    main(sys.argv[1])
