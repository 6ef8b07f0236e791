# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Run trytond with the Tryton web client (sao) as its web root."""
import os
import sys

from . import database


def sao_root():
    "Where the set-up command unpacked tryton-sao with its node_modules"
    root = os.environ.get('SERIAL_MES_SAO',
        os.path.join(database.var_dir(), 'sao', 'package'))
    if not os.path.exists(os.path.join(root, 'index.html')):
        sys.stderr.write("serial-mes: warning: the web client is not "
            "installed in %s (run 'make sao'); only the JSON-RPC and "
            "shop-floor routes are served\n" % root)
    return root


def server_environment(name, host='127.0.0.1', port=8000):
    from trytond.config import config
    env = dict(os.environ)
    env.update({
            'TRYTOND_DATABASE_URI': config.get('database', 'uri'),
            'TRYTOND_DATABASE__PATH': config.get('database', 'path'),
            'TRYTOND_WEB__LISTEN': '%s:%s' % (host, port),
            'TRYTOND_WEB__ROOT': sao_root(),
            })
    return env


def serve(name, host='127.0.0.1', port=8000):
    if not database.exists(name):
        sys.stderr.write("serial-mes: error: database %r does not exist "
            "(run 'serial-mes demo' first)\n" % name)
        sys.exit(2)
    trytond = os.path.join(os.path.dirname(sys.executable), 'trytond')
    print("Serving database %r on http://%s:%s/ (Ctrl-C stops)"
        % (name, host, port), flush=True)
    os.execve(trytond, [trytond, '-d', name],
        server_environment(name, host, port))
