# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every command that takes text, with random text and bytes (NUL, lone
surrogates, bytes that are not UTF-8 as a shell passes them, huge values,
random option mixes, random files): exit status 0 or 2, never a
traceback, one line on stderr on exit 2 (issue 16, acceptance).

Starting serial-mes loads trytond and the database's pool, which takes
seconds; so a process runs a list of command lines: this file, run as a
script, calls serial_mes.cli.main() on each command line it reads as JSON
from stdin, with stdout and stderr of the encodings and error handlers of
the real ones, and answers for each its exit status, its stderr and the
exception that escaped main() if any (what Python prints as a traceback).
The figures of a run are written to test-output/cli-properties-<backend>.json.
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, 'data')
EXAMPLES = 3                # processes per command
COMMAND_LINES = (9, 13)     # command lines per process


def _from_bytes(data):
    "An argument as Python receives bytes that a shell passed"
    return data.decode('utf-8', 'surrogateescape')


# any character: lone surrogates (Cs) and controls (Cc, NUL among them)
# are excluded by st.characters() unless asked for
ANY_CHARACTER = st.one_of(st.characters(),
    st.characters(categories=['Cs', 'Cc']), st.just('\x00'))
TEXT = st.one_of(
    st.text(max_size=30),
    st.text(ANY_CHARACTER, max_size=30),        # NUL, controls, surrogates
    st.binary(max_size=30).map(_from_bytes),
    st.builds(lambda text, times: text * times,
        st.text(ANY_CHARACTER, min_size=1, max_size=3),
        st.integers(1000, 40000)),               # huge
    st.sampled_from(['', ' ', '-', '--', '0', '-1', '100001',
            '99999999999999999999', 'nan', 'inf', '\x00', '\ud800',
            '9999-12-31T23:59:59-14:00', '0001-01-01T00:00:00+14:00',
            '2025-06-02', '2025-06-02T08:00:00+02:00']),
    )

GOOD = {
    'serial': ['PC-PRO-00001', 'PC-PRO-00002', '00:1B:21:3A:4F:5C',
        '(01)09506000140179(21)PC-PRO-00001'],
    'product': ['SSD-1TB', '9506000140131', 'CASE-MID', 'SCR-M3'],
    'barcode': [']C101095060001343521ABC\x1d10LOT7',
        'https://id.gs1.org/01/09506000134352/21/A%2FB?17=261231',
        '(01) 09506000134352 (21) 0001', ']d1hello'],
    'epc': ['3074257BF7194E4000001A85', 'urn:epc:tag:sgtin-96:1.0950600.'
        '013435.2', 'urn:epc:id:sgtin:0950600.013435.2',
        '363BA052000DB068435B4294F5AC183060C80000000000000000'],
    'gtin': ['09506000134352', '9506000134352', '09506000134353'],
    'supplier': ['SUP-HELIX', 'Helix Silicon GmbH'],
    }


def value(kind):
    "Random text, or a good value of kind with random text around it"
    good = st.sampled_from(GOOD[kind])
    return st.one_of(TEXT, good, st.builds(lambda g, t: g + t, good, TEXT),
        st.builds(lambda t, g: t + g, TEXT, good))


def _flat(tokens):
    "Tokens, a value that is a list standing for several tokens"
    return [t for token in tokens
        for t in (token if isinstance(token, list) else [token])]


def command(prefix, positionals=(), switches=(), options=None):
    """Command lines of prefix: half of them well formed (positionals, then
    switches and options with a value, in any order), half random tokens
    after prefix (for the argument parser)"""
    options = options or {}
    flags = list(switches) + list(options)
    items = [st.sampled_from(list(switches)).map(lambda s: [s])] \
        if switches else []
    items += [st.tuples(st.just(o), v).map(list) for o, v in options.items()]
    well_formed = st.tuples(st.tuples(*positionals).map(list),
        st.lists(st.one_of(items), max_size=4) if items else st.just([]))
    well_formed = well_formed.map(lambda parts: prefix + _flat(
            parts[0] + [token for item in parts[1] for token in item]))
    raw = st.lists(st.one_of(st.sampled_from(flags) if flags else TEXT,
            TEXT), max_size=6).map(lambda tokens: prefix + tokens)
    return st.one_of(well_formed, raw)


