# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""trytond's WSGI application restricted to $TRYTOND_DATABASE_NAMES (all
databases when it is empty), for `serial-mes serve` and WSGI servers:

    TRYTOND_DATABASE_NAMES=mes TRYTOND_DATABASE__LIST=False \\
        gunicorn -w 2 serial_mes.wsgi:application

Every error under the Serial MES route prefixes is answered JSON
(serial_mes.json_api.json_errors). Importing it loads the databases named,
as trytond.application does."""
from trytond.application import app

from .json_api import json_errors
from .server import database_names, only_databases, sao_custom

names = database_names()
application = json_errors(sao_custom(
    only_databases(app, names, app.url_map) if names else app))


def main():
    "trytond's development server, as the `trytond` command runs it"
    from werkzeug.serving import run_simple

    from trytond.config import get, split_netloc
    host, port = split_netloc(get('web', 'listen'))
    run_simple(host, port, application, threaded=True)


if __name__ == '__main__':
    main()
