# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Browser test of the Tryton web client (sao) on the demo database.

`serial-mes serve` runs in a subprocess; Playwright drives Debian's
Chromium (never a browser downloaded by Playwright) through the login, the
Serial MES > Serials list and its status tabs, and the form of the shipped
demo unit with its events. Screenshots go to test-output/webclient-*.png."""
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
TIMEOUT = 20_000  # ms, for every wait on the page
SERVER_TIMEOUT = 60  # s, for the server to answer

# Optional files sao always asks for; the server answers 405 (harmless)
HARMLESS = re.compile(r'/(custom\.js|custom\.css|locale/[\w-]+\.json)$')

SHIPPED = 'PC-PRO-00001'  # the demo's unit shipped to a customer
SHIPPED_EVENTS = ['Commissioning', 'Assembling', 'Picking', 'Shipping']

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


def _load_all_rows(tab):
    "Click the list's More button until every record is drawn"
    rows = tab.locator('.treeview tbody tr:not(.more-row)')
    more = tab.locator('.treeview tbody tr.more-row button')
    while more.count():
        before = rows.count()
        more.first.click()
        expect(rows).not_to_have_count(before)
    return rows


def _column(tab, label):
    "The cells of the list column whose header is label"
    header = tab.locator('.treeview thead th').filter(
        has=tab.page.locator('label', has_text=re.compile(
                r'^%s$' % re.escape(label))))
    expect(header).to_have_count(1)
    return tab.locator('.treeview tbody td[headers="%s"]'
        % header.get_attribute('id')), header


def _domain_tab(tab, name):
    return tab.locator('.tab-domain .nav-tabs li').filter(
        has=tab.page.get_by_role('tab', name=re.compile(
                r'^%s\b' % re.escape(name))))


def _cell(cells, text):
    return cells.filter(has_text=re.compile(r'^\s*%s\s*$' % re.escape(text)))


def _statuses(number_cells, status_cells):
    """(number, status) of the drawn rows; text content, not what is seen:
    Tryton hides the status column when the tab's domain fixes it"""
    numbers = [n.strip() for n in number_cells.all_text_contents()]
    statuses = [s.strip() for s in status_cells.all_text_contents()]
    assert len(numbers) == len(statuses), (numbers, statuses)
    return list(zip(numbers, statuses))


def test_webclient_serials(web_server, demo_db, output_dir):
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed "
            "(scripts/install-chromium.sh)")
    expect.set_options(timeout=TIMEOUT)
    failure = os.path.join(output_dir, 'webclient-failure.png')
    if os.path.exists(failure):  # from an earlier run
        os.remove(failure)

    def shot(name):
        page.wait_for_timeout(300)  # let CSS transitions end
        page.screenshot(path=os.path.join(output_dir,
                'webclient-%s.png' % name))

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
            headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={'width': 1280, 'height': 800})
            page.set_default_timeout(TIMEOUT)
            problems = Problems(page)
            preferences = []
            page.on('response', lambda response: preferences.append(response)
                if 'model.res.user.get_preferences' in (
                    response.request.post_data or '') else None)
            try:
                _run(page, web_server, demo_db.database, problems,
                    preferences, shot)
            except BaseException:
                page.screenshot(path=failure)
                raise
        finally:
            browser.close()


def _run(page, url, database, problems, preferences, shot):
    # 1. Log in
    _login(page, url, database)
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
    rows = tab.locator('.treeview tbody tr:not(.more-row)')
    expect(rows.first).to_be_visible()
    in_stock = _domain_tab(tab, 'In Stock')
    expect(in_stock).to_have_class(re.compile(r'\bactive\b'))
    badge = in_stock.locator('.badge')
    expect(badge).to_have_text(re.compile(r'^\d+$'))
    shot('serials')
    problems.check(page, "opening Serial MES > Serials")

    # 3. Status filters
    in_stock_count = int(badge.inner_text())
    rows = _load_all_rows(tab)
    expect(rows).to_have_count(in_stock_count)
    number_cells, _ = _column(tab, 'Number')
    status_cells, status_header = _column(tab, 'Status')
    statuses = _statuses(number_cells, status_cells)
    assert {s for _, s in statuses} == {'In Stock'}, statuses
    assert SHIPPED not in dict(statuses), (
        "%s (at customer) is listed under In Stock" % SHIPPED)
    shot('serials-in-stock')

    _domain_tab(tab, 'Not in Inventory').get_by_role('tab').click()
    # Drawn again: the shipped unit shows up (it was not in the last list)
    expect(_cell(number_cells, SHIPPED)).to_have_count(1)
    expect(status_header).to_be_visible()
    rows = _load_all_rows(tab)
    statuses = _statuses(number_cells, status_cells)
    assert 'In Stock' not in {s for _, s in statuses}, statuses
    assert dict(statuses)[SHIPPED] == 'At Customer', statuses
    not_in_inventory = len(statuses)
    shot('serials-not-in-inventory')

    _domain_tab(tab, 'All').get_by_role('tab').click()
    # Drawn again: in-stock serials are back
    expect(_cell(status_cells, 'In Stock').first).to_be_attached()
    rows = _load_all_rows(tab)
    statuses = _statuses(number_cells, status_cells)
    assert len(statuses) == in_stock_count + not_in_inventory, (
        "All lists %d serials, In Stock %d + Not in Inventory %d" % (
            len(statuses), in_stock_count, not_in_inventory))
    assert dict(statuses)[SHIPPED] == 'At Customer', statuses
    _cell(number_cells, SHIPPED).scroll_into_view_if_needed()
    shot('serials-all')
    problems.check(page, "filtering Serials by status")

    # 4. The shipped unit's form and its events
    # (double click on the number: a click on the product link would open
    # the product)
    _cell(number_cells, SHIPPED).dblclick()
    form = tab.locator('.form').first
    expect(form.locator('input[name="number"]')).to_have_value(SHIPPED)
    expect(form.locator('select[name="status"] option:checked')
        ).to_have_text('At Customer')
    expect(form.locator('select[name="inventory"] option:checked')
        ).to_have_text('Serial not in inventory')
    notebook = form.locator('.form-notebook').first
    notebook.get_by_role('tab', name='Events', exact=True).click()
    events = notebook.locator('.tab-pane.active .form-one2many').first
    event_rows = events.locator('.treeview tbody tr:not(.more-row)')
    expect(event_rows).to_have_count(len(SHIPPED_EVENTS))
    text = events.locator('.treeview tbody').inner_text()
    for step in SHIPPED_EVENTS:
        assert step in text, "%r not in the events of %s:\n%s" % (
            step, SHIPPED, text)
    shot('serial-form')
    problems.check(page, "opening the form of %s" % SHIPPED)
