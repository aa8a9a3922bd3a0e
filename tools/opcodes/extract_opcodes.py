"""Reads opcode facts from the running interpreter and writes or checks spec/opcodes/3.X.spec.

Runs under every CPython 3.8-3.14 (tools/pyrun 3.X tools/opcodes/extract_opcodes.py ...):

  extract_opcodes.py --facts [--out FILE]         dump the interpreter's facts as JSON
  extract_opcodes.py --skeleton [--seed SPEC]...  print a spec for this interpreter; the human columns
                                                  (arg kind refinements, handler, irregular stack
                                                  formulas) are taken from the seed specs where an
                                                  opcode of the same name exists and still agrees;
                                                  everything else is guessed or left as '?'
  extract_opcodes.py --check SPEC                 exit 1 (listing every disagreement) unless SPEC
                                                  agrees with this interpreter

The spec format is described in the header of every spec file (see HEADER below).
Machine facts: name, number, cache entries, has-arg, membership of the has* lists, stack effects for
opargs 0..OPARG_MAX with jump=True/False, specialization families, instrumented opcodes, and the
argument tables dis uses (cmp_op, _nb_ops, intrinsics, common constants, special method names...).
"""
import ast
import dis
import json
import opcode
import sys

VERSION = sys.version_info[:2]
OPARGS = list(range(0, 300)) + [511, 512, 1000, 4095, 65535, 65536 + 7]

HEADER = """\
# PyRecon opcode spec for CPython {ver}: one opcode per line, whitespace-separated columns.
# Written by tools/opcodes/extract_opcodes.py --skeleton and checked by --check against the interpreter;
# the arg-kind refinements, handler names and irregular stack formulas are the human part.
#
#   name      opcode name as in opcode.opmap (pseudo opcodes >= 256 and specialized ones included)
#   num       opcode number
#   cache     inline CACHE code units that follow the instruction (3.11+)
#   arg       argument kind, '-' = takes no argument:
#               int  count/raw integer      const  co_consts[arg]         name   co_names[arg]
#               name_global co_names[arg>>1], bit 0 = push NULL (LOAD_GLOBAL 3.11+)
#               name_attr   co_names[arg>>1], bit 0 = method load (LOAD_ATTR 3.12+)
#               name_super  co_names[arg>>2], bit 0 = method load, bit 1 = two-argument super() form
#               local  local variable slot (co_varnames 3.8-3.10, localsplus 3.11+)
#               local_pair  two locals packed as (arg>>4, arg&15) (3.13+)
#               free_cf     cell/free variable, index into co_cellvars+co_freevars (3.8-3.10)
#               free_lp     cell/free variable, index into localsplus (3.11+)
#               jrel / jback  relative jump forward / backward, in .jump_unit bytes per arg unit,
#                             from the instruction after this one and its caches
#               jabs   absolute jump target (arg * .jump_unit bytes)
#               compare     cmp_op[arg >> .compare_shift]; arg & .compare_bool_mask = coerce to bool
#               binop  BINARY_OP operator (table nb_op)   intrinsic1 / intrinsic2  (tables)
#               invert IS_OP/CONTAINS_OP: 1 = negated   format  FORMAT_VALUE: arg&3 conversion, arg&4 spec
#               conversion  CONVERT_VALUE: table conversion   make_function  MAKE_FUNCTION flag bits
#               fn_attr SET_FUNCTION_ATTRIBUTE: one bit of table function_flags
#               small_int  the integer arg itself (LOAD_SMALL_INT)   common_const  table common_const
#               special table special_method   resume  RESUME: arg&3 where (start/yield/yield from/await)
#               unpack_ex  (arg&255) before the starred target, arg>>8 after
#               interpolation  BUILD_INTERPOLATION: arg>>2 conversion (table conversion), arg&1 format spec
#   stack     stack effect as a formula of oparg (Python expression syntax and precedence over integers:
#             + - * & | >> << == != < > <= >= ( ), comparisons are 0/1): 'F' for both paths, or
#             'jump=J;fall=F' when dis.stack_effect differs with jump=True/False; '-' = the interpreter
#             gives none (specialized/instrumented opcodes inherit their base's)
#   handler   the evaluator's semantic handler (IOpcodeHandlers method); '-' = the base's handler
#   base      family base of a specialized/instrumented opcode, '-' for a base opcode
#
# Directives: .version  .jump_unit (bytes per jump-arg unit)  .compare_shift  .compare_bool_mask
#             .generator_entry_depth (stack depth at the entry of generator/coroutine code)
#             .table NAME "item" ...   (argument tables, checked against dis/opcode)
#             .cache OPNAME field:units ...   (layout of an opcode's inline cache, opcode._cache_format)
#             .pops OPNAME FORMULA   (stack entries a base opcode consumes, a formula of oparg; given where
#                                    a pass needs them: 3.14's borrow reading. Bytecodes.c's inputs, by hand)
"""

