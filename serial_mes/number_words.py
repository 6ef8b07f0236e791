# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A tracking rule's validation pattern told in words, for the clerk.

"[A-Z0-9][A-Z0-9-]{3,19}" reads "4 to 20 capital letters, digits or
hyphens, starting with a capital letter or digit". Patterns too intricate
to tell (alternatives, look-arounds, back-references) read as the rule's
form in general; the admin finds the pattern itself in the log."""
import re
import string

try:
    from re import _constants as _c, _parser as _p
except ImportError:  # Python < 3.11
    import sre_constants as _c
    import sre_parse as _p

MAXREPEAT = _c.MAXREPEAT
FALLBACK = "numbers in the form the tracking rule sets"

# (characters, plural, singular)
_KINDS = [
    (frozenset(string.ascii_uppercase), "capital letters", "capital letter"),
    (frozenset(string.ascii_lowercase), "small letters", "small letter"),
    (frozenset(string.digits), "digits", "digit"),
    ]
_NAMED = {
    '-': ("hyphens", "hyphen"), '_': ("underscores", "underscore"),
    '.': ("dots", "dot"), '/': ("slashes", "slash"),
    ' ': ("spaces", "space"), '+': ("plus signs", "plus sign"),
    }
_PRINTABLE = frozenset(chr(c) for c in range(33, 127))


class _Unsaid(Exception):
    "The pattern cannot be told in words"


def describe(pattern):
    "The pattern in words; FALLBACK when it cannot be told"
    try:
        parts = _sequence(_p.parse(pattern))
    except (_Unsaid, re.error, TypeError, ValueError, OverflowError):
        return FALLBACK
    if not parts:
        return FALLBACK
    # a first character then more of a wider kind: one count of the wider
    if (len(parts) == 2 and parts[0][0] == 'class'
            and parts[1][0] == 'class' and parts[0][2] == parts[0][3] == 1
            and parts[0][1] <= parts[1][1]):
        _, chars, low, high = parts[1]
        return "%s %s, starting with %s" % (
            _count(low + 1, high + 1), _words(chars, plural=True),
            _article(_words(parts[0][1], plural=False)))
    return ", then ".join(_part(part) for part in parts)


def _sequence(items):
    "[('text', str) | ('class', chars, low, high)] of a parsed pattern"
    parts = []
    for op, value in items:
        if op == _c.AT:
            continue  # ^ and $: the number is matched whole anyway
        if op == _c.LITERAL:
            part = ('class', frozenset(chr(value)), 1, 1)
        elif op in {_c.IN, _c.ANY, _c.NOT_LITERAL}:
            part = ('class', _chars(op, value), 1, 1)
        elif op in {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(
                    _c, 'POSSESSIVE_REPEAT', None)}:
            low, high, sub = value
            inner = _sequence(sub)
            if len(inner) != 1 or inner[0][0] != 'class' or (
                    inner[0][2] != 1 or inner[0][3] != 1):
                raise _Unsaid
            part = ('class', inner[0][1], low,
                None if high == MAXREPEAT else high)
        elif op == _c.SUBPATTERN:
            parts.extend(_sequence(value[-1]))
            continue
        else:
            raise _Unsaid
        if (part[2], part[3]) == (1, 1) and len(part[1]) == 1 and (
                parts and parts[-1][0] == 'text'):
            parts[-1] = ('text', parts[-1][1] + next(iter(part[1])))
        elif (part[2], part[3]) == (1, 1) and len(part[1]) == 1:
            parts.append(('text', next(iter(part[1]))))
        elif parts and parts[-1][0] == 'class' and parts[-1][1] == part[1]:
            _, chars, low, high = parts[-1]
            parts[-1] = ('class', chars, low + part[2],
                None if high is None or part[3] is None
                else high + part[3])
        else:
            parts.append(part)
    return parts


def _chars(op, value):
    if op == _c.ANY:
        return _PRINTABLE
    if op == _c.NOT_LITERAL:
        return _PRINTABLE - {chr(value)}
    chars, negate = set(), False
    for kind, item in value:
        if kind == _c.NEGATE:
            negate = True
        elif kind == _c.LITERAL:
            chars.add(chr(item))
        elif kind == _c.RANGE:
            chars.update(chr(c) for c in range(item[0], item[1] + 1))
        elif kind == _c.CATEGORY and item == _c.CATEGORY_DIGIT:
            chars.update(string.digits)
        elif kind == _c.CATEGORY and item == _c.CATEGORY_WORD:
            chars.update(string.ascii_letters + string.digits + '_')
        else:
            raise _Unsaid
    chars &= _PRINTABLE
    return frozenset(_PRINTABLE - chars if negate else chars)


def _words(chars, plural):
    "capital letters, digits or hyphens"
    if chars == _PRINTABLE:
        return "characters" if plural else "character"
    left, words = set(chars), []
    if set(string.ascii_letters) <= left:
        words.append("letters" if plural else "letter")
        left -= set(string.ascii_letters)
    for kind, many, one in _KINDS:
        if kind <= left:
            words.append(many if plural else one)
            left -= kind
    for char in sorted(left):
        if char in _NAMED:
            words.append(_NAMED[char][0 if plural else 1])
        else:
            words.append('"%s"' % char)
    if len(words) > 5:
        raise _Unsaid
    if len(words) == 1:
        return words[0]
    return "%s or %s" % (", ".join(words[:-1]), words[-1])


def _article(words):
    return ("an " if words[0] in 'aeiou' else "a ") + words if (
        not words.startswith('"')) else words


def _count(low, high):
    if high is None:
        return "%d or more" % low if low else "any number of"
    if low == high:
        return str(low)
    if not low:
        return "up to %d" % high
    return "%d to %d" % (low, high)


def _part(part):
    if part[0] == 'text':
        return '"%s"' % part[1]
    _, chars, low, high = part
    if low == high == 1:
        return _article(_words(chars, plural=False))
    return "%s %s" % (_count(low, high), _words(chars, plural=True))
