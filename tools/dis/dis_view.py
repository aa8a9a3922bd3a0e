"""What CPython's dis.dis prints for the module code object of each .pyc.
usage: dis_view.py PYC_DIR OUT_DIR     writes OUT_DIR/<rel>.dis for every PYC_DIR/<rel>.pyc (same relative path, .pyc replaced by .dis)
Runs under every CPython 3.8-3.14 (3.14 through Pyodide).
Runs with a fixed PYTHONHASHSEED, 0 unless one is set (re-executing itself when needed; under Pyodide the
caller must set it, which tools/pyodide/pyhost.mjs hands on): repr of a frozenset constant follows str/bytes
hashes, random otherwise. `pyrecon dis --hash-seed N` reproduces seed N."""
import dis, io, marshal, os, sys

if os.environ.get('PYTHONHASHSEED', 'random') == 'random':
    if sys.platform == 'emscripten':
        print('dis_view: PYTHONHASHSEED is not set: frozenset constants print in a random order', file=sys.stderr)
    else:
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED='0'))

def main():
    src, dest = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    count = 0
    for root, dirs, names in os.walk(src):
        dirs.sort()
        for n in sorted(names):
            if not n.endswith('.pyc'):
                continue
            path = os.path.join(root, n)
            with open(path, 'rb') as f:
                data = f.read()
            buf = io.StringIO()
            dis.dis(marshal.loads(data[16:]), file=buf)
            out = os.path.join(dest, os.path.relpath(path, src)[:-len('.pyc')] + '.dis')
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, 'w', encoding='utf-8') as f:
                f.write(buf.getvalue())
            count += 1
    print('dis_view: %d files' % count, file=sys.stderr)

main()
