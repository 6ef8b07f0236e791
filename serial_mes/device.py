# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Pair Device: an administrator gives a tablet, scanner or RFID reader a
user of its own with only the groups it needs, and its key for the
routes as a QR code that the device's scanner reads into the receiving
page's key dialog."""
import io
import re

import segno

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import DeviceError

LOGIN_PREFIX = 'device-'


def device_login(name):
    "The login of the device user: device-<name in lower case, dashes>"
    slug = re.sub(r'[^a-z0-9]+', '-', name.strip().lower()).strip('-')
    return LOGIN_PREFIX + slug if slug else None


def qr_png(text):
    "A QR code of text (PNG) that a scanner or camera reads from a screen"
    buffer = io.BytesIO()
    segno.make(text, error='m').save(buffer, kind='png', scale=6, border=4)
    return buffer.getvalue()


class PairDeviceStart(ModelView):
    __name__ = 'serial_mes.device.pair.start'
    name = fields.Char("Device Name", required=True,
        help="The name of the tablet, scanner or reader, e.g. Dock 1 "
        "Tablet. Pairing the same name again replaces its key.")
    kind = fields.Selection([
            ('receiving', "Receiving device (tablet, scanner)"),
            ], "Kind", required=True)

    @staticmethod
    def default_kind():
        return 'receiving'


class PairDeviceResult(ModelView):
    __name__ = 'serial_mes.device.pair.result'
    user = fields.Char("User", readonly=True)
    application = fields.Char("Application", readonly=True)
    key = fields.Char("Key", readonly=True, strip=False)
    qr_code = fields.Binary("QR Code", readonly=True)
    cancelled = fields.Integer("Old Keys Cancelled", readonly=True)


class PairDevice(Wizard):
    __name__ = 'serial_mes.device.pair'
    start = StateView('serial_mes.device.pair.start',
        'serial_mes.device_pair_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Pair", 'pair', 'tryton-ok', default=True),
            ])
    pair = StateTransition()
    result = StateView('serial_mes.device.pair.result',
        'serial_mes.device_pair_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    @classmethod
    def kinds(cls):
        """kind -> (user application of its key, its groups as
        module.xml_id); serial_mes_rfid adds its reader"""
        return {
            'receiving': ('serial_mes_receiving',
                ['stock.group_stock',
                    'serial_mes.group_serial_mes_warehouse']),
            }

    def transition_pair(self):
        pool = Pool()
        User = pool.get('res.user')
        Application = pool.get('res.user.application')
        ModelData = pool.get('ir.model.data')
        application, groups = self.kinds()[self.start.kind]
        login = device_login(self.start.name)
        if not login:
            raise DeviceError(gettext('serial_mes.msg_device_name',
                    name=self.start.name))
        company = Transaction().context.get('company')
        group_ids = [ModelData.get_id(*g.split('.')) for g in groups]
        # the wizard's own groups (administrators) are checked by Tryton;
        # the device user and its key are then created on their behalf
        with without_check_access():
            users = User.search([
                    ('login', '=', login),
                    ('active', 'in', [True, False]),
                    ])
            if users:
                user, = users
                if self._has_password(user):
                    raise DeviceError(gettext(
                            'serial_mes.msg_device_not_device',
                            login=login))
                old = Application.search([
                        ('user', '=', user.id),
                        ('state', '!=', 'cancelled'),
                        ])
                Application.write(old, {'state': 'cancelled'})
                User.write([user], {
                        'name': self.start.name.strip(),
                        'active': True,
                        # not remove all then add: Tryton adds before
                        # it removes, which would leave no group at all
                        'groups': [
                            ('remove', [g.id for g in user.groups
                                    if g.id not in group_ids]),
                            ('add', group_ids)],
                        'companies': [('add', [company])] if company
                        else [],
                        'company': company,
                        })
            else:
                old = []
                user, = User.create([{
                            'name': self.start.name.strip(),
                            'login': login,
                            'groups': [('add', group_ids)],
                            'companies': [('add', [company])] if company
                            else [],
                            'company': company,
                            }])
            key, = Application.create([{
                        'user': user.id,
                        'application': application,
                        'state': 'validated',
                        }])
            self._result = {
                'user': login,
                'application': application,
                'key': key.key,
                'qr_code': qr_png(key.key),
                'cancelled': len(old),
                }
        return 'result'

    @staticmethod
    def _has_password(user):
        "Whether user logs in with a password (res.user never reads it)"
        User = Pool().get('res.user')
        table = User.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.password_hash,
                where=table.id == user.id))
        password_hash, = cursor.fetchone()
        return bool(password_hash)

    def default_result(self, fields):
        return getattr(self, '_result', {})
