"""Group a round-trip run's failures into classes, most frequent first.

usage: python3 failure_classes.py REPORT.json TOOL.log [--show N]
REPORT.json is the judge's report; TOOL.log is pyrecon's stderr (one line per code object that failed).
Classes: pyrecon's own failures by stage and message shape; recompile errors by message; mismatches by the
first difference (which field, or which instruction pair).
"""
import collections, json, re, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)

def shape(text):
    text = re.sub(r'\([\w./-]+\.py, line \d+\)', '', text)
    text = re.sub(r"'[^']*'", "'X'", text)
    text = re.sub(r'"[^"]*"', '"X"', text)
    text = re.sub(r'\b\d+\b', 'N', text)
    text = re.sub(r'\(\[.*', '(...)', text)
    return text[:150]

def main():
    report, log = sys.argv[1], sys.argv[2]
    show = int(sys.argv[sys.argv.index('--show') + 1]) if '--show' in sys.argv else 0
    with open(report) as f:
        data = json.load(f)
    tool = collections.Counter()
    examples = {}
    reported = collections.defaultdict(set)  # file stem -> names of the code objects pyrecon said it failed
    with open(log, errors='replace') as f:
        for line in f:
            m = re.match(r'pyrecon: (\S+): (.*?) \(line \d+\): (\w[\w-]*): (.*)', line.strip())
            if not m:
                continue
            reported[re.sub(r'\.pyc$', '', m.group(1)).split('/pyc/')[-1]].add(m.group(2).split(' ')[-1].split('.')[-1])
            key = m.group(3) + ': ' + shape(m.group(4))
            tool[key] += 1
            examples.setdefault(key, line.strip()[:300])
    judged = collections.Counter()
    jexamples = {}
    silent = collections.Counter()
    sexamples = {}
    for rel, status in data['files'].items():
        if status == 'equal':
            continue
        kind, _, detail = status.partition(': ')
        if kind == 'mismatch':
            # A mismatched code object pyrecon did not report: it printed source that compiles to other bytecode.
            names = reported.get(re.sub(r'\.py$', '', rel), set())
            for part in detail.split(' | '):
                where, _, what = part.partition(': ')
                if where.split('/')[-1] in names:
                    continue
                m = re.match(r'instr \d+: \((\'\w+\'), .*?\) != \((\'\w+\'), ', what)
                key = 'instr %s -> %s' % (m.group(1), m.group(2)) if m else (re.match(r'\w+', what) or [shape(what)])[0]
                silent[key] += 1
                sexamples.setdefault(key, '%s: %s' % (where, what[:300]))
        first = detail.split(' | ')[0]
        if kind == 'mismatch':
            m = re.match(r'\S+: instr \d+: \((\'\w+\'), .*?\) != \((\'\w+\'), ', first)
            if m:
                key = 'mismatch instr %s -> %s' % (m.group(1), m.group(2))
            else:
                m = re.match(r'\S+: (\w+)', first)
                key = 'mismatch ' + (m.group(1) if m else shape(first))
        elif kind == 'recompile-error':
            key = 'recompile-error ' + shape(detail)
        else:
            key = kind
        judged[key] += 1
        jexamples.setdefault(key, '%s: %s' % (rel, status[:300]))
    print('pyrecon failures (code objects):')
    for key, n in tool.most_common(40):
        print('  %5d  %s' % (n, key))
        if show:
            print('         e.g. ' + examples[key])
    print('silent mismatches (code objects pyrecon did not report; the judge lists up to a few per file):')
    for key, n in silent.most_common(40):
        print('  %5d  %s' % (n, key))
        if show:
            print('         e.g. ' + sexamples[key])
    print('judge verdicts (files):')
    for key, n in judged.most_common(40):
        print('  %5d  %s' % (n, key))
        if show:
            print('         e.g. ' + jexamples[key])

main()
