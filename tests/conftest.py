# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fixtures of the cross-module tests: a demo database built by the real
command line on the backend of $TRYTOND_DATABASE_URI (SQLite or
PostgreSQL), and a way to run serial-mes commands against it."""
import os
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, 'test-output')


class Cli:
    "Runs serial-mes in a subprocess against one database"

    def __init__(self, env, database):
        self.env = env
        self.database = database

    def __call__(self, *args, database=True, check=False, timeout=600):
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
