using PyRecon.Model;
using PyRecon.Syntax;
using static PyRecon.Syntax.SyntaxFactory;
using Assert = Xunit.Assert;

namespace PyRecon.Tests.Syntax;

/// <summary>The parser reads back what CPython's unparser writes for annotations under
/// `from __future__ import annotations`: formatting the parsed tree gives the same text.</summary>
public sealed class ExpressionParserTests
{
    [Theory]
    [InlineData("int")]
    [InlineData("list[str] | None")]
    [InlineData("os.PathLike[bytes]")]
    [InlineData("dict[str, 'int']")]
    [InlineData("Callable[[int, str], Awaitable[None]]")]
    [InlineData("tuple[int, ...]")]
    [InlineData("tuple[()]")]
    [InlineData("Literal['a', \"b'c\", b'\\x00\\n', -1, 2.5, 1e+16, 3j, True, None]")]
    [InlineData("Annotated[int, Field(*args, gt=0, **kw)]")]
    [InlineData("a if b else c")]
    [InlineData("not a and (b or c)")]
    [InlineData("a < b <= c is not d not in e")]
    [InlineData("x[1:2, ::3, a:]")]
    [InlineData("-x ** 2 + ~y // z % w @ v << 1 >> 2 & 3 ^ 4")]
    [InlineData("(-x) ** 2")]
    [InlineData("[x for x in y if x]")]
    [InlineData("{k: v for k, v in d.items()}")]
    [InlineData("{1, 2, *s}")]
    [InlineData("{'a': 1, **d}")]
    [InlineData("f(x for x in y)")]
    [InlineData("(y := 1)")]
    [InlineData("*Ts")]
    [InlineData("await x")]
    public void Parsed_text_formats_back_to_itself(string text)
    {
        var parsed = ExpressionParser.TryParse(text);
        Assert.NotNull(parsed);
        Assert.Equal(text, PythonFormatter.FormatExpression(parsed, PythonVersion.V3_14));
    }

    [Fact]
    public void Escapes_decode_to_the_string_value()
    {
        var parsed = ExpressionParser.TryParse("'a\\'b\\\\c\\td\\x41\\u00e9\\101'");
        Assert.Equal(Constant(new PyStr("a'b\\c\tdA\u00e9A")), parsed);
        Assert.Equal(Constant(new PyStr("caf\u00e9 \u20ac \U0001f600")), ExpressionParser.TryParse("'caf\\xe9 \\u20ac \\U0001f600'"));
    }

    [Fact]
    public void Operators_keep_python_precedence()
    {
        var parsed = ExpressionParser.TryParse("a | b & c");
        Assert.Equal(BinOp(Name("a"), Operator.BitOr, BinOp(Name("b"), Operator.BitAnd, Name("c"))), parsed);
        Assert.Equal(UnaryOp(Unaryop.USub, BinOp(Name("x"), Operator.Pow, Constant(new PyInt(2)))), ExpressionParser.TryParse("-x ** 2"));
    }

    [Theory]
    [InlineData("f'{x}'")]
    [InlineData("lambda: 1")]
    [InlineData("a +")]
    [InlineData("(a")]
    [InlineData("a b")]
    [InlineData("def")]
    [InlineData("'unterminated")]
    [InlineData("a\nb")]
    [InlineData("")]
    public void Text_it_cannot_read_is_refused(string text) => Assert.Null(ExpressionParser.TryParse(text));
}
