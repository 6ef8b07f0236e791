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


def png_gray(data):
    """(width, height, bytes of one grey byte a pixel) of a PNG without
    interlace nor row filters, greyscale 1 or 8 bits (segno's PNGs)"""
    import struct
    import zlib
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, header, compressed = 8, None, b''
    while pos < len(data):
        size, = struct.unpack('>I', data[pos:pos + 4])
        kind, chunk = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + size]
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', chunk)
        elif kind == b'IDAT':
            compressed += chunk
        pos += 12 + size
    width, height, depth, color, _, _, interlace = header
    assert color == 0 and depth in {1, 8} and not interlace, header
    raw = zlib.decompress(compressed)
    stride = (width * depth + 7) // 8
    pixels, previous = bytearray(), bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):  # PNG row filters, one byte a pixel
            left = line[i - 1] if i else 0
            up, corner = previous[i], previous[i - 1] if i else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                near = min((abs(p - left), 0, left), (abs(p - up), 1, up),
                    (abs(p - corner), 2, corner))[2]
                line[i] = (line[i] + near) & 255
        previous = line
        if depth == 8:
            pixels += line
        else:
            pixels += bytes(255 if line[x // 8] >> (7 - x % 8) & 1
                else 0 for x in range(width))
    return width, height, bytes(pixels)


def read_qr(png):
    "The text of the one QR code in the PNG image png (zxing-cpp)"
    import zxingcpp
    width, height, pixels = png_gray(png)
    barcode, = zxingcpp.read_barcodes(
        memoryview(pixels).cast('B', (height, width)),
        formats=zxingcpp.BarcodeFormat.QRCode)
    return barcode.text
