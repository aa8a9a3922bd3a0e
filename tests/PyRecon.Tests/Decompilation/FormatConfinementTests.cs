using PyRecon.Decompilation;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;
using Assert = Xunit.Assert;

namespace PyRecon.Tests.Decompilation;

/// <summary>A construct the target version cannot spell costs its function, not the module.</summary>
public class FormatConfinementTests
{
    // f'{"\n"}': a backslash inside a replacement field, which no version before 3.12 can write.
    private static ExprNode Unwritable() =>
        S.JoinedStr([S.FormattedValue(S.Constant(new PyStr("\n")), -1, null)]);

    [Fact]
    public void Unwritable_expression_fails_only_its_innermost_function()
    {
        var inner = S.FunctionDef("inner", S.Arguments(), [S.Return(Unwritable())]);
        var outer = S.FunctionDef("outer", S.Arguments(), [inner, S.Return(S.Name("inner"))]);
        var other = S.FunctionDef("other", S.Arguments(), [S.Return(S.Constant(new PyInt(1)))]);
        var module = S.Module([outer, other]);
        Assert.Throws<SyntaxNotSupportedException>(() => PythonFormatter.Format(module, PythonVersion.V3_11));

        var run = new CodeDecompiler(DecompileOptions.Default);
        var confined = new FormatConfinement(PythonVersion.V3_11, run).Confine(module);

        Assert.NotNull(confined);
        var source = PythonFormatter.Format(confined!, PythonVersion.V3_11, run.Comments);
        Assert.Contains("raise NotImplementedError('pyrecon could not write outer.inner')", source);
        Assert.Contains("return inner", source);
        Assert.Contains("def other():\n    return 1", source);
        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("outer.inner", diagnostic.QualifiedName);
        Assert.Equal("format", diagnostic.Stage);
    }

    [Fact]
    public void Unwritable_module_statement_is_replaced_by_the_marker()
    {
        var module = S.Module([S.Assign([S.Name("x", ExprContext.Store)], Unwritable()), S.Pass()]);
        var run = new CodeDecompiler(DecompileOptions.Default);
        var confined = new FormatConfinement(PythonVersion.V3_10, run).Confine(module);

        Assert.NotNull(confined);
        Assert.IsType<Raise>(confined!.Body[0]);
        Assert.IsType<Pass>(confined.Body[1]);
        Assert.Single(run.Diagnostics);
    }

    [Fact]
    public void Writable_module_is_left_alone()
    {
        var module = S.Module([S.Expr(Unwritable())]);
        Assert.Null(new FormatConfinement(PythonVersion.V3_12, new CodeDecompiler(DecompileOptions.Default)).Confine(module));
    }
}
