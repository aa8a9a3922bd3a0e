#!/usr/bin/env bash
# Recaptures adaptive-3.X.json (co_code and the quickened _co_code_adaptive of warmed-up functions) and
# instrumented-3.X.json (the same with sys.monitoring events on).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
for v in 3.11 3.12 3.13 3.14; do
  "$root/tools/pyrun" "$v" "$here/../dump_code.py" adaptive "$here/adaptive_source.py" --out "$here/adaptive-$v.json"
done
for v in 3.12 3.13 3.14; do
  "$root/tools/pyrun" "$v" "$here/../dump_code.py" instrumented "$here/adaptive_source.py" --out "$here/instrumented-$v.json"
done
