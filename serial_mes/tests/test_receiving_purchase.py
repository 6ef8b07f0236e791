# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"ASN lines matched to purchase order lines (serial_mes with purchase)"
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

from serial_mes.exceptions import ReceivingError

from .test_receiving import sample
from .tools import asteria, create_product, receiving_counts

UBL = 'ubl_despatch_advice.xml'  # orders PO-2024-0822 lines 10 and 30


class ReceivingPurchaseTestCase(_DBTestCase):
    "ASN import against purchase orders"
    module = 'serial_mes'
    extras = ['purchase']

    def setup_asteria(self):
        board, case, supplier = asteria()
        screw = create_product("Screw", code='SCR')
        self.purchasable(board, case, screw)
        return board, case, screw, supplier

    @staticmethod
    def purchasable(*products):
        pool = Pool()
        Template = pool.get('product.template')
        Template.write([p.template for p in products], {
                'purchasable': True,
                'purchase_uom': products[0].default_uom.id,
                })

    def purchase(self, supplier, lines, number='PO-2024-0822',
            state='processing'):
        "A purchase order, processed so that its lines await delivery"
        pool = Pool()
        Purchase = pool.get('purchase.purchase')
        purchase, = Purchase.create([{
                    'party': supplier.id,
                    'number': number,
                    'invoice_address': supplier.addresses[0].id,
                    'invoice_method': 'manual',
                    'lines': [('create', [{
                                    'product': product.id,
                                    'quantity': quantity,
                                    'unit': product.default_uom.id,
                                    'unit_price': Decimal('42'),
                                    } for product, quantity in lines])],
                    }])
        if state != 'draft':
            Purchase.quote([purchase])
            Purchase.confirm([purchase])
            Purchase.process([purchase])
        return Purchase(purchase.id)

    @staticmethod
    def order_shipment(purchase):
        "A supplier shipment of the purchase's moves, as a clerk makes it"
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        shipment = ShipmentIn(supplier=purchase.party,
            warehouse=purchase.warehouse, company=purchase.company,
            incoming_moves=[m for l in purchase.lines for m in l.moves])
        shipment.on_change_warehouse()
        shipment.save()
        return shipment

    @staticmethod
    def pending(purchase_line):
        "The quantity still to deliver: the unshipped draft moves"
        return sum(m.quantity for m in purchase_line.moves
            if m.state == 'draft' and not m.shipment)

    def counts(self):
        return receiving_counts()

    @with_transaction()
    def test_asn_delivers_purchase_lines(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        PurchaseLine = pool.get('purchase.line')
        with set_company(create_company()):
            board, case, screw, supplier = self.setup_asteria()
            purchase = self.purchase(supplier,
                [(board, 10), (screw, 100), (case, 6)])
            board_line, screw_line, case_line = purchase.lines
            self.assertEqual(self.pending(board_line), 10)

            shipment, _ = ShipmentIn.import_asn(sample(UBL))

            by_product = {}
            for move in shipment.incoming_moves:
                by_product.setdefault(move.product, set()).add(
                    (move.origin, move.unit_price))
            self.assertEqual(by_product, {
                    board: {(board_line, Decimal('42'))},
                    case: {(case_line, Decimal('42'))},
                    })
            board_line, case_line = PurchaseLine.browse(
                [board_line.id, case_line.id])
            # 6 of 10 boards on their way: 4 remain to deliver
            self.assertEqual(self.pending(board_line), 4)
            self.assertEqual(self.pending(case_line), 0)
            self.assertEqual(purchase.shipments, (shipment,))

            # idempotent: the remainders stay as they are
            before = self.counts()
            ShipmentIn.import_asn(sample(UBL))
            self.assertEqual(self.counts(), before)

    @with_transaction()
    def test_parties_ordered_from_are_suppliers(self):
        "With purchase: a purchase order or a product supplier suffices"
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        Party = pool.get('party.party')
        ProductSupplier = pool.get('purchase.product_supplier')
        ModelData = pool.get('ir.model.data')
        with set_company(create_company()):
            board, case, screw, supplier = self.setup_asteria()
            Party.write([supplier], {'categories': [('remove', [
                                ModelData.get_id('serial_mes',
                                    'party_category_supplier')])]})
            unordered = sample('ubl_peppol_partial_serials.xml').replace(
                b'<cac:OrderReference>\n    <cbc:ID>PO-2024-0822</cbc:ID>\n'
                b'  </cac:OrderReference>\n', b'')
            before = self.counts()
            with self.assertRaisesRegex(ReceivingError, 'not a supplier'):
                ShipmentIn.import_asn(unordered)
            self.assertEqual(self.counts(), before)
            ProductSupplier.create([{'template': board.template.id,
                        'party': supplier.id}])
            shipment, created = ShipmentIn.import_asn(unordered)
            self.assertTrue(created)
            ProductSupplier.delete(ProductSupplier.search([]))
            with self.assertRaisesRegex(ReceivingError, 'not a supplier'):
                ShipmentIn.import_asn(sample(UBL))
            purchase = self.purchase(supplier, [(board, 10), (case, 6)])
            shipment, created = ShipmentIn.import_asn(sample(UBL))
            self.assertEqual((shipment.supplier, created), (supplier, True))
            self.assertEqual(purchase.shipments, (shipment,))

    @with_transaction()
    def test_partial_serials_deliver_the_order(self):
        "Units announced without serial deliver the order line too"
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        PurchaseLine = pool.get('purchase.line')
        with set_company(create_company()):
            board, case, screw, supplier = self.setup_asteria()
            purchase = self.purchase(supplier, [(board, 10), (case, 6)])
            board_line, _ = purchase.lines
            shipment, _ = ShipmentIn.import_asn(
                sample('ubl_peppol_partial_serials.xml'))
            self.assertEqual(sorted((m.quantity, bool(m.lot), m.origin)
                    for m in shipment.incoming_moves),
                [(1, True, board_line)] * 3 + [(3, False, board_line)])
            self.assertEqual(self.pending(PurchaseLine(board_line.id)), 4)

    @with_transaction()
    def test_missing_at_receipt_stays_on_the_order(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        PurchaseLine = pool.get('purchase.line')
        with set_company(create_company()):
            board, case, screw, supplier = self.setup_asteria()
            purchase = self.purchase(supplier, [(board, 6), (case, 6)])
            board_line, case_line = purchase.lines
            shipment, _ = ShipmentIn.import_asn(sample(UBL))
            for number in ['AB760-2403X0101', 'AB760-2403X0102',
                    'ACM-0000801', 'ACM-0000802', 'ACM-0000803',
                    'ACM-0000804', 'ACM-0000911', 'ACM-0000912']:
                self.assertEqual(ShipmentIn.scan_receipt(
                        ShipmentIn(shipment.id), number)['result'],
                    'matched', number)
            result = ShipmentIn.finish_receipt(ShipmentIn(shipment.id))
            self.assertEqual(len(result['missing']), 4)
            board_line, case_line = PurchaseLine.browse(
                [board_line.id, case_line.id])
            # the 4 boards not delivered are a backorder of the purchase
            self.assertEqual(self.pending(board_line), 4)
            self.assertEqual(self.pending(case_line), 0)
            self.assertEqual(sum(m.quantity for m in board_line.moves
                    if m.state == 'done'), 2)

    @with_transaction()
    def test_corrected_asn_gives_back_to_the_order(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        PurchaseLine = pool.get('purchase.line')
        with set_company(create_company()):
            board, case, screw, supplier = self.setup_asteria()
            purchase = self.purchase(supplier, [(board, 6), (case, 6)])
            board_line, _ = purchase.lines
            data = sample(UBL)
            ShipmentIn.import_asn(data)
            corrected = data.replace(
                b'<cbc:SerialID>AB760-2403X0118</cbc:SerialID>', b''
                ).replace(b'unitCode="H87">6<', b'unitCode="H87">5<', 1)
            shipment, created = ShipmentIn.import_asn(corrected)
            self.assertTrue(created)
            board_line = PurchaseLine(board_line.id)
            self.assertEqual(self.pending(board_line), 1)
            self.assertEqual(len([m for m in shipment.incoming_moves
                        if m.origin == board_line]), 5)

    @with_transaction()
    def test_two_lines_of_one_product_share_the_delivery(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        with set_company(create_company()):
            board, case, screw, supplier = self.setup_asteria()
            # the ASN's board line names order line 3: it comes first
            purchase = self.purchase(supplier,
                [(board, 2), (case, 6), (board, 5)])
            first, case_line, named = purchase.lines
            shipment, _ = ShipmentIn.import_asn(sample(UBL).replace(
                    b'<cbc:LineID>10</cbc:LineID>',
                    b'<cbc:LineID>3</cbc:LineID>'))
            origins = [m.origin for m in shipment.incoming_moves
                if m.product == board]
            self.assertEqual((origins.count(named), origins.count(first)),
                (5, 1))

    @with_transaction()
    def test_order_in_boxes(self):
        "Ordered in boxes of 3, shipped and counted in units"
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        Uom = pool.get('product.uom')
        PurchaseLine = pool.get('purchase.line')
        with set_company(create_company()):
            board, case, screw, supplier = self.setup_asteria()
            box, = Uom.create([{'name': "Box of 3", 'symbol': 'box3',
                        'category': board.default_uom.category.id,
                        'rate': round(1 / 3, 12), 'factor': 3, 'rounding': 1,
                        'digits': 0}])
            purchase = self.purchase(supplier, [(board, 1), (case, 6)])
            line = purchase.lines[0]
            PurchaseLine.write([line], {'unit': box.id})  # 3 boards
            with self.assertRaises(ReceivingError) as context:
                ShipmentIn.import_asn(sample(UBL))
            self.assertIn('only 3 are left', context.exception.message)
            PurchaseLine.write([line], {'quantity': 3})  # 9 boards
            shipment, _ = ShipmentIn.import_asn(sample(UBL))
            line = PurchaseLine(line.id)
            # one box left: the remainder's move counts it in its unit
            pending, = [m for m in line.moves if not m.shipment]
            self.assertEqual(Uom.compute_qty(pending.unit, pending.quantity,
                    box), 1)
            self.assertEqual(len([m for m in shipment.incoming_moves
                        if m.origin == line]), 6)

    @with_transaction()
    def test_refusals_write_nothing(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        with set_company(create_company()):
            board, case, screw, supplier = self.setup_asteria()
            other = create_product("CPU", code='CPU')
            self.purchasable(other)
            cases = [
                # more boards shipped than ordered
                ([(board, 5), (case, 6)], 'processing',
                    'only 5 are left'),
                # the case was never ordered
                ([(board, 10), (other, 6)], 'processing',
                    'is not on purchase order'),
                # the order is still a draft
                ([(board, 10), (case, 6)], 'draft', 'Draft'),
                ]
            for index, (lines, state, error) in enumerate(cases):
                self.purchase(supplier, lines, number='PO-2024-0822',
                    state=state)
                before = self.counts()
                with self.assertRaises(ReceivingError) as context:
                    ShipmentIn.import_asn(sample(UBL))
                self.assertIn(error, context.exception.message)
                self.assertEqual(self.counts(), before)
                self.rename_orders()

            # no purchase of the supplier has that number
            before = self.counts()
            with self.assertRaises(ReceivingError) as context:
                ShipmentIn.import_asn(sample(UBL))
            self.assertIn('PO-2024-0822', context.exception.message)
            self.assertIn('no purchase', context.exception.message)
            self.assertEqual(self.counts(), before)

    def rename_orders(self):
        pool = Pool()
        Purchase = pool.get('purchase.purchase')
        table = Purchase.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update([table.number], ['OLD'],
                where=table.number == 'PO-2024-0822'))

    @with_transaction()
    def test_scans_take_from_an_order_without_asn(self):
        "A shipment made from a purchase's moves: each scan takes one unit"
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        Move = pool.get('stock.move')
        PurchaseLine = pool.get('purchase.line')
        with set_company(create_company()):
            board, case, screw, supplier = self.setup_asteria()
            purchase = self.purchase(supplier, [(board, 3)], number='PO-9')
            purchase.reference = 'SUP-REF-9'
            purchase.save()
            line, = purchase.lines
            pending, = line.moves
            shipment = self.order_shipment(purchase)
            for number in ['AB760-0000001', 'AB760-0000002']:
                # a plain code: its product shown, created once confirmed
                answer = ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                    number)
                self.assertEqual((answer['result'], answer['product']),
                    ('confirm', board.rec_name), number)
                self.assertEqual(ShipmentIn.scan_receipt(
                        ShipmentIn(shipment.id), number, confirm=True
                        )['result'], 'created', number)
            # the purchase order's number is no serial (issue 14 item 1)
            before = self.counts()
            for code in ['PO-9', 'SUP-REF-9']:
                for confirm in [False, True]:
                    answer = ShipmentIn.scan_receipt(
                        ShipmentIn(shipment.id), code, confirm=confirm)
                    self.assertEqual(answer['result'], 'invalid', code)
                    self.assertIn('purchase order', answer['message'])
            self.assertEqual(self.counts(), before)
            self.assertEqual(Move(pending.id).quantity, 1)
            result = ShipmentIn.finish_receipt(ShipmentIn(shipment.id))
            self.assertEqual(result['received'], 2)
            self.assertEqual(result['missing'], [{'product': board.rec_name,
                        'serial': None, 'quantity': 1}])
            line = PurchaseLine(line.id)
            done = [m for m in line.moves if m.state == 'done']
            self.assertEqual({m.lot.number for m in done},
                {'AB760-0000001', 'AB760-0000002'})
            self.assertEqual(self.pending(line), 1)

    @with_transaction()
    def test_generated_serials_deliver_the_order(self):
        "Unlabelled parts numbered on a shipment made from an order"
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        Move = pool.get('stock.move')
        with set_company(create_company()):
            board, case, screw, supplier = self.setup_asteria()
            purchase = self.purchase(supplier, [(board, 5)], number='PO-7')
            line, = purchase.lines
            pending, = line.moves
            shipment = self.order_shipment(purchase)
            lots = ShipmentIn.generate_serials(shipment, board, 3)
            self.assertEqual(Move(pending.id).quantity, 2)
            moves = Move.search([('lot', 'in', [l.id for l in lots])])
            self.assertEqual({(m.origin, m.unit_price, m.shipment)
                    for m in moves},
                {(line, Decimal('42'), ShipmentIn(shipment.id))})
            # more than the order's move holds: the rest without order
            more = ShipmentIn.generate_serials(shipment, board, 4)
            moves = Move.search([('lot', 'in', [l.id for l in more])])
            self.assertEqual(sorted(str(m.origin) for m in moves),
                ['None', 'None', 'purchase.line,%d' % line.id,
                    'purchase.line,%d' % line.id])
            self.assertEqual(Move.search([('id', '=', pending.id)]), [])
