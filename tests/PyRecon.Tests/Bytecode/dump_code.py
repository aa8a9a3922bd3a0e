"""Test helper, runs under CPython 3.8-3.14: compile a source file (or exercise functions and capture their
adaptive bytecode) and print the code objects as JSON, with what dis says about each instruction.

  dump_code.py compile SOURCE.py          code objects of the module, dis instructions included
  dump_code.py adaptive SOURCE.py         run SOURCE (it defines warm() and a list FUNCS), then dump each
                                          function's co_code and _co_code_adaptive (3.11+)
"""
import dis
import json
import sys

V = sys.version_info[:2]


def const(c):
    t = type(c)
    if c is None:
        return {"t": "none"}
    if c is Ellipsis:
        return {"t": "ellipsis"}
    if t is bool:
        return {"t": "bool", "v": c}
    if t is int:
        return {"t": "int", "v": str(c)}
    if t is float:
        return {"t": "float", "v": repr(c)}
    if t is complex:
        return {"t": "complex", "v": [c.real, c.imag]}
    if t is str:
        return {"t": "str", "v": c}
    if t is bytes:
        return {"t": "bytes", "v": c.hex()}
    if t in (tuple, frozenset):
        return {"t": t.__name__, "v": [const(x) for x in c]}
    if hasattr(c, "co_code"):
        return {"t": "code", "v": code(c, with_dis=False)}
    return {"t": "str", "v": repr(c)}


def localsplus(co):
    """(name, kind) of every localsplus slot (3.11+), from the code object's public attributes."""
    if V < (3, 11):
        return []
    out = []
    i = 0
    while True:
        try:
            name = co._varname_from_oparg(i)
        except (IndexError, ValueError):
            break
        kind = 0
        if i < len(co.co_varnames):
            kind |= 0x20
            if name in co.co_cellvars:
                kind |= 0x40
        elif name in co.co_freevars and i >= co.co_nlocals + len([c for c in co.co_cellvars if c not in co.co_varnames]):
            kind |= 0x80
        else:
            kind |= 0x40
        out.append([name, kind])
        i += 1
    return out


def instructions(co):
    result = []
    for ins in dis.get_instructions(co):
        argval = ins.argval
        if isinstance(argval, (int, str)) and not isinstance(argval, bool):
            av = argval
        else:
            av = repr(argval)
        line = getattr(ins, "line_number", None)
        starts = ins.starts_line
        if V >= (3, 13):
            starts_line = bool(starts)
        else:
            starts_line = starts is not None
        result.append({"offset": ins.offset, "opname": ins.opname, "arg": ins.arg, "argval": av,
                       "argrepr": ins.argrepr, "starts_line": starts_line, "line": line,
                       "jump_target": getattr(ins, "jump_target", None)})
    return result


def code(co, with_dis=True, adaptive=False):
    d = {
        "name": co.co_name, "qualname": getattr(co, "co_qualname", None), "filename": co.co_filename,
        "firstlineno": co.co_firstlineno, "argcount": co.co_argcount, "posonlyargcount": co.co_posonlyargcount,
        "kwonlyargcount": co.co_kwonlyargcount, "stacksize": co.co_stacksize, "flags": co.co_flags,
        "code": co.co_code.hex(), "consts": [const(c) for c in co.co_consts], "names": list(co.co_names),
        "varnames": list(co.co_varnames), "cellvars": list(co.co_cellvars), "freevars": list(co.co_freevars),
        "localsplus": localsplus(co),
        "linetable": (co.co_linetable if V >= (3, 10) else co.co_lnotab).hex(),
        "exceptiontable": getattr(co, "co_exceptiontable", b"").hex(),
    }
    if adaptive:
        d["adaptive"] = co._co_code_adaptive.hex() if hasattr(co, "_co_code_adaptive") else None
    if with_dis:
        d["dis"] = instructions(co)
        d["children"] = [code(c) for c in co.co_consts if hasattr(c, "co_code")]
    return d


def main(argv):
    # --out FILE: write there instead of stdout (node may cut a large piped stdout short at exit under Pyodide)
    if len(argv) >= 4 and argv[2] == "--out":
        saved = sys.stdout
        with open(argv[3], "w", encoding="utf-8") as out:
            sys.stdout = out
            try:
                return main(argv[:2])
            finally:
                sys.stdout = saved
    mode, path = argv[0], argv[1]
    with open(path, encoding="utf-8") as f:
        source = f.read()
    if mode == "compile":
        co = compile(source, path, "exec")
        json.dump({"version": "%d.%d" % V, "code": code(co)}, sys.stdout)
    elif mode == "adaptive":
        ns = {"__name__": "fixture"}
        exec(compile(source, path, "exec"), ns)
        ns["warm"]()
        json.dump({"version": "%d.%d" % V, "functions": [code(fn.__code__, with_dis=False, adaptive=True) for fn in ns["FUNCS"]]},
                  sys.stdout, indent=0)
    sys.stdout.write("\n")  # Pyodide's stdout hands over whole lines only
    return 0


sys.exit(main(sys.argv[1:]))
