# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Receiving: ASN import into a supplier shipment, scan receipt at the dock.

The web client, the receiving page's routes and the CLI call these
methods; they translate only."""
import datetime as dt
import hashlib
import json

from sql import Null
from sql.aggregate import Sum
from sql.conditionals import Case, Coalesce

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import (
    Button, StateAction, StateReport, StateTransition, StateView, Wizard)

from trytond.cache import Cache

from . import bulk
from . import routes  # noqa: F401 the receiving routes, once trytond runs
from .exceptions import ReceivingError, SerialNumberError
from .gs1 import BarcodeError, parse_barcode


_receipt_cache = Cache('serial_mes.receipt_static', duration=60)
MAX_GENERATE = 1000  # serials numbered at once at the dock


class ShipmentIn(metaclass=PoolMeta):
    __name__ = 'stock.shipment.in'
    asn_number = fields.Char("ASN Number", readonly=True)
    asn_format = fields.Char("ASN Format", readonly=True)
    asn_hash = fields.Char("ASN Hash", readonly=True)
    receipt_exceptions = fields.One2Many('serial_mes.receipt.exception',
        'shipment', "Receipt Exceptions", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.asn_number, Index.Equality(cardinality='high'))))

    # --- ASN import --------------------------------------------------------

    @classmethod
    def import_asn(cls, data, filename=None):
        """Create (or correct) the supplier shipment of an ASN, with its
        expected serials; all or nothing. Return (shipment, created)"""
        from .asn import AsnError, parse
        try:
            asn = parse(data)
        except AsnError as exception:
            raise ReceivingError(gettext('serial_mes.msg_asn_invalid',
                    error=str(exception)))
        digest = hashlib.sha256(data).hexdigest()
        supplier = cls._asn_supplier(asn)
        # one import per supplier at a time: the same ASN posted twice at
        # once must find the shipment of the first (Tryton takes the lock
        # when the transaction starts again, before it reads anything)
        Pool().get('party.party').lock([supplier])
        lines = [(line, cls._asn_product(line)) for line in asn.lines]
        existing = cls.search([
                ('asn_number', '=', asn.number),
                ('supplier', '=', supplier.id),
                ], limit=1)
        if existing:
            shipment, = existing
            if shipment.asn_hash == digest:
                return shipment, False
            if shipment.state != 'draft' or any(
                    m.scanned_at for m in shipment.incoming_moves):
                raise ReceivingError(gettext(
                        'serial_mes.msg_asn_already_received',
                        number=asn.number, shipment=shipment.rec_name))
        else:
            shipment = None
        serials = cls._asn_check_serials(lines, shipment)
        allocations = cls._asn_allocate(asn, supplier, lines, shipment)
        if shipment:
            cls._asn_clear(shipment, keep=serials)
        else:
            shipment = cls._asn_shipment(asn, supplier)
        shipment.asn_number = asn.number
        shipment.asn_format = asn.format
        shipment.asn_hash = digest
        shipment.reference = shipment.reference or asn.number
        shipment.save()
        cls._asn_moves(shipment, asn, lines, serials, allocations)
        cls._asn_allocated(shipment, allocations)
        cls._asn_attach(shipment, data, filename or 'asn-%s.%s' % (
                asn.number, asn.format))
        return cls(shipment.id), True

    @classmethod
    def _asn_supplier(cls, asn):
        pool = Pool()
        Party = pool.get('party.party')
        parties = []
        if asn.supplier_gln:
            parties = Party.search([
                    ('identifiers.code', '=', asn.supplier_gln)], limit=1)
        if not parties and asn.supplier_name:
            parties = Party.search([('name', '=', asn.supplier_name)],
                limit=1)
        if not parties:
            raise ReceivingError(gettext('serial_mes.msg_asn_supplier',
                    gln=asn.supplier_gln or '-',
                    name=asn.supplier_name or '-'))
        party, = parties
        cls._asn_check_supplier(party)
        return party

    @classmethod
    def _asn_check_supplier(cls, party):
        "Only suppliers send ASNs: never a customer or the own company"
        pool = Pool()
        Company = pool.get('company.company')
        Category = pool.get('party.category')
        ModelData = pool.get('ir.model.data')
        if Company.search([('party', '=', party.id)], limit=1):
            raise ReceivingError(gettext('serial_mes.msg_asn_own_company',
                    party=party.rec_name))
        if not cls._asn_is_supplier(party):
            category = Category(ModelData.get_id(
                    'serial_mes', 'party_category_supplier'))
            raise ReceivingError(gettext('serial_mes.msg_asn_not_supplier',
                    party=party.rec_name, category=category.rec_name))

    @classmethod
    def _asn_is_supplier(cls, party):
        """A party in the category Suppliers (or one of its children);
        the purchase module adds the parties ordered from"""
        pool = Pool()
        Party = pool.get('party.party')
        ModelData = pool.get('ir.model.data')
        category = ModelData.get_id('serial_mes', 'party_category_supplier')
        return bool(Party.search([
                    ('id', '=', party.id),
                    ('categories', 'child_of', [category], 'parent'),
                    ], limit=1))

    @classmethod
    def _asn_product(cls, line):
        pool = Pool()
        Product = pool.get('product.product')
        products = Product.search_gtin(line.gtin) if line.gtin else []
        if not products and line.supplier_code:
            products = Product.search([('code', '=', line.supplier_code)],
                limit=1)
        if not products:
            raise ReceivingError(gettext('serial_mes.msg_asn_product',
                    line=line.line, gtin=line.gtin or '-',
                    code=line.supplier_code or '-'))
        return products[0]

    @staticmethod
    def _asn_line_quantity(line):
        "Its serials and the units announced without serial"
        return line.quantity

    @classmethod
    def _asn_allocate(cls, asn, supplier, lines, shipment):
        """Per ASN line, [(origin, quantity)]: which order line each part
        of it delivers (origin None when the ASN names no order); reads
        only, so that a refusal leaves nothing written"""
        return [[(None, cls._asn_line_quantity(line))] for line, _ in lines]

    @classmethod
    def _asn_allocated(cls, shipment, allocations):
        "Called once the moves of allocations are written"

    @classmethod
    def _asn_check_serials(cls, lines, shipment):
        """{(product id, number): existing expected lot id or None} of the
        ASN's serials, refusing serials that exist elsewhere"""
        pool = Pool()
        Lot = pool.get('stock.lot')
        mine = {m.lot.id for m in shipment.incoming_moves if m.lot} if (
            shipment) else set()
        result = {}
        for line, product in lines:
            if not line.serials:
                continue
            rule = product.serial_rule
            if not rule:
                raise ReceivingError(gettext(
                        'serial_mes.msg_asn_not_serial', line=line.line,
                        product=product.rec_name))
            known = {}
            for sub in grouped_slice(list(line.serials), 1000):
                for lot in Lot.search([('product', '=', product.id),
                            ('number', 'in', list(sub))]):
                    known[lot.number] = lot
            for number in line.serials:
                lot = known.get(number)
                if lot and (lot.id not in mine or lot.status != 'expected'):
                    raise ReceivingError(gettext(
                            'serial_mes.msg_asn_serial_exists',
                            serial=number, product=product.rec_name,
                            status=lot.status_name))
                rule.check_number(number)
                result[(product.id, number)] = lot.id if lot else None
        return result

    @classmethod
    def _asn_shipment(cls, asn, supplier):
        pool = Pool()
        Location = pool.get('stock.location')
        warehouse, = Location.search([('type', '=', 'warehouse')], limit=1)
        shipment = cls(supplier=supplier, warehouse=warehouse,
            company=Transaction().context.get('company'),
            planned_date=asn.despatch_datetime.date()
            if asn.despatch_datetime else None)
        shipment.on_change_warehouse()
        shipment.on_change_supplier()
        shipment.save()
        return shipment

    @classmethod
    def _asn_clear(cls, shipment, keep):
        "A corrected ASN replaces the expected lines of the previous one"
        pool = Pool()
        Move = pool.get('stock.move')
        Event = pool.get('serial_mes.event')
        kept = {lot_id for lot_id in keep.values() if lot_id}
        dropped = [m.lot.id for m in shipment.incoming_moves
            if m.lot and m.lot.id not in kept]
        Move.delete(list(shipment.incoming_moves))
        if dropped:
            Event.insert_rows(Event.bulk_values(dropped,
                    Transaction().context.get('company'), source='asn',
                    biz_step='void_shipping', disposition='inactive',
                    origin=str(shipment), payload=json.dumps({
                            'asn_corrected': shipment.asn_number})))

    @classmethod
    def _asn_moves(cls, shipment, asn, lines, serials, allocations):
        pool = Pool()
        Lot = pool.get('stock.lot')
        Event = pool.get('serial_mes.event')
        company = shipment.company
        to_create = []
        new_lot_ids = []
        for (line, product), allocation in zip(lines, allocations):
            if line.serials:
                numbers = [n for n in line.serials
                    if serials[(product.id, n)] is None]
                ids = dict(zip(numbers, Lot._insert_lots(product, numbers,
                            'expected'))) if numbers else {}
                new_lot_ids.extend(ids.values())
                lot_ids = [serials[(product.id, n)] or ids[n]
                    for n in line.serials]
                # the serials first, then the units announced without
                # serial (one move each origin, taken by scans at the dock)
                for origin, quantity in allocation:
                    taken = lot_ids[:int(quantity)]
                    lot_ids = lot_ids[int(quantity):]
                    rows = [(1, i) for i in taken]
                    if quantity > len(taken):
                        rows.append((float(quantity - len(taken)), None))
                    to_create.append((
                            cls._asn_move_template(shipment, product, origin),
                            rows))
            else:
                lot_id = None
                if line.lots and len(line.lots) == 1 and (
                        product.template.tracking == 'lot'):
                    lots = Lot.search([('product', '=', product.id),
                            ('number', '=', line.lots[0])], limit=1)
                    lot_id = lots[0].id if lots else Lot.create([{
                                'product': product.id,
                                'number': line.lots[0]}])[0].id
                for origin, quantity in allocation:
                    to_create.append((
                            cls._asn_move_template(shipment, product, origin),
                            [(float(quantity), lot_id)]))
        for template, rows in to_create:
            cls._insert_moves(template, rows)
        lot_ids = [lot_id for _, rows in to_create for _, lot_id in rows
            if lot_id]
        Event.insert_rows(
            Event.bulk_values(new_lot_ids, company.id, action='add',
                source='asn', biz_step='commissioning',
                disposition='expected', status_to='expected',
                origin=str(shipment))
            + Event.bulk_values(lot_ids, company.id, source='asn',
                biz_step='receiving', disposition='in_transit',
                origin=str(shipment), payload=json.dumps({
                        'asn': asn.number, 'format': asn.format})))

    @classmethod
    def _insert_moves(cls, template, rows):
        "Moves of template, one a (quantity, lot id) of rows, in bulk"
        pool = Pool()
        Move = pool.get('stock.move')
        columns = [c for c in bulk.stored_columns(Move, template)
            if c not in {'lot', 'quantity', 'internal_quantity'}]
        base = [template[c] for c in columns]
        bulk.insert(Move, columns + ['quantity', 'internal_quantity', 'lot'],
            [base + [q, q, lot_id] for q, lot_id in rows])
        bulk.forget_cached(Move, [])

    @classmethod
    def _asn_move_template(cls, shipment, product, origin=None):
        pool = Pool()
        Move = pool.get('stock.move')
        move = Move(**Move.default_get(list(Move._fields),
                with_rec_name=False))
        move.product = product
        move.unit = product.default_uom
        move.quantity = 1
        move.from_location = shipment.supplier_location
        move.to_location = shipment.warehouse_input
        move.company = shipment.company
        move.shipment = shipment
        move.planned_date = shipment.planned_date
        move.unit_price = product.cost_price
        move.currency = shipment.company.currency
        move.origin = origin
        values = move._save_values()
        values.update({
                'state': 'draft',
                'internal_quantity': 1.0,
                'create_uid': Transaction().user,
                'create_date': dt.datetime.now(),
                })
        return values

    @classmethod
    def _asn_attach(cls, shipment, data, filename):
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Attachment.create([{
                    'resource': str(shipment),
                    'name': filename,
                    'type': 'data',
                    'data': data,
                    }])

    # --- scan receipt ------------------------------------------------------

    @classmethod
    def find_for_receipt(cls, code):
        shipments = cls.search(['OR',
                ('number', '=', code),
                ('reference', '=', code),
                ('asn_number', '=', code),
                ], order=[('id', 'DESC')], limit=1)
        if not shipments:
            raise ReceivingError(gettext('serial_mes.msg_receipt_unknown',
                    code=code))
        return shipments[0]

    def _receipt_static(self):
        """The shipment's header and its products' names and GTINs: fixed
        while scanning, so cached for a minute instead of read per scan"""
        pool = Pool()
        Move = pool.get('stock.move')
        Product = pool.get('product.product')
        key = (Transaction().database.name, self.id)
        static = _receipt_cache.get(key)
        if static is None:
            move = Move.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*move.select(move.product,
                    where=move.shipment == str(self),
                    group_by=[move.product]))
            product_ids = [r[0] for r in cursor]
            gtins = self._gtins(product_ids)
            static = {
                'shipment': {
                    'id': self.id,
                    'number': self.number,
                    'supplier': self.supplier.rec_name,
                    'asn': self.asn_number,
                    },
                'products': {p['id']: {'product': p['rec_name'],
                        'gtin': gtins.get(p['id'])}
                    for p in Product.read(product_ids, ['rec_name'])},
                # units of these announced without serial await a scan
                'sii': [p.id for p in Product.browse(product_ids)
                    if p.serial_rule and p.serial_rule.serial_full],
                # serials registered later (SNII): received by quantity
                'snii': [p.id for p in Product.browse(product_ids)
                    if p.serial_rule and not p.serial_rule.serial_full],
                }
            _receipt_cache.set(key, static)
        return static

    def receipt_status(self):
        "Expected / scanned / missing per product, and unexpected scans"
        pool = Pool()
        Move = pool.get('stock.move')
        Exception_ = pool.get('serial_mes.receipt.exception')
        move = Move.__table__()
        cursor = Transaction().connection.cursor()
        serial = (move.lot != Null)
        announced = serial & (Coalesce(move.receipt_extra, False) == False)

        def count(condition):
            return Sum(Case((condition, 1), else_=0))
        cursor.execute(*move.select(move.product,
                count(announced),
                count(serial & (move.scanned_at != Null)),
                count(announced & (move.scanned_at == Null)),
                Sum(Case((~serial, move.quantity), else_=0)),
                where=(move.shipment == str(self))
                & (move.from_location == self.supplier_location.id)
                & (move.state != 'cancelled'),
                group_by=[move.product], order_by=[move.product]))
        rows = cursor.fetchall()
        static = self._receipt_static()
        if any(r[0] not in static['products'] for r in rows):
            _receipt_cache.set((Transaction().database.name, self.id), None)
            static = self._receipt_static()
        exception = Exception_.__table__()
        cursor.execute(*exception.select(exception.code, exception.product,
                exception.result, where=(exception.shipment == self.id)
                & (exception.result != 'missing'),
                order_by=[exception.id]))
        unexpected = cursor.fetchall()
        products = static['products']
        sii = set(static['sii'])
        shipment = dict(static['shipment'], state=self.state)
        lines = []
        for product_id, announced, scanned, missing, untracked in rows:
            untracked = untracked or 0
            if float(untracked).is_integer():
                untracked = int(untracked)
            # units without serial of an SII product await a scan each;
            # the others are received by quantity
            by_quantity = 0 if product_id in sii else untracked
            line = dict(products[product_id],
                expected=announced + (untracked - by_quantity),
                by_quantity=by_quantity, scanned=scanned,
                missing=missing + (untracked - by_quantity), note=None)
            if by_quantity:
                line['note'] = gettext(
                    'serial_mes.msg_receipt_by_quantity_snii'
                    if product_id in static.get('snii', ())
                    else 'serial_mes.msg_receipt_by_quantity',
                    quantity='%g' % by_quantity)
            lines.append(line)
        unexpected = [{'code': code, 'product': (
                    products[product_id]['product']
                    if product_id in products else None),
                'result': result}
            for code, product_id, result in unexpected]
        return {
            'shipment': shipment,
            'lines': lines,
            'unexpected': unexpected,
            # defined once for the page, the wizard, the CLI and the JSON
            'totals': {
                'expected': sum(l['expected'] for l in lines),
                'by_quantity': sum(l['by_quantity'] for l in lines),
                'scanned': sum(l['scanned'] for l in lines),
                'missing': sum(l['missing'] for l in lines),
                'unexpected': len({u['code'] for u in unexpected}),
                },
            }

    @classmethod
    def scan_receipt(cls, shipment, code, accept_extra=False, confirm=False,
            product=None):
        """Answer one scan at the dock: matched, duplicate, unexpected
        (or accepted_extra), confirm (or created), wrong_product,
        elsewhere or invalid. A plain code (no GTIN) is a serial only of a
        product known for certain: product (chosen by the clerk), else the
        only serial product the shipment awaits; on a shipment without ASN
        it is created once confirmed. Each answer says with 'accept'
        whether scanning it again (or accept_extra/confirm) can take it."""
        pool = Pool()
        Lot = pool.get('stock.lot')
        Move = pool.get('stock.move')
        Product = pool.get('product.product')
        if shipment.state != 'draft':
            raise ReceivingError(gettext('serial_mes.msg_receipt_closed',
                    shipment=shipment.rec_name))
        try:
            barcode = parse_barcode(code or '', plain=True)
        except BarcodeError as exception:
            return cls._scan_answer(shipment, 'invalid', str(exception),
                code=code)
        number, products = None, []
        plain = barcode.kind == 'plain'
        if plain:
            number = barcode.text.strip()
            if not number:
                return cls._scan_answer(shipment, 'invalid',
                    gettext('serial_mes.msg_scan_empty'), code=code)
        else:
            number = barcode.serial
            if not number:
                return cls._scan_answer(shipment, 'invalid', gettext(
                        'serial_mes.msg_scan_no_serial', code=code),
                    code=code)
            products = Product.search_gtin(barcode.gtin) if (
                barcode.gtin) else []
            if not products:
                return cls._scan_answer(shipment, 'wrong_product', gettext(
                        'serial_mes.msg_scan_unknown_gtin',
                        gtin=barcode.gtin), code=code)
        domain = [('number', '=', number)]
        if products:
            domain.append(('product', 'in', [p.id for p in products]))
        lots = Lot.search(domain)
        Lot.lock_serials(lots)
        lots = Lot.browse([l.id for l in lots])
        moves = {m.lot.id: m for m in Move.search([
                    ('shipment', '=', str(shipment)),
                    ('lot', 'in', [l.id for l in lots]),
                    ])} if lots else {}
        for lot in lots:
            move = moves.get(lot.id)
            if move:
                if move.scanned_at:
                    return cls._scan_answer(shipment, 'duplicate', gettext(
                            'serial_mes.msg_scan_duplicate',
                            serial=number), lot=lot)
                cls._mark_scanned(move)
                return cls._scan_answer(shipment, 'matched', gettext(
                        'serial_mes.msg_scan_matched', serial=number,
                        product=lot.product.rec_name), lot=lot)
        # paperwork read off the box or the delivery note is no serial
        paperwork = cls._receipt_paperwork(shipment, number) if plain else (
            None)
        if paperwork:
            return cls._scan_answer(shipment, 'invalid', paperwork,
                code=code)
        if lots:
            lot = lots[0]
            return cls._scan_answer(shipment, 'elsewhere', gettext(
                    'serial_mes.msg_scan_elsewhere', serial=number,
                    status=lot.status_name, location=(
                        lot.current_location.rec_name
                        if lot.current_location else '-')), lot=lot,
                code=code)
        shipment_products = set(Product.browse(
                shipment._receipt_static()['products']))
        if products:
            product = products[0]
        elif not product:
            product = cls._receipt_plain_product(shipment)
        asn = bool(shipment.asn_number)
        if not product:
            return cls._scan_answer(shipment, 'unexpected', gettext(
                    'serial_mes.msg_scan_unexpected_unknown' if asn
                    else 'serial_mes.msg_scan_which_product',
                    serial=number), code=code, record=True)
        if asn and product not in shipment_products:
            return cls._scan_answer(shipment, 'wrong_product', gettext(
                    'serial_mes.msg_scan_wrong_product_receipt',
                    product=product.rec_name), code=code, product=product)
        if not product.serial_rule:
            return cls._scan_answer(shipment, 'invalid', gettext(
                    'serial_mes.msg_scan_not_serial_product',
                    product=product.rec_name), code=code, product=product)
        try:
            cls._check_received_here(product)
            product.serial_rule.check_number(number)
        except (SerialNumberError, ReceivingError) as exception:
            return cls._scan_answer(shipment, 'invalid',
                exception.message, code=code, product=product)
        # units the ASN announced without serial take the serials scanned
        awaited = bool(asn and cls._receipt_untracked_move(shipment, product))
        if asn and not (awaited or accept_extra):
            return cls._scan_answer(shipment, 'unexpected', gettext(
                    'serial_mes.msg_scan_unexpected', serial=number,
                    product=product.rec_name), code=code, product=product,
                record=True, accept=True)
        # without ASN a plain code becomes a serial once the clerk saw
        # which product it is taken for
        if not asn and plain and not confirm:
            return cls._scan_answer(shipment, 'confirm', gettext(
                    'serial_mes.msg_scan_confirm', serial=number,
                    product=product.rec_name), code=code, product=product,
                accept=True)
        lot, = Lot.create_serials(product, numbers=[number],
            source='scan', origin=shipment)
        (template, _), = cls._receipt_templates(shipment, product, 1)
        move, = Move.create([{k: v for k, v in template.items()
                    if k not in {'create_uid', 'create_date',
                        'internal_quantity'}}])
        Move.write([move], {'lot': lot.id,
                'scanned_at': dt.datetime.now(),
                'receipt_extra': asn and not awaited})
        if awaited:
            return cls._scan_answer(shipment, 'matched', gettext(
                    'serial_mes.msg_scan_matched', serial=number,
                    product=product.rec_name), lot=lot)
        if not asn:
            return cls._scan_answer(shipment,
                'created' if plain else 'accepted_extra', gettext(
                    'serial_mes.msg_scan_created', serial=number,
                    product=product.rec_name), lot=lot)
        Exception_ = pool.get('serial_mes.receipt.exception')
        Exception_.write(Exception_.search([
                    ('shipment', '=', shipment.id),
                    ('code', '=', code[:100]),
                    ('result', '=', 'unexpected'),
                    ]), {'result': 'accepted_extra'})
        return cls._scan_answer(shipment, 'accepted_extra', gettext(
                'serial_mes.msg_scan_accepted', serial=number,
                product=product.rec_name), lot=lot)

    @classmethod
    def _receipt_plain_product(cls, shipment):
        """The product a plain code (no GTIN) is a serial of, when certain:
        beside an ASN the only serial product awaiting units without
        serial, else the only serial product (SII) of the shipment"""
        pool = Pool()
        Product = pool.get('product.product')
        if shipment.asn_number:
            product = cls._receipt_awaited_product(shipment)
            if product:
                return product
        sii = shipment._receipt_static()['sii']
        return Product(sii[0]) if len(sii) == 1 else None

    @classmethod
    def _receipt_paperwork(cls, shipment, number):
        """Why number is paperwork rather than a serial (the shipment's
        number, reference or ASN number, a product code or GTIN), in
        words; None for a possible serial"""
        pool = Pool()
        Product = pool.get('product.product')
        from .gs1 import normalize_gtin
        if number in {shipment.number, shipment.reference,
                shipment.asn_number} - {None, ''}:
            return gettext('serial_mes.msg_scan_paperwork_shipment',
                code=number, shipment=shipment.rec_name)
        products = Product.search([('code', '=', number)], limit=1)
        if not products and number.isdigit() and len(number) in {
                8, 12, 13, 14}:
            try:
                products = Product.search_gtin(normalize_gtin(number))
            except BarcodeError:
                products = []
        if products:
            return gettext('serial_mes.msg_scan_paperwork_product',
                code=number, product=products[0].rec_name)

    @classmethod
    def _receipt_awaited_product(cls, shipment):
        """The only serial product of which shipment awaits units without
        serial, if there is one: a plain scan (no GTIN) is one of them"""
        pool = Pool()
        Move = pool.get('stock.move')
        products = {m.product for m in Move.search([
                    ('shipment', '=', str(shipment)),
                    ('lot', '=', None),
                    ('from_location', '=', shipment.supplier_location.id),
                    ('state', '=', 'draft'),
                    ('quantity', '>=', 1),
                    ])}
        products = [p for p in products if p.serial_rule]
        return products[0] if len(products) == 1 else None

    @classmethod
    def _receipt_untracked_move(cls, shipment, product):
        """A draft incoming move of the serial product without serial (as
        added from a purchase order): each scan takes one unit of it"""
        pool = Pool()
        Move = pool.get('stock.move')
        moves = Move.search([
                ('shipment', '=', str(shipment)),
                ('product', '=', product.id),
                ('lot', '=', None),
                ('from_location', '=', shipment.supplier_location.id),
                ('state', '=', 'draft'),
                ('quantity', '>=', 1),
                ], order=[('id', 'ASC')], limit=1)
        return moves[0] if moves else None

    @staticmethod
    def _check_received_here(product):
        "Serials born in production are not numbered at the dock"
        rule = product.serial_rule
        if rule.creation in {'production_start', 'production_done'}:
            raise ReceivingError(gettext(
                    'serial_mes.msg_receipt_serial_in_production',
                    product=product.rec_name))

    @classmethod
    def _receipt_templates(cls, shipment, product, count):
        """[(move template, how many)] for count new serial moves of
        product on shipment: units of a serial-less order move of the
        product are taken first (origin and price kept), so that the
        serials deliver the order"""
        result = []
        while count:
            source = cls._receipt_untracked_move(shipment, product)
            template = cls._asn_move_template(shipment, product,
                source.origin if source else None)
            if source:
                template['unit_price'] = source.unit_price
                taken = cls._take(source, count)
            else:
                taken = count
            result.append((template, taken))
            count -= taken
        return result

    @classmethod
    def _take(cls, move, quantity=1):
        "Take quantity units (at most its own) off move; return how many"
        pool = Pool()
        Move = pool.get('stock.move')
        taken = min(quantity, int(move.quantity))
        if move.quantity > taken:
            Move.write([move], {'quantity': move.quantity - taken})
        else:
            Move.delete([move])
        return taken

    @classmethod
    def generate_serials(cls, shipment, product, count):
        """Number unlabelled parts at the dock: count serials from the
        product's sequence, expected on the shipment (each is matched when
        its new label is scanned; extras beside an ASN); return the
        serials, whose labels to print."""
        pool = Pool()
        Lot = pool.get('stock.lot')
        if shipment.state != 'draft':
            raise ReceivingError(gettext('serial_mes.msg_receipt_closed',
                    shipment=shipment.rec_name))
        if not isinstance(count, int) or not (
                1 <= count <= MAX_GENERATE):
            raise ReceivingError(gettext(
                    'serial_mes.msg_receipt_generate_count',
                    maximum=MAX_GENERATE))
        if not product.serial_rule:
            raise ReceivingError(gettext('serial_mes.msg_asn_not_serial',
                    line='-', product=product.rec_name))
        cls._check_received_here(product)
        if not product.gtin:
            raise ReceivingError(gettext('serial_mes.msg_label_no_gtin',
                    product=product.rec_name))
        lots = Lot.create_serials(product, count=count, source='manual',
            origin=shipment)
        left = list(lots)
        for template, taken in cls._receipt_templates(shipment, product,
                count):
            # beside an ASN they are extras: its counts stay the supplier's
            template['receipt_extra'] = bool(shipment.asn_number)
            cls._insert_moves(template, [(1, lot.id) for lot in left[:taken]])
            left = left[taken:]
        return lots

    @staticmethod
    def _gtins(product_ids):
        pool = Pool()
        Identifier = pool.get('product.identifier')
        from .gs1 import normalize_gtin
        result = {}
        for identifier in Identifier.search([
                    ('product', 'in', product_ids), ('type', '=', 'ean')]):
            try:
                result.setdefault(identifier.product.id,
                    normalize_gtin(identifier.code))
            except BarcodeError:
                continue
        return result

    @classmethod
    def _mark_scanned(cls, move):
        "Only the scan time changes: no need to validate the whole move"
        pool = Pool()
        Move = pool.get('stock.move')
        table = Move.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update([table.scanned_at],
                [dt.datetime.now()], where=table.id == move.id))
        bulk.forget_cached(Move, [move.id])

    @classmethod
    def _scan_answer(cls, shipment, result, message, lot=None, code=None,
            product=None, record=False, accept=False):
        """The shipment's status with the scan's answer; accept: scanning
        the code again (or accept_extra/confirm) takes it"""
        pool = Pool()
        Exception_ = pool.get('serial_mes.receipt.exception')
        # a code scanned again stays one exception
        if (record or result in {'elsewhere', 'wrong_product'}) and not (
                Exception_.search([
                        ('shipment', '=', shipment.id),
                        ('code', '=', code[:100]),
                        ('result', '=', result),
                        ], limit=1)):
            Exception_.create([{
                        'shipment': shipment.id, 'code': code[:100],
                        'result': result,
                        'product': product.id if product else None,
                        }])
        product = lot.product if lot else product
        answer = cls(shipment.id).receipt_status()
        answer.update({
                'result': result,
                'message': message,
                'accept': accept,
                'serial': lot.number if lot else None,
                'product': product.rec_name if product else None,
                # to name the product when confirming (code or GTIN)
                'product_code': (product.code or product.gtin)
                if product else None,
                })
        return answer

    @classmethod
    def finish_receipt(cls, shipment):
        """Receive what was scanned: missing serials leave the shipment,
        the scanned ones are in stock (SII) at the input location"""
        pool = Pool()
        Move = pool.get('stock.move')
        if shipment.state != 'draft':
            raise ReceivingError(gettext('serial_mes.msg_receipt_closed',
                    shipment=shipment.rec_name))
        # serials not scanned, and quantities without serial of products
        # that cannot be received without one (SII); serials registered
        # later (SNII, e.g. at consumption) are received as quantities
        missing = [m for m in shipment.incoming_moves
            if m.product.serial_rule and not m.scanned_at
            and (m.lot or m.product.lot_is_required(
                    m.from_location, m.to_location))]
        report = {
            'missing': [{'product': m.product.rec_name,
                    'serial': m.lot.number if m.lot else None,
                    'quantity': m.quantity} for m in missing],
            }
        missing_records = [{
                'shipment': shipment.id,
                'code': (m.lot.number if m.lot else '%g' % m.quantity)[:100],
                'result': 'missing',
                'product': m.product.id,
                } for m in missing]
        Move.delete(missing)
        shipment = cls(shipment.id)
        received = [m for m in shipment.incoming_moves]
        if not received:
            raise ReceivingError(gettext('serial_mes.msg_receipt_nothing',
                    shipment=shipment.rec_name))
        # kept with the shipment's exceptions: the report stays on record
        Exception_ = pool.get('serial_mes.receipt.exception')
        Exception_.create(missing_records)
        with Transaction().set_context(_serial_mes_receipt=[str(shipment)]):
            cls.receive([shipment])
        shipment = cls(shipment.id)
        answer = shipment.receipt_status()
        answer.update(report)
        # as receipt_status counts: serials, and units received by
        # quantity (serials registered later or none)
        answer['received'] = sum(1 for m in received
            if m.lot and m.product.serial_rule)
        by_quantity = sum(m.quantity for m in received if not m.lot)
        answer['received_by_quantity'] = (int(by_quantity)
            if float(by_quantity).is_integer() else by_quantity)
        return answer


