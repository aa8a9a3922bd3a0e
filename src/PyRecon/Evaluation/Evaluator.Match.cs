using System.Collections.Immutable;
using PyRecon.Bytecode;
using PyRecon.Flow;
using PyRecon.Model;
using PyRecon.Syntax;
using S = PyRecon.Syntax.SyntaxFactory;

namespace PyRecon.Evaluation;

/// <summary>
/// The ops of a case pattern (PEP 634; codegen_pattern_* in compile.c / codegen.c). The structurer puts the
/// value a case matches on the stack as a <see cref="PatternSubject"/> and feeds the pattern's ops here one by
/// one (<see cref="EvalPattern"/>): each op that tests or takes apart a pattern value records what it learned in
/// that value's <see cref="PatternBuilder"/> and pushes the pieces it produces (the items of a sequence, a class's
/// attributes, a mapping's values) as new pattern values, so the stack stays the interpreter's own, slot for slot.
/// Stack shuffles, loads of value/class/key expressions and the capture stores run through the ordinary dispatch;
/// which value a store or a POP_TOP takes is then simply what is on top, whatever order the optimizer left the
/// stores in (static swaps). Conditional jumps are the structurer's: they pop a test and leave for the next case.
/// </summary>
internal sealed partial class Evaluator
{
    /// <summary>Evaluates one op of a case pattern (see the class comment).</summary>
    public void EvalPattern(Op op)
    {
        try
        {
            if (TryPatternOp(op)) return;
        }
        catch (StackUnderflowException)
        {
            throw _ctx.Fail("pattern", $"stack underflow at {op.Name}", op);
        }
        catch (ArgumentException e)
        {
            throw _ctx.Fail("pattern", $"{op.Name}: {e.Message}", op);
        }
        Eval(op);
    }

    private bool TryPatternOp(Op op)
    {
        var ins = op.Instruction;
        if (Stack.Count == 0) return false;
        object top = Stack.Peek();
        object? second = Stack.Count > 1 ? Stack.Peek(1) : null;
        switch (ins.Opcode.Handler)
        {
            case OpcodeHandler.CompareOp when second is PatternValue:
            case OpcodeHandler.IsOp when second is PatternValue:
                Begin(op);
                CompareInPattern(ins);
                return true;
            case OpcodeHandler.UnpackSequence or OpcodeHandler.UnpackEx when top is PatternValue:
                Begin(op);
                UnpackInPattern(ins);
                return true;
            case OpcodeHandler.Subscript when second is PatternValue:
            case OpcodeHandler.BinaryOp when second is PatternValue && ins.Argument is TableArgument { Value: "[]" }:
                Begin(op);
                ItemInPattern();
                return true;
            case OpcodeHandler.BinaryOp when second is PatternLength:
                Begin(op);
                LengthMinus(ins);
                return true;
            case OpcodeHandler.PopTop when top is PatternValue value:
                Begin(op);
                Stack.Pop();
                Discard(value);
                return true;
            case OpcodeHandler.Copy or OpcodeHandler.DupTop when (ins.Name == "DUP_TOP" || ins.Arg == 1) && top is PatternSubject { Builder.IsOpen: true } subject:
                // `p as name`: the copy is matched by p, the original is stored to the name once the case matched.
                Begin(op);
                var inner = new PatternBuilder();
                subject.Builder.Inner = inner;
                Push(new PatternSubject(inner));
                return true;
            case OpcodeHandler.DictUpdate when top is PatternSubject source && Stack.Count > ins.Arg && Stack.Peek(ins.Arg) is Dict { Keys.IsEmpty: true }:
                // `**rest` (3.11+): BUILD_MAP 0; SWAP 3; DICT_UPDATE 2 copies the subject, then its keys are deleted.
                Begin(op);
                Stack.Pop();
                Stack.Replace(ins.Arg - 1, new PatternRest(source.Builder));
                return true;
            case OpcodeHandler.DeleteSubscr when second is PatternRest && top is PatternKey:
                Begin(op);
                Stack.Pop();
                Stack.Pop();
                return true;
            default:
                return false;
        }
    }

