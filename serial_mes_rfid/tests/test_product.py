# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The EPC company prefix length of a product: its setting, else GS1's table"
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction

from serial_mes.tests.tools import create_product, create_rule

from serial_mes_rfid.epc import encode_sgtin, gs1_company_prefix_length


def test_gs1_company_prefix_length():
    assert gs1_company_prefix_length('09506000140179') == 11
    assert gs1_company_prefix_length('7044610873466') == 6
    assert gs1_company_prefix_length('614141123452') == 7
    assert gs1_company_prefix_length('96385074') is None     # GTIN-8


class PrefixLengthTestCase(_DBTestCase):
    module = 'serial_mes_rfid'

    @with_transaction()
    def test_defaults_from_the_gtin_and_serial_agrees(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        Template = pool.get('product.template')
        Identifier = pool.get('product.identifier')
        company = create_company()
        with set_company(company):
            rule = create_rule(pattern=None)
            product = create_product("PC", code='PC', rule=rule,
                gtin='09506000140179')
            self.assertEqual(product.template.epc_company_prefix_length, 11)
            lot, = Lot.create_serials(product, numbers=['PC-PRO-00001'])
            self.assertEqual(lot.epc, encode_sgtin('09506000140179',
                    'PC-PRO-00001', 11).hex)
            # a setting is kept when a GTIN is added
            Template.write([product.template],
                {'epc_company_prefix_length': 6})
            Identifier.create([{'product': product.id, 'type': 'ean',
                        'code': '7044610873466'}])
            lot = Lot(lot.id)
            self.assertEqual(
                Template(product.template.id).epc_company_prefix_length, 6)
            self.assertEqual(lot.epc, encode_sgtin('09506000140179',
                    'PC-PRO-00001', 6).hex)
            # no GTIN in the table, nothing set: 7
            other = create_product("Eight", code='E8', rule=rule,
                gtin='96385074')
            self.assertIsNone(other.template.epc_company_prefix_length)
            self.assertEqual(other.template.epc_prefix_length('96385074'),
                (7, 'default'))


del _DBTestCase
