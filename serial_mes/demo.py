# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The demo: a PC assembler's serials from receipt to the customer."""
import datetime as dt
import json
import os
import time
from decimal import Decimal

from trytond.transaction import Transaction

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
                __file__))), 'data', 'demo_pc_line.json')


def load_data(path=DATA):
    with open(path, encoding='utf-8') as file:
        return json.load(file)


def setup_company(pool, data):
    "The company, run as root; the admin user gets it"
    Party = pool.get('party.party')
    Company = pool.get('company.company')
    Currency = pool.get('currency.currency')
    User = pool.get('res.user')
    currency, = Currency.create([{
                'name': 'Euro', 'code': data['company']['currency'],
                'symbol': '€', 'numeric_code': '978',
                }])
    party, = Party.create([{'name': data['company']['name']}])
    company, = Company.create([{'party': party.id, 'currency': currency.id}])
    admin, = User.search([('login', '=', 'admin')])
    User.write([admin], {
            'companies': [('add', [company.id])],
            'company': company.id,
            })
    return company


def wait_whole_second():
    """Wait for the next whole second and return it in ISO format with its
    UTC offset: the server's clock is UTC (trytond sets TZ), so events
    recorded before the call are before it, those after, after it"""
    now = dt.datetime.now()
    moment = now.replace(microsecond=0) + dt.timedelta(seconds=1)
    while now < moment:
        time.sleep((moment - now).total_seconds())
        now = dt.datetime.now()
    return moment.replace(tzinfo=dt.timezone.utc).isoformat()