    private void Begin(Op op)
    {
        _op = op;
        _ctx.Consume(op.Index);
    }

    private Decompilation.DecompileFailure PatternFail(string reason) => _ctx.Fail("pattern", reason, _op);

    private PatternSubject PopSubject(string what) =>
        Stack.Pop() as PatternSubject ?? throw PatternFail($"{what} of something that is not a pattern value");

    /// <summary>A pattern value stored to a name: a capture, the name of an as-pattern, a starred item or `**rest`.</summary>
    internal void CaptureTo(PatternValue value, ExprNode target)
    {
        if (target is not Name { Id: var name }) throw PatternFail("a pattern value stored to something other than a name");
        switch (value)
        {
            case PatternSubject s:
                if (s.Builder.Capture is not null) throw PatternFail("a pattern value stored twice");
                s.Builder.Capture = name;
                break;
            case PatternRest r:
                if (r.Owner.Rest is not null) throw PatternFail("a mapping pattern's rest stored twice");
                r.Owner.Rest = name;
                break;
            case PatternAlternatives alts:
                foreach (var v in alts.Values) CaptureTo(v, target);
                break;
            default:
                throw PatternFail($"{value} stored as a capture");
        }
        EndSilentStatement();
    }

    /// <summary>POP_TOP of a pattern value: a wildcard when nothing else was made of it, else the end of its use.</summary>
    private void Discard(PatternValue value)
    {
        switch (value)
        {
            case PatternSubject s:
                s.Builder.Discarded = true;
                break;
            case PatternAlternatives or PatternRest:
                throw PatternFail($"{value} popped instead of stored");
        }
    }

    // ---------------------------------------------------------------- the MATCH_* family (generated dispatch)

    public bool MatchSequence(Instruction i)
    {
        var subject = Stack.Peek() as PatternSubject ?? throw PatternFail("MATCH_SEQUENCE outside a pattern");
        subject.Builder.SetKind(PatternKind.Sequence);
        Push(new PatternTest(subject.Builder, "a sequence"));
        return true;
    }

    public bool MatchMapping(Instruction i)
    {
        var subject = Stack.Peek() as PatternSubject ?? throw PatternFail("MATCH_MAPPING outside a pattern");
        subject.Builder.SetKind(PatternKind.Mapping);
        Push(new PatternTest(subject.Builder, "a mapping"));
        return true;
    }

    public bool GetLen(Instruction i)
    {
        var subject = Stack.Peek() as PatternSubject ?? throw PatternFail("GET_LEN outside a pattern");
        Push(new PatternLength(subject.Builder));
        return true;
    }

    /// <summary>MATCH_CLASS n: cls(subject, *positional n, **keywords named by the constant tuple).</summary>
    public bool MatchClass(Instruction i)
    {
        var names = PopExpr();
        var cls = PopExpr();
        var subject = PopSubject("MATCH_CLASS");
        if (names is not Constant { Value: PyTuple tuple } || tuple.Items.Any(x => x is not PyStr))
            throw PatternFail("MATCH_CLASS without a constant tuple of attribute names");
        var b = subject.Builder;
        b.SetKind(PatternKind.Class);
        b.Cls = cls;
        b.KeywordNames = [.. tuple.Items.Select(x => ((PyStr)x).Value)];
        b.Children = new PatternBuilder?[i.Arg + b.KeywordNames.Length];
        b.PositionalCount = i.Arg;
        Push(new PatternParts(b, PatternPartsKind.ClassAttributes));
        // 3.10 pushes a success flag too (its stack effect says so); 3.11+ tests the tuple against None.
        if (PushesSuccessFlag(i)) Push(new PatternTest(b, "an instance"));
        return true;
    }

