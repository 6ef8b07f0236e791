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
    the server call common.db.list answers names (the databases served, so
    that the web client's login shows the database instead of asking for
    its name: sao 8.0 ignores the URL's #database when the list is off);
    everything else (the web client's files, other /rpc/ server calls)
    passes"""

    def __init__(self, application, names, url_map):
        self.application = application
        self.names = set(names)
        self.url_map = url_map

    def __call__(self, environ, start_response):
        from werkzeug.exceptions import HTTPException
        if environ.get('PATH_INFO') == '/rpc/':
            call = self._server_call(environ)
            if call.get('method') == 'common.db.list':
                return self._answer(start_response, '200 OK', {
                        'id': call.get('id'),
                        'result': sorted(self.names)})
        try:
            _, arguments = self.url_map.bind_to_environ(environ).match()
        except HTTPException:  # not a route, or not this method
            arguments = {}
        name = arguments.get('database_name')
        if name is None or name in self.names:
            return self.application(environ, start_response)
        return self._answer(start_response, '404 Not Found', {
                'error': "no database %s on this server" % json.dumps(name)})

    @staticmethod
    def _server_call(environ, max_size=4096):
        """The JSON-RPC call posted to /rpc/ (small bodies only), {} if
        none; the body is put back for trytond"""
        try:
            size = int(environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            return {}
        if environ.get('REQUEST_METHOD') != 'POST' or not (
                0 < size <= max_size):
            return {}
        body = environ['wsgi.input'].read(size)
        environ['wsgi.input'] = io.BytesIO(body)
        try:
            call = json.loads(body)
        except ValueError:
            return {}
        return call if isinstance(call, dict) else {}

    @staticmethod
    def _answer(start_response, status, value):
        body = json.dumps(value).encode('utf-8')
        start_response(status, [
                ('Content-Type', 'application/json'),
                ('Content-Length', str(len(body)))])
        return [body]


class sao_custom:
    """WSGI middleware: the web client's /custom.js is Serial MES's fix
    of sao (serial_mes/web/sao-custom.js); everything else passes"""
    path = os.path.join(os.path.dirname(__file__), 'web', 'sao-custom.js')

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if (environ.get('PATH_INFO') != '/custom.js'
                or environ.get('REQUEST_METHOD') not in {'GET', 'HEAD'}):
            return self.application(environ, start_response)
        with open(self.path, 'rb') as file:
            body = file.read()
        start_response('200 OK', [
                ('Content-Type', 'text/javascript; charset=utf-8'),
                ('Content-Length', str(len(body))),
                ('Cache-Control', 'no-cache')])
        return [] if environ['REQUEST_METHOD'] == 'HEAD' else [body]


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
    # the database list is off: the URL's #fragment names the database
    # for the web client's login
    print("Serving database %r on http://%s:%s/#%s (Ctrl-C stops)"
        % (name, host, port, name), flush=True)
    os.execve(sys.executable, [sys.executable, '-m', 'serial_mes.wsgi'],
        server_environment(name, host, port))
