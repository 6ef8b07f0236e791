# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Pair Device pairs RFID readers too: a user in Serial MES RFID Device only"
from trytond.pool import PoolMeta


class PairDeviceStart(metaclass=PoolMeta):
    __name__ = 'serial_mes.device.pair.start'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.kind.selection.append(('rfid', "RFID reader or middleware"))


class PairDevice(metaclass=PoolMeta):
    __name__ = 'serial_mes.device.pair'

    @classmethod
    def kinds(cls):
        kinds = super().kinds()
        kinds['rfid'] = ('serial_mes_rfid',
            ['serial_mes_rfid.group_rfid_device'])
        return kinds
