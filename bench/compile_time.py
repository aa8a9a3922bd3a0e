"""Time this interpreter's compile() over the sources of a .pyc set (bench/run's CPython column).
usage: compile_time.py SRC PYC
Compiles SRC/<rel>.py for every PYC/<rel>.pyc (the files this version compiles), as tools/info/compile_tree.py
does. The sources are read first: the time is compile() alone, without interpreter start-up, file reading or
writing .pyc files. Prints wall and CPU seconds (the CPU figure is steadier on a shared machine)."""
import os, sys, time

def main():
    src, pyc = sys.argv[1], sys.argv[2]
    sources = []
    for root, dirs, names in os.walk(pyc):
        dirs.sort()
        for n in sorted(names):
            if n.endswith('.pyc'):
                rel = os.path.relpath(os.path.join(root, n), pyc)[:-1]
                with open(os.path.join(src, rel), 'rb') as f:
                    sources.append((rel, f.read()))
    wall, cpu = time.perf_counter(), time.process_time()
    for rel, source in sources:
        compile(source, rel, 'exec', dont_inherit=True)
    print('files=%d compile_s=%.3f compile_cpu_s=%.3f'
          % (len(sources), time.perf_counter() - wall, time.process_time() - cpu))

main()
