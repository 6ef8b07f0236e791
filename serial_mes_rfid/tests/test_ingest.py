# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Ingestion of RFID reads: smoothing, direction, review, idempotence"
import base64
import datetime as dt
import json

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    RouteTestCase, _DBTestCase, with_transaction)
from trytond.transaction import Transaction

from serial_mes_rfid.epc import encode_sgtin
from serial_mes_rfid.exceptions import AntennaError, RfidError

from serial_mes.tests.tools import move

from .tools import T0, Site, at, gtin

SSCC = '3174257BF4499602D2000000'
GIAI = '3474257BF40000000000162E'


def ship(site, lot, company, done=False):
    "A customer shipment of lot, waiting (or done)"
    pool = Pool()
    Party = pool.get('party.party')
    Location = pool.get('stock.location')
    ShipmentOut = pool.get('stock.shipment.out')
    Move = pool.get('stock.move')
    customer, = Party.create([{'name': "Customer",
                'addresses': [('create', [{}])]}])
    warehouse = site.places['warehouse']
    out = move(lot.product, warehouse.output_location,
        Location.search([('type', '=', 'customer')], limit=1)[0], lot=lot,
        company=company)
    shipment = ShipmentOut(customer=customer,
        delivery_address=customer.addresses[0], warehouse=warehouse,
        outgoing_moves=[out], company=company)
    shipment.on_change_warehouse()
    shipment.save()
    ShipmentOut.wait([shipment])
    Move.write(list(shipment.inventory_moves), {'lot': lot.id})
    if done:
        shipment = ShipmentOut(shipment.id)
        ShipmentOut.assign_force([shipment])
        ShipmentOut.pick([shipment])
        ShipmentOut.pack([shipment])
        ShipmentOut.do([shipment])
    return shipment


def batch(reads, batch_id=None, reader='dock-1'):
    value = {'reader': reader, 'reads': [
            {'epc': epc, 'antenna': antenna, 'time': time}
            for epc, antenna, time in reads]}
    if batch_id:
        value['batch'] = batch_id
    return json.dumps(value)