class Move(metaclass=PoolMeta):
    __name__ = 'stock.move'
    scanned_at = fields.Timestamp("Scanned at", readonly=True)
    receipt_extra = fields.Boolean("Extra at Receipt", readonly=True,
        help="Scanned at the dock although the ASN did not announce it.")

    @classmethod
    def check_origin(cls, moves, types=None):
        # a receipt finished at the dock is the clerk's confirmation of
        # its moves without purchase order (receipts without ASN, extras)
        receipts = Transaction().context.get('_serial_mes_receipt') or []
        if receipts:
            moves = [m for m in moves
                if not m.shipment or str(m.shipment) not in receipts]
        super().check_origin(moves, types=types)


class ReceiptException(ModelSQL, ModelView):
    "A scan at the dock that did not match the shipment"
    __name__ = 'serial_mes.receipt.exception'
    shipment = fields.Many2One('stock.shipment.in', "Shipment",
        required=True, ondelete='CASCADE')
    code = fields.Char("Code", readonly=True)
    result = fields.Char("Result", readonly=True)
    product = fields.Many2One('product.product', "Product", readonly=True,
        ondelete='SET NULL')
    scanned_at = fields.Timestamp("Scanned at", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('shipment')

    @classmethod
    def default_scanned_at(cls):
        return dt.datetime.now()


class ImportAsnStart(ModelView):
    __name__ = 'serial_mes.import_asn.start'
    file = fields.Binary("ASN File", required=True, filename='filename')
    filename = fields.Char("File Name")


class ImportAsn(Wizard):
    "Import an advance shipping notice into a supplier shipment"
    __name__ = 'serial_mes.import_asn'
    start = StateView('serial_mes.import_asn.start',
        'serial_mes.import_asn_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'open_', 'tryton-ok', default=True),
            ])
    open_ = StateAction('stock.act_shipment_in_form')

    def do_open_(self, action):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        shipment, _ = ShipmentIn.import_asn(bytes(self.start.file),
            self.start.filename)
        action['views'].reverse()
        return action, {'res_id': [shipment.id]}


