using System.Collections.Immutable;
using System.Text.Json;
using PyRecon.Cli.Inputs;
using PyRecon.Decompilation;
using PyRecon.Model;

namespace PyRecon.Cli.Batch;

/// <summary>What became of one input of a batch.</summary>
internal sealed class FileOutcome
{
    public const string Ok = "ok", Partial = "partial", Failed = "failed";

    public required InputItem Item { get; init; }
    public string Status { get; set; } = Failed;
    /// <summary>The source (or dump) text; null when nothing came out.</summary>
    public string? Text { get; set; }
    public PythonVersion? Version { get; set; }
    public int? Magic { get; set; }
    public string? VersionSource { get; set; }
    public int CodeObjects { get; set; }
    public ImmutableArray<CodeDiagnostic> Failures { get; set; } = [];
    public string? Error { get; set; }
    public string? ErrorKind { get; set; }
    /// <summary>The error is a bug in pyrecon, not in the input.</summary>
    public bool Internal { get; set; }
    /// <summary>Where the text went (a path), null for standard output.</summary>
    public string? Output { get; set; }
    public double Seconds { get; set; }
    /// <summary>Bytes to write as they are (a data file of a PyInstaller program, or a .pyc with --extract-only).</summary>
    public byte[]? Bytes { get; set; }
    /// <summary>How a non-source output was written, for the report (e.g. a symbolic link that was not created).</summary>
    public string? Note { get; set; }
    /// <summary>Set when a stated version overrode a header naming another readable version (worth a note).</summary>
    public string? OverrideNote { get; set; }

    public int ExitCode => Internal ? ExitCodes.Internal
        : Status == Failed ? ExitCodes.Unreadable
        : Status == Partial ? ExitCodes.Partial : ExitCodes.Ok;

    /// <summary>Records a decompilation: its source, the code objects that failed, and ok or partial.</summary>
    public void Decompiled(DecompileResult result)
    {
        Text = result.Source;
        Failures = result.Diagnostics;
        Status = result.IsComplete ? Ok : Partial;
    }

    public void Fail(string kind, string message, bool isInternal = false)
    {
        Status = Failed;
        ErrorKind = kind;
        Error = message;
        Internal = isInternal;
        Text = null;
        Bytes = null;
    }

    public static int Count(CodeObject code)
    {
        int n = 1;
        foreach (var constant in code.Consts)
            if (constant is PyCode nested) n += Count(nested.Code);
        return n;
    }

    /// <summary>The per-file entry of <c>--report</c>.</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("input", Item.Display);
        w.WriteString("status", Status);
        if (Output is not null) w.WriteString("output", Output);
        else w.WriteNull("output");
        if (Item.Collision is not null) w.WriteString("collision", Item.Collision);
        if (Item.Packed is { } packed)
        {
            w.WriteString("entry_type", packed.TypeName);
            if (packed.Size is { } size) w.WriteNumber("size", size);
            if (packed.Note is not null) w.WriteString("note", packed.Note);
        }
        if (Note is not null) w.WriteString("written_as", Note);
        if (Version is { } v) w.WriteString("python", v.ToString());
        if (Magic is { } m) w.WriteNumber("magic", m);
        if (VersionSource is not null) w.WriteString("version_from", VersionSource);
        w.WriteNumber("code_objects", CodeObjects);
        w.WriteStartArray("failed_code_objects");
        foreach (var d in Failures)
        {
            w.WriteStartObject();
            w.WriteString("name", d.QualifiedName);
            w.WriteNumber("line", d.Line);
            w.WriteString("stage", d.Stage);
            w.WriteString("reason", d.Message);
            if (d.Offset >= 0) w.WriteNumber("offset", d.Offset);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (Error is not null)
        {
            w.WriteString("error", Error);
            w.WriteString("error_kind", ErrorKind ?? "error");
        }
        w.WriteNumber("seconds", Math.Round(Seconds, 4));
        w.WriteEndObject();
    }

    /// <summary>Reads one input into a code object, filling in the outcome's version facts; null when it failed.</summary>
    public static PyRecon.Pyc.PycFile? Read(FileOutcome outcome, PythonVersion? stated) => Read(outcome, stated, keepMarshal: false, out _);

