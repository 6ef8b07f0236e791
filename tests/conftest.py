# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fixtures of the cross-module tests: a demo database built by the real
command line on the backend of $TRYTOND_DATABASE_URI (SQLite or
PostgreSQL), and a way to run serial-mes commands against it."""
import os
import shutil
import socket
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
    yield cli
    if uri.startswith('postgresql'):
        subprocess.run(['dropdb', '--if-exists', name], check=False)


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
