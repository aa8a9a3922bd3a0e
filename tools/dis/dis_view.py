"""What CPython's dis.dis prints for the module code object of each .pyc.
usage: dis_view.py PYC_DIR OUT_DIR     writes OUT_DIR/<rel>.dis for every PYC_DIR/<rel>.pyc (same relative path, .pyc replaced by .dis)
Runs under every CPython 3.8-3.14 (3.14 through Pyodide)."""
import dis, io, marshal, os, sys

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
