"""Show the code objects whose verdict changed between two round-trip reports (check_stdlib keeps the previous one).

usage: python3 compare_reports.py OLD.json NEW.json
Lists, per file, the code objects that stopped matching (lost) and those that now match (won); a whole-file
verdict (recompile-error, no-output) counts as one entry.
"""
import json, sys


def objects(report):
    files, unequal = report['files'], report.get('unequal', {})
    out = {}
    for rel, status in files.items():
        if status == 'equal':
            out[rel] = set()
        elif status.startswith('mismatch') and rel in unequal:
            out[rel] = set(unequal[rel])
        elif status.startswith('mismatch'):
            out[rel] = {part.partition(': ')[0] for part in status.partition(': ')[2].split(' | ')}
        else:
            out[rel] = {status.partition(':')[0]}
    return out


old, new = (objects(json.load(open(p))) for p in sys.argv[1:3])
lost = won = 0
for rel in sorted(set(old) | set(new)):
    a, b = old.get(rel, {'missing'}), new.get(rel, {'missing'})
    if a == b:
        continue
    lost += len(b - a)
    won += len(a - b)
    print('%s\n  lost: %s\n  won:  %s' % (rel, ', '.join(sorted(b - a)) or '-', ', '.join(sorted(a - b)) or '-'))
print('code objects lost %d, won %d' % (lost, won))
