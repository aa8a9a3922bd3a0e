using System.Collections.Immutable;
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
    private readonly PyObject? _leftover;
    private int _leftoverUser = -1;
    private readonly ImmutableArray<PyObject> _constList;
    // Made on first use (a concatenation to split, rare): hashing every constant of every code object cost more.
    private HashSet<PyObject>? _consts;
    private HashSet<PyObject> Consts => _consts ??= [.. _constList];

    private FoldedConstants(CodeObject code, Op[] ops)
    {
        _constList = code.Consts;
        var firstUse = new int[code.Consts.Length];
        Array.Fill(firstUse, -1);
        for (int i = 0; i < ops.Length; i++)
            if (ops[i].Instruction.Argument is ConstArgument c && c.Index < firstUse.Length && firstUse[c.Index] < 0)
                firstUse[c.Index] = i;

        int tail = CodeGenerationEnd(code);
        int numericTail = code.Consts.Length;
        while (numericTail > 0 && IsNumericFoldResult(code.Consts[numericTail - 1])) numericTail--;
        // The first of them loaded before a constant code generation added earlier was appended by the folder,
        // and so was everything after it. "Before" in the layout and in the lines both (the same line: in the
        // layout): 3.12+ move cold blocks (a loop's exit, a raise) to the end, out of the order code generation
        // met them in.
        int? LineOf(int k) => ops[firstUse[k]].Instruction.Line;
        bool LoadedBefore(int k, int earlier) =>
            firstUse[k] < firstUse[earlier] && LineOf(k) is int line && LineOf(earlier) is int other && line <= other;
        bool soleNoneLoad = !ops.Any(op => op.Name is "POP_JUMP_IF_NONE" or "POP_JUMP_IF_NOT_NONE")
            && ops.Count(op => op.Instruction.Argument is ConstArgument { Value: PyNone }) == 1;
        var witnesses = new List<int>();
        bool folding = false;
        for (int k = 0; k < firstUse.Length; k++)
        {
            if (firstUse[k] < 0) continue;
            if (!folding && k >= tail && witnesses.Any(j => LoadedBefore(k, j))) folding = true; // once on, it stays on
            if (folding && IsSpelledAsFold(code.Consts[k])) _late.Add(k);
            // A function's co_consts[0] (its docstring, or the None code generation numbers first) says nothing,
            // nor do True and False, nor None unless its one load is left and no jump tests for it: the load they
            // were numbered by is often gone (`is None` became a jump) or another comes first (the implicit return
            // before a cold `raise ... from None`). One load of None is then the one that numbered it.
            if (k > 0 && code.Consts[k] is not (PyBool or PyEllipsis) && (code.Consts[k] is not PyNone || soleNoneLoad)) witnesses.Add(k);
        }
        // co_consts[0] that nothing loads is what code generation met first and the optimizer dropped the use
        // of: most often the left operand of the first folded expression, whose result then sits in the tail
        // without any constant out of order before it.
        if (firstUse.Length == 0 || firstUse[0] >= 0 || code.Consts[0] is not (PyInt or PyFloat)) return;
        var left = code.Consts[0];
        _leftover = left;
        int earliest = int.MaxValue;
        for (int k = Math.Max(numericTail, 1); k < firstUse.Length; k++)
            if (firstUse[k] >= 0 && firstUse[k] < earliest && (IsNegationOf(left, code.Consts[k])
                || (IsSpelledAsFold(code.Consts[k]) || code.Consts[k] is PyFloat { Value: < 0 }) && WithLeftOperand(left, code.Consts[k]) is not null))
                (earliest, _leftoverUser) = (firstUse[k], k);
        if (_leftoverUser < 0) return;
        // A negated literal (`-0.25`) numbers its operand and folds to its value as written: no other spelling.
        if (!IsNegationOf(left, code.Consts[_leftoverUser])) _late.Add(_leftoverUser);
        // The folder appends after everything code generation numbered: what follows its result was folded too.
        for (int k = _leftoverUser; k < firstUse.Length; k++)
            if (firstUse[k] >= 0 && IsSpelledAsFold(code.Consts[k])) _late.Add(k);
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

    /// <summary>Whether the folder may have made <paramref name="value"/>: a number, a constant collection, a repeated string.</summary>
    private static bool IsFoldResult(PyObject value) => IsNumericFoldResult(value) || RepetitionOf(value) is not null;

    private static bool IsNumericFoldResult(PyObject value) => value is PyInt or PyFloat or PyComplex or PyTuple or PyFrozenSet or PySlice;

    private static bool IsFoldableInt(PyObject value) => value is PyInt { Value: var v } && v >= s_smallest;

    /// <summary>Fold results a literal would put in source order (tuples, negative numbers fold from their literal anyway).</summary>
    private static bool IsSpelledAsFold(PyObject value) =>
        IsFoldableInt(value) || value is PyFloat { Value: > 0 } || value is PyStr or PyBytes;

    /// <summary>An expression the 3.14 optimizer folds to const <paramref name="index"/>, or null when a literal does.</summary>
    public ExprNode? Spelling(int index, PyObject value)
    {
        if (!_late.Contains(index)) return null;
        if (index == _leftoverUser && _leftover is { } left && WithLeftOperand(left, value) is { } withLeftover) return withLeftover;
        switch (value)
        {
            case PyFloat { Value: var f }: return FloatSpelling(f);
            case PyStr or PyBytes: return RepetitionOf(value) ?? ConcatenationOf(value);
        }
        if (value is not PyInt { Value: var n }) return null;
        return PowerOf(2, n) is int k ? Op(2, Operator.Pow, k)
            : n % 1024 == 0 ? Op(n / 1024, Operator.Mult, 1024)
            : SmallFactor(n) is int p ? Op(p, Operator.Mult, n / p)
            : Op(n - 1, Operator.Add, 1);
    }

    /// <summary>
    /// A positive float as an expression the folder folds to it: a whole one as a small int times a float, another
    /// as the quotient of two small ints (no constants of their own); null when there is none.
    /// </summary>
    private static ExprNode? FloatSpelling(double f)
    {
        if (Math.Floor(f) == f && f >= 4 && f < 1e15)
        {
            var n = new BigInteger(f);
            int p = SmallFactor(n) ?? 1;
            return p == 1 ? null : S.BinOp(S.Constant(new PyInt(p)), Operator.Mult, S.Constant(new PyFloat((double)(n / p))));
        }
        for (int q = 2; q < 256; q++)
        {
            double top = Math.Round(f * q);
            if (top >= 1 && top < 256 && top / q == f)
                return Op((int)top, Operator.Div, q);
        }
        return null;
    }

    /// <summary>
    /// A string (bytes) that repeats its shortest period as that period times the count (`'-' * 70`), the way the
    /// folder's results of such products read; null when it does not repeat or is past what the folder folds.
    /// </summary>
    private static ExprNode? RepetitionOf(PyObject value) => value switch
    {
        PyStr { Value: var str } => Repetition(str.Length, (a, b) => str[a] == str[b], d => new PyStr(str[..d])),
        PyBytes { Value: var bytes } => Repetition(bytes.Length, (a, b) => bytes[a] == bytes[b], d => new PyBytes(bytes[..d])),
        _ => null,
    };

    /// <summary>
    /// A string (bytes) as the sum of two parts that nothing else loads (the folder drops them again, where a part
    /// of co_consts would be numbered here), split as near the middle as allows; null when none does.
    /// </summary>
    private ExprNode? ConcatenationOf(PyObject value)
    {
        int length = value switch { PyStr s => s.Value.Length, PyBytes b => b.Value.Length, _ => 0 };
        for (int offset = 0; offset < length; offset++)
            foreach (int at in new[] { length / 2 - offset, length / 2 + offset + 1 })
            {
                if (at < 1 || at >= length) continue;
                (PyObject, PyObject)? parts = value switch
                {
                    PyStr { Value: var str } when !char.IsLowSurrogate(str[at]) => (new PyStr(str[..at]), new PyStr(str[at..])),
                    PyBytes { Value: var bytes } => (new PyBytes(bytes[..at]), new PyBytes(bytes[at..])),
                    _ => null,
                };
                if (parts is var (left, right) && !Consts.Contains(left) && !Consts.Contains(right))
                    return S.BinOp(S.Constant(left), Operator.Add, S.Constant(right));
            }
        return null;
    }

    private static ExprNode? Repetition(int length, Func<int, int, bool> same, Func<int, PyObject> period)
    {
        if (length < 2 || length > 4096) return null;
        for (int d = 1; d <= length / 2; d++)
        {
            if (length % d != 0) continue;
            bool repeats = true;
            for (int i = d; i < length && repeats; i++) repeats = same(i, i - d);
            if (repeats) return S.BinOp(S.Constant(period(d)), Operator.Mult, S.Constant(new PyInt(length / d)));
        }
        return null;
    }

    /// <summary>Whether <paramref name="value"/> is the negated (positive) <paramref name="left"/>: the fold of `-left` as written.</summary>
    private static bool IsNegationOf(PyObject left, PyObject value) => (left, value) switch
    {
        (PyInt { Value: var l }, PyInt { Value: var n }) => l > 0 && n == -l,
        (PyFloat { Value: var l }, PyFloat { Value: var f }) => l > 0 && f == -l,
        _ => false,
    };

    /// <summary><paramref name="value"/> as an expression whose left operand is <paramref name="left"/> (null when none reads naturally).</summary>
    private static ExprNode? WithLeftOperand(PyObject left, PyObject value) => (left, value) switch
    {
        (PyInt { Value: var l }, PyInt { Value: var n }) => WithLeftOperand(l, n),
        (PyInt or PyFloat, PyFloat { Value: var f }) => FloatWithLeftOperand(left, f),
        _ => null,
    };

    /// <summary>
    /// A float as <paramref name="left"/> divided or multiplied by a small int (no constant of its own); a negative one
    /// as the negated <paramref name="left"/> so (`-1/2`: the folder negates the constant and keeps it).
    /// </summary>
    private static ExprNode? FloatWithLeftOperand(PyObject left, double f)
    {
        double l = left is PyInt { Value: var i } ? (double)i : ((PyFloat)left).Value;
        if (l == 0 || f == 0) return null;
        bool negated = f < 0 && l > 0;
        double magnitude = negated ? -f : f;
        ExprNode operand = negated ? S.UnaryOp(Unaryop.USub, S.Constant(left)) : S.Constant(left);
        foreach (var (op, right) in new[] { (Operator.Div, l / magnitude), (Operator.Mult, magnitude / l) })
            if (Math.Floor(right) == right && right >= 2 && right < 256 && (op == Operator.Div ? l / right : l * right) == magnitude)
                return S.BinOp(operand, op, S.Constant(new PyInt((int)right)));
        return null;
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
