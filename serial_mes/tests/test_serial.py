# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import json

from trytond import backend
from trytond.exceptions import UserError
from trytond.model.exceptions import (
    AccessError, RequiredValidationError, ValidationError)
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

from serial_mes.exceptions import (
    EventAppendOnlyError, SerialNotFound, SerialNumberError,
    SerialQuantityError, TrackingRuleError)

from .tools import create_product, create_rule, locations, move


class SerialTestCase(_DBTestCase):
    "Serial core: tracking rules, serials, status, aliases, events, access"
    module = 'serial_mes'

    @with_transaction()
    def test_tracking_rule_category_defaults(self):
        "A template without a rule takes its category's, up the parents"
        pool = Pool()
        Category = pool.get('product.category')
        Template = pool.get('product.template')
        serial = create_rule("Serial", tracking='serial')
        lot = create_rule("Lot", tracking='lot')
        parent, = Category.create([{'name': "Parts",
                    'tracking_rule': serial.id}])
        child, = Category.create([{'name': "Boards", 'parent': parent.id}])
        untracked, = Category.create([{'name': "Other"}])
        with set_company(create_company()):
            inherited = create_product("Board", category=child)
            own = create_product("Glue", category=child, rule=lot)
            plain = create_product("Label", category=untracked)

        self.assertEqual(inherited.template.effective_tracking_rule, serial)
        self.assertEqual(inherited.template.tracking, 'serial')
        self.assertEqual(own.template.effective_tracking_rule, lot)
        self.assertEqual(plain.template.tracking, 'none')
        self.assertIsNone(plain.serial_rule)
        self.assertEqual(
            Template.search([('tracking', '=', 'serial')]),
            [inherited.template])
        self.assertEqual(
            Template.search([('tracking', '=', 'none')]), [plain.template])

    @with_transaction()
    def test_tracking_rule_pattern_must_compile(self):
        with self.assertRaises(TrackingRuleError):
            create_rule("Bad", pattern='[A-Z')

    @with_transaction()
    def test_create_serials_from_sequence_and_format(self):
        pool = Pool()
        company = create_company()
        with set_company(company):
            rule = create_rule(number_format='product_sequence')
            product = create_product("Board", code='MB', rule=rule)
            lots = pool.get('stock.lot').create_serials(product, count=3)
            self.assertEqual([l.number for l in lots],
                ['MB-SN0001', 'MB-SN0002', 'MB-SN0003'])
            for lot in lots:
                self.assertEqual(lot.status, 'expected')
                self.assertEqual(lot.inventory, 'snii')
                self.assertEqual(lot.unit_quantity, 1)
                self.assertEqual([e.biz_step for e in lot.events],
                    ['commissioning'])

    @with_transaction()
    def test_create_serials_typed_pattern_all_or_nothing(self):
        "One bad number refuses the whole list and writes nothing"
        pool = Pool()
        Lot = pool.get('stock.lot')
        Event = pool.get('serial_mes.event')
        company = create_company()
        with set_company(company):
            rule = create_rule(pattern=r'SN-\d{4}')
            product = create_product("Board", rule=rule)
            for numbers, error in [
                    (['SN-0001', 'SN-12'], '"SN-", then 4 digits'),
                    (['SN-0001', 'SN-0001'], 'given twice'),
                    (['SN-0001', ' SN-0002'], 'malformed'),
                    (['SN-0001', 'X' * 300], 'malformed'),
                    (['SN-0001', 'SN\x1d0002'], 'malformed'),
                    ([], 'No serial'),
                    ]:
                with self.assertRaisesRegex(SerialNumberError, error):
                    Lot.create_serials(product, numbers=numbers)
                self.assertEqual(Lot.search_count([]), 0)
                self.assertEqual(Event.search_count([]), 0)

            Lot.create_serials(product, numbers=['SN-0001', 'SN-0002'])
            with self.assertRaisesRegex(SerialNumberError, 'already exists'):
                Lot.create_serials(product, numbers=['SN-0003', 'SN-0002'])
            self.assertEqual(Lot.search_count([]), 2)

    @with_transaction()
    def test_serial_number_unique_per_product_in_database(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        company = create_company()
        with set_company(company):
            rule = create_rule()
            board = create_product("Board", rule=rule)
            cpu = create_product("CPU", rule=rule)
            Lot.create([{'product': board.id, 'number': 'A1'}])
            Lot.create([{'product': cpu.id, 'number': 'A1'}])
            with self.assertRaises(UserError):
                Lot.create([{'product': board.id, 'number': 'A1'}])

    @with_transaction()
    def test_create_serials_range(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        from serial_mes.stock import expand_range
        self.assertEqual(expand_range('SN-0098', 'SN-0101'),
            ['SN-0098', 'SN-0099', 'SN-0100', 'SN-0101'])
        for start, end in [('SN-9', 'SN-1'), ('A-1', 'B-2'), ('SN-', 'SN-'),
                ('SN-0', 'SN-999999')]:
            with self.assertRaises(SerialNumberError):
                expand_range(start, end)
        company = create_company()
        with set_company(company):
            product = create_product("Board", rule=create_rule())
            lots = Lot.create_serials(product,
                numbers=expand_range('R-01', 'R-12'))
            self.assertEqual(len(lots), 12)

    @with_transaction()
    def test_untracked_product_refuses_serials(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        company = create_company()
        with set_company(company):
            product = create_product("Screw")
            with self.assertRaisesRegex(SerialNumberError, 'not tracked'):
                Lot.create_serials(product, numbers=['S1'])

    @with_transaction()
    def test_status_follows_real_moves(self):
        "Receipt, put-away, delivery and scrap move status, SII and events"
        pool = Pool()
        Lot = pool.get('stock.lot')
        Move = pool.get('stock.move')
        Location = pool.get('stock.location')
        company = create_company()
        with set_company(company):
            loc = locations()
            rack, = Location.create([{'name': "Rack", 'type': 'storage',
                        'parent': loc['storage'].id}])
            product = create_product("Board", rule=create_rule())
            a, b = Lot.create_serials(product, count=2)

            receipts = [move(product, loc['supplier'], loc['storage'], lot,
                    company=company) for lot in (a, b)]
            Move.do(receipts)
            self.assertEqual((a.status, a.current_location, a.inventory),
                ('in_stock', loc['storage'], 'sii'))
            self.assertEqual(a.events[0].biz_step, 'receiving')

            Move.do([move(product, loc['storage'], rack, a,
                        company=company)])
            self.assertEqual((a.status, a.current_location),
                ('in_stock', rack))
            self.assertEqual(a.events[0].biz_step, 'storing')

            Move.do([move(product, rack, loc['customer'], a,
                        company=company)])
            self.assertEqual((a.status, a.inventory), ('at_customer', 'snii'))

            Move.do([move(product, loc['storage'], loc['lost_found'], b,
                        company=company)])
            self.assertEqual(b.status, 'scrapped')
            self.assertEqual(b.events[0].disposition, 'destroyed')

            self.assertEqual(
                [e.status_to for e in reversed(a.events)],
                ['expected', 'in_stock', 'in_stock', 'at_customer'])
            self.assertEqual(Lot.search([('inventory', '=', 'sii')]), [])
            self.assertEqual(
                sorted(Lot.search([('inventory', '=', 'snii')])), [a, b])
            self.assertEqual(Lot.count_by_inventory([product.id]),
                {product.id: {'sii': 0, 'snii': 2}})

    @with_transaction()
    def test_serial_moves_need_serial_and_quantity_one(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        Move = pool.get('stock.move')
        company = create_company()
        with set_company(company):
            loc = locations()
            product = create_product("Board", rule=create_rule())
            lot, = Lot.create_serials(product, count=1)
            without = move(product, loc['supplier'], loc['storage'],
                company=company)
            with self.assertRaises(RequiredValidationError):
                Move.do([without])
            two = move(product, loc['supplier'], loc['storage'], lot,
                quantity=2, company=company)
            with self.assertRaisesRegex(UserError, 'more than 1'):
                Move.do([two])

    @with_transaction()
    def test_registration_scope_moves_without_serial(self):
        "SNII products are stocked by quantity"
        pool = Pool()
        Move = pool.get('stock.move')
        company = create_company()
        with set_company(company):
            loc = locations()
            rule = create_rule(scope='registration',
                registration_steps=['packing'])
            product = create_product("PSU", rule=rule)
            receipt = move(product, loc['supplier'], loc['storage'],
                quantity=10, company=company)
            Move.do([receipt])
            self.assertEqual(receipt.state, 'done')

    @with_transaction()
    def test_serial_already_elsewhere_is_refused(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        Move = pool.get('stock.move')
        company = create_company()
        with set_company(company):
            loc = locations()
            product = create_product("Board", rule=create_rule())
            lot, = Lot.create_serials(product, count=1)
            Move.do([move(product, loc['supplier'], loc['storage'], lot,
                        company=company)])
            again = move(product, loc['supplier'], loc['storage'], lot,
                company=company)
            with self.assertRaisesRegex(SerialQuantityError, 'is at'):
                Move.do([again])

    @with_transaction()
    def test_aliases_find_serials_and_renumber(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        Alias = pool.get('serial_mes.alias')
        company = create_company()
        with set_company(company):
            product = create_product("Board", rule=create_rule())
            lot, other = Lot.create_serials(product, numbers=['IN-1', 'IN-2'])
            Alias.create([
                    {'lot': lot.id, 'type': 'supplier', 'value': 'SUP-77'},
                    {'lot': lot.id, 'type': 'mac',
                        'value': '00:1B:21:3A:4F:5C'},
                    ])
            self.assertEqual(Lot.search([('rec_name', '=', 'SUP-77')]),
                [lot])
            self.assertEqual(Lot.find_serial('00:1B:21:3A:4F:5C'), lot)
            self.assertEqual(Lot.find_serial('IN-2'), other)
            with self.assertRaises(SerialNotFound):
                Lot.find_serial('NOPE')
            for bad in ['bad\nvalue', 'x' * 65, '   ']:
                with self.assertRaises(ValidationError):
                    Alias.create([{'lot': lot.id, 'type': 'other',
                                'value': bad}])

            Lot.renumber(lot, 'IN-9', reason="relabelled")
            self.assertEqual(lot.number, 'IN-9')
            previous, = [a for a in lot.aliases if a.type == 'previous']
            self.assertEqual(previous.value, 'IN-1')
            self.assertIsNotNone(previous.valid_to)
            self.assertEqual(Lot.find_serial('IN-1'), lot)
            self.assertEqual(
                json.loads(lot.events[0].payload)['renumbered'],
                {'from': 'IN-1', 'to': 'IN-9'})
            with self.assertRaisesRegex(SerialNumberError, 'already exists'):
                Lot.renumber(other, 'IN-9')

    @with_transaction()
    def test_events_are_append_only(self):
        "Users outside the admin group cannot change events; corrections"
        " by admins are recorded"
        pool = Pool()
        Lot = pool.get('stock.lot')
        Event = pool.get('serial_mes.event')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            product = create_product("Board", rule=create_rule())
            lot, = Lot.create_serials(product, count=1)
            event, = lot.events
            warehouse, = User.create([{
                        'name': "Clerk", 'login': 'clerk',
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'groups': [('add', [ModelData.get_id(
                                        'serial_mes',
                                        'group_serial_mes_warehouse')])],
                        }])
            with Transaction().set_user(warehouse.id):
                with self.assertRaises(EventAppendOnlyError):
                    Event.write([event], {'biz_step': 'shipping'})
                with self.assertRaises(EventAppendOnlyError):
                    Event.delete([event])
                with self.assertRaises(EventAppendOnlyError):
                    Event.copy([event])

            Event.write([event], {'biz_step': 'receiving'})
            correction, = Event.search([('corrects', '=', event.id)])
            payload = json.loads(correction.payload)
            self.assertEqual(payload['before']['biz_step'], 'commissioning')
            self.assertEqual(payload['changes'], {'biz_step': 'receiving'})
            with self.assertRaises(EventAppendOnlyError):
                Event.create([{'lot': lot.id, 'source': 'manual',
                            'event_time_zone_offset': '+25:00'}])
            with self.assertRaises(EventAppendOnlyError):
                Event.create([{'lot': lot.id, 'source': 'manual',
                            'payload': '{"truncated": '}])

    @with_transaction()
    def test_event_times_keep_microseconds_after_an_update(self):
        "A database made with DateTime event times is widened on update"
        pool = Pool()
        Lot = pool.get('stock.lot')
        Event = pool.get('serial_mes.event')
        cursor = Transaction().connection.cursor()
        postgresql = backend.name == 'postgresql'
        if postgresql:
            # as the column was before: DateTime, timestamp(0)
            cursor.execute('ALTER TABLE serial_mes_event '
                'ALTER COLUMN event_time TYPE timestamp(0)')
        Event._widen_times()
        company = create_company()
        with set_company(company):
            product = create_product("Board", rule=create_rule())
            lot, = Lot.create_serials(product, count=1)
            event, = lot.events
            at = dt.datetime(2026, 12, 3, 8, 0, 0, 123456)
            Event.write([event], {'event_time': at})
            self.assertEqual(Event(event.id).event_time, at)
        if postgresql:
            cursor.execute('SELECT datetime_precision '
                'FROM information_schema.columns '
                "WHERE table_name = 'serial_mes_event' "
                "AND column_name IN ('event_time', 'recorded_at')")
            self.assertEqual([p for p, in cursor], [6, 6])

    @with_transaction()
    def test_event_correction_is_a_new_event(self):
        "Correct Event: a new event points at the old one, left unchanged"
        pool = Pool()
        Lot = pool.get('stock.lot')
        Event = pool.get('serial_mes.event')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            product = create_product("Board", rule=create_rule())
            lot, = Lot.create_serials(product, count=1)
            event, = lot.events
            before = (event.biz_step, event.disposition, event.event_time)
            quality, = User.create([{
                        'name': "Inspector", 'login': 'inspector',
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'groups': [('add', [ModelData.get_id(
                                        'serial_mes',
                                        'group_serial_mes_quality')])],
                        }])
            with Transaction().set_user(quality.id):
                with self.assertRaises(EventAppendOnlyError):
                    Event.record_correction(event,
                        {'disposition': 'damaged'}, reason="dropped")
            with self.assertRaisesRegex(EventAppendOnlyError,
                    'changes nothing'):
                Event.record_correction(event,
                    {'disposition': event.disposition})

            correction = Event.record_correction(event,
                {'disposition': 'damaged', 'biz_step': event.biz_step},
                reason="dropped")
            event = Event(event.id)
            self.assertEqual((event.biz_step, event.disposition,
                    event.event_time), before)
            self.assertEqual(correction.corrects, event)
            self.assertEqual((correction.lot, correction.disposition,
                    correction.biz_step, correction.event_time),
                (lot, 'damaged', event.biz_step, event.event_time))
            self.assertIsNone(correction.status_to)
            payload = json.loads(correction.payload)
            self.assertEqual(payload['changes'], {'disposition': 'damaged'})
            self.assertEqual(payload['reason'], "dropped")
            self.assertIn('disposition Damaged (dropped)',
                correction.description)

    @with_transaction()
    def test_operator_cannot_edit_tracking_rules(self):
        pool = Pool()
        Rule = pool.get('serial_mes.tracking.rule')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        rule = create_rule()
        operator, = User.create([{
                    'name': "Operator", 'login': 'operator',
                    'groups': [('add', [ModelData.get_id('serial_mes',
                                    'group_serial_mes_operator')])],
                    }])
        with Transaction().set_user(operator.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Rule.search([]), [rule])
            with self.assertRaises(AccessError):
                Rule.write([Rule(rule.id)], {'pattern': '.*'})
            with self.assertRaises(AccessError):
                Rule.create([{'name': "Mine"}])
        with Transaction().set_context(_check_access=True):
            Rule.write([rule], {'pattern': 'SN.*'})

    @with_transaction()
    def test_bulk_receipt_writes_the_rows_of_the_orm_path(self):
        "receive_serials() == create_serials() + Move.do(), row for row"
        pool = Pool()
        Lot = pool.get('stock.lot')
        Move = pool.get('stock.move')
        company = create_company()
        with set_company(company):
            loc = locations()
            product = create_product("Board", rule=create_rule())
            orm, = Lot.create_serials(product, numbers=['ORM-1'])
            orm_move = move(product, loc['supplier'], loc['storage'], orm,
                company=company)
            Move.do([orm_move])
            bulk, = Lot.browse(Lot.receive_serials(product, ['BULK-1'],
                    loc['storage'], loc['supplier']))
            bulk_move, = Move.search([('lot', '=', bulk.id)])

            ignored = {'id', 'lot', 'create_date', 'write_date', 'write_uid',
                'create_uid', 'last_modified_at'}
            fields = [f for f, field in Move._fields.items()
                if hasattr(field, 'sql_type') and f not in ignored
                and not getattr(field, 'getter', None)]
            orm_row, = Move.read([orm_move.id], fields)
            bulk_row, = Move.read([bulk_move.id], fields)
            orm_row.pop('id'), bulk_row.pop('id')
            self.maxDiff = None
            self.assertEqual(bulk_row, orm_row)
            for field in ['status', 'current_location', 'unit_quantity',
                    'unit', 'holder']:
                self.assertEqual(getattr(bulk, field), getattr(orm, field))
            self.assertEqual(
                [(e.biz_step, e.status_to) for e in bulk.events],
                [(e.biz_step, e.status_to) for e in orm.events])
            with self.assertRaisesRegex(SerialNumberError, 'already exists'):
                Lot.receive_serials(product, ['BULK-2', 'BULK-1'],
                    loc['storage'], loc['supplier'])


del _DBTestCase
