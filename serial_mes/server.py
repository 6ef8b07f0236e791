# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Run trytond with the Tryton web client (sao) as its web root, serving
only the databases named.

trytond answers the routes of every Tryton database on the cluster (its
`-d` and TRYTOND_DATABASE_NAMES only load them ahead) and lists them to
anyone through common.db.list unless `[database] list = False`. `serve`
turns the list off and runs trytond's WSGI application behind
`only_databases` (serial_mes.wsgi), which answers JSON 404 to any route
of another database.
A production server does the same with

    TRYTOND_DATABASE_NAMES=mes TRYTOND_DATABASE__LIST=False \\
        gunicorn -w 2 serial_mes.wsgi:application
"""
import csv
import io
import json
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


def database_names(environ=os.environ):
    "The names in TRYTOND_DATABASE_NAMES (comma-separated, as trytond reads)"
    text = environ.get('TRYTOND_DATABASE_NAMES', '')
    return [n for n in next(csv.reader(io.StringIO(text)), []) if n]


class only_databases:
    """WSGI middleware: requests whose route names a database (the
    `<database_name>` of trytond's URL map) outside names get JSON 404;
    everything else (the web client's files, /rpc/ server calls) passes"""

    def __init__(self, application, names, url_map):
        self.application = application
        self.names = set(names)
        self.url_map = url_map

    def __call__(self, environ, start_response):
        from werkzeug.exceptions import HTTPException
        try:
            _, arguments = self.url_map.bind_to_environ(environ).match()
        except HTTPException:  # not a route, or not this method
            arguments = {}
        name = arguments.get('database_name')
        if name is None or name in self.names:
            return self.application(environ, start_response)
        body = json.dumps({'error': "no database %s on this server"
                % json.dumps(name)}).encode('utf-8')
        start_response('404 Not Found', [
                ('Content-Type', 'application/json'),
                ('Content-Length', str(len(body)))])
        return [body]


def server_environment(name, host='127.0.0.1', port=8000):
    from trytond.config import config
    env = dict(os.environ)
    env.update({
            'TRYTOND_DATABASE_URI': config.get('database', 'uri'),
            'TRYTOND_DATABASE__PATH': config.get('database', 'path'),
            'TRYTOND_DATABASE__LIST': 'False',
            'TRYTOND_DATABASE_NAMES': name,
            'TRYTOND_WEB__LISTEN': '%s:%s' % (host, port),
            'TRYTOND_WEB__ROOT': sao_root(),
            })
    return env


def serve(name, host='127.0.0.1', port=8000):
    if not database.exists(name):
        sys.stderr.write("serial-mes: error: database %r does not exist "
            "(run 'serial-mes demo' first)\n" % name)
        sys.exit(2)
    print("Serving database %r on http://%s:%s/ (Ctrl-C stops)"
        % (name, host, port), flush=True)
    os.execve(sys.executable, [sys.executable, '-m', 'serial_mes.wsgi'],
        server_environment(name, host, port))
