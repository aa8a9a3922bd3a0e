"""Collect every distinct constant in the code objects of this interpreter's standard library (test
directories skipped) and write them, one JSON encoding per line, to the file named by argv[1]."""
import json
import os
import sys
import sysconfig
import types
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from constants_codec import encode  # noqa: E402

SKIP = {'test', 'tests', 'idle_test', 'site-packages', '__pycache__', 'lib2to3'}


def walk(code, out):
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            walk(c, out)
        else:
            out.add(json.dumps(encode(c), sort_keys=True))


def main():
    root = sysconfig.get_paths()['stdlib']
    seen = set()
    files = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP and not d.startswith('test'))
        for name in sorted(filenames):
            if not name.endswith('.py'):
                continue
            path = os.path.join(dirpath, name)
            try:
                with open(path, 'rb') as f:
                    source = f.read()
                with warnings.catch_warnings():
                    warnings.simplefilter('ignore')
                    code = compile(source, path, 'exec', dont_inherit=True)
            except (SyntaxError, ValueError, UnicodeDecodeError):
                continue  # a few stdlib files are templates or other-version sources
            files += 1
            walk(code, seen)
    with open(sys.argv[1], 'w', encoding='ascii') as out:
        for line in sorted(seen):
            out.write(line + '\n')
    print(json.dumps({'files': files, 'constants': len(seen), 'root': root}))


main()
