# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Genealogy: which serial or lot is installed in which unit, and since when.

Links are never deleted; removal sets removed_at. The as-built tree, the
where-used chain and recalls are each one recursive SQL query."""
import datetime as dt
import json
from collections import defaultdict

from sql import Literal, Null, With
from sql.aggregate import Max
from sql.conditionals import Coalesce
from sql.operators import Equal, Exists

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Exclude, Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction

from . import sqlcache
from .exceptions import InstallationError

REMOVAL_REASONS = [
    (None, ''),
    ('defective', "Defective"),
    ('upgrade', "Upgrade"),
    ('wrong_part', "Wrong Part"),
    ('other', "Other"),
    ]


class Installation(ModelSQL, ModelView):
    "A child serial (or a lot with a quantity) installed in a parent serial"
    __name__ = 'serial_mes.installation'
    parent = fields.Many2One('stock.lot', "Parent", required=True,
        ondelete='RESTRICT')
    child = fields.Many2One('stock.lot', "Child", ondelete='RESTRICT',
        domain=['OR', ('product', '=', Eval('product', -1)),
            ('id', '=', None)],
        help="The serial or lot installed; empty for untracked parts.")
    product = fields.Many2One('product.product', "Product", required=True,
        ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            }, depends={'company'})
    quantity = fields.Float("Quantity", required=True)
    serial = fields.Boolean("Serial", readonly=True,
        help="The child is a serial: installed in one parent at a time.")
    production = fields.Many2One('production', "Production",
        ondelete='RESTRICT')
    operation = fields.Many2One('production.routing.operation', "Operation",
        ondelete='RESTRICT')
    work_center = fields.Many2One('production.work.center', "Work Center",
        ondelete='RESTRICT')
    operator = fields.Many2One('company.employee', "Operator",
        ondelete='RESTRICT')
    installed_at = fields.Timestamp("Installed at", required=True)
    removed_at = fields.Timestamp("Removed at", readonly=True)
    removal_reason = fields.Selection(REMOVAL_REASONS, "Removal Reason",
        readonly=True)
    removal_note = fields.Char("Removal Note", readonly=True)
    replaced_by = fields.Many2One('serial_mes.installation', "Replaced by",
        readonly=True, ondelete='RESTRICT')
    bom_override = fields.Boolean("BOM Override", readonly=True)
    override_reason = fields.Char("Override Reason", readonly=True,
        states={'invisible': ~Bool(Eval('bom_override'))})
    state = fields.Function(fields.Selection([
                ('installed', "Installed"),
                ('removed', "Removed"),
                ], "State"), 'get_state', searcher='search_state')
    children = fields.Function(fields.Many2Many(
            'serial_mes.installation', None, None, "Components",
            readonly=True),
        'get_children')
    company = fields.Many2One('company.company', "Company", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('child_installed_once',
                Exclude(t, (t.child, Equal), where=(t.removed_at == Null)
                    & (t.serial == Literal(True))),
                'serial_mes.msg_installation_child_installed_once'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.parent, Index.Range()),
                    (t.installed_at, Index.Range())),
                Index(t, (t.child, Index.Range()),
                    (t.installed_at, Index.Range())),
                })
        cls._order = [('installed_at', 'DESC'), ('id', 'DESC')]

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_installed_at(cls):
        return dt.datetime.now()

    @classmethod
    def default_quantity(cls):
        return 1

    def get_state(self, name):
        return 'removed' if self.removed_at else 'installed'

    @classmethod
    def search_state(cls, name, clause):
        _, operator, value = clause[:3]
        installed = (value == 'installed') == (operator == '=')
        return [('removed_at', '=' if installed else '!=', None)]

    def get_rec_name(self, name):
        child = self.child.rec_name if self.child else '%s × %s' % (
            self.quantity, self.product.rec_name)
        return '%s in %s' % (child, self.parent.rec_name)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') or operator.startswith(
            'not ') else 'OR'
        return [bool_op,
            ('parent.rec_name',) + tuple(clause[1:]),
            ('child.rec_name',) + tuple(clause[1:]),
            ]

    @classmethod
    def get_children(cls, installations, name):
        "Active components of each installation's child (for the tree view)"
        result = {i.id: [] for i in installations}
        by_child = {}
        for installation in installations:
            if installation.child:
                by_child.setdefault(installation.child.id, []).append(
                    installation.id)
        # in the order they were fitted, as the unit was built
        for child in cls.search([
                    ('parent', 'in', list(by_child)),
                    ('removed_at', '=', None),
                    ], order=[('installed_at', 'ASC'), ('id', 'ASC')]):
            for installation_id in by_child[child.parent.id]:
                result[installation_id].append(child.id)
        return result

    @classmethod
    def write(cls, *args):
        if not Transaction().context.get('_serial_mes_service'):
            raise InstallationError(gettext(
                    'serial_mes.msg_installation_service_only'))
        super().write(*args)

    @classmethod
    def delete(cls, installations):
        if installations:
            raise InstallationError(gettext(
                    'serial_mes.msg_installation_never_deleted'))

    @classmethod
    def create(cls, vlist):
        if not Transaction().context.get('_serial_mes_service'):
            raise InstallationError(gettext(
                    'serial_mes.msg_installation_service_only'))
        return super().create(vlist)

    @classmethod
    def copy(cls, installations, default=None):
        if installations:
            raise InstallationError(gettext(
                    'serial_mes.msg_installation_service_only'))
        return []

    # --- service layer ------------------------------------------------------

    @classmethod
    def _bom_products(cls, product):
        "Products that the BOMs of product consume"
        return {i.product for pb in product.boms if pb.bom
            for i in pb.bom.inputs}

    @classmethod
    def _may_override_bom(cls):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        if Transaction().user == 0:
            return True
        groups = set(User.get_groups())
        return bool(groups & {
                ModelData.get_id('serial_mes', 'group_serial_mes_admin'),
                ModelData.get_id('serial_mes', 'group_serial_mes_quality'),
                })

    @classmethod
    def check_install(cls, parent, child=None, product=None,
            override_reason=None, check_bom=True):
        "Raise InstallationError if child may not go into parent"
        product = child.product if child else product
        if child and child == parent:
            raise InstallationError(gettext(
                    'serial_mes.msg_installation_self', serial=child.rec_name))
        if child:
            ancestors = {r[1] for r in cls.ancestor_rows([parent.id])}
            if child.id in ancestors:
                raise InstallationError(gettext(
                        'serial_mes.msg_installation_cycle',
                        child=child.rec_name, parent=parent.rec_name))
        if child and child.product.serial_rule:
            current = cls.search([
                    ('child', '=', child.id),
                    ('removed_at', '=', None),
                    ], limit=1)
            if current:
                raise InstallationError(gettext(
                        'serial_mes.msg_installation_already',
                        child=child.rec_name,
                        parent=current[0].parent.rec_name))
            if child.status not in {'in_stock', 'in_wip'}:
                raise InstallationError(gettext(
                        'serial_mes.msg_installation_not_available',
                        child=child.rec_name, status=child.status_name))
        if check_bom and product not in cls._bom_products(parent.product):
            if not override_reason:
                raise InstallationError(gettext(
                        'serial_mes.msg_installation_not_in_bom',
                        product=product.rec_name,
                        parent=parent.product.rec_name))
            if not cls._may_override_bom():
                raise InstallationError(gettext(
                        'serial_mes.msg_installation_override_denied',
                        product=product.rec_name))

    @classmethod
    def install(cls, parent, child=None, product=None, quantity=1,
            production=None, operation=None, work_center=None,
            operator=None, override_reason=None, check_bom=True,
            source='manual', consume=True, at=None, biz_step='assembling'):
        """Install child (a serial or lot) or quantity of an untracked
        product into the parent serial; return the link.

        A serial in stock is consumed (moved to production) first."""
        pool = Pool()
        Lot = pool.get('stock.lot')
        Event = pool.get('serial_mes.event')
        if child:
            Lot.lock_serials([child])
        cls.check_install(parent, child, product,
            override_reason=override_reason, check_bom=check_bom)
        product = child.product if child else product
        is_serial = bool(child and child.product.serial_rule)
        if is_serial:
            quantity = 1
            if consume and child.status == 'in_stock':
                Lot.consume(child, source=source)
        now = at or dt.datetime.now()
        with Transaction().set_context(_serial_mes_service=True):
            link, = cls.create([{
                        'parent': parent.id,
                        'child': child.id if child else None,
                        'product': product.id,
                        'quantity': quantity,
                        'serial': is_serial,
                        'production': production.id if production else None,
                        'operation': operation.id if operation else None,
                        'work_center': (work_center.id if work_center
                            else None),
                        'operator': operator.id if operator else None,
                        'installed_at': now,
                        'bom_override': bool(override_reason),
                        'override_reason': override_reason,
                        }])
        company = Transaction().context.get('company')
        common = dict(event_type='association', action='add',
            biz_step=biz_step, source=source, event_time=now,
            origin=str(link),
            operator=operator.id if operator else None,
            read_point=str(work_center) if work_center else None)
        # the unit keeps its status and place; the part is where the unit is
        location = (parent.current_location.id if parent.current_location
            else None)
        rows = Event.bulk_values([parent.id], company, disposition='active',
            status_from=parent.status, status_to=parent.status,
            location=location,
            payload=json.dumps({'installed': child.number if child else
                    None, 'product': product.rec_name,
                    'quantity': quantity}), **common)
        if is_serial:
            rows += Event.bulk_values([child.id], company,
                disposition='inactive', status_from=child.status,
                status_to='installed', location=location,
                payload=json.dumps({'parent': parent.number}), **common)
            Lot._write_status({child.id: ('installed', None, None)})
        Event.insert_rows(rows)
        return link

    @classmethod
    def remove(cls, link, reason, note=None, location=None, scrap=False,
            replaced_by=None, source='manual', biz_step='removing', at=None):
        """Take link's child out of its parent: back to location (in stock)
        or to scrap. The link stays, with removed_at."""
        pool = Pool()
        Lot = pool.get('stock.lot')
        Event = pool.get('serial_mes.event')
        if link.removed_at:
            raise InstallationError(gettext(
                    'serial_mes.msg_installation_removed',
                    link=link.rec_name))
        now = at or dt.datetime.now()
        with Transaction().set_context(_serial_mes_service=True):
            cls.write([link], {
                    'removed_at': now,
                    'removal_reason': reason,
                    'removal_note': note,
                    'replaced_by': replaced_by.id if replaced_by else None,
                    })
        company = Transaction().context.get('company')
        common = dict(event_type='association', action='delete',
            biz_step=biz_step, source=source, event_time=now,
            origin=str(link))
        parent = link.parent
        place = (parent.current_location.id if parent.current_location
            else None)
        rows = Event.bulk_values([parent.id], company,
            disposition='active', status_from=parent.status,
            status_to=parent.status, location=place,
            payload=json.dumps({
                    'removed': link.child.number if link.child else None,
                    'reason': reason, 'note': note}), **common)
        child = link.child
        if link.serial:
            rows += Event.bulk_values([child.id], company,
                disposition='needs_replacement' if reason == 'defective'
                else 'active', status_from='installed',
                status_to='in_wip', location=place,
                payload=json.dumps({
                        'parent': link.parent.number, 'reason': reason}),
                **common)
        Event.insert_rows(rows)
        if link.serial:
            Lot._write_status({child.id: ('in_wip', None, None)})
            Lot.return_from_production(Lot(child.id),
                location=None if scrap else location, scrap=scrap,
                source=source)
        return link

    @classmethod
    def replace(cls, link, new_child, reason, note=None, location=None,
            scrap=False, operator=None, work_center=None, source='manual'):
        "Repair: new_child takes link's place; history keeps both"
        pool = Pool()
        Lot = pool.get('stock.lot')
        Lot.lock_serials([new_child])
        new_child = Lot(new_child.id)
        cls.check_install(link.parent, new_child,
            check_bom=False)
        if new_child.product != link.product:
            raise InstallationError(gettext(
                    'serial_mes.msg_installation_replace_product',
                    new=new_child.rec_name, old=link.product.rec_name))
        # The new part leaves stock first, so that its events read in
        # order: consumed, then fitted
        if new_child.product.serial_rule and new_child.status == 'in_stock':
            Lot.consume(new_child, source=source)
            new_child = Lot(new_child.id)
        # One instant: at any time exactly one of the two is installed; at
        # that instant the removal is recorded before the fitting
        now = dt.datetime.now()
        cls.remove(link, reason, note=note, location=location, scrap=scrap,
            source=source, biz_step='repairing', at=now)
        new_link = cls.install(link.parent, new_child, check_bom=False,
            operator=operator, work_center=work_center, source=source,
            at=now, biz_step='repairing')
        with Transaction().set_context(_serial_mes_service=True):
            cls.write([link], {'replaced_by': new_link.id})
        return new_link

    @classmethod
    def link_production(cls, production):
        """Genealogy of a done production: its serial and lot inputs go into
        its serial output, or into the output each input is assigned to"""
        pool = Pool()
        Lot = pool.get('stock.lot')
        outputs = [m for m in production.outputs
            if m.lot and m.product.serial_rule and m.state == 'done']
        if not outputs:
            return []
        links = []
        for move in production.inputs:
            if not move.lot or move.state != 'done':
                continue
            unit = move.unit_lot or (outputs[0].lot
                if len(outputs) == 1 else None)
            if unit is None:
                continue
            existing = cls.search([
                    ('parent', '=', unit.id),
                    ('child', '=', move.lot.id),
                    ('removed_at', '=', None),
                    ], limit=1)
            if existing:
                continue
            links.append(cls.install(unit, Lot(move.lot.id),
                    quantity=move.internal_quantity, production=production,
                    check_bom=False, consume=False, source='system'))
        return links

    def trace_link(self):
        value = {
            'quantity': self.quantity,
            'installed_at': self.installed_at.isoformat(),
            }
        if not self.child:
            value['product'] = self.product.rec_name
        if self.removed_at:
            value['removed_at'] = self.removed_at.isoformat()
            value['removal_reason'] = self.removal_reason
        if self.replaced_by:
            value['replaced_by'] = self.replaced_by.child.number
        replaced = self.search([('replaced_by', '=', self.id)], limit=1)
        if replaced:
            value['replaces'] = replaced[0].child.number
        return value

    @classmethod
    def lots_received(cls, supplier, date_from=None, date_to=None):
        "Lots received from supplier with done moves in the date range"
        pool = Pool()
        Move = pool.get('stock.move')
        domain = [
            ('shipment.supplier', '=', supplier.id, 'stock.shipment.in'),
            ('from_location.type', '=', 'supplier'),
            ('state', '=', 'done'),
            ('lot', '!=', None),
            ]
        if date_from:
            domain.append(('effective_date', '>=', date_from))
        if date_to:
            domain.append(('effective_date', '<=', date_to))
        return sorted({m.lot.id for m in Move.search(domain)})

    @classmethod
    def recall(cls, lot_ids):
        """The top-level units that contain any of lot_ids, with their
        status, where they are, who holds them and when they were delivered"""
        pool = Pool()
        Lot = pool.get('stock.lot')
        Location = pool.get('stock.location')
        Party = pool.get('party.party')
        rows = cls.top_level_rows(lot_ids)
        lots = {l.id: l for l in Lot.browse([r[0] for r in rows])}
        locations = {l.id: l for l in Location.browse(
                {r[2] for r in rows if r[2]})}
        parties = {p.id: p for p in Party.browse({r[3] for r in rows if r[3]})}
        return [{
                'serial': lots[unit].number,
                'product': lots[unit].product.rec_name,
                'status': status,
                'location': (locations[location].rec_name
                    if location else None),
                'holder': parties[holder].rec_name if holder else None,
                'delivered': (date.isoformat() if date else None),
                } for unit, status, location, holder, date in rows]

    @classmethod
    def statuses_at(cls, lot_ids, at):
        """{lot id: status} of lot_ids at time at, from their events: the
        status the last event up to at left (the current one for a lot
        without such an event). Events of one instant count in the order
        they were recorded (a replacement's removal before its fitting)."""
        pool = Pool()
        Event = pool.get('serial_mes.event')
        Lot = pool.get('stock.lot')
        lot_ids = list(set(lot_ids))
        result = {l.id: l.status for l in Lot.browse(lot_ids)}
        event = Event.__table__()
        cursor = Transaction().connection.cursor()
        for sub in grouped_slice(lot_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*event.select(event.lot, event.status_to,
                    where=fields.SQL_OPERATORS['in'](event.lot, list(sub))
                    & (event.event_time <= at)
                    & (event.status_to != Null),
                    order_by=[event.event_time.asc, event.id.asc]))
            for lot_id, status in cursor:
                result[lot_id] = status
        return result

    # --- queries: one recursive statement each ----------------------------

    @classmethod
    def _active(cls, table, at):
        if at is None:
            return table.removed_at == Null
        return ((table.installed_at <= at)
            & ((table.removed_at == Null) | (table.removed_at > at)))

    @classmethod
    def tree_rows(cls, lot_id, at=None):
        """[(installation id, parent id, child id, depth)] of lot_id's
        as-built tree at every depth, as it is (or was at `at`)"""
        def build(lot_id, at):
            table = cls.__table__()
            link = cls.__table__()
            tree = With('id', 'parent', 'child', 'depth', recursive=True)
            tree.query = table.select(table.id, table.parent, table.child,
                Literal(1),
                where=(table.parent == lot_id) & cls._active(table, at))
            tree.query |= link.join(tree, condition=link.parent == tree.child
                ).select(link.id, link.parent, link.child, tree.depth + 1,
                    where=cls._active(link, at))
            tree.query.all_ = True
            return tree.select(tree.id, tree.parent, tree.child, tree.depth,
                with_=[tree], order_by=[tree.depth, tree.id])
        return sqlcache.execute('installation.tree', build,
            lot_id=lot_id, at=at).fetchall()

    @classmethod
    def ancestor_rows(cls, lot_ids, at=None):
        """[(installation id, parent id, child id, depth)] of every link
        above lot_ids, up to the top-level units"""
        def build(lot_ids, at):
            table = cls.__table__()
            link = cls.__table__()
            up = With('id', 'parent', 'child', 'depth', recursive=True)
            up.query = table.select(table.id, table.parent, table.child,
                Literal(1),
                where=fields.SQL_OPERATORS['in'](table.child, lot_ids)
                & cls._active(table, at))
            up.query |= link.join(up, condition=link.child == up.parent
                ).select(link.id, link.parent, link.child, up.depth + 1,
                    where=cls._active(link, at))
            up.query.all_ = True
            return up.select(up.id, up.parent, up.child, up.depth,
                with_=[up], order_by=[up.depth, up.id])
        return sqlcache.execute('installation.ancestors', build,
            lot_ids=list(lot_ids), at=at).fetchall()

    @classmethod
    def _top_level_postgresql(cls):
        """top_level_rows for PostgreSQL: the ancestors go through an
        array so that the planner, which cannot estimate a recursive
        term, still looks lots and links up by index instead of merging
        whole tables"""
        pool = Pool()
        names = {
            'link': cls._table,
            'lot': pool.get('stock.lot')._table,
            'move': pool.get('stock.move')._table,
            'location': pool.get('stock.location')._table,
            }
        return '''WITH RECURSIVE up(lot) AS (
                SELECT unnest(%%s::integer[])
            UNION
                SELECT i.parent FROM "%(link)s" i JOIN up ON i.child = up.lot
                WHERE i.removed_at IS NULL),
            ids AS (SELECT array_agg(lot) AS lots FROM up)
            SELECT b.id, b.status, b.current_location, b.holder,
                (SELECT MAX(COALESCE(m.effective_date, m.planned_date))
                    FROM "%(move)s" m
                    JOIN "%(location)s" l ON m.to_location = l.id
                    WHERE m.lot = b.id AND l.type = 'customer'
                        AND m.state = 'done')
            FROM "%(lot)s" b
            WHERE b.id = ANY((SELECT lots FROM ids)::integer[])
                AND NOT EXISTS (SELECT 1 FROM "%(link)s" e
                    WHERE e.child = b.id AND e.removed_at IS NULL)
            ORDER BY b.id''' % names

    @classmethod
    def top_level_rows(cls, lot_ids):
        """[(unit id, status, location id, holder id, delivered on)] of
        the top-level units that contain any of lot_ids (at any depth);
        a lot that is installed nowhere is its own top-level unit"""
        pool = Pool()
        Lot = pool.get('stock.lot')
        Move = pool.get('stock.move')
        Location = pool.get('stock.location')

        def build(lot_ids):
            table = cls.__table__()
            top = cls.__table__()
            lot = Lot.__table__()
            move = Move.__table__()
            location = Location.__table__()
            up = With('lot', recursive=True)
            up.query = lot.select(lot.id,
                where=fields.SQL_OPERATORS['in'](lot.id, lot_ids))
            up.query |= table.join(up, condition=table.child == up.lot
                ).select(table.parent, where=table.removed_at == Null)
            # Union without ALL: a shared ancestor is visited once.
            # Correlated sub-queries use the indexes on child and move.lot
            delivered = move.join(location,
                condition=move.to_location == location.id).select(
                Max(Coalesce(move.effective_date, move.planned_date)),
                where=(move.lot == lot.id) & (location.type == 'customer')
                & (move.state == 'done'))
            installed = top.select(top.id,
                where=(top.child == up.lot) & (top.removed_at == Null))
            return up.join(lot, condition=lot.id == up.lot
                ).select(lot.id, lot.status, lot.current_location,
                    lot.holder, delivered,
                    where=~Exists(installed),
                    with_=[up], order_by=[lot.id])
        if backend.name == 'postgresql':
            cursor = Transaction().connection.cursor()
            cursor.execute(cls._top_level_postgresql(), (list(lot_ids),))
        else:
            cursor = sqlcache.execute('installation.top_level', build,
                lot_ids=list(lot_ids))
        result = []
        for unit_id, status, location_id, holder_id, date in cursor:
            if isinstance(date, str):
                # SQLite gives raw text
                date = dt.date.fromisoformat(date[:10])
            result.append((unit_id, status, location_id, holder_id, date))
        return result



class Lot(metaclass=PoolMeta):
    __name__ = 'stock.lot'
    components = fields.One2Many('serial_mes.installation', 'parent',
        "Components", readonly=True,
        filter=[('removed_at', '=', None)])
    installed_in = fields.Function(fields.Many2One('stock.lot',
            "Installed in"), 'get_installed_in')
    used_in = fields.Function(fields.Many2Many('serial_mes.installation',
            None, None, "Where Used", readonly=True), 'get_used_in')
    original_number = fields.Function(fields.Char("Original Number"),
        'get_original_number')

    @classmethod
    def get_installed_in(cls, lots, name):
        pool = Pool()
        Installation = pool.get('serial_mes.installation')
        result = {l.id: None for l in lots}
        for link in Installation.search([
                    ('child', 'in', [l.id for l in lots]),
                    ('removed_at', '=', None),
                    ]):
            result[link.child.id] = link.parent.id
        return result

    @classmethod
    def get_used_in(cls, lots, name):
        pool = Pool()
        Installation = pool.get('serial_mes.installation')
        return {l.id: [r[0] for r in Installation.ancestor_rows([l.id])]
            for l in lots}

    @classmethod
    def get_original_number(cls, lots, name):
        result = {}
        for lot in lots:
            alias = lot.original_alias()
            result[lot.id] = alias.value if alias else None
        return result

    def original_alias(self):
        "The supplier's number if known, else the oldest previous number"
        supplier = [a for a in self.aliases if a.type == 'supplier']
        previous = sorted((a for a in self.aliases if a.type == 'previous'),
            key=lambda a: a.valid_from or dt.date.min)
        return (supplier or previous or [None])[0]

    def as_built(self, at=None):
        "Nested dict of the as-built tree (the CLI's trace)"
        pool = Pool()
        Installation = pool.get('serial_mes.installation')
        rows = Installation.tree_rows(self.id, at=at)
        links = {l.id: l for l in Installation.browse([r[0] for r in rows])}
        children = defaultdict(list)
        for link_id, parent_id, _, _ in rows:
            children[parent_id].append(links[link_id])

        nodes = []

        def node(lot, link=None):
            value = lot.trace_node() if lot else {}
            if lot:
                nodes.append((lot, value))
            if link:
                value.update(link.trace_link())
            value['children'] = [node(l.child, l) for l in children.get(
                    lot.id if lot else None, [])]
            return value
        tree = node(self)
        if at is not None:
            self._statuses_at(nodes, at)
        return tree

    @staticmethod
    def _statuses_at(nodes, at):
        "Set each node's status as it was at time at: nodes are (lot, node)"
        Installation = Pool().get('serial_mes.installation')
        statuses = Installation.statuses_at([l.id for l, _ in nodes], at)
        for lot, value in nodes:
            value['status'] = statuses[lot.id]

    def where_used(self, at=None):
        "Nested dict up to the top-level units (the CLI's trace --up)"
        pool = Pool()
        Installation = pool.get('serial_mes.installation')
        rows = Installation.ancestor_rows([self.id], at=at)
        links = {l.id: l for l in Installation.browse([r[0] for r in rows])}
        parents = defaultdict(list)
        for link_id, _, child_id, _ in rows:
            parents[child_id].append(links[link_id])

        nodes = []

        def node(lot, link=None):
            value = lot.trace_node()
            nodes.append((lot, value))
            if link:
                value.update(link.trace_link())
            value['parents'] = [node(l.parent, l)
                for l in parents.get(lot.id, [])]
            return value
        tree = node(self)
        if at is not None:
            self._statuses_at(nodes, at)
        return tree

    def trace_node(self):
        alias = self.original_alias()
        return {
            'serial': self.number,
            'product': self.product.rec_name,
            'original_number': alias.value if alias else None,
            'original_number_type': alias.type if alias else None,
            'status': self.status,
            }


RECALL_COLUMNS = ['serial', 'product', 'status', 'location', 'holder',
    'delivered']


def recall_csv(rows):
    "The recall result as CSV text, one line per affected unit"
    import csv
    import io
    output = io.StringIO()
    writer = csv.DictWriter(output, RECALL_COLUMNS, lineterminator='\n')
    writer.writeheader()
    writer.writerows(rows)
    return output.getvalue()
