#!/usr/bin/env python3
# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Genealogy at scale, on PostgreSQL: ours against Tryton's own lot traces.

Builds UNITS finished units, four levels deep (unit > 3 modules > 3 boards
each > 2 chips each: 30 serialized parts per unit), with the rows the
services write for them: serials, done receipt and production moves, done
productions (inputs and outputs, as core Tryton records them), and
genealogy links. The rows are written with COPY for speed (no events).

Then prints the median over RUNS runs of: the as-built tree of one unit,
the where-used chain of one leaf part and the recall of a 100-lot supplier
batch, answered by serial_mes (one recursive query each) and by following
core Tryton's stock.lot.trace upward/downward (the way its client expands
them), with the ratio. Figures are printed, never asserted.

    .venv/bin/python tests/bench/bench_genealogy.py [--units 10000]
"""
import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))))

SHAPE = [('UNIT', 1), ('MOD', 3), ('BRD', 3), ('CHIP', 2)]


def median_ms(function, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def template_row(Model, **values):
    "A row as the ORM would save it: defaults, then the given values"
    record = Model(**Model.default_get(list(Model._fields),
            with_rec_name=False))
    for name, value in values.items():
        setattr(record, name, value)
    row = record._save_values()
    row['create_uid'] = 1
    row['create_date'] = dt.datetime.now()
    return row


def next_ids(cursor, table, count):
    cursor.execute("SELECT nextval('%s_id_seq') FROM generate_series(1, %%s)"
        % table, (count,))
    return [r[0] for r in cursor]


class Builder:
    def __init__(self, pool, products, locations, company):
        from serial_mes import bulk
        self.bulk = bulk
        self.pool = pool
        self.products = products
        self.loc = locations
        self.company = company
        Move = pool.get('stock.move')
        Production = pool.get('production')
        Lot = pool.get('stock.lot')
        Installation = pool.get('serial_mes.installation')
        today = dt.date.today()
        self.today = today
        unit = products['UNIT'].default_uom
        self.move_row = template_row(Move, product=products['CHIP'],
            unit=unit, quantity=1, from_location=locations['storage'],
            to_location=locations['production'], company=company,
            effective_date=today, state='done')
        self.move_row.update({'internal_quantity': 1.0, 'state': 'done'})
        self.move_columns = [c for c in bulk.stored_columns(Move,
                self.move_row) if c not in {'id', 'product', 'lot',
                'from_location', 'to_location', 'production_input',
                'production_output', 'unit_price', 'currency'}]
        self.production_row = template_row(Production,
            product=products['UNIT'], unit=unit, quantity=1,
            location=locations['production'],
            warehouse=locations['warehouse'], company=company,
            state='done', effective_date=today, planned_date=today)
        self.production_columns = [c for c in bulk.stored_columns(
                Production, self.production_row)
            if c not in {'id', 'product', 'number'}]
        self.lot_row = template_row(Lot, product=products['CHIP'],
            unit=unit, unit_quantity=1, status='installed')
        self.lot_columns = [c for c in bulk.stored_columns(Lot,
                self.lot_row) if c not in {'id', 'product', 'number',
                'status', 'current_location'}]
        self.link_row = {'quantity': 1.0, 'serial': True,
            'company': company.id, 'create_uid': 1,
            'create_date': dt.datetime.now(), 'bom_override': False}
        self.Models = Move, Production, Lot, Installation

    def build(self, first, count):
        from trytond.transaction import Transaction
        Move, Production, Lot, Installation = self.Models
        cursor = Transaction().connection.cursor()
        lots, productions, moves, links = [], [], [], []
        per_unit = sum(1 for _ in self._nodes(0))
        lot_ids = iter(next_ids(cursor, 'stock_lot', per_unit * count))
        production_count = 13 * count
        production_ids = iter(next_ids(cursor, 'production',
                production_count))
        now = dt.datetime.now()
        loc = self.loc
        for u in range(first, first + count):
            ids = {}
            for path, kind in self._nodes(u):
                ids[path] = next(lot_ids)
                status = 'in_stock' if kind == 'UNIT' else 'installed'
                lots.append((ids[path], kind, '%s-%s' % (kind, path),
                        status))
            for path, kind in self._nodes(u):
                if kind == 'CHIP':
                    moves.append((kind, ids[path], loc['supplier'],
                            loc['storage'], None, None))
                    continue
                production_id = next(production_ids)
                productions.append((production_id, kind,
                        'MO-%s' % path))
                moves.append((kind, ids[path], loc['production'],
                        loc['storage'], None, production_id))
                for child_path, child_kind in self._children(path, kind):
                    moves.append((child_kind, ids[child_path],
                            loc['storage'], loc['production'],
                            production_id, None))
                    links.append((ids[path], ids[child_path], child_kind,
                            production_id))
        bulk = self.bulk
        bulk.insert(Lot, ['id', 'product', 'number', 'status']
            + self.lot_columns,
            [[i, self.products[k].id, n, s]
                + [self.lot_row[c] for c in self.lot_columns]
                for i, k, n, s in lots])
        bulk.insert(Production, ['id', 'product', 'number']
            + self.production_columns,
            [[i, self.products[k].id, n]
                + [self.production_row[c] for c in self.production_columns]
                for i, k, n in productions])
        bulk.insert(Move, ['product', 'lot', 'from_location', 'to_location',
                'production_input', 'production_output']
            + self.move_columns,
            [[self.products[k].id, lot, f.id, t.id, pi, po]
                + [self.move_row[c] for c in self.move_columns]
                for k, lot, f, t, pi, po in moves])
        link_columns = sorted(self.link_row)
        bulk.insert(Installation, ['parent', 'child', 'product',
                'production', 'installed_at'] + link_columns,
            [[p, c, self.products[k].id, prod, now]
                + [self.link_row[x] for x in link_columns]
                for p, c, k, prod in links])
        return len(lots), len(moves), len(links)

    def _nodes(self, unit):
        "(path, kind) of every lot of one unit, parents first"
        stack = [('U%06d' % unit, 0)]
        while stack:
            path, level = stack.pop(0)
            yield path, SHAPE[level][0]
            if level + 1 < len(SHAPE):
                for i in range(SHAPE[level + 1][1]):
                    stack.append(('%s.%d' % (path, i), level + 1))

    def _children(self, path, kind):
        level = [k for k, _ in SHAPE].index(kind)
        next_kind, count = SHAPE[level + 1]
        return [('%s.%d' % (path, i), next_kind) for i in range(count)]


def core_downward(Trace, lot_id):
    "The as-built tree the core way: expand downward traces level by level"
    start = Trace.search([('lot', '=', lot_id),
            ('production_output', '!=', None)])
    seen, frontier, lots = set(), [t.id for t in start], set()
    while frontier:
        traces = Trace.browse(frontier)
        frontier = []
        for trace in traces:
            lots.add(trace.lot.id)
            for down in trace.downward_traces:
                if down.id not in seen:
                    seen.add(down.id)
                    frontier.append(down.id)
    return lots


def core_upward(Trace, lot_ids):
    "Where-used / recall the core way: expand upward traces to the top"
    start = Trace.search([('lot', 'in', list(lot_ids))])
    seen, frontier, tops = set(), [t.id for t in start], set()
    while frontier:
        traces = Trace.browse(frontier)
        frontier = []
        for trace in traces:
            ups = trace.upward_traces
            if not ups:
                tops.add(trace.lot.id)
            for up in ups:
                if up.id not in seen:
                    seen.add(up.id)
                    frontier.append(up.id)
    return tops


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--units', type=int, default=10000)
    parser.add_argument('--batch', type=int, default=500)
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--core-runs', type=int, default=5)
    parser.add_argument('--database', default='serial_mes_bench_genealogy')
    parser.add_argument('--database-uri', default='postgresql:///')
    parser.add_argument('--reuse', action='store_true',
        help="query the database built by an earlier run")
    args = parser.parse_args()

    from serial_mes import database
    database.configure(args.database_uri)
    if not (args.reuse and database.exists(args.database)):
        build(args)
    query(args)


def build(args):
    from serial_mes import database
    from trytond.transaction import Transaction

    from common import fresh_database

    fresh_database(args.database, ['serial_mes'])

    with database.session(args.database) as pool:
        from serial_mes.tests.tools import create_product, create_rule
        rule = create_rule("Bench serial")
        product_ids = {kind: create_product(kind, code=kind, rule=rule).id
            for kind, _ in SHAPE}
        Location = pool.get('stock.location')
        warehouse, = Location.search([('type', '=', 'warehouse')], limit=1)
        location_ids = {
            'warehouse': warehouse.id,
            'storage': warehouse.storage_location.id,
            'production': warehouse.production_location.id,
            'supplier': Location.search([('type', '=', 'supplier')])[0].id,
            }

    start = time.perf_counter()
    totals = [0, 0, 0]
    for first in range(0, args.units, args.batch):
        with database.session(args.database) as pool:
            Product = pool.get('product.product')
            Location = pool.get('stock.location')
            Company = pool.get('company.company')
            builder = Builder(pool,
                {k: Product(i) for k, i in product_ids.items()},
                {k: Location(i) for k, i in location_ids.items()},
                Company(Transaction().context['company']))
            counts = builder.build(first, min(args.batch, args.units - first))
            totals = [a + b for a, b in zip(totals, counts)]
    print("built %d units: %d serials, %d moves, %d links in %.0f s" % (
            args.units, totals[0], totals[1], totals[2],
            time.perf_counter() - start))
    with database.session(args.database) as pool:
        Transaction().connection.cursor().execute('ANALYZE')


def query(args):
    from serial_mes import database
    random.seed(7)
    with database.session(args.database, readonly=True) as pool:
        Lot = pool.get('stock.lot')
        Installation = pool.get('serial_mes.installation')
        Trace = pool.get('stock.lot.trace')
        unit_numbers = ['UNIT-U%06d' % random.randrange(args.units)
            for _ in range(args.runs)]
        units = [Lot.search([('number', '=', n)])[0].id
            for n in unit_numbers]
        leaves = [Lot.search([('number', '=', 'CHIP-%s.1.2.1' % n[5:])])[0].id
            for n in unit_numbers]
        first_chip = Lot.search([('number', '=', 'CHIP-U%06d.0.0.0' % (
                        args.units // 2))])[0].id
        # a supplier batch: 100 chips received together
        batch = [l.id for l in Lot.search([
                    ('id', '>=', first_chip),
                    ('product.code', '=', 'CHIP'),
                    ], order=[('id', 'ASC')], limit=100)]
        assert len(batch) == 100

        def cycle(values):
            iterator = iter(values * 1000)
            return lambda: next(iterator)
        next_unit, next_leaf = cycle(units), cycle(leaves)

        figures = []
        ours = median_ms(lambda: Installation.tree_rows(next_unit()),
            args.runs)
        assert len(Installation.tree_rows(units[0])) == 30
        core = median_ms(lambda: core_downward(Trace, next_unit()),
            args.core_runs)
        assert len(core_downward(Trace, units[0])) == 31
        figures.append(("as-built tree of one unit (30 parts)", ours, core))

        ours = median_ms(lambda: Installation.ancestor_rows([next_leaf()]),
            args.runs)
        assert len(Installation.ancestor_rows([leaves[0]])) == 3
        core = median_ms(lambda: core_upward(Trace, [next_leaf()]),
            args.core_runs)
        assert core_upward(Trace, [leaves[0]]) == {units[0]}
        figures.append(("where-used of one leaf part", ours, core))

        ours = median_ms(lambda: Installation.top_level_rows(batch),
            args.runs)
        ours_units = {r[0] for r in Installation.top_level_rows(batch)}
        core = median_ms(lambda: core_upward(Trace, batch), args.core_runs)
        assert core_upward(Trace, batch) == ours_units
        figures.append(("recall of a 100-lot batch (%d units)"
                % len(ours_units), ours, core))

    print("medians: serial_mes over %d runs, core stock.lot.trace over %d "
        "runs (with the stock_move.lot index serial_mes adds)"
        % (args.runs, args.core_runs))
    for name, ours, core in figures:
        print("%-42s serial_mes %8.2f ms   core %9.1f ms   %6.0fx" % (
                name, ours, core, core / ours))


if __name__ == '__main__':
    main()
