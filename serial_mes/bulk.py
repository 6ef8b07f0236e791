# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Bulk writes for the service layer's mass paths (imports, receipts).

They write the rows the ORM would write (callers take the values from the
models' defaults) without the per-record overhead: COPY on PostgreSQL,
multi-row INSERT elsewhere."""
from trytond.model import fields
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

INSERT_CHUNK = 500


def stored_columns(Model, values):
    "The keys of values that are real columns of Model"
    return sorted(k for k in values
        if k in Model._fields
        and not isinstance(Model._fields[k], fields.Function)
        and Model._fields[k].sql_type() is not None)


def insert(Model, columns, rows):
    "Insert rows (sequences in the order of columns) into Model's table"
    if not rows:
        return
    from trytond import backend
    cursor = Transaction().connection.cursor()
    if backend.name == 'postgresql':
        statement = 'COPY "%s" (%s) FROM STDIN' % (Model._table,
            ', '.join('"%s"' % c for c in columns))
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    table = Model.__table__()
    sql_columns = [getattr(table, c) for c in columns]
    for sub in grouped_slice(rows, INSERT_CHUNK):
        cursor.execute(*table.insert(sql_columns, list(sub)))


def forget_cached(Model, ids):
    "Drop the transaction's cached values of records written with raw SQL"
    transaction = Transaction()
    transaction.counter += 1
    for cache in transaction.cache.values():
        if Model.__name__ in cache:
            records = cache[Model.__name__]
            for id_ in ids:
                records.pop(id_, None)
