# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import json
import re

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import bulk, describe
from .exceptions import EventAppendOnlyError

EVENT_TYPES = [
    ('object', "Object"),
    ('aggregation', "Aggregation"),
    ('association', "Association"),
    ('transformation', "Transformation"),
    ]
ACTIONS = [
    (None, ''),
    ('add', "Add"),
    ('observe', "Observe"),
    ('delete', "Delete"),
    ]
# CBV 2.0 business steps and dispositions used by the processes in scope
BIZ_STEPS = [
    (None, ''),
    ('commissioning', "Commissioning"),
    ('receiving', "Receiving"),
    ('storing', "Storing"),
    ('picking', "Picking"),
    ('assembling', "Assembling"),
    ('inspecting', "Inspecting"),
    ('packing', "Packing"),
    ('shipping', "Shipping"),
    ('installing', "Installing"),
    ('removing', "Removing"),
    ('repairing', "Repairing"),
    ('replacing', "Replacing"),
    ('disassembling', "Disassembling"),
    ('decommissioning', "Decommissioning"),
    ('destroying', "Destroying"),
    ('returning', "Returning"),
    ]
DISPOSITIONS = [
    (None, ''),
    ('active', "Active"),
    ('in_progress', "In Progress"),
    ('in_transit', "In Transit"),
    ('sellable_not_accessible', "Sellable, not Accessible"),
    ('conformant', "Conformant"),
    ('non_conformant', "Non Conformant"),
    ('needs_replacement', "Needs Replacement"),
    ('damaged', "Damaged"),
    ('recalled', "Recalled"),
    ('returned', "Returned"),
    ('inactive', "Inactive"),
    ('destroyed', "Destroyed"),
    ('disposed', "Disposed"),
    ('expected', "Expected"),
    ]
SOURCES = [
    ('scan', "Scan"),
    ('rfid', "RFID"),
    ('asn', "ASN"),
    ('manual', "Manual"),
    ('system', "System"),
    ]
STATUSES = [
    ('expected', "Expected"),
    ('in_stock', "In Stock"),
    ('in_wip', "In WIP"),
    ('installed', "Installed"),
    ('at_customer', "At Customer"),
    ('in_transit', "In Transit"),
    ('scrapped', "Scrapped"),
    ]
_OFFSET = re.compile(r'^[+-](0\d|1[0-4]):[0-5]\d$')


