# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The one place that checks requests and shapes answers for every JSON
route of Serial MES (receiving, ASN, RFID reads).

`json_route` stacks trytond's own decorators (pool, transaction, user
application key) and adds what they leave to the route:

- every answer is JSON, errors included: {"error": "<one line>"} with 400
  (bad input), 401 (no or a wrong key), 403 (no access), 404, 409 (a
  concurrent request changed the same records), 413 (body over the limit);
- the body is read only up to the route's limit (trytond's per-route
  request size, so that the limit documented is the one enforced);
- JSON bodies are checked before any service sees them: well-formed UTF-8,
  nested at most MAX_DEPTH deep, no NUL and no lone surrogate in any
  string or key (PostgreSQL refuses the first, no encoder takes the
  second), no NaN or Infinity; query parameters hold no control character;
- a rejected request writes nothing (its transaction is rolled back);
- races: a unique key another transaction committed first (the same new
  serial scanned at two docks) restarts the request, which then sees the
  winner's row and answers as it would have afterwards; a lock held by
  another request (the same ASN posted at once) is waited for with growing
  pauses, and only then answered 409."""
import json
import logging
import math
import time
from functools import wraps

from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response

from trytond import backend
from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import AccessError
from trytond.protocols.wrappers import (
    set_max_request_size, user_application, with_pool, with_transaction)
from trytond.transaction import Transaction, TransactionError
from trytond.wsgi import app

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # JSON object bodies of the receiving page
MAX_DEPTH = 64
MAX_QUERY = 16 * 1024  # characters of one query parameter (1000 ids)
MAX_ERROR = 1000  # characters of an error message
MAX_ID = 2 ** 31 - 1  # PostgreSQL's integer
# a unique key taken by a concurrent transaction: run the request again
INTEGRITY_RETRIES = 3
# a row lock held by a concurrent request: wait this long in all, in
# growing pauses, on top of trytond's own quick retries
LOCK_WAIT = 20  # s
LOCK_PAUSE = 0.05, 2  # s: the first pause, doubled up to the second


class RequestError(Exception):
    "Bad input found by a route: answered with status and one line"

    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = message
        self.status = status


class _Restart(TransactionError):
    "Run the request again in a new transaction (trytond's own loop)"


def answer(value, status=200):
    "A JSON response"
    return Response(json.dumps(value, default=str), status=status,
        content_type='application/json')


def error(message, status=400):
    "A JSON error response: {'error': message on one line}"
    message = ' '.join(str(message).split())
    if len(message) > MAX_ERROR:
        message = message[:MAX_ERROR - 1] + '\u2026'
    return answer({'error': message}, status=status)


# --- JSON bodies -------------------------------------------------------------

def _refuse_constant(name):
    raise ValueError("%s is not a JSON number" % name)


def _check_text(text, where):
    if '\x00' in text:
        raise RequestError("NUL character in a JSON %s" % where)
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        raise RequestError("lone surrogate (\\u%04x) in a JSON %s" % (
                ord(next(c for c in text if '\ud800' <= c <= '\udfff')),
                where))


def check_json(value):
    """Raise RequestError unless value (as json.loads gives it) is nested
    at most MAX_DEPTH deep, with only NUL-free valid Unicode strings"""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item, 'string')
            continue
        if isinstance(item, float) and not math.isfinite(item):
            raise RequestError("number out of range in JSON")
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            raise RequestError("JSON nested deeper than %d levels" % (
                    MAX_DEPTH))
        if isinstance(item, dict):
            for key in item:
                _check_text(key, 'key')
            stack.extend((v, depth + 1) for v in item.values())
        else:
            stack.extend((v, depth + 1) for v in item)


def parse_json(data):
    "The checked JSON value of data (bytes or str)"
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode('utf-8')
        except UnicodeDecodeError as exception:
            raise RequestError("malformed JSON: not UTF-8 text (%s)"
                % exception)
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError:
        raise RequestError("JSON nested deeper than %d levels" % MAX_DEPTH)
    except ValueError as exception:
        raise RequestError("malformed JSON: %s" % exception)
    check_json(value)
    return value


def parse_json_documents(data):
    """The checked JSON values of data: the whole body if it is one JSON
    document, else one per non-blank line (JSON lines; a server-sent
    events "data:" prefix is dropped)"""
    try:
        return [parse_json(data)]
    except RequestError as exception:
        text = data.decode('utf-8', 'replace') if isinstance(
            data, (bytes, bytearray)) else data
        lines = [l.strip() for l in text.splitlines() if l.strip()]
        if len(lines) < 2 or not str(exception).startswith('malformed'):
            raise
    values = []
    for number, line in enumerate(lines, 1):
        if line.startswith('data:'):
            line = line[5:]
        try:
            values.append(parse_json(line))
        except RequestError as exception:
            raise RequestError("line %d: %s" % (number, exception.message))
    return values


def json_object(data):
    "The checked JSON object of data (an empty body is {})"
    value = parse_json(data or b'{}')
    if not isinstance(value, dict):
        raise RequestError("expected a JSON object, got %s" % (
                _json_type(value)))
    return value


def _json_type(value):
    if isinstance(value, bool):
        return 'a boolean'
    return {dict: 'an object', list: 'an array', str: 'a string',
        int: 'a number', float: 'a number', type(None): 'null'}[type(value)]


def flag(body, name, default=False):
    "body[name] as a JSON boolean (true or false, nothing else)"
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise RequestError("%s must be true or false, got %s" % (
                name, _json_type(value)))
    return value


def record_id(text, what, status=404):
    """The record id written in text: ASCII digits (not '\u0663'), within
    the database's integer ids"""
    if (not text.isascii() or not text.isdigit() or len(text) > 10
            or not 0 < int(text) <= MAX_ID):
        raise RequestError("unknown %s %s" % (what, text[:40]), status)
    return int(text)


