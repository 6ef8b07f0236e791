# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fixtures of the cross-module tests: a demo database built by the real
command line on the backend of $TRYTOND_DATABASE_URI (SQLite or
PostgreSQL), and a way to run serial-mes commands against it."""
import itertools
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, 'test-output')
# Debian's Chromium (never a browser downloaded by Playwright)
CHROMIUM = shutil.which('chromium')
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run']
SERVER_TIMEOUT = 60  # s, for the server to answer


class Cli:
    "Runs serial-mes in a subprocess against one database"

    def __init__(self, env, database):
        self.env = env
        self.database = database

    def __call__(self, *args, database=True, check=False, timeout=1200):
        argv = [sys.executable, '-m', 'serial_mes.cli'] + list(args)
        if database:
            argv += ['--database', self.database]
        result = subprocess.run(argv, env=self.env, capture_output=True,
            text=True, timeout=timeout, cwd=ROOT)
        if check and result.returncode:
            raise AssertionError('%s failed (%s): %s' % (
                    ' '.join(args), result.returncode, result.stderr))
        return result


@pytest.fixture(scope='session')
def output_dir():
    os.makedirs(OUTPUT, exist_ok=True)
    return OUTPUT


@pytest.fixture(scope='session')
def demo_db():
    "The demo database, built once per test session"
    uri = os.environ.get('TRYTOND_DATABASE_URI', 'sqlite://')
    var = tempfile.mkdtemp(prefix='serial-mes-test-')
    env = dict(os.environ)
    env.update({
            'SERIAL_MES_VAR': var,
            'TRYTOND_DATABASE_URI': uri,
            'TRYTOND_DATABASE__PATH': os.path.join(var, 'db'),
            'PYTHONWARNINGS': 'ignore',
            })
    name = 'sm_demo_%d' % os.getpid()
    cli = Cli(env, name)
    result = cli('demo', '--out', os.path.join(var, 'demo'))
    assert result.returncode == 0, result.stderr[-3000:]
    cli.demo_output = result.stdout
    cli.var = var
    # a copy as the demo left it, for fresh_demo_db: tests change demo_db
    try:
        cli.pristine = copy_database(cli, name + '_pristine')
    except RuntimeError as error:
        cli.pristine, cli.pristine_error = None, str(error)
    yield cli
    if uri.startswith('postgresql'):
        subprocess.run(['dropdb', '--if-exists', name], check=False)
        if cli.pristine:
            subprocess.run(['dropdb', '--if-exists', cli.pristine],
                check=False)


def copy_database(cli, name):
    """Copy cli's database (and its filestore) as name and return name;
    RuntimeError when PostgreSQL refuses (createdb -T wants the source
    unused)"""
    path = cli.env['TRYTOND_DATABASE__PATH']
    if cli.env['TRYTOND_DATABASE_URI'].startswith('postgresql'):
        result = subprocess.run(['createdb', '-T', cli.database, name],
            capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError("createdb -T %s %s: %s" % (
                    cli.database, name, result.stderr.strip()))
    else:
        # through SQLite: trytond writes in WAL mode, the file alone may
        # lack the last commits
        source = sqlite3.connect(os.path.join(path, cli.database + '.sqlite'))
        target = sqlite3.connect(os.path.join(path, name + '.sqlite'))
        with source, target:
            source.backup(target)
        source.close()
        target.close()
    filestore = os.path.join(path, cli.database)
    if os.path.isdir(filestore):
        shutil.copytree(filestore, os.path.join(path, name))
    return name


@pytest.fixture
def fresh_demo_db(demo_db):
    """A demo database of the test's own, as the demo command left it
    (copied from the copy demo_db makes once per session)"""
    if not demo_db.pristine:
        pytest.fail("no copy of the demo database: %s"
            % demo_db.pristine_error)
    name = '%s_fresh%d' % (demo_db.database, next(_fresh))
    try:
        copy_database(Cli(demo_db.env, demo_db.pristine), name)
    except RuntimeError as error:
        pytest.fail(str(error))
    fresh = Cli(demo_db.env, name)
    fresh.var = demo_db.var
    yield fresh
    path = demo_db.env['TRYTOND_DATABASE__PATH']
    if demo_db.env['TRYTOND_DATABASE_URI'].startswith('postgresql'):
        subprocess.run(['dropdb', '--if-exists', name], check=False)
    else:
        for suffix in ['.sqlite', '.sqlite-wal', '.sqlite-shm']:
            if os.path.exists(os.path.join(path, name + suffix)):
                os.remove(os.path.join(path, name + suffix))
    shutil.rmtree(os.path.join(path, name), ignore_errors=True)


_fresh = itertools.count()  # numbers the databases of fresh_demo_db


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def tail(path, size=4000):
    with open(path, encoding='utf-8', errors='replace') as file:
        return file.read()[-size:]


def stop(process, timeout):
    "Terminate process, killed if it has not ended within timeout seconds"
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serve(demo_db, path='/', env=None):
    """`serial-mes serve` on the demo database on a free port, until the
    block ends: yields the URL of path, once it answers 200"""
    port = free_port()
    url = 'http://127.0.0.1:%d%s' % (port, path)
    # A file, not a pipe: werkzeug logs every request and a full pipe
    # would block the server.
    log_path = os.path.join(demo_db.var, 'serve-%d.log' % port)
    log = open(log_path, 'w')
    process = subprocess.Popen([sys.executable, '-m', 'serial_mes.cli',
            'serve', '--database', demo_db.database, '--port', str(port)],
        env=dict(demo_db.env, **(env or {})), cwd=ROOT, stdout=log,
        stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail("serial-mes serve exited with %s:\n%s" % (
                        process.returncode, tail(log_path)))
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    pytest.fail("GET %s answers 404" % url)
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("serial-mes serve did not answer on %s within "
                    "%d s:\n%s" % (url, SERVER_TIMEOUT, tail(log_path)))
            time.sleep(0.25)
        yield url
    finally:
        stop(process, timeout=10)
        log.close()
