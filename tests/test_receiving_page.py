# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Browser test of the receiving page on the demo database.

An ASN derived from data/asn/ubl_despatch_advice.xml (the demo receives
the original: same supplier and products, another number and serials) is
imported with `serial-mes asn import`; an API key for the application
serial_mes_receiving is created in the database; `serial-mes serve` runs in
a subprocess and Playwright drives Debian's Chromium (never a browser
downloaded by Playwright) like a keyboard-wedge scanner: the key (a wrong
one first), the ASN number, then GS1 element strings with and without
group separators, a Digital Link, the bracketed form and a plain serial,
one duplicate, unexpected parts accepted as extra (scanned again, or the
button) and one rejected, an invalid code, a serial already in stock
elsewhere and a wrong product; two unlabelled parts numbered in the page
(their labels' PDF checked) and scanned; then Finish receipt.  The report and the
serials' statuses in the database (`serial-mes serial show --json`) are
checked.  Screenshots go to test-output/receiving-*.png."""
import base64
import io
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, serve

ASN = os.path.join(ROOT, 'data', 'asn', 'ubl_despatch_advice.xml')
DESKTOP = {'width': 1280, 'height': 1000}
PHONE = {'width': 390, 'height': 844}
TIMEOUT = 20_000  # ms, for every wait on the page
TOUCH = 48  # px, the smallest control

GS = '\x1d'
MB = '09506000140100'  # Motherboard ATX B760
CASE = '09506000140155'  # Case midi tower
CPU = '09506000140117'  # CPU 8-core 65 W: not on the shipment
UNKNOWN_GTIN = '09506000149998'  # no product of the demo
# The derived ASN: number and serials of the sample changed
ASN_NUMBER = 'AST-DA-2024-0942'
REPLACE = [
    ('AST-DA-2024-0311', ASN_NUMBER),
    ('PO-2024-0822', 'PO-2024-0901'),  # the demo's open board order
    ('AB760-2403X01', 'AB760-2409T01'),
    ('ACM-00008', 'ACM-00058'),
    ('ACM-00009', 'ACM-00059'),
    ]
MB_SERIALS = ['AB760-2409T01%s' % n for n in ['01', '02', '03', '04', '17',
        '18']]
CASE_SERIALS = ['ACM-00058%s' % n for n in ['01', '02', '03', '04']] + [
    'ACM-00059%s' % n for n in ['11', '12']]
MB_EXTRA = 'AB760-2409T0999'  # not on the ASN, accepted by scanning again
CASE_EXTRA = 'ACM-0005998'  # not on the ASN, accepted with the button
CASE_REJECTED = 'ACM-0005999'  # not on the ASN, rejected
DEMO_RECEIVED = 'AB760-2403X0101'  # received by the demo: elsewhere

sync_api = pytest.importorskip('playwright.sync_api',
    reason="playwright is not installed (pip install -r "
    "requirements-test.txt)")
expect = sync_api.expect
pypdf = pytest.importorskip('pypdf',
    reason="pypdf is not installed (pip install -r requirements-test.txt)")

KEY_SCRIPT = '''\
import json, sys
from serial_mes import database
database.configure()
with database.session(sys.argv[1]) as pool:
    User = pool.get('res.user')
    Application = pool.get('res.user.application')
    admin, = User.search([('login', '=', 'admin')])
    application, = Application.create([{
        'user': admin.id,
        'application': 'serial_mes_receiving',
        'state': 'validated',
        }])
    print(json.dumps({'key': application.key, 'state': application.state}))
'''


@pytest.fixture(scope='module')
def shipment(demo_db):
    "The derived ASN imported into a supplier shipment: its receipt status"
    with open(ASN, encoding='utf-8') as file:
        text = file.read()
    for old, new in REPLACE:
        assert old in text, old
        text = text.replace(old, new)
    path = os.path.join(demo_db.var, 'asn-receiving-page.xml')
    with open(path, 'w', encoding='utf-8') as file:
        file.write(text)
    result = demo_db('asn', 'import', path, '--json', check=True)
    status = json.loads(result.stdout)
    assert status['created'], status
    assert status['shipment']['asn'] == ASN_NUMBER
    assert {(l['gtin'], l['expected']) for l in status['lines']} == {
        (MB, 6), (CASE, 6)}, status['lines']
    return status


@pytest.fixture(scope='module')
def api_key(demo_db):
    "A validated user-application key of admin for serial_mes_receiving"
    result = subprocess.run([sys.executable, '-c', KEY_SCRIPT,
            demo_db.database], env=demo_db.env, cwd=ROOT,
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer['state'] == 'validated' and answer['key'], answer
    return answer['key']


@pytest.fixture(scope='module')
def page_url(demo_db):
    "URL of the receiving page of `serial-mes serve` on a free port"
    with serve(demo_db, '/%s/serial_mes/receiving' % demo_db.database) as (
            url):
        yield url


class Problems:
    """What went wrong in the page: uncaught errors, console errors, HTTP
    errors other than the 401s expected (expect_401 counts them)"""

    def __init__(self, page):
        self.items = []
        self.unauthorized = 0
        self.refusals = []  # (status, method) of answers a step expects
        page.on('pageerror', lambda error: self.items.append(
                'page error: %s' % error))
        page.on('console', self._console)
        page.on('response', self._response)
        page.on('requestfailed', lambda request: self.items.append(
                'request failed: %s %s (%s)' % (request.method, request.url,
                    request.failure)))

    def _console(self, message):
        # "Failed to load resource" duplicates the responses checked below
        if (message.type == 'error'
                and not message.text.startswith('Failed to load resource')):
            self.items.append('console error: %s' % message.text)

    def _response(self, response):
        if response.status == 401:
            self.unauthorized += 1
        elif (response.status, response.request.method) in self.refusals:
            self.refusals.remove((response.status, response.request.method))
        elif response.status >= 400:
            self.items.append('HTTP %s for %s %s' % (response.status,
                    response.request.method, response.url))

    def check(self, step, unauthorized=0):
        assert not self.items, "receiving page problems %s:\n%s" % (
            step, '\n'.join(self.items))
        assert self.unauthorized == unauthorized, (
            "%s answers 401 %s, expected %s" % (
                self.unauthorized, step, unauthorized))


class Dock:
    "The receiving page driven like a keyboard-wedge scanner"

    def __init__(self, page, shot):
        self.page = page
        self.shot = shot
        self.banner = page.locator('#banner')
        self.scan_input = page.locator('#scan')

    def seq(self):
        return int(self.banner.get_attribute('data-seq'))

    def wait_answer(self, seq, results):
        "Wait for the banner to show an answer after seq, one of results"
        self.page.wait_for_function("""([seq, pending]) => {
                const banner = document.getElementById('banner');
                return +banner.dataset.seq > seq
                    && !pending.includes(banner.dataset.result);
            }""", arg=[seq, ['opening', 'finishing']])
        result = self.banner.get_attribute('data-result')
        assert result in results, "expected %s, banner shows %s: %s" % (
            results, result, ' '.join(self.banner.inner_text().split()))
        return result

    def assert_focus(self, step):
        focused = self.page.evaluate('document.activeElement.id')
        assert focused == 'scan', "the scanner input lost the focus %s "\
            "(to #%s)" % (step, focused)

    def scan(self, *parts, result):
        """Type the parts (str, or ('press', KEY)) then Enter, as a wedge
        scanner does; check the answer"""
        self.assert_focus("before scanning %r" % (parts,))
        seq = self.seq()
        for part in parts:
            if isinstance(part, tuple):
                self.page.keyboard.press(part[1])
            else:
                self.page.keyboard.type(part)
        self.page.keyboard.press('Enter')
        self.wait_answer(seq, [result])
        self.assert_focus("after scanning %r" % (parts,))
        return self.banner.inner_text()

    def click(self, selector, result):
        seq = self.seq()
        self.page.locator(selector).click()
        self.wait_answer(seq, [result])
        self.assert_focus("after clicking %s" % selector)

    def totals(self):
        return {name: int(self.page.locator('#total-%s' % name).inner_text())
            for name in ['expected', 'scanned', 'missing', 'unexpected']}

    def lines(self):
        return self.page.locator('#lines tbody tr').evaluate_all(
            """rows => rows.map(row => [...row.cells].map(
                cell => cell.textContent.trim()))""")


def _table(page, selector):
    return page.locator(selector + ' tbody tr').evaluate_all(
        """rows => rows.map(row => [...row.cells].map(
            cell => cell.textContent.trim()))""")


def _log(page):
    "[code, result] of the recent scans, newest first"
    return page.locator('#log li').evaluate_all(
        """items => items.map(item => [
            item.querySelector('.log-code').textContent,
            item.querySelector('.log-result').textContent])""")


def _small_controls(page):
    "Visible buttons and inputs under TOUCH px high or wide"
    return page.evaluate("""touch => [...document.querySelectorAll(
            'button, input')].filter(e => e.offsetParent !== null)
        .map(e => [e.id || e.textContent.trim(),
            e.getBoundingClientRect()])
        .filter(([, r]) => r.height < touch || r.width < touch)
        .map(([id, r]) => id + ' ' + r.width + 'x' + r.height)""", TOUCH)


def _call(url, key, body=None):
    "(status, JSON answer) of a POST of body, or of a GET without body"
    request = urllib.request.Request(url, headers={
            'Authorization': 'Bearer %s' % key,
            'Content-Type': 'application/json'},
        data=None if body is None else (
            body if isinstance(body, bytes) else json.dumps(body).encode()))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            data = response.read()
            return response.status, (json.loads(data) if (
                    response.headers.get_content_type()
                    == 'application/json') else data)
    except urllib.error.HTTPError as error:
        data = error.read()
        try:
            return error.code, json.loads(data)
        except ValueError:
            return error.code, {'raw': data}


def test_receiving_routes_refuse_bad_input(page_url, shipment, api_key,
        demo_db):
    "Numbering and labels: every bad request answers a clear error"
    base = page_url[:-len('/receiving')] + '/receiving/%d' % (
        shipment['shipment']['id'])
    before = shipment['lines']
    for body, error in [
            ({'product': MB, 'count': 0}, '1 to 1000'),
            ({'product': MB, 'count': 1001}, '1 to 1000'),
            ({'product': MB, 'count': '2'}, 'whole number'),
            ({'product': MB, 'count': True}, 'whole number'),
            ({'product': MB}, 'whole number'),
            ({'product': 'NO-SUCH-PRODUCT', 'count': 1}, 'Unknown product'),
            ({'product': '', 'count': 1}, 'Unknown product'),
            ({'product': ['x'], 'count': 1}, 'Unknown product'),
            ({'product': 'X' * 5000, 'count': 1}, 'Unknown product'),
            ({'product': 'PC-PRO', 'count': 1}, 'created in production'),
            (b'{"product": "MB-B760", "count": 1', 'malformed JSON'),
            (b'\xff\xfe', 'malformed JSON'),
            (b'[]', 'JSON object'),
            ]:
        status, answer = _call(base + '/generate', api_key, body)
        assert status == 400 and error in answer['error'], (body, answer)
    status, answer = _call(base[:base.rindex('/')] + '/999999/generate',
        api_key, {'product': MB, 'count': 1})
    assert status == 404 and 'unknown shipment' in answer['error'], answer
    # labels of serials of this shipment only
    for query, code, error in [
            ('', 400, 'ids separated'),
            ('?lots=abc', 400, 'ids separated'),
            ('?lots=1,,2', 400, 'ids separated'),
            ('?lots=' + ','.join(['1'] * 1001), 400, '1 to 1000'),
            ('?lots=1', 404, 'not on shipment'),
            ]:
        status, answer = _call(base + '/labels' + query, api_key)
        assert status == code and error in answer['error'], (query, answer)
    status, answer = _call(base[:base.rindex('/')] + '/999999/labels?lots=1',
        api_key)
    assert status == 404 and 'unknown shipment' in answer['error'], answer
    status, _ = _call(base + '/labels?lots=1', 'not-a-key')
    assert status == 401
    # nothing was written: the shipment's lines are as imported
    status, answer = _call(page_url[:-len('/receiving')] +
        '/receiving/open', api_key, {'code': ASN_NUMBER})
    assert status == 200 and answer['lines'] == before, answer


def test_receiving_page(page_url, shipment, api_key, demo_db, output_dir):
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed "
            "(scripts/install-chromium.sh)")
    expect.set_options(timeout=TIMEOUT)
    for name in os.listdir(output_dir):  # from an earlier run
        if name.startswith('receiving-') and name.endswith('.png'):
            os.remove(os.path.join(output_dir, name))

    def shot(page, name, full_page=False):
        page.screenshot(path=os.path.join(output_dir,
                'receiving-%s.png' % name), animations='disabled',
            full_page=full_page)

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
            headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=DESKTOP)
            page.set_default_timeout(TIMEOUT)
            try:
                _run(browser, page, page_url, api_key, shot)
            except BaseException:
                page.screenshot(path=os.path.join(output_dir,
                        'receiving-failure.png'))
                raise
        finally:
            browser.close()
    _check_database(demo_db)


def _run(browser, page, url, api_key, shot):
    problems = Problems(page)
    dock = Dock(page, shot)

    # 1. The page asks for the device key first; a wrong key is refused
    # when the first request is sent, and asked again
    page.goto(url)
    dialog = page.locator('#key-dialog')
    expect(dialog).to_be_visible()
    expect(page.locator('#key-input')).to_be_focused()
    shot(page, 'key')
    page.locator('#key-input').fill('not-a-key')
    page.get_by_role('button', name='Save key').click()
    expect(dialog).to_be_hidden()
    dock.assert_focus("after saving the key")
    expect(page.locator('#step-number')).to_have_text('1')
    seq = dock.seq()
    page.keyboard.type(ASN_NUMBER)
    page.keyboard.press('Enter')
    expect(dialog).to_be_visible()
    expect(page.locator('#key-reason')).to_contain_text('refused')
    page.locator('#key-input').fill(api_key)
    page.get_by_role('button', name='Save key').click()
    # the open request is sent again with the new key
    dock.wait_answer(seq, ['opened'])
    dock.assert_focus("after opening the shipment")
    stored = page.evaluate("Object.entries(localStorage)")
    assert [v for k, v in stored if k.startswith(
            'serial_mes.receiving.key.')] == [api_key], stored
    problems.check("opening the shipment", unauthorized=1)

    # 2. The shipment, its lines: 6 + 6 expected, nothing scanned
    expect(page.locator('#step-number')).to_have_text('2')
    expect(page.locator('#shipment-info')).to_contain_text(ASN_NUMBER)
    expect(page.locator('#shipment-info')).to_contain_text(
        'Asteria Boards Ltd')
    assert dock.totals() == {'expected': 12, 'scanned': 0, 'missing': 12,
        'unexpected': 0}
    assert sorted(row[1:] for row in dock.lines()) == [
        [MB, '6', '0', '6'], [CASE, '6', '0', '6']]
    assert _small_controls(page) == []
    # two serial products: the clerk may name the one of plain codes
    expect(page.locator('#plain-product-block')).to_be_visible()
    assert page.locator('#plain-product option').count() == 3
    shot(page, 'open')

    # 3. Scans in the forms scanners send
    # GS1 DataMatrix element string with symbology identifier
    text = dock.scan(']d201%s21%s' % (MB, MB_SERIALS[0]), result='matched')
    assert MB_SERIALS[0] in text and 'Motherboard' in text
    expect(dock.banner).to_have_class(re.compile(r'\bbanner-ok\b'))
    # GS1-128 with a lot, then the group separator as a character...
    dock.scan(']C101%s10CM2403-A%s21%s' % (CASE, GS, CASE_SERIALS[0]),
        result='matched')
    # ... and as the wedge scanner's Ctrl+]; the log shows where it was
    dock.scan(']d201%s10CM2403-A' % CASE, ('press', 'Control+BracketRight'),
        '21%s' % CASE_SERIALS[1], result='matched')
    assert [code for code, _ in _log(page)[:2]] == [
        ']d201%s10CM2403-A\u27e8GS\u27e921%s' % (CASE, CASE_SERIALS[1]),
        ']C101%s10CM2403-A\u27e8GS\u27e921%s' % (CASE, CASE_SERIALS[0]),
        ]
    # a GS1 Digital Link (QR code), the bracketed form, a plain serial
    dock.scan('https://id.gs1.org/01/%s/21/%s' % (MB, MB_SERIALS[1]),
        result='matched')
    dock.scan('(01)%s(21)%s' % (MB, MB_SERIALS[2]), result='matched')
    dock.scan(MB_SERIALS[3], result='matched')
    shot(page, 'matched')
    assert dock.totals() == {'expected': 12, 'scanned': 6, 'missing': 6,
        'unexpected': 0}

    # 4. A duplicate scan
    dock.scan(']d201%s21%s' % (MB, MB_SERIALS[0]), result='duplicate')
    expect(dock.banner).to_have_class(re.compile(r'\bbanner-warn\b'))
    assert dock.totals()['scanned'] == 6

    # 5. Unexpected parts: accept by scanning again, accept with the
    # button, reject
    extra = page.locator('#extra-actions')
    code = ']d201%s21%s' % (MB, MB_EXTRA)
    dock.scan(code, result='unexpected')
    expect(dock.banner).to_have_class(re.compile(r'\bbanner-warn\b'))
    expect(extra).to_be_visible()
    expect(page.locator('#accept-extra')).to_be_visible()
    expect(page.locator('#extra-code')).to_have_text(code)
    shot(page, 'unexpected')
    dock.scan(code, result='accepted_extra')
    expect(extra).to_be_hidden()
    expect(dock.banner).to_have_class(re.compile(r'\bbanner-ok\b'))

    dock.scan(']d201%s21%s' % (CASE, CASE_REJECTED), result='unexpected')
    expect(extra).to_be_visible()
    dock.click('#reject-extra', 'rejected')
    expect(extra).to_be_hidden()

    dock.scan('https://id.gs1.org/01/%s/21/%s' % (CASE, CASE_EXTRA),
        result='unexpected')
    dock.click('#accept-extra', 'accepted_extra')
    expect(extra).to_be_hidden()
    # a scan of another code clears a pending unexpected one
    dock.scan(']d201%s21%s' % (CASE, 'ACM-0005997'), result='unexpected')
    expect(extra).to_be_visible()

    # 6. Refused scans: red
    text = dock.scan(']d201%s21X1' % (MB[:-1] + '1'), result='invalid')
    expect(dock.banner).to_have_class(re.compile(r'\bbanner-bad\b'))
    expect(extra).to_be_hidden()
    dock.scan(']d201%s21%s' % (MB, DEMO_RECEIVED), result='elsewhere')
    expect(dock.banner).to_have_class(re.compile(r'\bbanner-bad\b'))
    dock.scan(']d201%s21HXC8-2409-0001' % CPU, result='wrong_product')
    expect(dock.banner).to_have_class(re.compile(r'\bbanner-bad\b'))
    shot(page, 'refused')

    # 7. Two more cases in a burst (the second scan is typed before the
    # first is answered: answered in order); two motherboards and two
    # cases stay missing
    seq = dock.seq()
    for serial in CASE_SERIALS[2:4]:
        page.keyboard.type(']d201%s21%s' % (CASE, serial))
        page.keyboard.press('Enter')
    page.wait_for_function(
        "seq => +document.getElementById('banner').dataset.seq >= seq + 2",
        arg=seq)
    logged = _log(page)[:2]
    assert logged == [
        [']d201%s21%s' % (CASE, CASE_SERIALS[3]),
            'matched · %s' % CASE_SERIALS[3]],
        [']d201%s21%s' % (CASE, CASE_SERIALS[2]),
            'matched · %s' % CASE_SERIALS[2]],
        ], logged
    dock.assert_focus("after a burst of scans")
    assert sorted(row[1:] for row in dock.lines()) == [
        [MB, '6', '5', '2'], [CASE, '6', '5', '2']]
    totals = dock.totals()
    assert totals['missing'] == 4 and totals['scanned'] == 10, totals
    log = page.locator('#log li')
    assert log.count() >= 18
    assert _small_controls(page) == []
    problems.check("scanning", unauthorized=1)

    # 7b. Two motherboards came without labels: numbered from the
    # sequence, their labels printed (a PDF of two pages), then scanned
    generated = _generate(page, dock, problems, MB, 2)
    for serial in generated:
        dock.scan(']C101%s21%s' % (MB, serial), result='matched')
    # beside the ASN they are extras: its expected counts stay
    assert sorted(row[1:] for row in dock.lines()) == [
        [MB, '6', '7', '2'], [CASE, '6', '5', '2']]
    totals = dock.totals()
    assert totals['missing'] == 4 and totals['scanned'] == 12, totals
    problems.check("numbering unlabelled parts", unauthorized=1)

    # A reload (or a tab closed by mistake) goes back to the shipment with
    # the key kept
    page.reload()
    dock.wait_answer(0, ['opened'])
    expect(page.locator('#key-dialog')).to_be_hidden()
    expect(page.locator('#step-number')).to_have_text('2')
    assert dock.totals() == totals
    dock.assert_focus("after a reload")

    # 8. The same shipment on a phone: one column, no sideways scrolling,
    # touch-sized controls
    phone = browser.new_page(viewport=PHONE, is_mobile=True,
        has_touch=True, device_scale_factor=2)
    try:
        phone.set_default_timeout(TIMEOUT)
        phone_problems = Problems(phone)
        phone.goto(url)
        phone.locator('#key-input').fill(api_key)
        phone.get_by_role('button', name='Save key').click()
        phone_dock = Dock(phone, shot)
        seq = phone_dock.seq()
        phone.keyboard.type(ASN_NUMBER)
        phone.keyboard.press('Enter')
        phone_dock.wait_answer(seq, ['opened'])
        assert phone_dock.totals() == totals
        phone_dock.scan(']d201%s21%s' % (CASE, CASE_SERIALS[0]),
            result='duplicate')
        width = phone.evaluate('document.documentElement.scrollWidth')
        assert width <= PHONE['width'], (
            "the page is %s px wide on a %s px phone" % (
                width, PHONE['width']))
        assert _small_controls(phone) == []
        expect(phone.locator('#lines th.col-gtin')).to_be_hidden()
        shot(phone, 'phone')
        phone_problems.check("on a phone")
    finally:
        phone.close()

    # 9. Finish: confirm, then the discrepancy report
    page.locator('#finish').click()
    confirm = page.locator('#confirm-finish')
    expect(confirm).to_be_visible()
    expect(page.locator('#confirm-text')).to_contain_text('4 missing')
    dock.assert_focus("asking to finish")
    shot(page, 'confirm')
    dock.click('#finish-now', 'finished')
    report = page.locator('#report')
    expect(report).to_be_visible()
    expect(page.locator('#report-summary')).to_contain_text(
        '12 serials received')
    expect(page.locator('#report-summary')).to_contain_text('4 missing')
    missing = _table(page, '#report-missing')
    assert sorted(serial for _, serial in missing) == sorted(
        MB_SERIALS[4:] + CASE_SERIALS[4:]), missing
    assert {product for product, _ in missing} == {
        '[MB-B760] Motherboard ATX B760', '[CASE-MID] Case midi tower'}
    codes = [row[0] for row in _table(page, '#report-unexpected')]
    assert ']d201%s21%s' % (CASE, CASE_REJECTED) in codes, codes
    assert ']d201%s21HXC8-2409-0001' % CPU in codes, codes
    expect(page.locator('#progress')).to_be_hidden()  # the report instead
    expect(page.locator('#shipment-state')).to_have_text('received')
    # back to step 1 for the next shipment
    expect(page.locator('#step-number')).to_have_text('1')
    expect(page.locator('#finish')).to_be_hidden()
    dock.assert_focus("after finishing")
    shot(page, 'report', full_page=True)

    # 10. The finished shipment cannot be scanned again
    seq = dock.seq()
    page.keyboard.type(ASN_NUMBER)
    page.keyboard.press('Enter')
    dock.wait_answer(seq, ['closed'])
    expect(page.locator('#step-number')).to_have_text('1')
    problems.check("finishing", unauthorized=1)


# A supplier shipment without ASN: the delivery note's number as its
# reference, two motherboards awaited without serial (the only product on
# it whose serials are scanned at receipt), ten power supplies whose
# serials are registered later (SNII: by quantity), and the number of a
# purchase order of the demo
NO_ASN_SCRIPT = '''\
import json, sys
from serial_mes import database
database.configure()
with database.session(sys.argv[1]) as pool:
    Party = pool.get('party.party')
    Location = pool.get('stock.location')
    Product = pool.get('product.product')
    Purchase = pool.get('purchase.purchase')
    ShipmentIn = pool.get('stock.shipment.in')
    Move = pool.get('stock.move')
    supplier, = Party.search([('name', '=', 'Asteria Boards Ltd')])
    warehouse, = Location.search([('type', '=', 'warehouse')], limit=1)
    board, = Product.search([('code', '=', 'MB-B760')])
    psu, = Product.search([('code', '=', 'PSU-650')])
    shipment = ShipmentIn(supplier=supplier, warehouse=warehouse,
        reference='DN-AST-4711')
    shipment.on_change_warehouse()
    shipment.save()
    Move.create([{'product': product.id, 'quantity': quantity,
        'unit': product.default_uom.id, 'shipment': str(shipment),
        'from_location': shipment.supplier_location.id,
        'to_location': shipment.warehouse_input.id,
        'unit_price': product.cost_price,
        'currency': shipment.company.currency.id}
        for product, quantity in [(board, 2), (psu, 10)]])
    purchase, = Purchase.search([('number', '!=', None)], limit=1)
    print(json.dumps({'number': shipment.number, 'id': shipment.id,
        'purchase': purchase.number}))
'''


def _counts(demo_db):
    "Serials, moves and events in the demo database"
    script = (
        "import sys\n"
        "from serial_mes import database\n"
        "database.configure()\n"
        "with database.session(sys.argv[1], readonly=True) as pool:\n"
        "    print([pool.get(m).search_count([]) for m in ["
        "'stock.lot', 'stock.move', 'serial_mes.event']])\n")
    result = subprocess.run([sys.executable, '-c', script,
            demo_db.database], env=demo_db.env, cwd=ROOT,
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def test_receiving_without_asn(page_url, api_key, demo_db, output_dir):
    """Issue 14 item 1: paperwork scanned at the dock on a shipment
    without ASN (its delivery note, a product code, a GTIN, a purchase
    order) is refused and creates nothing; a real label is received, a
    plain serial of the only product is created once confirmed; garbage
    is told in words and offered nothing (item 2); the counts (item 3)"""
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed "
            "(scripts/install-chromium.sh)")
    expect.set_options(timeout=TIMEOUT)
    result = subprocess.run([sys.executable, '-c', NO_ASN_SCRIPT,
            demo_db.database], env=demo_db.env, cwd=ROOT,
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    created = json.loads(result.stdout.strip().splitlines()[-1])

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
            headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=DESKTOP)
            page.set_default_timeout(TIMEOUT)
            try:
                _run_without_asn(page, page_url, api_key, demo_db, created,
                    output_dir)
            except BaseException:
                page.screenshot(path=os.path.join(output_dir,
                        'receiving-no-asn-failure.png'))
                raise
        finally:
            browser.close()


def _run_without_asn(page, url, api_key, demo_db, created, output_dir):
    problems = Problems(page)
    dock = Dock(page, None)
    page.goto(url)
    page.locator('#key-input').fill(api_key)
    page.get_by_role('button', name='Save key').click()
    seq = dock.seq()
    page.keyboard.type('DN-AST-4711')  # opened by the delivery note
    page.keyboard.press('Enter')
    dock.wait_answer(seq, ['opened'])
    expect(page.locator('#shipment-asn')).to_have_text('no ASN')
    assert dock.totals() == {'expected': 2, 'scanned': 0, 'missing': 2,
        'unexpected': 0}
    # the power supplies: by quantity, said in words (issue 14 item 3)
    expect(page.locator('#total-by-quantity')).to_have_text('10')
    expect(page.locator('#total-by-quantity')).to_be_visible()
    psu, = [row for row in dock.lines() if 'Power supply' in row[0]]
    assert psu[2:] == ['0' + '10 by quantity, serials registered later',
        '0', '0'], psu
    expect(dock.banner).to_contain_text(
        '10 by quantity, serials registered later')
    # one product's serials only: no choice of product for plain codes
    expect(page.locator('#plain-product-block')).to_be_hidden()
    extra = page.locator('#extra-actions')
    before = _counts(demo_db)

    # paperwork is never a serial, nothing is offered for it
    for code, words in [
            ('DN-AST-4711', 'reference of shipment'),
            (created['number'] or 'DN-AST-4711', 'reference of shipment'),
            ('MB-B760', 'code or GTIN'),
            (MB, 'code or GTIN'),
            (MB[1:], 'code or GTIN'),
            (created['purchase'], 'purchase order'),
            ]:
        text = dock.scan(code, result='invalid')
        assert words in text, (code, text)
        assert 'ASN' not in text and 'again' not in text, text
        expect(extra).to_be_hidden()
    assert _counts(demo_db) == before
    assert dock.totals() == {'expected': 2, 'scanned': 0, 'missing': 2,
        'unexpected': 0}

    # one real label: received
    text = dock.scan(']d201%s21AB760-2412N0001' % MB, result='accepted_extra')
    assert 'Received' in text and 'extra' not in text.lower(), text
    assert dock.totals()['scanned'] == 1
    after_label = _counts(demo_db)
    # the case: after a real label the purchase order and the
    # GTIN are still refused
    for code in [created['purchase'], MB, 'x', 'hello world!!']:
        text = dock.scan(code, result='invalid')
        assert 'ASN' not in text and 'again' not in text, text
        assert 'pattern' not in text, text
        expect(extra).to_be_hidden()
    assert 'capital letters' in text, text
    assert _counts(demo_db) == after_label

    # a plain serial of the only serial product: confirmed first
    text = dock.scan('AB760-2412N0002', result='confirm')
    assert 'Motherboard' in text, text
    expect(extra).to_be_visible()
    expect(page.locator('#accept-extra')).to_have_text('Create serial')
    assert _counts(demo_db) == after_label
    page.screenshot(path=os.path.join(output_dir,
            'receiving-no-asn-confirm.png'))
    dock.click('#accept-extra', 'created')
    expect(extra).to_be_hidden()
    assert dock.totals() == {'expected': 2, 'scanned': 2, 'missing': 0,
        'unexpected': 0}
    # the same unknown part scanned three times is one unexpected
    for _ in range(3):
        dock.scan(']d201%s21XX-2412-0001' % UNKNOWN_GTIN,
            result='wrong_product')
    assert dock.totals()['unexpected'] == 1
    problems.check("scanning without ASN")

    page.locator('#finish').click()
    confirm = page.locator('#confirm-text')
    expect(confirm).to_contain_text('2 serials scanned of 2 expected')
    expect(confirm).to_contain_text('No serial is missing')
    expect(confirm).to_contain_text(
        '10 by quantity, serials registered later, received as counted')
    expect(confirm).to_contain_text('1 unexpected')
    dock.click('#finish-now', 'finished')
    expect(page.locator('#report-summary')).to_contain_text(
        '2 serials received + 10 by quantity · 0 missing · 1 unexpected')
    statuses = _statuses(demo_db, ['AB760-2412N0001', 'AB760-2412N0002'])
    assert set(statuses.values()) == {'in_stock'}, statuses
    problems.check("finishing without ASN")


def _generate(page, dock, problems, gtin, count):
    """Number count unlabelled parts of gtin in the page's panel; check
    the labels PDF; return the new serials"""
    page.locator('#generate-open').click()
    panel = page.locator('#generate')
    expect(panel).to_be_visible()
    # the panel's fields keep the focus while it is open
    expect(page.locator('#generate-product')).to_be_focused()
    page.locator('#generate-product').fill(gtin)
    page.locator('#generate-count').fill('0')
    problems.refusals.append((400, 'POST'))  # no serial for a count of 0
    seq = dock.seq()
    page.locator('#generate-now').click()
    dock.wait_answer(seq, ['error'])
    expect(dock.banner).to_contain_text('1 to 1000')
    assert problems.refusals == [], "the count of 0 was not refused"
    page.locator('#generate-count').fill(str(count))
    seq = dock.seq()
    page.locator('#generate-now').click()
    dock.wait_answer(seq, ['generated'])
    link = page.locator('#labels-link')
    expect(link).to_be_visible()
    # the PDF the link opens, read back in Python
    data = base64.b64decode(page.evaluate("""async href => {
            const response = await fetch(href);
            const bytes = new Uint8Array(await response.arrayBuffer());
            let text = '';
            bytes.forEach((byte) => { text += String.fromCharCode(byte); });
            return btoa(text);
        }""", link.get_attribute('href')))
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == count
    labels = [''.join(p.extract_text().split()) for p in reader.pages]
    detail = page.locator('#banner-detail').inner_text()
    serials = [s.strip() for s in detail.split('\u2026')]
    assert len(serials) == 2 and all(serials), detail
    # each page, a label: (01) GTIN (21) serial in the human-readable line
    assert all('(01)%s(21)%s' % (gtin, s) in label
        for label, s in zip(labels, serials)), labels
    dock.shot(page, 'generated')
    page.locator('#generate-back').click()
    expect(panel).to_be_hidden()
    dock.assert_focus("after numbering unlabelled parts")
    return serials


STATUS_SCRIPT = '''\
import json, sys
from serial_mes import database
database.configure()
with database.session(sys.argv[1], readonly=True) as pool:
    Lot = pool.get('stock.lot')
    lots = Lot.search([('number', 'in', sys.argv[2:])])
    print(json.dumps({l.number: l.status for l in lots}))
'''


def _show(demo_db, serial):
    "serial-mes serial show SERIAL --json, None when it does not exist"
    result = demo_db('serial', 'show', serial, '--json')
    if result.returncode:
        assert result.returncode == 2, result.stderr[-3000:]
        return None
    return json.loads(result.stdout)


def _statuses(demo_db, serials):
    "{number: status} of the serials that exist, in one session"
    result = subprocess.run([sys.executable, '-c', STATUS_SCRIPT,
            demo_db.database] + list(serials), env=demo_db.env, cwd=ROOT,
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _check_database(demo_db):
    received = MB_SERIALS[:4] + CASE_SERIALS[:4] + [MB_EXTRA, CASE_EXTRA]
    missing = MB_SERIALS[4:] + CASE_SERIALS[4:]
    rejected = [CASE_REJECTED, 'ACM-0005997']
    # through the command line: one serial of each kind
    for serial in [MB_SERIALS[0], CASE_EXTRA]:
        shown = _show(demo_db, serial)
        assert shown, "%s not found" % serial
        assert (shown['status'], shown['inventory']) == (
            'in_stock', 'SII'), (serial, shown)
        assert shown['location'], shown
    shown = _show(demo_db, MB_SERIALS[4])
    assert shown is None or shown['status'] != 'in_stock', shown
    assert _show(demo_db, CASE_REJECTED) is None, (
        "%s was rejected, yet it exists" % CASE_REJECTED)
    # all of them at once
    statuses = _statuses(demo_db, received + missing + rejected + [
            DEMO_RECEIVED])
    assert {s: statuses.get(s) for s in received} == {
        s: 'in_stock' for s in received}, statuses
    assert not [s for s in missing if statuses.get(s) == 'in_stock'], (
        statuses)
    assert not [s for s in rejected if s in statuses], statuses
    # scanned elsewhere: as it was (installed in a demo PC, or in stock)
    assert statuses[DEMO_RECEIVED] != 'expected', statuses