def utc_offset(moment=None):
    "The +HH:MM offset of the server's local time zone"
    moment = moment or dt.datetime.now().astimezone()
    offset = moment.utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds()) // 60
    sign = '-' if minutes < 0 else '+'
    return '%s%02d:%02d' % (sign, abs(minutes) // 60, abs(minutes) % 60)


class Event(ModelSQL, ModelView):
    "Append-only record of what happened to a serial, shaped after EPCIS 2.0"
    __name__ = 'serial_mes.event'
    _rec_name = 'name'
    name = fields.Function(fields.Char("Name"), 'get_name',
        searcher='search_rec_name')
    lot = fields.Many2One('stock.lot', "Serial", required=True,
        ondelete='RESTRICT')
    product = fields.Function(fields.Many2One('product.product', "Product",
            context={
                'company': Eval('company', -1),
                }, depends={'company'}),
        'get_product')
    # Timestamps, not DateTime: Tryton stores a DateTime in whole seconds
    # (rounded on PostgreSQL) while events and installations are ordered
    # and compared to the microsecond; the web client reads them back
    # unchanged (a DateTime with microseconds came back as changed)
    event_time = fields.Timestamp("Event Time", required=True,
        help="When it happened (stored in UTC).")
    event_time_zone_offset = fields.Char("Time Zone Offset", required=True,
        help="The offset of the local time where it happened, as +HH:MM.")
    recorded_at = fields.Timestamp("Recorded at", required=True,
        readonly=True)
    event_type = fields.Selection(EVENT_TYPES, "Type", required=True)
    action = fields.Selection(ACTIONS, "Action",
        states={
            'required': Eval('event_type') != 'transformation',
            })
    biz_step = fields.Selection(BIZ_STEPS, "Business Step")
    disposition = fields.Selection(DISPOSITIONS, "Disposition")
    read_point = fields.Reference("Read Point", selection='get_read_points')
    location = fields.Many2One('stock.location', "Business Location",
        ondelete='RESTRICT')
    operator = fields.Many2One('company.employee', "Operator",
        ondelete='RESTRICT')
    source = fields.Selection(SOURCES, "Source", required=True)
    origin = fields.Reference("Origin", selection='get_origins')
    status_from = fields.Selection([(None, '')] + STATUSES, "Status from")
    status_to = fields.Selection([(None, '')] + STATUSES, "Status to")
    payload = fields.Text("Payload", help="Free JSON data.")
    description = fields.Function(fields.Char("Details",
            help="What happened, in words: the part fitted or removed "
            "and where, the unit it went into, the new number."),
        'get_description')
    corrects = fields.Many2One('serial_mes.event', "Corrects",
        ondelete='SET NULL', readonly=True,
        help="The event this correction was recorded for.")
    company = fields.Many2One('company.company', "Company", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.lot, Index.Range()),
                    (t.event_time, Index.Range(order='DESC'))),
                Index(t, (t.event_time, Index.Range())),
                })
        cls._order = [('event_time', 'DESC'), ('id', 'DESC')]
        # A recorded event is not edited: it is corrected (Correct Event)
        saved = Eval('id', -1) >= 0
        for name in ['lot', 'event_time', 'event_time_zone_offset',
                'event_type', 'action', 'biz_step', 'disposition',
                'read_point', 'location', 'operator', 'source', 'origin',
                'status_from', 'status_to', 'payload', 'company']:
            field = getattr(cls, name)
            field.states = field.states.copy()
            field.states['readonly'] = If(saved, True,
                field.states.get('readonly', False))
        cls._buttons.update({
                'correct': {
                    'invisible': ~saved,
                    'depends': ['id'],
                    },
                })

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        cls._widen_times()

    @classmethod
    def _widen_times(cls):
        """Databases made when event times were DateTime keep a
        timestamp(0) column on PostgreSQL (trytond migrates only
        create_date and write_date): widen it, or sub-second times are
        rounded and events sort wrongly against their installations"""
        if backend.name != 'postgresql':
            return
        from psycopg.sql import SQL, Identifier
        cursor = Transaction().connection.cursor()
        for column in ['event_time', 'recorded_at']:
            cursor.execute('SELECT datetime_precision '
                'FROM information_schema.columns '
                'WHERE table_schema = current_schema() '
                'AND table_name = %s AND column_name = %s',
                (cls._table, column))
            row = cursor.fetchone()
            if row and row[0] is not None and row[0] < 6:
                cursor.execute(SQL(
                        'ALTER TABLE {} ALTER COLUMN {} TYPE timestamp')
                    .format(Identifier(cls._table), Identifier(column)))

    @classmethod
    def default_event_time(cls):
        return dt.datetime.now()

    @classmethod
    def default_event_time_zone_offset(cls):
        return utc_offset()

    @classmethod
    def default_recorded_at(cls):
        return dt.datetime.now()

    @classmethod
    def default_event_type(cls):
        return 'object'

    @classmethod
    def default_action(cls):
        return 'observe'

    @classmethod
    def default_source(cls):
        return 'manual'

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def _get_read_points(cls):
        return ['stock.location', 'production.work.center']

    @classmethod
    def get_read_points(cls):
        return cls._model_selection(cls._get_read_points())

    @classmethod
    def _get_origins(cls):
        return ['stock.move', 'stock.shipment.in', 'stock.shipment.out',
            'stock.shipment.out.return', 'stock.shipment.in.return',
            'stock.shipment.internal', 'production', 'stock.lot',
            'serial_mes.event']

    @classmethod
    def get_origins(cls):
        return cls._model_selection(cls._get_origins())

    @staticmethod
    def _model_selection(names):
        pool = Pool()
        IrModel = pool.get('ir.model')
        models = IrModel.search([('name', 'in', names)])
        return [(None, '')] + [(m.name, m.string) for m in models]

    def get_name(self, name):
        return '%s %s @ %s' % (
            self.biz_step or self.event_type, self.lot.rec_name,
            self.event_time.isoformat(' ', 'seconds'))

    def get_product(self, name):
        return self.lot.product.id

    @classmethod
    def get_description(cls, events, name):
        return describe.describe(events)

    @classmethod
    def validate_fields(cls, events, field_names):
        super().validate_fields(events, field_names)
        for event in events:
            if ('event_time_zone_offset' in field_names
                    and not _OFFSET.match(event.event_time_zone_offset or '')):
                raise EventAppendOnlyError(gettext(
                        'serial_mes.msg_event_bad_offset',
                        offset=event.event_time_zone_offset))
            if 'payload' in field_names and event.payload:
                try:
                    json.loads(event.payload)
                except ValueError as exception:
                    raise EventAppendOnlyError(gettext(
                            'serial_mes.msg_event_bad_payload',
                            error=str(exception)))

    @classmethod
    def _may_correct(cls):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        user_id = Transaction().user
        if user_id == 0:
            return True
        group_id = ModelData.get_id('serial_mes', 'group_serial_mes_admin')
        return group_id in User.get_groups()

    @classmethod
    @ModelView.button_action('serial_mes.wizard_event_correct')
    def correct(cls, events):
        pass

    @classmethod
    def record_correction(cls, event, values, reason=None):
        """Record a correction of event: a new event of the same serial
        with the corrected values, pointing at it through `corrects`; the
        event itself stays as it was. Administrators only."""
        if not cls._may_correct():
            raise EventAppendOnlyError(gettext(
                    'serial_mes.msg_event_append_only'))
        values = {k: v for k, v in values.items()
            if k in CORRECTABLE and v != getattr(event, k)}
        if not values:
            raise EventAppendOnlyError(gettext(
                    'serial_mes.msg_event_correction_empty',
                    event=event.rec_name))
        changes = {k: (v.id if hasattr(v, 'id') else v)
            for k, v in values.items()}
        new = {
            'lot': event.lot.id,
            'event_type': event.event_type,
            'action': event.action,
            'biz_step': event.biz_step,
            'disposition': event.disposition,
            'event_time': event.event_time,
            'event_time_zone_offset': event.event_time_zone_offset,
            'read_point': str(event.read_point) if event.read_point else None,
            'location': event.location.id if event.location else None,
            'operator': event.operator.id if event.operator else None,
            'origin': str(event.origin) if event.origin else None,
            'source': 'manual',
            'company': event.company.id,
            'corrects': event.id,
            'recorded_at': dt.datetime.now(),
            'payload': json.dumps({
                    'correction': 'correct',
                    'event': event.id,
                    'reason': reason,
                    'before': cls._snapshot(event),
                    'changes': {k: str(v) if v is not None else None
                        for k, v in changes.items()},
                    }),
            }
        new.update(changes)
        correction, = cls.create([new])
        return correction

    @classmethod
    def _snapshot(cls, event):
        return {k: str(v) if v is not None else None for k, v in (
                ('event_time', event.event_time),
                ('biz_step', event.biz_step),
                ('disposition', event.disposition),
                ('action', event.action),
                ('location', event.location.rec_name if event.location
                    else None),
                ('read_point', event.read_point),
                ('payload', event.payload),
                )}

    @classmethod
    def _record_corrections(cls, events, what, values=None):
        cls.create([{
                    'lot': e.lot.id,
                    'event_type': 'object',
                    'action': 'observe',
                    'source': 'manual',
                    'company': e.company.id,
                    'corrects': e.id if what == 'write' else None,
                    'payload': json.dumps({
                            'correction': what,
                            'event': e.id,
                            'before': cls._snapshot(e),
                            'changes': {
                                k: str(v) for k, v in (values or {}).items()},
                            }),
                    } for e in events])

    @classmethod
    def create(cls, vlist):
        transaction = Transaction()
        if (transaction.user and transaction.check_access
                and not cls._may_correct()):
            vlist = cls._own_events(vlist)
        return super().create(vlist)

    @classmethod
    def _own_events(cls, vlist):
        """Events a user records by hand: recorded now and by the user's
        own employee; system events and corrections are the services' and
        the administrators'"""
        pool = Pool()
        User = pool.get('res.user')
        user = User(Transaction().user)
        now = dt.datetime.now()
        result = []
        for values in vlist:
            if values.get('source') == 'system':
                raise EventAppendOnlyError(gettext(
                        'serial_mes.msg_event_system_source'))
            if values.get('corrects'):
                raise EventAppendOnlyError(gettext(
                        'serial_mes.msg_event_corrects'))
            result.append(dict(values, recorded_at=now,
                    operator=user.employee.id if user.employee else None))
        return result

    @classmethod
    def write(cls, *args):
        if not cls._may_correct():
            raise EventAppendOnlyError(gettext(
                    'serial_mes.msg_event_append_only'))
        actions = iter(args)
        for events, values in zip(actions, actions):
            cls._record_corrections(events, 'write', values)
        super().write(*args)

    @classmethod
    def delete(cls, events):
        if not cls._may_correct():
            raise EventAppendOnlyError(gettext(
                    'serial_mes.msg_event_append_only'))
        cls._record_corrections(events, 'delete')
        super().delete(events)

    @classmethod
    def copy(cls, events, default=None):
        if not events:
            return []
        raise EventAppendOnlyError(gettext('serial_mes.msg_event_append_only'))

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('lot.rec_name',) + tuple(clause[1:])]

    @classmethod
    def bulk_values(cls, lot_ids, company_id, **values):
        "Rows for a raw multi-row insert: the same columns create() writes"
        now = dt.datetime.now()
        base = {
            'event_time': now,
            'event_time_zone_offset': utc_offset(),
            'recorded_at': now,
            'event_type': 'object',
            'action': 'observe',
            'source': 'system',
            'company': company_id,
            'create_uid': Transaction().user,
            'create_date': now,
            }
        base.update(values)
        return [dict(base, lot=lot_id) for lot_id in lot_ids]

    @classmethod
    def insert_rows(cls, rows):
        "Insert rows made by bulk_values() (system events, bulk paths)"
        if not rows:
            return
        columns = sorted(set().union(*rows))
        bulk.insert(cls, columns, [[r.get(c) for c in columns] for r in rows])


