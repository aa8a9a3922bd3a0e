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
        foreach (var (path, relative) in inputs)
        {
            string text;
            try
            {
                var file = PycReader.ReadFile(path, options.Version);
                var profile = algorithm is StringHashAlgorithm a
                    ? new HashProfile(a, bits, options.HashSeed)
                    : HashProfile.Native64(file.Version, options.HashSeed);
                text = Disassembler.Disassemble(file.Code, new DisassemblyOptions { Hash = profile });
            }
            catch (Exception e) when (e is PycFormatException or BytecodeFormatException or NotSupportedException
                                          or IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"pyrecon: {path}: {e.Message}");
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
        return failures == 0 ? 0 : 1;
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