class ScanReceiptStart(ModelView):
    __name__ = 'serial_mes.scan_receipt.start'
    shipment = fields.Many2One('stock.shipment.in', "Shipment",
        readonly=True)
    code = fields.Char("Scan",
        help="Scan each part's barcode (or type its serial) and press Enter.")
    accept_extra = fields.Boolean("Accept Unexpected as Extra")
    pending = fields.Char("Pending Scan", readonly=True,
        help="The code that scanning again accepts (or confirms).")
    last_result = fields.Char("Last Scan", readonly=True)
    progress = fields.Text("Expected / Scanned / Missing", readonly=True)


class ScanReceiptReport(ModelView):
    __name__ = 'serial_mes.scan_receipt.report'
    received = fields.Integer("Received Serials", readonly=True)
    received_by_quantity = fields.Float("Received by Quantity",
        readonly=True, help="Units received without serial: their serials "
        "are registered later, or they have none.")
    missing_count = fields.Integer("Missing", readonly=True)
    missing = fields.Text("Missing Serials", readonly=True)
    unexpected_count = fields.Integer("Unexpected Scans", readonly=True)
    unexpected = fields.Text("Unexpected", readonly=True)


class ScanReceipt(Wizard):
    "Scan the serials of a supplier shipment at the dock"
    __name__ = 'serial_mes.scan_receipt'
    start = StateView('serial_mes.scan_receipt.start',
        'serial_mes.scan_receipt_start_view_form', [
            Button("Close", 'end', 'tryton-close'),
            Button("Finish Receipt", 'finish', 'tryton-ok'),
            Button("Scan", 'scan', 'tryton-forward', default=True),
            ])
    scan = StateTransition()
    finish = StateTransition()
    report = StateView('serial_mes.scan_receipt.report',
        'serial_mes.scan_receipt_report_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        shipment = ShipmentIn(self.record.id)
        answer = getattr(self, 'answer', None) or shipment.receipt_status()
        return {
            'shipment': shipment.id,
            'code': None,
            'accept_extra': getattr(self.start, 'accept_extra', False),
            'pending': getattr(self, 'pending', None),
            'last_result': (answer.get('message') if 'result' in answer
                else None),
            'progress': progress_text(answer),
            }

    def transition_scan(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        code = self.start.code
        if code:
            # scanning again what may be taken takes it
            again = code == self.start.pending
            self.answer = ShipmentIn.scan_receipt(
                ShipmentIn(self.record.id), code,
                accept_extra=self.start.accept_extra or again,
                confirm=again)
            self.pending = code if self.answer.get('accept') else None
        return 'start'

    def transition_finish(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        self.answer = ShipmentIn.finish_receipt(ShipmentIn(self.record.id))
        return 'report'

    def default_report(self, fields):
        "The discrepancy report of the receipt just finished"
        answer = self.answer
        missing = answer.get('missing', [])
        unexpected = answer.get('unexpected', [])
        lines = ['%(product)s: %(serial)s' % m if m['serial']
            else '%s: %g without serial' % (m['product'], m['quantity'])
            for m in missing]
        return {
            'received': answer.get('received', 0),
            'received_by_quantity': answer.get('received_by_quantity', 0),
            'missing_count': sum(1 if m['serial'] else int(m['quantity'])
                for m in missing),
            'missing': '\n'.join(lines),
            'unexpected_count': answer['totals']['unexpected'],
            'unexpected': '\n'.join('%s (%s)%s' % (u['code'], u['result'],
                    ': ' + u['product'] if u['product'] else '')
                for u in unexpected),
            }


def progress_text(status):
    """The counts of receipt_status for people: totals first, then per
    product expected / scanned / missing (and what comes by quantity)"""
    totals = status['totals']
    text = ['%(expected)s expected · %(scanned)s scanned · '
        '%(missing)s missing · %(unexpected)s unexpected' % totals]
    if totals['by_quantity']:
        text[0] += ' · %s by quantity' % totals['by_quantity']
    for line in status['lines']:
        text.append('%(product)s: %(expected)s / %(scanned)s / %(missing)s'
            % line + (' (%s)' % line['note'] if line['note'] else ''))
    return '\n'.join(text)


class GenerateSerialsStart(ModelView):
    __name__ = 'serial_mes.receipt_generate.start'
    shipment = fields.Many2One('stock.shipment.in', "Shipment",
        readonly=True)
    product = fields.Many2One('product.product', "Product", required=True,
        domain=[('template.tracking', '=', 'serial')],
        help="The serial-tracked product of the unlabelled parts.")
    count = fields.Integer("Count", required=True,
        domain=[('count', '>=', 1), ('count', '<=', MAX_GENERATE)],
        help="How many parts to number: each gets a serial from the "
        "product's sequence and a label; scan the labels once stuck on.")
    generated = fields.Many2Many('stock.lot', None, None, "Serials",
        readonly=True)

    @classmethod
    def default_count(cls):
        return 1


class GenerateSerials(Wizard):
    "Number unlabelled parts of a supplier shipment and print their labels"
    __name__ = 'serial_mes.receipt_generate'
    start = StateView('serial_mes.receipt_generate.start',
        'serial_mes.receipt_generate_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Generate and Print", 'generate', 'tryton-ok',
                default=True),
            ])
    generate = StateTransition()
    print_ = StateReport('serial_mes.lot.labels')

    def default_start(self, fields):
        return {'shipment': self.record.id, 'count': 1}

    def transition_generate(self):
        pool = Pool()
        ShipmentIn = pool.get('stock.shipment.in')
        lots = ShipmentIn.generate_serials(ShipmentIn(self.record.id),
            self.start.product, self.start.count)
        self.start.generated = [l.id for l in lots]
        return 'print_'

    def do_print_(self, action):
        ids = [l.id for l in self.start.generated]
        return action, {'id': ids[0], 'ids': ids, 'model': 'stock.lot'}

    def transition_print_(self):
        return 'end'
