"""Time this interpreter's compile() over the sources of a .pyc set (bench/run's CPython column).
usage: compile_time.py SRC PYC [REPEAT]
Compiles SRC/<rel>.py for every PYC/<rel>.pyc (the files this version compiles), as tools/info/compile_tree.py
does. The sources are read first: the time is compile() alone, without interpreter start-up, file reading or
writing .pyc files. Prints wall and CPU seconds (the CPU figure is steadier on a shared machine); with REPEAT the
whole set is compiled that many times and the fastest pass counts, as bench/run takes the best of its runs."""
import os, sys, time

def main():
    src, pyc = sys.argv[1], sys.argv[2]
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    sources = []
    for root, dirs, names in os.walk(pyc):
        dirs.sort()
        for n in sorted(names):
            if n.endswith('.pyc'):
                rel = os.path.relpath(os.path.join(root, n), pyc)[:-1]
                with open(os.path.join(src, rel), 'rb') as f:
                    sources.append((rel, f.read()))
    best_wall = best_cpu = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        for rel, source in sources:
            compile(source, rel, 'exec', dont_inherit=True)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        best_wall = wall if best_wall is None else min(best_wall, wall)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    print('files=%d compile_s=%.3f compile_cpu_s=%.3f' % (len(sources), best_wall, best_cpu))

main()
