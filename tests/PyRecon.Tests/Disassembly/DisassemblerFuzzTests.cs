using PyRecon.Bytecode;
using PyRecon.Disassembly;
using PyRecon.Pyc;
using PyRecon.Tests.Support;
using Xunit.Abstractions;

namespace PyRecon.Tests.Disassembly;

/// <summary>
/// Damaged bytecode (random byte changes in valid fixtures, fixed seed) is either refused by the reader or
/// decoder with their own exceptions or listed: the disassembler itself never throws on what they accept.
/// PYRECON_FUZZ_CASES and PYRECON_FUZZ_SEED override.
/// </summary>
public class DisassemblerFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Damaged_files_are_refused_or_listed()
    {
        int cases = int.TryParse(Environment.GetEnvironmentVariable("PYRECON_FUZZ_CASES"), out var c) ? c : 3000;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("PYRECON_FUZZ_SEED"), out var s) ? s : 20261121;
        output.WriteLine($"dis fuzz: {cases} cases, seed {seed}");
        var fixtures = Fixtures.AllPycFiles()
            .Concat(PythonVersionDirs().SelectMany(d => Directory.EnumerateFiles(d, "*.pyc")))
            .Select(File.ReadAllBytes).ToArray();
        var random = new Random(seed);
        int listed = 0, refused = 0;
        for (int i = 0; i < cases; i++)
        {
            var data = (byte[])fixtures[random.Next(fixtures.Length)].Clone();
            // Mostly single bytes past the header, where opcodes, arguments and tables live.
            int changes = 1 + random.Next(3);
            for (int k = 0; k < changes; k++) data[16 + random.Next(data.Length - 16)] = (byte)random.Next(256);
            try
            {
                var file = PycReader.Read(data);
                _ = Disassembler.Disassemble(file.Code);
                listed++;
            }
            catch (Exception e) when (e is PycFormatException or BytecodeFormatException)
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i} (seed {seed}): {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        output.WriteLine($"listed {listed}, refused {refused}");
        Assert.True(listed > cases / 10 && refused > 0, $"listed {listed}, refused {refused}: the mutations should produce both");
    }

    private static IEnumerable<string> PythonVersionDirs() =>
        Model.PythonVersion.Supported.Select(v => Path.Combine(Fixtures.Root, "dis", "pyc", v.ToString())).Where(Directory.Exists);
}
