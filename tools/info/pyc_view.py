"""The interpreter's own view of .pyc files, in the shape `pyrecon info --json` prints.
usage: pyc_view.py PATH... > view.jsonl   (a PATH may be a folder: every .pyc below it, sorted)
One line per file: {"file": path, "view": {...}} or {"file": path, "error": "..."}.
Runs under every CPython 3.8-3.14 (3.14 through Pyodide)."""
import dis, json, marshal, os, struct, sys

if hasattr(sys, 'set_int_max_str_digits'):
    sys.set_int_max_str_digits(0)

VERSION = '%d.%d' % sys.version_info[:2]

def const_view(c):
    if isinstance(c, type(compile('', '', 'exec'))):
        return code_view(c)
    if type(c) in (tuple, frozenset):
        return {'type': type(c).__name__, 'items': [const_view(x) for x in c]}
    return {'type': type(c).__name__, 'repr': repr(c)}

def exception_table(co):
    if sys.version_info < (3, 11):
        return []
    return [[e.start, e.end, e.target, e.depth, e.lasti] for e in dis._parse_exception_table(co)]

def code_view(co):
    return {
        'name': co.co_name,
        'qualname': getattr(co, 'co_qualname', None),
        'filename': co.co_filename,
        'firstlineno': co.co_firstlineno,
        'argcount': co.co_argcount,
        'posonlyargcount': co.co_posonlyargcount,
        'kwonlyargcount': co.co_kwonlyargcount,
        'flags': co.co_flags,
        'stacksize': co.co_stacksize,
        'names': list(co.co_names),
        'varnames': list(co.co_varnames),
        'freevars': list(co.co_freevars),
        'cellvars': list(co.co_cellvars),
        'consts': [const_view(c) for c in co.co_consts],
        'line_starts': [[o, l] for o, l in dis.findlinestarts(co)],
        'exception_table': exception_table(co),
    }

def view(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<H', data[:2])[0]
    flags = struct.unpack('<I', data[4:8])[0]
    return {'python_version': VERSION, 'magic': magic, 'flags': flags, 'code': code_view(marshal.loads(data[16:]))}

def main():
    paths = []
    for p in sys.argv[1:]:
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs.sort()
                paths += [os.path.join(root, n) for n in sorted(names) if n.endswith('.pyc')]
        else:
            paths.append(p)
    out = sys.stdout
    for p in paths:
        try:
            line = {'file': p, 'view': view(p)}
        except Exception as e:
            line = {'file': p, 'error': '%s: %s' % (type(e).__name__, e)}
        out.write(json.dumps(line) + '\n')

main()
