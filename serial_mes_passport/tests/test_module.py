# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class SerialMesPassportTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Serial MES Passport module"
    module = 'serial_mes_passport'


del ModuleTestCase
