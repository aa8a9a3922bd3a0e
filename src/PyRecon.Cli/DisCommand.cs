using System.Text;
using PyRecon.Bytecode;
using PyRecon.Disassembly;
using PyRecon.Pyc;

namespace PyRecon.Cli;

/// <summary>
/// <c>pyrecon dis</c>: the text dis.dis prints for the module code object of each file, in the file's version.
/// Folders stand for the .pyc files under them. With --output-dir each input becomes DIR/&lt;rel&gt;.dis
/// (rel: the path below the folder argument, or the file name for a file argument, minus ".pyc").
/// </summary>
internal static class DisCommand
{
    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        if (options.Json)
        {
            stderr.WriteLine("pyrecon dis: --json is not supported (the output is dis.dis text)");
            return 2;
        }
        StringHashAlgorithm? algorithm = null;
        int bits = 64;
        if (options.HashFunction is string spec && !TryParseHash(spec, out algorithm, out bits))
        {
            stderr.WriteLine($"pyrecon dis: --hash {spec}: expected siphash24, siphash13 or fnv, optionally followed by :32 or :64");
            return 2;
        }
        int failures = 0;
        var inputs = new List<(string Path, string Relative)>();
        foreach (var arg in options.Files)
        {
            if (Directory.Exists(arg))
            {
                var found = Directory.EnumerateFiles(arg, "*.pyc", SearchOption.AllDirectories).ToList();
                found.Sort(StringComparer.Ordinal);
                inputs.AddRange(found.Select(f => (f, Path.GetRelativePath(arg, f))));
            }
            else inputs.Add((arg, Path.GetFileName(arg)));
        }

        bool headers = options.OutputDir is null && inputs.Count > 1;
        // Files are independent: disassemble a chunk in parallel, then write it in input order, so output and
        // error lines keep their order while memory stays bounded.
        const int chunk = 64;
        var results = new (string? Text, string? Error)[chunk];
        for (int first = 0; first < inputs.Count; first += chunk)
        {
            int count = Math.Min(chunk, inputs.Count - first);
            Parallel.For(0, count, i => results[i] = Disassemble(inputs[first + i].Path, options, algorithm, bits));
            for (int i = 0; i < count; i++)
            {
                var (path, relative) = inputs[first + i];
                var (text, error) = results[i];
                results[i] = default;
                if (text is null)
                {
                    stderr.WriteLine($"pyrecon: {path}: {error}");
                    failures++;
                    continue;
                }
                if (options.OutputDir is null)
                {
                    if (headers) stdout.WriteLine($"==> {path} <==");
                    stdout.Write(text);
                    if (headers) stdout.WriteLine();
                    continue;
                }
                string stem = relative.EndsWith(".pyc", StringComparison.OrdinalIgnoreCase) ? relative[..^4] : relative;
                string target = Path.Combine(options.OutputDir, stem + ".dis");
                try
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
                    File.WriteAllText(target, text, new UTF8Encoding(false));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    stderr.WriteLine($"pyrecon: {target}: {e.Message}");
                    failures++;
                }
            }
        }
        return failures == 0 ? 0 : 1;
    }

    /// <summary>The text of one file, or the one-line reason it has none.</summary>
    private static (string? Text, string? Error) Disassemble(string path, Options options, StringHashAlgorithm? algorithm, int bits)
    {
        try
        {
            var file = PycReader.ReadFile(path, options.Version);
            var profile = algorithm is StringHashAlgorithm a
                ? new HashProfile(a, bits, options.HashSeed)
                : HashProfile.Native64(file.Version, options.HashSeed);
            return (Disassembler.Disassemble(file.Code, new DisassemblyOptions { Hash = profile }), null);
        }
        catch (Exception e) when (e is PycFormatException or BytecodeFormatException or NotSupportedException
                                      or IOException or UnauthorizedAccessException)
        {
            return (null, e.Message);
        }
        catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentException
                                      or KeyNotFoundException or InvalidOperationException)
        {
            // A code object that reads but cannot be listed (damaged line or exception table, bad arguments):
            // still one line for this file, not a stack trace.
            return (null, $"cannot disassemble: {e.Message}");
        }
    }

    private static bool TryParseHash(string spec, out StringHashAlgorithm? algorithm, out int bits)
    {
        var parts = spec.Split(':');
        bits = 64;
        algorithm = parts[0] switch
        {
            "siphash24" => StringHashAlgorithm.SipHash24,
            "siphash13" => StringHashAlgorithm.SipHash13,
            "fnv" => StringHashAlgorithm.Fnv,
            _ => null,
        };
        if (algorithm is null || parts.Length > 2) return false;
        if (parts.Length == 2)
        {
            if (parts[1] is not ("32" or "64")) return false;
            bits = parts[1] == "32" ? 32 : 64;
        }
        return true;
    }
}
