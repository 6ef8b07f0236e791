# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import os

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

from serial_mes.exceptions import ReceivingError

from .tools import (
    asteria, create_product, create_rule, locations, receiving_counts)

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))), 'data', 'asn')
GS = '\x1d'


def sample(name):
    with open(os.path.join(DATA, name), 'rb') as file:
        return file.read()


class ReceivingTestCase(_DBTestCase):
    "ASN import into supplier shipments and scan receipt at the dock"
    module = 'serial_mes'

    def setup_asteria(self):
        return asteria()

    def counts(self):
        return receiving_counts()

    @with_transaction()
    def test_import_matches_supplier_products_and_is_idempotent(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        Attachment = pool.get('ir.attachment')
        with set_company(create_company()):
            board, case, supplier = self.setup_asteria()
            data = sample('ubl_despatch_advice.xml')
            shipment, created = ShipmentIn.import_asn(data, 'asn.xml')
            self.assertTrue(created)
            self.assertEqual(shipment.supplier, supplier)
            self.assertEqual(shipment.asn_number, 'AST-DA-2024-0311')
            self.assertEqual(len(shipment.incoming_moves), 12)
            lots = [m.lot for m in shipment.incoming_moves]
            self.assertEqual({l.status for l in lots}, {'expected'})
            self.assertEqual({l.inventory for l in lots}, {'snii'})
            self.assertIn('AB760-2403X0117', {l.number for l in lots})
            self.assertEqual(lots[0].events[0].source, 'asn')
            attachment, = Attachment.search([
                    ('resource', '=', str(shipment))])
            self.assertEqual(bytes(attachment.data), data)

            before = self.counts()
            again, created = ShipmentIn.import_asn(data, 'asn.xml')
            self.assertEqual((again, created), (shipment, False))
            self.assertEqual(self.counts(), before)

    @with_transaction()
    def test_bad_asn_writes_nothing(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        with set_company(create_company()):
            board, case, supplier = self.setup_asteria()
            before = self.counts()
            for data, error in [
                    (b'garbage', 'cannot be read'),
                    (sample('ubl_despatch_advice.xml')[:500],
                        'cannot be read'),
                    (sample('ubl_despatch_advice.xml').replace(
                            b'9506000140155', b'9506000140162'),
                        'no product'),
                    (sample('ubl_despatch_advice.xml').replace(
                            b'9506000200002', b'9506000999998'),
                        None),
                    ]:
                with self.assertRaises(ReceivingError) as context:
                    ShipmentIn.import_asn(data)
                if error:
                    self.assertIn(error, context.exception.message)
                self.assertEqual(self.counts(), before)

    @with_transaction()
    def test_only_suppliers_send_asns(self):
        "Not a customer, not the own company: nothing written for them"
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        Party = pool.get('party.party')
        ModelData = pool.get('ir.model.data')
        suppliers = ModelData.get_id('serial_mes', 'party_category_supplier')
        company = create_company()
        with set_company(company):
            self.setup_asteria()
            customer, = Party.create([{'name': "Contoso Retail",
                        'identifiers': [('create', [{
                                        'code': '9506000999999'}])]}])
            Party.write([company.party], {
                    'identifiers': [('create', [{'code': '9506000100005'}])],
                    'categories': [('add', [suppliers])]})
            data = sample('ubl_despatch_advice.xml')
            before = self.counts()
            for gln, error in [
                    ('9506000999999', 'not a supplier'),
                    ('9506000100005', 'company of this database')]:
                with self.assertRaisesRegex(ReceivingError, error) as ctx:
                    ShipmentIn.import_asn(data.replace(
                            b'9506000200002', gln.encode()))
                self.assertNotIn('\n', ctx.exception.message)
                self.assertEqual(self.counts(), before)
            csv = sample('asn_template.csv').replace(b'Asteria Boards Ltd',
                company.party.name.encode())
            with self.assertRaisesRegex(ReceivingError, 'company'):
                ShipmentIn.import_asn(csv)
            self.assertEqual(self.counts(), before)

            # the rule: a party in the category Suppliers may send ASNs
            Party.write([customer], {'categories': [('add', [suppliers])]})
            shipment, created = ShipmentIn.import_asn(data.replace(
                    b'9506000200002', b'9506000999999'))
            self.assertEqual((shipment.supplier, created), (customer, True))

    @with_transaction()
    def test_serials_announced_for_some_units_only(self):
        "Peppol: 6 boards, 3 serials announced; the dock scans the rest"
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        Move = pool.get('stock.move')
        with set_company(create_company()):
            board, case, supplier = self.setup_asteria()
            shipment, _ = ShipmentIn.import_asn(
                sample('ubl_peppol_partial_serials.xml'))
            moves = shipment.incoming_moves
            self.assertEqual(sorted(m.lot.number for m in moves if m.lot),
                ['AB760-2404X0301', 'AB760-2404X0302', 'AB760-2404X0303'])
            untracked, = [m for m in moves if not m.lot]
            self.assertEqual((untracked.product, untracked.quantity),
                (board, 3))
            line, = shipment.receipt_status()['lines']
            # SII: the units without serial await a scan as the serials do
            self.assertEqual((line['expected'], line['missing']), (6, 6))

            def scan(code):
                return ShipmentIn.scan_receipt(ShipmentIn(shipment.id), code)
            self.assertEqual(scan('AB760-2404X0301')['result'], 'matched')
            # an unannounced serial of the product takes an awaited unit
            answer = scan(']C10109506000140100' + '21AB760-2404X0399')
            self.assertEqual(answer['result'], 'matched')
            self.assertEqual(Move(untracked.id).quantity, 2)
            answer = scan('AB760-2404X0398')
            self.assertEqual(answer['result'], 'matched')
            self.assertEqual(Move(untracked.id).quantity, 1)
            line, = answer['lines']
            self.assertEqual((line['expected'], line['scanned'],
                    line['missing']), (6, 3, 3))
            new, = Move.search([('lot.number', '=', 'AB760-2404X0399')])
            self.assertFalse(new.receipt_extra)
            self.assertEqual(new.shipment, shipment)
            self.assertEqual(answer['unexpected'], [])

            result = ShipmentIn.finish_receipt(ShipmentIn(shipment.id))
            self.assertEqual(result['received'], 3)
            # the serials not scanned and the unit still without one
            self.assertEqual(sorted((m['serial'] or '', m['quantity'])
                    for m in result['missing']),
                [('', 1), ('AB760-2404X0302', 1), ('AB760-2404X0303', 1)])

    @with_transaction()
    def test_serial_already_in_stock_refuses_the_asn(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        Lot = pool.get('stock.lot')
        with set_company(create_company()):
            board, case, supplier = self.setup_asteria()
            loc = locations()
            Lot.receive_serials(board, ['AB760-2403X0118'], loc['storage'],
                loc['supplier'])
            before = self.counts()
            # the status in words (issue 14 item 4)
            with self.assertRaisesRegex(ReceivingError,
                    r'already exists \(status In Stock\)'):
                ShipmentIn.import_asn(sample('ubl_despatch_advice.xml'))
            self.assertEqual(self.counts(), before)

    @with_transaction()
    def test_corrected_asn_before_receipt_refused_after(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        with set_company(create_company()):
            board, case, supplier = self.setup_asteria()
            data = sample('ubl_despatch_advice.xml')
            shipment, _ = ShipmentIn.import_asn(data)
            # the supplier drops one motherboard and one case
            corrected = data.replace(
                b'<cbc:SerialID>AB760-2403X0118</cbc:SerialID>', b''
                ).replace(b'<cbc:SerialID>ACM-0000912</cbc:SerialID>', b'')
            corrected = corrected.replace(
                b'unitCode="H87">6<', b'unitCode="H87">5<')
            shipment, created = ShipmentIn.import_asn(corrected)
            self.assertTrue(created)
            numbers = {m.lot.number for m in shipment.incoming_moves}
            self.assertEqual(len(numbers), 10)
            self.assertNotIn('AB760-2403X0118', numbers)
            self.assertEqual(ShipmentIn.search_count([]), 1)

            ShipmentIn.scan_receipt(shipment, 'AB760-2403X0101')
            with self.assertRaisesRegex(ReceivingError, 'refused after'):
                ShipmentIn.import_asn(data)

    @with_transaction()
    def test_scan_results_and_finish(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        Lot = pool.get('stock.lot')
        with set_company(create_company()):
            board, case, supplier = self.setup_asteria()
            other = create_product("CPU", code='CPU', rule=create_rule(
                    "Other"), gtin='9506000140117')
            loc = locations()
            Lot.receive_serials(board, ['AB760-0000001'], loc['storage'],
                loc['supplier'])
            shipment, _ = ShipmentIn.import_asn(
                sample('ubl_despatch_advice.xml'))
            self.assertEqual(
                ShipmentIn.find_for_receipt('AST-DA-2024-0311'), shipment)
            with self.assertRaisesRegex(ReceivingError, 'No supplier'):
                ShipmentIn.find_for_receipt('NOPE')

            def scan(code, **kwargs):
                return ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                    code, **kwargs)
            self.assertEqual(scan(']d20109506000140100' + '21AB760-2403X0101'
                    )['result'], 'matched')
            self.assertEqual(scan('https://id.gs1.org/01/09506000140100/21/'
                    'AB760-2403X0102')['result'], 'matched')
            self.assertEqual(scan('ACM-0000801')['result'], 'matched')
            answer = scan('ACM-0000801')
            self.assertEqual(answer['result'], 'duplicate')
            self.assertEqual(scan(']C10109506000140100' + '21AB760-9999999'
                    )['result'], 'unexpected')
            answer = scan(']C10109506000140100' + '21AB760-9999999',
                accept_extra=True)
            self.assertEqual(answer['result'], 'accepted_extra')
            self.assertEqual(scan(']C10109506000140117' + '21CPU-0001'
                    )['result'], 'wrong_product')
            self.assertEqual(scan('(01)09506000140100(21)AB760-0000001'
                    )['result'], 'elsewhere')
            self.assertEqual(scan(']C10109506000140101' + '21X'
                    )['result'], 'invalid')
            self.assertEqual(scan(']C10109506000140100')['result'],
                'invalid')
            line, = [l for l in answer['lines']
                if l['product'].endswith('Motherboard')]
            self.assertEqual((line['expected'], line['scanned'],
                    line['missing']), (6, 3, 4))
            del other

            result = ShipmentIn.finish_receipt(ShipmentIn(shipment.id))
            self.assertEqual(result['received'], 4)
            # the put-away moves made by the receipt are not counted
            line, = [l for l in result['lines']
                if l['product'].endswith('Motherboard')]
            self.assertEqual((line['scanned'], line['missing']), (3, 0))
            self.assertIn('accepted_extra',
                {u['result'] for u in result['unexpected']})
            self.assertEqual(len(result['missing']), 9)
            self.assertEqual(len(result['unexpected']), 3)
            # the missing serials stay on record with the shipment
            Exception_ = pool.get('serial_mes.receipt.exception')
            recorded = Exception_.search([('shipment', '=', shipment.id),
                    ('result', '=', 'missing')])
            self.assertEqual(sorted(e.code for e in recorded),
                sorted(m['serial'] for m in result['missing']))
            received = Lot.search([('number', 'in', ['AB760-2403X0101',
                            'AB760-2403X0102', 'ACM-0000801',
                            'AB760-9999999'])])
            self.assertEqual({l.status for l in received}, {'in_stock'})
            self.assertEqual({l.current_location for l in received},
                {loc['input']})
            missing, = Lot.search([('number', '=', 'AB760-2403X0103')])
            self.assertEqual(missing.status, 'expected')
            with self.assertRaisesRegex(ReceivingError, 'already received'):
                ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                    'AB760-2403X0104')

    @with_transaction()
    def test_scan_receipt_wizard(self):
        "The web client's scan loop: scan, see the answer, scan, finish"
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        ScanReceipt = pool.get('serial_mes.scan_receipt', type='wizard')
        with set_company(create_company()):
            self.setup_asteria()
            shipment, _ = ShipmentIn.import_asn(
                sample('ubl_despatch_advice.xml'))
            session_id, _, _ = ScanReceipt.create()
            with Transaction().set_context(
                    active_model='stock.shipment.in',
                    active_id=shipment.id, active_ids=[shipment.id]):
                view = ScanReceipt.execute(session_id, {}, 'start')
                defaults = view['view']['defaults']
                self.assertIn('6 / 0 / 6', defaults['progress'])
                form = {'shipment': shipment.id, 'accept_extra': False,
                    'code': ']C10109506000140100' + '21AB760-2403X0101'}
                view = ScanReceipt.execute(session_id, {'start': form},
                    'scan')
                defaults = view['view']['defaults']
                self.assertIn('as announced', defaults['last_result'])
                self.assertIn('6 / 1 / 5', defaults['progress'])
                form['code'] = 'AB760-2403X0101'
                view = ScanReceipt.execute(session_id, {'start': form},
                    'scan')
                self.assertIn('already scanned',
                    view['view']['defaults']['last_result'])
                view = ScanReceipt.execute(session_id, {'start': form},
                    'finish')
            # the discrepancy report of the receipt
            report = view['view']['defaults']
            self.assertEqual((report['received'], report['missing_count'],
                    report['unexpected_count']), (1, 11, 0))
            self.assertIn('Motherboard: AB760-2403X0102', report['missing'])
            self.assertEqual(ShipmentIn(shipment.id).state, 'received')

    def unlabelled_receipt(self):
        "A supplier shipment without ASN, for parts that come unlabelled"
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        board, case, supplier = self.setup_asteria()
        shipment = ShipmentIn(supplier=supplier,
            warehouse=locations()['warehouse'],
            company=Transaction().context['company'])
        shipment.on_change_warehouse()
        shipment.save()
        return board, case, shipment

    @with_transaction()
    def test_generate_serials_for_unlabelled_parts(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        Lot = pool.get('stock.lot')
        with set_company(create_company()):
            board, case, shipment = self.unlabelled_receipt()
            lots = ShipmentIn.generate_serials(shipment, board, 3)
            self.assertEqual([l.number for l in lots],
                ['SN0001', 'SN0002', 'SN0003'])
            self.assertEqual({l.status for l in lots}, {'expected'})
            line, = ShipmentIn(shipment.id).receipt_status()['lines']
            self.assertEqual((line['expected'], line['scanned'],
                    line['missing']), (3, 0, 3))
            # each label, once stuck on its part, is scanned
            answer = ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                ']C10109506000140100' + '21SN0002')
            self.assertEqual(answer['result'], 'matched')
            for number in ['SN0001', 'SN0003']:
                ShipmentIn.scan_receipt(ShipmentIn(shipment.id), number)
            result = ShipmentIn.finish_receipt(ShipmentIn(shipment.id))
            self.assertEqual((result['received'], result['missing']),
                (3, []))
            self.assertEqual({l.status for l in Lot.browse(lots)},
                {'in_stock'})

    @with_transaction()
    def test_receipt_without_asn_numbers_what_is_scanned(self):
        "No ASN: each part's label creates its serial, whatever product"
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        with set_company(create_company()):
            board, case, shipment = self.unlabelled_receipt()
            for code, result in [
                    (']C10109506000140100' + '21AB760-7000001',
                        'accepted_extra'),
                    (']C10109506000140155' + '21ACM-7000001',
                        'accepted_extra'),
                    ('AB760-7000002', 'unexpected'),  # which product?
                    ]:
                answer = ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                    code)
                self.assertEqual(answer['result'], result, code)
            self.assertEqual(sorted((l['expected'], l['scanned'])
                    for l in answer['lines']), [(1, 1), (1, 1)])
            result = ShipmentIn.finish_receipt(ShipmentIn(shipment.id))
            self.assertEqual(result['received'], 2)

    @with_transaction()
    def test_finish_receives_snii_quantities(self):
        "Power supplies whose serials are registered later: a quantity"
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        Move = pool.get('stock.move')
        with set_company(create_company()):
            board, case, shipment = self.unlabelled_receipt()
            psu = create_product("PSU", code='PSU', gtin='9506000140148',
                rule=create_rule("PSU", scope='registration',
                    registration_steps=['consumption']))
            loc = locations()
            move = Move(product=psu, quantity=10, unit=psu.default_uom,
                from_location=shipment.supplier_location,
                to_location=shipment.warehouse_input, shipment=shipment,
                unit_price=psu.cost_price, company=shipment.company,
                currency=shipment.company.currency)
            move.save()
            ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                ']C10109506000140100' + '21AB760-7000009')
            result = ShipmentIn.finish_receipt(ShipmentIn(shipment.id))
            self.assertEqual(result['missing'], [])
            self.assertEqual(Move(move.id).state, 'done')
            self.assertEqual(Move(move.id).to_location, loc['input'])

    @with_transaction()
    def test_generate_serials_refusals_write_nothing(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        with set_company(create_company()):
            board, case, shipment = self.unlabelled_receipt()
            untracked = create_product("Screw", code='SCR')
            no_gtin = create_product("Cable", code='CBL',
                rule=create_rule("Cable"))
            made_here = create_product("PC", code='PC', gtin='9506000140179',
                rule=create_rule("Unit", creation='production_start'))
            before = self.counts()
            for product, count, error in [
                    (board, 0, '1 to 1000'),
                    (board, 1001, '1 to 1000'),
                    (board, -5, '1 to 1000'),
                    (board, '3', '1 to 1000'),
                    (untracked, 2, 'not serial-tracked'),
                    (no_gtin, 2, 'no GTIN'),
                    (made_here, 2, 'created in production'),
                    ]:
                with self.assertRaises(ReceivingError) as context:
                    ShipmentIn.generate_serials(shipment, product, count)
                self.assertIn(error, context.exception.message)
                self.assertEqual(self.counts(), before)
            # nor are they numbered by scanning at the dock
            answer = ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                ']C10109506000140179' + '21PC-0001')
            self.assertEqual(answer['result'], 'invalid')
            self.assertIn('created in production', answer['message'])
            self.assertEqual(self.counts(), before)
            ShipmentIn.generate_serials(shipment, board, 1)
            ShipmentIn.scan_receipt(ShipmentIn(shipment.id), 'SN0001')
            ShipmentIn.finish_receipt(ShipmentIn(shipment.id))
            before = self.counts()
            with self.assertRaisesRegex(ReceivingError, 'already received'):
                ShipmentIn.generate_serials(ShipmentIn(shipment.id), board, 1)
            self.assertEqual(self.counts(), before)

    @with_transaction()
    def test_generate_serials_wizard_prints_labels(self):
        "The web client's wizard: number the parts, print their labels"
        import io

        import pypdf
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        Generate = pool.get('serial_mes.receipt_generate', type='wizard')
        with set_company(create_company()):
            board, case, shipment = self.unlabelled_receipt()
            session_id, _, _ = Generate.create()
            with Transaction().set_context(
                    active_model='stock.shipment.in',
                    active_id=shipment.id, active_ids=[shipment.id]):
                Generate.execute(session_id, {}, 'start')
                result = Generate.execute(session_id, {'start': {
                            'shipment': shipment.id, 'product': case.id,
                            'count': 2, 'generated': []}}, 'generate')
            (action, data), = result['actions']
            self.assertEqual(action['report_name'], 'serial_mes.lot.labels')
            Labels = pool.get('serial_mes.lot.labels', type='report')
            self.assertEqual(len(data['ids']), 2)
            ext, pdf, _, _ = Labels.execute(data['ids'], data)
            self.assertEqual(ext, 'pdf')
            reader = pypdf.PdfReader(io.BytesIO(bytes(pdf)))
            self.assertEqual(len(reader.pages), 2)
            text = ' '.join(''.join(p.extract_text().split())
                for p in reader.pages)
            self.assertIn('(01)09506000140155(21)SN0001', text)
            self.assertIn('(01)09506000140155(21)SN0002', text)
            line, = ShipmentIn(shipment.id).receipt_status()['lines']
            self.assertEqual(line['expected'], 2)


    @with_transaction()
    def test_paperwork_is_never_a_serial(self):
        """Issue 14 item 1: on a shipment without ASN, its own numbers,
        product codes and GTINs are refused; a plain code is a serial of
        the only product on the shipment once confirmed"""
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        with set_company(create_company()):
            board, case, shipment = self.unlabelled_receipt()
            ShipmentIn.write([shipment], {'reference': 'DN-2024-4711'})

            def scan(code, **kwargs):
                return ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                    code, **kwargs)
            answer = scan(']C10109506000140100' + '21AB760-7000001')
            self.assertEqual(answer['result'], 'accepted_extra')
            self.assertNotIn('extra', answer['message'])
            before = self.counts()
            number = ShipmentIn(shipment.id).number
            for code, words in [
                    (number, 'reference of shipment'),
                    ('DN-2024-4711', 'reference of shipment'),
                    ('MB-B760', 'code or GTIN of'),
                    ('CASE-MID', 'code or GTIN of'),
                    ('09506000140100', 'code or GTIN of'),
                    ('9506000140155', 'code or GTIN of'),
                    ]:
                answer = scan(code)
                self.assertEqual(answer['result'], 'invalid', code)
                self.assertIn(words, answer['message'])
                self.assertFalse(answer['accept'])
                self.assertEqual(self.counts(), before, code)
                # confirming does not make paperwork a serial either
                self.assertEqual(scan(code, confirm=True)['result'],
                    'invalid')
                self.assertEqual(self.counts(), before, code)
            # a plain code of the only product: confirmed before created
            answer = scan('AB760-7000002')
            self.assertEqual((answer['result'], answer['product'],
                    answer['accept']), ('confirm', board.rec_name, True))
            self.assertIn('Motherboard', answer['message'])
            self.assertEqual(self.counts(), before)
            answer = scan('AB760-7000002', confirm=True)
            self.assertEqual((answer['result'], answer['serial']),
                ('created', 'AB760-7000002'))
            self.assertNotEqual(self.counts(), before)
            # two products now: a plain code names none for certain
            scan(']C10109506000140155' + '21ACM-7000001')
            before = self.counts()
            answer = scan('ACM-7000002', confirm=True)
            self.assertEqual((answer['result'], answer['accept']),
                ('unexpected', False))
            self.assertNotIn('ASN', answer['message'])
            self.assertEqual(self.counts(), before)
            # unless the clerk chose it
            answer = scan('ACM-7000002', product=case)
            self.assertEqual((answer['result'], answer['product']),
                ('confirm', case.rec_name))
            self.assertEqual(scan('ACM-7000002', product=case,
                    confirm=True)['result'], 'created')

    @with_transaction()
    def test_answers_offer_only_what_can_happen(self):
        """Issue 14 item 2: garbage is told what is wrong in words, never
        offered to be accepted; without ASN nothing is "not on the ASN\""""
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        with set_company(create_company()):
            board, case, shipment = self.unlabelled_receipt()
            ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                ']C10109506000140100' + '21AB760-7000001')
            before = self.counts()
            for code in ['hello world!!', '6']:
                for confirm in [False, True]:
                    answer = ShipmentIn.scan_receipt(
                        ShipmentIn(shipment.id), code, confirm=confirm)
                    self.assertEqual(answer['result'], 'invalid', code)
                    self.assertFalse(answer['accept'])
                    message = answer['message']
                    self.assertIn('4 to 20 capital letters, digits or '
                        'hyphens, starting with a capital letter or digit',
                        message)
                    for word in ['ASN', 'pattern', '[A-Z', 'again']:
                        self.assertNotIn(word, message)
            self.assertEqual(self.counts(), before)

            # beside an ASN of two products a plain code names none: put
            # aside, never "scan it again to accept"
            shipment, _ = ShipmentIn.import_asn(
                sample('ubl_despatch_advice.xml'))
            for accept_extra in [False, True]:
                answer = ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                    'hello world!!', accept_extra=accept_extra)
                self.assertEqual((answer['result'], answer['accept']),
                    ('unexpected', False))
                self.assertNotIn('again', answer['message'])
            # a GS1 label of a serial that breaks the rule: told in words
            answer = ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                '(01)09506000140100(21)ab-1')
            self.assertEqual((answer['result'], answer['accept']),
                ('invalid', False))
            self.assertIn('capital letters', answer['message'])
            # one that may be taken says so, and is taken
            answer = ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                '(01)09506000140100(21)AB760-9999999')
            self.assertEqual((answer['result'], answer['accept']),
                ('unexpected', True))
            self.assertIn('again', answer['message'])
            self.assertEqual(ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                    '(01)09506000140100(21)AB760-9999999',
                    accept_extra=True)['result'], 'accepted_extra')
            # the ASN's own number is no serial
            self.assertEqual(ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                    'AST-DA-2024-0311')['result'], 'invalid')

    @with_transaction()
    def test_counts_defined_once(self):
        """Issue 14 item 3: serials, quantities without serial (SNII),
        scanned, missing and distinct unexpected codes; finishing counts
        the power supplies received by quantity"""
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        Move = pool.get('stock.move')
        ScanReceipt = pool.get('serial_mes.scan_receipt', type='wizard')
        with set_company(create_company()):
            board, case, shipment = self.unlabelled_receipt()
            psu = create_product("PSU", code='PSU', gtin='9506000140148',
                rule=create_rule("PSU", scope='registration',
                    registration_steps=['consumption']))
            Move(product=psu, quantity=10, unit=psu.default_uom,
                from_location=shipment.supplier_location,
                to_location=shipment.warehouse_input, shipment=shipment,
                unit_price=psu.cost_price, company=shipment.company,
                currency=shipment.company.currency).save()
            ShipmentIn.generate_serials(shipment, board, 6)
            status = ShipmentIn(shipment.id).receipt_status()
            self.assertEqual(status['totals'], {'expected': 6,
                    'by_quantity': 10, 'scanned': 0, 'missing': 6,
                    'unexpected': 0})
            line, = [l for l in status['lines']
                if l['product'].endswith('PSU')]
            self.assertEqual((line['expected'], line['by_quantity'],
                    line['missing'], line['note']),
                (0, 10, 0, '10 by quantity, serials registered later'))
            for number in ['SN0001', 'SN0002', 'SN0003']:
                ShipmentIn.scan_receipt(ShipmentIn(shipment.id), number)
            for _ in range(3):
                status = ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                    '(01)09506000140117(21)CPU-0000001')
            self.assertEqual(status['result'], 'wrong_product')
            self.assertEqual(status['totals'], {'expected': 6,
                    'by_quantity': 10, 'scanned': 3, 'missing': 3,
                    'unexpected': 1})
            self.assertEqual(len(status['unexpected']), 1)

            session_id, _, _ = ScanReceipt.create()
            with Transaction().set_context(
                    active_model='stock.shipment.in',
                    active_id=shipment.id, active_ids=[shipment.id]):
                view = ScanReceipt.execute(session_id, {}, 'start')
                progress = view['view']['defaults']['progress']
                self.assertIn('6 expected · 3 scanned · 3 missing · '
                    '1 unexpected · 10 by quantity', progress)
                self.assertIn('serials registered later', progress)
                view = ScanReceipt.execute(session_id, {'start': {
                            'shipment': shipment.id, 'code': None,
                            'accept_extra': False}}, 'finish')
            report = view['view']['defaults']
            self.assertEqual((report['received'],
                    report['received_by_quantity'], report['missing_count'],
                    report['unexpected_count']), (3, 10, 3, 1))

    @with_transaction()
    def test_scan_receipt_wizard_confirms_by_scanning_again(self):
        "Without ASN the wizard creates a plain code scanned twice"
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        ScanReceipt = pool.get('serial_mes.scan_receipt', type='wizard')
        with set_company(create_company()):
            board, case, shipment = self.unlabelled_receipt()
            ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                ']C10109506000140100' + '21AB760-7000001')
            session_id, _, _ = ScanReceipt.create()
            with Transaction().set_context(
                    active_model='stock.shipment.in',
                    active_id=shipment.id, active_ids=[shipment.id]):
                form = {'shipment': shipment.id, 'accept_extra': False,
                    'code': 'AB760-7000002', 'pending': None}
                view = ScanReceipt.execute(session_id, {'start': form},
                    'scan')
                defaults = view['view']['defaults']
                self.assertIn('Scan it again', defaults['last_result'])
                self.assertEqual(defaults['pending'], 'AB760-7000002')
                form['pending'] = defaults['pending']
                view = ScanReceipt.execute(session_id, {'start': form},
                    'scan')
                defaults = view['view']['defaults']
                self.assertIn('received on this shipment',
                    defaults['last_result'])
                self.assertIsNone(defaults['pending'])

    @with_transaction()
    def test_already_elsewhere_names_the_status(self):
        "Issue 14 item 4: the status's name, not its code"
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        Lot = pool.get('stock.lot')
        with set_company(create_company()):
            board, case, shipment = self.unlabelled_receipt()
            loc = locations()
            lot_id, = Lot.receive_serials(board, ['AB760-0000001'],
                loc['storage'], loc['supplier'])
            lot = Lot(int(lot_id))
            answer = ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                '(01)09506000140100(21)AB760-0000001')
            self.assertEqual(answer['result'], 'elsewhere')
            self.assertIn(Lot(lot.id).status_name, answer['message'])
            self.assertNotIn('in_stock', answer['message'])
            self.assertEqual(Lot(lot.id).status_name, 'In Stock')


del _DBTestCase
