# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""ASN lines matched to purchase order lines (with the purchase module).

An ASN naming purchase orders delivers their lines: each incoming move
takes the purchase line as origin (with its price), the line's unshipped
remainder is recomputed by the purchase itself, and an ASN that names an
unknown or closed order, a product not ordered or more than is left to
receive is refused with nothing written."""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta

from .exceptions import ReceivingError


class ShipmentIn(metaclass=PoolMeta):
    __name__ = 'stock.shipment.in'

    @classmethod
    def _asn_allocate(cls, asn, supplier, lines, shipment):
        allocations = super()._asn_allocate(asn, supplier, lines, shipment)
        if not asn.order_references:
            return allocations
        purchase_lines = cls._asn_purchase_lines(asn, supplier)
        remaining = {l: cls._asn_remaining(l, shipment)
            for l in purchase_lines}
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
    def _asn_remaining(cls, purchase_line, shipment):
        """What is left to receive of purchase_line: its quantity less its
        moves, but for the unshipped remainder (replaced by the ASN's moves)
        and the moves of shipment (an ASN being corrected)"""
        pool = Pool()
        Uom = pool.get('product.uom')
        skip = set(purchase_line.moves_recreated) | set(
            purchase_line.moves_ignored)
        shipped = Decimal(0)
        for move in purchase_line.moves:
            if move in skip:
                continue
            if move.state == 'draft' and not move.shipment:
                continue
            if shipment and move.shipment == shipment:
                continue
            shipped += Decimal(str(Uom.compute_qty(
                        move.unit, move.quantity, purchase_line.unit)))
        return Decimal(str(purchase_line.quantity)) - shipped

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
    def _asn_allocated(cls, shipment, allocations):
        "The ASN's moves replace the unshipped remainders of their lines"
        pool = Pool()
        Move = pool.get('stock.move')
        Purchase = pool.get('purchase.purchase')
        PurchaseLine = pool.get('purchase.line')
        super()._asn_allocated(shipment, allocations)
        lines = {o for a in allocations for o, _ in a
            if isinstance(o, PurchaseLine)}
        if not lines:
            return
        lines = PurchaseLine.browse([l.id for l in lines])
        Move.delete([m for l in lines for m in l.moves
                if m.state == 'draft' and not m.shipment])
        Purchase.process(Purchase.browse({l.purchase.id for l in lines}))

    @classmethod
    def finish_receipt(cls, shipment):
        "What was not delivered stays to receive on the purchase order"
        pool = Pool()
        Purchase = pool.get('purchase.purchase')
        purchases = {m.purchase.id for m in shipment.incoming_moves
            if m.purchase}
        answer = super().finish_receipt(shipment)
        if purchases:
            Purchase.process(Purchase.browse(list(purchases)))
        return answer