COLUMNS = ("name", "num", "cache", "arg", "stack", "handler", "base")
ARG_KINDS = {
    "-", "int", "const", "name", "name_global", "name_attr", "name_super", "local", "local_pair",
    "free_cf", "free_lp", "jrel", "jback", "jabs", "compare", "binop", "intrinsic1", "intrinsic2",
    "invert", "format", "conversion", "make_function", "fn_attr", "small_int", "common_const",
    "special", "resume", "unpack_ex", "interpolation",
}


# ---------------------------------------------------------------------------------------------- facts

def _all_opmap():
    if VERSION >= (3, 13):
        m = dict(opcode.opmap)
        m.update(opcode._specialized_opmap)
        return m
    if VERSION >= (3, 11):
        return dict(dis._all_opmap)
    return dict(opcode.opmap)


def _specialization_base():
    base = {}
    for fam, members in getattr(opcode, "_specializations", {}).items():
        for m in members:
            base[m] = fam
    return base


def _has_arg(op):
    if VERSION >= (3, 13):
        import _opcode
        return bool(_opcode.has_arg(op))
    if VERSION >= (3, 12):
        return op in opcode.hasarg
    return op >= opcode.HAVE_ARGUMENT


def _cache(name, num, base):
    ice = getattr(opcode, "_inline_cache_entries", None)
    if ice is None:
        return 0
    if isinstance(ice, dict):
        return ice.get(name, ice.get(base, 0) if base else 0)
    return ice[num] if num < len(ice) else 0


def _stack(op, has_arg):
    """{'jump': [..], 'fall': [..], 'any': [..]} over OPARGS (one value when has_arg is false), or None.
    'any' is dis.stack_effect's default (jump=None): the larger of the two."""
    import _opcode
    out = {}
    for key, jump in (("jump", True), ("fall", False), ("any", None)):
        vals = []
        for a in (OPARGS if has_arg else [None]):
            try:
                vals.append(_opcode.stack_effect(op, a, jump=jump) if a is not None else _opcode.stack_effect(op, jump=jump))
            except (ValueError, TypeError):
                if a is None and has_arg is False:
                    return None
                vals.append(None)
        if all(v is None for v in vals):
            return None
        out[key] = vals
    return out


def _tables():
    t = {"cmp_op": list(opcode.cmp_op)}
    if hasattr(opcode, "_nb_ops"):
        t["nb_op"] = [s for _, s in opcode._nb_ops]
    if hasattr(dis, "_intrinsic_1_descs"):
        t["intrinsic1"] = list(dis._intrinsic_1_descs)
        t["intrinsic2"] = list(dis._intrinsic_2_descs)
    if hasattr(dis, "_common_constants"):
        # as dis shows them: a type by its name, anything else by its repr
        t["common_const"] = [c.__name__ if isinstance(c, type) else repr(c) for c in dis._common_constants]
    if hasattr(dis, "_special_method_names"):
        t["special_method"] = list(dis._special_method_names)
    if hasattr(dis, "FORMAT_VALUE_CONVERTERS"):
        t["conversion"] = [s for _, s in dis.FORMAT_VALUE_CONVERTERS]
    elif VERSION >= (3, 13):
        t["conversion"] = ["", "str", "repr", "ascii"]  # dis.py CONVERT_VALUE: ('', 'str', 'repr', 'ascii')[arg]
    flags = getattr(dis, "FUNCTION_ATTR_FLAGS", None) or getattr(dis, "MAKE_FUNCTION_FLAGS", None)
    if flags:
        t["function_flags"] = list(flags)
    return t


