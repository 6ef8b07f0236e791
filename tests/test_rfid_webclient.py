# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The RFID screens of the web client (sao) on the demo database, in
Debian's Chromium: Tags to Review shows the whole EPC and what it decodes
to, antennas show their read point's name, readers their windows in
seconds and when they were last seen (online or offline)."""
import datetime as dt
import json
import re
import subprocess
import sys

from conftest import ROOT
from test_webclient import (
    _active_tab, _browser, _rows, _start, expect, web_server)  # noqa: F401

# the board number of the supplier's range the demo never received: its
# tag is read on Rack A (data/rfid/make_demo_trace.py)
UNKNOWN_BOARD = '363BA052000DAEA0C26ED982D64D1833B0C1CB97200000000000'
SSCC = '3174257BF4499602D2000000'

IDLE_READER = r'''
import os
from serial_mes import database
database.configure()
with database.session(os.environ['RFID_DB']) as pool:
    Reader = pool.get('serial_mes.rfid.reader')
    if not Reader.search([('identifier', '=', 'idle-reader')]):
        Reader.create([{'name': 'Idle reader', 'identifier': 'idle-reader',
            'smoothing_window': 0.5, 'direction_window': 10}])
'''


def _open(page, serial_mes, name):
    "Serial MES > RFID > name: the tab of its list"
    menu = page.locator('#menu')
    entry = menu.get_by_text(name, exact=True)
    if not entry.is_visible():
        rfid = menu.locator('tr').filter(
            has=page.get_by_text('RFID', exact=True))
        if not rfid.is_visible():
            serial_mes.locator('.expander').click()
        rfid.locator('.expander').click()
    entry.click()
    tab = _active_tab(page).filter(has=page.locator('.title-long',
            has_text='Serial MES / RFID / %s' % name))
    expect(tab).to_have_count(1)
    page.wait_for_load_state('networkidle')
    return tab, tab.locator('.toolbar .navbar-text .badge').first


def test_webclient_rfid(web_server, demo_db, output_dir):  # noqa: F811
    # a batch just now from the line portal (an unknown board, an SSCC),
    # read after the demo's trace (which may end up to a minute ahead);
    # a reader that sent none
    now = (dt.datetime.now(dt.timezone.utc)
        + dt.timedelta(minutes=10)).isoformat()
    batch = {'batch': 'webclient-%s' % web_server.split(':')[-1],
        'reader': 'line-portal', 'reads': [{'epc': epc, 'antenna': 1,
                'time': now} for epc in [UNKNOWN_BOARD, SSCC]]}
    path = '%s/webclient-batch.json' % demo_db.var
    with open(path, 'w') as file:
        json.dump(batch, file)
    demo_db('rfid', 'ingest', path, check=True)
    idle = subprocess.run([sys.executable, '-c', IDLE_READER],
        env=dict(demo_db.env, RFID_DB=demo_db.database), cwd=ROOT,
        capture_output=True, text=True, timeout=300)
    assert idle.returncode == 0, idle.stderr[-3000:]

    with _browser(output_dir, 'rfid') as (
            page, problems, preferences, shot):
        _, serial_mes = _start(page, web_server, demo_db, problems,
            preferences)

        # Tags to Review: the whole EPC, its GTIN, serial and antenna
        tab, counter = _open(page, serial_mes, 'Tags to Review')
        rows = _rows(tab, counter, ('EPC', 'Kind'),
            lambda rows: {UNKNOWN_BOARD, SSCC} <= {r['EPC'] for r in rows},
            "Tags to Review")
        board, = [r for r in rows if r['EPC'] == UNKNOWN_BOARD]
        assert (board['GTIN'], board['Serial'], board['Kind']) == (
            '09506000140100', 'AB760-2403X0999', 'No Matching Serial'), board
        assert board['Last Antenna'] == (
            'Assembly line portal / Line entry'), board
        sscc, = [r for r in rows if r['EPC'] == SSCC]
        assert (sscc['GTIN'], sscc['Serial']) == ('', ''), sscc
        # drawn whole: no cell of the EPC column is cut
        cut = tab.evaluate("""root => [...root.querySelectorAll(
                '.treeview tbody td')].filter(td => td.textContent.trim()
                .match(/^[0-9A-F]{24,}$/)).filter(
                td => td.scrollWidth > td.clientWidth + 1).map(
                td => td.textContent.trim())""")
        assert not cut, "EPCs cut in the list: %s" % cut
        shot('rfid-review')
        problems.check(page, "opening Tags to Review")

        # Antennas: the read point's name
        tab, counter = _open(page, serial_mes, 'Antennas')
        rows = _rows(tab, counter, ('Reader', 'Read Point'), lambda rows: True,
            "Antennas")
        points = {r['Name']: r['Read Point'] for r in rows}
        assert points['Line entry'] == '[PROD] Production', points
        assert points['Dock 1 outside'] == '[OUT] Output Zone', points
        assert not [p for p in points.values() if ',' in p], points
        shot('rfid-antennas')
        problems.check(page, "opening Antennas")

        # Readers: windows in seconds, last seen, online or offline
        tab, counter = _open(page, serial_mes, 'Readers')
        rows = _rows(tab, counter, ('Name', 'State'), lambda rows: True,
            "Readers")
        readers = {r['Name']: r for r in rows}
        portal = readers['Assembly line portal']
        assert portal['Smoothing Window (s)'] == '3', portal
        assert portal['State'] == 'Online', portal
        assert re.search(r'\d', portal['Last Seen']), portal
        assert re.search(r'\d', portal['Time']), portal
        idle = readers['Idle reader']
        assert idle['Smoothing Window (s)'] == '0.5', idle
        assert (idle['State'], idle['Last Seen'], idle['Time']) == (
            'Offline', '', ''), idle
        shot('rfid-readers')
        problems.check(page, "opening Readers")