SERIAL_OR_SUPPLIER = st.one_of(value('serial'), value('supplier'))
FOLDERS = st.sampled_from(['{tmp}/recall.csv', '{tmp}/missing/recall.csv',
        '{tmp}'])
COMMANDS = {
    'barcode parse': (False, command(['barcode', 'parse'],
            [value('barcode')], ['--plain', '--json'])),
    'epc decode': (False, command(['epc', 'decode'], [value('epc')],
            ['--json'])),
    'epc encode': (False, command(['epc', 'encode'], [
                st.tuples(st.just('--gtin'), value('gtin')).map(list),
                st.tuples(st.just('--serial'),
                    st.sampled_from(['1', '274877906943', 'A-1']) | TEXT,
                    ).map(list)], ['--json'], {
                '--company-prefix-length': st.sampled_from(
                    ['6', '7', '12']) | TEXT,
                '--filter': st.sampled_from(['0', '1', '7']) | TEXT,
                '--scheme': st.sampled_from(['sgtin-96', 'sgtin-198'])
                | TEXT})),
    'serial show': (True, command(['serial', 'show'], [value('serial')],
            ['--json'], {'--product': value('product'),
                '--events': st.sampled_from(['0', '3']) | TEXT})),
    'trace': (True, command(['trace'], [value('serial')], ['--up',
                '--json'], {'--at': TEXT})),
    'recall': (True, command(['recall'], [], ['--json'], {
                '--lot': SERIAL_OR_SUPPLIER, '--supplier': SERIAL_OR_SUPPLIER,
                '--received-from': TEXT, '--received-to': TEXT,
                '--csv': FOLDERS | TEXT})),
    'serial create': (True, command(['serial', 'create'],
            [value('product'), st.lists(value('serial'), max_size=3)],
            ['--json'], {
                '--count': st.sampled_from(['1', '2', '0', '100001']) | TEXT,
                '--range': st.lists(TEXT, min_size=2, max_size=2)})),
    'asn parse': (False, command(['asn', 'parse', '{file}'], [],
            ['--json'])),
    'asn import': (True, command(['asn', 'import', '{file}'], [],
            ['--json'])),
    'rfid ingest': (True, command(['rfid', 'ingest', '{file}'], [],
            ['--json'], {'--reader': st.just('dock-door-1') | TEXT})),
    }


def _sample(name):
    with open(os.path.join(SAMPLES, name), 'rb') as file:
        return file.read()


def _mutate(data, position, junk):
    position = position % (len(data) + 1)
    return data[:position] + junk + data[position + len(junk):]


ASN_SAMPLES = ['asn/ubl_despatch_advice.xml', 'asn/asn_template.csv',
    'asn/desadv_d96a_pc_parts.edi', 'asn/gs1_despatch_advice.xml']
# only the ASN the demo imported and scanned is mutated for asn import: a
# variant is the same ASN (unchanged) or is refused, the demo stays as it is
IMPORTED_ASN = 'asn/ubl_despatch_advice.xml'

JSON = st.recursive(st.none() | st.booleans() | st.integers()
    | st.floats() | st.text(ANY_CHARACTER, max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.text(max_size=10), children, max_size=4), max_leaves=20)
READ = st.fixed_dictionaries({
        'epc': st.one_of(value('epc'), JSON),
        'antenna': st.one_of(st.integers(-2, 70000), TEXT, JSON),
        'time': st.one_of(TEXT, st.integers(), st.floats(), JSON),
        }, optional={'rssi': JSON, 'reader': st.one_of(TEXT, JSON)})
BATCH = st.fixed_dictionaries({
        'reads': st.lists(READ, max_size=3)},
    optional={'reader': st.sampled_from(['dock-door-1']) | TEXT,
        'batch': TEXT | JSON})


def _json_bytes(value):
    return json.dumps(value).encode('utf-8', 'surrogatepass')


FILES = {
    'asn parse': st.one_of(st.binary(max_size=300),
        st.builds(_mutate, st.sampled_from(ASN_SAMPLES).map(_sample),
            st.integers(0, 10 ** 5), st.binary(min_size=1, max_size=20))),
    'asn import': st.one_of(st.binary(max_size=300),
        st.builds(_mutate, st.just(_sample(IMPORTED_ASN)),
            st.integers(0, 10 ** 5), st.binary(min_size=1, max_size=20))),
    'rfid ingest': st.one_of(st.binary(max_size=300),
        JSON.map(_json_bytes), BATCH.map(_json_bytes),
        st.lists(BATCH.map(_json_bytes), min_size=2, max_size=3).map(
            b'\n'.join),
        st.integers(2000, 40000).map(lambda depth: b'[' * depth)),
    }


