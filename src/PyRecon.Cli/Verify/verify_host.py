"""The judge behind `pyrecon verify`, run by the interpreter that matches the file's version.

Served one request per line (CPython: `python verify_host.py --serve`; CPython 3.14 under Pyodide:
`node pyhost.mjs --serve verify_host.py`, which calls handle(line)); each answer is base64 of a JSON object.
    {"hello": true}                                    -> {"version": "3.12", "implementation": "cpython"}
    {"marshal": BASE64, "source": TEXT | null, "name": "mod.py"}
        -> {"verdict": "equal" | "no-output" | "recompile-error" | "mismatch", "detail": "...", "line_exact": bool,
            "code_objects": N, "code_objects_equal": N, "first_difference": {...} | null}
The verdict is fixture_judge.py's (a port of the round-trip judge, written beside this file); the first
difference names the code object, then the field, or the instruction index (NOP, RESUME, CACHE and
EXTENDED_ARG left out, as the judge counts them) with its offset and line in the original, expected and found.
"""
import base64
import dis
import json
import marshal
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_judge as fj  # noqa: E402

HEAD = ['name', 'qualname', 'argcount', 'posonlyargcount', 'kwonlyargcount', 'flags', 'varnames', 'freevars',
        'cellvars', 'consts']


def code_name(co, path):
    return getattr(co, 'co_qualname', None) or path


def show_value(av):
    if isinstance(av, str):
        return av
    if isinstance(av, tuple) and len(av) == 2 and av[0] == 'jump':
        return 'to instruction %s' % (av[1],)
    if isinstance(av, tuple) and len(av) == 2 and av[0] == 'code':
        return '<code object #%d>' % av[1]
    if isinstance(av, tuple) and len(av) == 2 and isinstance(av[1], str):
        return av[1]
    return fj.short(av, 120)


def show_instr(entry):
    if entry is None:
        return 'end of code'
    op, av = entry
    if dis.opmap.get(op, 10 ** 6) < dis.HAVE_ARGUMENT:
        return op
    return '%s %s' % (op, show_value(av))


def kept(co):
    return [ins for ins in dis.get_instructions(co) if ins.opname not in fj.SKIP]


def describe(orig, fa, fb, path):
    where = {'code': code_name(orig, path)}
    for name, x, y in zip(HEAD, fa[0], fb[0]):
        if x != y:
            where.update(field=name, expected=fj.short(x), found=fj.short(y))
            return where
    sa, sb = fa[1], fb[1]
    for i in range(max(len(sa), len(sb))):
        x = sa[i] if i < len(sa) else None
        y = sb[i] if i < len(sb) else None
        if x != y:
            where.update(field='instruction', index=i, expected=show_instr(x), found=show_instr(y))
            instrs = kept(orig)
            if i < len(instrs):
                where['offset'] = instrs[i].offset
            if i < len(fa[3]) and fa[3][i] is not None:
                where['line'] = fa[3][i]
            return where
    ea, eb = fa[2], fb[2]
    for i in range(max(len(ea), len(eb))):
        x = ea[i] if i < len(ea) else None
        y = eb[i] if i < len(eb) else None
        if x != y:
            where.update(field='exception table', index=i, expected=fj.short(x), found=fj.short(y))
            return where
    where.update(field='code', expected='', found='')
    return where


def first_difference(orig, new, path):
    """The first difference in the judge's walk order (the code object itself, then its nested ones)."""
    fa, fb = fj.flatten(orig), fj.flatten(new)
    if fa[:3] != fb[:3]:
        return describe(orig, fa, fb, path)
    ca, cb = fa[4], fb[4]
    for i, c in enumerate(ca):
        if i >= len(cb):
            return {'code': code_name(c, path + '.' + c.co_name), 'field': 'code object',
                    'expected': 'code object %s' % c.co_name, 'found': 'nothing'}
        d = first_difference(c, cb[i], path + '.' + c.co_name)
        if d is not None:
            return d
    return None


def judge(orig, text, name):
    total = fj.count_codes(orig)
    answer = dict(verdict='', detail='', line_exact=False, code_objects=total, code_objects_equal=0,
                  first_difference=None)
    if text is None or (not text.strip() and total > 1):
        answer.update(verdict='no-output')
        return answer
    try:
        new = compile(text, name, 'exec', dont_inherit=True)
    except BaseException as e:
        detail = (str(e).splitlines() or [''])[0][:200]
        answer.update(verdict='recompile-error', detail='%s: %s' % (type(e).__name__, detail))
        return answer
    stats = dict(code_total=0, code_equal=0, code_line_exact=0)
    diffs = []
    equal = fj.compare(orig, new, name, stats, diffs)
    answer.update(code_objects=stats['code_total'], code_objects_equal=stats['code_equal'])
    if equal:
        answer.update(verdict='equal', line_exact=stats['code_line_exact'] == stats['code_total'])
    else:
        answer.update(verdict='mismatch', detail=' | '.join(diffs), first_difference=first_difference(orig, new, '<module>'))
    return answer


def handle(line):
    request = json.loads(line)
    if request.get('hello'):
        answer = dict(version='%d.%d' % sys.version_info[:2], implementation=sys.implementation.name)
    else:
        orig = marshal.loads(base64.b64decode(request['marshal']))
        source = request.get('source')
        text = None if source is None else source.encode('utf-8', 'surrogatepass')
        answer = judge(orig, text, request.get('name') or 'module.py')
    return base64.b64encode(json.dumps(answer).encode('utf-8')).decode('ascii')


if __name__ == '__main__' and sys.argv[1:] == ['--serve']:
    for request_line in sys.stdin:
        try:
            reply = handle(request_line.rstrip('\n'))
        except Exception as e:  # one bad request must not stop the host
            reply = base64.b64encode(json.dumps({'error': '%s: %s' % (type(e).__name__, e)}).encode()).decode()
        sys.stdout.write(reply + '\n')
        sys.stdout.flush()
