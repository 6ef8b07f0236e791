# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"What every benchmark does first"
import time


def fresh_database(name, modules):
    """Drop and create database name with modules activated and a company
    for admin (the demo's set-up); print how long it took"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from serial_mes import database
    from serial_mes.demo import setup_company
    start = time.perf_counter()
    print("creating database %s (%s) ..." % (name, ', '.join(modules)),
        flush=True)
    database.drop(name)
    database.create(name, modules=modules)
    pool = Pool(name)
    with Transaction().start(name, 0):
        setup_company(pool, {'company': {'name': "Bench", 'currency': 'EUR'}})
    print("database %s created in %.0f s" % (
            name, time.perf_counter() - start), flush=True)
