"""Compile every .py under SRC into DEST/<rel>.pyc with the running interpreter (3.8-3.14).
usage: compile_tree.py SRC DEST [--max N] [--seed S]
Files that this version cannot compile (other versions' syntax, test data) are skipped and counted."""
import os, sys, random, importlib.util, importlib._bootstrap_external as ext

def main():
    args = sys.argv[1:]
    src, dest = os.path.abspath(args[0]), os.path.abspath(args[1])
    limit = int(args[args.index('--max') + 1]) if '--max' in args else None
    seed = int(args[args.index('--seed') + 1]) if '--seed' in args else 0
    files = []
    for root, dirs, names in os.walk(src):
        dirs.sort()
        for n in sorted(names):
            if n.endswith('.py'):
                files.append(os.path.relpath(os.path.join(root, n), src))
    if limit is not None and limit < len(files):
        files = sorted(random.Random(seed).sample(files, limit))
    ok = failed = 0
    for rel in files:
        try:
            with open(os.path.join(src, rel), 'rb') as f:
                source = f.read()
            code = compile(source, rel, 'exec', dont_inherit=True)
        except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
            failed += 1
            continue
        data = ext._code_to_timestamp_pyc(code, 0, len(source))
        out = os.path.join(dest, rel + 'c')
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, 'wb') as f:
            f.write(data)
        ok += 1
    print('compiled %d, skipped %d' % (ok, failed), file=sys.stderr)

main()