def facts():
    allmap = _all_opmap()
    spec_base = _specialization_base()
    min_instr = getattr(opcode, "MIN_INSTRUMENTED_OPCODE", 10 ** 9)
    lists = {}
    for ln in ("hasconst", "hasname", "haslocal", "hasfree", "hasjrel", "hasjabs", "hascompare", "hasjump"):
        lists[ln] = set(getattr(opcode, ln, []))
    ops = []
    for name, num in sorted(allmap.items(), key=lambda kv: kv[1]):
        base = spec_base.get(name)
        if base is None and name.startswith("INSTRUMENTED_") and num >= min_instr and name[13:] in opcode.opmap:
            base = name[13:]
        has_arg = _has_arg(num)
        if base is not None and num < 256 and VERSION < (3, 13):
            has_arg = _has_arg(allmap[base]) if not name.startswith("INSTRUMENTED_") else has_arg
        ops.append({
            "name": name, "num": num, "base": base, "has_arg": has_arg,
            "cache": _cache(name, num, base),
            "lists": sorted(ln for ln, s in lists.items() if num in s),
            "stack": _stack(num, has_arg),
        })
    cache_format = [[name, [[field, size] for field, size in fmt.items()]]
                    for name, fmt in getattr(opcode, "_cache_format", {}).items()]
    return {"version": "%d.%d" % VERSION, "ops": ops, "tables": _tables(), "cache_format": cache_format,
            "jump_unit": 1 if VERSION < (3, 10) else 2}


# -------------------------------------------------------------------------------------------- formulas

_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Name, ast.Load,
            ast.Add, ast.Sub, ast.Mult, ast.BitAnd, ast.BitOr, ast.RShift, ast.LShift, ast.USub,
            ast.Eq, ast.NotEq, ast.Lt, ast.Gt, ast.LtE, ast.GtE)


