# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Browser test of the Tryton web client (sao) on the demo database.

`serial-mes serve` runs in a subprocess; Playwright drives Debian's
Chromium (never a browser downloaded by Playwright) through the login, the
Serial MES > Serials list and its status tabs, the form of the shipped
demo unit with its events, and the genealogy: the unit's components and
as-built tree, where a CPU inside it is used, and a supplier recall.
Screenshots go to test-output/webclient-*.png."""
import contextlib
import csv
import json
import os
import re
import time

import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, serve

SAO = os.path.join(ROOT, 'var', 'sao', 'package')
VIEWPORT = {'width': 1280, 'height': 1000}
TIMEOUT = 20_000  # ms, for every wait on the page

# Optional files sao always asks for; the server answers 405 (harmless)
HARMLESS = re.compile(r'/(custom\.js|custom\.css|locale/[\w-]+\.json)$')

SHIPPED = 'PC-PRO-00001'  # the demo's unit shipped to a customer
# business steps of its history (it may have more events, e.g. one per
# component assembled into it)
SHIPPED_STEPS = ['Commissioning', 'Assembling', 'Picking', 'Shipping']

sync_api = pytest.importorskip('playwright.sync_api',
    reason="playwright is not installed (pip install -r "
    "requirements-test.txt)")
expect = sync_api.expect


@pytest.fixture(scope='module')
def web_server(demo_db):
    "URL of `serial-mes serve` on the demo database, on a free port"
    if not os.path.exists(os.path.join(SAO, 'index.html')):
        pytest.skip("sao is not installed in %s (run 'make sao')" % SAO)
    with serve(demo_db, env={'SERIAL_MES_SAO': SAO}) as url:
        yield url


class Problems:
    "What went wrong in the page: uncaught errors, failed requests"

    def __init__(self, page):
        self.items = []
        page.on('pageerror', lambda error: self.items.append(
                'page error: %s' % error))
        page.on('console', self._console)
        page.on('response', self._response)
        page.on('requestfailed', self._failed)

    def _console(self, message):
        # "Failed to load resource" duplicates the responses checked below
        if (message.type == 'error'
                and not message.text.startswith('Failed to load resource')):
            self.items.append('console error: %s' % message.text)

    def _response(self, response):
        if response.status >= 400 and not (response.status == 405
                and HARMLESS.search(response.url.split('?')[0])):
            self.items.append('HTTP %s for %s %s' % (response.status,
                    response.request.method, response.url))

    def _failed(self, request):
        # the browser aborts the harmless 405s of <script> and <link>
        if HARMLESS.search(request.url.split('?')[0]):
            return
        # sao draws its icons from blob: URLs of SVGs held in the page;
        # Chromium aborts the load of an <img> redrawn before it loaded
        # (no server involved)
        if (request.url.startswith('blob:')
                and request.resource_type == 'image'
                and request.failure == 'net::ERR_ABORTED'):
            return
        self.items.append('request failed: %s %s (%s)' % (
                request.method, request.url, request.failure))

    def check(self, page, step):
        dialogs = page.locator('.error-dialog, .warning-dialog').filter(
            visible=True)
        messages = list(self.items)
        if dialogs.count():
            messages += ['dialog: %s' % ' '.join(text.split())
                for text in dialogs.all_inner_texts()]
        assert not messages, "web client problems %s:\n%s" % (
            step, '\n'.join(messages))


def _login(page, url, database):
    page.goto(url)
    # `serial-mes serve` lists the database it serves, and no other: sao
    # shows it in a read-only input
    field = page.locator('#database').filter(visible=True)
    expect(field).to_have_count(1)
    expect(field).to_have_value(database)
    expect(field).to_have_attribute('readonly', re.compile('.*'))
    page.locator('input#login').fill('admin')
    page.get_by_role('button', name='Login').click()
    password = page.locator('input#ask-dialog-entry')
    password.fill('admin')
    page.get_by_role('button', name='OK').click()
    expect(password).to_be_hidden()


def _close_config_wizard(page, preferences):
    """Cancel the Module Configuration wizard if the login opened it.

    sao runs the user's start actions (the wizard while its items are not
    done; the demo marks them done) before it draws the menu, so the
    answer of get_preferences says whether to expect it."""
    actions = []
    for response in preferences:
        result = response.json().get('result')
        if isinstance(result, dict):
            actions += result.get('actions') or []
    if not actions:
        return
    cancel = page.locator('#tabcontent .tab-wizard').get_by_role(
        'button', name='Cancel')
    cancel.wait_for()
    page.wait_for_timeout(500)  # a click right after it shows is ignored
    cancel.click()
    cancel.wait_for(state='detached')


# One snapshot of a list: a dict per drawn row, header label -> text of
# its cell (hidden columns included: Tryton hides a column whose value the
# tab's domain fixes, e.g. Status under "In Stock")
ROWS_JS = """root => {
    const table = root.querySelector('.treeview table');
    if (!table) return null;
    const heads = [...table.querySelectorAll('thead th[id]')].map(
        th => [th.id, (th.querySelector('label') || th).textContent.trim()]);
    return [...table.querySelectorAll('tbody > tr:not(.more-row)')].map(
        tr => Object.fromEntries(heads.map(([id, label]) => {
            const td = tr.querySelector('td[headers="' + id + '"]');
            return [label, td ? td.textContent.trim() : null];
        })));
}"""


def _rows(container, counter, required, ready, what):
    """The rows of the list in container once it is drawn: as many rows
    as the counter ("_/N") says, none with an empty required column, and
    ready(rows) true. Clicks More while rows are missing (sao draws 20 at
    a time). sao redraws a list several times while it loads, hence one
    polled snapshot rather than waits on single elements."""
    page = container.page
    more = container.locator('.treeview tbody tr.more-row button')
    deadline = time.monotonic() + TIMEOUT / 1000
    while True:
        rows = container.evaluate(ROWS_JS)
        match = re.search(r'/\s*(\d+)\s*$', counter.text_content() or '')
        total = int(match.group(1)) if match else None
        if (rows is not None and len(rows) == total
                and all(r.get(c) for r in rows for c in required)
                and ready(rows)):
            return rows
        if time.monotonic() > deadline:
            pytest.fail("%s not drawn within %d s: counter %r, %s rows:\n%s"
                % (what, TIMEOUT / 1000, counter.text_content(),
                    len(rows or []), '\n'.join(map(str, (rows or [])[:50]))))
        if rows is not None and total and len(rows) < total:
            try:
                more.first.click(timeout=1000)
            except sync_api.Error:
                pass  # not drawn yet, or redrawn under the click
        page.wait_for_timeout(100)


def _by_number(rows):
    return {r['Number']: r for r in rows}


def _domain_tab(tab, name):
    return tab.locator('.tab-domain .nav-tabs li').filter(
        has=tab.page.get_by_role('tab', name=re.compile(
                r'^%s\b' % re.escape(name))))


def _number_cell(tab, number):
    return tab.locator('.treeview tbody .column-char').filter(
        has_text=re.compile(r'^\s*%s\s*$' % re.escape(number)))


@contextlib.contextmanager
def _browser(output_dir, name=None):
    """A page of Debian's Chromium, not logged in yet: yields (page,
    problems, preferences, shot). On any failure the page is saved as
    webclient-failure[-name].png."""
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed "
            "(scripts/install-chromium.sh)")
    expect.set_options(timeout=TIMEOUT)
    failure = os.path.join(output_dir, 'webclient-failure%s.png' % (
            '-' + name if name else ''))
    if os.path.exists(failure):  # from an earlier run
        os.remove(failure)

    def shot(name):
        # away from links: sao marks a hovered link with an emoji, which
        # this Chromium draws as a box (no emoji font)
        page.mouse.move(5, VIEWPORT['height'] - 5)
        page.wait_for_timeout(300)  # let CSS transitions end
        page.screenshot(path=os.path.join(output_dir,
                'webclient-%s.png' % name))

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
            headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(TIMEOUT)
            problems = Problems(page)
            preferences = []
            page.on('response', lambda response: preferences.append(response)
                if 'model.res.user.get_preferences' in (
                    response.request.post_data or '') else None)
            try:
                yield page, problems, preferences, shot
            except BaseException:
                page.screenshot(path=failure)
                raise
        finally:
            browser.close()


def test_webclient_serials(web_server, demo_db, output_dir):
    with _browser(output_dir) as (page, problems, preferences, shot):
        _run(page, web_server, demo_db, problems, preferences, shot)


def _shipped_events(demo_db):
    """Events of the shipped unit as recorded: the demo's summary is
    written before its RFID replay adds the dock-door reads"""
    shown = json.loads(demo_db('serial', 'show', SHIPPED, '--json',
            '--events', '100', check=True).stdout)
    return shown['events']


def _start(page, url, demo_db, problems, preferences):
    "Log in; the menu and its Serial MES row"
    _login(page, url, demo_db.database)
    menu = page.locator('#menu')
    serial_mes = menu.locator('tr').filter(
        has=page.get_by_text('Serial MES', exact=True))
    expect(serial_mes).to_have_count(1)
    _close_config_wizard(page, preferences)
    problems.check(page, "after login")
    return menu, serial_mes


def _run(page, url, demo_db, problems, preferences, shot):
    # 1. Log in
    menu, serial_mes = _start(page, url, demo_db, problems, preferences)

    # 2. Serial MES > Serials: the list opens on its first tab, In Stock
    serial_mes.locator('.expander').click()
    menu.get_by_text('Serials', exact=True).click()
    tab = page.locator('#tabcontent .tab-pane.active').filter(
        has=page.locator('.tab-domain'))
    expect(tab.locator('.title-long')).to_have_text('Serial MES / Serials')
    counter = tab.locator('.toolbar .navbar-text .badge').first
    in_stock = _domain_tab(tab, 'In Stock')
    expect(in_stock).to_have_class(re.compile(r'\bactive\b'))
    badge = in_stock.locator('.badge')
    expect(badge).to_have_text(re.compile(r'^\d+$'))
    expect(tab.locator('.treeview tbody tr').first).to_be_visible()
    shot('serials')
    problems.check(page, "opening Serial MES > Serials")

    # 3. Status filters (tabs)
    required = ('Number', 'Status')
    rows = _rows(tab, counter, required, lambda rows: True, "In Stock list")
    assert rows, "no serial in stock"
    assert len(rows) == int(badge.inner_text()), (
        "In Stock lists %d serials, its tab counts %s" % (
            len(rows), badge.inner_text()))
    in_stock_count = len(rows)
    not_in_stock = [r for r in rows if r['Status'] != 'In Stock']
    assert not not_in_stock, "under In Stock: %s" % not_in_stock
    assert SHIPPED not in _by_number(rows), (
        "%s (at customer) is listed under In Stock" % SHIPPED)
    _number_cell(tab, rows[-1]['Number']).scroll_into_view_if_needed()
    shot('serials-in-stock')  # the end of the list

    _domain_tab(tab, 'Not in Inventory').get_by_role('tab').click()
    expect(_domain_tab(tab, 'Not in Inventory')).to_have_class(
        re.compile(r'\bactive\b'))
    # drawn again once the shipped unit is listed (it was not under In Stock)
    rows = _rows(tab, counter, required,
        lambda rows: SHIPPED in _by_number(rows), "Not in Inventory list")
    in_stock = [r for r in rows if r['Status'] == 'In Stock']
    assert not in_stock, "under Not in Inventory: %s" % in_stock
    assert _by_number(rows)[SHIPPED]['Status'] == 'At Customer', (
        _by_number(rows)[SHIPPED])
    not_in_inventory = len(rows)
    expect(tab.locator('.treeview thead th').filter(
            has_text=re.compile(r'^\s*Status\s*$'))).to_be_visible()
    shot('serials-not-in-inventory')

    _domain_tab(tab, 'All').get_by_role('tab').click()
    expect(_domain_tab(tab, 'All')).to_have_class(re.compile(r'\bactive\b'))
    # drawn again once in-stock serials are back
    rows = _rows(tab, counter, required,
        lambda rows: SHIPPED in _by_number(rows) and any(
            r['Status'] == 'In Stock' for r in rows), "All list")
    assert len(rows) == in_stock_count + not_in_inventory, (
        "All lists %d serials, In Stock %d + Not in Inventory %d" % (
            len(rows), in_stock_count, not_in_inventory))
    assert _by_number(rows)[SHIPPED]['Status'] == 'At Customer', (
        _by_number(rows)[SHIPPED])
    shipped = _number_cell(tab, SHIPPED)
    shipped.scroll_into_view_if_needed()
    shot('serials-all')
    problems.check(page, "filtering Serials by status")

    # 4. The shipped unit's form and its events (double click on the
    # number: a click on the product link would open the product)
    shipped.dblclick()
    form = tab.locator('.form').first
    expect(form.locator('input[name="number"]')).to_have_value(SHIPPED)
    expect(form.locator('select[name="status"] option:checked')
        ).to_have_text('At Customer')
    expect(form.locator('select[name="inventory"] option:checked')
        ).to_have_text('Serial not in inventory')
    notebook = form.locator('.form-notebook').first
    notebook.get_by_role('tab', name='Events', exact=True).click()
    events = notebook.locator('.tab-pane.active .form-one2many').first
    expected = _shipped_events(demo_db)
    rows = _rows(events, events.locator('.form-one2many-toolbar .badge'),
        ('Business Step',), lambda rows: True, "events of %s" % SHIPPED)
    assert len(rows) == len(expected), (
        "%s has %d events, its form lists %d" % (
            SHIPPED, len(expected), len(rows)))
    steps = [r['Business Step'] for r in rows]
    missing = [s for s in SHIPPED_STEPS if s not in steps]
    assert not missing, "%s not in the events of %s: %s" % (
        missing, SHIPPED, steps)
    # newest first: the RFID dock-door reads (no change of status),
    # then the shipping, from In Stock to At Customer
    latest, = [[row[c] for c in ['Business Step', 'Status from',
                'Status to']] for row, event in zip(rows, expected)
        if event['source'] != 'rfid'][:1]
    assert latest == ['Shipping', 'In Stock', 'At Customer'], rows
    shot('serial-form')
    problems.check(page, "opening the form of %s" % SHIPPED)


# --- genealogy -------------------------------------------------------------

# The rows of a tree view (a view with field_childs) as drawn: like
# ROWS_JS, plus the depth of each row (sao indents the expander of a
# child row by 1em per level) and whether it can be expanded
TREE_ROWS_JS = """root => {
    const table = root.querySelector('.treeview table');
    if (!table) return null;
    const heads = [...table.querySelectorAll('thead th[id]')].map(
        th => [th.id, (th.querySelector('label') || th).textContent.trim()]);
    return [...table.querySelectorAll('tbody > tr:not(.more-row)')].map(
        tr => {
            const row = Object.fromEntries(heads.map(([id, label]) => {
                const td = tr.querySelector('td[headers="' + id + '"]');
                return [label, td ? td.textContent.trim() : null];
            }));
            const expander = tr.querySelector('.expander');
            const img = expander && expander.querySelector('img');
            row._depth = img ? Math.round(
                parseFloat(img.style.marginLeft || '0')) : 0;
            row._expandable = Boolean(expander)
                && expander.style.visibility == 'visible';
            return row;
        });
}"""

# True once the address bar shows the current tab (sao updates it after
# a click selects a row)
URL_SETTLED_JS = """() => {
    const tab = Sao.Tab.tabs.get_current();
    return Boolean(tab) && decodeURIComponent(location.hash).endsWith(
        decodeURIComponent(tab.get_url() || ''));
}"""


def _wait_for(container, js, ready, what):
    "container.evaluate(js) once it is not null and ready(value) is true"
    page = container.page
    deadline = time.monotonic() + TIMEOUT / 1000
    while True:
        value = container.evaluate(js)
        if value is not None and ready(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail("%s not drawn within %d s:\n%s" % (what,
                    TIMEOUT / 1000, '\n'.join(map(str, value or []))))
        page.wait_for_timeout(100)


def _active_tab(page):
    "The content of the current tab of the web client"
    return page.locator('#tabcontent > .tab-pane.active')


def _menu_entry(page, serial_mes, name):
    "Open Serial MES > name (the menu shows its entries once expanded)"
    entry = page.locator('#menu').get_by_text(name, exact=True)
    if not entry.is_visible():
        serial_mes.locator('.expander').click()
    entry.click()


def _open_serial(page, serial_mes, number):
    """Serial MES > Serials, tab All, search number, open its form: the
    tab and the form"""
    tabs = page.locator('#tablist > li')
    count = tabs.count()
    _menu_entry(page, serial_mes, 'Serials')
    expect(tabs).to_have_count(count + 1)
    tab = _active_tab(page)
    expect(tab.locator('.title-long')).to_have_text('Serial MES / Serials')
    _domain_tab(tab, 'All').get_by_role('tab').click()
    expect(_domain_tab(tab, 'All')).to_have_class(re.compile(r'\bactive\b'))
    page.wait_for_load_state('networkidle')
    search = tab.locator('.filter-box input').filter(visible=True)
    search.fill(number)
    search.press('Enter')
    counter = tab.locator('.toolbar .navbar-text .badge').first
    _rows(tab, counter, ('Number',), lambda rows: number in _by_number(rows)
        and all(number in r['Number'] for r in rows),
        "Serials searched for %s" % number)
    cell = _number_cell(tab, number)
    # Select first and let sao put the search in the address bar: a
    # hashchange that arrives after the double click switched to the form
    # no longer matches the tab, and sao opens the list again in a new
    # "Stock Lot" tab (seen with sao 8.0.11 on a loaded machine)
    cell.click()
    page.wait_for_function(URL_SETTLED_JS)
    page.wait_for_timeout(500)
    cell.dblclick()
    form = tab.locator('.form').first
    expect(form.locator('input[name="number"]')).to_have_value(number)
    page.wait_for_load_state('networkidle')
    expect(tabs).to_have_count(count + 1)
    return tab, form


def _form_page(form, name, required, ready, what):
    """Show the page name of the form's notebook: the rows of the list on
    it (a One2Many or a Many2Many field)"""
    notebook = form.locator('.form-notebook').first
    notebook.get_by_role('tab', name=name, exact=True).click()
    field = notebook.locator('.tab-pane.active').first.locator(
        '.form-one2many, .form-many2many').first
    expect(field).to_be_visible()
    return _rows(field, field.locator('.badge').first, required, ready,
        what)


def _trace(demo_db, number):
    "The as-built tree of number from the command line"
    return json.loads(demo_db('trace', number, '--json', check=True).stdout)


def _component(node, code):
    "The child of a trace node whose product has this code"
    found = [c for c in node['children']
        if c['product'].startswith('[%s]' % code)]
    assert len(found) == 1, "%s has %d %s: %s" % (node['serial'],
        len(found), code, [c['serial'] for c in node['children']])
    return found[0]


def test_webclient_as_built(web_server, demo_db, output_dir):
    trace = _trace(demo_db, SHIPPED)
    # The demo's PC: motherboard (with a CPU and two memory modules), SSD,
    # power supply and case
    top = {c['serial']: c['product'] for c in trace['children']}
    board = _component(trace, 'MB-B760')
    for code in ['SSD-1TB', 'PSU-650', 'CASE-MID']:
        _component(trace, code)
    inside = {c['serial']: c['product'] for c in board['children']}
    _component(board, 'CPU-8C65')
    memory = [s for s, p in inside.items() if p.startswith('[RAM-D5-16]')]
    assert len(memory) == 2, inside

    with _browser(output_dir, 'as-built') as (
            page, problems, preferences, shot):
        _, serial_mes = _start(page, web_server, demo_db, problems,
            preferences)
        tab, form = _open_serial(page, serial_mes, SHIPPED)

        # 1. Components page: the direct components, installed
        rows = _form_page(form, 'Components', ('Child', 'Product'),
            lambda rows: True, "components of %s" % SHIPPED)
        assert {r['Child']: r['Product'] for r in rows} == top, (
            "components of %s on its form:\n%s\nin its trace: %s" % (
                SHIPPED, '\n'.join(map(str, rows)), top))
        assert len(rows) == len(top), rows
        assert all(r['Parent'] == SHIPPED and r['State'] == 'Installed'
            for r in rows), rows
        shot('serial-components')
        problems.check(page, "showing the components of %s" % SHIPPED)

        # 2. Relate > As-built Tree: the components at the top level
        tabs = page.locator('#tablist > li')
        count = tabs.count()
        tab.locator('button#relate').click()
        menu = tab.locator('button#relate + .dropdown-menu')
        menu.get_by_role('menuitem', name='As-built Tree',
            exact=True).click()
        expect(tabs).to_have_count(count + 1)
        tree = _active_tab(page)
        expect(tree.locator('.title-long')).to_have_text(
            'As-built Tree (%s)' % SHIPPED)
        rows = _wait_for(tree, TREE_ROWS_JS,
            lambda rows: {r['Child'] for r in rows} == set(top)
            and all(r['Product'] for r in rows),
            "as-built tree of %s (expected %s)" % (SHIPPED, sorted(top)))
        for label in ['Child', 'Product', 'Quantity', 'Installed at']:
            assert label in rows[0], "no column %s: %s" % (label, rows[0])
        assert len(rows) == len(top), rows
        assert {r['Child']: r['Product'] for r in rows} == top, rows
        assert all(r['_depth'] == 0 and r['Quantity'] == '1'
            for r in rows), rows
        expandable = [r['Child'] for r in rows if r['_expandable']]
        assert expandable == [board['serial']], (
            "expanders shown on %s, expected on %s only" % (
                expandable, board['serial']))
        expect(tree.locator('.toolbar .navbar-text .badge').first
            ).to_have_text(re.compile(r'/\s*%d\s*$' % len(top)))
        shot('as-built')

        # 3. The motherboard expanded: its CPU and memory beneath it
        board_row = tree.locator('.treeview tbody > tr').filter(
            has=page.get_by_role('link', name=board['serial'], exact=True))
        expect(board_row).to_have_count(1)
        board_row.locator('.expander').click()

        def under_board(rows):
            i = [r['Child'] for r in rows].index(board['serial'])
            below = []
            for row in rows[i + 1:]:
                if row['_depth'] <= rows[i]['_depth']:
                    break
                below.append(row)
            return below
        rows = _wait_for(tree, TREE_ROWS_JS,
            lambda rows: {r['Child'] for r in under_board(rows)} == set(
                inside) and all(r['Product'] for r in rows),
            "components of %s under it in the as-built tree (expected %s)"
            % (board['serial'], sorted(inside)))
        below = under_board(rows)
        assert {r['Child']: r['Product'] for r in below} == inside, below
        assert all(r['_depth'] == 1 for r in below), below
        assert len(rows) == len(top) + len(inside), rows
        assert {r['Child'] for r in rows if r['_depth'] == 0} == set(top), (
            rows)
        shot('as-built-expanded')
        problems.check(page, "expanding the as-built tree of %s" % SHIPPED)


def test_webclient_where_used(web_server, demo_db, output_dir):
    trace = _trace(demo_db, SHIPPED)
    board = _component(trace, 'MB-B760')
    cpu = _component(board, 'CPU-8C65')['serial']

    with _browser(output_dir, 'where-used') as (
            page, problems, preferences, shot):
        _, serial_mes = _start(page, web_server, demo_db, problems,
            preferences)
        _, form = _open_serial(page, serial_mes, cpu)
        expect(form.locator('select[name="status"] option:checked')
            ).to_have_text('Installed')
        expect(form.locator('input[name="installed_in"]')).to_have_value(
            board['serial'])

        # Where Used: the CPU in the motherboard, the motherboard in the PC
        rows = _form_page(form, 'Where Used', ('Parent', 'Child'),
            lambda rows: True, "where %s is used" % cpu)
        links = sorted((r['Parent'], r['Child']) for r in rows)
        assert links == sorted([(board['serial'], cpu),
                (SHIPPED, board['serial'])]), (
            "where %s is used:\n%s" % (cpu, '\n'.join(map(str, rows))))
        assert all(r['State'] == 'Installed' for r in rows), rows
        shot('where-used')
        problems.check(page, "showing where %s is used" % cpu)


RECALL_SUPPLIER = ('SUP-HELIX', 'Helix Silicon GmbH')
STATUS_NAMES = {'expected': 'Expected', 'in_stock': 'In Stock',
    'in_wip': 'In WIP', 'installed': 'Installed',
    'at_customer': 'At Customer', 'in_transit': 'In Transit',
    'scrapped': 'Scrapped'}
# Affected Units column -> key of the units in `serial-mes recall --json`
RECALL_COLUMNS = {'Serial': 'serial', 'Product': 'product',
    'Status': 'status', 'Location': 'location', 'Holder': 'holder',
    'Delivered': 'delivered'}


def test_webclient_recall(web_server, demo_db, output_dir):
    code, name = RECALL_SUPPLIER
    expected = json.loads(demo_db('recall', '--supplier', code, '--json',
            check=True).stdout)
    units = sorted(({k: v or '' for k, v in u.items()}
            for u in expected['units']), key=lambda u: u['serial'])
    # the web client shows the status's name, the CSV its code
    named = [dict(u, status=STATUS_NAMES[u['status']]) for u in units]

    with _browser(output_dir, 'recall') as (
            page, problems, preferences, shot):
        _, serial_mes = _start(page, web_server, demo_db, problems,
            preferences)
        # The wizard opens in a dialog (not a tab)
        _menu_entry(page, serial_mes, 'Recall')
        wizard = page.locator('.wizard-dialog').filter(visible=True)
        expect(wizard.locator('.model-title')).to_have_text('Recall')
        for label in ['Supplier:', 'Received from:', 'Received to:']:
            expect(wizard.locator('label.form-label').filter(
                    has_text=re.compile(r'^\s*%s\s*$' % label))
                ).to_be_visible()
        expect(wizard.locator('.form-many2many, .form-one2many').first
            ).to_contain_text('Lots and Serials')

        # Supplier: type, then pick it from the completion (sao asks for
        # it 300 ms after the last key). A display of the dialog's record
        # clears what was typed: type again if so.
        supplier = wizard.locator('input[name="supplier"]')
        expect(supplier).to_be_editable()
        page.wait_for_load_state('networkidle')
        completion = wizard.locator('.dropdown-completion li.completion'
            ).filter(has_text=re.compile(r'^\s*%s\s*$' % re.escape(name)))
        deadline = time.monotonic() + TIMEOUT / 1000
        while not completion.is_visible():
            if supplier.input_value() != name:
                supplier.fill(name)
            if time.monotonic() > deadline:
                pytest.fail("%r not offered by the completion of Supplier "
                    "within %d s" % (name, TIMEOUT / 1000))
            page.wait_for_timeout(200)
        completion.click()
        expect(supplier).to_have_value(name)
        page.wait_for_load_state('networkidle')
        shot('recall-start')
        problems.check(page, "entering the supplier of the recall")

        # Search: the affected units, as on the command line
        wizard.locator('.modal-footer').get_by_role('button',
            name='Search').click()
        count = wizard.locator('input[name="count"]').filter(visible=True)
        expect(count).to_have_value(str(expected['count']))
        table = wizard.locator('.form-one2many').filter(
            has_text='Affected Units')
        rows = _rows(table, table.locator('.form-one2many-toolbar .badge'),
            ('Serial', 'Product', 'Status'), lambda rows: True,
            "affected units of the recall of %s" % name)
        assert len(rows) == expected['count'], (
            "Count says %s, Affected Units lists %d" % (expected['count'],
                len(rows)))
        missing = set(RECALL_COLUMNS) - set(rows[0])
        assert not missing, "Affected Units has no column %s" % missing
        shown = sorted(({k: r[c] for c, k in RECALL_COLUMNS.items()}
                for r in rows), key=lambda u: u['serial'])
        assert shown == named, "web client:\n%s\ncommand line:\n%s" % (
            '\n'.join(map(str, shown)), '\n'.join(map(str, named)))
        by_serial = {u['serial']: u for u in shown}
        for number in ['PC-PRO-00001', 'PC-PRO-00002', 'PC-PRO-00003']:
            assert number in by_serial, "%s not recalled" % number
        assert by_serial[SHIPPED]['status'] == 'At Customer', (
            by_serial[SHIPPED])
        assert by_serial[SHIPPED]['holder'] == 'Contoso Retail', (
            by_serial[SHIPPED])

        # The CSV: its size is shown, Save As gives the same units
        csv_field = wizard.locator('input[name="csv_file"]')
        expect(csv_field).to_have_value(re.compile(r'\d'))
        with page.expect_download() as download:
            wizard.locator('.form-binary button[title^="Save As"]').click()
        assert download.value.suggested_filename == 'recall.csv'
        with open(download.value.path(), encoding='utf-8') as file:
            saved = sorted(csv.DictReader(file), key=lambda u: u['serial'])
        assert saved == units, "recall.csv:\n%s" % '\n'.join(map(str, saved))

        table.locator('.treeview tbody tr').filter(
            has_text=SHIPPED).scroll_into_view_if_needed()
        shot('recall-result')
        problems.check(page, "searching the units to recall")

        wizard.locator('.modal-footer').get_by_role('button',
            name='Close').click()
        expect(page.locator('.wizard-dialog').filter(visible=True)
            ).to_have_count(0)
        problems.check(page, "closing the recall")


PC_GS1 = '(01)09506000140179(21)%s' % SHIPPED  # its label's element string


def test_webclient_recall_scan(web_server, demo_db, output_dir):
    """Serials scanned into the Recall wizard (Tryton's code scanner: a
    code then Enter, as a scanner types it) are added to its lots; Enter
    never starts the search"""
    cpu = _component(_component(_trace(demo_db, SHIPPED), 'MB-B760'),
        'CPU-8C65')['serial']
    expected = json.loads(demo_db('recall', '--lot', cpu, '--lot', SHIPPED,
            '--json', check=True).stdout)

    with _browser(output_dir, 'recall-scan') as (
            page, problems, preferences, shot):
        _, serial_mes = _start(page, web_server, demo_db, problems,
            preferences)
        _menu_entry(page, serial_mes, 'Recall')
        wizard = page.locator('.wizard-dialog').filter(visible=True)
        expect(wizard.locator('.model-title')).to_have_text('Recall')
        lots = wizard.locator('.form-many2many').first
        page.wait_for_load_state('networkidle')

        # Enter in the wizard (here in the lots' entry) starts no search
        entry = lots.locator('input').filter(visible=True).first
        entry.fill(cpu)
        entry.press('Enter')
        page.wait_for_load_state('networkidle')
        page.wait_for_timeout(500)
        for window in page.locator('.modal').filter(visible=True).all():
            if window.locator('.model-title, .modal-title').filter(
                    has_text=re.compile('^Search')).count():
                window.get_by_role('button', name='Cancel').click()
        expect(wizard.locator('input[name="count"]')).to_have_count(0)
        problems.check(page, "pressing Enter in the Recall wizard")
        entry.fill('')

        # The code scanner stays open (loop): one scan after the other
        wizard.get_by_role('button', name='Scan').click()
        scanner = page.locator('.code-scanner').filter(visible=True)
        code = scanner.locator('input[aria-label="Code"]')
        for scan, number in [(cpu, cpu), (PC_GS1, SHIPPED)]:
            code.fill(scan)
            code.press('Enter')
            expect(lots.locator('.treeview tbody tr').filter(
                    has_text=number)).to_have_count(1)
            expect(scanner).to_be_visible()
        shot('recall-scan')
        # a code that names no serial is refused in words (sao closes its
        # scanner on a refusal), nothing added
        code.fill('NO-SUCH-SERIAL-42')
        code.press('Enter')
        warning = page.locator('.warning-dialog').filter(visible=True)
        expect(warning).to_contain_text(
            'No serial has the number or alias "NO-SUCH-SERIAL-42"')
        warning.get_by_role('button', name='OK').click()
        expect(warning).to_have_count(0)
        expect(scanner).to_have_count(0)
        expect(lots.locator('.treeview tbody tr')).to_have_count(2)
        expect(wizard.locator('input[name="count"]')).to_have_count(0)
        problems.check(page, "scanning serials into the Recall wizard")

        # The search (its button) finds what the command line finds
        wizard.locator('.modal-footer').get_by_role('button',
            name='Search').click()
        count = wizard.locator('input[name="count"]').filter(visible=True)
        expect(count).to_have_value(str(expected['count']))
        problems.check(page, "searching the scanned serials")


# --- device pairing ----------------------------------------------------------

IMAGE_BYTES_JS = """img => fetch(img.src).then(r => r.arrayBuffer())
    .then(b => Array.from(new Uint8Array(b)))"""


def _pair(page, serial_mes, name, kind=None):
    """Serial MES > Configuration > Pair Device: (key shown, key read from
    the QR code the wizard shows, user)"""
    from serial_mes.tests.tools import read_qr
    entry = page.locator('#menu').get_by_text('Pair Device', exact=True)
    if not entry.is_visible():
        configuration = page.locator('#menu tr').filter(
            has=page.get_by_text('Configuration', exact=True))
        if not configuration.is_visible():
            serial_mes.locator('.expander').click()
        configuration.locator('.expander').click()
    entry.click()
    wizard = page.locator('.wizard-dialog').filter(visible=True)
    expect(wizard.locator('.model-title')).to_have_text('Pair Device')
    field = wizard.locator('input[name="name"]')
    expect(field).to_be_editable()
    page.wait_for_load_state('networkidle')
    select = wizard.locator('select[name="kind"]')
    selected = "s => s.options[s.selectedIndex].text"
    # a display of the dialog's record clears what was typed: until both
    # stay, type and choose again
    deadline, steady = time.monotonic() + TIMEOUT / 1000, 0
    while steady < 3:
        steady += 1
        if kind and select.evaluate(selected) != kind:
            # as a person does: focus, choose, leave (sao takes the value
            # when the select loses focus)
            select.focus()
            select.select_option(label=kind)
            field.focus()
            steady = 0
        if field.input_value() != name:
            field.fill(name)
            steady = 0
        if time.monotonic() > deadline:
            pytest.fail("the device name and kind do not stay")
        page.wait_for_timeout(300)
    expect(field).to_have_value(name)
    wizard.locator('.modal-footer').get_by_role('button',
        name='Pair').click()
    key_field = wizard.locator('input[name="key"]')
    expect(key_field).to_have_value(re.compile(r'^[0-9a-f]{128}$'))
    image = wizard.locator('.form-image img.center-block')
    expect(image).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0",
        arg=image.element_handle())
    scanned = read_qr(bytes(image.evaluate(IMAGE_BYTES_JS)))
    user = wizard.locator('input[name="user"]').input_value()
    key = key_field.input_value()
    return key, scanned, user, wizard


def _post(url, key, body=b'{}'):
    "(status, content type, JSON answer) of POST url with key"
    import urllib.error
    import urllib.request
    request = urllib.request.Request(url, data=body, method='POST',
        headers={'Authorization': 'Bearer %s' % key,
            'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return (response.status, response.headers['Content-Type'],
                json.loads(response.read()))
    except urllib.error.HTTPError as error:
        return error.code, error.headers['Content-Type'], json.loads(
            error.read())


def test_webclient_pair_device(web_server, demo_db, output_dir):
    """An administrator pairs a tablet: its key, shown as a QR code, is
    scanned into the receiving page's key dialog and opens the routes;
    pairing it again cancels the old key"""
    base = web_server.rstrip('/') + '/' + demo_db.database
    with _browser(output_dir, 'pair-device') as (
            page, problems, preferences, shot):
        _, serial_mes = _start(page, web_server, demo_db, problems,
            preferences)
        key, scanned, user, wizard = _pair(page, serial_mes,
            "Dock 9 Tablet")
        assert scanned == key, (scanned, key)
        assert user == 'device-dock-9-tablet', user
        shot('pair-device')
        wizard.locator('.modal-footer').get_by_role('button',
            name='Close').click()
        problems.check(page, "pairing a receiving device")

        # the tablet: its scanner reads the QR code into the key dialog
        tablet = page.context.browser.new_page(viewport=VIEWPORT)
        tablet.goto(base + '/serial_mes/receiving')
        expect(tablet.locator('#key-dialog')).to_be_visible()
        expect(tablet.locator('#key-input')).to_be_focused()
        tablet.keyboard.type(scanned)
        tablet.keyboard.press('Enter')
        expect(tablet.locator('#key-dialog')).to_be_hidden()
        tablet.keyboard.type('NO-SUCH-SHIPMENT-9')
        tablet.keyboard.press('Enter')
        expect(tablet.locator('body')).to_contain_text('NO-SUCH-SHIPMENT-9')
        expect(tablet.locator('#key-dialog')).to_be_hidden()
        stored = tablet.evaluate("Object.entries(localStorage)")
        assert [v for k, v in stored if k.startswith(
                'serial_mes.receiving.key.')] == [key], stored
        tablet.close()
        # the key opens the receiving routes (as the device), not RFID's
        status, content_type, answer = _post(
            base + '/serial_mes/receiving/open', key,
            b'{"code": "NO-SUCH-SHIPMENT-9"}')
        assert status in {400, 404}, (status, answer)
        assert 'NO-SUCH-SHIPMENT-9' in answer['error'], (
            status, answer)
        status, _, answer = _post(base + '/serial_mes_rfid/reads', key)
        assert status == 401, (status, answer)

        # paired again: the old key is cancelled
        again, scanned, _, wizard = _pair(page, serial_mes, "Dock 9 Tablet")
        assert scanned == again != key
        expect(wizard.locator('input[name="cancelled"]').filter(
            visible=True)).to_have_value('1')
        wizard.locator('.modal-footer').get_by_role('button',
            name='Close').click()
        status, _, answer = _post(base + '/serial_mes/receiving/open', key,
            b'{"code": "NO-SUCH-SHIPMENT-9"}')
        assert status == 401, (status, answer)
        status, _, answer = _post(base + '/serial_mes/receiving/open', again,
            b'{"code": "NO-SUCH-SHIPMENT-9"}')
        assert status in {400, 404}, (status, answer)

        # an RFID reader: its key opens the RFID routes, not the receiving's
        reader, scanned, user, wizard = _pair(page, serial_mes,
            "Dock Door 9", kind="RFID reader or middleware")
        assert scanned == reader and user == 'device-dock-door-9'
        wizard.locator('.modal-footer').get_by_role('button',
            name='Close').click()
        status, _, answer = _post(base + '/serial_mes_rfid/reads', reader)
        assert status == 400, (status, answer)
        status, _, answer = _post(base + '/serial_mes/receiving/open', reader,
            b'{"code": "NO-SUCH-SHIPMENT-9"}')
        assert status in {401, 403}, (status, answer)

        problems.check(page, "pairing devices")
