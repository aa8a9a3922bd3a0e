"""PythonServer helper for the formatter's line-placement tests. Requests (one line each):
  'AST <base64 source>'  -> 'OK <base64 JSON>': ast.dump of the tree and, for every node in pre-order over
                            _fields (operators, contexts and None list items skipped, as PyRecon's syntax
                            tree walks them; 3.8's Index and ExtSlice as PyRecon's trees have them),
                            [class name, lineno or 0, col_offset or -1, the '@' line when the node is a
                            decorator else 0]
  'CODE <base64 source>' -> 'OK <base64 JSON>': every code object compiled from the source (pre-order):
                            name, co_firstlineno, and instructions as [opname, argrepr, line or 0]
Errors answer 'ERR <base64 message>'."""
import ast
import base64
import dis
import io
import json
import tokenize

_SKIP = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)


def _b64(text):
    return base64.b64encode(text.encode('utf-8', 'surrogatepass')).decode('ascii')


def _at_lines(source):
    """Positions of '@' operator tokens (decorators), in order."""
    result = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.OP and tok.string == '@':
                result.append(tok.start)
    except (tokenize.TokenError, SyntaxError):
        pass
    return result


def _nodes(tree, source):
    ats = _at_lines(source)
    decorator_at = {}
    for node in ast.walk(tree):
        for d in getattr(node, 'decorator_list', None) or []:
            pos = (d.lineno, d.col_offset)
            before = [a for a in ats if a < pos]
            decorator_at[id(d)] = before[-1][0] if before else 0
    out = []

    def visit(node):
        # 3.8 wraps subscripts: Index(value) is its value, ExtSlice(dims) the tuple PyRecon's trees hold.
        if type(node).__name__ == 'Index':
            visit(node.value)
            return
        if type(node).__name__ == 'ExtSlice':
            out.append(['Tuple', 0, -1, 0])
            for item in node.dims:
                visit(item)
            return
        out.append([type(node).__name__, getattr(node, 'lineno', 0) or 0, getattr(node, 'col_offset', -1),
                    decorator_at.get(id(node), 0)])
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                if not isinstance(value, _SKIP):
                    visit(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST) and not isinstance(item, _SKIP):
                        visit(item)
    visit(tree)
    return out


def _code(co, out):
    instructions = []
    for ins in dis.get_instructions(co):
        positions = getattr(ins, 'positions', None)
        line = positions.lineno if positions is not None else ins.starts_line
        instructions.append([ins.opname, ins.argrepr, line or 0])
    out.append({'name': co.co_name, 'firstlineno': co.co_firstlineno, 'instructions': instructions})
    for const in co.co_consts:
        if hasattr(const, 'co_code'):
            _code(const, out)
    return out


def handle(line):
    kind, _, data = line.partition(' ')
    source = base64.b64decode(data).decode('utf-8', 'surrogatepass')
    try:
        if kind == 'AST':
            tree = ast.parse(source)
            answer = {'dump': ast.dump(tree), 'nodes': _nodes(tree, source)}
        elif kind == 'CODE':
            answer = _code(compile(source, '<formatted>', 'exec'), [])
        else:
            raise ValueError('unknown request ' + kind)
    except SyntaxError as e:
        return 'ERR ' + _b64('%s: %s (line %s, offset %s)' % (type(e).__name__, e.msg, e.lineno, e.offset))
    except Exception as e:
        return 'ERR ' + _b64('%s: %s' % (type(e).__name__, e))
    return 'OK ' + _b64(json.dumps(answer))
