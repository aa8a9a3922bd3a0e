using PyRecon.Bytecode;
using PyRecon.Decompilation;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Cleanup;

/// <summary>
/// `assert False, message` from 3.9: the optimizer drops the constant test and its jump, leaving the raise of
/// LOAD_ASSERTION_ERROR on its own (no if to make the assert from) and the constant in co_consts, loaded by nothing.
/// Each such raise becomes an assert of that falsy constant, or of False when there is none (3.12+ drop unused
/// constants; 3.10-3.11 keep none for a lone `assert False` either).
/// </summary>
internal sealed class ConstantFalseAssertRewriter : IBodyRewriter
{
    public List<StmtNode> Run(List<StmtNode> body, CodeContext ctx)
    {
        if (ctx.Version < PythonVersion.V3_9) return body; // 3.8 has no LOAD_ASSERTION_ERROR
        // 3.12+ drop unused constants, and where 3.10-3.11 left none the spelling left no trace either: any falsy
        // constant compiles alike then.
        PyObject? test = null;
        return StatementLists.Rewrite(body, ctx, list =>
        {
            for (int i = 0; i < list.Count; i++)
            {
                if (ctx.Pseudo.Get(list[i]) is not AssertFailure fail) continue;
                test ??= ctx.UnloadedConstant(IsFalsy) ?? PyBool.False;
                var message = fail.Message is Constant { Value: PyNone } ? null : fail.Message;
                var assert = S.Assert(S.Constant(test), message);
                if (ctx.Lines.TryGetValue(list[i], out int line)) ctx.SetLine(assert, line);
                list[i] = assert;
            }
            return list;
        });
    }

    private static bool IsFalsy(PyObject value) => value switch
    {
        PyBool b => !b.Value,
        PyInt n => n.Value.IsZero,
        // None is not taken: a code object's first constant is often an unloaded None (its docstring slot).
        PyStr s => s.Value.Length == 0,
        _ => false,
    };
}
