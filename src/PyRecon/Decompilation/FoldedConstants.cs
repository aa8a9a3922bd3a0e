using System.Numerics;
using PyRecon.Bytecode;
using PyRecon.Flow;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Decompilation;

/// <summary>
/// 3.14 folds constant expressions (<c>24 * 3600</c>, <c>1 &lt;&lt; 20</c>) in the CFG optimizer, after code
/// generation has filled co_consts in source order: each result is appended unless already present, and the
/// operands are dropped when nothing else loads them, except co_consts[0] (kept in case it is the docstring).
/// A folded value written back as a literal would take its place in source order instead, so the constants
/// differ. This finds the ints that sit after a constant first loaded later than they are (appended by the
/// folder) and spells them as an expression the folder folds again.
/// </summary>
internal sealed class FoldedConstants
{
    private static readonly BigInteger s_smallest = 256; // below this 3.14 loads ints with LOAD_SMALL_INT, never a const

    private readonly HashSet<int> _late = [];
    private readonly BigInteger? _leftover;
    private int _leftoverUser = -1;

    private FoldedConstants(CodeObject code, Op[] ops)
    {
        var firstUse = new int[code.Consts.Length];
        Array.Fill(firstUse, -1);
        for (int i = 0; i < ops.Length; i++)
            if (ops[i].Instruction.Argument is ConstArgument c && c.Index < firstUse.Length && firstUse[c.Index] < 0)
                firstUse[c.Index] = i;

        int tail = CodeGenerationEnd(code);
        // The first of them loaded before a constant code generation added earlier was appended by the folder,
        // and so was everything after it.
        int latestSoFar = -1;
        bool folding = false;
        for (int k = 0; k < firstUse.Length; k++)
        {
            if (firstUse[k] < 0) continue;
            folding |= k >= tail && firstUse[k] < latestSoFar;
            if (folding && IsFoldableInt(code.Consts[k])) _late.Add(k);
            latestSoFar = Math.Max(latestSoFar, firstUse[k]);
        }
        // co_consts[0] that nothing loads is what code generation met first and the optimizer dropped the use
        // of: most often the left operand of the first folded expression, whose result then sits in the tail
        // without any constant out of order before it.
        if (firstUse.Length == 0 || firstUse[0] >= 0 || code.Consts[0] is not PyInt { Value: var left }) return;
        _leftover = left;
        int earliest = int.MaxValue;
        for (int k = Math.Max(tail, 1); k < firstUse.Length; k++)
            if (firstUse[k] >= 0 && firstUse[k] < earliest && code.Consts[k] is PyInt { Value: var n } && IsFoldableInt(code.Consts[k])
                && WithLeftOperand(left, n) is not null)
                (earliest, _leftoverUser) = (firstUse[k], k);
        if (_leftoverUser >= 0) _late.Add(_leftoverUser);
    }

    /// <summary>
    /// Where the constants 3.14's folder may have appended start: the tail of co_consts that could all be fold
    /// results (everything code generation added comes before). Their numbers say nothing about source order.
    /// Before 3.14 (folding in the AST optimizer, in source order) the end of co_consts.
    /// </summary>
    public static int CodeGenerationEnd(CodeObject code)
    {
        int tail = code.Consts.Length;
        if (code.Version < PythonVersion.V3_14) return tail;
        while (tail > 0 && IsFoldResult(code.Consts[tail - 1])) tail--;
        return tail;
    }

    /// <summary>The folded constants of <paramref name="flow"/>'s code object; none before 3.14 (the AST optimizer folds there, in source order).</summary>
    public static FoldedConstants? For(CodeObject code, FunctionFlow flow) =>
        code.Version >= PythonVersion.V3_14 ? new FoldedConstants(code, flow.Ops) : null;

    private static bool IsFoldResult(PyObject value) => value is PyInt or PyFloat or PyComplex or PyTuple or PyFrozenSet or PySlice;

    private static bool IsFoldableInt(PyObject value) => value is PyInt { Value: var v } && v >= s_smallest;

    /// <summary>An expression the 3.14 optimizer folds to const <paramref name="index"/>, or null when a literal does.</summary>
    public ExprNode? Spelling(int index, PyObject value)
    {
        if (!_late.Contains(index) || value is not PyInt { Value: var n }) return null;
        if (index == _leftoverUser && _leftover is { } left && WithLeftOperand(left, n) is { } withLeftover) return withLeftover;
        return PowerOf(2, n) is int k ? Op(2, Operator.Pow, k)
            : n % 1024 == 0 ? Op(n / 1024, Operator.Mult, 1024)
            : SmallFactor(n) is int p ? Op(p, Operator.Mult, n / p)
            : Op(n - 1, Operator.Add, 1);
    }

    /// <summary><paramref name="n"/> as an expression whose left operand is <paramref name="left"/> (null when none reads naturally).</summary>
    private static ExprNode? WithLeftOperand(BigInteger left, BigInteger n)
    {
        if (left < 1 || left == n) return null;
        if (left == 1) return PowerOf(2, n) is int shift ? Op(1, Operator.LShift, shift) : null;
        if (PowerOf(left, n) is int k) return Op(left, Operator.Pow, k);
        if (n % left == 0) return Op(left, Operator.Mult, n / left);
        return null;
    }

    private static int? PowerOf(BigInteger b, BigInteger n)
    {
        int k = 0;
        for (var v = n; v > 1; v /= b, k++)
            if (v % b != 0) return null;
        return k >= 2 ? k : null;
    }

    private static int? SmallFactor(BigInteger n)
    {
        for (int p = 255; p >= 2; p--) // the largest reads best: 240 * 360 rather than 2 * 43200
            if (n % p == 0 && n / p != n) return p;
        return null;
    }

    private static ExprNode Op(BigInteger left, Operator op, BigInteger right) =>
        S.BinOp(S.Constant(new PyInt(left)), op, S.Constant(new PyInt(right)));
}
