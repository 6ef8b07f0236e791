# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Recall: the finished units that contain given lots or serials"
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.tools import escape_wildcard
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .event import STATUSES
from .exceptions import InstallationError
from .installation import recall_csv

# longer text is no party's code or name (and is not searched)
MAX_SUPPLIER = 1000
CANDIDATES_SHOWN = 10


def find_supplier(text):
    """The party text names: its exact code or name, else the one party
    whose name or code starts with it, in any case (InstallationError
    naming the candidates when there are several)"""
    pool = Pool()
    Party = pool.get('party.party')
    text = (text or '').strip()
    candidates = []
    if text and len(text) <= MAX_SUPPLIER:
        for field in ['code', 'name']:
            exact = Party.search([(field, '=', text)], limit=2)
            if len(exact) == 1:
                return exact[0]
            candidates = exact
            if candidates:
                break
        else:
            prefix = escape_wildcard(text) + '%'
            candidates = Party.search(['OR',
                    ('code', 'ilike', prefix),
                    ('name', 'ilike', prefix),
                    ], limit=CANDIDATES_SHOWN + 1, order=[('name', 'ASC')])
            if len(candidates) == 1:
                return candidates[0]
    shown = text if len(text) <= 60 else text[:57] + '...'
    if not candidates:
        raise InstallationError(gettext('serial_mes.msg_supplier_unknown',
                supplier=shown))
    names = ', '.join('%s (%s)' % (p.name, p.code) if p.code else p.name
        for p in candidates[:CANDIDATES_SHOWN])
    if len(candidates) > CANDIDATES_SHOWN:
        names += ', ...'
    raise InstallationError(gettext('serial_mes.msg_supplier_ambiguous',
            supplier=shown, candidates=names))


class RecallStart(ModelView):
    __name__ = 'serial_mes.recall.start'
    lots = fields.Many2Many('stock.lot', None, None, "Lots and Serials")
    supplier = fields.Many2One('party.party', "Supplier",
        help="Every lot or serial received from this supplier.")
    received_from = fields.Date("Received from")
    received_to = fields.Date("Received to")

    @fields.depends('lots')
    def on_scan_code(self, code):
        "A scan (Tryton's code scanner) adds the serial it names"
        Lot = Pool().get('stock.lot')
        lot = Lot.resolve_scan(code)
        if lot not in self.lots:
            self.lots = list(self.lots) + [lot]


class RecallUnit(ModelView):
    __name__ = 'serial_mes.recall.unit'
    serial = fields.Char("Serial", readonly=True)
    product = fields.Char("Product", readonly=True)
    status = fields.Selection(STATUSES, "Status", readonly=True)
    location = fields.Char("Location", readonly=True)
    holder = fields.Char("Holder", readonly=True)
    delivered = fields.Char("Delivered", readonly=True)


class RecallResult(ModelView):
    __name__ = 'serial_mes.recall.result'
    units = fields.One2Many('serial_mes.recall.unit', None, "Affected Units",
        readonly=True)
    count = fields.Integer("Count", readonly=True)
    csv_file = fields.Binary("CSV", filename='csv_filename', readonly=True)
    csv_filename = fields.Char("File Name", readonly=True)


class Recall(Wizard):
    __name__ = 'serial_mes.recall'
    start = StateView('serial_mes.recall.start',
        'serial_mes.recall_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            # not the default: Enter (a scanner's suffix) must not start
            # the search before the serial is added
            Button("Search", 'search', 'tryton-search'),
            ])
    search = StateTransition()
    result = StateView('serial_mes.recall.result',
        'serial_mes.recall_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        if self.model and self.model.__name__ == 'stock.lot':
            return {'lots': [r.id for r in self.records]}
        return {}

    def lot_ids(self):
        pool = Pool()
        Installation = pool.get('serial_mes.installation')
        lot_ids = {l.id for l in self.start.lots}
        if self.start.supplier:
            lot_ids.update(Installation.lots_received(self.start.supplier,
                    self.start.received_from, self.start.received_to))
        if not lot_ids:
            raise InstallationError(gettext('serial_mes.msg_recall_empty'))
        return sorted(lot_ids)

    def transition_search(self):
        return 'result'

    def default_result(self, fields):
        pool = Pool()
        Installation = pool.get('serial_mes.installation')
        units = Installation.recall(self.lot_ids())
        return {
            'units': units,
            'count': len(units),
            'csv_file': recall_csv(units).encode('utf-8'),
            'csv_filename': 'recall.csv',
            }
