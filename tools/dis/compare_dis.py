"""Compare two folders of disassembly text (<rel>.dis): CPython's (dis_view.py) and pyrecon's.
usage: compare_dis.py EXPECTED_DIR ACTUAL_DIR [--show N] [--list FILE] [--min-percent P]
Exit status 0 when every file is identical, or at least P percent are when --min-percent is given.
Memory addresses (0x...) are masked and trailing blanks ignored, nothing else."""
import os, re, sys

ADDRESS = re.compile(r'0x[0-9a-fA-F]+')

def norm(text):
    lines = [ADDRESS.sub('0x?', l).rstrip() for l in text.split('\n')]
    while lines and not lines[-1]:
        lines.pop()
    return lines

def main():
    exp_dir, act_dir = sys.argv[1], sys.argv[2]
    show = int(sys.argv[sys.argv.index('--show') + 1]) if '--show' in sys.argv else 5
    listing = sys.argv[sys.argv.index('--list') + 1] if '--list' in sys.argv else None
    files = []
    for root, dirs, names in os.walk(exp_dir):
        files += [os.path.relpath(os.path.join(root, n), exp_dir) for n in names if n.endswith('.dis')]
    files.sort()
    same, diffs = 0, []
    for rel in files:
        with open(os.path.join(exp_dir, rel), encoding='utf-8') as f:
            expected = norm(f.read())
        try:
            with open(os.path.join(act_dir, rel), encoding='utf-8') as f:
                actual = norm(f.read())
        except FileNotFoundError:
            diffs.append((rel, 'no pyrecon output'))
            continue
        if expected == actual:
            same += 1
            continue
        for i in range(max(len(expected), len(actual))):
            e = expected[i] if i < len(expected) else '<end>'
            a = actual[i] if i < len(actual) else '<end>'
            if e != a:
                diffs.append((rel, 'line %d\n    cpython: %s\n    pyrecon: %s' % (i + 1, e, a)))
                break
    total = len(files)
    print('identical %d of %d (%.2f%%)' % (same, total, 100.0 * same / max(total, 1)))
    for rel, d in diffs[:show]:
        print('  %s: %s' % (rel, d))
    if listing:
        with open(listing, 'w', encoding='utf-8') as f:
            for rel, d in diffs:
                f.write('%s: %s\n' % (rel, d))
    if '--min-percent' in sys.argv:
        return 0 if 100.0 * same >= float(sys.argv[sys.argv.index('--min-percent') + 1]) * total else 1
    return 0 if same == total else 1

sys.exit(main())
