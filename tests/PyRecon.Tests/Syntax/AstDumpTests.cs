using System.Text;
using PyRecon.Model;
using PyRecon.Syntax;
using PyRecon.Tests.Support;
using static PyRecon.Syntax.SyntaxFactory;
using Assert = Xunit.Assert;

namespace PyRecon.Tests.Syntax;

/// <summary>AstDump on fixed trees whose dump differs between versions, against each interpreter.</summary>
public sealed class AstDumpTests
{
    private static Module Sample() => Module([
        ImportFrom(null, [Alias("x")], 1),
        Assign([Name("y", ExprContext.Store)], Subscript(Name("x"), Tuple([Slice(Constant(new PyInt(1)), null), Constant(new PyInt(3))]))),
        Expr(Subscript(Name("x"), Tuple([Constant(new PyInt(1)), Constant(new PyStr("é\n"))]))),
        FunctionDef("f", Arguments(kwonlyargs: [Arg("k")], kwDefaults: [null]), [Return(Constant(PyNone.Instance))]),
    ]);

    [Fact]
    public void DumpsLikeEachVersionsAstDump()
    {
        var tree = Sample();
        foreach (var version in PythonVersion.Supported)
        {
            using var server = new PythonServer(version, Python.ToolPath("syntax", "roundtrip.py"));
            var source = PythonFormatter.Format(tree, version);
            var answer = server.Ask(Convert.ToBase64String(Encoding.UTF8.GetBytes(source)));
            Assert.StartsWith("OK ", answer);
            Assert.Equal(Encoding.UTF8.GetString(Convert.FromBase64String(answer[3..])), AstDump.Dump(tree, version));
        }
    }

    [Fact]
    public void VersionDifferencesAreThere()
    {
        var subscript = Subscript(Name("x"), Tuple([Slice(Constant(new PyInt(1)), null), Constant(new PyInt(3))]));
        Assert.Equal("Subscript(value=Name(id='x', ctx=Load()), slice=ExtSlice(dims=[Slice(lower=Constant(value=1, kind=None), upper=None, step=None), Index(value=Constant(value=3, kind=None))]), ctx=Load())",
            AstDump.Dump(subscript, PythonVersion.V3_8));
        Assert.Equal("Subscript(value=Name(id='x', ctx=Load()), slice=Tuple(elts=[Slice(lower=Constant(value=1)), Constant(value=3)], ctx=Load()), ctx=Load())",
            AstDump.Dump(subscript, PythonVersion.V3_12));
        var f = FunctionDef("f", Arguments(), [Pass()]);
        Assert.Equal("FunctionDef(name='f', args=arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]), body=[Pass()], decorator_list=[], type_params=[])", AstDump.Dump(f, PythonVersion.V3_12));
        Assert.Equal("FunctionDef(name='f', args=arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]), body=[Pass()], decorator_list=[])", AstDump.Dump(f, PythonVersion.V3_11));
        Assert.Equal("FunctionDef(name='f', args=arguments(), body=[Pass()])", AstDump.Dump(f, PythonVersion.V3_13));
        Assert.Equal("Constant(value=None)", AstDump.Dump(Constant(PyNone.Instance)));
        Assert.Equal("Constant(value=frozenset({1, (2,)}))", AstDump.Dump(Constant(new PyFrozenSet([new PyInt(1), new PyTuple([new PyInt(2)])]))));
    }

    [Fact]
    public void OtherModsFormat()
    {
        Assert.Equal("a + 1\n", PythonFormatter.Format(Expression(BinOp(Name("a"), Operator.Add, Constant(new PyInt(1)))), PythonVersion.V3_14));
        Assert.Equal("(int, str) -> bool\n", PythonFormatter.Format(FunctionType([Name("int"), Name("str")], Name("bool")), PythonVersion.V3_14));
        Assert.Equal("x = 1\n", PythonFormatter.Format(Interactive([Assign([Name("x", ExprContext.Store)], Constant(new PyInt(1)))]), PythonVersion.V3_14));
    }
}
