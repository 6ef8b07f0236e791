# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Fixtures shared by the serial_mes_rfid tests"
import datetime as dt

from trytond.pool import Pool

from serial_mes.gs1 import gtin_check_digit
from serial_mes.tests.tools import create_product, create_rule, locations

from serial_mes_rfid.epc import encode_sgtin

T0 = dt.datetime(2025, 6, 2, 8, 0, 0)       # UTC


def gtin(digits):
    "A GTIN-14 from 13 digits"
    return digits + gtin_check_digit(digits)


def at(seconds, offset='Z'):
    "ISO time T0 + seconds (UTC)"
    moment = T0 + dt.timedelta(seconds=seconds)
    if offset == 'Z':
        return moment.isoformat() + 'Z'
    return moment.isoformat() + offset


class Site:
    """A company's warehouse with serial-tracked boards and one reader:
    1 portal (observe), 2/3 a dock door (outside/inside, move), 4 a shelf
    (move to the rack)"""

    def __init__(self, company, numbers=('1001', '1002', 'SN-0003')):
        pool = Pool()
        Lot = pool.get('stock.lot')
        Location = pool.get('stock.location')
        Reader = pool.get('serial_mes.rfid.reader')
        Antenna = pool.get('serial_mes.rfid.antenna')
        self.places = locations()
        storage = self.places['storage']
        self.gtin = gtin('0950600013435')
        rule = create_rule(pattern=None)
        self.product = create_product("Board", code='MB', rule=rule,
            gtin=self.gtin)
        self.dock, self.rack, self.staging = Location.create([{
                    'name': name, 'code': code, 'type': 'storage',
                    'parent': storage.id,
                    } for name, code in [("Dock 1", 'DOCK1'),
                    ("Rack A", 'RACK-A'), ("Staging", 'STAGE')]])
        lot_ids = Lot.receive_serials(self.product, list(numbers),
            storage, self.places['supplier'])
        self.lots = Lot.browse(lot_ids)
        self.reader, = Reader.create([{
                    'name': "Dock reader", 'identifier': 'dock-1',
                    'smoothing_window': 5, 'direction_window': 10,
                    'company': company.id,
                    }])
        read_point = 'stock.location,%s' % storage.id
        self.portal, self.outside, self.inside, self.shelf = Antenna.create([
                {'reader': self.reader.id, 'port': 1, 'name': "Portal",
                    'role': 'portal', 'read_point': read_point,
                    'location': storage.id, 'action': 'observe',
                    'biz_step': 'storing'},
                {'reader': self.reader.id, 'port': 2, 'name': "Door out",
                    'role': 'dock_door', 'dock_side': 'outside',
                    'read_point': 'stock.location,%s' % self.dock.id,
                    'location': self.staging.id, 'action': 'move'},
                {'reader': self.reader.id, 'port': 3, 'name': "Door in",
                    'role': 'dock_door', 'dock_side': 'inside',
                    'read_point': 'stock.location,%s' % self.dock.id,
                    'location': self.dock.id, 'action': 'move'},
                {'reader': self.reader.id, 'port': 4, 'name': "Shelf",
                    'role': 'shelf',
                    'read_point': 'stock.location,%s' % self.rack.id,
                    'location': self.rack.id, 'action': 'move'},
                ])
        Antenna.write([self.inside], {'pair': self.outside.id})

    def epc(self, lot_or_number, scheme=None):
        number = getattr(lot_or_number, 'number', lot_or_number)
        return encode_sgtin(self.gtin, number, scheme=scheme).hex
