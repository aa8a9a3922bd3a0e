"""Serve mode for CPython: run SCRIPT, then answer each stdin line with SCRIPT's handle(line) -> str.
Mirrors `node pyodide/pyhost.mjs --serve` so a long-lived helper process works the same for every version."""
import sys

def main():
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    namespace = {'__name__': '__main__', '__file__': script}
    with open(script, encoding='utf-8') as f:
        exec(compile(f.read(), script, 'exec'), namespace)
    handle = namespace['handle']
    for line in sys.stdin:
        try:
            answer = str(handle(line.rstrip('\n')))
        except Exception as e:  # the helper must outlive one bad request
            import json
            answer = json.dumps({'error': '%s: %s' % (type(e).__name__, e)})
        sys.stdout.write(answer.replace('\n', '\\n') + '\n')
        sys.stdout.flush()

main()
