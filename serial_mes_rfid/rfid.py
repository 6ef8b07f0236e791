# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""RFID readers, antennas and the ingestion of tag reads.

`Batch.ingest(data, reader=None, batch_id=None)` is the one service behind
the JSON route and the MQTT bridge: it takes one batch of reads in any shape
of `serial_mes_rfid.reads` and, in the caller's transaction:

1. skips the batch when its id was ingested before (idempotence: the id is
   stored in serial_mes.rfid.batch under a unique constraint);
2. decodes each distinct EPC once (SGTIN-96/198 -> GTIN + serial) and finds
   the serial by the product's GTIN (product.identifier of type EAN) and the
   lot number (or a former number kept as an alias);
3. smooths: reads of one EPC on one antenna whose times are within the
   reader's smoothing window of each other (a gap of at most the window)
   form one observation, across batches and whatever the order of arrival
   (the recent observations are kept in serial_mes.rfid.sighting);
4. for a dock-door pair, the order of the first sightings on the outside
   and inside antennas within the reader's direction window gives the
   direction: outside then inside is "in", inside then outside is "out";
5. writes one `observe` event (source rfid) per observation of a known
   serial at the antenna's read point, in bulk;
6. moves the serial (a done stock move through serial_mes's stock service)
   to the antenna's location when the antenna's action is "move": at a
   dock door, to the location of the side the serial passed to;
7. counts reads of EPCs that decode but match no serial, that are not
   serials (SSCC, GIAI) or that do not decode in serial_mes.rfid.review;
   so too, instead of writing events or moving, the reads of a serial not
   yet commissioned (expected) and the outward dock-door passages of a
   serial that is on no customer shipment being shipped.

Bad input (malformed JSON, unknown reader or antenna) raises RfidError and
writes nothing.
"""
import datetime as dt
import functools
import json
from collections import defaultdict
from typing import NamedTuple

from sql import Literal
from sql.aggregate import Max

from trytond import backend
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    Check, DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from serial_mes import bulk
from serial_mes.event import BIZ_STEPS, DISPOSITIONS

from . import epc as epc_module
from . import routes  # noqa: F401 the reads route, once trytond runs
from . import reads as reads_module
from .exceptions import AntennaError, RfidError

ROLES = [
    ('portal', "Portal"),
    ('dock_door', "Dock Door"),
    ('station', "Station"),
    ('shelf', "Shelf"),
    ]
SIDES = [
    (None, ''),
    ('outside', "Outside"),
    ('inside', "Inside"),
    ]
ACTIONS = [
    ('observe', "Observe Only"),
    ('move', "Move"),
    ]
REVIEW_KINDS = [
    ('unknown', "No Matching Serial"),
    ('foreign', "Not a Serial (SSCC, GIAI)"),
    ('undecodable', "Undecodable"),
    ('not_commissioned', "Serial Not Yet Commissioned"),
    ('no_shipment', "Leaving Without Shipment"),
    ]
MOVABLE_STATUSES = {'in_stock'}
# a serial read in one of these is not yet commissioned: its reads go to
# review, they neither write events nor move it
UNCOMMISSIONED_STATUSES = {'expected'}
# the states of a customer shipment whose serials may pass a dock door
# outward; a shipment done at most SHIPPED_GRACE before the passage too
SHIPPING_STATES = {'waiting', 'assigned', 'picked', 'packed'}
SHIPPED_GRACE = dt.timedelta(hours=1)
EPC_CACHE_SIZE = 1 << 16
# GTIN -> product id (None: no product); cleared when identifiers change
product_cache = Cache('serial_mes_rfid.product_by_gtin', context=False,
    duration=300)


class AntennaConfig(NamedTuple):
    id: int
    port: int
    role: str
    side: str
    pair: int
    read_point: str
    location: int
    action: str
    biz_step: str
    disposition: str


class ReaderConfig(NamedTuple):
    id: int
    identifier: str
    company: int
    window: dt.timedelta
    direction_window: dt.timedelta
    antennas: dict              # port -> AntennaConfig


class Reader(DeactivableMixin, ModelSQL, ModelView):
    "RFID Reader"
    __name__ = 'serial_mes.rfid.reader'
    name = fields.Char("Name", required=True)
    identifier = fields.Char("Identifier", required=True,
        help="How the reader names itself: the reader of its batches, its "
        "host name (Impinj) or the reader level of its MQTT topic.")
    kind = fields.Selection([
            ('mqtt', "MQTT"),
            ('http', "HTTP Push"),
            ], "Kind", required=True)
    # no fixed digits: 5 shows as 5 and 0.5 as 0.5, not 5.000
    smoothing_window = fields.Float("Smoothing Window (s)", required=True,
        help="In seconds: reads of one tag on one antenna with gaps of at "
        "most this long make one observation.")
    direction_window = fields.Float("Direction Window (s)", required=True,
        help="In seconds: the first sightings on the two antennas of a dock "
        "door give a direction when they are at most this far apart.")
    offline_after = fields.Integer("Offline After (s)", required=True,
        help="In seconds: the reader shows as offline when it sent no batch "
        "for this long.")
    last_seen = fields.Function(fields.Timestamp("Last Seen",
            help="When its latest batch of reads was received."),
        'get_last_seen')
    state = fields.Function(fields.Selection([
                ('online', "Online"),
                ('offline', "Offline"),
                ], "State",
            help="Online when its latest batch came at most Offline After "
            "ago."),
        'get_last_seen')
    antennas = fields.One2Many('serial_mes.rfid.antenna', 'reader',
        "Antennas")
    company = fields.Many2One('company.company', "Company", required=True)
    _config_cache = Cache('serial_mes_rfid.reader_config', context=False,
        duration=60)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('identifier_unique', Unique(t, t.identifier),
                'serial_mes_rfid.msg_reader_identifier_unique'),
            ('smoothing_window_positive', Check(t, t.smoothing_window >= 0),
                'serial_mes_rfid.msg_reader_window_positive'),
            ('direction_window_positive', Check(t, t.direction_window >= 0),
                'serial_mes_rfid.msg_reader_window_positive'),
            ('offline_after_positive', Check(t, t.offline_after >= 0),
                'serial_mes_rfid.msg_reader_window_positive'),
            ]
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_kind(cls):
        return 'mqtt'

    @classmethod
    def default_smoothing_window(cls):
        return 5.0

    @classmethod
    def default_direction_window(cls):
        return 10.0

    @classmethod
    def default_offline_after(cls):
        return 300

    @classmethod
    def get_last_seen(cls, readers, names):
        "The time of the latest batch of each reader, one query per slice"
        Batch = Pool().get('serial_mes.rfid.batch')
        batch = Batch.__table__()
        cursor = Transaction().connection.cursor()
        last = {}
        for sub in grouped_slice([r.id for r in readers]):
            cursor.execute(*batch.select(batch.reader,
                    Max(batch.received_at),
                    where=fields.SQL_OPERATORS['in'](batch.reader, list(sub)),
                    group_by=[batch.reader]))
            last.update((r, _datetime(t)) for r, t in cursor)
        now = dt.datetime.now()
        result = {}
        if 'last_seen' in names:
            result['last_seen'] = {r.id: last.get(r.id) for r in readers}
        if 'state' in names:
            result['state'] = {r.id: 'online' if last.get(r.id) and (
                    now - last[r.id]).total_seconds() <= (
                    r.offline_after or 0) else 'offline'
                for r in readers}
        return result

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def create(cls, vlist):
        cls._config_cache.clear()
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        cls._config_cache.clear()
        super().write(*args)

    @classmethod
    def delete(cls, readers):
        cls._config_cache.clear()
        super().delete(readers)

    @classmethod
    def configs(cls, identifiers):
        """{identifier: ReaderConfig} of the active readers; unknown
        identifiers raise RfidError"""
        result = {}
        missing = []
        for identifier in identifiers:
            config = cls._config_cache.get(identifier)
            if config is None:
                missing.append(identifier)
            else:
                result[identifier] = config
        if missing:
            with without_check_access():
                readers = cls.search([('identifier', 'in', missing)])
            for reader in readers:
                config = reader._config()
                cls._config_cache.set(reader.identifier, config)
                result[reader.identifier] = config
        unknown = sorted(set(identifiers) - set(result))
        if unknown:
            raise RfidError(gettext('serial_mes_rfid.msg_reader_unknown',
                    reader=', '.join(unknown)))
        return result

    def _config(self):
        antennas = [a for a in self.antennas if a.active]
        pairs = {}
        for antenna in antennas:
            if antenna.role == 'dock_door' and antenna.pair:
                pairs[antenna.id] = antenna.pair.id
                pairs.setdefault(antenna.pair.id, antenna.id)
        return ReaderConfig(
            id=self.id, identifier=self.identifier, company=self.company.id,
            window=dt.timedelta(seconds=self.smoothing_window or 0),
            direction_window=dt.timedelta(
                seconds=self.direction_window or 0),
            antennas={a.port: AntennaConfig(
                    id=a.id, port=a.port, role=a.role, side=a.dock_side,
                    pair=pairs.get(a.id) if a.role == 'dock_door' else None,
                    read_point=str(a.read_point) if a.read_point else None,
                    location=a.location.id if a.location else None,
                    action=a.action, biz_step=a.biz_step,
                    disposition=a.disposition)
                for a in antennas})


class Antenna(DeactivableMixin, ModelSQL, ModelView):
    "RFID Antenna"
    __name__ = 'serial_mes.rfid.antenna'
    _rec_name = 'name'
    reader = fields.Many2One('serial_mes.rfid.reader', "Reader",
        required=True, ondelete='CASCADE')
    port = fields.Integer("Port", required=True,
        help="The antenna port as the reader reports it, from 1.")
    name = fields.Char("Name")
    role = fields.Selection(ROLES, "Role", required=True)
    dock_side = fields.Selection(SIDES, "Dock Side",
        states={
            'invisible': Eval('role') != 'dock_door',
            'required': Eval('role') == 'dock_door',
            },
        help="Which side of the door the antenna faces: a serial seen "
        "outside then inside comes in.")
    pair = fields.Many2One('serial_mes.rfid.antenna', "Paired Antenna",
        domain=[
            ('reader', '=', Eval('reader', -1)),
            ('role', '=', 'dock_door'),
            ('id', '!=', Eval('id', -1)),
            ],
        states={
            'invisible': Eval('role') != 'dock_door',
            },
        help="The antenna on the other side of the same dock door.")
    read_point = fields.Reference("Read Point", required=True,
        selection=[
            ('stock.location', "Location"),
            ('production.work.center', "Work Center"),
            ],
        help="Where the antenna reads: written on its events.")
    read_point_name = fields.Function(fields.Char("Read Point"),
        'get_read_point_name')
    location = fields.Many2One('stock.location', "Business Location",
        domain=[('type', 'not in', ['view', 'warehouse'])],
        states={
            'required': Eval('action') == 'move',
            },
        help="Where a serial seen here is: the business location of the "
        "events and the destination of moves.")
    action = fields.Selection(ACTIONS, "Action", required=True,
        help="Observe only writes events; Move also moves a serial in stock "
        "to the business location (at a dock door: of the side it passed "
        "to).")
    biz_step = fields.Selection(BIZ_STEPS, "Business Step")
    disposition = fields.Selection(DISPOSITIONS, "Disposition")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('reader_port_unique', Unique(t, t.reader, t.port),
                'serial_mes_rfid.msg_antenna_port_unique'),
            ('port_positive', Check(t, t.port >= 1),
                'serial_mes_rfid.msg_antenna_port_positive'),
            ]
        cls._order = [('reader', 'ASC'), ('port', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_role(cls):
        return 'portal'

    @classmethod
    def default_action(cls):
        return 'observe'

    def get_rec_name(self, name):
        return '%s / %s' % (self.reader.rec_name, self.name or self.port)

    def get_read_point_name(self, name):
        "The read point's name, without the name of its model"
        return self.read_point.rec_name if self.read_point else None

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') or operator.startswith(
            'not ') else 'OR'
        return [bool_op,
            ('name',) + tuple(clause[1:]),
            ('reader.rec_name',) + tuple(clause[1:]),
            ]

    @classmethod
    def validate_fields(cls, antennas, field_names):
        super().validate_fields(antennas, field_names)
        if field_names & {'role', 'pair', 'dock_side', 'reader'}:
            paired = cls.search([
                    ('pair', 'in', [a.id for a in antennas]),
                    ('id', 'not in', [a.id for a in antennas]),
                    ])
            for antenna in list(antennas) + paired:
                antenna.check_pair()

    def check_pair(self):
        pair = self.pair
        if not pair:
            return
        if (self.role != 'dock_door' or pair.role != 'dock_door'
                or pair == self or pair.reader != self.reader
                or not self.dock_side or pair.dock_side == self.dock_side
                or (pair.pair and pair.pair != self)):
            raise AntennaError(gettext(
                    'serial_mes_rfid.msg_antenna_pair_invalid',
                    antenna=self.rec_name, pair=pair.rec_name))

    @classmethod
    def create(cls, vlist):
        Pool().get('serial_mes.rfid.reader')._config_cache.clear()
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        Pool().get('serial_mes.rfid.reader')._config_cache.clear()
        super().write(*args)

    @classmethod
    def delete(cls, antennas):
        Pool().get('serial_mes.rfid.reader')._config_cache.clear()
        super().delete(antennas)


class Sighting(ModelSQL):
    "RFID Observation"
    __name__ = 'serial_mes.rfid.sighting'
    antenna = fields.Many2One('serial_mes.rfid.antenna', "Antenna",
        required=True, ondelete='CASCADE')
    epc = fields.Char("EPC", required=True)
    first_seen = fields.Timestamp("First Seen", required=True)
    last_seen = fields.Timestamp("Last Seen", required=True)
    paired = fields.Boolean("Paired",
        help="Already used for the direction of a dock-door passage.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('antenna_epc_first_unique',
                Unique(t, t.antenna, t.epc, t.first_seen),
                'serial_mes_rfid.msg_sighting_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.epc, Index.Equality()),
                    (t.antenna, Index.Equality()),
                    (t.last_seen, Index.Range())),
                Index(t, (t.create_date, Index.Range())),
                })

    @classmethod
    def purge(cls, older_than=None):
        """Forget the observations not extended for older_than (1 day) by
        the server's clock: smoothing and direction only need the recent
        ones.

        An extended (or paired) observation is written again as a new row
        (_Ingestion.write_states), so create_date is when it was last
        extended.  Not last_seen: that is the reader's clock, and reads
        held by the broker during an outage arrive with old times; their
        observations must last while the rest of the backlog comes in."""
        older_than = older_than or dt.timedelta(days=1)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.delete(
                where=table.create_date < dt.datetime.now() - older_than))


class Review(ModelSQL, ModelView):
    "RFID Tag to Review"
    __name__ = 'serial_mes.rfid.review'
    _rec_name = 'epc'
    epc = fields.Char("EPC", required=True, readonly=True,
        help="As read: hex, or the text the reader sent.")
    kind = fields.Selection(REVIEW_KINDS, "Kind", required=True,
        readonly=True)
    detail = fields.Char("Detail", readonly=True,
        help="The EPC's pure identity, or why it does not decode.")
    read_count = fields.Integer("Reads", required=True, readonly=True)
    first_seen = fields.Timestamp("First Seen", readonly=True)
    last_seen = fields.Timestamp("Last Seen", readonly=True)
    last_antenna = fields.Many2One('serial_mes.rfid.antenna', "Last Antenna",
        readonly=True, ondelete='SET NULL')
    gtin = fields.Function(fields.Char("GTIN",
            help="Decoded from the EPC, when it is an SGTIN."), 'get_decoded')
    serial = fields.Function(fields.Char("Serial",
            help="Decoded from the EPC, when it is an SGTIN."), 'get_decoded')

    @classmethod
    def get_decoded(cls, reviews, names):
        result = {n: {} for n in names}
        for review in reviews:
            kind, value, serial = classify(review.epc)
            if kind != 'sgtin':
                value = serial = None
            if 'gtin' in result:
                result['gtin'][review.id] = value
            if 'serial' in result:
                result['serial'][review.id] = serial
        return result

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('epc_unique', Unique(t, t.epc),
                'serial_mes_rfid.msg_review_unique'),
            ]
        cls._order = [('last_seen', 'DESC'), ('id', 'DESC')]


class Batch(ModelSQL, ModelView):
    "RFID Batch of Reads"
    __name__ = 'serial_mes.rfid.batch'
    _rec_name = 'batch_id'
    batch_id = fields.Char("Batch", required=True, readonly=True)
    reader = fields.Many2One('serial_mes.rfid.reader', "Reader",
        readonly=True, ondelete='SET NULL')
    shape = fields.Char("Shape", readonly=True)
    received_at = fields.Timestamp("Received at", readonly=True)
    ingested_at = fields.Timestamp("Ingested at", readonly=True)
    read_count = fields.Integer("Reads", readonly=True)
    observation_count = fields.Integer("Observations", readonly=True)
    event_count = fields.Integer("Events", readonly=True)
    move_count = fields.Integer("Moves", readonly=True)
    review_count = fields.Integer("Reads to Review", readonly=True)
    ignored_count = fields.Integer("Ignored", readonly=True,
        help="Reader events that are not tag reads.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('batch_id_unique', Unique(t, t.batch_id),
                'serial_mes_rfid.msg_batch_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.ingested_at, Index.Range())),
                # the readers' last seen: the latest batch of a reader
                Index(t, (t.reader, Index.Equality()),
                    (t.received_at, Index.Range())),
                })
        cls._order = [('ingested_at', 'DESC'), ('id', 'DESC')]

    # --- the service ---------------------------------------------------

    @classmethod
    def ingest(cls, data, reader=None, batch_id=None, received_at=None):
        """Ingest one batch of reads (bytes, str or decoded JSON in a shape
        of serial_mes_rfid.reads); return its summary:

        {"batch", "duplicate", "reads", "observations", "events", "moves",
         "review", "ignored"}"""
        return cls.ingest_many([(data, reader, batch_id)],
            received_at=received_at)[0]

    @classmethod
    def ingest_many(cls, items, received_at=None):
        """Ingest several batches in one go, as ingest() would one after the
        other; items are (data, reader, batch_id) or parsed reads.Batch.
        Any bad batch rejects them all (RfidError)."""
        batches = []
        for item in items:
            if isinstance(item, reads_module.Batch):
                batches.append(item)
                continue
            data, reader, batch_id = item
            try:
                batches.append(reads_module.parse(data, reader=reader,
                        batch_id=batch_id))
            except reads_module.ReadsError as exception:
                raise RfidError(gettext(
                        'serial_mes_rfid.msg_batch_malformed',
                        error=str(exception)))
        with without_check_access():
            return _Ingestion(batches, received_at).run()


@functools.lru_cache(maxsize=EPC_CACHE_SIZE)
def classify(epc):
    """('sgtin', gtin, serial) | ('foreign', pure identity URI, None) |
    ('undecodable', reason, None) for an EPC as read"""
    try:
        decoded = epc_module.decode(epc)
    except epc_module.EpcError as exception:
        return ('undecodable', str(exception)[:200], None)
    if decoded.gtin:
        return ('sgtin', decoded.gtin, decoded.serial)
    return ('foreign', decoded.pure_identity_uri[:200], None)


class _State:
    "One observation of an EPC on an antenna: stored or new in this batch"
    __slots__ = ('id', 'first', 'last', 'paired', 'new', 'batch', 'offset',
        'direction', 'target', 'dirty')

    def __init__(self, first, last, id=None, paired=False, new=True,
            batch=None, offset=None):
        self.id = id
        self.first = first
        self.last = last
        self.paired = paired
        self.new = new
        self.batch = batch
        self.offset = offset
        self.direction = None
        self.target = None
        self.dirty = new


class _Ingestion:
    "The work of Batch.ingest_many() on parsed batches"

    def __init__(self, batches, received_at=None):
        self.pool = Pool()
        self.transaction = Transaction()
        self.cursor = self.transaction.connection.cursor()
        self.batches = batches
        self.received_at = received_at or dt.datetime.now()
        self.results = [{
                'batch': b.batch_id,
                'duplicate': False,
                'reads': len(b.reads),
                'observations': 0,
                'events': 0,
                'moves': 0,
                'review': 0,
                'ignored': b.ignored,
                } for b in batches]

    def run(self):
        fresh = self.fresh_batches()
        if not fresh:
            return self.results
        configs = self.pool.get('serial_mes.rfid.reader').configs(
            {r.reader for i in fresh for r in self.batches[i].reads}
            | {self.batches[i].reader for i in fresh
                if self.batches[i].reader})
        self.configs = configs
        self.reader_of = {a.id: c for c in configs.values()
            for a in c.antennas.values()}
        self.antennas = {a.id: a for c in configs.values()
            for a in c.antennas.values()}
        groups, review = self.group(fresh, configs)
        lots = self.find_lots({epc for _, epc in groups})
        for key in [k for k in groups if k[1] not in lots]:
            antenna, epc = key
            for time, _, _, index in groups.pop(key):
                self.to_review(review, epc, classify(epc), time,
                    antenna.id, index)
        for key in [k for k in groups
                if lots[k[1]][2] in UNCOMMISSIONED_STATUSES]:
            antenna, epc = key
            kind = ('not_commissioned', self.serial_detail(lots[epc][0],
                    'serial_mes_rfid.msg_review_not_commissioned'))
            for time, _, _, index in groups.pop(key):
                self.to_review(review, epc, kind, time, antenna.id, index)
        self.insert_batches(fresh, configs)
        states = self.load_states(groups)
        observations = self.smooth(groups, states)
        self.directions(observations, states)
        observations = self.check_leaving(observations, lots, review)
        self.moves(observations, lots)
        self.write_events(observations, lots)
        self.write_states(states)
        self.write_review(review)
        self.update_batches(fresh)
        return self.results

    def fresh_batches(self):
        "Indexes of the batches not ingested before (nor twice in the list)"
        Batch = self.pool.get('serial_mes.rfid.batch')
        table = Batch.__table__()
        ids = [b.batch_id for b in self.batches]
        seen = set()
        for sub in grouped_slice(sorted(set(ids)), backend.MAX_QUERY_PARAMS):
            self.cursor.execute(*table.select(table.batch_id,
                    where=fields.SQL_OPERATORS['in'](
                        table.batch_id, list(sub))))
            seen.update(r[0] for r in self.cursor)
        fresh = []
        for index, batch_id in enumerate(ids):
            if batch_id in seen:
                self.results[index]['duplicate'] = True
                for key in ['observations', 'events', 'moves', 'review']:
                    self.results[index][key] = 0
            else:
                seen.add(batch_id)
                fresh.append(index)
        return fresh

    def group(self, fresh, configs):
        """Reads of serial EPCs by (antenna, epc); the others counted for
        review"""
        groups = defaultdict(list)
        review = {}
        for index in fresh:
            batch = self.batches[index]
            for read in batch.reads:
                config = configs[read.reader]
                antenna = config.antennas.get(read.antenna)
                if antenna is None:
                    raise RfidError(gettext(
                            'serial_mes_rfid.msg_antenna_unknown',
                            reader=read.reader, port=read.antenna))
                kind = classify(read.epc)
                if kind[0] == 'sgtin':
                    groups[(antenna, read.epc)].append(
                        (read.time, read.offset, read.rssi, index))
                else:
                    self.to_review(review, read.epc, kind, read.time,
                        antenna.id, index)
        return groups, review

    def to_review(self, review, epc, kind, time, antenna_id, index):
        if kind[0] == 'sgtin':
            detail = 'GTIN %s serial %s' % (kind[1], kind[2])
            kind = 'unknown'
        else:
            kind, detail = kind[0], kind[1]
        entry = review.get(epc)
        if entry is None:
            review[epc] = entry = [kind, detail, 0, time, time, antenna_id]
        elif time >= entry[4]:
            # the latest reason to review the tag wins
            entry[0], entry[1] = kind, detail
        entry[2] += 1
        if time < entry[3]:
            entry[3] = time
        if time >= entry[4]:
            entry[4] = time
            entry[5] = antenna_id
        self.results[index]['review'] += 1

    def serial_detail(self, lot_id, message):
        Lot = self.pool.get('stock.lot')
        lot = Lot(lot_id)
        statuses = dict(Lot.fields_get(['status'])['status']['selection'])
        return gettext(message, serial=lot.number,
            status=statuses.get(lot.status, lot.status))[:200]

    def check_leaving(self, observations, lots, review):
        """The observations without the outward dock-door passages of
        serials on no customer shipment being shipped: those go to review
        (no event, no move)"""
        leaving = [o for o in observations if o[2].direction == 'out']
        if not leaving:
            return observations
        shipped = self.shipping_serials({lots[o[1]][0]: o[2].first
                for o in leaving})
        kept = []
        for antenna, epc, state in observations:
            lot_id = lots[epc][0]
            if state.direction == 'out' and lot_id not in shipped:
                detail = self.serial_detail(lot_id,
                    'serial_mes_rfid.msg_review_no_shipment')
                self.to_review(review, epc, ('no_shipment', detail),
                    state.first, antenna.id, state.batch)
            else:
                kept.append((antenna, epc, state))
        return kept

    def shipping_serials(self, passages):
        """The ids of the serials of passages ({lot id: time}) that are on
        a customer shipment being shipped, or shipped at most
        SHIPPED_GRACE before the time"""
        pool = self.pool
        Move = pool.get('stock.move')
        Event = pool.get('serial_mes.event')
        result = set()
        done = set()
        for move in Move.search([
                    ('lot', 'in', list(passages)),
                    ('shipment', 'like', 'stock.shipment.out,%'),
                    ]):
            if move.shipment.state in SHIPPING_STATES:
                result.add(move.lot.id)
            elif move.shipment.state == 'done':
                done.add(move.lot.id)
        for event in Event.search([
                    ('lot', 'in', list(done - result)),
                    ('status_to', '=', 'at_customer'),
                    ]):
            if event.event_time >= passages[event.lot.id] - SHIPPED_GRACE:
                result.add(event.lot.id)
        return result

    # --- serials -------------------------------------------------------

    def find_lots(self, epcs):
        """{epc: (lot id, product id, status, current location id)} of the
        serials the SGTIN EPCs name"""
        wanted = {}     # (gtin, serial) -> [epc, ...]
        for epc in epcs:
            _, gtin, serial = classify(epc)
            wanted.setdefault((gtin, serial), []).append(epc)
        products = self.products_by_gtin({g for g, _ in wanted})
        by_product = defaultdict(dict)      # product -> {serial: [epc]}
        for (gtin, serial), names in wanted.items():
            product = products.get(gtin)
            if product:
                by_product[product][serial] = names
        result = {}
        Lot = self.pool.get('stock.lot')
        lot = Lot.__table__()
        missing = defaultdict(dict)
        for product, serials in by_product.items():
            found = set()
            for sub in grouped_slice(list(serials),
                    backend.MAX_QUERY_PARAMS - 1):
                self.cursor.execute(*lot.select(lot.id, lot.number,
                        lot.status, lot.current_location,
                        where=(lot.product == product)
                        & fields.SQL_OPERATORS['in'](lot.number, list(sub))))
                for lot_id, number, status, location in self.cursor:
                    found.add(number)
                    for name in serials[number]:
                        result[name] = (lot_id, product, status, location)
            for serial in set(serials) - found:
                missing[product][serial] = serials[serial]
        if missing:
            self.find_aliases(missing, result)
        return result

    def find_aliases(self, missing, result):
        "Serials whose tag carries a former number kept as an alias"
        pool = self.pool
        lot = pool.get('stock.lot').__table__()
        alias = pool.get('serial_mes.alias').__table__()
        numbers = sorted({s for serials in missing.values() for s in serials})
        for sub in grouped_slice(numbers, backend.MAX_QUERY_PARAMS - 1):
            self.cursor.execute(*alias.join(lot,
                    condition=alias.lot == lot.id).select(
                    lot.id, lot.product, alias.value, lot.status,
                    lot.current_location,
                    where=fields.SQL_OPERATORS['in'](alias.value, list(sub)),
                    order_by=[alias.id.asc]))
            for lot_id, product, value, status, location in self.cursor:
                names = missing.get(product, {}).get(value)
                for name in names or []:
                    result.setdefault(name, (lot_id, product, status,
                            location))

    def products_by_gtin(self, gtins):
        "{gtin: product id} through the products' EAN identifiers"
        cache = product_cache
        result = {}
        missing = []
        for gtin in gtins:
            product = cache.get(gtin, -1)
            if product == -1:
                missing.append(gtin)
            elif product:
                result[gtin] = product
        if not missing:
            return result
        identifier = self.pool.get('product.identifier').__table__()
        product = self.pool.get('product.product').__table__()
        codes = {}
        for gtin in missing:
            stripped = gtin.lstrip('0')
            for length in (8, 12, 13, 14):
                if len(stripped) <= length:
                    codes[stripped.zfill(length)] = gtin
        found = {}
        for sub in grouped_slice(sorted(codes), backend.MAX_QUERY_PARAMS):
            self.cursor.execute(*identifier.join(product,
                    condition=identifier.product == product.id).select(
                    identifier.code, identifier.product,
                    where=(identifier.type == 'ean')
                    & (product.active == Literal(True))
                    & fields.SQL_OPERATORS['in'](identifier.code, list(sub)),
                    order_by=[identifier.product.asc]))
            for code, product_id in self.cursor:
                found.setdefault(codes[code], product_id)
        for gtin in missing:
            cache.set(gtin, found.get(gtin))
            if found.get(gtin):
                result[gtin] = found[gtin]
        return result

    # --- batches -------------------------------------------------------

    def insert_batches(self, fresh, configs):
        """Claim the batch ids first: a concurrent transaction ingesting
        the same batch waits here, then fails on the unique constraint"""
        Batch = self.pool.get('serial_mes.rfid.batch')
        now = dt.datetime.now()
        rows = []
        for index in fresh:
            batch = self.batches[index]
            reader = configs.get(batch.reader) if batch.reader else None
            if reader is None and batch.reads:
                reader = configs[batch.reads[0].reader]
            rows.append([batch.batch_id, reader.id if reader else None,
                    batch.shape, self.received_at, now,
                    self.transaction.user, now])
        bulk.insert(Batch, ['batch_id', 'reader', 'shape', 'received_at',
                'ingested_at', 'create_uid', 'create_date'], rows)

    def update_batches(self, fresh):
        Batch = self.pool.get('serial_mes.rfid.batch')
        table = Batch.__table__()
        now = dt.datetime.now()
        for index in fresh:
            result = self.results[index]
            self.cursor.execute(*table.update(
                    [table.read_count, table.observation_count,
                        table.event_count, table.move_count,
                        table.review_count, table.ignored_count,
                        table.ingested_at],
                    [result['reads'], result['observations'],
                        result['events'], result['moves'], result['review'],
                        result['ignored'], now],
                    where=table.batch_id == result['batch']))

    # --- smoothing and direction ---------------------------------------

    def load_states(self, groups):
        """{(antenna id, epc): [_State]}: the stored observations of the
        EPCs near the times of the reads"""
        Sighting = self.pool.get('serial_mes.rfid.sighting')
        table = Sighting.__table__()
        states = defaultdict(list)
        if not groups:
            return states
        antenna_ids = set()
        epcs = set()
        low = high = None
        for (antenna, epc), reads in groups.items():
            epcs.add(epc)
            antenna_ids.add(antenna.id)
            if antenna.pair:
                antenna_ids.add(antenna.pair)
            for read in reads:
                if low is None or read[0] < low:
                    low = read[0]
                if high is None or read[0] > high:
                    high = read[0]
        margin = max([max(c.window, c.direction_window)
                for c in self.configs.values()] + [dt.timedelta()])
        antenna_ids = sorted(antenna_ids)
        for sub in grouped_slice(sorted(epcs),
                backend.MAX_QUERY_PARAMS - len(antenna_ids) - 2):
            self.cursor.execute(*table.select(table.id, table.antenna,
                    table.epc, table.first_seen, table.last_seen,
                    table.paired,
                    where=fields.SQL_OPERATORS['in'](
                        table.antenna, antenna_ids)
                    & fields.SQL_OPERATORS['in'](table.epc, list(sub))
                    & (table.last_seen >= low - margin)
                    & (table.first_seen <= high + margin)))
            for id_, antenna, epc, first, last, paired in self.cursor:
                states[(antenna, epc)].append(_State(_datetime(first),
                        _datetime(last), id=id_, paired=bool(paired),
                        new=False))
        return states

    def smooth(self, groups, states):
        """New observations: [(antenna, epc, state)].  A read joins an
        observation whose reads it is within the window of; else it opens
        one."""
        observations = []
        append = observations.append
        results = self.results
        for (antenna, epc), reads in groups.items():
            window = self.reader_of[antenna.id].window
            key_states = states[(antenna.id, epc)]
            reads.sort(key=_first)
            current = None
            for time, offset, rssi, index in reads:
                if current is not None and time <= current.last + window:
                    if time > current.last:
                        current.last = time
                        current.dirty = True
                    continue
                for state in key_states:
                    if state.first - window <= time <= state.last + window:
                        if time > state.last:
                            state.last = time
                            state.dirty = True
                        current = state
                        break
                else:
                    current = _State(time, time, batch=index, offset=offset)
                    key_states.append(current)
                    append((antenna, epc, current))
                    results[index]['observations'] += 1
        return observations

    def directions(self, observations, states):
        """Dock doors: a new observation on one side pairs with the closest
        unpaired observation of the same EPC on the other side within the
        direction window: an earlier one (the passage ends here), else a
        later one stored by an earlier batch (reads came out of order)"""
        docks = [o for o in observations if o[0].pair]
        if not docks:
            return
        antennas = self.antennas
        docks.sort(key=lambda o: o[2].first)
        for antenna, epc, state in docks:
            window = self.reader_of[antenna.id].direction_window
            best = None
            for other in states.get((antenna.pair, epc), []):
                if other.paired or (other.new and other.first > state.first):
                    continue
                gap = abs(other.first - state.first)
                if gap <= window and (best is None or gap < best[0]):
                    best = (gap, other)
            if best is None:
                continue
            other = best[1]
            other.paired = state.paired = True
            other.dirty = state.dirty = True
            to = antenna if other.first <= state.first else antennas[
                antenna.pair]
            state.direction = 'in' if to.side == 'inside' else 'out'
            state.target = to

    def moves(self, observations, lots):
        """Move serials in stock to the location of the antenna (or the
        dock side) they were last seen at with action move"""
        pool = self.pool
        Lot = pool.get('stock.lot')
        Move = pool.get('stock.move')
        targets = {}
        for antenna, epc, state in observations:
            to = state.target if antenna.pair else antenna
            if to is None or to.action != 'move' or not to.location:
                continue
            lot_id, _, status, _ = lots[epc]
            if status not in MOVABLE_STATUSES:
                continue
            if lot_id not in targets or targets[lot_id][0] <= state.first:
                targets[lot_id] = (state.first, to, state)
        if not targets:
            return
        serials = Lot.browse(sorted(targets))
        Lot.lock_serials(serials)
        serials = Lot.browse(sorted(targets))    # fresh after the lock
        by_company = defaultdict(list)
        for lot in serials:
            _, to, state = targets[lot.id]
            if (lot.status not in MOVABLE_STATUSES or not lot.current_location
                    or lot.current_location.id == to.location):
                continue
            company = self.reader_of[to.id].company
            move = Move(product=lot.product, lot=lot, quantity=1,
                unit=lot.product.default_uom,
                from_location=lot.current_location, to_location=to.location,
                company=company, effective_date=state.first.date())
            if move.on_change_with_unit_price_required():
                move.unit_price = lot.product.cost_price
                move.currency = move.company.currency
            by_company[company].append(move)
            self.results[state.batch]['moves'] += 1
        for company, moves in by_company.items():
            with Transaction().set_context(company=company):
                Move.save(moves)
                Move.do(moves)

    # --- writing -------------------------------------------------------

    def write_events(self, observations, lots):
        Event = self.pool.get('serial_mes.event')
        reader_of = self.reader_of
        base = Event.bulk_values([0], None, action='observe', source='rfid')[0]
        dumps = json.dumps
        rows = []
        for antenna, epc, state in observations:
            config = reader_of[antenna.id]
            payload = {
                'epc': epc,
                'reader': config.identifier,
                'antenna': antenna.port,
                }
            location = antenna.location
            if state.direction:
                payload['direction'] = state.direction
                location = state.target.location or location
            row = dict(base)
            row.update({
                    'lot': lots[epc][0],
                    'company': config.company,
                    'event_time': state.first,
                    'event_time_zone_offset': state.offset,
                    'read_point': antenna.read_point,
                    'location': location,
                    'biz_step': antenna.biz_step,
                    'disposition': antenna.disposition,
                    'payload': dumps(payload, separators=(',', ':')),
                    })
            rows.append(row)
            self.results[state.batch]['events'] += 1
        now = dt.datetime.now()
        for row in rows:
            row['recorded_at'] = row['create_date'] = now
        Event.insert_rows(rows)

    def write_states(self, states):
        """Store the new and the changed observations; a changed one is a
        new row, whose create_date Sighting.purge() reads as the time it
        was last extended"""
        Sighting = self.pool.get('serial_mes.rfid.sighting')
        table = Sighting.__table__()
        delete = []
        rows = []
        now = dt.datetime.now()
        user = self.transaction.user
        for (antenna_id, epc), key_states in states.items():
            for state in key_states:
                if not state.dirty:
                    continue
                if not state.new:
                    delete.append(state.id)
                rows.append([antenna_id, epc, state.first, state.last,
                        state.paired, user, now])
        for sub in grouped_slice(delete, backend.MAX_QUERY_PARAMS):
            self.cursor.execute(*table.delete(
                    where=fields.SQL_OPERATORS['in'](table.id, list(sub))))
        bulk.insert(Sighting, ['antenna', 'epc', 'first_seen', 'last_seen',
                'paired', 'create_uid', 'create_date'], rows)

    def write_review(self, review):
        if not review:
            return
        Review = self.pool.get('serial_mes.rfid.review')
        table = Review.__table__()
        existing = {}
        for sub in grouped_slice(sorted(review), backend.MAX_QUERY_PARAMS):
            self.cursor.execute(*table.select(table.id, table.epc,
                    table.read_count, table.first_seen, table.last_seen,
                    where=fields.SQL_OPERATORS['in'](table.epc, list(sub))))
            for id_, epc, count, first, last in self.cursor:
                existing[epc] = (id_, count, _datetime(first),
                    _datetime(last))
        now = dt.datetime.now()
        user = self.transaction.user
        rows = []
        for epc, (kind, detail, count, first, last, antenna) in sorted(
                review.items()):
            if epc in existing:
                id_, old_count, old_first, old_last = existing[epc]
                columns = [table.read_count, table.write_uid,
                    table.write_date]
                values = [old_count + count, user, now]
                if old_first is None or first < old_first:
                    columns.append(table.first_seen)
                    values.append(first)
                if old_last is None or last >= old_last:
                    columns += [table.last_seen, table.last_antenna,
                        table.kind, table.detail]
                    values += [last, antenna, kind, detail]
                self.cursor.execute(*table.update(columns, values,
                        where=table.id == id_))
            else:
                rows.append([epc, kind, detail, count, first, last, antenna,
                        user, now])
        bulk.insert(Review, ['epc', 'kind', 'detail', 'read_count',
                'first_seen', 'last_seen', 'last_antenna', 'create_uid',
                'create_date'], rows)


def _first(read):
    return read[0]


def _datetime(value):
    "SQLite returns timestamps as text when read with raw SQL"
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def ingest_retrying(items, received_at=None, retries=3):
    """Batch.ingest_many(items) for callers whose transaction holds nothing
    else (route, bridge): when a concurrent transaction committed the same
    batch id or observation first, roll back and ingest again (it is then
    recognised)"""
    Batch = Pool().get('serial_mes.rfid.batch')
    for attempt in range(retries + 1):
        try:
            return Batch.ingest_many(items, received_at=received_at)
        except backend.DatabaseIntegrityError:
            if attempt == retries:
                raise
            Transaction().rollback()
