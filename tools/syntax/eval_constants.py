"""Evaluate formatted constants and compare with the values they were formatted from. argv[1] is a file
of JSON lines {"text": source, "expect": encoding}; prints {"checked": n, "failures": [...]}."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from constants_codec import canonical, encode  # noqa: E402


def main():
    checked = 0
    failures = []
    with open(sys.argv[1], encoding='utf-8') as f:
        for line in f:
            case = json.loads(line)
            text = case['text']
            try:
                got = canonical(encode(eval(text, {'__builtins__': __builtins__})))
            except Exception as e:  # noqa: BLE001 - any error is a failure to report
                got = {'error': '%s: %s' % (type(e).__name__, e)}
            want = canonical(case['expect'])
            checked += 1
            if got != want and len(failures) < 20:
                failures.append({'text': text[:300], 'want': str(want)[:300], 'got': str(got)[:300]})
            elif got != want:
                failures.append(None)
    bad = [x for x in failures if x is not None]
    print(json.dumps({'checked': checked, 'failed': len(failures), 'failures': bad}))


main()
