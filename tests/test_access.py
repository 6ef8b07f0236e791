# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Access rights through the web client's own path: JSON-RPC calls
`model.<model>.<method>` and `wizard.<wizard>.*` against `serial-mes
serve` on the demo database, as one user per group, checked against
tests/access_table.py (the same table is in README.md)."""
import base64
import datetime as dt
import json
import os
import secrets
import urllib.error
import urllib.request

import pytest

import access_table
from conftest import ROOT, serve

# Answers that mean "refused": Tryton's access errors and the services'
REFUSALS = [
    'You are not allowed to',
    'is not allowed',
    'Events are append-only',
    'only Serial MES administrators',
    'through the install, remove and replace actions only',
    'Installations are never deleted',
    'changes only through',
    ]
PRODUCT_CODE = 'SSD-1TB'  # a demo component: serials of its own for the test


class Refused(Exception):
    pass


class Client:
    "JSON-RPC as sao speaks it: POST /<db>/ with a Session header"

    def __init__(self, url, database, login, password):
        self.url = url + database + '/rpc/'
        self.login = login
        uid, token, _ = self.call('common.db.login',
            [login, {'password': password}, 'en'], auth=False)
        self.uid = uid
        self.auth = 'Session ' + base64.b64encode(
            ('%s:%s:%s' % (login, uid, token)).encode()).decode()
        self.context = self.call('model.res.user.get_preferences',
            [True, {}])

    def call(self, method, params, auth=True):
        request = urllib.request.Request(self.url,
            json.dumps({'id': 0, 'method': method, 'params': params},
                default=_encode).encode(),
            {'Content-Type': 'application/json'})
        if auth:
            request.add_header('Authorization', self.auth)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                reply = json.load(response, object_hook=_decode)
        except urllib.error.HTTPError as error:
            if error.code == 403:  # a model without RPC methods
                raise Refused(method)
            raise
        error = reply.get('error')
        if error:
            message = (error[1][0] if error[0] == 'UserError'
                else str(error))
            if error[0] == 'UserError' and any(
                    r in message for r in REFUSALS):
                raise Refused(message)
            raise AssertionError('%s as %s: %s' % (
                    method, self.login, message))
        return reply['result']

    def model(self, model, method, *args, context=None):
        return self.call('model.%s.%s' % (model, method),
            list(args) + [dict(self.context, **(context or {}))])

    def allowed(self, model, method, *args, context=None):
        try:
            self.model(model, method, *args, context=context)
        except Refused:
            return False
        return True


def _encode(value):
    if isinstance(value, dt.datetime):
        return {'__class__': 'datetime', 'year': value.year,
            'month': value.month, 'day': value.day, 'hour': value.hour,
            'minute': value.minute, 'second': value.second,
            'microsecond': value.microsecond}
    raise TypeError(repr(value))


def _decode(value):
    if value.get('__class__') == 'datetime':
        return dt.datetime(value['year'], value['month'], value['day'],
            value['hour'], value['minute'], value['second'],
            value.get('microsecond', 0))
    if value.get('__class__') == 'date':
        return dt.date(value['year'], value['month'], value['day'])
    return value


class World:
    """The served demo, its admin, one user per group and the records
    each user works on"""

    def __init__(self, url, database):
        self.admin = admin = Client(url, database, 'admin', 'admin')
        company = admin.context['company']
        names = {name for _, names in access_table.GROUPS for name in names}
        groups = {g['name']: g['id'] for g in admin.model('res.group',
                'search_read', [('name', 'in', sorted(names))], 0, None, None,
                ['name'])}
        assert set(groups) == set(names), groups
        parties = admin.model('party.party', 'create',
            [{'name': "Access %s" % title}
                for title, _ in access_table.GROUPS])
        employees = admin.model('company.employee', 'create',
            [{'party': p, 'company': company} for p in parties])
        password = secrets.token_urlsafe(18)
        logins = ['access-%d-%s' % (os.getpid(), i)
            for i in range(len(access_table.GROUPS))]
        admin.model('res.user', 'create', [{
                    'name': "Access %s" % title,
                    'login': login,
                    'password': password,
                    'groups': [('add', [groups[n] for n in names])],
                    'companies': [('add', [company])],
                    'company': company,
                    'employees': [('add', [employee])],
                    'employee': employee,
                    } for (title, names), login, employee in zip(
                    access_table.GROUPS, logins, employees)])
        self.users = {title: Client(url, database, login, password)
            for (title, _), login in zip(access_table.GROUPS, logins)}
        self.employees = dict(zip(self.users, employees))
        self.company = company
        self.records = self._records()

    def _records(self):
        "Per model: one record to read and write, one per group to delete"
        admin = self.admin
        count = len(self.users)
        product, = admin.model('product.product', 'search',
            [('code', '=', PRODUCT_CODE)], 0, 1, None)
        self.product = product
        tag = 'ACC%d' % (os.getpid() % 100000)
        lots = admin.model('stock.lot', 'create', [{
                    'product': product, 'number': '%s-%02d' % (tag, i),
                    } for i in range(count + 2)])
        self.lot, self.other_lot = lots[:2]
        shipment, = admin.model('stock.shipment.in', 'search', [], 0, 1,
            None)
        self.shipment = shipment
        location, = admin.model('stock.location', 'search',
            [('type', '=', 'storage')], 0, 1, None)
        self.location = location
        # The admin is in every group: models it may create get fresh
        # records; the others come from the demo
        values = {
            'serial_mes.tracking.rule': lambda i: {
                'name': '%s rule %s' % (tag, i), 'tracking': 'none'},
            'serial_mes.event': lambda i: {
                'lot': self.lot, 'company': self.company},
            'serial_mes.alias': lambda i: {
                'lot': self.lot, 'type': 'internal',
                'value': '%s-ALIAS-%s' % (tag, i)},
            'serial_mes.receipt.exception': lambda i: {
                'shipment': shipment, 'code': '%s-%s' % (tag, i),
                'result': 'unexpected'},
            'serial_mes.rfid.reader': lambda i: {
                'name': '%s reader %s' % (tag, i),
                'identifier': '%s-R%s' % (tag, i),
                'company': self.company},
            'serial_mes.rfid.batch': lambda i: {
                'batch_id': '%s-B%s' % (tag, i)},
            }
        records = {}
        for model, make in values.items():
            records[model] = admin.model(model, 'create',
                [make(i) for i in range(count + 1)])
        records['serial_mes.rfid.antenna'] = admin.model(
            'serial_mes.rfid.antenna', 'create', [{
                    'reader': r, 'port': 1, 'role': 'portal',
                    'action': 'observe',
                    'read_point': 'stock.location,%s' % location,
                    } for r in records['serial_mes.rfid.reader']])
        records['stock.lot'] = lots[2:] + [self.lot]
        for model in ['serial_mes.installation', 'serial_mes.rfid.review']:
            ids = admin.model(model, 'search', [], 0, count + 1, None)
            assert ids, "the demo has no %s" % model
            records[model] = (ids * (count + 1))[:count + 1]
        # sightings have no RPC methods: every call is refused
        records['serial_mes.rfid.sighting'] = [-1] * (count + 1)
        return records

    # what each check tries, for one user
    WRITES = {
        'stock.lot': {'active': True},
        'serial_mes.tracking.rule': {'history': 'full'},
        'serial_mes.event': {'payload': '{"access": "test"}'},
        'serial_mes.alias': {'type': 'internal'},
        'serial_mes.installation': {'removal_note': "access test"},
        'serial_mes.receipt.exception': {'result': 'unexpected'},
        'serial_mes.rfid.reader': {'smoothing_window': 1.0},
        'serial_mes.rfid.antenna': {'name': "access test"},
        'serial_mes.rfid.sighting': {'paired': False},
        'serial_mes.rfid.review': {'detail': "access test"},
        'serial_mes.rfid.batch': {'shape': "access test"},
        }

    def creates(self, model, index):
        tag = 'ACC%d-%s' % (os.getpid() % 100000, index)
        return {
            'stock.lot': {'product': self.product, 'number': tag + '-NEW'},
            'serial_mes.tracking.rule': {'name': tag, 'tracking': 'none'},
            'serial_mes.event': {'lot': self.lot, 'company': self.company},
            'serial_mes.alias': {'lot': self.lot, 'value': tag + '-NEW',
                'type': 'internal'},
            'serial_mes.installation': {'parent': self.lot,
                'child': self.other_lot, 'product': self.product,
                'quantity': 1, 'company': self.company},
            'serial_mes.receipt.exception': {'shipment': self.shipment,
                'code': tag, 'result': 'unexpected'},
            'serial_mes.rfid.reader': {'name': tag, 'identifier': tag,
                'company': self.company},
            'serial_mes.rfid.antenna': {
                'reader': self.records['serial_mes.rfid.reader'][0],
                'port': 2, 'role': 'portal', 'action': 'observe',
                'read_point': 'stock.location,%s' % self.location},
            'serial_mes.rfid.sighting': {
                'antenna': self.records['serial_mes.rfid.antenna'][0],
                'epc': tag, 'first_seen': dt.datetime(2020, 1, 1),
                'last_seen': dt.datetime(2020, 1, 1)},
            'serial_mes.rfid.review': {'epc': tag, 'kind': 'unknown',
                'read_count': 1},
            'serial_mes.rfid.batch': {'batch_id': tag},
            }[model]

    def field_value(self, model, field, index):
        return {
            ('stock.lot', 'status'): 'scrapped',
            ('stock.lot', 'current_location'): self.location,
            ('stock.lot', 'holder'): self.admin.model('party.party',
                'search', [], 0, 1, None)[0],
            ('stock.lot', 'number'): 'ACC%d-%s-RN' % (
                os.getpid() % 100000, index),
            }.get((model, field))


@pytest.fixture(scope='module')
def world(demo_db):
    # the receiving page answers GET without the web client installed
    with serve(demo_db, '/%s/serial_mes/receiving' % demo_db.database) as (
            page):
        yield World(page.split(demo_db.database)[0], demo_db.database)


def _model_rights(world, user, index, model):
    rights = set()
    if user.allowed(model, 'create', [world.creates(model, index)]):
        rights.add('c')
    records = world.records[model]
    if user.allowed(model, 'read', records[-1:], ['id', 'rec_name']):
        rights.add('r')
    if user.allowed(model, 'write', records[-1:], world.WRITES[model]):
        rights.add('w')
    if user.allowed(model, 'delete', records[index:index + 1]):
        rights.add('d')
    return rights


def _field_rights(world, user, index, model, field):
    rights = set()
    if model == 'stock.lot':
        record = world.lot
    else:
        record, = world.admin.model(model, 'search', [], 0, 1, None)
    try:
        current, = user.model(model, 'read', [record], [field])
    except Refused:
        return rights
    rights.add('r')
    value = world.field_value(model, field, index)
    if value is None:
        value = current[field]
    if user.allowed(model, 'write', [record], {field: value}):
        rights.add('w')
    return rights


def _event_rights(world, user, values):
    values = dict(values, lot=world.lot, company=world.company)
    return {'c'} if user.allowed('serial_mes.event', 'create',
        [values]) else set()


def _button_rights(world, user, model, button):
    record = (world.lot if model == 'stock.lot'
        else world.records[model][0])
    return {'x'} if user.allowed(model, button, [record]) else set()


WIZARD_MODELS = {
    'serial_mes.reserialize': 'stock.lot',
    'serial_mes.replace': 'stock.lot',
    'serial_mes.recall': 'stock.lot',
    'serial_mes.scan_receipt': 'stock.shipment.in',
    'serial_mes.receipt_generate': 'stock.shipment.in',
    'serial_mes.event.correct': 'serial_mes.event',
    }


def _wizard_rights(world, user, wizard):
    model = WIZARD_MODELS.get(wizard, 'ir.ui.menu')
    if model == 'stock.lot':
        record = world.lot
    elif model == 'stock.shipment.in':
        record = world.shipment
    elif model == 'serial_mes.event':
        record = world.records[model][0]
    else:
        record = None
    context = dict(user.context, active_model=model, active_id=record,
        active_ids=[record] if record else [])
    try:
        session, _, _ = user.call('wizard.%s.create' % wizard, [context])
    except Refused:
        return set()
    user.call('wizard.%s.delete' % wizard, [session, context])
    return {'x'}


def test_access_table(world):
    "Every row of the table, for every group, through JSON-RPC"
    differences = []
    for what, check, expected in access_table.rows():
        kind, *target = check.split(' ', 2)
        for index, (title, user) in enumerate(world.users.items()):
            if kind == 'model':
                got = _model_rights(world, user, index, *target)
            elif kind == 'field':
                got = _field_rights(world, user, index, *target)
            elif kind == 'event':
                got = _event_rights(world, user, {
                        'source system': {'source': 'system'},
                        'corrects': {'corrects': world.records[
                                'serial_mes.event'][0]},
                        }[' '.join(target)])
            elif kind == 'button':
                got = _button_rights(world, user, *target)
            elif kind == 'wizard':
                got = _wizard_rights(world, user, *target)
            if got != expected[title]:
                differences.append('%s, %s: may %s, the table says %s' % (
                        what, title, ''.join(sorted(got)) or '-',
                        ''.join(sorted(expected[title])) or '-'))
    assert not differences, '\n'.join(differences)


def test_readme_shows_the_table():
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as file:
        readme = file.read()
    assert '## Access rights' in readme
    assert access_table.markdown() in readme, (
        "README.md's access table differs from tests/access_table.py:\n"
        + access_table.markdown())


def test_event_takes_its_author_and_the_time_it_is_recorded(world):
    "A non-administrator cannot backdate recorded_at nor sign for others"
    past = dt.datetime(2001, 2, 3, 4, 5, 6)
    events = {}
    for title in ['Warehouse', 'Administration']:
        events[title], = world.users[title].model('serial_mes.event',
            'create', [{
                    'lot': world.lot, 'company': world.company,
                    'recorded_at': past,
                    'operator': world.employees['Service'],
                    }])
    read = {e['id']: e for e in world.admin.model('serial_mes.event', 'read',
            list(events.values()),
            ['recorded_at', 'operator', 'create_uid', 'create_date'])}
    own = read[events['Warehouse']]
    assert own['recorded_at'] != past
    assert abs(own['recorded_at'] - own['create_date']) < dt.timedelta(
        minutes=1), own
    assert own['operator'] == world.employees['Warehouse']
    assert own['create_uid'] == world.users['Warehouse'].uid
    admins = read[events['Administration']]
    assert (admins['recorded_at'], admins['operator']) == (
        past, world.employees['Service'])


@pytest.mark.parametrize('values', [
        {'source': 'system'}, {'corrects': 'first event'}])
def test_system_events_and_corrections_are_refused_clearly(world, values):
    if 'corrects' in values:
        values = {'corrects': world.records['serial_mes.event'][0]}
    with pytest.raises(Refused) as refused:
        world.users['Quality'].model('serial_mes.event', 'create', [dict(
                    values, lot=world.lot, company=world.company)])
    assert 'Serial MES administrators' in str(refused.value)


@pytest.mark.parametrize('field', [
        'status', 'current_location', 'holder', 'number'])
def test_serial_fields_are_refused_to_the_admin_too(world, field):
    "Only moves, installations and re-serialization change them"
    with pytest.raises(Refused) as refused:
        world.admin.model('stock.lot', 'write', [world.lot],
            {field: world.field_value('stock.lot', field, 99)})
    assert 'changes only through' in str(refused.value)
    lot, = world.admin.model('stock.lot', 'read', [world.lot],
        ['status', 'current_location', 'holder', 'number'])
    assert (lot['status'], lot['current_location'], lot['holder']) == (
        'expected', None, None)


def _reserialize(user, lot, new_number):
    "The web client's way: the form's button, then the wizard's states"
    context = dict(user.context, active_model='stock.lot', active_id=lot,
        active_ids=[lot])
    assert user.call('model.stock.lot.reserialize', [[lot], context])
    wizard = 'wizard.serial_mes.reserialize.'
    session, start, _ = user.call(wizard + 'create', [context])
    view = user.call(wizard + 'execute', [session, {}, start, context])
    data = {k: v for k, v in view['view']['defaults'].items()
        if not k.endswith('.')}
    data.update(new_number=new_number, reason="label damaged")
    user.call(wizard + 'execute', [session, {start: data}, 'renumber',
            context])
    user.call(wizard + 'delete', [session, context])


@pytest.mark.parametrize('title', ['Service', 'Administration'])
def test_reserialize_in_the_web_client(world, title):
    "The groups of the Re-serialize button renumber, keeping the alias"
    admin, user = world.admin, world.users[title]
    tag = 'ACC%d-%s' % (os.getpid() % 100000, title[:3].upper())
    lot, = admin.model('stock.lot', 'create', [{
                'product': world.product, 'number': tag}])
    _reserialize(user, lot, tag + '-NEW')
    read, = admin.model('stock.lot', 'read', [lot], ['number', 'aliases'])
    assert read['number'] == tag + '-NEW'
    aliases = admin.model('serial_mes.alias', 'read', read['aliases'],
        ['type', 'value'])
    assert [(a['type'], a['value']) for a in aliases] == [('previous', tag)]


def test_reserialize_refused_outside_its_groups(world):
    lot = world.other_lot
    with pytest.raises(Refused):
        _reserialize(world.users['Warehouse'], lot, 'NEVER-1')


def test_the_table_has_every_stored_model(world):
    "A new model of the three modules needs its row in the table"
    admin = world.admin
    models = admin.model('ir.model', 'search_read', [('module', 'in', [
                    'serial_mes', 'serial_mes_rfid', 'serial_mes_passport'])],
        0, None, None, ['name'])
    in_table = {c.split()[1] for _, c, _ in access_table.TABLE
        if c.startswith('model ')}
    stored = set()
    for model in (m['name'] for m in models):
        try:
            admin.model(model, 'search', [], 0, 1, None)
        except Refused:  # wizard forms and models without RPC
            continue
        stored.add(model)
    assert 'serial_mes.event' in stored
    assert stored <= in_table, stored - in_table
