# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Pair Device, through the wizard protocol: a device user with only the
groups it needs, a key that acts as that user, shown as a QR code that
reads back as the key; pairing the name again cancels the old key; only
Serial MES administrators run it."""
import unittest

from proteus import Model, Wizard
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests.tools import create_company
from trytond.pool import Pool
from trytond.tests.test_tryton import drop_db
from trytond.tests.tools import activate_modules, set_user

from .test_wizards import create_user, server
from .tools import read_qr

RECEIVING_GROUPS = {'Stock', 'Serial MES Warehouse'}


def check_key(key, application):
    "The login of the user the key acts as, None if the key is not valid"
    def check():
        Application = Pool().get('res.user.application')
        found = Application.check(key, application)
        return found.user.login if found else None
    return server(check)


class PairDeviceTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = activate_modules('serial_mes', create_company)
        cls.admin = cls.config.user

    @classmethod
    def tearDownClass(cls):
        drop_db()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        set_user(self.admin, self.config)

    def pair(self, name, kind='receiving'):
        wizard = Wizard('serial_mes.device.pair')
        wizard.form.name = name
        wizard.form.kind = kind
        wizard.execute('pair')
        self.assertEqual(wizard.form_state, 'result')
        return wizard.form

    def device_user(self, login):
        User = Model.get('res.user')
        user, = User.find([('login', '=', login)])
        return user

    def test_pair_receiving_device(self):
        "A device user in Stock + Warehouse only, its key as a QR code"
        result = self.pair("Dock 1 Tablet")
        self.assertEqual(result.user, 'device-dock-1-tablet')
        self.assertEqual(result.application, 'serial_mes_receiving')
        self.assertEqual(len(result.key), 128)
        self.assertEqual(result.cancelled, 0)
        self.assertEqual(read_qr(result.qr_code), result.key)
        user = self.device_user('device-dock-1-tablet')
        self.assertEqual(user.name, "Dock 1 Tablet")
        self.assertEqual({g.name for g in user.groups}, RECEIVING_GROUPS)
        # the key acts as the device user, for its application only
        self.assertEqual(check_key(result.key, 'serial_mes_receiving'),
            'device-dock-1-tablet')
        self.assertIsNone(check_key(result.key, 'serial_mes_rfid'))

    def test_pair_again_cancels_old_key(self):
        first = self.pair("Dock 2 Tablet")
        second = self.pair("dock 2 tablet ")
        self.assertEqual(second.user, first.user)
        self.assertEqual(second.cancelled, 1)
        self.assertNotEqual(second.key, first.key)
        self.assertIsNone(check_key(first.key, 'serial_mes_receiving'))
        self.assertEqual(check_key(second.key, 'serial_mes_receiving'),
            'device-dock-2-tablet')
        User = Model.get('res.user')
        self.assertEqual(len(User.find([
                        ('login', '=', 'device-dock-2-tablet')])), 1)
        user = self.device_user('device-dock-2-tablet')
        self.assertEqual({g.name for g in user.groups}, RECEIVING_GROUPS)
        # groups given by hand since are taken back: only what it needs
        user = self.device_user('device-dock-2-tablet')
        Group = Model.get('res.group')
        user.groups.append(Group(Group.find(
                    [('name', '=', 'Administration')])[0].id))
        user.save()
        self.pair("Dock 2 Tablet")
        user = self.device_user('device-dock-2-tablet')
        self.assertEqual({g.name for g in user.groups}, RECEIVING_GROUPS)

    def test_refusals(self):
        "A name without letters or digits; the login of a person"
        with self.assertRaises(UserError) as refusal:
            self.pair(" -- ")
        self.assertIn("name", refusal.exception.message)
        User = Model.get('res.user')
        person = User(name="Device Guy", login='device-guy',
            password='a long Password 123!')
        person.save()
        with self.assertRaises(UserError) as refusal:
            self.pair("Guy")
        self.assertIn('device-guy', refusal.exception.message)

    def test_only_administrators(self):
        "Serial MES administrators run it; a warehouse clerk may not"
        admin = create_user('mes-admin',
            'serial_mes.group_serial_mes_admin')
        set_user(admin, self.config)
        result = self.pair("Dock 3 Tablet")
        self.assertEqual(check_key(result.key, 'serial_mes_receiving'),
            'device-dock-3-tablet')
        clerk = create_user('pair-clerk', 'stock.group_stock',
            'serial_mes.group_serial_mes_warehouse')
        set_user(clerk, self.config)
        with self.assertRaises(AccessError):
            self.pair("Dock 4 Tablet")