    /// <summary>MATCH_KEYS: the values of the keys tuple's keys in the mapping subject under it.</summary>
    public bool MatchKeys(Instruction i)
    {
        var keysItem = Stack.Pop();
        var subject = Stack.Peek() as PatternSubject ?? throw PatternFail("MATCH_KEYS outside a mapping pattern");
        var b = subject.Builder;
        if (b.Kind != PatternKind.Mapping) throw PatternFail("MATCH_KEYS without MATCH_MAPPING");
        b.Keys = keysItem switch
        {
            Constant { Value: PyTuple t } => [.. t.Items.Select(k => (ExprNode)S.Constant(k))],
            Syntax.Tuple t => t.Elts,
            _ => throw PatternFail("MATCH_KEYS without a tuple of keys"),
        };
        b.Children = new PatternBuilder?[b.Keys.Length];
        Push(new PatternParts(b, PatternPartsKind.MappingKeys));
        Push(new PatternParts(b, PatternPartsKind.MappingValues));
        if (PushesSuccessFlag(i)) Push(new PatternTest(b, "the keys"));
        return true;
    }

    /// <summary>3.10 MATCH_CLASS / MATCH_KEYS push a bool after their result (stack effect one more than 3.11+'s).</summary>
    private bool PushesSuccessFlag(Instruction i)
    {
        int effect = OpcodeTable.For(Version).StackEffect(i.Opcode, i.Arg) ?? 0;
        return i.Name == "MATCH_CLASS" ? effect == -1 : effect == 2;
    }

    /// <summary>3.10 `**rest`: TOS keys tuple, TOS1 subject; the keys tuple becomes the rest dict.</summary>
    public bool CopyDictWithoutKeys(Instruction i)
    {
        if (Stack.Pop() is not PatternParts { Kind: PatternPartsKind.MappingKeys } keys) throw PatternFail("COPY_DICT_WITHOUT_KEYS without a keys tuple");
        Push(new PatternRest(keys.Owner));
        return true;
    }

    // ---------------------------------------------------------------- ordinary ops on pattern values

    /// <summary>
    /// COMPARE_OP / IS_OP with a pattern value on the left: a value pattern (== constant or dotted name), a singleton
    /// (is None/True/False), a length check (len == n, len >= n), or 3.11's `is not None` test of MATCH_CLASS/MATCH_KEYS.
    /// </summary>
    private void CompareInPattern(Instruction i)
    {
        var right = Stack.Pop();
        var left = Stack.Pop();
        switch (left, i.Argument)
        {
            case (PatternSubject s, CompareArgument { Operator: "==" }):
                s.Builder.SetKind(PatternKind.Value);
                s.Builder.Value = PatternValueExpression(right);
                Push(new PatternTest(s.Builder, "a value"));
                return;
            case (PatternSubject s, InvertArgument { Inverted: false }) when right is Constant { Value: PyNone or PyBool } c:
                s.Builder.SetKind(PatternKind.Singleton);
                s.Builder.Singleton = c.Value;
                Push(new PatternTest(s.Builder, "a singleton"));
                return;
            case (PatternLength len, CompareArgument { Operator: "==" or ">=" } cmp) when right is Constant { Value: PyInt n } && n.Value >= 0 && n.Value <= int.MaxValue:
                if (cmp.Operator == "==") len.Owner.ExactLength = (int)n.Value;
                else len.Owner.MinLength = (int)n.Value;
                Push(new PatternTest(len.Owner, "a length"));
                return;
            case (PatternParts { Kind: PatternPartsKind.ClassAttributes or PatternPartsKind.MappingValues } parts, InvertArgument { Inverted: true })
                when right is Constant { Value: PyNone }:
                Push(new PatternTest(parts.Owner, "a match"));
                return;
        }
        throw PatternFail($"{i.Name} {i.Argument} on {left} in a pattern");
    }

    /// <summary>What a value pattern compares with: a constant or a dotted name (nothing else is allowed there).</summary>
    private ExprNode PatternValueExpression(object item)
    {
        var e = item as ExprNode ?? throw PatternFail($"a value pattern compares with {Describe(item)}");
        bool Dotted(ExprNode x) => x is Name || x is Syntax.Attribute a && Dotted(a.Value);
        if (e is Constant || e is Syntax.Attribute a && Dotted(a.Value)) return e;
        throw PatternFail($"a value pattern compares with {Describe(e)}");
    }

