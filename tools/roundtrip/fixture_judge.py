"""The round-trip judge for one decompiled module, as a PythonServer helper (tools/pyrun VERSION --serve) or a
command: recompile the source with the running interpreter and compare its code objects with the .pyc's.

    request (one line of JSON): {"pyc": "/path/NAME.pyc", "source": "decompiled text"}
    answer  (base64 of JSON, which keeps backslashes out of the line protocol): {"verdict": "equal" | "no-output" | "recompile-error" | "mismatch",
                                 "detail": "...", "line_exact": true | false}
    command: fixture_judge.py PYC SOURCE.py      (prints the JSON)

The comparison is a port of the shared judge ../shared/tools/roundtrip/rt_verify.py, kept equivalent so the
repository is self-contained: two code objects are equal when, recursively, their instruction streams match
after dropping NOP, RESUME, CACHE and EXTENDED_ARG (jump targets and exception-table entries compared as
instruction indices), and their constants (type-exact), argument counts, flags, names of locals/free/cell
variables and names match. Line numbers are compared separately ("line_exact"). Any change to the rule there
belongs here too."""
import base64
import dis
import json
import marshal
import sys
import types

SKIP = {'NOP', 'RESUME', 'CACHE', 'EXTENDED_ARG'}
JUMPS = set(dis.hasjrel) | set(dis.hasjabs) | set(getattr(dis, 'hasjump', []))


def const_key(c):
    if isinstance(c, types.CodeType):
        return ('<code>',)
    if isinstance(c, tuple):
        return ('tuple',) + tuple(const_key(x) for x in c)
    if isinstance(c, frozenset):
        return ('frozenset',) + tuple(sorted(repr(const_key(x)) for x in c))
    return (type(c).__name__, repr(c))


def flatten(co):
    insts = list(dis.get_instructions(co))
    kept_before = {}
    n = 0
    for ins in insts:
        kept_before[ins.offset] = n
        if ins.opname not in SKIP:
            n += 1

    def idx(off):
        if off in kept_before:
            return kept_before[off]
        return ('off', off)
    # nested code objects in constant order: each is compared once, with its counterpart by position
    children = [c for c in co.co_consts if isinstance(c, types.CodeType)]
    seq, lines = [], []
    line = None
    for ins in insts:
        pos = getattr(ins, 'positions', None)
        if pos is not None and pos.lineno is not None:
            line = pos.lineno
        elif pos is None and ins.starts_line is not None:
            line = ins.starts_line
        if ins.opname in SKIP:
            continue
        av = ins.argval
        if ins.opcode in JUMPS and isinstance(av, int):
            av = ('jump', idx(av))
        elif isinstance(av, types.CodeType):
            av = ('code', next(i for i, c in enumerate(children) if c is av))
        else:
            av = const_key(av) if not isinstance(av, str) else av
        seq.append((ins.opname, av))
        lines.append(line)
    exc = []
    parse = getattr(dis, '_parse_exception_table', None)
    if parse is not None:
        for e in parse(co):
            exc.append((idx(e.start), idx(e.end), idx(e.target), e.depth, e.lasti))
    head = (co.co_name, getattr(co, 'co_qualname', None), co.co_argcount, co.co_posonlyargcount,
            co.co_kwonlyargcount, co.co_flags, co.co_varnames, co.co_freevars, co.co_cellvars,
            tuple(const_key(c) for c in co.co_consts))
    return head, seq, exc, lines, children


def short(x, n=160):
    r = repr(x)
    return r if len(r) <= n else r[:n] + '...'


def describe_diff(a, b):
    ha, sa, ea, _, _ = a
    hb, sb, eb, _, _ = b
    names = ['name', 'qualname', 'argcount', 'posonly', 'kwonly', 'flags', 'varnames', 'freevars', 'cellvars', 'consts']
    for n, x, y in zip(names, ha, hb):
        if x != y:
            return '%s: %s != %s' % (n, short(x), short(y))
    for i, (x, y) in enumerate(zip(sa, sb)):
        if x != y:
            return 'instr %d: %s != %s' % (i, short(x), short(y))
    if len(sa) != len(sb):
        return 'length %d != %d' % (len(sa), len(sb))
    return 'exception table differs'


def compare(orig, new, path, stats, diffs, unequal=None):
    """unequal, when given, collects the path of every code object that differs (diffs keeps the first three)."""
    fa, fb = flatten(orig), flatten(new)
    stats['code_total'] += 1
    ok = fa[:3] == fb[:3]
    if ok:
        stats['code_equal'] += 1
        if fa[3] == fb[3]:
            stats['code_line_exact'] += 1
    else:
        if len(diffs) < 3:
            diffs.append('%s: %s' % (path, describe_diff(fa, fb)))
        if unequal is not None:
            unequal.append(path)
    ca, cb = fa[4], fb[4]
    all_ok = ok
    for i, c in enumerate(ca):
        if i < len(cb):
            all_ok &= compare(c, cb[i], path + '/' + c.co_name, stats, diffs, unequal)
        else:
            all_ok = False
            stats['code_total'] += count_codes(c)
            if unequal is not None:
                unequal.extend(p + ' [missing]' for p in code_paths(c, path + '/' + c.co_name))
    return all_ok


def code_paths(co, path):
    """The paths of a code object and everything nested in it (code objects the output does not have)."""
    yield path
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            yield from code_paths(c, path + '/' + c.co_name)


def count_codes(co):
    return 1 + sum(count_codes(c) for c in co.co_consts if isinstance(c, types.CodeType))


def load_pyc(path):
    with open(path, 'rb') as f:
        data = f.read()
    return marshal.loads(data[16:])


def judge(pyc_path, text):
    """The verdict for one module: text is the decompiled source as bytes, or None for no output."""
    orig = load_pyc(pyc_path)
    rel = pyc_path.replace('\\', '/').rsplit('/', 1)[-1][:-1]
    # an empty file is a valid answer for an empty module; only a missing file is no output
    if text is None or (not text.strip() and count_codes(orig) > 1):
        return dict(verdict='no-output', detail='', line_exact=False)
    try:
        new = compile(text, rel, 'exec', dont_inherit=True)
    except BaseException as e:
        return dict(verdict='recompile-error', detail=(str(e).splitlines() or [''])[0][:200], line_exact=False)
    stats = dict(code_total=0, code_equal=0, code_line_exact=0)
    diffs = []
    if compare(orig, new, rel, stats, diffs):
        return dict(verdict='equal', detail='', line_exact=stats['code_line_exact'] == stats['code_total'])
    return dict(verdict='mismatch', detail=' | '.join(diffs), line_exact=False)


def handle(line):
    request = json.loads(line)
    source = request.get('source')
    verdict = judge(request['pyc'], None if source is None else source.encode('utf-8', 'surrogatepass'))
    return base64.b64encode(json.dumps(verdict).encode('utf-8')).decode('ascii')


if __name__ == '__main__' and len(sys.argv) == 3:
    with open(sys.argv[2], 'rb') as f:
        print(json.dumps(judge(sys.argv[1], f.read())))
