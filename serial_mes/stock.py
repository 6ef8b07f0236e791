# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import json
from collections import defaultdict

from sql import For
from sql.aggregate import Count

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelView, Unique, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import bulk
from .event import STATUSES
from .exceptions import SerialNotFound, SerialNumberError, SerialQuantityError

SII_STATUSES = {'in_stock'}
# The status a serial takes when a done move brings it to a location type
LOCATION_STATUS = {
    'storage': 'in_stock',
    'warehouse': 'in_stock',
    'production': 'in_wip',
    'customer': 'at_customer',
    'supplier': 'in_transit',
    'drop': 'in_transit',
    'lost_found': 'scrapped',
    }
# CBV business step and disposition written with each status change
STATUS_EVENT = {
    'in_stock': ('storing', 'active'),
    'in_wip': ('assembling', 'in_progress'),
    'installed': ('installing', 'inactive'),
    'at_customer': ('shipping', 'active'),
    'in_transit': ('shipping', 'in_transit'),
    'scrapped': ('destroying', 'destroyed'),
    'expected': ('commissioning', 'expected'),
    }
REMOVAL_STATUSES = {'scrapped', 'at_customer'}
# Set by the services only (moves, installations, re-serialization), which
# write the event and keep the old number; refused to RPC and REST calls
SERVICE_FIELDS = ['status', 'current_location', 'holder', 'number']


def biz_step_for(move, status_to):
    from_type = move.from_location.type
    if status_to == 'in_stock':
        if from_type == 'supplier':
            return 'receiving', 'active'
        if from_type == 'customer':
            return 'receiving', 'returned'
        if from_type == 'production':
            return 'assembling', 'active'
        shipment = move.shipment
        if shipment and shipment.__name__ == 'stock.shipment.out':
            return 'picking', 'active'
    return STATUS_EVENT[status_to]


