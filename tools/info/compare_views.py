"""Compare the interpreter's views (pyc_view.py output) with `pyrecon info --json` lines, field for field.
usage: compare_views.py EXPECTED.jsonl ACTUAL.jsonl [--show N]
Frozenset items are compared as multisets (their order depends on string hashing)."""
import json, sys

def norm(x):
    if isinstance(x, dict):
        if x.get('type') == 'frozenset' and 'items' in x:
            return {'type': 'frozenset', 'items': sorted((norm(i) for i in x['items']), key=lambda v: json.dumps(v, sort_keys=True))}
        return {k: norm(v) for k, v in x.items()}
    if isinstance(x, list):
        return [norm(i) for i in x]
    return x

def first_difference(a, b, path='code'):
    if type(a) != type(b):
        return '%s: %r != %r' % (path, a, b)
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return first_difference(a.get(k), b.get(k), path + '.' + str(k))
    elif isinstance(a, list):
        if len(a) != len(b):
            return '%s: length %d != %d' % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, '%s[%d]' % (path, i))
    elif a != b:
        return '%s: %r != %r' % (path, a, b)
    return None

def main():
    expected = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
    actual = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
    show = int(sys.argv[sys.argv.index('--show') + 1]) if '--show' in sys.argv else 10
    if len(expected) != len(actual):
        print('line count differs: %d expected, %d actual' % (len(expected), len(actual)))
        return 1
    agree = 0
    problems = []
    for e, a in zip(expected, actual):
        if 'error' in e:
            problems.append('%s: interpreter could not read it: %s' % (e['file'], e['error']))
            continue
        if 'error' in a:
            problems.append('%s: pyrecon: %s' % (e['file'], a['error']))
            continue
        x, y = norm(e['view']), norm(a)
        if x == y:
            agree += 1
        else:
            problems.append('%s: %s' % (e['file'], first_difference(x, y, 'view')))
    print('agree %d of %d' % (agree, len(expected)))
    for p in problems[:show]:
        print('  ' + p[:400])
    if len(problems) > show:
        print('  ... and %d more' % (len(problems) - show))
    return 0 if agree == len(expected) else 1

sys.exit(main())