def _command_line(draw, name, folder, number):
    uses_database, strategy = COMMANDS[name]
    argv = draw(strategy)
    if name in FILES:
        path = os.path.join(folder, 'input-%d' % number)
        with open(path, 'wb') as file:
            file.write(draw(FILES[name]))
        argv = [path if a == '{file}' else a for a in argv]
    return [a.replace('{tmp}', folder) for a in argv]


@pytest.fixture(scope='module')
def figures(demo_db, output_dir):
    "Per command: command lines run, exit statuses, tracebacks seen"
    seen = collections.defaultdict(lambda: {
            'command_lines': 0, 'exit': collections.Counter(),
            'tracebacks': []})
    yield seen
    backend = demo_db.env['TRYTOND_DATABASE_URI'].split(':')[0]
    path = os.path.join(output_dir, 'cli-properties-%s.json' % backend)
    with open(path, 'w') as file:
        json.dump(seen, file, indent=1)


def _drive(demo_db, argvs):
    env = dict(demo_db.env, PYTHONPATH=os.pathsep.join(
            p for p in [ROOT, demo_db.env.get('PYTHONPATH')] if p))
    process = subprocess.run([sys.executable, __file__],
        input=json.dumps(argvs), env=env, capture_output=True, text=True,
        cwd=ROOT, timeout=900)
    assert process.returncode == 0, process.stderr[-3000:]
    return json.loads(process.stdout)


def _short(argv):
    return [a if len(a) <= 80 else a[:77] + '...' for a in argv]


@pytest.mark.parametrize('name', list(COMMANDS))
# no shrinking: each try runs processes; a failure names its command line
@settings(max_examples=EXAMPLES, deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_command_with_random_input(demo_db, figures, name, data):
    uses_database, _ = COMMANDS[name]
    with tempfile.TemporaryDirectory(prefix='cli-properties-') as folder:
        size = data.draw(st.integers(*COMMAND_LINES))
        argvs = [_command_line(data.draw, name, folder, number)
            for number in range(size)]
        if uses_database:
            argvs = [a + ['--database', demo_db.database] for a in argvs]
        results = _drive(demo_db, argvs)
    figure = figures[name]
    figure['command_lines'] += len(results)
    problems = []
    for argv, result in zip(argvs, results):
        figure['exit'][str(result['code'])] += 1
        stderr = result['stderr']
        if result['traceback'] or 'Traceback' in stderr:
            figure['tracebacks'].append(_short(argv))
            problems.append((_short(argv), result['traceback'] or stderr))
        elif result['code'] not in (0, 2):
            problems.append((_short(argv), result))
        elif result['code'] == 2 and (stderr.count('\n') != 1
                or not stderr.startswith('serial-mes: error: ')):
            problems.append((_short(argv), stderr[:2000]))
    assert not problems, problems[:3]


def drive():
    "Run serial_mes.cli.main() on each command line of stdin (JSON)"
    import io
    import traceback

    from serial_mes import cli
    argvs = json.load(sys.stdin)
    real_stdout, real_stderr = sys.stdout, sys.stderr
    answers = []
    for argv in argvs:
        sys.stdout = io.TextIOWrapper(io.BytesIO(),
            encoding=real_stdout.encoding, errors=real_stdout.errors)
        sys.stderr = io.TextIOWrapper(io.BytesIO(),
            encoding=real_stderr.encoding, errors=real_stderr.errors)
        escaped = None
        try:
            code = cli.main(argv)
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        except BaseException:
            code = 1
            escaped = traceback.format_exc()
        try:
            sys.stderr.flush()
            stderr = sys.stderr.buffer.getvalue().decode('utf-8', 'replace')
            try:
                sys.stdout.flush()
            except UnicodeEncodeError:
                escaped = escaped or traceback.format_exc()
        finally:
            sys.stdout, sys.stderr = real_stdout, real_stderr
        answers.append({'code': code, 'stderr': stderr,
                'traceback': escaped})
    json.dump(answers, sys.stdout)


if __name__ == '__main__':
    drive()