    private void UnpackInPattern(Instruction i)
    {
        var source = (PatternValue)Stack.Pop();
        int before, after, count;
        bool star = i.Argument is UnpackExArgument;
        if (i.Argument is UnpackExArgument ex) { before = ex.Before; after = ex.After; count = before + 1 + after; }
        else { before = count = i.Arg; after = 0; }
        PatternBuilder owner;
        switch (source)
        {
            case PatternSubject { Builder: { Kind: PatternKind.Sequence } seq } when seq.Items is null && seq.Children is null:
                owner = seq;
                seq.Items = new PatternBuilder[count];
                seq.StarIndex = star ? before : -1;
                for (int k = 0; k < count; k++) seq.Items[k] = new PatternBuilder { IsStar = star && k == before };
                for (int k = count - 1; k >= 0; k--) Push(new PatternSubject(seq.Items[k]));
                return;
            case PatternParts { Kind: PatternPartsKind.ClassAttributes or PatternPartsKind.MappingValues } parts when !star:
                owner = parts.Owner;
                if (owner.Children is null || owner.Children.Length != count) throw PatternFail("a pattern unpacks the wrong number of attributes or values");
                for (int k = 0; k < count; k++) owner.Children[k] ??= new PatternBuilder();
                for (int k = count - 1; k >= 0; k--) Push(new PatternSubject(owner.Children[k]!));
                return;
            case PatternParts { Kind: PatternPartsKind.MappingKeys } keys when !star:
                // `**rest` (3.11+): each key is deleted from the copy of the subject.
                if (keys.Owner.Keys.Length != count) throw PatternFail("a mapping pattern unpacks the wrong number of keys");
                for (int k = 0; k < count; k++) Push(new PatternKey(keys.Owner));
                return;
        }
        throw PatternFail($"{i.Name} of {source} in a pattern");
    }

    /// <summary>BINARY_SUBSCR on a pattern value: an item of a sequence by index (from the end via len - k), or (3.10) an attribute or mapping value.</summary>
    private void ItemInPattern()
    {
        var index = Stack.Pop();
        var container = (PatternValue)Stack.Pop();
        switch (container, index)
        {
            case (PatternSubject { Builder: { Kind: PatternKind.Sequence } seq }, Constant { Value: PyInt n }) when seq.Items is null && n.Value >= 0 && n.Value < int.MaxValue:
                Push(new PatternSubject(seq.Element((int)n.Value, fromEnd: false)));
                return;
            case (PatternSubject { Builder: { Kind: PatternKind.Sequence } seq }, PatternLengthMinus m) when seq.Items is null && ReferenceEquals(m.Owner, seq):
                Push(new PatternSubject(seq.Element(m.Minus, fromEnd: true)));
                return;
            case (PatternParts { Kind: PatternPartsKind.ClassAttributes or PatternPartsKind.MappingValues } parts, Constant { Value: PyInt n })
                when parts.Owner.Children is { } children && n.Value >= 0 && n.Value < children.Length:
                if (children[(int)n.Value] is not null) throw PatternFail("an attribute or value taken twice");
                var child = new PatternBuilder();
                children[(int)n.Value] = child;
                Push(new PatternSubject(child));
                return;
        }
        throw PatternFail($"subscript of {container} by {Describe(index)} in a pattern");
    }

    /// <summary>`len(subject) - k`: the index of the k-th item from the end (codegen avoids negative indexes).</summary>
    private void LengthMinus(Instruction i)
    {
        var k = Stack.Pop();
        var len = (PatternLength)Stack.Pop();
        bool minus = i.Argument is TableArgument { Value: "-" } || i.Name == "BINARY_SUBTRACT";
        if (!minus || k is not Constant { Value: PyInt n } || n.Value <= 0 || n.Value > int.MaxValue) throw PatternFail("arithmetic on a pattern length");
        Push(new PatternLengthMinus(len.Owner, (int)n.Value));
    }
}
