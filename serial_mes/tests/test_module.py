# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class SerialMesTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Serial MES module"
    module = 'serial_mes'


class SerialMesPurchaseTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Serial MES module with purchase (its extra dependency)"
    module = 'serial_mes'
    extras = ['purchase']


del ModuleTestCase
