using System.Diagnostics;
using PyRecon.Bytecode;
using PyRecon.Decompilation;
using PyRecon.Flow;
using PyRecon.Model;
using PyRecon.Pyc;

// Steady-state decompilation throughput on one core, in process:
//   PyRecon.Benchmarks DIR [--seconds S] [--warmup N] [--top N] [--alloc N] [--stages]
// Reads every .pyc under DIR into memory (disk I/O is not timed), decompiles the whole set at least N times to warm
// up, and then on until the JIT has settled: tiered compilation (instrumented tier, then the optimized rejit of each
// hot method) goes on in the background for many seconds after the first passes, and passes timed before it ends
// read 15-20% slow. Settled = two passes in a row in which the runtime compiled fewer than 10 methods (at most 40
// passes). Then it decompiles it again and again, on this one thread, for at least S seconds. Prints one
// line of key=value figures: files/s and MB/s by wall clock and by this process's CPU time (the CPU figure is the
// steadier one on a shared machine), allocated MB per pass, and the files with a marked failure (a check that the
// work is the real work).
string? dir = null;
double seconds = 10;
int top = 0, warmup = 2, allocTypes = 0;
bool stages = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--seconds": seconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--warmup": warmup = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--top": top = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--alloc": allocTypes = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--stages": stages = true; break;
        default: dir = args[i]; break;
    }
}
if (dir is null || !Directory.Exists(dir))
{
    Console.Error.WriteLine("usage: PyRecon.Benchmarks DIR [--seconds S] [--warmup N] [--top N] [--alloc N] [--stages]");
    return 2;
}
var paths = Directory.EnumerateFiles(dir, "*.pyc", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
var files = paths.Select(File.ReadAllBytes).ToArray();
long bytes = files.Sum(f => (long)f.Length);

int Pass()
{
    int incomplete = 0;
    foreach (var data in files)
    {
        try
        {
            if (!Decompiler.Decompile(data).IsComplete) incomplete++;
        }
        catch (Exception)
        {
            incomplete++; // the CLI reports these as failed files; the benchmark only counts them
        }
    }
    return incomplete;
}

if (top > 0) return Top(top);
if (allocTypes > 0) return AllocationsByType(allocTypes);
if (stages) return Stages();

// Exceptions thrown inside the library (caught there or not): each costs tens of microseconds.
long exceptions = 0;
AppDomain.CurrentDomain.FirstChanceException += (_, _) => Interlocked.Increment(ref exceptions);
int marked = 0, warmPasses = 0, quietPasses = 0;
while (warmPasses < 40 && (warmPasses < warmup || quietPasses < 2))
{
    long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
    marked = Pass();
    warmPasses++;
    quietPasses = System.Runtime.JitInfo.GetCompiledMethodCount() - compiled < 10 ? quietPasses + 1 : 0;
}
var process = Process.GetCurrentProcess();
process.Refresh();
var cpu0 = process.TotalProcessorTime;
long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
var pause0 = GC.GetTotalPauseDuration();
long exceptions0 = Interlocked.Read(ref exceptions);
var clock = Stopwatch.StartNew();
int passes = 0;
do
{
    Pass();
    passes++;
} while (clock.Elapsed.TotalSeconds < seconds);
double wall = clock.Elapsed.TotalSeconds;
process.Refresh();
double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
double allocMb = (GC.GetTotalAllocatedBytes(precise: true) - alloc0) / 1e6 / passes;
var inv = System.Globalization.CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(inv,
    $"files={files.Length} MB={bytes / 1e6:0.00} warmup_passes={warmPasses} passes={passes} files_per_s={files.Length * passes / wall:0} " +
    $"MB_per_s={bytes * passes / 1e6 / wall:0.00} cpu_files_per_s={files.Length * passes / cpu:0} " +
    $"alloc_MB_per_pass={allocMb:0} gc_pause_share={(GC.GetTotalPauseDuration() - pause0).TotalSeconds / wall:0.00} gen0={GC.CollectionCount(0) - gen0} gen2={GC.CollectionCount(2) - gen2} " +
    $"exceptions_per_pass={(Interlocked.Read(ref exceptions) - exceptions0) / passes} marked_failures={marked} peak_MB={process.PeakWorkingSet64 / 1e6:0}"));
return 0;