class IngestTestCase(_DBTestCase):
    "Reads become smoothed observe events, moves and review entries"
    module = 'serial_mes_rfid'

    def ingest(self, data, **kwargs):
        return Pool().get('serial_mes.rfid.batch').ingest(data, **kwargs)

    def events(self, lot=None):
        Event = Pool().get('serial_mes.event')
        domain = [('source', '=', 'rfid')]
        if lot:
            domain.append(('lot', '=', lot.id))
        return Event.search(domain, order=[('event_time', 'ASC'),
                ('id', 'ASC')])

    def counts(self):
        pool = Pool()
        return {m: pool.get(m).search_count([]) for m in [
                'serial_mes.event', 'serial_mes.rfid.batch',
                'serial_mes.rfid.review', 'serial_mes.rfid.sighting',
                'stock.move']}

    @with_transaction()
    def test_one_event_per_observation_within_the_window(self):
        company = create_company()
        with set_company(company):
            site = Site(company)
            lot = site.lots[0]
            epc = site.epc(lot)
            result = self.ingest(batch([(epc, 1, at(s))
                        for s in [0, 0.5, 1, 3, 7.5, 12]], 'b1'))
            self.assertEqual(result, {
                    'batch': 'b1', 'duplicate': False, 'reads': 6,
                    'observations': 1, 'events': 1, 'moves': 0,
                    'review': 0, 'ignored': 0})
            event, = self.events(lot)
            self.assertEqual(event.event_time, T0)
            self.assertEqual((event.action, event.source, event.biz_step),
                ('observe', 'rfid', 'storing'))
            self.assertEqual(event.read_point, site.places['storage'])
            self.assertEqual(event.location, site.places['storage'])
            self.assertEqual(json.loads(event.payload), {
                    'epc': epc, 'reader': 'dock-1', 'antenna': 1})

            # the next batch continues the open observation ...
            result = self.ingest(batch([(epc, 1, at(16))], 'b2'))
            self.assertEqual(result['events'], 0)
            # ... until a gap longer than the window
            result = self.ingest(batch([(epc, 1, at(22)),
                        (epc, 1, at(22.5))], 'b3'))
            self.assertEqual(result['events'], 1)
            # another antenna observes on its own
            result = self.ingest(batch([(epc, 4, at(22))], 'b4'))
            self.assertEqual(result['events'], 1)
            self.assertEqual(
                [(e.event_time, e.read_point) for e in self.events(lot)], [
                    (T0, site.places['storage']),
                    (T0 + dt.timedelta(seconds=22),
                        site.places['storage']),
                    (T0 + dt.timedelta(seconds=22), site.rack)])

    @with_transaction()
    def test_window_is_per_reader(self):
        pool = Pool()
        Reader = pool.get('serial_mes.rfid.reader')
        company = create_company()
        with set_company(company):
            site = Site(company)
            epc = site.epc(site.lots[0])
            Reader.write([site.reader], {'smoothing_window': 0.5})
            result = self.ingest(batch([(epc, 1, at(s))
                        for s in [0, 0.5, 1, 3]]))
            self.assertEqual(result['observations'], 2)

    @with_transaction()
    def test_out_of_order_timestamps(self):
        company = create_company()
        with set_company(company):
            site = Site(company)
            lot = site.lots[1]
            epc = site.epc(lot)
            # reversed within a batch: sorted by time first
            result = self.ingest(batch([(epc, 1, at(s))
                        for s in [30, 20, 12, 10, 2, 0]]))
            self.assertEqual(result['observations'], 4)
            self.assertEqual([e.event_time for e in self.events(lot)],
                [T0 + dt.timedelta(seconds=s) for s in [0, 10, 20, 30]])
            # a late batch: reads inside known observations add nothing,
            # an older read outside them is an observation of its own
            result = self.ingest(batch([(epc, 1, at(s))
                        for s in [21, 1, -20, -19]]))
            self.assertEqual(result['observations'], 1)
            self.assertEqual([e.event_time for e in self.events(lot)],
                [T0 + dt.timedelta(seconds=s)
                    for s in [-20, 0, 10, 20, 30]])
            # a time with an offset is the same instant in UTC
            result = self.ingest(batch([(epc, 1, at(2 * 3600 + 31,
                            '+02:00'))]))
            self.assertEqual(result['observations'], 0)
            result = self.ingest(batch([(epc, 1, at(2 * 3600 + 100,
                            '+02:00'))]))
            event = self.events(lot)[-1]
            self.assertEqual(event.event_time, T0 + dt.timedelta(seconds=100))
            self.assertEqual(event.event_time_zone_offset, '+02:00')

    @with_transaction()
    def test_dock_door_direction_and_move(self):
        company = create_company()
        with set_company(company):
            site = Site(company)
            lot_in, lot_out, lot_stay = site.lots
            ship(site, lot_out, company)
            # lot_in comes in: outside then inside; lot_out goes out
            result = self.ingest(batch([
                        (site.epc(lot_in), 2, at(0)),
                        (site.epc(lot_in), 3, at(1.5)),
                        (site.epc(lot_in), 2, at(1.6)),
                        (site.epc(lot_out), 3, at(0)),
                        (site.epc(lot_out), 2, at(2)),
                        (site.epc(lot_stay), 3, at(0)),
                        ]))
            self.assertEqual(result['observations'], 5)
            self.assertEqual(result['moves'], 2)
            in_events = self.events(lot_in)
            self.assertEqual([json.loads(e.payload).get('direction')
                    for e in in_events], [None, 'in'])
            self.assertEqual(in_events[-1].location, site.dock)
            out_events = self.events(lot_out)
            self.assertEqual([json.loads(e.payload).get('direction')
                    for e in out_events], [None, 'out'])
            self.assertEqual(out_events[-1].location, site.staging)
            lot_in, lot_out, lot_stay = type(lot_in).browse(site.lots)
            self.assertEqual(lot_in.current_location, site.dock)
            self.assertEqual(lot_out.current_location, site.staging)
            # one antenna alone gives no direction and moves nothing
            self.assertEqual(lot_stay.current_location,
                site.places['storage'])
            # the moves went through the stock service
            self.assertEqual(lot_in.status, 'in_stock')
            self.assertIn('storing', [e.biz_step for e in lot_in.events
                    if e.source == 'system'])

    @with_transaction()
    def test_direction_from_reads_that_arrive_out_of_order(self):
        company = create_company()
        with set_company(company):
            site = Site(company)
            lot = site.lots[0]
            epc = site.epc(lot)
            # the inside antenna's batch arrives first
            self.ingest(batch([(epc, 3, at(5))], 'inside'))
            result = self.ingest(batch([(epc, 2, at(4))], 'outside'))
            self.assertEqual(result['moves'], 1)
            self.assertEqual([json.loads(e.payload).get('direction')
                    for e in self.events(lot)], ['in', None])
            self.assertEqual(type(lot)(lot.id).current_location, site.dock)
            # too far apart for the direction window: no passage
            self.ingest(batch([(epc, 3, at(100))]))
            result = self.ingest(batch([(epc, 2, at(130))]))
            self.assertEqual((result['events'], result['moves']), (1, 0))

    @with_transaction()
    def test_shelf_moves_only_serials_in_stock_and_elsewhere(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        company = create_company()
        with set_company(company):
            site = Site(company)
            expected, = Lot.create_serials(site.product, numbers=['2001'])
            lot = site.lots[0]
            result = self.ingest(batch([(site.epc(lot), 4, at(0)),
                        (site.epc(expected), 4, at(0))]))
            # the expected serial is not yet commissioned: to review
            self.assertEqual((result['events'], result['moves'],
                    result['review']), (1, 1, 1))
            self.assertEqual(Lot(lot.id).current_location, site.rack)
            self.assertIsNone(Lot(expected.id).current_location)
            result = self.ingest(batch([(site.epc(lot), 4, at(60))]))
            self.assertEqual((result['events'], result['moves']), (1, 0))

    @with_transaction()
    def test_serial_not_yet_commissioned_goes_to_review(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        Review = pool.get('serial_mes.rfid.review')
        company = create_company()
        with set_company(company):
            site = Site(company)
            expected, = Lot.create_serials(site.product, numbers=['2001'])
            epc = site.epc(expected)
            # a shelf (move), a portal (observe) and a dock-door passage
            result = self.ingest(batch([(epc, 4, at(0)), (epc, 1, at(0)),
                        (epc, 3, at(10)), (epc, 2, at(11))]))
            self.assertEqual((result['events'], result['moves'],
                    result['review']), (0, 0, 4))
            self.assertEqual(self.events(expected), [])
            expected = Lot(expected.id)
            self.assertEqual(expected.status, 'expected')
            self.assertIsNone(expected.current_location)
            entry, = Review.search([('epc', '=', epc)])
            self.assertEqual((entry.kind, entry.read_count),
                ('not_commissioned', 4))
            self.assertIn('2001', entry.detail)
            self.assertIn('Expected', entry.detail)

    @with_transaction()
    def test_leaving_without_shipment_goes_to_review(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        Review = pool.get('serial_mes.rfid.review')
        company = create_company()
        with set_company(company):
            site = Site(company)
            lot, shipped, later = site.lots
            # inside, then outside: out, but on no shipment
            result = self.ingest(batch([(site.epc(lot), 3, at(0)),
                        (site.epc(lot), 2, at(2))]))
            self.assertEqual((result['events'], result['moves'],
                    result['review']), (1, 0, 1))
            event, = self.events(lot)
            self.assertIsNone(json.loads(event.payload).get('direction'))
            self.assertNotEqual(event.biz_step, 'shipping')
            self.assertEqual(Lot(lot.id).current_location,
                site.places['storage'])
            entry, = Review.search([('epc', '=', site.epc(lot))])
            self.assertEqual(entry.kind, 'no_shipment')
            self.assertEqual(entry.last_antenna, site.outside)
            self.assertIn(lot.number, entry.detail)
            # coming in needs no shipment
            result = self.ingest(batch([(site.epc(lot), 2, at(60)),
                        (site.epc(lot), 3, at(62))]))
            self.assertEqual((result['events'], result['moves'],
                    result['review']), (2, 1, 0))

            # on a shipment being shipped (waiting): it leaves
            ship(site, lot, company)
            result = self.ingest(batch([(site.epc(lot), 3, at(120)),
                        (site.epc(lot), 2, at(122))]))
            self.assertEqual((result['events'], result['moves'],
                    result['review']), (2, 1, 0))
            self.assertEqual(json.loads(self.events(lot)[-1].payload)[
                    'direction'], 'out')

            # shipped (done): leaves within the hour after, not later
            ship(site, shipped, company, done=True)
            ship(site, later, company, done=True)
            now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)

            def iso(moment):
                return moment.isoformat() + 'Z'
            for lot_, delay in [(shipped, dt.timedelta(minutes=50)),
                    (later, dt.timedelta(minutes=70))]:
                self.ingest(batch([(site.epc(lot_), 3, iso(now + delay)),
                            (site.epc(lot_), 2, iso(now + delay
                                    + dt.timedelta(seconds=2)))]))
            self.assertEqual(json.loads(self.events(shipped)[-1].payload
                    ).get('direction'), 'out')
            self.assertEqual(Review.search([('epc', '=',
                            site.epc(shipped))]), [])
            entry, = Review.search([('epc', '=', site.epc(later))])
            self.assertEqual(entry.kind, 'no_shipment')

    @with_transaction()
    def test_unknown_epcs_go_to_review_with_counts(self):
        pool = Pool()
        Review = pool.get('serial_mes.rfid.review')
        company = create_company()
        with set_company(company):
            site = Site(company)
            no_serial = site.epc('999999')
            no_product = encode_sgtin(gtin('0950600099999'), '1001').hex
            reads = [(no_serial, 1, at(s)) for s in range(3)] + [
                (no_product, 2, at(1))]
            result = self.ingest(batch(reads))
            self.assertEqual((result['events'], result['review']), (0, 4))
            self.ingest(batch([(no_serial, 4, at(9))]))
            entries = {r.epc: r for r in Review.search([])}
            self.assertEqual(entries[no_serial].kind, 'unknown')
            self.assertEqual(entries[no_serial].read_count, 4)
            self.assertEqual(entries[no_serial].first_seen, T0)
            self.assertEqual(entries[no_serial].last_seen,
                T0 + dt.timedelta(seconds=9))
            self.assertEqual(entries[no_serial].last_antenna, site.shelf)
            self.assertIn('serial 999999', entries[no_serial].detail)
            self.assertEqual(entries[no_product].read_count, 1)
            self.assertEqual(self.events(), [])

    @with_transaction()
    def test_foreign_schemes_and_undecodable_epcs(self):
        pool = Pool()
        Review = pool.get('serial_mes.rfid.review')
        company = create_company()
        with set_company(company):
            site = Site(company)
            known = site.epc(site.lots[0])
            raw_tid = 'E2801160600002050000000A'
            result = self.ingest(batch([(SSCC, 1, at(0)), (GIAI, 1, at(0)),
                        (raw_tid, 1, at(0)), ('not-hex!', 1, at(0)),
                        (known, 1, at(0))]))
            self.assertEqual((result['events'], result['review']), (1, 4))
            entries = {r.epc: (r.kind, r.detail) for r in Review.search([])}
            self.assertEqual(entries[SSCC],
                ('foreign', 'urn:epc:id:sscc:0614141.1234567890'))
            self.assertEqual(entries[GIAI],
                ('foreign', 'urn:epc:id:giai:0614141.5678'))
            self.assertEqual(entries[raw_tid][0], 'undecodable')
            self.assertIn('header', entries[raw_tid][1])
            self.assertEqual(entries['not-hex!'][0], 'undecodable')

    @with_transaction()
    def test_duplicate_batches_are_idempotent(self):
        company = create_company()
        with set_company(company):
            site = Site(company)
            epc = site.epc(site.lots[0])
            data = batch([(epc, 1, at(0)), ('E200', 1, at(0))], 'same')
            first = self.ingest(data)
            counts = self.counts()
            again = self.ingest(data)
            self.assertEqual(again, dict(first, duplicate=True,
                    observations=0, events=0, review=0))
            self.assertEqual(self.counts(), counts)
            # without a batch id the payload's digest is the id
            data = batch([(epc, 1, at(100))])
            first = self.ingest(data)
            self.assertTrue(first['batch'].startswith('sha256:'))
            self.assertEqual(first['events'], 1)
            self.assertTrue(self.ingest(data.encode())['duplicate'])
            # a batch id given by the caller (Idempotency-Key)
            self.ingest(batch([(epc, 1, at(200))]), batch_id='key-1')
            self.assertTrue(self.ingest(batch([(epc, 1, at(300))]),
                    batch_id='key-1')['duplicate'])
            # twice in one call: the second is the duplicate
            Batch = Pool().get('serial_mes.rfid.batch')
            results = Batch.ingest_many([
                    (batch([(epc, 1, at(400))], 'x'), None, None),
                    (batch([(epc, 1, at(400))], 'x'), None, None)])
            self.assertEqual([r['duplicate'] for r in results],
                [False, True])
            self.assertEqual(len(self.events()), 4)

    @with_transaction()
    def test_purge_forgets_observations_not_extended_for_the_period(self):
        """The cron job forgets an observation when it has not been
        extended for the period, by the server's clock: one extended since
        (its first reads older than the period) is kept, and so is one
        written now from late reads (a broker outage replayed)"""
        pool = Pool()
        Sighting = pool.get('serial_mes.rfid.sighting')
        table = Sighting.__table__()
        cursor = Transaction().connection.cursor()
        company = create_company()
        with set_company(company):
            site = Site(company)
            kept, forgotten, late = site.lots
            self.ingest(batch([(site.epc(kept), 1, at(0)),
                        (site.epc(forgotten), 1, at(0))], 'b1'))
            # two days pass (on the server's clock)
            cursor.execute(*table.update([table.create_date],
                    [dt.datetime.now() - dt.timedelta(days=2)]))
            # the reader still reads one tag: its observation is extended
            self.ingest(batch([(site.epc(kept), 1, at(4))], 'b2'))
            # reads of another tag from two days ago arrive only now
            self.ingest(batch([(site.epc(late), 1, at(0))], 'b3'))
            self.assertEqual(len(self.events()), 3)

            Sighting.purge(dt.timedelta(days=1))

            self.assertEqual(sorted(s.epc for s in Sighting.search([])),
                sorted([site.epc(kept), site.epc(late)]))
            # the kept observations go on: no new event for their tags
            result = self.ingest(batch([(site.epc(kept), 1, at(8)),
                        (site.epc(late), 1, at(4))], 'b4'))
            self.assertEqual(result['events'], 0)

    @with_transaction()
    def test_malformed_input_is_rejected_and_writes_nothing(self):
        company = create_company()
        with set_company(company):
            site = Site(company)
            epc = site.epc(site.lots[0])
            counts = self.counts()
            for data, error in [
                    (b'{"reads": [', 'Malformed JSON'),
                    (b'\xff\xfe', 'UTF-8'),
                    ('42', 'JSON object or list'),
                    ('{"reads": {}}', 'reads as a JSON list'),
                    ('{"reads": [], "extra": 1}', "Unexpected key"),
                    (batch([(epc, 1, 'yesterday')]), 'Read 1: expected an '
                        'ISO 8601 time'),
                    (batch([(epc, 0, at(0))]), 'Read 1: expected antenna'),
                    (batch([(epc, 1, at(0)), (42, 1, at(0))]),
                        'Read 2: expected epc'),
                    (batch([(epc, 1, at(0))], reader='nowhere'),
                        'no active reader has the identifier "nowhere"'),
                    (batch([(epc, 1, at(0)), (epc, 9, at(1))]),
                        'no active antenna on port 9'),
                    ('{"reads": [{"epc": "%s", "antenna": 1, "time": "%s"}]}'
                        % (epc, at(0)), 'Read 1: no reader'),
                    ('[{"foo": 1}]', 'Event 1: expected a Serial MES'),
                    ]:
                with self.subTest(data=data):
                    with self.assertRaisesRegex(RfidError, error):
                        self.ingest(data)
                    self.assertEqual(self.counts(), counts)

    @with_transaction()
    def test_middleware_shapes(self):
        pool = Pool()
        Reader = pool.get('serial_mes.rfid.reader')
        company = create_company()
        with set_company(company):
            site = Site(company)
            epcs = [site.epc(l) for l in site.lots]
            impinj = [{
                    'timestamp': at(0), 'hostname': 'dock-1',
                    'eventType': 'tagInventory',
                    'tagInventoryEvent': {
                        'epcHex': epcs[0], 'antennaPort': 1,
                        'peakRssiCdbm': -5200},
                    }, {
                    'timestamp': at(1), 'hostname': 'dock-1',
                    'eventType': 'tagInventory',
                    'tagInventoryEvent': {
                        'epc': base64.b64encode(
                            bytes.fromhex(epcs[1])).decode(),
                        'antennaPort': 1,
                        'lastSeenTime': at(1)},
                    }, {
                    'timestamp': at(1), 'hostname': 'dock-1',
                    'eventType': 'antennaConnected',
                    'antennaConnectedEvent': {'antennaPort': 1},
                    }]
            # JSON lines, as the reader's HTTP stream sends them
            result = self.ingest('\n'.join(json.dumps(e) for e in impinj))
            self.assertEqual((result['reads'], result['events'],
                    result['ignored']), (2, 2, 1))
            zebra = [{'timestamp': at(60).replace('Z', '+0000'),
                    'type': 'SIMPLE', 'data': {
                        'eventNum': 1, 'format': 'epc', 'idHex': epc.lower(),
                        'antenna': 1, 'peakRssi': -48, 'reads': 3}}
                for epc in epcs]
            result = self.ingest(json.dumps(zebra), reader='dock-1')
            self.assertEqual((result['reads'], result['events']), (3, 3))
            with self.assertRaisesRegex(RfidError, 'Zebra events do not '
                    'name it'):
                self.ingest(json.dumps(zebra[:1]))
            # an inactive reader is unknown
            Reader.write([site.reader], {'active': False})
            with self.assertRaisesRegex(RfidError, 'no active reader'):
                self.ingest(json.dumps(zebra[:1]), reader='dock-1')

    @with_transaction()
    def test_serial_epc_field_and_renumbered_tags(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        Template = pool.get('product.template')
        company = create_company()
        with set_company(company):
            site = Site(company)
            numeric, _, alphanumeric = site.lots
            # the template's length defaults from GS1's table for the GTIN
            self.assertEqual(
                site.product.template.epc_company_prefix_length, 11)
            self.assertEqual(numeric.epc, encode_sgtin(site.gtin, '1001',
                    company_prefix_length=11).hex)
            self.assertTrue(numeric.epc_tag_uri.startswith(
                    'urn:epc:tag:sgtin-96:1.'))
            self.assertTrue(alphanumeric.epc_tag_uri.startswith(
                    'urn:epc:tag:sgtin-198:1.'))
            self.assertEqual(Lot.search([('epc', '=', numeric.epc)]),
                [numeric])
            self.assertEqual(Lot.search([('epc', '=',
                            numeric.epc_tag_uri)]), [numeric])
            self.assertEqual(Lot.search([('epc', '=', 'junk')]), [])
            Template.write([site.product.template],
                {'epc_company_prefix_length': 9})
            numeric = Lot(numeric.id)
            self.assertEqual(numeric.epc, encode_sgtin(site.gtin, '1001',
                    company_prefix_length=9).hex)
            # the tag still carries the old number after a renumbering
            old_epc = site.epc(numeric)
            Lot.renumber(numeric, '5001')
            result = self.ingest(batch([(old_epc, 1, at(0))]))
            self.assertEqual(result['events'], 1)
            self.assertEqual(self.events()[0].lot, numeric)

    @with_transaction()
    def test_antenna_pair_must_be_a_dock_door_pair(self):
        pool = Pool()
        Antenna = pool.get('serial_mes.rfid.antenna')
        company = create_company()
        with set_company(company):
            site = Site(company)
            with self.assertRaises(AntennaError):
                Antenna.write([site.portal], {'pair': site.inside.id})
            with self.assertRaises(AntennaError):
                Antenna.write([site.outside], {'dock_side': 'inside'})


class ReadsRouteTestCase(RouteTestCase):
    "POST /<db>/serial_mes_rfid/reads with a reader's API key"
    module = 'serial_mes_rfid'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        User = pool.get('res.user')
        Application = pool.get('res.user.application')
        company = create_company()
        with set_company(company):
            site = Site(company)
            cls.epc = site.epc(site.lots[0])
            admin, = User.search([('login', '=', 'admin')])
            outsider, = User.create([{'name': "Outsider",
                        'login': 'outsider'}])
            cls.key, cls.outsider_key, cls.other_key = [a.key
                for a in Application.create([
                        {'user': admin.id, 'application': 'serial_mes_rfid'},
                        {'user': outsider.id,
                            'application': 'serial_mes_rfid'},
                        {'user': admin.id,
                            'application': 'serial_mes_receiving'},
                        ])]
        Transaction().commit()

    def post(self, data, key=None, query='', headers=None):
        headers = dict(headers or {})
        headers['Authorization'] = 'Bearer %s' % (key or self.key)
        return self.client().post(
            '/%s/serial_mes_rfid/reads%s' % (self.db_name, query),
            data=data, headers=headers, content_type='application/json')

    def test_post_reads(self):
        data = batch([(self.epc, 1, at(0)), (self.epc, 1, at(1))], 'r1')
        response = self.post(data)
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(json.loads(response.data), {
                'batch': 'r1', 'duplicate': False, 'reads': 2,
                'observations': 1, 'events': 1, 'moves': 0, 'review': 0,
                'ignored': 0})
        response = self.post(data)
        self.assertTrue(json.loads(response.data)['duplicate'])

    def test_reader_and_batch_from_the_request(self):
        zebra = json.dumps([{'timestamp': at(500), 'type': 'SIMPLE',
                    'data': {'idHex': self.epc, 'antenna': 1}}])
        response = self.post(zebra, query='?reader=dock-1',
            headers={'Idempotency-Key': 'zebra-1'})
        self.assertEqual(json.loads(response.data)['batch'], 'zebra-1')
        self.assertEqual(json.loads(response.data)['events'], 1)

    def test_bad_input_and_keys(self):
        with Transaction().start(self.db_name, 0):
            before = Pool().get('serial_mes.rfid.batch').search_count([])
        response = self.post(b'{"reads": [')
        self.assertEqual(response.status_code, 400)
        self.assertIn('malformed json',
            json.loads(response.data)['error'].lower())
        response = self.post(batch([(self.epc, 7, at(0))]))
        self.assertEqual(response.status_code, 400)
        self.assertIn('no active antenna on port 7',
            json.loads(response.data)['error'])
        self.assertEqual(self.post('[]', key='wrong').status_code, 401)
        self.assertEqual(self.post('[]', key=self.other_key).status_code,
            401)
        self.assertEqual(
            self.post(batch([(self.epc, 1, at(0))]),
                key=self.outsider_key).status_code, 403)
        with Transaction().start(self.db_name, 0):
            self.assertEqual(
                Pool().get('serial_mes.rfid.batch').search_count([]), before)
