# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""ASN lines matched to purchase order lines (with the purchase module).

An ASN naming purchase orders delivers their lines: each incoming move
takes the purchase line as origin (with its price) and the line's
unshipped remainder (its draft move without shipment) shrinks by as much;
it grows back when a corrected ASN or the receipt delivers less. An ASN
that names an unknown or closed order, a product not ordered or more than
is left to receive is refused with nothing written."""
from decimal import Decimal

from sql import Null
from sql.aggregate import Sum

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import ReceivingError


class ShipmentIn(metaclass=PoolMeta):
    __name__ = 'stock.shipment.in'

    @classmethod
    def _asn_is_supplier(cls, party):
        "Also a party with a purchase order or supplying a product"
        pool = Pool()
        Purchase = pool.get('purchase.purchase')
        ProductSupplier = pool.get('purchase.product_supplier')
        return (super()._asn_is_supplier(party)
            or bool(Purchase.search([
                        ('party', '=', party.id),
                        ('state', '!=', 'cancelled'),
                        ], limit=1))
            or bool(ProductSupplier.search([
                        ('party', '=', party.id)], limit=1)))

    @classmethod
    def _asn_allocate(cls, asn, supplier, lines, shipment):
        allocations = super()._asn_allocate(asn, supplier, lines, shipment)
        if not asn.order_references:
            return allocations
        pool = Pool()
        Uom = pool.get('product.uom')
        purchase_lines = cls._asn_purchase_lines(asn, supplier)
        # in the product's unit, as the ASN counts (an order may be in
        # boxes)
        remaining = {l: Decimal(str(Uom.compute_qty(l.unit, float(q),
                        l.product.default_uom, round=False)))
            for l, q in cls._asn_remaining(purchase_lines, shipment).items()}
        result = []
        for (line, product), allocation in zip(lines, allocations):
            quantity = sum(q for _, q in allocation)
            candidates = cls._asn_candidates(line, product, purchase_lines)
            if not candidates:
                raise ReceivingError(gettext(
                        'serial_mes.msg_asn_purchase_product',
                        line=line.line, product=product.rec_name,
                        orders=', '.join(asn.order_references)))
            left = sum(remaining[c] for c in candidates)
            if quantity > left:
                raise ReceivingError(gettext(
                        'serial_mes.msg_asn_purchase_exceeds',
                        line=line.line, product=product.rec_name,
                        quantity='%g' % quantity, left='%g' % left,
                        orders=', '.join(asn.order_references)))
            parts = []
            for candidate in candidates:
                take = min(quantity, remaining[candidate])
                if take > 0:
                    parts.append((candidate, take))
                    remaining[candidate] -= take
                    quantity -= take
            result.append(parts)
        return result

    @classmethod
    def _asn_purchase_lines(cls, asn, supplier):
        "The lines of the supplier's open purchases that the ASN names"
        pool = Pool()
        Purchase = pool.get('purchase.purchase')
        references = list(asn.order_references)
        purchases = Purchase.search([
                ('party', '=', supplier.id),
                ['OR',
                    ('number', 'in', references),
                    ('reference', 'in', references),
                    ],
                ])
        found = {p.number for p in purchases} | {
            p.reference for p in purchases}
        unknown = [r for r in references if r not in found]
        if unknown:
            raise ReceivingError(gettext(
                    'serial_mes.msg_asn_purchase_unknown',
                    orders=', '.join(unknown), supplier=supplier.rec_name))
        states = dict(Purchase.fields_get(['state'])['state']['selection'])
        for purchase in purchases:
            if purchase.state not in {'confirmed', 'processing'}:
                raise ReceivingError(gettext(
                        'serial_mes.msg_asn_purchase_closed',
                        purchase=purchase.rec_name,
                        state=states[purchase.state]))
        return [l for p in purchases for l in p.line_lines
            if l.product and l.quantity > 0]

    @classmethod
    def _asn_candidates(cls, line, product, purchase_lines):
        """The purchase lines of product, the one the ASN line names first:
        suppliers echo a line's position as 1, 2, … or 10, 20, …"""
        candidates = [l for l in purchase_lines if l.product == product]
        if line.order_line and line.order_line.isdigit():
            number = int(line.order_line)

            def named(purchase_line):
                position = purchase_line.purchase.line_lines.index(
                    purchase_line) + 1
                return number in {position, position * 10}
            candidates.sort(key=lambda l: not named(l))
        return candidates

    @classmethod
    def _asn_shipped(cls, purchase_lines, shipment=None):
        """{purchase line: quantity of its moves} as the purchase counts
        them, less the unshipped remainder (draft moves without shipment)
        and the moves of shipment (an ASN being corrected): one query"""
        pool = Pool()
        Move = pool.get('stock.move')
        Uom = pool.get('product.uom')
        move = Move.__table__()
        cursor = Transaction().connection.cursor()
        lines = {'purchase.line,%d' % l.id: l for l in purchase_lines}
        skip = [m.id for l in purchase_lines
            for m in l.moves_recreated + l.moves_ignored]
        shipped = {l: Decimal(0) for l in purchase_lines}
        for sub in grouped_slice(list(lines), 1000):
            where = move.origin.in_(list(sub))
            where &= ~((move.state == 'draft') & (move.shipment == Null))
            if shipment:
                where &= (move.shipment != str(shipment)) | (
                    move.shipment == Null)
            if skip:
                where &= ~move.id.in_(skip)
            cursor.execute(*move.select(move.origin, move.unit,
                    Sum(move.quantity), where=where,
                    group_by=[move.origin, move.unit]))
            for origin, unit, quantity in cursor:
                line = lines[origin]
                shipped[line] += Decimal(str(Uom.compute_qty(
                            Uom(unit), quantity, line.unit)))
        return shipped

    @classmethod
    def _asn_remaining(cls, purchase_lines, shipment=None):
        "{purchase line: quantity left to receive}"
        shipped = cls._asn_shipped(purchase_lines, shipment)
        return {l: Decimal(str(l.quantity)) - shipped[l]
            for l in purchase_lines}

    @classmethod
    def _asn_set_unshipped(cls, purchase_lines):
        """Make each line's unshipped remainder (its draft move without
        shipment) what is left to receive, as processing the purchase
        would, without locking the purchase or going through all its
        moves"""
        pool = Pool()
        Move = pool.get('stock.move')
        Uom = pool.get('product.uom')
        if not purchase_lines:
            return
        remaining = cls._asn_remaining(purchase_lines)
        to_delete, to_save = [], []
        for line in purchase_lines:
            left = line.unit.round(float(remaining[line]))
            pending = Move.search([
                    ('origin', '=', str(line)),
                    ('state', '=', 'draft'),
                    ('shipment', '=', None),
                    ], order=[('id', 'ASC')])
            if left <= 0:
                to_delete.extend(pending)
            elif pending:
                first, *others = pending
                to_delete.extend(others)
                quantity = Uom.compute_qty(line.unit, left, first.unit)
                if first.quantity != quantity:
                    first.quantity = quantity
                    to_save.append(first)
            else:
                move = line.get_move('in')
                if move:
                    to_save.append(move)
        Move.save(to_save)
        Move.delete(to_delete)

    @classmethod
    def _asn_move_template(cls, shipment, product, origin=None):
        pool = Pool()
        PurchaseLine = pool.get('purchase.line')
        values = super()._asn_move_template(shipment, product, origin)
        if isinstance(origin, PurchaseLine):
            values['unit_price'] = origin.unit_price
            values['currency'] = origin.purchase.currency.id
        return values

    @classmethod
    def _asn_clear(cls, shipment, keep):
        lines = cls._purchase_lines(
            [m.origin for m in shipment.incoming_moves])
        super()._asn_clear(shipment, keep)
        cls._asn_set_unshipped(lines)

    @classmethod
    def _asn_allocated(cls, shipment, allocations):
        "The ASN's moves take the place of their lines' remainders"
        super()._asn_allocated(shipment, allocations)
        cls._asn_set_unshipped(cls._purchase_lines(
                [o for a in allocations for o, _ in a]))

    @classmethod
    def _receipt_paperwork(cls, shipment, number):
        "A purchase order's number or reference is no serial either"
        pool = Pool()
        Purchase = pool.get('purchase.purchase')
        paperwork = super()._receipt_paperwork(shipment, number)
        if paperwork:
            return paperwork
        purchases = Purchase.search(['OR',
                ('number', '=', number),
                ('reference', '=', number),
                ], limit=1)
        if purchases:
            return gettext('serial_mes.msg_scan_paperwork_purchase',
                code=number, purchase=purchases[0].rec_name)

    @classmethod
    def finish_receipt(cls, shipment):
        "What was not delivered stays to receive on the purchase order"
        lines = cls._purchase_lines(
            [m.origin for m in shipment.incoming_moves])
        answer = super().finish_receipt(shipment)
        cls._asn_set_unshipped(lines)
        return answer

    @staticmethod
    def _purchase_lines(origins):
        "The purchase lines among origins, once each"
        pool = Pool()
        PurchaseLine = pool.get('purchase.line')
        return PurchaseLine.browse(
            list({o.id for o in origins if isinstance(o, PurchaseLine)}))
