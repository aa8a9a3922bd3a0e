using System.Diagnostics;
using System.Text;
using System.Text.Json;
using PyRecon.Cli.Batch;
using PyRecon.Cli.Inputs;
using PyRecon.Cli.Verify;
using PyRecon.Decompilation;
using PyRecon.Model;

namespace PyRecon.Cli;

/// <summary>The options of <c>pyrecon verify</c>.</summary>
internal sealed record VerifySettings(IReadOnlyList<string> Inputs)
{
    public PythonVersion? Version { get; init; }
    public IReadOnlyList<string> Pythons { get; init; } = [];
    /// <summary>Also look in PYRECON_PYTHON_3_X, pyenv, PATH and Pyodide (tests turn it off to see "none found").</summary>
    public bool SearchDefaults { get; init; } = true;
    public bool Json { get; init; }
    public int Jobs { get; init; } = Environment.ProcessorCount;
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;
    public bool Quiet { get; init; }
}

/// <summary>
/// <c>pyrecon verify</c>: decompiles each input (in parallel), recompiles the source with the CPython of the
/// file's version and compares the code objects by the round-trip judge's rule (one long-lived interpreter per
/// version, asked in input order). One verdict line per file on stdout (or one JSON document with --json).
/// </summary>
internal static class VerifyCommand
{
    private sealed class Verdict
    {
        public required FileOutcome Outcome { get; init; }
        public string Kind { get; set; } = "";
        public string Detail { get; set; } = "";
        public bool LineExact { get; set; }
        public int CodeObjectsEqual { get; set; }
        public string? Interpreter { get; set; }
        public JsonElement? FirstDifference { get; set; }

        public int ExitCode => Kind switch
        {
            "equal" => ExitCodes.Ok,
            "unreadable" => Outcome.Internal ? ExitCodes.Internal : ExitCodes.Unreadable,
            "not-checked" => ExitCodes.NoInterpreter,
            "error" => ExitCodes.Internal,
            _ => ExitCodes.Partial,
        };
    }

    public static int Run(VerifySettings settings, TextWriter stdout, TextWriter stderr)
    {
        var clock = Stopwatch.StartNew();
        using var inputs = InputSet.Expand(settings.Inputs, settings.Version);
        using var interpreters = new Interpreters(settings.Pythons, stderr) { SearchDefaults = settings.SearchDefaults };
        // A PyInstaller executable's data files, options and folders have nothing to verify.
        var items = inputs.Items.Where(i => i.Role == PyRecon.Archives.PyInstaller.ItemRole.Code).ToList();
        if (!settings.Quiet)
            foreach (var note in inputs.Notes) stderr.WriteLine($"pyrecon: {note}");
        var verdicts = new List<Verdict>(items.Count);
        var counts = new BatchCounts { Total = items.Count };
        var reported = new HashSet<PythonVersion>();
        var view = ProgressView.Create(settings.Quiet ? ProgressMode.None : settings.Progress, stderr, items.Count, stdoutShared: !settings.Json);
        view.Run(counts, "verifying", () => OrderedBatch.Run(items.Count, settings.Jobs, i => Decompile(items[i], settings.Version), (i, decompiled) =>
        {
            var verdict = Judge(decompiled, interpreters);
            if (verdict.Kind == "not-checked" && decompiled.Outcome.Version is { } v && reported.Add(v))
                view.Line($"pyrecon: {verdict.Detail}");
            if (!settings.Json) stdout.WriteLine(Line(verdict));
            verdicts.Add(verdict);
            counts.Done++;
            if (verdict.Kind == "equal") counts.Ok++;
            else if (verdict.Kind is "unreadable" or "not-checked" or "error") counts.Failed++;
            else counts.Partial++;
            view.Advance(counts);
        }));
        double seconds = clock.Elapsed.TotalSeconds;
        if (settings.Json) WriteJson(stdout, verdicts, seconds);
        if (items.Count > 1 && !settings.Quiet)
        {
            var by = verdicts.GroupBy(v => v.Kind).ToDictionary(g => g.Key, g => g.Count());
            int Of(string k) => by.GetValueOrDefault(k);
            stderr.WriteLine($"pyrecon: {items.Count} files: {Of("equal")} equal, {Of("mismatch")} mismatch, "
                             + $"{Of("recompile-error")} recompile errors, {Of("no-output")} without output, {Of("unreadable")} unreadable, "
                             + $"{Of("not-checked")} not checked; {seconds:0.0} s");
        }
        return ExitCodes.Combine(verdicts.Select(v => v.ExitCode));
    }

    /// <summary>Decompiles one input, keeping the marshal data the judge needs.</summary>
    private static (FileOutcome Outcome, byte[]? Marshal) Decompile(InputItem item, PythonVersion? stated)
    {
        var clock = Stopwatch.StartNew();
        var outcome = new FileOutcome { Item = item };
        byte[]? marshal = null;
        try
        {
            var file = FileOutcome.Read(outcome, stated, out marshal);
            if (file is not null)
            {
                outcome.Decompiled(Decompiler.Decompile(file.Code));
            }
        }
        catch (Exception e)
        {
            outcome.Fail("internal", CommandLine.InternalErrorMessage(e), isInternal: true);
        }
        outcome.Seconds = clock.Elapsed.TotalSeconds;
        return (outcome, marshal);
    }

