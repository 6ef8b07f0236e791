#!/usr/bin/env python3
# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""ASN intake and dock scanning at scale, on PostgreSQL.

Generates a 10,000-serial EDIFACT DESADV and a 10,000-serial UBL despatch
advice (and the same UBL again delivering a purchase order), then prints serials per second for parsing and for importing each
into a supplier shipment, and the server-side time per scan (median and
95th percentile over SCANS scans) through the receiving route, called
in-process with werkzeug's test client (no network). Figures are printed,
never asserted.

    .venv/bin/python tests/bench/bench_asn.py [--serials 10000] [--scans 2000]
"""
import argparse
from decimal import Decimal
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))))

GTIN = '9506000140100'
SUPPLIER_GLN = '9506000200002'


def desadv(count, prefix='BD'):
    serials = ["%s%07d" % (prefix, i) for i in range(count)]
    segments = [
        "UNH+1+DESADV:D:96A:UN:EAN005",
        "BGM+351+DA-BENCH-%s+9" % prefix,
        "DTM+137:20240312:102",
        "NAD+SU+%s::9++Asteria Boards Ltd" % SUPPLIER_GLN,
        "CPS+1",
        "LIN+1++%s:EN" % GTIN,
        "QTY+12:%d:PCE" % count,
        ]
    for i in range(0, count, 5):
        segments.append("GIN+BN+" + "+".join(serials[i:i + 5]))
    segments.append("CNT+2:1")
    segments.append("UNT+%d+1" % (len(segments) + 1))
    text = ("UNA:+.? 'UNB+UNOC:3+%s:14+9506000100005:14+240312:1435+B1'"
        % SUPPLIER_GLN + "'".join(segments) + "'UNZ+1+B1'")
    return text.encode('latin-1')


def ubl(count, prefix='BU', order=None):
    instances = ''.join(
        '<cac:ItemInstance><cbc:SerialID>%s%07d</cbc:SerialID>'
        '</cac:ItemInstance>' % (prefix, i) for i in range(count))
    return ('''<?xml version="1.0" encoding="UTF-8"?>
<DespatchAdvice xmlns="urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:UBLVersionID>2.1</cbc:UBLVersionID>
<cbc:ID>DA-BENCH-%(prefix)s</cbc:ID>
<cbc:IssueDate>2024-03-20</cbc:IssueDate>
%(order)s<cac:DespatchSupplierParty><cac:Party>
<cbc:EndpointID schemeID="0088">%(gln)s</cbc:EndpointID>
<cac:PartyName><cbc:Name>Asteria Boards Ltd</cbc:Name></cac:PartyName>
</cac:Party></cac:DespatchSupplierParty>
<cac:DeliveryCustomerParty><cac:Party>
<cac:PartyName><cbc:Name>Northwind</cbc:Name></cac:PartyName>
</cac:Party></cac:DeliveryCustomerParty>
<cac:DespatchLine><cbc:ID>1</cbc:ID>
<cbc:DeliveredQuantity unitCode="H87">%(count)d</cbc:DeliveredQuantity>
<cac:OrderLineReference><cbc:LineID>10</cbc:LineID></cac:OrderLineReference>
<cac:Item><cbc:Name>Motherboard</cbc:Name>
<cac:StandardItemIdentification><cbc:ID schemeID="0160">0%(gtin)s</cbc:ID>
</cac:StandardItemIdentification>%(instances)s</cac:Item>
</cac:DespatchLine></DespatchAdvice>''' % {'prefix': prefix,
            'gln': SUPPLIER_GLN, 'count': count, 'gtin': GTIN,
            'instances': instances,
            'order': ('<cac:OrderReference><cbc:ID>%s</cbc:ID>'
                '</cac:OrderReference>' % order) if order else '',
            }).encode('utf-8')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--serials', type=int, default=10000)
    parser.add_argument('--scans', type=int, default=2000)
    parser.add_argument('--database', default='serial_mes_bench_asn')
    parser.add_argument('--database-uri', default='postgresql:///')
    args = parser.parse_args()

    from serial_mes import database
    from serial_mes.asn import parse
    database.configure(args.database_uri)
    from common import fresh_database

    files = {'desadv': desadv(args.serials), 'ubl': ubl(args.serials),
        # the same, delivering a purchase order line of args.serials boards
        'ubl+po': ubl(args.serials, prefix='BP', order='PO-BENCH')}
    parse_rates = {}
    for name, data in files.items():
        start = time.perf_counter()
        asn = parse(data)
        elapsed = time.perf_counter() - start
        assert len(asn.lines[0].serials) == args.serials
        parse_rates[name] = args.serials / elapsed

    fresh_database(args.database, ['serial_mes', 'purchase'])

    def setup(pool):
        from serial_mes.tests.tools import create_product, create_rule
        Party = pool.get('party.party')
        Application = pool.get('res.user.application')
        User = pool.get('res.user')
        Purchase = pool.get('purchase.purchase')
        board = create_product("Motherboard", code='MB',
            rule=create_rule("Serial"), gtin=GTIN)
        board.template.purchasable = True
        board.template.purchase_uom = board.default_uom
        board.template.save()
        supplier, = Party.create([{'name': "Asteria Boards Ltd",
                    'addresses': [('create', [{}])],
                    'identifiers': [('create', [{'code': SUPPLIER_GLN}])]}])
        purchase = Purchase(party=supplier, number='PO-BENCH',
            invoice_address=supplier.addresses[0], invoice_method='manual',
            lines=[{'product': board, 'quantity': args.serials,
                    'unit': board.default_uom, 'unit_price': Decimal(1)}])
        purchase.save()
        Purchase.quote([purchase])
        Purchase.confirm([purchase])
        Purchase.process([purchase])
        admin, = User.search([('login', '=', 'admin')])
        application, = Application.create([{'user': admin.id,
                    'application': 'serial_mes_receiving'}])
        return application.key

    # run: processing the purchase locks it from the transaction's start
    key = database.run(args.database, setup)
    # as in production, a queue worker processes the purchase after the
    # import (core Tryton's processing of a 10,000-move purchase line takes
    # minutes: ModelStorage.__init__ checks every id of its batch for each
    # record); without one it would run before the import returns
    from trytond.config import config
    if not config.has_section('queue'):
        config.add_section('queue')
    config.set('queue', 'worker', 'True')

    import_rates, shipment_ids = {}, {}
    for name, data in files.items():
        start = time.perf_counter()
        shipment, created = database.run(args.database,
            lambda pool: pool.get('stock.shipment.in').import_asn(data, name))
        shipment_ids[name] = shipment.id
        import_rates[name] = args.serials / (time.perf_counter() - start)
        with database.session(args.database) as pool:
            Move = pool.get('stock.move')
            assert created and Move.search_count([
                    ('shipment', '=', 'stock.shipment.in,%d'
                        % shipment_ids[name])]) == args.serials

    from werkzeug.test import Client

    from trytond.wsgi import app
    client = Client(app)
    headers = {'Authorization': 'Bearer %s' % key}
    url = '/%s/serial_mes/receiving/%d/scan' % (args.database,
        shipment_ids['ubl'])
    times, results = [], {}
    for i in range(args.scans):
        code = ']C101%s21BU%07d' % ('0' + GTIN, i % args.serials)
        start = time.perf_counter()
        response = client.post(url, data=json.dumps({'code': code}),
            headers=headers, content_type='application/json')
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.get_data()
        result = json.loads(response.get_data())['result']
        results[result] = results.get(result, 0) + 1
    times.sort()

    for name in files:
        print("%-7s %d serials: parse %.0f serials/s, import %.0f serials/s"
            % (name, args.serials, parse_rates[name], import_rates[name]))
    print("scan through the route (%d scans on a %d-serial shipment, %s): "
        "median %.1f ms, p95 %.1f ms" % (args.scans, args.serials,
            ', '.join('%s %d' % r for r in sorted(results.items())),
            statistics.median(times), times[int(len(times) * 0.95) - 1]))


if __name__ == '__main__':
    main()
