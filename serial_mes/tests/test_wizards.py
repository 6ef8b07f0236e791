# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The Import ASN and Replace Component wizards run as the web client runs
them: proteus creates the wizard session and executes its states with the
form's values and the active record in the context, each call in a
transaction of its own that a refusal rolls back."""
import os
import unittest

from proteus import Model, Wizard
from proteus.config import get_config
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests.tools import create_company
from trytond.pool import Pool
from trytond.tests.test_tryton import drop_db
from trytond.tests.tools import activate_modules, set_user
from trytond.transaction import Transaction

from .tools import asteria, create_product, create_rule, locations

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))), 'data', 'asn')
COUNTED = ['stock.shipment.in', 'stock.move', 'stock.lot',
    'serial_mes.event', 'serial_mes.installation', 'serial_mes.alias',
    'ir.attachment']


def sample(name):
    with open(os.path.join(DATA, name), 'rb') as file:
        return file.read()


def server(function):
    """function() in a committed transaction of the wizard's database, as
    the admin user with the company in context (fixtures, row counts)"""
    config = get_config()
    with Transaction().start(config.database_name, 0,
            context=config.context) as transaction:
        result = function()
        transaction.commit()
    return result


def counts():
    "Rows of everything the two wizards write"
    return server(lambda: {name: Pool().get(name).search_count([])
            for name in COUNTED})


def create_user(login, *group_xml_ids):
    "A user with only the groups given (as module.xml_id)"
    def create():
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = Transaction().context['company']
        user, = User.create([{
                    'name': login, 'login': login,
                    'companies': [('add', [company])], 'company': company,
                    'groups': [('add', [ModelData.get_id(*x.split('.'))
                                for x in group_xml_ids])],
                    }])
        return user.id
    return server(create)


class WizardTestCase(unittest.TestCase):
    "Import ASN and Replace Component, through the wizard protocol"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = activate_modules('serial_mes', create_company)
        cls.admin = cls.config.user
        # the supplier and products of the sample ASNs
        cls.board, cls.case, cls.supplier = server(asteria)

    @classmethod
    def tearDownClass(cls):
        drop_db()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        set_user(self.admin, self.config)

    def assertRefused(self, wizard, state, message):
        """Executing state raises a UserError whose message contains
        message, and no row is written"""
        before = counts()
        with self.assertRaises(UserError) as refusal:
            wizard.execute(state)
        self.assertIn(message, refusal.exception.message)
        self.assertEqual(counts(), before)
        return refusal.exception

    # --- Import ASN ----------------------------------------------------

    def import_asn(self, data, filename='asn.xml'):
        "The wizard of the menu entry, its form filled in"
        wizard = Wizard('serial_mes.import_asn')
        self.assertEqual(wizard.states, ['end', 'open_'])
        wizard.form.file = data
        wizard.form.filename = filename
        return wizard

    def test_import_asn(self):
        "Import ASN creates the shipment and opens it; again: the same one"
        clerk = create_user('asn-clerk', 'serial_mes.group_serial_mes_warehouse',
            'stock.group_stock')
        set_user(clerk, self.config)
        data = sample('ubl_despatch_advice.xml')
        before = counts()
        wizard = self.import_asn(data)
        wizard.execute('open_')
        self.assertEqual(wizard.state, 'end')
        shipment, = wizard.actions[0]
        self.assertEqual(shipment.__class__.__name__, 'stock.shipment.in')
        self.assertEqual(shipment.asn_number, 'AST-DA-2024-0311')
        self.assertEqual(shipment.supplier.id, self.supplier.id)
        self.assertEqual(len(shipment.incoming_moves), 12)
        self.assertEqual({m.lot.status for m in shipment.incoming_moves},
            {'expected'})
        after = counts()
        self.assertEqual(after['stock.shipment.in'],
            before['stock.shipment.in'] + 1)
        self.assertEqual(after['ir.attachment'], before['ir.attachment'] + 1)

        again = self.import_asn(data)
        again.execute('open_')
        self.assertEqual(again.actions[0], [shipment])
        self.assertEqual(counts(), after)

    def test_import_asn_refusals(self):
        "A garbage file, an unknown product or supplier: told, nothing written"
        data = sample('ubl_despatch_advice.xml')
        for content, message in [
                (b'\x00\x9f garbage \xff' * 20, "The ASN cannot be read"),
                (b'', "The ASN cannot be read"),
                (data.replace(b'9506000140155', b'9506000149998').replace(
                        b'CASE-MID-AST', b'CASE-XL-AST'),
                    "ASN line 2: no product has the GTIN 09506000149998 "
                    "or the code CASE-XL-AST"),
                (data.replace(b'9506000200002', b'9506000299990').replace(
                        b'Asteria Boards Ltd', b'Nobody Ltd'),
                    "No supplier has the GLN 9506000299990"),
                ]:
            with self.subTest(message=message):
                self.assertRefused(self.import_asn(content), 'open_', message)

    def test_import_asn_needs_warehouse(self):
        "A production operator cannot import ASNs through the wizard"
        operator = create_user('asn-operator',
            'serial_mes.group_serial_mes_operator')
        set_user(operator, self.config)
        data = sample('ubl_despatch_advice.xml').replace(
            b'AST-DA-2024-0311', b'AST-DA-2024-0312')
        before = counts()
        with self.assertRaises(AccessError):
            self.import_asn(data).execute('open_')
        self.assertEqual(counts(), before)

    # --- Replace Component ---------------------------------------------

    def setup_units(self, suffix):
        """Two PCs with an SSD each, spare SSDs and a fan in stock, and an
        SSD that was in PC1 and was taken out; suffix makes the numbers and
        codes of each test its own"""
        def setup():
            pool = Pool()
            Lot = pool.get('stock.lot')
            Installation = pool.get('serial_mes.installation')
            rule = create_rule("Serial " + suffix)
            pc_product, ssd_product, fan_product = [
                create_product(name, code=name.upper() + suffix, rule=rule)
                for name in ["PC", "SSD", "Fan"]]
            loc = locations()

            def receive(product, *numbers):
                return Lot.browse(Lot.receive_serials(product, list(numbers),
                        loc['storage'], loc['supplier']))
            pc1, pc2 = receive(pc_product, *['PC%s-%s' % (i, suffix)
                    for i in [1, 2]])
            old, spare, other, gone = receive(ssd_product, *[
                    'SSD-%s-%s' % (n, suffix)
                    for n in ['OLD', 'SPARE', 'OTHER', 'GONE']])
            receive(fan_product, 'FAN-1-' + suffix)
            removed = Installation.install(pc1, gone, check_bom=False)
            Installation.remove(removed, 'upgrade', location=loc['storage'])
            links = {
                'old': Installation.install(pc1, old, check_bom=False).id,
                'other': Installation.install(pc2, other,
                    check_bom=False).id,
                'removed': removed.id,
                }
            return pc1.id, pc2.id, links
        pc1, pc2, links = server(setup)
        Lot = Model.get('stock.lot')
        Installation = Model.get('serial_mes.installation')
        return Lot(pc1), Lot(pc2), {k: Installation(v)
            for k, v in links.items()}

    def replace(self, unit, component, new_code, disposal='scrap'):
        "The wizard opened on unit's form, filled in"
        wizard = Wizard('serial_mes.replace', [unit])
        self.assertEqual(wizard.states, ['end', 'replace'])
        self.assertEqual(wizard.form.unit, unit)
        wizard.form.component = component
        wizard.form.new_code = new_code
        wizard.form.reason = 'defective'
        wizard.form.disposal = disposal
        return wizard

    def test_replace(self):
        "Replace Component: the new part in, the old one scrapped, linked"
        pc1, pc2, links = self.setup_units('A')
        technician = create_user('technician',
            'serial_mes.group_serial_mes_service')
        set_user(technician, self.config)
        wizard = self.replace(pc1, links['old'], 'SSD-SPARE-A')
        wizard.form.note = "SMART errors"
        wizard.execute('replace')
        self.assertEqual(wizard.state, 'end')

        set_user(self.admin, self.config)
        old = Model.get('serial_mes.installation')(links['old'].id)
        self.assertEqual(old.state, 'removed')
        self.assertEqual(old.removal_reason, 'defective')
        self.assertEqual(old.removal_note, "SMART errors")
        self.assertEqual(old.child.status, 'scrapped')
        new = old.replaced_by
        self.assertEqual((new.parent, new.child.number, new.state),
            (pc1, 'SSD-SPARE-A', 'installed'))
        self.assertEqual(new.child.status, 'installed')

    def test_replace_needs_service(self):
        "A production operator cannot open Replace Component"
        pc1, pc2, links = self.setup_units('C')
        operator = create_user('replace-operator',
            'serial_mes.group_serial_mes_operator')
        set_user(operator, self.config)
        before = counts()
        with self.assertRaises(AccessError):
            self.replace(pc1, links['old'], 'SSD-SPARE-C').execute('replace')
        self.assertEqual(counts(), before)

    def test_replace_refusals(self):
        """Garbage, a part of another product, a component not installed
        in the unit, a replacement installed elsewhere: told, nothing
        written"""
        pc1, pc2, links = self.setup_units('B')
        for component, code, message in [
                (links['old'], '(01)123', 'Scan "(01)123" is not valid'),
                (links['old'], 'NO-SUCH-SSD',
                    'No serial has the number or alias "NO-SUCH-SSD"'),
                (links['old'], 'FAN-1-B',
                    'Serial "FAN-1-B" cannot replace a part of product'),
                (links['removed'], 'SSD-SPARE-B',
                    'is not installed in "PC1-B"'),
                (links['other'], 'SSD-SPARE-B',
                    'is not installed in "PC1-B"'),
                (links['old'], 'SSD-OTHER-B',
                    'Serial "SSD-OTHER-B" is already installed in "PC2-B"'),
                (links['old'], 'SSD-OLD-B',
                    'Serial "SSD-OLD-B" is already installed in "PC1-B"'),
                ]:
            with self.subTest(code=code, component=component.id):
                self.assertRefused(self.replace(pc1, component, code),
                    'replace', message)
        Installation = Model.get('serial_mes.installation')
        self.assertEqual(Installation(links['other'].id).state, 'installed')
        self.assertEqual(Installation(links['old'].id).state, 'installed')
