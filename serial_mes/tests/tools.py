# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Fixtures shared by the serial_mes tests"
from decimal import Decimal

from trytond.pool import Pool


def create_rule(name="Serial", sequence=True, **values):
    pool = Pool()
    Rule = pool.get('serial_mes.tracking.rule')
    Sequence = pool.get('ir.sequence')
    ModelData = pool.get('ir.model.data')
    if sequence and 'sequence' not in values:
        values['sequence'], = Sequence.create([{
                    'name': name,
                    'sequence_type': ModelData.get_id(
                        'stock_lot', 'sequence_type_stock_lot'),
                    'prefix': 'SN',
                    'padding': 4,
                    }])
        values['sequence'] = values['sequence'].id
    rule, = Rule.create([dict({'name': name}, **values)])
    return rule


def create_product(name="Part", code=None, rule=None, category=None,
        gtin=None):
    pool = Pool()
    Template = pool.get('product.template')
    Product = pool.get('product.product')
    Uom = pool.get('product.uom')
    unit, = Uom.search([('symbol', '=', 'u')], limit=1)
    template, = Template.create([{
                'name': name,
                'code': code,
                'type': 'goods',
                'default_uom': unit.id,
                'list_price': Decimal('10'),
                'tracking_rule': rule.id if rule else None,
                'categories': [('add', [category.id])] if category else [],
                }])
    product, = Product.create([{
                'template': template.id,
                'cost_price': Decimal('5'),
                'identifiers': [('create', [{
                                'type': 'ean', 'code': gtin}])] if gtin else [],
                }])
    return product


def locations():
    pool = Pool()
    Location = pool.get('stock.location')
    result = {}
    for type_ in ['supplier', 'customer', 'lost_found', 'warehouse',
            'production']:
        result[type_], = Location.search([('type', '=', type_)], limit=1)
    result['storage'] = result['warehouse'].storage_location
    result['input'] = result['warehouse'].input_location
    return result


def move(product, from_location, to_location, lot=None, quantity=1,
        company=None):
    pool = Pool()
    Move = pool.get('stock.move')
    move = Move(product=product, quantity=quantity,
        unit=product.default_uom, from_location=from_location,
        to_location=to_location, lot=lot, company=company)
    if from_location.type == 'supplier' or to_location.type == 'customer':
        move.unit_price = Decimal('5')
        move.currency = company.currency
    move.save()
    return move


def asteria():
    """The board supplier of the sample ASNs (GLN 9506000200002) and its
    two serial products: (motherboard, case, supplier)"""
    pool = Pool()
    Party = pool.get('party.party')
    rule = create_rule(pattern='[A-Z0-9][A-Z0-9-]{3,19}')
    board = create_product("Motherboard", code='MB-B760', rule=rule,
        gtin='9506000140100')
    case = create_product("Case", code='CASE-MID', rule=rule,
        gtin='9506000140155')
    ModelData = pool.get('ir.model.data')
    supplier, = Party.create([{'name': "Asteria Boards Ltd",
                'addresses': [('create', [{}])],
                'categories': [('add', [ModelData.get_id(
                                'serial_mes', 'party_category_supplier')])],
                'identifiers': [('create', [{
                                'code': '9506000200002'}])]}])
    return board, case, supplier


def receiving_counts():
    "Rows of what an ASN import writes: unchanged after a refusal"
    pool = Pool()
    return tuple(pool.get(m).search_count([]) for m in [
            'stock.shipment.in', 'stock.move', 'stock.lot',
            'serial_mes.event', 'ir.attachment'])
