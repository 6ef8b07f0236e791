# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Hot queries compiled once per shape.

Building a python-sql query costs more than running the recursive
genealogy queries on indexed tables, so each shape (query, backend, number
of ids, with or without a date) is compiled once per process with
placeholders and then only bound to new values."""
from trytond.transaction import Transaction

_compiled = {}


class _Slot:
    __slots__ = ('key',)

    def __init__(self, key):
        self.key = key


def execute(name, build, **values):
    """Run build(**placeholders)'s query with values; return the cursor.

    A list value becomes a list of placeholders of the same length; None
    stays None (it changes the shape of the query)."""
    shape = tuple(sorted((k, len(v) if isinstance(v, (list, tuple))
                else v is None) for k, v in values.items()))
    from trytond import backend
    key = (backend.name, name, shape)
    if key not in _compiled:
        slots = {}
        for k, v in values.items():
            if isinstance(v, (list, tuple)):
                slots[k] = [_Slot((k, i)) for i in range(len(v))]
            elif v is None:
                slots[k] = None
            else:
                slots[k] = _Slot((k, None))
        query, params = tuple(build(**slots))
        _compiled[key] = (query, params)
    query, params = _compiled[key]
    def bind(param):
        if isinstance(param, _Slot):
            k, i = param.key
            return values[k] if i is None else values[k][i]
        if isinstance(param, (list, tuple)):
            # PostgreSQL's flavor sends IN lists as one array parameter
            return type(param)(bind(p) for p in param)
        return param
    bound = [bind(p) for p in params]
    cursor = Transaction().connection.cursor()
    cursor.execute(query, bound)
    return cursor
