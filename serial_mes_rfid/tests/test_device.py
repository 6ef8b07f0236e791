# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Pair Device with serial_mes_rfid: an RFID reader gets the RFID device group"
import unittest

from proteus import Model, Wizard
from trytond.modules.company.tests.tools import create_company
from trytond.tests.test_tryton import drop_db
from trytond.tests.tools import activate_modules

from serial_mes.tests.test_device import check_key
from serial_mes.tests.tools import read_qr


class PairReaderTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_modules('serial_mes_rfid', create_company)

    @classmethod
    def tearDownClass(cls):
        drop_db()
        super().tearDownClass()

    def test_pair_reader(self):
        wizard = Wizard('serial_mes.device.pair')
        wizard.form.name = "Dock Door 1 Reader"
        wizard.form.kind = 'rfid'
        wizard.execute('pair')
        result = wizard.form
        self.assertEqual(result.user, 'device-dock-door-1-reader')
        self.assertEqual(result.application, 'serial_mes_rfid')
        self.assertEqual(read_qr(result.qr_code), result.key)
        User = Model.get('res.user')
        user, = User.find([('login', '=', 'device-dock-door-1-reader')])
        self.assertEqual({g.name for g in user.groups},
            {'Serial MES RFID Device'})
        self.assertEqual(check_key(result.key, 'serial_mes_rfid'),
            'device-dock-door-1-reader')
        self.assertIsNone(check_key(result.key, 'serial_mes_receiving'))