def _check_query(request):
    for name, value in request.args.items(multi=True):
        for text in (name, value):
            if len(text) > MAX_QUERY:
                raise RequestError("query parameter %s longer than %d "
                    "characters" % (name[:40], MAX_QUERY))
            if any(ord(c) < 32 or ord(c) == 127 for c in text):
                raise RequestError(
                    "control character in query parameter %r" % name[:40])


# --- the route decorator -----------------------------------------------------

def _read(request, max_size):
    """The body; trytond stops reading a body sent without Content-Length
    one byte past the route's limit (see _outer), which tells it was over"""
    data = request.get_data()
    if len(data) > max_size:
        raise RequestError("request body over %d bytes" % max_size, 413)
    return data


def _inner(func, body, max_size):
    """Runs func in the transaction, as the key's user: checks the request,
    turns bad input into JSON errors (rolled back), restarts on a unique
    key taken concurrently"""
    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        transaction = Transaction()
        try:
            _check_query(request)
            if body == 'object':
                kwargs['body'] = json_object(_read(request, max_size))
            elif body == 'json':
                kwargs['body'] = parse_json_documents(
                    _read(request, max_size))
            elif body == 'raw':
                kwargs['body'] = _read(request, max_size)
            result = func(request, pool, *args, **kwargs)
        except RequestError as exception:
            transaction.rollback()
            return error(exception.message, exception.status)
        except AccessError as exception:
            transaction.rollback()
            return error(exception.message, 403)
        except (UserError, UserWarning) as exception:
            transaction.rollback()
            return error(exception.message, 400)
        except backend.DatabaseIntegrityError as exception:
            attempts = getattr(request, '_serial_mes_restarts', 0)
            if attempts < INTEGRITY_RETRIES:
                request._serial_mes_restarts = attempts + 1
                logger.debug("restart after %s", exception)
                raise _Restart() from exception
            transaction.rollback()
            return error("a concurrent request wrote the same record "
                "first: %s" % _first_line(exception), 409)
        except backend.DatabaseDataError as exception:
            transaction.rollback()
            return error("the database refused a value: %s"
                % _first_line(exception), 400)
        if isinstance(result, Response):
            return result
        return answer(result)
    return wrapper


def _first_line(exception):
    return (str(exception).strip().splitlines() or [''])[0]


def _waiting_for_locks(func):
    """Between the pool and the transaction: trytond retries a lock error
    a few times within a third of a second; a long import holds its lock
    longer, so wait for it here, then answer 409"""
    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        started = time.monotonic()
        pause, longest = LOCK_PAUSE
        while True:
            try:
                return func(request, pool, *args, **kwargs)
            except backend.DatabaseOperationalError as exception:
                if time.monotonic() - started + pause > LOCK_WAIT:
                    logger.info("%s: gave up after %s", request, exception)
                    return error("busy: a concurrent request holds the "
                        "records this one changes (%s); try again"
                        % _first_line(exception), 409)
                time.sleep(pause)
                pause = min(2 * pause, longest)
            except HTTPException:
                raise
            except Exception:
                # trytond would answer HTML (or re-raise for a body that
                # looks like JSON-RPC): keep the answer JSON
                logger.exception("%s failed", request)
                return error("internal error; see the server log", 500)
    return wrapper


def _outer(func, max_size):
    """Above the pool: size first, and every HTTP error as JSON. trytond
    reads one byte past the limit, so that _read sees a body sent without
    Content-Length go over it"""
    @wraps(func)
    def wrapper(request, *args, **kwargs):
        if (request.content_length or 0) > max_size:
            return error("request body over %d bytes" % max_size, 413)
        try:
            return func(request, *args, **kwargs)
        except HTTPException as exception:
            if exception.code >= 500:
                logger.exception("%s failed", request)
                return error("internal error; see the server log",
                    exception.code)
            description = exception.description
            if isinstance(description, Exception):
                description = getattr(description, 'message',
                    str(description))
            if exception.code == 413:
                description = "request body over %d bytes" % max_size
            elif exception.code == 401:
                response = error(_ERRORS[401], 401)
                response.headers['WWW-Authenticate'] = 'Bearer'
                return response
            return error(description or exception.name, exception.code)
    return set_max_request_size(max_size + 1)(wrapper)


