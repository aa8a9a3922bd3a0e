using PyRecon.Disassembly;
using PyRecon.Model;
using PyRecon.Pyc;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Disassembly;

/// <summary>The disassembly of every committed fixture equals what that version's dis.dis printed (no Python needed).</summary>
public class DisassemblerFixtureTests
{
    public static IEnumerable<object[]> Versions() => Fixtures.VersionData();

    [Theory]
    [MemberData(nameof(Versions))]
    public void Fixtures_disassemble_like_CPython(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        var pairs = DisFixtures.Pairs(version).ToList();
        // Every version has the shared fixtures plus dis_layout; an empty folder must not pass.
        Assert.True(pairs.Count >= 4, $"{pairs.Count} dis fixtures for {version}");
        Assert.Contains(pairs, p => Path.GetFileName(p.Expected) == "dis_layout.dis");
        var options = new DisassemblyOptions { Hash = DisFixtures.Hash(version) };
        var failures = new List<string>();
        foreach (var (expected, pyc) in pairs)
        {
            var file = PycReader.ReadFile(pyc);
            Assert.Equal(version, file.Version);
            string? difference = DisFixtures.FirstDifference(File.ReadAllText(expected), Disassembler.Disassemble(file.Code, options));
            if (difference is not null) failures.Add($"{Path.GetFileName(pyc)}: {difference}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Nested_code_objects_follow_in_constant_order(string versionText)
    {
        var version = PythonVersion.Parse(versionText);
        var code = PycReader.ReadFile(Path.Combine(Fixtures.Root, "dis", "pyc", versionText, "dis_layout.pyc")).Code;
        string text = Disassembler.Disassemble(code);
        // _disassemble_recursive: depth first, in co_consts order.
        var expectedOrder = new List<string>();
        void Walk(CodeObject c)
        {
            foreach (var nested in c.NestedCode)
            {
                expectedOrder.Add(nested.Name);
                Walk(nested);
            }
        }
        Walk(code);
        var headers = text.Split('\n').Where(l => l.StartsWith("Disassembly of <code object ", StringComparison.Ordinal))
            .Select(l => l["Disassembly of <code object ".Length..l.IndexOf(" at 0x", StringComparison.Ordinal)]).ToList();
        Assert.Equal(expectedOrder, headers);
        Assert.Contains("after_line_1000", headers);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void DisassembleOne_is_the_listing_before_the_nested_code(string versionText)
    {
        var code = PycReader.ReadFile(Path.Combine(Fixtures.Root, "dis", "pyc", versionText, "dis_layout.pyc")).Code;
        string all = Disassembler.Disassemble(code);
        string one = Disassembler.DisassembleOne(code);
        Assert.StartsWith(one, all);
        Assert.StartsWith("\nDisassembly of <code object membership at 0x", all[one.Length..]);
        Assert.DoesNotContain("Disassembly of", one);
    }

    [Fact]
    public void Line_layouts_differ_by_version()
    {
        string Listing(string version) => Disassembler.Disassemble(
            PycReader.ReadFile(Path.Combine(Fixtures.Root, "dis", "pyc", version, "dis_layout.pyc")).Code);
        // 3.8-3.12: offsets and ">>" markers; 3.13+: labels and no offsets.
        Assert.Contains(">>", Listing("3.12"));
        Assert.DoesNotContain(">>", Listing("3.13"));
        Assert.Matches(@"(?m)^\s+L1:\s+", Listing("3.13"));
        // 3.8-3.9 print absolute jumps without "(to N)"; 3.10 does.
        Assert.Matches(@"(?m)POP_JUMP_IF_FALSE\s+\d+$", Listing("3.8"));
        Assert.Matches(@"(?m)POP_JUMP_IF_FALSE\s+\d+ \(to \d+\)$", Listing("3.10"));
    }
}
