# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Replacement of an installed component (repair), keeping the history"
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import InstallationError, SerialNotFound
from .installation import REMOVAL_REASONS


class ReplaceStart(ModelView):
    __name__ = 'serial_mes.replace.start'
    unit = fields.Many2One('stock.lot', "Unit", readonly=True)
    component = fields.Many2One('serial_mes.installation', "Component",
        required=True,
        domain=[
            ('parent', '=', Eval('unit', -1)),
            ('removed_at', '=', None),
            ('serial', '=', True),
            ])
    new_code = fields.Char("New Serial", required=True,
        help="Scan or type the new part's serial, GS1 barcode or alias.")
    reason = fields.Selection(REMOVAL_REASONS[1:], "Reason", required=True)
    note = fields.Char("Note")
    disposal = fields.Selection([
            ('stock', "Back to stock"),
            ('scrap', "Scrap"),
            ], "Old Part", required=True)
    location = fields.Many2One('stock.location', "Location",
        domain=[('type', '=', 'storage')],
        states={
            'invisible': Eval('disposal') != 'stock',
            })

    @classmethod
    def default_reason(cls):
        return 'defective'

    @classmethod
    def default_disposal(cls):
        return 'scrap'


class Replace(Wizard):
    __name__ = 'serial_mes.replace'
    start = StateView('serial_mes.replace.start',
        'serial_mes.replace_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Replace", 'replace', 'tryton-ok', default=True),
            ])
    replace = StateTransition()

    def default_start(self, fields):
        return {'unit': self.record.id}

    def transition_replace(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        Installation = pool.get('serial_mes.installation')
        unit = self.record
        link = self.start.component
        # the form's domain binds only the client: the server checks it
        if (link.parent != unit or link.removed_at or not link.serial):
            raise InstallationError(gettext(
                    'serial_mes.msg_replace_not_in_unit',
                    component=link.rec_name,
                    unit=unit.rec_name if unit else '-'))
        try:
            new = Lot.resolve_scan(self.start.new_code, product=link.product)
        except SerialNotFound:
            # a part of another product: replace() says so, not "not found"
            new = Lot.resolve_scan(self.start.new_code)
        Installation.replace(link, new, self.start.reason,
            note=self.start.note, location=self.start.location,
            scrap=self.start.disposal == 'scrap')
        return 'end'
