// Runs a Python script under CPython 3.14 (Pyodide) with host folders visible at their own paths.
//   node pyhost.mjs SCRIPT [ARGS...]          run SCRIPT as __main__ with sys.argv = [SCRIPT, ARGS...]
//   node pyhost.mjs --serve SCRIPT [ARGS...]  run SCRIPT, then answer stdin lines with its handle(line) -> str
// The top-level folders of the working directory, the script, every absolute argument and /tmp are mounted,
// so paths mean the same inside and outside.
import { loadPyodide } from "pyodide";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";

const argv = process.argv.slice(2);
const serve = argv[0] === "--serve";
if (serve) argv.shift();
const [script, ...rest] = argv;
if (!script) { console.error("usage: node pyhost.mjs [--serve] SCRIPT [ARGS...]"); process.exit(2); }

// PYTHONHASHSEED is handed on (it must be set before the interpreter starts) so str/bytes hashes, and with
// them the order of frozenset constants in repr, can be made reproducible.
const env = process.env.PYTHONHASHSEED !== undefined ? { PYTHONHASHSEED: process.env.PYTHONHASHSEED } : {};
const py = await loadPyodide({ env, stdout: (s) => process.stdout.write(s + "\n"), stderr: (s) => process.stderr.write(s + "\n") });
const scriptPath = path.resolve(script);
const args = rest.map((a) => (a.startsWith("/") || fs.existsSync(a) ? path.resolve(a) : a));
const tops = new Set(["/tmp", process.cwd(), scriptPath, ...args.filter((a) => a.startsWith("/"))].map((p) => "/" + p.split("/")[1]));
for (const top of tops) {
  if (top === "/" || !fs.existsSync(top) || !fs.statSync(top).isDirectory()) continue;
  try { py.FS.mkdirTree(top); } catch { /* already there */ }
  try { py.FS.mount(py.FS.filesystems.NODEFS, { root: top }, top); } catch { /* already mounted */ }
}
py.globals.set("__pyrecon_argv", py.toPy([scriptPath, ...args]));
let exitCode = 0;
try {
  py.runPython(`
import sys, os
sys.argv = list(__pyrecon_argv)
os.chdir(${JSON.stringify(process.cwd())})
__pyrecon_main = {'__name__': '__main__', '__file__': sys.argv[0]}
try:
    exec(compile(open(sys.argv[0], encoding='utf-8').read(), sys.argv[0], 'exec'), __pyrecon_main)
    __pyrecon_exit = 0
except SystemExit as e:
    __pyrecon_exit = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    if not isinstance(e.code, (int, type(None))): print(e.code, file=sys.stderr)
sys.stdout.flush(); sys.stderr.flush()
`);
  exitCode = py.globals.get("__pyrecon_exit");
} catch (e) {
  console.error(String(e));
  process.exit(1);
}
if (!serve) process.exit(exitCode);

// Serve mode: one request per stdin line, one response line per request.
const handle = py.globals.get("__pyrecon_main").get("handle");
const rl = readline.createInterface({ input: process.stdin, terminal: false });
for await (const line of rl) {
  let answer;
  try { answer = String(handle(line)); } catch (e) { answer = JSON.stringify({ error: String(e) }); }
  process.stdout.write(answer.replace(/\n/g, "\\n") + "\n");
}
process.exit(0);