class Demo:
    "Each step uses the service layer the web client and the CLI use"

    def __init__(self, pool, data, log=print):
        self.pool = pool
        self.data = data
        self.log = log
        self.products = {}
        self.parties = {}
        self.summary = {'steps': []}

    def step(self, text):
        self.summary['steps'].append(text)
        self.log('- ' + text)

    def run(self):
        self.locations()
        self.master_data()
        self.receive()
        self.move_and_scrap()
        self.build_units(self.data.get('units', 2))
        self.repair()
        self.ship_unit()
        self.renumber_and_alias()
        return self.summarize()

    def locations(self):
        Location = self.pool.get('stock.location')
        self.warehouse, = Location.search([('type', '=', 'warehouse')],
            limit=1)
        self.supplier_location, = Location.search(
            [('type', '=', 'supplier')], limit=1)
        self.customer_location, = Location.search(
            [('type', '=', 'customer')], limit=1)
        self.scrap_location, = Location.search(
            [('type', '=', 'lost_found')], limit=1)
        self.rack, = Location.create([{
                    'name': "Rack A", 'code': 'RACK-A', 'type': 'storage',
                    'parent': self.warehouse.storage_location.id,
                    }])

    def master_data(self):
        pool = self.pool
        Rule = pool.get('serial_mes.tracking.rule')
        Sequence = pool.get('ir.sequence')
        SequenceType = pool.get('ir.sequence.type')
        ModelData = pool.get('ir.model.data')
        Category = pool.get('product.category')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        Party = pool.get('party.party')
        Bom = pool.get('production.bom')
        data = self.data

        for kind in ['suppliers', 'customers']:
            for values in data[kind]:
                party, = Party.create([{
                            'name': values['name'], 'code': values['code'],
                            'addresses': [('create', [{}])],
                            'identifiers': [('create', [{
                                            'code': values['gln']}])]
                            if values.get('gln') else [],
                            }])
                self.parties[values['code']] = party
        sequence_type = SequenceType(ModelData.get_id(
                'stock_lot', 'sequence_type_stock_lot'))
        rules = {}
        for values in data['tracking_rules']:
            values = dict(values)
            key = values.pop('key')
            prefix = values.pop('prefix', None)
            if values['tracking'] != 'none':
                sequence, = Sequence.create([{
                            'name': values['name'],
                            'sequence_type': sequence_type.id,
                            'prefix': prefix,
                            'padding': 5,
                            }])
                values['sequence'] = sequence.id
            rules[key], = Rule.create([values])
        self.step("created %d tracking rules" % len(rules))
        categories = {}
        for values in data['categories']:
            categories[values['name']], = Category.create([{
                        'name': values['name'],
                        'tracking_rule': rules[values['rule']].id,
                        }])
        unit, = Uom.search([('symbol', '=', 'u')], limit=1)
        for values in data['products']:
            template, = Template.create([{
                        'name': values['name'],
                        'code': values['code'],
                        'type': 'goods',
                        'default_uom': unit.id,
                        'list_price': Decimal(values['price']),
                        'categories': [
                            ('add', [categories[values['category']].id])],
                        'tracking_rule': (rules[values['rule']].id
                            if values.get('rule') else None),
                        'producible': values['key'] == 'pc',
                        'purchasable': bool(values.get('supplier')),
                        'purchase_uom': unit.id,
                        'products': [('create', [{
                                        'cost_price': (
                                            Decimal(values['price'])
                                            * Decimal('0.8')),
                                        'identifiers': [('create', [{
                                                        'type': 'ean',
                                                        'code': values['gtin'],
                                                        }])],
                                        }])],
                        }])
            self.products[values['key']], = template.products
        self.step("created %d products with GTINs in %d categories"
            % (len(self.products), len(categories)))
        self.product_suppliers()
        ProductBom = pool.get('product.product-production.bom')
        self.boms = {}
        for bom in data['boms']:
            output = self.products[bom['output']]
            Template.write([output.template], {'producible': True})
            self.boms[bom['output']], = Bom.create([{
                        'name': bom['name'],
                        'inputs': [('create', [{
                                        'product': self.products[k].id,
                                        'quantity': q, 'unit': unit.id,
                                        } for k, q in bom['inputs']])],
                        'outputs': [('create', [{
                                        'product': output.id,
                                        'quantity': 1, 'unit': unit.id,
                                        }])],
                        }])
            ProductBom.create([{'product': output.id,
                        'bom': self.boms[bom['output']].id}])
        self.step("created the bills of materials: %s" % ', '.join(
                b['name'] for b in data['boms']))

    def product_suppliers(self):
        "Each supplier's code of its products, as its ASNs name them"
        ProductSupplier = self.pool.get('purchase.product_supplier')
        company = Transaction().context['company']
        currency = self.pool.get('company.company')(company).currency
        product_suppliers = ProductSupplier.create([{
                    'template': self.products[v['key']].template.id,
                    'product': self.products[v['key']].id,
                    'party': self.parties[v['supplier']].id,
                    'code': v['supplier_code'],
                    'company': company,
                    'currency': currency.id,
                    } for v in self.data['products']
                if v.get('supplier_code')])
        self.product_supplier = {
            (s.party.id, s.product.id): s for s in product_suppliers}
        self.step("recorded the suppliers' item codes of %d products (the "
            "codes their ASNs use)" % len(product_suppliers))

    def _move(self, product, quantity, from_location, to_location, lot=None,
            price=True):
        Move = self.pool.get('stock.move')
        move = Move(product=product, quantity=quantity,
            unit=product.default_uom, from_location=from_location,
            to_location=to_location, lot=lot,
            company=Transaction().context['company'])
        if price:
            move.unit_price = product.cost_price
            move.currency = move.company.currency
        return move

    def receive(self):
        self.order()
        self.receive_asns()
        self.report_orders()
        self.receive_without_asn()

    def order(self):
        "Purchase orders, confirmed: the ASNs name them and deliver them"
        Purchase = self.pool.get('purchase.purchase')
        purchases = []
        for values in self.data.get('purchases', []):
            supplier = self.parties[values['supplier']]
            purchases.append(Purchase(party=supplier,
                    number=values['number'],
                    invoice_address=supplier.addresses[0],
                    # the demo company has no chart of accounts
                    invoice_method='manual',
                    lines=[self._purchase_line(supplier,
                            self.products[key], quantity)
                        for key, quantity in values['lines']]))
        Purchase.save(purchases)
        Purchase.quote(purchases)
        Purchase.confirm(purchases)
        Purchase.process(purchases)
        self.purchases = Purchase.browse(purchases)
        self.step("confirmed purchase orders %s" % ', '.join(
                p.number for p in self.purchases))

    def _purchase_line(self, supplier, product, quantity):
        Line = self.pool.get('purchase.line')
        return Line(product=product, quantity=quantity,
            unit=product.default_uom, unit_price=product.cost_price,
            product_supplier=self.product_supplier.get(
                (supplier.id, product.id)))

    def report_orders(self):
        "What each purchase order line received and still awaits"
        Purchase = self.pool.get('purchase.purchase')
        orders = {}
        for purchase in Purchase.browse(self.purchases):
            orders[purchase.number] = lines = []
            for line in purchase.line_lines:
                received = sum(m.quantity for m in line.moves
                    if m.state == 'done')
                lines.append({
                        'product': line.product.code,
                        'ordered': line.quantity,
                        'received': received,
                        'to_receive': line.quantity - received,
                        })
            self.step("purchase order %s: %s" % (purchase.number, ', '.join(
                        '%(product)s %(received)g of %(ordered)g received'
                        % l for l in lines)))
        self.summary['purchase_orders'] = orders

    def receive_asns(self):
        "ASNs imported, then every unit scanned at the dock"
        ShipmentIn = self.pool.get('stock.shipment.in')
        root = os.path.dirname(os.path.dirname(DATA))
        for asn in self.data['asn']:
            with open(os.path.join(root, asn['file']),
                    'rb') as file:
                data = file.read()
            shipment, _ = ShipmentIn.import_asn(data,
                os.path.basename(asn['file']))
            results = {}
            for move in shipment.incoming_moves:
                if not move.lot:
                    continue
                # the part's GS1-128 label as the scanner sends it: (21)
                # comes last, so no separator is needed
                code = ']C101%s21%s' % (move.product.gtin, move.lot.number)
                answer = ShipmentIn.scan_receipt(ShipmentIn(shipment.id),
                    code)
                results[answer['result']] = results.get(
                    answer['result'], 0) + 1
            report = ShipmentIn.finish_receipt(ShipmentIn(shipment.id))
            ShipmentIn.do([ShipmentIn(shipment.id)])
            self.step("imported %s ASN %s from %s and scanned its %d "
                "serials at the dock (%s); put away to storage" % (
                    shipment.asn_format, shipment.asn_number,
                    shipment.supplier.name, report['received'],
                    ', '.join('%s %d' % r for r in sorted(results.items()))))

    def receive_without_asn(self):
        "No ASN: serials numbered at receipt, supplier serials as aliases"
        pool = self.pool
        Lot = pool.get('stock.lot')
        Alias = pool.get('serial_mes.alias')
        ShipmentIn = pool.get('stock.shipment.in')
        by_asn = {p for a in self.data['asn'] for p in a['products']}
        by_supplier = {}
        for values in self.data['products']:
            if values.get('supplier') and values['key'] not in by_asn:
                by_supplier.setdefault(values['supplier'], []).append(values)
        count = 0
        for code, lines in by_supplier.items():
            supplier = self.parties[code]
            moves = []
            for values in lines:
                product = self.products[values['key']]
                if values.get('receive'):
                    lots = Lot.create_serials(product,
                        count=values['receive'], source='scan')
                    Alias.create([{
                                'lot': lot.id, 'type': 'supplier',
                                'party': supplier.id,
                                'value': 'S%s%06d' % (
                                    product.code.replace('-', ''),
                                    lot.id * 7919),
                                } for lot in lots])
                    moves.extend(self._move(product, 1,
                            self.supplier_location,
                            self.warehouse.input_location, lot=lot)
                        for lot in lots)
                    count += len(lots)
                else:
                    moves.append(self._move(product,
                            values['receive_quantity'],
                            self.supplier_location,
                            self.warehouse.input_location))
            shipment = ShipmentIn(supplier=supplier,
                warehouse=self.warehouse, incoming_moves=moves,
                company=Transaction().context['company'])
            shipment.on_change_warehouse()
            shipment.save()
            # received as the dock does, without purchase order
            with Transaction().set_context(
                    _serial_mes_receipt=[str(shipment)]):
                ShipmentIn.receive([shipment])
            ShipmentIn.do([shipment])
        self.step("received %d serials without ASN (numbered at receipt, "
            "supplier serials kept as aliases) and untracked stock"
            % count)

    def serials(self, key, status='in_stock', limit=None):
        Lot = self.pool.get('stock.lot')
        return Lot.search([
                ('product', '=', self.products[key].id),
                ('status', '=', status),
                ], order=[('id', 'ASC')], limit=limit)

    def move_and_scrap(self):
        Move = self.pool.get('stock.move')
        storage = self.warehouse.storage_location
        cpu, = self.serials('cpu', limit=1)
        ssd = self.serials('ssd')[-1]
        moves = [
            self._move(cpu.product, 1, cpu.current_location, self.rack,
                lot=cpu,
                price=False),
            self._move(ssd.product, 1, storage, self.scrap_location, lot=ssd,
                price=False),
            ]
        Move.save(moves)
        Move.do(moves)
        self.step("put %s away to %s and scrapped %s (dropped, damaged)"
            % (cpu.number, self.rack.rec_name, ssd.number))

    def fit_board(self, board):
        "The sub-assembly station: CPU and memory go into the motherboard"
        Installation = self.pool.get('serial_mes.installation')
        for key, quantity in self.bom_inputs('motherboard'):
            for lot in self.serials(key, limit=quantity):
                Installation.install(board, lot, source='scan')

    def bom_inputs(self, output):
        bom, = [b for b in self.data['boms'] if b['output'] == output]
        return bom['inputs']

    def build_units(self, count):
        pool = self.pool
        Lot = pool.get('stock.lot')
        Production = pool.get('production')
        storage = self.warehouse.storage_location
        pc = self.products['pc']
        built = []
        for _ in range(count):
            board, = self.serials('motherboard', limit=1)
            self.fit_board(board)
            production = Production(product=pc, bom=self.boms['pc'],
                quantity=1, unit=pc.default_uom, warehouse=self.warehouse,
                location=self.warehouse.production_location,
                company=Transaction().context['company'])
            production.save()
            unit_serial, = Lot.create_serials(pc, count=1, origin=production,
                source='system')
            psu_serial, = Lot.create_serials(self.products['psu'], count=1,
                source='scan')
            inputs = []
            for key, quantity in self.bom_inputs('pc'):
                product = self.products[key]
                if key == 'psu':
                    inputs.append(self._move(product, 1, storage,
                            production.location, lot=psu_serial, price=False))
                elif key == 'motherboard':
                    inputs.append(self._move(product, 1,
                            board.current_location, production.location,
                            lot=board, price=False))
                elif product.serial_rule:
                    for lot in self.serials(key, limit=quantity):
                        inputs.append(self._move(product, 1,
                                lot.current_location, production.location,
                                lot=lot, price=False))
                else:
                    inputs.append(self._move(product, quantity, storage,
                            production.location, price=False))
            output = self._move(pc, 1, production.location, storage,
                lot=unit_serial)
            production.inputs = inputs
            production.outputs = [output]
            production.save()
            Production.wait([production])
            Production.assign_force([production])
            Production.run([production])
            Production.do([production])
            built.append(unit_serial)
        self.units = built
        self.step("assembled %s: CPU and memory fitted into each "
            "motherboard at the sub-assembly station, then one-piece "
            "production orders whose inputs became the unit's genealogy "
            "(the power supply serial registered at consumption, SNII)"
            % ', '.join(u.number for u in built))

    def repair(self):
        """The last unit's SSD replaced, between two whole seconds printed
        for `serial-mes trace --at` (which takes whole seconds): the
        assembly is over by the first, the repair done by the second"""
        Installation = self.pool.get('serial_mes.installation')
        unit = self.units[-1]
        link, = [c for c in unit.components
            if c.product == self.products['ssd']]
        new, = self.serials('ssd', limit=1)
        old = link.child.number
        before = wait_whole_second()
        # a second more: the repair is later than `before`, not at it
        wait_whole_second()
        Installation.replace(link, new, 'defective',
            note="SMART errors at burn-in", scrap=True)
        after = wait_whole_second()
        self.summary['repair'] = {
            'unit': unit.number,
            'removed': old,
            'installed': new.number,
            'reason': 'defective',
            'before': before,
            'after': after,
            }
        self.step("repaired %s: SSD %s (defective, scrapped) replaced by %s"
            "\n  serial-mes trace %s --at %s   shows %s fitted"
            "\n  serial-mes trace %s --at %s   shows %s fitted"
            % (unit.number, old, new.number, unit.number, before, old,
                unit.number, after, new.number))

    def ship_unit(self):
        pool = self.pool
        ShipmentOut = pool.get('stock.shipment.out')
        Move = pool.get('stock.move')
        unit = self.units[0]
        customer = self.parties['CUS-CONTOSO']
        move = self._move(unit.product, 1, self.warehouse.output_location,
            self.customer_location, lot=unit)
        shipment = ShipmentOut(customer=customer,
            delivery_address=customer.addresses[0],
            warehouse=self.warehouse, outgoing_moves=[move],
            company=Transaction().context['company'])
        shipment.on_change_warehouse()
        shipment.save()
        ShipmentOut.wait([shipment])
        Move.write(list(shipment.inventory_moves), {'lot': unit.id})
        shipment = ShipmentOut(shipment.id)
        ShipmentOut.assign_force([shipment])
        ShipmentOut.pick([shipment])
        ShipmentOut.pack([shipment])
        ShipmentOut.do([shipment])
        self.step("shipped %s to %s" % (unit.number, customer.name))

    def renumber_and_alias(self):
        pool = self.pool
        Lot = pool.get('stock.lot')
        Alias = pool.get('serial_mes.alias')
        memory = self.serials('memory', limit=1)[0]
        old = memory.number
        Lot.renumber(memory, alias_type='previous',
            reason="label unreadable, relabelled")
        Alias.create([{
                    'lot': self.units[1].id, 'type': 'mac',
                    'value': '00:1B:21:3A:4F:5C',
                    }])
        self.step("re-serialized %s as %s (old number kept as alias) and "
            "recorded the MAC address of %s"
            % (old, memory.number, self.units[1].number))

    def summarize(self):
        Lot = self.pool.get('stock.lot')
        counts = Lot.count_by_inventory()
        products = {p.id: p for p in self.products.values()}
        table = {}
        for product_id, count in sorted(counts.items()):
            table[products[product_id].code] = count
        statuses = {}
        for lot in Lot.search([]):
            statuses[lot.status] = statuses.get(lot.status, 0) + 1
        self.summary['serials_by_product'] = table
        self.summary['serials_by_status'] = statuses
        self.summary['shipped_unit'] = self.units[0].as_json(events=20)
        self.summary['trace'] = self.units[0].as_built()
        Installation = self.pool.get('serial_mes.installation')
        cpu = [c for c in self.summary['trace']['children']
            if c['children']][0]['children'][0]
        self.summary['recall'] = {
            'lot': cpu['serial'],
            'units': Installation.recall(
                [Lot.find_serial(cpu['serial']).id]),
            }
        self.summary['finished_at'] = dt.datetime.now().isoformat()
        return self.summary
