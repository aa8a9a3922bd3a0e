using PyRecon.Decompilation;
using PyRecon.Tests.Support;

namespace PyRecon.Tests.Decompilation;

/// <summary>The body written for a function that cannot be decompiled.</summary>
public class FailureBodyTests
{
    [Fact]
    public void Failed_function_keeps_its_global_declarations()
    {
        // bump() declares `global counter` and stores it; its body fails (a doctored operand). The declaration must
        // survive: without it the module's own `counter = 0` would compile to STORE_NAME instead of STORE_GLOBAL.
        var result = Decompiler.DecompileFile(Path.Combine(Fixtures.Root, "cli", "partial_global.pyc"));
        var failure = Assert.Single(result.Diagnostics);
        Assert.Equal("bump", failure.QualifiedName);
        var body = result.Source.Split('\n').Single(l => l.Contains("raise NotImplementedError('pyrecon could not decompile bump')"));
        Assert.StartsWith("    global counter; raise", body);
    }
}
