# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Database selection, creation and sessions for the command line."""
import argparse
import os
import sys
import tempfile
import urllib.parse
from contextlib import contextmanager

# purchase: the ASNs of the demo deliver purchase orders
MODULES = [
    'serial_mes', 'serial_mes_rfid', 'serial_mes_passport', 'purchase']
DEFAULT_NAME = 'serial_mes'
SCHEMES = ('sqlite', 'postgresql')


class DatabaseUriError(ValueError):
    "A database URI the command line cannot use"


class DatabaseUnreachable(RuntimeError):
    "The database server does not answer"


def var_dir():
    return os.path.abspath(os.environ.get('SERIAL_MES_VAR', 'var'))


def configure(uri=None, path=None):
    """Point trytond at uri (default: $TRYTOND_DATABASE_URI or SQLite under
    ./var/db) and return the effective URI.

    Call it before anything imports trytond.backend: the backend is chosen
    once, when that module is imported."""
    from trytond.config import config
    given = 'given' if uri else 'in TRYTOND_DATABASE_URI'
    uri = uri or os.environ.get('TRYTOND_DATABASE_URI') or 'sqlite://'
    try:
        scheme = urllib.parse.urlsplit(uri).scheme
    except ValueError:
        scheme = None
    if scheme not in SCHEMES:
        # the scheme only: the rest of a URI may hold a password
        raise DatabaseUriError("the database URI %s has the scheme %r: "
            "expected sqlite:// or postgresql://" % (given, scheme or ''))
    backend = sys.modules.get('trytond.backend')
    if backend is not None and backend.name != scheme:
        raise RuntimeError("trytond.backend was imported for %s before "
            "the database was configured for %s" % (backend.name, scheme))
    path = os.path.abspath(path or os.environ.get('TRYTOND_DATABASE__PATH')
        or os.path.join(var_dir(), 'db'))
    os.makedirs(path, exist_ok=True)
    config.set('database', 'uri', uri)
    config.set('database', 'path', path)
    os.environ['TRYTOND_DATABASE_URI'] = uri
    return uri


def exists(name):
    """Whether database name exists; DatabaseUnreachable when the server
    cannot be reached"""
    from trytond import backend
    from trytond.transaction import Transaction
    if not _is_postgresql():
        return os.path.exists(_sqlite_path(name))
    try:
        with Transaction().start(
                None, 0, close=True, autocommit=True) as transaction:
            cursor = transaction.connection.cursor()
            cursor.execute('SELECT 1 FROM pg_database WHERE datname = %s',
                (name,))
            return bool(cursor.fetchone())
    except backend.DatabaseOperationalError as exception:
        raise DatabaseUnreachable("cannot connect to the PostgreSQL server: "
            "%s" % str(exception).strip().splitlines()[0])


def _is_postgresql():
    from trytond import backend
    return backend.name == 'postgresql'


def _sqlite_path(name):
    from trytond.config import config
    return os.path.join(config.get('database', 'path'), name + '.sqlite')


def drop(name):
    from trytond import backend
    from trytond.transaction import Transaction
    if not exists(name):
        return
    if _is_postgresql():
        with Transaction().start(
                None, 0, close=True, autocommit=True) as transaction:
            backend.Database.drop(transaction.connection, name)
    else:
        os.remove(_sqlite_path(name))


def create(name, password='admin', email='admin@example.com',
        modules=MODULES):
    """Create database name with modules activated and an admin user"""
    from trytond import admin, backend
    from trytond.transaction import Transaction
    if _is_postgresql():
        with Transaction().start(
                None, 0, close=True, autocommit=True) as transaction:
            backend.Database.create(transaction.connection, name)
    else:
        open(_sqlite_path(name), 'a').close()
    with tempfile.NamedTemporaryFile('w', suffix='.pass') as passfile:
        passfile.write(password)
        passfile.flush()
        previous = os.environ.get('TRYTONPASSFILE')
        os.environ['TRYTONPASSFILE'] = passfile.name
        try:
            admin.run(argparse.Namespace(
                    database_names=[name], update=['ir'] + list(modules),
                    email=email, activatedeps=True, languages=[],
                    update_modules_list=False, indexes=True,
                    password=False, reset_password=False, hostname=None,
                    test_email=None, validate=None,
                    validate_percentage=None, export_translations=False))
        finally:
            if previous is None:
                del os.environ['TRYTONPASSFILE']
            else:
                os.environ['TRYTONPASSFILE'] = previous


@contextmanager
def session(name, login='admin', readonly=False, **extras):
    """A transaction as user login with the user's company in context;
    committed when the block ends without error. extras are trytond's
    transaction extras (records locked from the start, see run)."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    # Pool(name) registers an empty pool: look before constructing it
    loaded = name in Pool.database_list()
    pool = Pool(name)
    if not loaded:
        pool.init()
    with Transaction().start(name, 0, readonly=readonly) as transaction:
        User = pool.get('res.user')
        user, = User.search([('login', '=', login)], limit=1)
        user_id = user.id
    with Transaction().start(name, user_id, readonly=readonly,
            **extras) as transaction:
        User = pool.get('res.user')
        with transaction.set_context(User.get_preferences(context_only=True)):
            yield pool
    # as trytond does after a request: run the tasks queued by the
    # transaction (a purchase processed after its receipt, say) once it
    # is committed, unless a queue worker is configured to take them
    from trytond.worker import run_task
    while transaction.tasks:
        run_task(pool, transaction.tasks.pop())


def run(name, function, login='admin', retries=5):
    """function(pool) in a session, started again from the beginning as
    trytond does for a request: when the database reports a concurrent
    update, or when a model asks for records to be locked from the start
    of the transaction (Tryton 8's record locks: purchase processing)"""
    import time

    from trytond import backend
    from trytond.transaction import TransactionError
    extras = {}
    attempt = 0
    while True:
        try:
            with session(name, login=login, **extras) as pool:
                return function(pool)
        except TransactionError as error:
            # not a failure: the next attempt starts with the lock taken
            error.fix(extras)
        except backend.DatabaseOperationalError:
            if attempt == retries:
                raise
            attempt += 1
            time.sleep(0.02 * attempt)