    private static Verdict Judge((FileOutcome Outcome, byte[]? Marshal) decompiled, Interpreters interpreters)
    {
        var (outcome, marshal) = decompiled;
        var verdict = new Verdict { Outcome = outcome };
        if (outcome.Text is null || marshal is null || outcome.Version is not { } version)
        {
            verdict.Kind = "unreadable";
            verdict.Detail = outcome.Error ?? "no source";
            return verdict;
        }
        var (host, problem) = interpreters.For(version);
        if (host is null)
        {
            verdict.Kind = "not-checked";
            verdict.Detail = problem ?? $"no CPython {version}";
            return verdict;
        }
        verdict.Interpreter = host.Description;
        try
        {
            string name = Path.GetFileName(outcome.Item.OutputRelative ?? OutputNames.Natural(outcome.Item.Relative));
            string request = $"{{\"marshal\": \"{Convert.ToBase64String(marshal)}\", \"source\": {JsonAscii(outcome.Text)}, \"name\": {JsonAscii(name)}}}";
            var answer = host.Ask(request);
            verdict.Kind = answer.GetProperty("verdict").GetString() ?? "error";
            verdict.Detail = answer.GetProperty("detail").GetString() ?? "";
            verdict.LineExact = answer.GetProperty("line_exact").GetBoolean();
            outcome.CodeObjects = answer.GetProperty("code_objects").GetInt32();
            verdict.CodeObjectsEqual = answer.GetProperty("code_objects_equal").GetInt32();
            if (answer.TryGetProperty("first_difference", out var diff) && diff.ValueKind == JsonValueKind.Object)
                verdict.FirstDifference = diff;
        }
        catch (Exception e) when (e is JudgeException or JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            verdict.Kind = "error";
            verdict.Detail = e.Message;
        }
        return verdict;
    }

    /// <summary>
    /// A JSON string in ASCII, every other character as \uXXXX: lone surrogates too (Python strings may hold them;
    /// the judge encodes with surrogatepass), which System.Text.Json refuses to write.
    /// </summary>
    internal static string JsonAscii(string text)
    {
        var sb = new StringBuilder(text.Length + 16).Append('"');
        foreach (char c in text)
        {
            if (c is '"' or '\\') sb.Append('\\').Append(c);
            else if (c >= 0x20 && c < 0x7f) sb.Append(c);
            else sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.Append('"').ToString();
    }

    private static string Line(Verdict v)
    {
        var o = v.Outcome;
        string marked = o.Failures.Length > 0 ? $"; the decompiler marked {Plural(o.Failures.Length, "code object")} as failed" : "";
        return v.Kind switch
        {
            "equal" => $"{o.Item.Display}: equal ({Plural(o.CodeObjects, "code object")}{(v.LineExact ? ", line numbers exact" : "")})",
            "mismatch" => $"{o.Item.Display}: mismatch: {DescribeDifference(v)}{marked}",
            "recompile-error" => $"{o.Item.Display}: the decompiled source does not compile: {v.Detail}{marked}",
            "no-output" => $"{o.Item.Display}: no output{marked}",
            "unreadable" => $"{o.Item.Display}: unreadable: {v.Detail}",
            "not-checked" => $"{o.Item.Display}: not checked: no CPython {o.Version} to recompile with",
            _ => $"{o.Item.Display}: error: {v.Detail}",
        };
    }

    private static string Plural(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    /// <summary>"code object f, instruction 3 (offset 8, line 2): expected LOAD_CONST 1, found LOAD_CONST 2".</summary>
    private static string DescribeDifference(Verdict v)
    {
        if (v.FirstDifference is not { } d) return v.Detail;
        string Get(string name) => d.TryGetProperty(name, out var p) ? p.ValueKind == JsonValueKind.String ? p.GetString()! : p.ToString() : "";
        var sb = new StringBuilder($"code object {Get("code")}, ");
        string field = Get("field");
        if (field is "instruction" or "exception table")
        {
            sb.Append(field == "instruction" ? $"instruction {Get("index")}" : $"exception table entry {Get("index")}");
            var where = new List<string>();
            if (d.TryGetProperty("offset", out _)) where.Add($"offset {Get("offset")}");
            if (d.TryGetProperty("line", out _)) where.Add($"line {Get("line")}");
            if (where.Count > 0) sb.Append($" ({string.Join(", ", where)})");
        }
        else sb.Append(field);
        sb.Append($": expected {Get("expected")}, found {Get("found")}");
        return sb.ToString();
    }

    private static void WriteJson(TextWriter stdout, List<Verdict> verdicts, double seconds)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("tool", $"pyrecon {CommandLine.ToolVersion}");
            w.WriteStartObject("summary");
            w.WriteNumber("files", verdicts.Count);
            foreach (var kind in new[] { "equal", "mismatch", "recompile-error", "no-output", "unreadable", "not-checked", "error" })
                w.WriteNumber(kind.Replace('-', '_'), verdicts.Count(v => v.Kind == kind));
            w.WriteNumber("seconds", Math.Round(seconds, 3));
            w.WriteEndObject();
            w.WriteStartArray("files");
            foreach (var v in verdicts)
            {
                var o = v.Outcome;
                w.WriteStartObject();
                w.WriteString("input", o.Item.Display);
                if (o.Version is { } version) w.WriteString("python", version.ToString());
                w.WriteString("verdict", v.Kind);
                w.WriteString("detail", v.Detail);
                w.WriteBoolean("line_exact", v.LineExact);
                w.WriteNumber("code_objects", o.CodeObjects);
                w.WriteNumber("code_objects_equal", v.CodeObjectsEqual);
                if (v.Interpreter is not null) w.WriteString("interpreter", v.Interpreter);
                w.WritePropertyName("first_difference");
                if (v.FirstDifference is { } diff) diff.WriteTo(w);
                else w.WriteNullValue();
                w.WriteStartArray("decompile_failures");
                foreach (var f in o.Failures) w.WriteStringValue(f.ToString());
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stdout.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
