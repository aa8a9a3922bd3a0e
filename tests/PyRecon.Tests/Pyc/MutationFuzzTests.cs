using System.Diagnostics;
using PyRecon.Model;
using PyRecon.Pyc;
using PyRecon.Tests.Support;
using Xunit.Abstractions;

namespace PyRecon.Tests.Pyc;

/// <summary>
/// Mutates valid fixtures at random (fixed seed, printed) and checks the reader only ever fails with
/// PycFormatException and never hangs; everything derived from a read file (line tables, positions,
/// exception table, JSON) must not throw either. PYRECON_FUZZ_CASES and PYRECON_FUZZ_SEED override.
/// </summary>
public class MutationFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Mutated_fixtures_fail_only_with_the_readers_error()
    {
        int cases = int.TryParse(Environment.GetEnvironmentVariable("PYRECON_FUZZ_CASES"), out var c) ? c : 5000;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("PYRECON_FUZZ_SEED"), out var s) ? s : 20261121;
        output.WriteLine($"mutation fuzz: {cases} cases, seed {seed} (PYRECON_FUZZ_SEED to replay)");
        var fixtures = Fixtures.AllPycFiles().Select(File.ReadAllBytes).ToArray();
        var random = new Random(seed);
        int accepted = 0, refused = 0;
        var slowest = TimeSpan.Zero;
        for (int i = 0; i < cases; i++)
        {
            var data = Mutate(fixtures[random.Next(fixtures.Length)], random);
            var clock = Stopwatch.StartNew();
            try
            {
                var file = PycReader.Read(data);
                Exercise(file.Code);
                _ = PycInfoJson.Write(file);
                accepted++;
            }
            catch (PycFormatException)
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i} (seed {seed}): {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
            if (clock.Elapsed > slowest) slowest = clock.Elapsed;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"case {i} (seed {seed}) took {clock.Elapsed}");
        }
        output.WriteLine($"accepted {accepted}, refused {refused}, slowest case {slowest.TotalMilliseconds:F1} ms");
        Assert.Equal(cases, accepted + refused);
        Assert.True(refused > cases / 10, "mutations should mostly break files; the fuzzer may not be mutating");
    }

    private static void Exercise(CodeObject code)
    {
        _ = code.LineStarts;
        _ = code.LineRanges;
        _ = code.Positions();
        _ = code.ExceptionTable;
        foreach (var nested in code.NestedCode) Exercise(nested);
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var data = new List<byte>(original);
        int edits = 1 + random.Next(4);
        for (int e = 0; e < edits && data.Count > 0; e++)
        {
            int at = random.Next(PycHeader.Size / 2, data.Count);
            switch (random.Next(6))
            {
                case 0: data[at] = (byte)random.Next(256); break;                      // overwrite
                case 1: data[at] ^= (byte)(1 << random.Next(8)); break;                // flip a bit
                case 2: data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(8))); break;
                case 3: data.InsertRange(at, Enumerable.Range(0, 1 + random.Next(8)).Select(_ => (byte)random.Next(256))); break;
                case 4: data.RemoveRange(at, data.Count - at); break;                  // truncate
                case 5:                                                                 // duplicate a chunk elsewhere
                {
                    int from = random.Next(data.Count);
                    var chunk = data.Skip(from).Take(1 + random.Next(32)).ToArray();
                    data.InsertRange(random.Next(data.Count), chunk);
                    break;
                }
            }
        }
        return data.ToArray();
    }
}
