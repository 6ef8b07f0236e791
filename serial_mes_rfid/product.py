# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import Check, Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

from . import epc as epc_module
from .epc import prefix_length_of


class Template(metaclass=PoolMeta):
    __name__ = 'product.template'
    epc_company_prefix_length = fields.Integer(
        "EPC Company Prefix Length",
        help="Digits of the GS1 Company Prefix in the product's GTIN (6 to "
        "12): where the EPC of a serial splits the GTIN.  Set from GS1's "
        "prefix-length table when a GTIN is added and it is empty.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('epc_company_prefix_length_range',
                Check(t, (t.epc_company_prefix_length >= 6)
                    & (t.epc_company_prefix_length <= 12)),
                'serial_mes_rfid.msg_company_prefix_length'),
            ]

    def epc_prefix_length(self, gtin):
        """(length, source) of the company prefix of gtin for this
        product's EPCs: its setting ('product'), else GS1's prefix table
        ('gs1'), else DEFAULT_PREFIX_LENGTH ('default')"""
        if self.epc_company_prefix_length:
            return self.epc_company_prefix_length, 'product'
        return prefix_length_of(gtin)


class ProductIdentifier(metaclass=PoolMeta):
    __name__ = 'product.identifier'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # RFID reads find products by GTIN
        cls._sql_indexes.add(Index(t, (t.code, Index.Equality()),
                where=t.type == 'ean'))

    @classmethod
    def _clear_gtin_cache(cls):
        from .rfid import product_cache
        product_cache.clear()

    @classmethod
    def create(cls, vlist):
        cls._clear_gtin_cache()
        identifiers = super().create(vlist)
        cls._default_prefix_length(identifiers)
        return identifiers

    @classmethod
    def write(cls, *args):
        cls._clear_gtin_cache()
        super().write(*args)
        actions = iter(args)
        cls._default_prefix_length(
            sum((list(records) for records, _ in zip(actions, actions)), []))

    @classmethod
    def _default_prefix_length(cls, identifiers):
        "The templates without EPC company prefix length take the GTIN's"
        Template = Pool().get('product.template')
        lengths = {}
        for identifier in identifiers:
            template = identifier.product.template
            if (identifier.type != 'ean'
                    or template.epc_company_prefix_length
                    or template in lengths):
                continue
            length, source = prefix_length_of(identifier.code)
            if source == 'gs1':
                lengths[template] = length
        with without_check_access():
            for template, length in lengths.items():
                Template.write([template],
                    {'epc_company_prefix_length': length})

    @classmethod
    def delete(cls, identifiers):
        cls._clear_gtin_cache()
        super().delete(identifiers)


class Product(metaclass=PoolMeta):
    __name__ = 'product.product'

    @classmethod
    def write(cls, *args):
        from .rfid import product_cache
        actions = iter(args)
        if any('active' in values for _, values in zip(actions, actions)):
            product_cache.clear()   # inactive products are not looked up
        super().write(*args)


class Lot(metaclass=PoolMeta):
    __name__ = 'stock.lot'
    epc = fields.Function(fields.Char("EPC",
            help="The SGTIN EPC (hex) to write on the serial's tag, from "
            "the product's GTIN, company prefix length and the number."),
        'get_epc', searcher='search_epc')
    epc_tag_uri = fields.Function(fields.Char("EPC Tag URI"), 'get_epc')

    def epc_value(self):
        "The Epc of the serial, or None when it has none"
        gtin = self.product.gtin if self.product else None
        if not gtin or not self.number:
            return None
        length, _ = self.product.template.epc_prefix_length(gtin)
        try:
            return epc_module.encode_sgtin(gtin, self.number,
                company_prefix_length=length)
        except epc_module.EpcError:
            return None

    def get_epc(self, name):
        value = self.epc_value()
        if value is None:
            return None
        return value.hex if name == 'epc' else value.tag_uri

    @classmethod
    def search_epc(cls, name, clause):
        "An EPC (hex or URI) finds the serial of its GTIN and serial"
        pool = Pool()
        Product = pool.get('product.product')
        _, operator, value = clause[:3]
        if operator not in {'=', '!='}:
            return [('id', '=', -1)]
        products, serial = [], None
        try:
            decoded = epc_module.decode(value or '')
        except epc_module.EpcError:
            decoded = None
        if decoded and decoded.gtin:
            products = Product.search_gtin(decoded.gtin)
            serial = decoded.serial
        domain = [
            ('product', 'in', [p.id for p in products]),
            ('number', '=', serial),
            ]
        if operator == '!=':
            return ['NOT', domain]
        return domain
