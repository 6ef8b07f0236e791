# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import csv
import datetime as dt
import io
import time

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

from serial_mes.exceptions import InstallationError
from serial_mes.installation import recall_csv

from .tools import create_product, create_rule, locations


def add_bom(product, inputs):
    pool = Pool()
    Bom = pool.get('production.bom')
    ProductBom = pool.get('product.product-production.bom')
    Template = pool.get('product.template')
    Template.write([product.template], {'producible': True})
    bom, = Bom.create([{
                'name': product.rec_name,
                'inputs': [('create', [{
                                'product': p.id, 'quantity': 1,
                                'unit': p.default_uom.id} for p in inputs])],
                'outputs': [('create', [{
                                'product': product.id, 'quantity': 1,
                                'unit': product.default_uom.id}])],
                }])
    ProductBom.create([{'product': product.id, 'bom': bom.id}])
    return bom


def receive(product, *numbers):
    pool = Pool()
    Lot = pool.get('stock.lot')
    loc = locations()
    return Lot.browse(Lot.receive_serials(product, list(numbers),
            loc['storage'], loc['supplier']))


class GenealogyTestCase(_DBTestCase):
    "Genealogy: installation links, trees, where-used, recall, repair"
    module = 'serial_mes'

    def setup_pc(self):
        serial = create_rule("Serial")
        lot = create_rule("Lot", tracking='lot', sequence=False)
        p = {}
        for name in ['pc', 'board', 'cpu', 'ram', 'ssd', 'fan']:
            p[name] = create_product(name.upper(), code=name.upper(),
                rule=serial)
        p['paste'] = create_product("PASTE", code='PASTE', rule=lot)
        add_bom(p['pc'], [p['board'], p['ssd']])
        add_bom(p['board'], [p['cpu'], p['ram'], p['paste']])
        return p

    @with_transaction()
    def test_deep_tree_mixed_lots_and_serials(self):
        "Six levels deep, with a lot among the serials"
        pool = Pool()
        Installation = pool.get('serial_mes.installation')
        Lot = pool.get('stock.lot')
        with set_company(create_company()):
            rule = create_rule()
            levels = [create_product("L%d" % i, code='L%d' % i, rule=rule)
                for i in range(6)]
            for upper, lower in zip(levels, levels[1:]):
                add_bom(upper, [lower])
            serials = [receive(p, 'S%d' % i)[0]
                for i, p in enumerate(levels)]
            paste = create_product("PASTE", code='PASTE',
                rule=create_rule("Lot", tracking='lot', sequence=False))
            paste_lot, = Lot.create([{'product': paste.id,
                        'number': 'PASTE-LOT-1'}])
            for upper, lower in zip(serials, serials[1:]):
                Installation.install(upper, lower)
            Installation.install(serials[4], paste_lot, quantity=2.5,
                override_reason="thermal paste, not in BOM")

            rows = Installation.tree_rows(serials[0].id)
            self.assertEqual(max(r[3] for r in rows), 5)
            self.assertEqual(len(rows), 6)
            tree = serials[0].as_built()
            depth, node = 0, tree
            while node['children']:
                node = [c for c in node['children']
                    if c['serial'].startswith('S')][0]
                depth += 1
            self.assertEqual((depth, node['serial']), (5, 'S5'))
            for serial in serials[1:]:
                self.assertEqual(serial.status, 'installed')
                self.assertEqual(serial.inventory, 'snii')
            self.assertEqual(serials[5].installed_in, serials[4])

            up = paste_lot.where_used()
            chain = []
            while up['parents']:
                up = up['parents'][0]
                chain.append(up['serial'])
            self.assertEqual(chain, ['S4', 'S3', 'S2', 'S1', 'S0'])
            self.assertEqual(
                [r['serial'] for r in Installation.recall([paste_lot.id])],
                ['S0'])
            link, = [l for l in serials[4].components if l.child == paste_lot]
            self.assertEqual((link.quantity, link.serial, link.bom_override),
                (2.5, False, True))

    @with_transaction()
    def test_refusals_cycle_double_self(self):
        pool = Pool()
        Installation = pool.get('serial_mes.installation')
        with set_company(create_company()):
            p = self.setup_pc()
            pc1, pc2 = receive(p['pc'], 'PC1', 'PC2')
            board, = receive(p['board'], 'B1')
            cpu, = receive(p['cpu'], 'C1')
            Installation.install(pc1, board)
            Installation.install(board, cpu)
            with self.assertRaisesRegex(InstallationError, 'already installed'):
                Installation.install(pc2, board)
            with self.assertRaisesRegex(InstallationError, 'cycle'):
                Installation.install(cpu, pc1, override_reason="test")
            with self.assertRaisesRegex(InstallationError, 'itself'):
                Installation.install(pc2, pc2, override_reason="test")
            # the status in words (issue 14 item 4)
            Lot = pool.get('stock.lot')
            announced, = Lot.create_serials(p['board'], numbers=['B9'])
            with self.assertRaisesRegex(InstallationError,
                    'its status is Expected,'):
                Installation.install(pc2, announced)
            self.assertEqual(Installation.search_count([]), 2)
            with self.assertRaises(InstallationError):
                Installation.delete(Installation.search([]))
            with self.assertRaises(InstallationError):
                Installation.write(Installation.search([]),
                    {'quantity': 2})

    @with_transaction()
    def test_bom_check_and_override(self):
        pool = Pool()
        Installation = pool.get('serial_mes.installation')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            p = self.setup_pc()
            pc, = receive(p['pc'], 'PC1')
            fan1, fan2 = receive(p['fan'], 'F1', 'F2')
            with self.assertRaisesRegex(InstallationError, 'not an input'):
                Installation.install(pc, fan1)
            operator, = User.create([{'name': "Op", 'login': 'op',
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'groups': [('add', [ModelData.get_id('serial_mes',
                                            'group_serial_mes_operator')])],
                        }])
            with Transaction().set_user(operator.id):
                with self.assertRaisesRegex(InstallationError, 'Only'):
                    Installation.install(pc, fan1,
                        override_reason="extra cooling")
            link = Installation.install(pc, fan2,
                override_reason="extra cooling")
            self.assertEqual(link.override_reason, "extra cooling")
            self.assertEqual(fan1.status, 'in_stock')
            self.assertEqual(fan2.status, 'installed')

    @with_transaction()
    def test_replacement_keeps_history_and_past_trees(self):
        pool = Pool()
        Installation = pool.get('serial_mes.installation')
        Alias = pool.get('serial_mes.alias')
        with set_company(create_company()):
            p = self.setup_pc()
            loc = locations()
            pc, = receive(p['pc'], 'PC1')
            old, new = receive(p['ssd'], 'SSD-OLD', 'SSD-NEW')
            Alias.create([{'lot': old.id, 'type': 'supplier',
                        'value': 'KS-998877'}])
            link = Installation.install(pc, old)
            before = dt.datetime.now()
            time.sleep(0.01)
            new_link = Installation.replace(link, new, 'defective',
                note="SMART errors", scrap=True)
            after = dt.datetime.now()

            self.assertEqual(link.replaced_by, new_link)
            self.assertEqual(link.removal_reason, 'defective')
            self.assertEqual(old.status, 'scrapped')
            self.assertEqual(new.status, 'installed')
            self.assertEqual([c['serial'] for c in
                    pc.as_built(at=before)['children']], ['SSD-OLD'])
            now = pc.as_built(at=after)['children']
            self.assertEqual([c['serial'] for c in now], ['SSD-NEW'])
            self.assertEqual(now[0]['replaces'], 'SSD-OLD')
            self.assertEqual(pc.as_built(at=before)['children'][0][
                    'original_number'], 'KS-998877')
            # a past tree shows the statuses of that time, from the events
            self.assertEqual(pc.as_built(at=before)['children'][0]['status'],
                'installed')
            self.assertEqual(now[0]['status'], 'installed')
            self.assertEqual(old.where_used(at=before)['status'], 'installed')
            self.assertEqual(old.where_used()['status'], 'scrapped')
            self.assertEqual(Installation.statuses_at([old.id, new.id],
                    before), {old.id: 'installed', new.id: 'in_stock'})
            self.assertEqual(Installation.statuses_at([old.id, new.id],
                    after), {old.id: 'scrapped', new.id: 'installed'})
            # the new part is consumed, then fitted; the old one removed,
            # then scrapped
            self.assertEqual([e.status_to for e in new.events[:2]],
                ['installed', 'in_wip'])
            self.assertEqual([e.status_to for e in old.events[:2]],
                ['scrapped', 'in_wip'])
            self.assertIn('repairing', [e.biz_step for e in pc.events])
            with self.assertRaisesRegex(InstallationError, 'already removed'):
                Installation.remove(link, 'other')

            # remove back to stock
            Installation.remove(new_link, 'upgrade',
                location=loc['storage'])
            self.assertEqual((new.status, new.current_location),
                ('in_stock', loc['storage']))
            self.assertEqual(pc.components, ())

    @with_transaction()
    def test_production_done_links_inputs(self):
        pool = Pool()
        Production = pool.get('production')
        Move = pool.get('stock.move')
        Lot = pool.get('stock.lot')
        company = create_company()
        with set_company(company):
            p = self.setup_pc()
            loc = locations()
            cpu, = receive(p['cpu'], 'C1')
            ram, = receive(p['ram'], 'R1')
            unit, = Lot.create_serials(p['board'], numbers=['B1'])
            production = self.production(p['board'], [cpu, ram], [unit],
                company, loc)
            Production.wait([production])
            Production.assign_force([production])
            Production.run([production])
            Production.do([production])
            self.assertEqual(sorted(c.child.number for c in unit.components),
                ['C1', 'R1'])
            self.assertEqual(cpu.status, 'installed')
            self.assertEqual(unit.status, 'in_stock')
            self.assertTrue(all(c.production == production
                    for c in unit.components))
            del Move

    def production(self, product, inputs, outputs, company, loc):
        pool = Pool()
        Production = pool.get('production')
        Move = pool.get('stock.move')
        warehouse = loc['warehouse']
        production = Production(product=product, quantity=len(outputs),
            unit=product.default_uom, warehouse=warehouse,
            location=warehouse.production_location, company=company)
        production.inputs = [Move(product=l.product, lot=l, quantity=1,
                unit=l.product.default_uom,
                from_location=l.current_location,
                to_location=warehouse.production_location,
                company=company) for l in inputs]
        production.outputs = [Move(product=product, lot=l, quantity=1,
                unit=product.default_uom,
                from_location=warehouse.production_location,
                to_location=loc['storage'], company=company,
                unit_price=0, currency=company.currency) for l in outputs]
        production.save()
        return production

    @with_transaction()
    def test_multi_output_production_needs_assignment(self):
        pool = Pool()
        Production = pool.get('production')
        Move = pool.get('stock.move')
        Lot = pool.get('stock.lot')
        company = create_company()
        with set_company(company):
            p = self.setup_pc()
            loc = locations()
            c1, c2 = receive(p['cpu'], 'C1', 'C2')
            u1, u2 = Lot.create_serials(p['board'], numbers=['B1', 'B2'])
            production = self.production(p['board'], [c1, c2], [u1, u2],
                company, loc)
            Production.wait([production])
            Production.assign_force([production])
            Production.run([production])
            with self.assertRaisesRegex(InstallationError, 'assign input'):
                Production.do([production])
            self.assertEqual(Production(production.id).state, 'running')
            first, second = sorted(production.inputs,
                key=lambda m: m.lot.number)
            Move.write([first], {'unit_lot': u2.id})
            Move.write([second], {'unit_lot': u1.id})
            Production.do([Production(production.id)])
            self.assertEqual([c.child for c in u1.components], [c2])
            self.assertEqual([c.child for c in u2.components], [c1])

    @with_transaction()
    def test_recall_by_lot_and_by_supplier_with_csv(self):
        pool = Pool()
        Installation = pool.get('serial_mes.installation')
        Party = pool.get('party.party')
        ShipmentIn = pool.get('stock.shipment.in')
        Move = pool.get('stock.move')
        Lot = pool.get('stock.lot')
        company = create_company()
        with set_company(company):
            p = self.setup_pc()
            loc = locations()
            supplier, = Party.create([{'name': "Helix"}])
            cpus = Lot.create_serials(p['cpu'], numbers=['C1', 'C2', 'C3'])
            shipment = ShipmentIn(supplier=supplier,
                warehouse=loc['warehouse'], company=company,
                incoming_moves=[Move(product=p['cpu'], lot=c, quantity=1,
                        unit=p['cpu'].default_uom,
                        from_location=loc['supplier'],
                        to_location=loc['input'], unit_price=1,
                        currency=company.currency, company=company)
                    for c in cpus])
            shipment.on_change_warehouse()
            shipment.save()
            ShipmentIn.receive([shipment])
            ShipmentIn.do([shipment])
            pcs = receive(p['pc'], 'PC1', 'PC2')
            boards = receive(p['board'], 'B1', 'B2')
            for pc, board, cpu in zip(pcs, boards, cpus):
                Installation.install(board, Lot(cpu.id))
                Installation.install(pc, board)
            # C3 is still in stock: it is its own "unit"
            lots = Installation.lots_received(supplier)
            self.assertEqual(sorted(Lot(l).number for l in lots),
                ['C1', 'C2', 'C3'])
            self.assertEqual(Installation.lots_received(supplier,
                    date_to=dt.date.today() - dt.timedelta(days=1)), [])
            result = Installation.recall(lots)
            self.assertEqual(sorted(r['serial'] for r in result),
                ['C3', 'PC1', 'PC2'])
            self.assertEqual([r['serial'] for r in Installation.recall(
                        [cpus[0].id])], ['PC1'])
            parsed = list(csv.DictReader(io.StringIO(recall_csv(result))))
            self.assertEqual(sorted(r['serial'] for r in parsed),
                ['C3', 'PC1', 'PC2'])
            self.assertEqual({r['status'] for r in parsed}, {'in_stock'})

    @with_transaction()
    def test_events_name_their_counterpart(self):
        "Fitting and removal events say what was fitted, into what, where"
        pool = Pool()
        Installation = pool.get('serial_mes.installation')
        Lot = pool.get('stock.lot')
        with set_company(create_company()):
            p = self.setup_pc()
            loc = locations()
            pc, = receive(p['pc'], 'PC1')
            board, = receive(p['board'], 'B1')
            link = Installation.install(pc, board)
            pc, board = Lot(pc.id), Lot(board.id)
            fitted, = [e for e in pc.events if e.biz_step == 'assembling']
            self.assertEqual(fitted.description, 'fitted BOARD B1')
            self.assertEqual((fitted.status_from, fitted.status_to,
                    fitted.location), ('in_stock', 'in_stock',
                    loc['storage']))
            part = board.events[0]
            self.assertEqual(part.description, 'fitted into PC1')
            self.assertEqual((part.status_to, part.location),
                ('installed', loc['storage']))

            Installation.remove(link, 'defective', location=loc['storage'])
            pc, board = Lot(pc.id), Lot(board.id)
            removed, = [e for e in pc.events if e.biz_step == 'removing']
            self.assertEqual(removed.description,
                'removed BOARD B1 (defective)')
            self.assertEqual(removed.status_to, 'in_stock')
            taken, = [e for e in board.events if e.biz_step == 'removing']
            self.assertEqual(taken.description,
                'removed from PC1 (defective)')
            self.assertEqual((taken.status_from, taken.status_to,
                    taken.location), ('installed', 'in_wip',
                    loc['storage']))
            self.assertEqual(board.as_json()['events'][0]['description'],
                'In Stock at %s' % loc['storage'].rec_name)


del _DBTestCase
