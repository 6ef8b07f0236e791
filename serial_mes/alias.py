# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pyson import Eval

from .exceptions import SerialNumberError

ALIAS_TYPES = [
    ('supplier', "Supplier Serial"),
    ('internal', "Internal Serial"),
    ('customer_asset', "Customer Asset Tag"),
    ('mac', "MAC Address"),
    ('imei', "IMEI"),
    ('previous', "Previous Serial"),
    ('other', "Other"),
    ]


class Alias(ModelSQL, ModelView):
    "Another number of a serial: supplier's, customer's, MAC, previous..."
    __name__ = 'serial_mes.alias'
    _rec_name = 'value'
    lot = fields.Many2One('stock.lot', "Serial", required=True,
        ondelete='CASCADE')
    type = fields.Selection(ALIAS_TYPES, "Type", required=True)
    value = fields.Char("Value", required=True)
    party = fields.Many2One('party.party', "Party", ondelete='RESTRICT',
        states={
            'invisible': ~Eval('type').in_(
                ['supplier', 'customer_asset', 'other']),
            },
        help="The supplier or customer who gave this number.")
    valid_from = fields.Date("Valid from")
    valid_to = fields.Date("Valid to",
        domain=['OR',
            ('valid_to', '=', None),
            ('valid_to', '>=', Eval('valid_from', None)),
            ])

    @classmethod
    def __setup__(cls):
        cls.value.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.value, Index.Equality(cardinality='high'))),
                Index(t, (t.lot, Index.Range())),
                })
        cls._order.insert(0, ('valid_from', 'DESC NULLS FIRST'))

    @classmethod
    def default_type(cls):
        return 'supplier'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if isinstance(values.get('value'), str):
            values['value'] = values['value'].strip()
        return values

    @classmethod
    def validate_fields(cls, aliases, field_names):
        super().validate_fields(aliases, field_names)
        if 'value' in field_names:
            for alias in aliases:
                if (not alias.value or len(alias.value) > 64
                        or any(ord(c) < 32 for c in alias.value)):
                    raise SerialNumberError(gettext(
                            'serial_mes.msg_alias_malformed',
                            value=alias.value))