class Lot(metaclass=PoolMeta):
    __name__ = 'stock.lot'
    status = fields.Selection(STATUSES, "Status", required=True,
        readonly=True, sort=False)
    # the status in words, for every message built from a status
    status_name = status.translated('status')
    inventory = fields.Function(fields.Selection([
                ('sii', "Serial in inventory"),
                ('snii', "Serial not in inventory"),
                ], "SII/SNII"),
        'get_inventory', searcher='search_inventory')
    current_location = fields.Many2One('stock.location', "Current Location",
        readonly=True, ondelete='RESTRICT')
    holder = fields.Many2One('party.party', "Holder", readonly=True,
        ondelete='RESTRICT',
        help="The party holding the serial, where known.")
    gtin = fields.Function(fields.Char("GTIN"), 'get_gtin')
    aliases = fields.One2Many('serial_mes.alias', 'lot', "Aliases")
    events = fields.One2Many('serial_mes.event', 'lot', "Events",
        readonly=True, order=[('event_time', 'DESC'), ('id', 'DESC')])
    documents = fields.One2Many('ir.attachment', 'resource', "Documents")
    notes = fields.One2Many('ir.note', 'resource', "Notes")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('serial_mes_number_product_uniq',
                Unique(t, t.product, t.number),
                'serial_mes.msg_serial_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.product, Index.Range()),
                    (t.status, Index.Equality(cardinality='low')),
                    (t.number, Index.Range())),
                Index(t, (t.status, Index.Equality(cardinality='low'))),
                Index(t, (t.current_location, Index.Range())),
                })
        cls.number.states = cls.number.states.copy()
        cls.number.states['readonly'] = Eval('id', -1) >= 0
        cls._buttons.update({
                'reserialize': {
                    'invisible': ~Eval('id', -1),
                    'depends': ['id'],
                    },
                })

    @classmethod
    def default_status(cls):
        return 'expected'

    def get_inventory(self, name):
        return 'sii' if self.status in SII_STATUSES else 'snii'

    @classmethod
    def search_inventory(cls, name, clause):
        _, operator, value = clause[:3]
        values = value if isinstance(value, (list, tuple)) else [value]
        sii = ('sii' in values) != (operator in {'!=', 'not in'})
        return [('status', 'in' if sii else 'not in', list(SII_STATUSES))]

    def get_gtin(self, name):
        return self.product.gtin

    @classmethod
    def search_rec_name(cls, name, clause):
        domain = super().search_rec_name(name, clause)
        _, operator, value = clause[:3]
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op, domain, ('aliases.value', operator, value)]

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Product = pool.get('product.product')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('product') is not None:
            product = Product(values['product'])
            if product.serial_rule:
                values.setdefault('unit', product.default_uom.id)
                values.setdefault('unit_quantity', 1)
        return values

    @classmethod
    def check_modification(cls, mode, lots, values=None, external=False):
        super().check_modification(
            mode, lots, values=values, external=external)
        if not external or not lots:
            return
        if mode == 'write':
            refused = [(lots[0], f) for f in SERVICE_FIELDS if f in values]
        elif mode == 'create':
            # a new serial starts expected, nowhere, with nobody
            start = {'status': cls.default_status(),
                'current_location': None, 'holder': None}
            refused = [(lot, f) for lot in lots for f, value in start.items()
                if getattr(lot, f) != value]
        else:
            refused = []
        if refused:
            lot, field = refused[0]
            raise AccessError(gettext(
                    'serial_mes.msg_serial_service_field',
                    field=cls._fields[field].string, serial=lot.rec_name))

    @classmethod
    def validate_fields(cls, lots, field_names):
        super().validate_fields(lots, field_names)
        if field_names & {'number', 'product'}:
            for lot in lots:
                rule = lot.product.serial_rule
                if rule:
                    rule.check_number(lot.number)

    # --- service layer -------------------------------------------------

    @classmethod
    def find_serial(cls, code, product=None):
        "The serial whose number or alias is code (SerialNotFound otherwise)"
        domain = [('rec_name', '=', code)]
        if product:
            domain.append(('product', '=', product.id))
        lots = cls.search(domain, limit=2)
        exact = [l for l in lots if l.number == code]
        if len(exact) == 1:
            return exact[0]
        if len(lots) == 1:
            return lots[0]
        if not lots:
            raise SerialNotFound(gettext(
                    'serial_mes.msg_serial_not_found', code=code))
        raise SerialNotFound(gettext(
                'serial_mes.msg_serial_ambiguous', code=code))

    @classmethod
    def find_epc(cls, code, product=None):
        """The serial whose EPC (hex or URI) is code, or None; only with
        serial_mes_rfid activated, which gives serials their EPC"""
        if 'epc' not in cls._fields:
            return None
        domain = [('epc', '=', code)]
        if product:
            domain.append(('product', '=', product.id))
        lots = cls.search(domain, limit=2)
        return lots[0] if len(lots) == 1 else None

    @classmethod
    def resolve_scan(cls, code, product=None):
        """The serial a scan names: a GS1 barcode or Digital Link with
        (01)+(21), a serial number or alias typed or scanned as is, or the
        EPC of its RFID tag.  Every command and page that takes a serial
        resolves it here."""
        pool = Pool()
        Product = pool.get('product.product')
        from .gs1 import BarcodeError, parse_barcode
        try:
            barcode = parse_barcode(code or '', plain=True)
        except BarcodeError as exception:
            raise SerialNotFound(gettext(
                    'serial_mes.msg_scan_invalid', code=code,
                    error=str(exception)))
        if barcode.kind == 'plain':
            text = barcode.text.strip()
            try:
                return cls.find_serial(text, product=product)
            except SerialNotFound:
                lot = cls.find_epc(text, product=product)
                if lot is None:
                    raise
                return lot
        if not barcode.serial:
            raise SerialNotFound(gettext(
                    'serial_mes.msg_scan_no_serial', code=code))
        products = Product.search_gtin(barcode.gtin) if barcode.gtin else []
        if not products:
            raise SerialNotFound(gettext(
                    'serial_mes.msg_scan_unknown_gtin', gtin=barcode.gtin))
        if product and product not in products:
            raise SerialNotFound(gettext(
                    'serial_mes.msg_scan_wrong_product', code=code,
                    product=product.rec_name))
        return cls.find_serial(barcode.serial, product=products[0])

    @classmethod
    def generate_numbers(cls, product, count, order=None):
        "Numbers from the product's rule sequence (or its lot sequence)"
        rule = product.serial_rule or product.template.effective_tracking_rule
        sequence = (rule.sequence if rule and rule.sequence
            else product.lot_sequence)
        if not sequence:
            raise SerialNumberError(gettext(
                    'serial_mes.msg_serial_no_sequence',
                    product=product.rec_name))
        numbers = [sequence.get() for _ in range(count)]
        if rule:
            numbers = [rule.format_number(n, product, order) for n in numbers]
        return numbers

    @classmethod
    def check_new_numbers(cls, product, numbers):
        "Validate numbers before creation: all are checked, none written"
        rule = product.template.effective_tracking_rule
        if not rule or rule.tracking == 'none':
            raise SerialNumberError(gettext(
                    'serial_mes.msg_product_not_tracked',
                    product=product.rec_name))
        if not numbers:
            raise SerialNumberError(gettext('serial_mes.msg_serial_none'))
        seen = set()
        for number in numbers:
            if rule.tracking == 'serial':
                rule.check_number(number)
            if number in seen:
                raise SerialNumberError(gettext(
                        'serial_mes.msg_serial_duplicate_input',
                        number=number))
            seen.add(number)
        for sub in grouped_slice(numbers, in_max()):
            existing = cls.search([
                    ('product', '=', product.id),
                    ('number', 'in', list(sub)),
                    ], limit=1)
            if existing:
                raise SerialNumberError(gettext(
                        'serial_mes.msg_serial_exists',
                        number=existing[0].number,
                        product=product.rec_name))

    @classmethod
    def create_serials(cls, product, numbers=None, count=None, order=None,
            source='manual', origin=None):
        """Create serials of product, all or nothing.

        numbers are typed/scanned and checked against the rule; without
        them count numbers come from the sequence."""
        pool = Pool()
        Event = pool.get('serial_mes.event')
        if numbers is None:
            if not count or count < 1:
                raise SerialNumberError(gettext('serial_mes.msg_serial_none'))
            numbers = cls.generate_numbers(product, count, order=order)
        numbers = list(numbers)
        cls.check_new_numbers(product, numbers)
        lot_ids = cls._insert_lots(product, numbers, 'expected')
        company = Transaction().context.get('company')
        Event.insert_rows(Event.bulk_values(
                lot_ids, company,
                action='add', source=source,
                biz_step='commissioning', disposition='expected',
                status_to='expected',
                origin=str(origin) if origin else None))
        return cls.browse(lot_ids)

    @classmethod
    def _insert_lots(cls, product, numbers, status, location=None):
        """Insert the lots create() would, in bulk; return their ids in the
        order of numbers. The numbers must have been checked."""
        transaction = Transaction()
        values = cls.default_get(list(cls._fields), with_rec_name=False)
        values.update({
                'product': product.id,
                'status': status,
                'current_location': location.id if location else None,
                'create_uid': transaction.user,
                'create_date': dt.datetime.now(),
                })
        if product.serial_rule:
            values.update({
                    'unit': product.default_uom.id,
                    'unit_quantity': 1,
                    })
        columns = [c for c in bulk.stored_columns(cls, values)
            if c != 'number']
        base = [values[c] for c in columns]
        bulk.insert(cls, columns + ['number'], [base + [n] for n in numbers])
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        ids = {}
        # (product, number) is unique: read the new ids back portably
        for sub in grouped_slice(numbers, in_max()):
            cursor.execute(*table.select(table.id, table.number,
                    where=(table.product == product.id)
                    & fields.SQL_OPERATORS['in'](table.number, list(sub))))
            ids.update((number, id_) for id_, number in cursor)
        return [ids[n] for n in numbers]

    @classmethod
    def apply_moves(cls, moves):
        """Update status, location and holder of the serials moved by done
        moves, writing one event per change, in the same transaction."""
        pool = Pool()
        Event = pool.get('serial_mes.event')
        Move = pool.get('stock.move')
        state = {}
        rows = []
        # Fresh records: callers may hold instances read before the lot was set
        moves = Move.browse([m.id for m in moves])
        moves = sorted((m for m in moves if m.lot and m.product.serial_rule),
            key=lambda m: (m.effective_date or dt.date.min, m.id))
        for move in moves:
            lot = move.lot
            status, location, holder = state.get(
                lot.id, (lot.status, lot.current_location, lot.holder))
            if location and location != move.from_location:
                raise SerialQuantityError(gettext(
                        'serial_mes.msg_serial_elsewhere',
                        serial=lot.rec_name,
                        location=location.rec_name,
                        from_location=move.from_location.rec_name))
            new_status = LOCATION_STATUS.get(move.to_location.type)
            if new_status is None:
                continue
            new_holder = cls._holder_from_move(move, new_status) or (
                holder if new_status == status else None)
            state[lot.id] = (new_status, move.to_location, new_holder)
            rule = move.product.serial_rule
            if (rule.history == 'creation_removal'
                    and new_status not in REMOVAL_STATUSES):
                continue
            biz_step, disposition = biz_step_for(move, new_status)
            rows.append({
                    'lot': lot.id,
                    'status_from': status,
                    'status_to': new_status,
                    'biz_step': biz_step,
                    'disposition': disposition,
                    'location': move.to_location.id,
                    'read_point': str(move.to_location),
                    'origin': str(move),
                    'company': move.company.id,
                    })
        cls._write_status(state)
        now = dt.datetime.now()
        Event.insert_rows([Event.bulk_values(
                    [r.pop('lot')], r.pop('company'), source='system',
                    event_time=now, **r)[0] for r in rows])

    @staticmethod
    def _holder_from_move(move, status):
        shipment = move.shipment
        if status == 'at_customer':
            return getattr(shipment, 'customer', None)
        if status == 'in_transit' and move.to_location.type == 'supplier':
            return getattr(shipment, 'supplier', None)

    @classmethod
    def _write_status(cls, state):
        "Store new status/location/holder: one UPDATE per distinct value"
        table = cls.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        groups = defaultdict(list)
        for lot_id, (status, location, holder) in state.items():
            groups[(status, location.id if location else None,
                    holder.id if holder else None)].append(lot_id)
        now = dt.datetime.now()
        for (status, location, holder), lot_ids in groups.items():
            for sub in grouped_slice(lot_ids, in_max()):
                cursor.execute(*table.update(
                        [table.status, table.current_location, table.holder,
                            table.write_uid, table.write_date],
                        [status, location, holder, transaction.user, now],
                        where=fields.SQL_OPERATORS['in'](
                            table.id, list(sub))))
        bulk.forget_cached(cls, list(state))

    @classmethod
    def receive_serials(cls, product, numbers, to_location, from_location,
            date=None, source='manual', origin=None):
        """Create serials and their done receipt moves in bulk; return the
        ids of the new serials.

        Writes the rows create_serials() and Move.do() would write (lots,
        done moves, commissioning and receiving events) in bulk, for
        imports and scans of thousands of serials."""
        pool = Pool()
        Move = pool.get('stock.move')
        Event = pool.get('serial_mes.event')
        Company = pool.get('company.company')
        transaction = Transaction()
        numbers = list(numbers)
        cls.check_new_numbers(product, numbers)
        company_id = transaction.context.get('company')
        date = date or dt.date.today()
        now = dt.datetime.now()
        user = transaction.user

        lot_ids = cls._insert_lots(product, numbers, 'in_stock', to_location)
        company = Company(company_id)
        template = Move(**Move.default_get(list(Move._fields),
                with_rec_name=False))
        template.product = product
        template.unit = product.default_uom
        template.quantity = 1
        template.from_location = from_location
        template.to_location = to_location
        template.effective_date = date
        template.company = company
        template.origin = origin
        if template.on_change_with_unit_price_required():
            template.unit_price = product.cost_price
            template.currency = company.currency
        values = template._save_values()
        values.update({
                'internal_quantity': 1.0,
                'state': 'done',
                'cost_price': product.cost_price,
                'create_uid': user,
                'create_date': now,
                })
        columns = [c for c in bulk.stored_columns(Move, values) if c != 'lot']
        base = [values[c] for c in columns]
        bulk.insert(Move, columns + ['lot'], [base + [i] for i in lot_ids])
        Event.insert_rows(
            Event.bulk_values(lot_ids, company_id, action='add',
                source=source, biz_step='commissioning',
                disposition='expected', status_to='expected',
                event_time=now)
            + Event.bulk_values(lot_ids, company_id, source=source,
                biz_step='receiving', disposition='active',
                status_from='expected', status_to='in_stock',
                location=to_location.id, read_point=str(to_location),
                event_time=now))
        return lot_ids

    @classmethod
    def lock_serials(cls, lots):
        """Row locks on lots until the transaction ends: two stations
        scanning the same serial are served one after the other"""
        if backend.name != 'postgresql' or not lots:
            return
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id,
                where=fields.SQL_OPERATORS['in'](table.id,
                    [l.id for l in lots]),
                for_=For('UPDATE')))

    @classmethod
    def _production_location(cls, near=None):
        pool = Pool()
        Location = pool.get('stock.location')
        warehouse = near.warehouse if near else None
        if warehouse and warehouse.production_location:
            return warehouse.production_location
        location, = Location.search([('type', '=', 'production')], limit=1)
        return location

    @classmethod
    def _service_move(cls, lot, from_location, to_location, source):
        pool = Pool()
        Move = pool.get('stock.move')
        move = Move(product=lot.product, lot=lot, quantity=1,
            unit=lot.product.default_uom, from_location=from_location,
            to_location=to_location,
            company=Transaction().context.get('company'))
        if move.on_change_with_unit_price_required():
            move.unit_price = lot.product.cost_price
            move.currency = move.company.currency
        move.save()
        Move.do([move])
        return move

    @classmethod
    def consume(cls, lot, source='manual'):
        "Move a serial in stock to production (it becomes work in progress)"
        location = lot.current_location
        return cls._service_move(lot, location,
            cls._production_location(location), source)

    @classmethod
    def return_from_production(cls, lot, location=None, scrap=False,
            source='manual'):
        "A serial taken out of a unit goes back to stock or to scrap"
        pool = Pool()
        Location = pool.get('stock.location')
        production_location = cls._production_location(location)
        if scrap:
            location, = Location.search([('type', '=', 'lost_found')],
                limit=1)
        elif location is None:
            warehouse, = Location.search([('type', '=', 'warehouse')],
                limit=1)
            location = warehouse.storage_location
        return cls._service_move(lot, production_location, location, source)

    @classmethod
    def count_by_inventory(cls, product_ids=None):
        """{product_id: {'sii': n, 'snii': n}} with one grouped query"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        where = None
        if product_ids:
            where = fields.SQL_OPERATORS['in'](table.product, product_ids)
        cursor.execute(*table.select(table.product, table.status,
                Count(table.id), where=where,
                group_by=[table.product, table.status]))
        result = defaultdict(lambda: {'sii': 0, 'snii': 0})
        for product_id, status, count in cursor:
            key = 'sii' if status in SII_STATUSES else 'snii'
            result[product_id][key] += count
        return dict(result)

    @classmethod
    def renumber(cls, lot, new_number=None, alias_type='previous',
            reason=None):
        "Give lot a new number, keeping the old one as an alias"
        pool = Pool()
        Alias = pool.get('serial_mes.alias')
        Date = pool.get('ir.date')
        Event = pool.get('serial_mes.event')
        if not new_number:
            new_number, = cls.generate_numbers(lot.product, 1)
        new_number = new_number.strip()
        cls.check_new_numbers(lot.product, [new_number])
        old_number = lot.number
        today = Date.today()
        Alias.create([{
                    'lot': lot.id,
                    'type': alias_type,
                    'value': old_number,
                    'valid_from': lot.create_date.date(),
                    'valid_to': today,
                    }])
        with without_check_access():
            cls.write([lot], {'number': new_number})
        Event.insert_rows(Event.bulk_values([lot.id],
                Transaction().context.get('company'),
                source='manual', biz_step='commissioning',
                disposition='active',
                payload=json.dumps({
                        'renumbered': {'from': old_number, 'to': new_number},
                        'reason': reason})))
        return lot

    @classmethod
    @ModelView.button_action('serial_mes.wizard_reserialize')
    def reserialize(cls, lots):
        pass

    def as_json(self, events=10):
        "The serial's summary, as the CLI and routes print it"
        return {
            'number': self.number,
            'product': self.product.rec_name,
            'gtin': self.gtin,
            'status': self.status,
            'inventory': self.inventory.upper(),
            'location': (self.current_location.rec_name
                if self.current_location else None),
            'holder': self.holder.rec_name if self.holder else None,
            'aliases': [{
                    'type': a.type,
                    'value': a.value,
                    'party': a.party.rec_name if a.party else None,
                    'valid_from': (a.valid_from.isoformat()
                        if a.valid_from else None),
                    'valid_to': a.valid_to.isoformat() if a.valid_to else None,
                    } for a in self.aliases],
            'events': [{
                    'event_time': e.event_time.isoformat(),
                    'time_zone_offset': e.event_time_zone_offset,
                    'biz_step': e.biz_step,
                    'disposition': e.disposition,
                    'status_from': e.status_from,
                    'status_to': e.status_to,
                    'source': e.source,
                    'location': e.location.rec_name if e.location else None,
                    'description': e.description,
                    } for e in self.events[:events]],
            }


def in_max():
    return backend.MAX_QUERY_PARAMS


class Move(metaclass=PoolMeta):
    __name__ = 'stock.move'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # Core Tryton has no index on the move's lot: traces need one
        cls._sql_indexes.add(Index(t, (t.lot, Index.Range())))

    def check_lot(self):
        pool = Pool()
        UoM = pool.get('product.uom')
        super().check_lot()
        rule = self.product.serial_rule
        if rule and self.lot:
            quantity = UoM.compute_qty(
                self.unit, self.quantity, self.product.default_uom,
                round=False)
            if quantity != 1:
                raise SerialQuantityError(gettext(
                        'serial_mes.msg_serial_quantity_one',
                        serial=self.lot.rec_name, move=self.rec_name,
                        quantity=self.quantity))

    @classmethod
    @ModelView.button
    def do(cls, moves):
        pool = Pool()
        Lot = pool.get('stock.lot')
        super().do(moves)
        Lot.apply_moves(moves)


class CreateSerialsStart(ModelView):
    __name__ = 'serial_mes.create_serials.start'
    product = fields.Many2One('product.product', "Product", required=True,
        domain=[('template.tracking', 'in', ['serial', 'lot'])])
    mode = fields.Selection([
            ('sequence', "From the sequence"),
            ('list', "Typed or scanned"),
            ('range', "Range"),
            ], "Mode", required=True)
    count = fields.Integer("Count",
        states={
            'invisible': Eval('mode') != 'sequence',
            'required': Eval('mode') == 'sequence',
            })
    numbers = fields.Text("Numbers",
        states={
            'invisible': Eval('mode') != 'list',
            'required': Eval('mode') == 'list',
            },
        help="One number per line.")
    range_start = fields.Char("From",
        states={
            'invisible': Eval('mode') != 'range',
            'required': Eval('mode') == 'range',
            },
        help="The first number, e.g. SN-0001.")
    range_end = fields.Char("To",
        states={
            'invisible': Eval('mode') != 'range',
            'required': Eval('mode') == 'range',
            },
        help="The last number, e.g. SN-0100.")

    @classmethod
    def default_mode(cls):
        return 'sequence'

    @classmethod
    def default_count(cls):
        return 1

    def get_numbers(self):
        if self.mode == 'list':
            return [n.strip() for n in (self.numbers or '').splitlines()
                if n.strip()]
        if self.mode == 'range':
            return expand_range(self.range_start, self.range_end)


def expand_range(start, end, limit=100000):
    """SN-0001..SN-0100: same prefix, numeric tail of the same width"""
    def split(value):
        value = (value or '').strip()
        i = len(value)
        while i and value[i - 1].isdigit():
            i -= 1
        return value[:i], value[i:]
    (prefix1, digits1), (prefix2, digits2) = split(start), split(end)
    if (prefix1 != prefix2 or not digits1 or not digits2
            or int(digits1) > int(digits2)
            or int(digits2) - int(digits1) >= limit):
        raise SerialNumberError(gettext(
                'serial_mes.msg_serial_bad_range', start=start, end=end,
                limit=limit))
    width = len(digits1)
    return ['%s%0*d' % (prefix1, width, i)
        for i in range(int(digits1), int(digits2) + 1)]


class CreateSerials(Wizard):
    __name__ = 'serial_mes.create_serials'
    start = StateView('serial_mes.create_serials.start',
        'serial_mes.create_serials_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Create", 'create_', 'tryton-ok', default=True),
            ])
    create_ = StateTransition()

    def default_start(self, fields):
        values = {}
        if self.model and self.record:
            if self.model.__name__ == 'product.product':
                values['product'] = self.record.id
            elif self.model.__name__ == 'product.template':
                if len(self.record.products) == 1:
                    values['product'] = self.record.products[0].id
            elif self.model.__name__ == 'stock.move':
                values['product'] = self.record.product.id
                values['count'] = max(int(self.record.quantity or 1), 1)
        return values

    def transition_create_(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        Move = pool.get('stock.move')
        origin = self.record if self.model else None
        lots = Lot.create_serials(self.start.product,
            numbers=self.start.get_numbers(), count=self.start.count,
            origin=origin)
        if (self.model and self.model.__name__ == 'stock.move'
                and len(lots) == 1 and not self.record.lot
                and self.record.state in {'draft', 'assigned', 'staging'}):
            Move.write([self.record], {'lot': lots[0].id})
        self.created = [l.id for l in lots]
        return 'end'


class ReserializeStart(ModelView):
    __name__ = 'serial_mes.reserialize.start'
    lot = fields.Many2One('stock.lot', "Serial", readonly=True)
    old_number = fields.Char("Old Number", readonly=True)
    new_number = fields.Char("New Number",
        help="Leave empty to take the next number of the sequence.")
    old_number_type = fields.Selection('get_alias_types',
        "Keep Old Number as", required=True)
    reason = fields.Char("Reason")

    @classmethod
    def get_alias_types(cls):
        pool = Pool()
        Alias = pool.get('serial_mes.alias')
        return Alias.fields_get(['type'])['type']['selection']


class Reserialize(Wizard):
    "Give a part a new internal number, keeping the old one as an alias"
    __name__ = 'serial_mes.reserialize'
    start = StateView('serial_mes.reserialize.start',
        'serial_mes.reserialize_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Re-serialize", 'renumber', 'tryton-ok', default=True),
            ])
    renumber = StateTransition()

    def default_start(self, fields):
        return {
            'lot': self.record.id,
            'old_number': self.record.number,
            'old_number_type': 'previous',
            }

    def transition_renumber(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        Lot.renumber(self.record, self.start.new_number,
            alias_type=self.start.old_number_type, reason=self.start.reason)
        return 'end'

