#!/usr/bin/env python3
# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Serial status at scale, on PostgreSQL.

Creates SERIALS serials with their done receipt moves through the service
layer (Lot.receive_serials, plus Lot.create_serials for the expected
ones), then prints: serials created per second, and the median time to
count SII vs SNII per product and to list one page of in-stock serials of
one product. Figures are printed, never asserted.

    .venv/bin/python tests/bench/bench_status.py [--serials 100000]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))))


def median_ms(function, runs=20):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--serials', type=int, default=100000)
    parser.add_argument('--products', type=int, default=10)
    parser.add_argument('--batch', type=int, default=5000)
    parser.add_argument('--database', default='serial_mes_bench')
    parser.add_argument('--database-uri', default='postgresql:///')
    args = parser.parse_args()

    from serial_mes import database
    database.configure(args.database_uri)
    from trytond.transaction import Transaction

    from common import fresh_database

    fresh_database(args.database, ['serial_mes'])

    with database.session(args.database) as pool:
        from serial_mes.tests.tools import create_product, create_rule
        rule = create_rule("Bench serial")
        product_ids = [create_product("Part %d" % i, code='P%02d' % i,
                rule=rule).id for i in range(args.products)]
        Location = pool.get('stock.location')
        supplier, = Location.search([('type', '=', 'supplier')], limit=1)
        warehouse, = Location.search([('type', '=', 'warehouse')], limit=1)
        storage_id = warehouse.storage_location.id
        supplier_id = supplier.id

    expected = args.serials // 10
    received = args.serials - expected
    per_product = received // args.products
    start = time.perf_counter()
    for index, product_id in enumerate(product_ids):
        for offset in range(0, per_product, args.batch):
            count = min(args.batch, per_product - offset)
            with database.session(args.database) as pool:
                Lot = pool.get('stock.lot')
                Product = pool.get('product.product')
                Location = pool.get('stock.location')
                Lot.receive_serials(Product(product_id),
                    ['R%02d-%07d' % (index, offset + i)
                        for i in range(count)],
                    Location(storage_id), Location(supplier_id))
    receive_time = time.perf_counter() - start
    receive_count = per_product * args.products

    start = time.perf_counter()
    per_product_expected = expected // args.products
    for index, product_id in enumerate(product_ids):
        with database.session(args.database) as pool:
            Lot = pool.get('stock.lot')
            Product = pool.get('product.product')
            Lot.create_serials(Product(product_id),
                numbers=['E%02d-%07d' % (index, i)
                    for i in range(per_product_expected)])
    create_time = time.perf_counter() - start
    create_count = per_product_expected * args.products

    with database.session(args.database) as pool:
        cursor = Transaction().connection.cursor()
        cursor.execute('ANALYZE')
    with database.session(args.database, readonly=True) as pool:
        Lot = pool.get('stock.lot')
        total = Lot.search_count([])
        counts = Lot.count_by_inventory()
        count_ms = median_ms(lambda: Lot.count_by_inventory())
        product_id = product_ids[len(product_ids) // 2]
        count_one_ms = median_ms(lambda: (
                Lot.search_count([('product', '=', product_id),
                        ('inventory', '=', 'sii')]),
                Lot.search_count([('product', '=', product_id),
                        ('inventory', '=', 'snii')])))

        offset = min(1000, per_product // 2)

        def page():
            lots = Lot.search([
                    ('product', '=', product_id),
                    ('status', '=', 'in_stock'),
                    ], offset=offset, limit=50, order=[('number', 'ASC')])
            return Lot.read([l.id for l in lots],
                ['number', 'status', 'current_location.rec_name'])
        assert len(page()) == 50
        page_ms = median_ms(page)

    print("serials in database: %d (%d products)" % (total, len(counts)))
    print("receipt (serial + done receipt move + 2 events, "
        "Lot.receive_serials): %d in %.1f s = %.0f serials/s" % (
            receive_count, receive_time, receive_count / receive_time))
    print("creation of expected serials (Lot.create_serials): "
        "%d in %.1f s = %.0f serials/s" % (
            create_count, create_time, create_count / create_time))
    overall = (receive_count + create_count) / (receive_time + create_time)
    print("all serials through the service layer: %.0f serials/s" % overall)
    print("count SII vs SNII for every product (one grouped query): "
        "median %.1f ms, max %.1f ms" % count_ms)
    print("count SII and SNII of one product (ORM search_count x2): "
        "median %.1f ms, max %.1f ms" % count_one_ms)
    print("list one page (50) of in-stock serials of one product, "
        "offset %d, with location names: median %.1f ms, max %.1f ms"
        % ((offset,) + page_ms))


if __name__ == '__main__':
    main()
