# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What an event says to a person, in words: the counterpart of a fitting
or a removal (the part on the unit's event, the unit on the part's), a
new number, a correction, or where the serial went.

Numbers are the ones the event recorded (its payload): a part that was
re-serialized since is named as it was then."""
import json

from trytond.pool import Pool


def _payload(event):
    try:
        value = json.loads(event.payload or '{}')
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _selection(field, value):
    return dict(field.selection).get(value, value) if value else ''


def _where(event, link):
    "' at station …' / ' in production …' of a fitting or removal"
    if link and link.work_center:
        return ' at station %s' % link.work_center.rec_name
    read_point = event.read_point
    if read_point and read_point.__name__ == 'production.work.center':
        return ' at station %s' % read_point.rec_name
    if link and link.production:
        return ' in production order %s' % link.production.rec_name
    return ''


def _part(link, number):
    "The product code and number of a fitted part, '2 × Paste' without one"
    if link is None:
        return number or ''
    code = link.product.code or link.product.rec_name
    if number:
        return '%s %s' % (code, number)
    return '%s × %s' % (('%g' % link.quantity), link.product.rec_name)


def _reason(event, payload, link):
    reason = payload.get('reason') or (link.removal_reason if link else None)
    if not reason:
        return ''
    Installation = Pool().get('serial_mes.installation')
    return ' (%s)' % _selection(Installation.removal_reason, reason).lower()


def _association(event, payload, link):
    removal = event.action == 'delete'
    where = _where(event, link)
    if 'parent' in payload:  # the part's own event
        if removal:
            return 'removed from %s%s%s' % (payload['parent'], where,
                _reason(event, payload, link))
        return 'fitted into %s%s' % (payload['parent'], where)
    if removal:
        return 'removed %s%s%s' % (_part(link, payload.get('removed')),
            where, _reason(event, payload, link))
    return 'fitted %s%s' % (_part(link, payload.get('installed')), where)


def _value(event, name):
    "The value of field name of event, as the web client shows it"
    field = event._fields[name]
    value = getattr(event, name)
    if value is None:
        return '-'
    if isinstance(getattr(field, 'selection', None), list):
        return _selection(field, value)
    if hasattr(value, 'rec_name'):
        return value.rec_name
    if hasattr(value, 'isoformat'):
        return value.isoformat(' ', 'seconds')
    return str(value)


def _correction(event, payload):
    Event = Pool().get('serial_mes.event')
    changes = payload.get('changes') or {}
    if payload.get('correction') == 'delete':
        return 'deleted event %s' % payload.get('event')
    words = []
    for name, value in sorted(changes.items()):
        field = Event._fields.get(name)
        if field is None:
            continue
        if payload.get('correction') == 'correct':
            # a Correct Event correction holds the corrected values
            value = _value(event, name)
        elif isinstance(getattr(field, 'selection', None), list):
            value = _selection(field, value)
        words.append('%s %s' % (field.string.lower(), value or '-'))
    target = event.corrects.name if event.corrects else (
        'event %s' % payload.get('event'))
    text = 'corrects %s%s' % (target,
        (': ' + ', '.join(words)) if words else '')
    if payload.get('reason'):
        text += ' (%s)' % payload['reason']
    return text


def _movement(event):
    Event = Pool().get('serial_mes.event')
    status_to = _selection(Event.status_to, event.status_to)
    location = event.location.rec_name if event.location else ''
    if event.status_to and event.status_to != event.status_from:
        return '%s%s' % (status_to, (' at %s' % location) if location else '')
    return ('at %s' % location) if location else ''


def describe(events):
    "{event id: description} of events"
    pool = Pool()
    Installation = pool.get('serial_mes.installation')
    Event = pool.get('serial_mes.event')
    links = {}
    link_ids = {e.origin.id for e in events
        if e.origin and e.origin.__name__ == 'serial_mes.installation'
        and e.origin.id >= 0}
    if link_ids:
        links = {l.id: l for l in Installation.browse(list(link_ids))}
    result = {}
    for event in events:
        payload = _payload(event)
        link = None
        if event.origin and event.origin.__name__ == (
                'serial_mes.installation'):
            link = links.get(event.origin.id)
        if 'correction' in payload or event.corrects:
            text = _correction(event, payload)
        elif event.event_type == 'association' and (link is not None
                or {'parent', 'installed', 'removed'} & set(payload)):
            text = _association(event, payload, link)
        elif 'renumbered' in payload:
            renumbered = payload['renumbered'] or {}
            text = 're-serialized from %s to %s' % (
                renumbered.get('from'), renumbered.get('to'))
        elif payload.get('asn'):
            text = 'announced by ASN %s' % payload['asn']
        else:
            text = _movement(event) or _selection(
                Event.disposition, event.disposition)
        result[event.id] = text
    return result