def compile_formula(text):
    tree = ast.parse(text, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and type(node.value) is int:
            continue
        if type(node).__name__ == "Num":  # 3.8 ast
            continue
        if not isinstance(node, _ALLOWED):
            raise ValueError("formula %r: %s not allowed" % (text, type(node).__name__))
        if isinstance(node, ast.Name) and node.id != "oparg":
            raise ValueError("formula %r: unknown name %s" % (text, node.id))
        if isinstance(node, ast.Compare) and len(node.ops) != 1:
            raise ValueError("formula %r: chained comparison" % text)
    code = compile(tree, "<formula>", "eval")
    return lambda oparg: int(eval(code, {"__builtins__": {}}, {"oparg": oparg}))


def parse_stack(text):
    """'F' or 'jump=J;fall=F' -> (fall_text, jump_text); '-' -> None."""
    if text == "-":
        return None
    if text.startswith("jump="):
        j, f = text.split(";")
        if not f.startswith("fall="):
            raise ValueError("stack %r: expected jump=J;fall=F" % text)
        return f[5:], j[5:]
    return text, text


def _fits(formula, values, has_arg):
    try:
        fn = compile_formula(formula)
    except (SyntaxError, ValueError):
        return False
    args = OPARGS if has_arg else [0]
    for a, v in zip(args, values):
        if v is not None and fn(a) != v:
            return False
    return True


def _lin(c, d, term):
    """Readable 'c + d*term'."""
    if d == 0:
        return str(c)
    t = term if abs(d) == 1 else "%d*%s" % (abs(d), term)
    if c == 0:
        return t if d > 0 else "-" + t
    return "%d%s%s" % (c, "+" if d > 0 else "-", t)


def _guess_formula(values, has_arg):
    """The simplest formula of a few shapes that reproduces values, else None."""
    if values[0] is None:
        return None
    c = values[0]
    cands = [str(c)]
    if has_arg and values[1] is not None and values[2] is not None:
        cands += [_lin(c, values[1] - c, "oparg"), _lin(c, values[1] - c, "(oparg&1)"),
                  _lin(c, values[2] - c, "(oparg>>1)")]
    for f in cands:
        if _fits(f, values, has_arg):
            return f
    return None


# ------------------------------------------------------------------------------------------ spec files

class Spec:
    def __init__(self):
        self.directives = {}
        self.tables = {}
        self.caches = {}  # opname -> [[field, size], ...]
        self.pops = {}  # opname -> formula of oparg
        self.ops = []  # dicts with COLUMNS keys plus 'line'


def _split_quoted(text):
    items, i = [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        if text[i] != '"':
            raise ValueError("table item must be quoted: %r" % text[i:])
        j = text.index('"', i + 1)
        items.append(text[i + 1:j])
        i = j + 1
    return items


def read_spec(path):
    spec = Spec()
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith(".table") else raw.strip()
            if not line:
                continue
            if line.startswith(".table"):
                _, name, rest = (line + " ").split(" ", 2)
                spec.tables[name] = _split_quoted(rest.strip())
            elif line.startswith(".cache "):
                parts = line.split()
                spec.caches[parts[1]] = [[f.split(":")[0], int(f.split(":")[1])] for f in parts[2:]]
            elif line.startswith(".pops "):
                _, name, formula = line.split()
                spec.pops[name] = formula  # the human part: bytecodes.c's inputs, not in the interpreter's tables
            elif line.startswith("."):
                key, _, value = line[1:].partition(" ")
                spec.directives[key] = value.strip()
            else:
                cols = line.split()
                if len(cols) != len(COLUMNS):
                    raise ValueError("%s:%d: expected %d columns, got %d" % (path, lineno, len(COLUMNS), len(cols)))
                row = dict(zip(COLUMNS, cols))
                row["line"] = lineno
                spec.ops.append(row)
    return spec


def write_spec(f, version, directives, tables, rows, caches=(), pops=()):
    f.write(HEADER.format(ver=version))
    f.write("\n")
    for k, v in directives:
        f.write(".%s %s\n" % (k, v))
    for name, items in tables:
        f.write('.table %s %s\n' % (name, " ".join('"%s"' % s for s in items)))
    for name, fields in caches:
        f.write(".cache %s %s\n" % (name, " ".join("%s:%d" % (k, n) for k, n in fields)))
    if pops:
        f.write("# Stack entries consumed (the borrow reading of 3.14: an op not listed keeps a load plain).\n")
        for name, formula in pops:
            f.write(".pops %s %s\n" % (name, formula))
    f.write("\n")
    # Columns are as wide as their widest cell, except that a few long stack formulas (MAKE_FUNCTION)
    # overflow instead of widening every line.
    widths = [max(len(r[i]) for r in rows + [COLUMNS]) for i in range(len(COLUMNS))]
    widths[COLUMNS.index("stack")] = min(widths[COLUMNS.index("stack")], 24)
    f.write(("# " + "  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths))).rstrip() + "\n")
    for r in rows:
        cells = []
        for i, (c, w) in enumerate(zip(r, widths)):
            cells.append(c.rjust(w) if COLUMNS[i] in ("num", "cache") else c.ljust(w))
        f.write(("  " + "  ".join(cells)).rstrip() + "\n")


def _default_directives(fx):
    d = [("version", fx["version"]), ("jump_unit", str(fx["jump_unit"]))]
    shift = {(3, 12): 4}.get(VERSION, 5 if VERSION >= (3, 13) else 0)
    d.append(("compare_shift", str(shift)))
    d.append(("compare_bool_mask", "16" if VERSION >= (3, 13) else "0"))
    # Not visible through dis: the compiler's stackdepth() starts generator/coroutine code at depth 1 in
    # 3.10-3.12 (the first resume's sent value, popped by GEN_START / POP_TOP after RETURN_GENERATOR, whose
    # stack_effect there is 0); 3.13 gives RETURN_GENERATOR +1 instead.
    d.append(("generator_entry_depth", "1" if (3, 10) <= VERSION <= (3, 12) else "0"))
    return d


def _guess_kind(op):
    ls = op["lists"]
    if not op["has_arg"]:
        return "-"
    if "hasconst" in ls:
        return "const"
    if "hasname" in ls:
        return "name"
    if "haslocal" in ls:
        return "local"
    if "hasfree" in ls:
        return "free_cf" if VERSION < (3, 11) else "free_lp"
    if "hasjabs" in ls:
        return "jabs"
    if "hasjrel" in ls:
        return "jback" if "BACKWARD" in op["name"] else "jrel"
    if "hascompare" in ls:
        return "compare"
    return "int"


def _stack_text(op, seed_stack):
    st = op["stack"]
    if st is None:
        return "-"
    if seed_stack and seed_stack != "-":
        p = parse_stack(seed_stack)
        if p and _fits(p[0], st["fall"], op["has_arg"]) and _fits(p[1], st["jump"], op["has_arg"]):
            return seed_stack
    fall = _guess_formula(st["fall"], op["has_arg"]) or "?"
    jump = _guess_formula(st["jump"], op["has_arg"]) or "?"
    return fall if fall == jump and st["fall"] == st["jump"] else "jump=%s;fall=%s" % (jump, fall)


def skeleton(seeds, out, quiet=False):
    fx = facts()
    seeded = {}
    seeded_pops = {}
    for path in seeds:
        seed = read_spec(path)
        for r in seed.ops:
            seeded.setdefault(r["name"], r)
        for name, formula in seed.pops.items():
            seeded_pops.setdefault(name, formula)
    kinds = {}
    changed_kinds = []
    for op in fx["ops"]:  # base opcodes first: specialized and instrumented ones copy their base's kind
        if op["base"] is None:
            s = seeded.get(op["name"], {})
            kind = _guess_kind(op)
            if s.get("arg"):
                if _kind_consistent(s["arg"], op):
                    kind = s["arg"]
                else:
                    changed_kinds.append("%s (%s -> %s)" % (op["name"], s["arg"], kind))
            kinds[op["name"]] = kind
    rows = []
    for op in fx["ops"]:
        s = seeded.get(op["name"], {})
        kind = kinds[op["base"]] if op["base"] else kinds[op["name"]]
        handler = s.get("handler") or ("-" if op["base"] else "?")
        rows.append((op["name"], str(op["num"]), str(op["cache"]), kind, _stack_text(op, s.get("stack")),
                     handler, op["base"] or "-"))
    tables = sorted(fx["tables"].items())
    # The consumed counts are the human part: kept for the base opcodes that still exist, in opcode order.
    pops = [(op["name"], seeded_pops[op["name"]]) for op in sorted(fx["ops"], key=lambda o: o["num"])
            if op["base"] is None and op["name"] in seeded_pops]
    write_spec(out, fx["version"], _default_directives(fx), tables, rows, fx["cache_format"], pops)
    if quiet:
        return
    new = [r[0] for r in rows if r[5] == "?"]
    formulas = [r[0] for r in rows if "?" in r[4]]
    if new:
        sys.stderr.write("new opcodes: name a handler, check the arg kind (guessed from the has* lists): %s\n" % ", ".join(new))
    if changed_kinds:
        sys.stderr.write("arg kind of the seed no longer fits, guessed again: %s\n" % ", ".join(changed_kinds))
    if formulas:
        sys.stderr.write("no simple stack formula fits, write one ('?' in the stack column): %s\n" % ", ".join(formulas))


# -------------------------------------------------------------------------------------------- checking

_KIND_LISTS = {
    "const": {"hasconst"}, "name": {"hasname"}, "name_global": {"hasname"}, "name_attr": {"hasname"},
    "name_super": {"hasname"}, "local": {"haslocal"}, "local_pair": {"haslocal"},
    # free_lp and local index the same localsplus array; 3.13+ lists some cell opcodes (LOAD_CLOSURE,
    # 3.14's LOAD_DEREF) under haslocal, so a cell opcode there may still be called free_lp.
    "free_cf": {"hasfree"}, "free_lp": {"hasfree", "haslocal"}, "jrel": {"hasjrel"}, "jback": {"hasjrel"},
    "jabs": {"hasjabs"}, "compare": {"hascompare"},
}


def _kind_consistent(kind, op):
    """Whether a base opcode's arg kind fits the interpreter's has_arg and has* lists."""
    if kind not in ARG_KINDS:
        return False
    if (kind == "-") != (not op["has_arg"]):
        return False
    want = _KIND_LISTS.get(kind, set())
    have = set(op["lists"]) - {"hasjump"}
    if want and not (want & have):
        return False
    if not want and have:
        return False
    if kind in ("jrel", "jback", "jabs") and VERSION >= (3, 13) and "hasjump" not in op["lists"]:
        return False
    return True


def check(path):
    fx = facts()
    spec = read_spec(path)
    errors = []
    bynum = {}
    names = {op["name"]: op for op in fx["ops"]}
    seen = set()
    for r in spec.ops:
        where = "%s:%d %s" % (path, r["line"], r["name"])
        op = names.get(r["name"])
        if op is None:
            errors.append("%s: not an opcode of this interpreter" % where)
            continue
        seen.add(r["name"])
        if int(r["num"]) != op["num"]:
            errors.append("%s: number %s, interpreter %d" % (where, r["num"], op["num"]))
        if int(r["cache"]) != op["cache"]:
            errors.append("%s: cache %s, interpreter %d" % (where, r["cache"], op["cache"]))
        if op["base"] is not None:
            base_row = next((b for b in spec.ops if b["name"] == op["base"]), None)
            if base_row is None or base_row["arg"] != r["arg"]:
                errors.append("%s: arg kind %s differs from its base %s's" % (where, r["arg"], op["base"]))
        elif not _kind_consistent(r["arg"], op):
            errors.append("%s: arg kind %s disagrees with has_arg=%s lists=%s" % (where, r["arg"], op["has_arg"], op["lists"]))
        if (r["base"] if r["base"] != "-" else None) != op["base"]:
            errors.append("%s: base %s, interpreter %s" % (where, r["base"], op["base"]))
        st = op["stack"]
        try:
            parsed = parse_stack(r["stack"])
        except ValueError as e:
            errors.append("%s: %s" % (where, e))
            continue
        if (parsed is None) != (st is None):
            errors.append("%s: stack %s but interpreter %s" % (where, r["stack"], "has none" if st is None else "has one"))
        elif parsed is not None:
            for label, formula, vals in (("fall", parsed[0], st["fall"]), ("jump", parsed[1], st["jump"])):
                try:
                    fn = compile_formula(formula)
                except (SyntaxError, ValueError) as e:
                    errors.append("%s: bad formula %r: %s" % (where, formula, e))
                    continue
                args = OPARGS if op["has_arg"] else [0]
                bad = [(a, v, fn(a)) for a, v in zip(args, vals) if v is not None and fn(a) != v]
                if bad:
                    errors.append("%s: %s formula %s wrong at oparg=%d: interpreter %d, formula %d (%d opargs differ)"
                                  % (where, label, formula, bad[0][0], bad[0][1], bad[0][2], len(bad)))
        if r["handler"] == "-" and r["base"] == "-":
            errors.append("%s: handler '-' needs a base" % where)
        if r["handler"] == "?":
            errors.append("%s: no handler" % where)
    for name in names:
        if name not in seen:
            errors.append("%s: %s (%d) missing from the spec" % (path, name, names[name]["num"]))
    d = dict(_default_directives(fx))
    for k, v in d.items():
        if spec.directives.get(k) != v:
            errors.append("%s: .%s is %r, expected %r" % (path, k, spec.directives.get(k), v))
    for k, items in fx["tables"].items():
        if spec.tables.get(k) != items:
            errors.append("%s: .table %s is %r, interpreter %r" % (path, k, spec.tables.get(k), items))
    want_caches = dict((name, fields) for name, fields in fx["cache_format"])
    if spec.caches != want_caches:
        for name in sorted(set(spec.caches) | set(want_caches)):
            if spec.caches.get(name) != want_caches.get(name):
                errors.append("%s: .cache %s is %r, interpreter %r" % (path, name, spec.caches.get(name), want_caches.get(name)))
    for k in spec.tables:
        if k not in fx["tables"]:
            errors.append("%s: .table %s is not known to this interpreter" % (path, k))
    if not errors:
        import io
        canonical = io.StringIO()
        skeleton([path], canonical, quiet=True)
        with open(path, encoding="utf-8") as f:
            if f.read() != canonical.getvalue():
                errors.append("%s: not in the extractor's layout (realign with --skeleton --seed %s --out %s)" % (path, path, path))
    for e in errors:
        print(e)
    print("checked %s against CPython %s: %d opcodes, %d problems" % (path, fx["version"], len(spec.ops), len(errors)))
    return 1 if errors else 0


def main(argv):
    if argv[:1] == ["--facts"]:
        fx = facts()
        fx["opargs"] = OPARGS
        if argv[1:2] == ["--out"]:  # a file: node may cut a large piped stdout short under Pyodide
            with open(argv[2], "w", encoding="utf-8") as f:
                json.dump(fx, f)
        else:
            json.dump(fx, sys.stdout, indent=1)
            sys.stdout.write("\n")
        return 0
    if argv[:1] == ["--check"] and len(argv) == 2:
        return check(argv[1])
    if argv[:1] == ["--skeleton"]:
        seeds, out, rest = [], None, argv[1:]
        while rest:
            if rest[0] == "--seed":
                seeds.append(rest[1])
                rest = rest[2:]
            elif rest[0] == "--out":
                out = rest[1]
                rest = rest[2:]
            else:
                sys.stderr.write("unknown argument %s\n" % rest[0])
                return 2
        if out:
            import io
            text = io.StringIO()
            skeleton(seeds, text)  # the seeds are read before OUT is opened: OUT may be one of them
            with open(out, "w", encoding="utf-8") as f:
                f.write(text.getvalue())
        else:
            skeleton(seeds, sys.stdout)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