    /// <inheritdoc cref="Read(FileOutcome, PythonVersion?)"/>
    /// <param name="marshal">The module's marshal data (after the header), for the round-trip judge.</param>
    public static PyRecon.Pyc.PycFile? Read(FileOutcome outcome, PythonVersion? stated, out byte[]? marshal) =>
        Read(outcome, stated, keepMarshal: true, out marshal);

    // The marshal data is copied only for the judge: decompiling alone would copy every file once more.
    private static PyRecon.Pyc.PycFile? Read(FileOutcome outcome, PythonVersion? stated, bool keepMarshal, out byte[]? marshal)
    {
        marshal = null;
        var item = outcome.Item;
        if (item.Error is not null)
        {
            outcome.Fail(item.ErrorKind ?? Sniffer.Missing, item.Error);
            return null;
        }
        byte[] data;
        try
        {
            data = item.Load!();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            outcome.Fail(Sniffer.Missing, e.Message);
            return null;
        }
        catch (PyRecon.Archives.PyInstaller.PyInstallerFormatException e)
        {
            // A PyInstaller member that is damaged or cannot be decrypted.
            outcome.Fail(e.Message.StartsWith("encrypted", StringComparison.Ordinal) ? Sniffer.Encrypted : Sniffer.Corrupt, e.Message);
            return null;
        }
        // A PyInstaller program's code is bare marshal data of the version its archive says (unless stated).
        PythonVersion? version = stated;
        string? packedSource = null;
        if (stated is null && item.Packed is { Version: { } packedVersion } packed && !PyRecon.Pyc.PycReader.LooksLikePyc(data))
        {
            if (!packedVersion.IsSupported)
            {
                outcome.Fail(Sniffer.Unsupported, $"Python {packedVersion} bytecode (the archive's {packed.VersionSource}); pyrecon reads 3.8-3.14");
                return null;
            }
            (version, packedSource) = (packedVersion, $"PyInstaller archive ({packed.VersionSource})");
        }
        try
        {
            var file = BytecodeInput.Read(data, version, out string source, out var body, item.Contained ? null : item.Display);
            if (keepMarshal) marshal = body.ToArray();
            outcome.Version = file.Version;
            outcome.Magic = file.Header?.Magic;
            outcome.VersionSource = packedSource ?? source;
            outcome.CodeObjects = Count(file.Code);
            if (stated is { } v && data.Length >= 4 && PyRecon.Pyc.PycReader.LooksLikePyc(data)
                && PyRecon.Pyc.MagicNumbers.TryGetVersion(System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(data), out var magicVersion)
                && magicVersion != v)
                outcome.OverrideNote = $"its magic says Python {magicVersion}; read as {v} as --python-version says";
            return file;
        }
        catch (UnreadableInputException e)
        {
            outcome.Fail(e.Kind, e.Message);
            return null;
        }
    }
}

/// <summary>Writes <c>--report FILE.json</c>: the run's totals and one entry per input, in input order.</summary>
internal static class BatchReport
{
    public static void Write(string path, string command, IReadOnlyList<string> arguments, int jobs, BatchCounts counts,
        double seconds, IEnumerable<FileOutcome> outcomes, int collisions)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("tool", $"pyrecon {CommandLine.ToolVersion}");
        w.WriteString("command", command);
        w.WriteStartArray("arguments");
        foreach (var a in arguments) w.WriteStringValue(a);
        w.WriteEndArray();
        w.WriteNumber("jobs", jobs);
        w.WriteStartObject("summary");
        w.WriteNumber("files", counts.Total);
        w.WriteNumber("ok", counts.Ok);
        w.WriteNumber("partial", counts.Partial);
        w.WriteNumber("failed", counts.Failed);
        w.WriteNumber("code_objects", counts.CodeObjects);
        w.WriteNumber("code_objects_failed", counts.CodeObjectsFailed);
        w.WriteNumber("collisions", collisions);
        w.WriteNumber("seconds", Math.Round(seconds, 3));
        w.WriteEndObject();
        w.WriteStartArray("files");
        foreach (var o in outcomes) o.WriteJson(w);
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        stream.WriteByte((byte)'\n');
    }
}
