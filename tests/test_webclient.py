# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Browser test of the Tryton web client (sao) on the demo database.

`serial-mes serve` runs in a subprocess; Playwright drives Debian's
Chromium (never a browser downloaded by Playwright) through the login, the
Serial MES > Serials list and its status tabs, and the form of the shipped
demo unit with its events. Screenshots go to test-output/webclient-*.png."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAO = os.path.join(ROOT, 'var', 'sao', 'package')
CHROMIUM = shutil.which('chromium')
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run']
VIEWPORT = {'width': 1280, 'height': 1000}
TIMEOUT = 20_000  # ms, for every wait on the page
SERVER_TIMEOUT = 60  # s, for the server to answer

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


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _tail(path, size=4000):
    with open(path, encoding='utf-8', errors='replace') as file:
        return file.read()[-size:]


@pytest.fixture(scope='module')
def web_server(demo_db):
    "URL of `serial-mes serve` on the demo database, on a free port"
    if not os.path.exists(os.path.join(SAO, 'index.html')):
        pytest.skip("sao is not installed in %s (run 'make sao')" % SAO)
    port = _free_port()
    url = 'http://127.0.0.1:%d/' % port
    env = dict(demo_db.env, SERIAL_MES_SAO=SAO)
    # A file, not a pipe: werkzeug logs every request and a full pipe
    # would block the server.
    log_path = os.path.join(demo_db.var, 'serve-%d.log' % port)
    log = open(log_path, 'w')
    process = subprocess.Popen([sys.executable, '-m', 'serial_mes.cli',
            'serve', '--database', demo_db.database, '--port', str(port)],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail("serial-mes serve exited with %s:\n%s" % (
                        process.returncode, _tail(log_path)))
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("serial-mes serve did not answer on %s within "
                    "%d s:\n%s" % (url, SERVER_TIMEOUT, _tail(log_path)))
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


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
        if not HARMLESS.search(request.url.split('?')[0]):
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
    # sao shows a read-only input for a single database, a <select> with
    # nothing selected for several (PostgreSQL lists every database).
    field = page.locator('#database').filter(visible=True)
    expect(field).to_have_count(1)
    if field.evaluate('e => e.tagName') == 'SELECT':
        names = field.locator('option').all_text_contents()
        assert database in names, (
            "database %r not offered at login: %s" % (database, names))
        field.select_option(database)
    else:
        expect(field).to_have_value(database)
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


def test_webclient_serials(web_server, demo_db, output_dir):
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed "
            "(scripts/install-chromium.sh)")
    expect.set_options(timeout=TIMEOUT)
    failure = os.path.join(output_dir, 'webclient-failure.png')
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
                _run(page, web_server, demo_db, problems, preferences, shot)
            except BaseException:
                page.screenshot(path=failure)
                raise
        finally:
            browser.close()


def _shipped_events(demo_db):
    "Events of the shipped unit in the demo summary (at most 20 listed)"
    path = os.path.join(demo_db.var, 'demo', 'demo-summary.json')
    with open(path, encoding='utf-8') as file:
        unit = json.load(file)['shipped_unit']
    assert unit['number'] == SHIPPED, unit['number']
    return unit['events']


def _run(page, url, demo_db, problems, preferences, shot):
    # 1. Log in
    _login(page, url, demo_db.database)
    menu = page.locator('#menu')
    serial_mes = menu.locator('tr').filter(
        has=page.get_by_text('Serial MES', exact=True))
    expect(serial_mes).to_have_count(1)
    _close_config_wizard(page, preferences)
    problems.check(page, "after login")

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
    if len(expected) < 20:  # the demo summary lists 20 at most
        assert len(rows) == len(expected), (
            "%s has %d events, its form lists %d" % (
                SHIPPED, len(expected), len(rows)))
    steps = [r['Business Step'] for r in rows]
    missing = [s for s in SHIPPED_STEPS if s not in steps]
    assert not missing, "%s not in the events of %s: %s" % (
        missing, SHIPPED, steps)
    # newest first: the shipping, from In Stock to At Customer
    latest = [rows[0][c] for c in ['Business Step', 'Status from',
            'Status to']]
    assert latest == ['Shipping', 'In Stock', 'At Customer'], rows[0]
    shot('serial-form')
    problems.check(page, "opening the form of %s" % SHIPPED)
