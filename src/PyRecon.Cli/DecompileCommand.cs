using System.Diagnostics;
using System.Text;
using PyRecon.Bytecode;
using PyRecon.Cli.Batch;
using PyRecon.Cli.Inputs;
using PyRecon.Decompilation;
using PyRecon.Flow;
using PyRecon.Model;

namespace PyRecon.Cli;

/// <summary>The options of <c>pyrecon decompile</c>.</summary>
internal sealed record DecompileSettings(IReadOnlyList<string> Inputs)
{
    public PythonVersion? Version { get; init; }
    public string? Output { get; init; }
    public string? Dump { get; init; }
    public int Jobs { get; init; } = Environment.ProcessorCount;
    public string? Report { get; init; }
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;
    public bool Quiet { get; init; }
    /// <summary>Write each code input as a .pyc with a correct header instead of decompiling it.</summary>
    public bool ExtractOnly { get; init; }
    /// <summary>The key of an encrypted PyInstaller program (instead of the one found in it).</summary>
    public string? Key { get; init; }
}

/// <summary>
/// <c>pyrecon decompile</c>: source for every input (.pyc files, folders recursively, zip/wheel/egg archives,
/// headerless marshal data with a stated version). Files are decompiled in parallel, each output file written by its
/// worker; standard output, stderr and the report come in input order. stderr gets one line per code object that
/// failed and per unreadable input, progress and a summary for a batch; <c>--report</c> writes the same as JSON.
/// </summary>
internal static class DecompileCommand
{
    public static int Run(DecompileSettings settings, TextWriter stdout, TextWriter stderr)
    {
        var clock = Stopwatch.StartNew();
        string? output = settings.Output;
        if (settings.ExtractOnly && output is null)
        {
            stderr.WriteLine("pyrecon decompile: --extract-only writes files: say where with -o DIR (see 'pyrecon decompile --help')");
            return ExitCodes.Usage;
        }
        using var inputs = InputSet.Expand(settings.Inputs, settings.Version, settings.Key);
        var items = inputs.Items;
        bool toFolder = output is not null && (inputs.HasContainers || items.Count > 1 || Directory.Exists(output)
                                               || output.EndsWith('/') || output.EndsWith(Path.DirectorySeparatorChar));
        if (toFolder) OutputNames.Assign(items, pyc: settings.ExtractOnly);
        if (!settings.Quiet)
            foreach (var note in inputs.Notes) stderr.WriteLine($"pyrecon: {note}");

        var counts = new BatchCounts { Total = items.Count };
        var outcomes = new List<FileOutcome>(items.Count);
        var codes = new List<int>(items.Count);
        int collisions = 0;
        bool overrideNoted = false;
        bool headers = output is null && items.Count > 1;
        var view = ProgressView.Create(settings.Quiet ? ProgressMode.None : settings.Progress, stderr, items.Count, stdoutShared: output is null);
        // Each worker writes its own output file (the names are assigned up front, so no two collide): the ordered
        // hand-over below is then light, and a second core is not left waiting on the writes of the first.
        string? FileTarget(InputItem item) =>
            output is null ? null : !toFolder ? output : item.OutputRelative is { } relative ? Path.Combine(output, relative) : null;
        view.Run(counts, "decompiling", () => OrderedBatch.Run(items.Count, settings.Jobs, i => WriteText(Decompile(items[i], settings), FileTarget(items[i])), (i, outcome) =>
        {
            var item = outcome.Item;
            if (outcome.OverrideNote is not null && !overrideNoted)
            {
                // Once per run: extractors write the same wrong magic into every file.
                overrideNoted = true;
                view.Line($"pyrecon: {item.Display}: note: {outcome.OverrideNote}");
            }
            foreach (var d in outcome.Failures) view.Line($"pyrecon: {item.Display}: {d}");
            void NoteCollision()
            {
                if (item.Collision is null) return;
                collisions++;
                view.Line($"pyrecon: {item.Display}: {item.Collision}");
            }
            // Written (or found not writable) by the worker.
            if (outcome.Output is not null || outcome.ErrorKind == "write-error") NoteCollision();
            else if (outcome.Status != FileOutcome.Failed && outcome.Text is null && output is not null && item.Role != PyRecon.Archives.PyInstaller.ItemRole.Listed)
            {
                NoteCollision();
                PackedOutput.Write(outcome, toFolder ? Path.Combine(output, item.OutputRelative!) : output, toFolder ? output : null);
            }
            else if (outcome.Text is not null)
            {
                if (headers) stdout.WriteLine($"# ---- {item.Display}");
                stdout.Write(outcome.Text);
                outcome.Text = null;
            }
            if (outcome.Error is not null) view.Line($"pyrecon: {item.Display}: {outcome.Error}");
            counts.Done++;
            switch (outcome.Status)
            {
                case FileOutcome.Ok: counts.Ok++; break;
                case FileOutcome.Partial: counts.Partial++; break;
                default: counts.Failed++; break;
            }
            counts.CodeObjects += outcome.CodeObjects;
            counts.CodeObjectsFailed += outcome.Failures.Length;
            outcomes.Add(outcome);
            codes.Add(outcome.ExitCode);
            view.Advance(counts);
        }));
        double seconds = clock.Elapsed.TotalSeconds;

        int exit = ExitCodes.Combine(codes);
        if (settings.Report is string report)
        {
            try
            {
                BatchReport.Write(report, "decompile", settings.Inputs, settings.Jobs, counts, seconds, outcomes, collisions);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"pyrecon: cannot write the report {report}: {e.Message}");
                exit = ExitCodes.Combine([exit, ExitCodes.Unreadable]);
            }
        }
        if (items.Count > 1 && !settings.Quiet)
            stderr.WriteLine($"pyrecon: {counts.Total} files: {counts.Files}; {counts.CodeObjects} code objects, {counts.CodeObjectsFailed} failed"
                             + (collisions > 0 ? $"; {collisions} renamed on name collisions" : "") + $"; {seconds:0.0} s");
        return exit;
    }

    /// <summary>Writes a decompiled text to its file (in the worker); what cannot be written fails the file. Without
    /// a target (stdout) the text stays for the ordered hand-over.</summary>
    private static FileOutcome WriteText(FileOutcome outcome, string? target)
    {
        if (target is null || outcome.Text is null) return outcome;
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(target));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            File.WriteAllText(target, outcome.Text, new UTF8Encoding(false));
            outcome.Output = target;
            outcome.Text = null; // the report keeps the rest; the text is written
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            outcome.Fail("write-error", $"cannot write {target}: {e.Message}");
        }
        return outcome;
    }

    private static FileOutcome Decompile(InputItem item, DecompileSettings settings)
    {
        var clock = Stopwatch.StartNew();
        var outcome = new FileOutcome { Item = item };
        try
        {
            if (item.Role != PyRecon.Archives.PyInstaller.ItemRole.Code || settings.ExtractOnly)
            {
                PackedOutput.Prepare(outcome, settings.Version, settings.ExtractOnly);
                outcome.Seconds = clock.Elapsed.TotalSeconds;
                return outcome;
            }
            var file = FileOutcome.Read(outcome, settings.Version);
            if (file is null) return outcome;
            if (settings.Dump is not null)
            {
                outcome.Text = Dump(file.Code);
                outcome.Status = FileOutcome.Ok;
            }
            else
            {
                outcome.Decompiled(Decompiler.Decompile(file.Code));
            }
        }
        catch (Exception e)
        {
            outcome.Fail("internal", CommandLine.InternalErrorMessage(e), isInternal: true);
            if (Environment.GetEnvironmentVariable("PYRECON_DEBUG") is "1") Console.Error.WriteLine(e);
        }
        outcome.Seconds = clock.Elapsed.TotalSeconds;
        return outcome;
    }

    /// <summary><c>--dump</c>: the normalized ops, exception handlers and basic blocks of every code object.</summary>
    private static string Dump(CodeObject code)
    {
        var sb = new StringBuilder();
        void Walk(CodeObject c)
        {
            try
            {
                var flow = FunctionFlow.Build(c, PyRecon.Bytecode.Decoder.Decode(c));
                sb.Append(flow.Dump());
            }
            catch (Exception e) when (e is BytecodeFormatException or InvalidOperationException or ArgumentException)
            {
                sb.Append($"code {c.QualName ?? c.Name}: {e.Message}\n");
            }
            foreach (var nested in c.NestedCode) Walk(nested);
        }
        Walk(code);
        return sb.ToString();
    }
}
