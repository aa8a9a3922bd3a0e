using System.Text;
using PyRecon.Bytecode;
using PyRecon.Decompilation;
using PyRecon.Flow;
using PyRecon.Model;
using PyRecon.Pyc;

namespace PyRecon.Cli;

/// <summary>
/// <c>pyrecon decompile</c>: source for each input .pyc (folders stand for the .pyc files under them).
/// One line on stderr per code object that failed; exit 0 when everything decompiled, 1 when a file could
/// not be read or some code object is marked as failed.
/// </summary>
internal static class DecompileCommand
{
    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        var inputs = new List<(string Path, string Relative)>();
        bool folderInput = false;
        foreach (var arg in options.Files)
        {
            if (Directory.Exists(arg))
            {
                folderInput = true;
                var found = Directory.EnumerateFiles(arg, "*.pyc", SearchOption.AllDirectories).ToList();
                found.Sort(StringComparer.Ordinal);
                inputs.AddRange(found.Select(f => (f, Path.GetRelativePath(arg, f))));
            }
            else if (File.Exists(arg)) inputs.Add((arg, Path.GetFileName(arg)));
            else
            {
                stderr.WriteLine($"pyrecon: {arg}: no such file or folder");
                return 1;
            }
        }
        bool toFolder = options.Output is not null && (folderInput || inputs.Count > 1 || Directory.Exists(options.Output));
        int problems = 0;
        const int chunk = 64;
        var results = new Result[chunk];
        for (int first = 0; first < inputs.Count; first += chunk)
        {
            int count = Math.Min(chunk, inputs.Count - first);
            Parallel.For(0, count, i => results[i] = DecompileOne(inputs[first + i].Path, options));
            for (int i = 0; i < count; i++)
            {
                var (path, relative) = inputs[first + i];
                var result = results[i];
                results[i] = default;
                foreach (var line in result.Errors) stderr.WriteLine($"pyrecon: {path}: {line}");
                if (result.Errors.Count > 0) problems++;
                if (result.Text is null) continue;
                if (options.Output is null)
                {
                    if (inputs.Count > 1) stdout.WriteLine($"# ---- {path}");
                    stdout.Write(result.Text);
                }
                else
                {
                    var target = toFolder ? Path.Combine(options.Output, Path.ChangeExtension(relative, ".py")) : options.Output;
                    var dir = Path.GetDirectoryName(target);
                    if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
                    File.WriteAllText(target, result.Text, new UTF8Encoding(false));
                }
            }
        }
        return problems == 0 ? 0 : 1;
    }

    private readonly record struct Result(string? Text, List<string> Errors);

    private static Result DecompileOne(string path, Options options)
    {
        var errors = new List<string>();
        try
        {
            var file = PycReader.ReadFile(path, options.Version);
            if (options.Dump is not null) return new Result(Dump(file.Code, options.Dump), errors);
            var result = Decompiler.Decompile(file.Code);
            foreach (var d in result.Diagnostics) errors.Add(d.ToString());
            return new Result(result.Source, errors);
        }
        catch (PycFormatException e)
        {
            errors.Add(e.Message);
            return new Result(null, errors);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add(e.Message);
            return new Result(null, errors);
        }
    }

    private static string Dump(CodeObject code, string stage)
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
        _ = stage;
        return sb.ToString();
    }
}