# What a correction may change (the serial, its status and the source stay)
CORRECTABLE = ['event_time', 'biz_step', 'disposition', 'action', 'location']


class CorrectStart(ModelView):
    "The corrected values of an event"
    __name__ = 'serial_mes.event.correct.start'
    event = fields.Many2One('serial_mes.event', "Event", readonly=True)
    event_type = fields.Selection(EVENT_TYPES, "Type", readonly=True)
    event_time = fields.Timestamp("Event Time", required=True)
    action = fields.Selection(ACTIONS, "Action",
        states={
            'required': Eval('event_type') != 'transformation',
            })
    biz_step = fields.Selection(BIZ_STEPS, "Business Step")
    disposition = fields.Selection(DISPOSITIONS, "Disposition")
    location = fields.Many2One('stock.location', "Business Location")
    reason = fields.Char("Reason", required=True,
        help="Why the event is corrected.")


class Correct(Wizard):
    """Correct an event: a new event records the corrected values and
    points at the one it corrects, which stays as it was"""
    __name__ = 'serial_mes.event.correct'
    start = StateView('serial_mes.event.correct.start',
        'serial_mes.event_correct_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Record Correction", 'apply', 'tryton-ok', default=True),
            ])
    apply = StateTransition()

    def default_start(self, fields):
        event = self.record
        return {
            'event': event.id,
            'event_type': event.event_type,
            'event_time': event.event_time,
            'action': event.action,
            'biz_step': event.biz_step,
            'disposition': event.disposition,
            'location': event.location.id if event.location else None,
            }

    def transition_apply(self):
        pool = Pool()
        Event = pool.get('serial_mes.event')
        event = self.record
        start = self.start
        values = {name: getattr(start, name) for name in CORRECTABLE}
        # the web client keeps milliseconds: an unchanged time is the
        # event's own
        if values['event_time'] and abs(values['event_time']
                - event.event_time) < dt.timedelta(milliseconds=1):
            values['event_time'] = event.event_time
        Event.record_correction(event, values, reason=start.reason)
        return 'end'
