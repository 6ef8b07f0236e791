# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class SerialMesRfidTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Serial MES Rfid module"
    module = 'serial_mes_rfid'


del ModuleTestCase