// --top N: after one warm-up pass, the N files that cost most (time and allocation per file, one more pass each):
// where superlinear work hides.
int Top(int n)
{
    for (int i = 0; i < Math.Max(1, warmup); i++) Pass();
    var rows = new List<(string Path, double Ms, double AllocMb, int Kb)>();
    for (int f = 0; f < files.Length; f++)
    {
        long a0 = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        try { Decompiler.Decompile(files[f]); } catch (Exception) { }
        rows.Add((Path.GetRelativePath(dir!, paths[f]), watch.Elapsed.TotalMilliseconds, (GC.GetAllocatedBytesForCurrentThread() - a0) / 1e6, files[f].Length / 1000));
    }
    double totalMs = rows.Sum(r => r.Ms), totalMb = rows.Sum(r => r.AllocMb);
    Console.WriteLine($"total {totalMs:0} ms, {totalMb:0} MB allocated");
    foreach (var r in rows.OrderByDescending(r => Environment.GetEnvironmentVariable("TOP_BY_RATE") == "1" ? r.Ms / Math.Max(1, r.Kb) : r.Ms).Take(n))
        Console.WriteLine($"{r.Ms,8:0.0} ms {100 * r.Ms / totalMs,5:0.0}% {r.AllocMb,7:0.0} MB {r.Kb,5} KB pyc  {r.Ms / Math.Max(1, r.Kb),5:0.00} ms/KB  {r.Path}");
    return 0;
}

// --stages: the cost of the pipeline's front alone, layer by layer, each timed over whole passes after warm-up: reading
// the .pyc (marshal), then also decoding every code object, then also building each one's flow (stack depths,
// blocks, dominators, op normalization), then the whole decompilation. Each layer's time per pass includes the ones
// before it: what is left for evaluation, structuring, cleanup and formatting is the last minus the third.
int Stages()
{
    static void Walk(CodeObject code, bool flow, bool moduleOrClass)
    {
        var instructions = Decoder.Decode(code);
        if (flow) FunctionFlow.Build(code, instructions, moduleOrClass);
        foreach (var c in code.Consts)
            if (c is PyCode nested) Walk(nested.Code, flow, moduleOrClass: false);
    }
    var layers = new (string Name, Action<byte[]> Run)[]
    {
        ("read", data => PycReader.ReadAny(data, null)),
        ("read+decode", data => Walk(PycReader.ReadAny(data, null).Code, flow: false, moduleOrClass: true)),
        ("read+decode+flow", data => Walk(PycReader.ReadAny(data, null).Code, flow: true, moduleOrClass: true)),
        ("decompile", data => Decompiler.Decompile(data)),
    };
    foreach (var (name, run) in layers)
    {
        void LayerPass()
        {
            foreach (var data in files)
                try { run(data); } catch (Exception) { }
        }
        for (int i = 0; i < Math.Max(3, warmup); i++) LayerPass();
        var clock = Stopwatch.StartNew();
        int passes = 0;
        do { LayerPass(); passes++; } while (clock.Elapsed.TotalSeconds < seconds / layers.Length);
        double perPass = clock.Elapsed.TotalSeconds / passes;
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{name,-18} {perPass * 1000,8:0} ms per pass  {files.Length / perPass,8:0} files/s"));
    }
    return 0;
}

// --alloc N: after one warm-up pass, the N types that take most of one more pass's allocation, from the runtime's
// allocation samples (one event per ~100 KB allocated, naming the type of the object that crossed the mark).
int AllocationsByType(int n)
{
    Pass();
    using var sampler = new AllocationSampler();
    Pass();
    var byType = sampler.Stop();
    long total = byType.Values.Sum();
    Console.WriteLine($"sampled {total / 1e6:0} MB in one pass");
    foreach (var (type, amount) in byType.OrderByDescending(e => e.Value).Take(n))
        Console.WriteLine($"{amount / 1e6,8:0.0} MB {100.0 * amount / total,5:0.0}%  {type}");
    return 0;
}

/// <summary>Listens to the runtime's GCAllocationTick events and sums their amounts by type name.</summary>
sealed class AllocationSampler : System.Diagnostics.Tracing.EventListener
{
    private readonly Dictionary<string, long> _byType = [];
    private bool _stopped;

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        // Keyword 0x1 is GC; allocation ticks are raised at Verbose level.
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        if (_stopped || !e.EventName!.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
        int amountAt = e.PayloadNames!.IndexOf("AllocationAmount64"), typeAt = e.PayloadNames.IndexOf("TypeName");
        if (amountAt < 0 || typeAt < 0) return;
        string type = e.Payload[typeAt] as string ?? "?";
        long amount = Convert.ToInt64(e.Payload[amountAt], System.Globalization.CultureInfo.InvariantCulture);
        lock (_byType) _byType[type] = _byType.GetValueOrDefault(type) + amount;
    }

    public Dictionary<string, long> Stop()
    {
        _stopped = true;
        lock (_byType) return new(_byType);
    }
}