def json_route(path, methods, application, body=None, max_size=MAX_BODY,
        readonly=None):
    """Register func(request, pool[, body=...], **path arguments) as a
    JSON route for the user application `application`.

    body: None (not read), 'object' (a checked JSON object), 'json' (the
    checked JSON documents of a JSON or JSON-lines body, as a list) or
    'raw' (the bytes). func returns a JSON value or a Response and raises
    RequestError or a Tryton UserError for bad input."""
    check_key = user_application(application, json=False)

    def decorator(func):
        endpoint = _outer(with_pool(_waiting_for_locks(
                    with_transaction(readonly=readonly)(check_key(
                            _inner(func, body, max_size))))), max_size)
        app.route(path, methods=methods)(endpoint)
        return endpoint
    return decorator


# --- every answer under the route prefixes -----------------------------------

ROUTE_PREFIXES = ('serial_mes', 'serial_mes_rfid')
_ERRORS = {
    401: "no key, or a key not valid for this route: send the device's "
    "key as 'Authorization: Bearer <key>'",
    403: "forbidden",
    404: "nothing at %(path)s",
    405: "%(method)s is not allowed on %(path)s (allowed: %(allow)s)",
    413: "request body too large",
    }
# headers of an error answer that a client needs
_KEPT = {'allow', 'www-authenticate', 'retry-after', 'vary',
    'access-control-allow-origin'}


class json_errors:
    """WSGI middleware: under /<database>/serial_mes/ and
    /<database>/serial_mes_rfid/ every error is JSON {"error": ...} with
    its status, whoever answered it: werkzeug's routing (404, 405 with its
    Allow header), trytond before any route runs (403 of a foreign Origin,
    raised rather than answered), a route's own HTML. The pages, assets
    and PDFs the routes serve pass as they are."""

    def __init__(self, application, prefixes=ROUTE_PREFIXES):
        self.application = application
        self.prefixes = set(prefixes)

    def _ours(self, path):
        parts = path.split('/', 3)
        return len(parts) > 2 and parts[0] == '' and parts[2] in (
            self.prefixes)

    def __call__(self, environ, start_response):
        if not self._ours(environ.get('PATH_INFO', '')):
            return self.application(environ, start_response)
        refused = []

        def capture(status, headers, exc_info=None):
            code = int(status.split(None, 1)[0])
            content_type = next((v for k, v in headers
                    if k.lower() == 'content-type'), '')
            if code >= 400 and not content_type.startswith(
                    'application/json'):
                refused.append((code, headers))
                return lambda data: None
            return start_response(status, headers, exc_info)

        try:
            body = self.application(environ, capture)
        except HTTPException as exception:
            message = None
            if exception.code == 403 and environ.get('HTTP_ORIGIN'):
                # trytond refuses a foreign Origin before any route runs
                message = ("requests from origin %s are not allowed (the "
                    "server's [web] cors)" % environ['HTTP_ORIGIN'][:200])
            return self._answer(environ, start_response, exception.code,
                exception.get_headers(environ), message)
        except Exception:
            logger.exception("%s %s failed", environ.get('REQUEST_METHOD'),
                environ.get('PATH_INFO'))
            return self._answer(environ, start_response, 500, [])
        if refused:
            if hasattr(body, 'close'):
                body.close()
            return self._answer(environ, start_response, *refused[0])
        return body

    @staticmethod
    def _answer(environ, start_response, code, headers, message=None):
        kept = [(k, v) for k, v in headers if k.lower() in _KEPT]
        allow = [m.strip() for k, v in kept if k.lower() == 'allow'
            for m in v.split(',') if m.strip() not in {'', 'OPTIONS'}]
        if code == 405 and not allow:
            # trytond answers OPTIONS on every path (CORS): no route here
            code, kept = 404, [(k, v) for k, v in kept
                if k.lower() != 'allow']
        if code == 401 and not any(
                k.lower() == 'www-authenticate' for k, _ in kept):
            kept.append(('WWW-Authenticate', 'Bearer'))
        template = _ERRORS.get(code)
        if template is None:
            template = ("internal error; see the server log" if code >= 500
                else HTTP_STATUS_CODES.get(code, 'error').lower())
        response = error(message or template % {
                'path': environ.get('PATH_INFO', '')[:200],
                'method': environ.get('REQUEST_METHOD', '')[:20],
                'allow': ', '.join(allow),
                }, code)
        response.headers.extend(kept)
        return response(environ, start_response)
