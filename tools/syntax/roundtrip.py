"""PythonServer helper for the syntax property tests: parse source with this interpreter's ast and
answer with ast.dump of the tree. Request: base64 of UTF-8 source. Response: 'OK <base64 dump>' or
'ERR <base64 message>' (base64 keeps backslashes and newlines out of the line protocol)."""
import ast
import base64


def _b64(text):
    return base64.b64encode(text.encode('utf-8', 'surrogatepass')).decode('ascii')


def handle(line):
    source = base64.b64decode(line).decode('utf-8')
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        return 'ERR ' + _b64('%s: %s (line %s, offset %s)' % (type(e).__name__, e.msg, e.lineno, e.offset))
    except Exception as e:
        return 'ERR ' + _b64('%s: %s' % (type(e).__name__, e))
    return 'OK ' + _b64(ast.dump(tree))
