"""The round-trip judge over a folder: recompile each OUT/<rel>.py with the running interpreter and compare its code
objects with PYC/<rel>.pyc by the rule in fixture_judge.py (a port of the shared judge).

usage: judge_tree.py PYC OUT [--json REPORT] [--show N] [--min-files P] [--min-code P]
Prints the judge's summary line; with --min-files / --min-code exits 1 when the share of equal files / code
objects (percent) is below the floor.
"""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_judge as fj  # noqa: E402


def main():
    args = sys.argv[1:]
    pyc_root, out_root = args[0], args[1]

    def opt(name, default=None, conv=str):
        return conv(args[args.index(name) + 1]) if name in args else default

    report, show = opt('--json'), opt('--show', 0, int)
    min_files, min_code = opt('--min-files', None, float), opt('--min-code', None, float)
    stats = dict(files=0, equal=0, no_output=0, recompile_error=0, mismatch=0,
                 code_total=0, code_equal=0, code_line_exact=0, files_line_exact=0)
    per_file = {}
    unequal = {}  # rel -> every code object that differs
    for root, dirs, names in os.walk(pyc_root):
        dirs.sort()
        for n in sorted(names):
            if not n.endswith('.pyc'):
                continue
            p = os.path.join(root, n)
            rel = os.path.relpath(p, pyc_root)[:-1]
            stats['files'] += 1
            orig = fj.load_pyc(p)
            try:
                with open(os.path.join(out_root, rel), 'rb') as f:
                    text = f.read()
            except OSError:
                text = None
            if text is None or (not text.strip() and fj.count_codes(orig) > 1):
                stats['no_output'] += 1
                stats['code_total'] += fj.count_codes(orig)
                per_file[rel] = 'no-output'
                continue
            try:
                new = compile(text, rel, 'exec', dont_inherit=True)
            except BaseException as e:
                stats['recompile_error'] += 1
                stats['code_total'] += fj.count_codes(orig)
                per_file[rel] = 'recompile-error: %s' % (str(e).splitlines() or [''])[0][:200]
                continue
            diffs = []
            before = stats['code_line_exact'], stats['code_total']
            unequal[rel] = []
            if fj.compare(orig, new, rel, stats, diffs, unequal[rel]):
                stats['equal'] += 1
                per_file[rel] = 'equal'
                if stats['code_line_exact'] - before[0] == stats['code_total'] - before[1]:
                    stats['files_line_exact'] += 1
            else:
                stats['mismatch'] += 1
                per_file[rel] = 'mismatch: ' + ' | '.join(diffs)
    f, c = max(stats['files'], 1), max(stats['code_total'], 1)
    file_pct, code_pct = 100.0 * stats['equal'] / f, 100.0 * stats['code_equal'] / c
    print('python %s files %d equal %d (%.1f%%) line-exact %d no-output %d recompile-error %d mismatch %d | '
          'code objects %d equal %d (%.1f%%) line-exact %d' % (
              sys.version.split()[0], stats['files'], stats['equal'], file_pct, stats['files_line_exact'],
              stats['no_output'], stats['recompile_error'], stats['mismatch'], stats['code_total'],
              stats['code_equal'], code_pct, stats['code_line_exact']))
    for k, v in [(k, v) for k, v in per_file.items() if v != 'equal'][:show]:
        print('  %s: %s' % (k, v))
    if report:
        with open(report, 'w') as fh:
            json.dump(dict(stats=stats, files=per_file, unequal={k: v for k, v in unequal.items() if v}), fh, indent=1)
    low = []
    if min_files is not None and file_pct < min_files:
        low.append('files %.1f%% < %.1f%%' % (file_pct, min_files))
    if min_code is not None and code_pct < min_code:
        low.append('code objects %.1f%% < %.1f%%' % (code_pct, min_code))
    if low:
        print('below the floor: ' + ', '.join(low))
        sys.exit(1)


main()
