using System.Collections.Immutable;
using PyRecon.Model;
using PyRecon.Syntax;

namespace PyRecon.Cleanup;

/// <summary>
/// The order in which the compiler would first add the constants of a function body to co_consts: codegen visits
/// statements in its own order (an assignment's value before its targets, a try's else before its handlers, the
/// finally body and a with's exit `None`s at every return that leaves them), and co_consts keeps first visits.
/// Only what a body's own constants reveal is modelled; constants it cannot see (code objects, kwnames tuples,
/// folded forms) are simply missing, and constructs it does not model make the whole walk unknown (null).
/// </summary>
internal sealed class ConstantVisitOrder
{
    private readonly List<PyObject> _order = [];
    private readonly HashSet<PyObject> _seen = [];
    private readonly PythonVersion _version;
    /// <summary>What a return, break or continue leaves on its way out, innermost last.</summary>
    private readonly List<Frame> _frames = [];
    private bool _unknown;
    /// <summary>3.14: the first constant code generation numbers, kept as co_consts[0] even when the optimizer drops its use.</summary>
    private PyObject? _first;
    /// <summary>A constant the walk does not see (a code object, a kwnames tuple) may have been numbered first.</summary>
    private bool _firstUnseen;

    private abstract record Frame;
    private sealed record LoopFrame : Frame;
    private sealed record FinallyFrame(IReadOnlyList<StmtNode> Body) : Frame;
    /// <summary>A with's exit call (`None, None, None`) or an `except ... as name` clean-up (`name = None`).</summary>
    private sealed record NoneExitFrame : Frame;

    private ConstantVisitOrder(PythonVersion version) => _version = version;

    /// <summary>
    /// First visits in order, and (3.14, no docstring) the first constant numbered: 3.14 drops the constants whose
    /// loads the optimizer folded away or turned into other ops (small ints, a folded expression's operands, the None
    /// of an `is None` test), except co_consts[0], the first one numbered whatever it is; null when a constant the walk
    /// does not see may come first. Null when the body holds a construct the walk does not model.
    /// </summary>
    public static (IReadOnlyList<PyObject> Order, PyObject? First)? Of(IReadOnlyList<StmtNode> body, PyStr? docstring, PythonVersion version)
    {
        var walk = Walk(body, docstring, version);
        if (walk._unknown) return null;
        bool firstKept = version >= PythonVersion.V3_14 && docstring is null && !walk._firstUnseen;
        return (walk._order, firstKept ? walk._first : null);
    }

    private static ConstantVisitOrder Walk(IReadOnlyList<StmtNode> body, PyStr? docstring, PythonVersion version)
    {
        var walk = new ConstantVisitOrder(version);
        // co_consts[0] is the docstring, or before 3.14 None when there is none.
        if (docstring is not null) walk.Add(docstring);
        else if (version < PythonVersion.V3_14) walk.Add(PyNone.Instance);
        // The docstring statement itself is a constant statement, which adds nothing.
        walk.Statements(body);
        // Every body ends in the compiler's own `return None`.
        walk.Add(PyNone.Instance);
        return walk;
    }

    private void Add(PyObject value)
    {
        Number(value);
        if (_seen.Add(value)) _order.Add(value);
    }

    /// <summary>
    /// Code generation numbers <paramref name="value"/>: a negative number's literal (its unary minus is folded
    /// later), a constant tuple's or set's items (the display is folded later).
    /// </summary>
    private void Number(PyObject value)
    {
        if (_first is not null || _firstUnseen) return;
        switch (value)
        {
            case PyTuple or PyFrozenSet:
                foreach (var item in ((PySequence)value).Items) Number(item);
                return;
            case PyInt { Value.Sign: < 0 } i: _first = new PyInt(-i.Value); return;
            case PyFloat { Value: < 0 } f: _first = new PyFloat(-f.Value); return;
            default: _first = value; return;
        }
    }

    /// <summary>Code generation numbers a constant the walk does not model here (a code object, a kwnames tuple).</summary>
    private void NumberUnseen()
    {
        if (_first is null) _firstUnseen = true;
    }

    private void AddLiteral(PyObject value)
    {
        Number(value);
        // 3.14 folds numbers and tuples in the CFG optimizer, which appends the results at the end: where a literal
        // number or tuple stands says nothing about its place.
        if (_version >= PythonVersion.V3_14 && value is PyInt or PyFloat or PyComplex or PyTuple or PyFrozenSet) return;
        Add(value);
    }

    private void Statements(IEnumerable<StmtNode> body)
    {
        foreach (var s in body) Statement(s);
    }

    // A node's own statement lists: walked without boxing the array and its enumerator.
    private void Statements(ImmutableArray<StmtNode> body)
    {
        foreach (var s in body) Statement(s);
    }

    private void Statement(StmtNode s)
    {
        if (_unknown) return;
        switch (s)
        {
            case Expr { Value: Constant }:
            case Pass or Global or Nonlocal:
                return;
            case Expr e: Expression(e.Value); return;
            case Assign a:
                Expression(a.Value);
                foreach (var t in a.Targets) Expression(t);
                return;
            case AugAssign a: Expression(a.Target); Expression(a.Value); return;
            case AnnAssign a:
                if (a.Value is not null) Expression(a.Value);
                Expression(a.Target);
                return;
            case Delete d: foreach (var t in d.Targets) Expression(t); return;
            case Return r:
                bool constant = r.Value is null or Constant;
                if (!constant) Expression(r.Value!);
                Unwind(toLoop: false);
                if (constant) AddLiteral(r.Value is Constant c ? c.Value : PyNone.Instance);
                return;
            case Break or Continue: Unwind(toLoop: true); return;
            case Raise r:
                if (r.Exc is not null) Expression(r.Exc);
                if (r.Cause is not null) Expression(r.Cause);
                return;
            case Assert a:
                Expression(a.Test);
                if (a.Msg is not null) Expression(a.Msg);
                return;
            case If i: Expression(i.Test); Statements(i.Body); Statements(i.Orelse); return;
            case For f: Loop(f.Iter, f.Target, f.Body, f.Orelse, awaits: false); return;
            case AsyncFor f: Loop(f.Iter, f.Target, f.Body, f.Orelse, awaits: true); return;
            case While w:
                Expression(w.Test);
                _frames.Add(new LoopFrame());
                Statements(w.Body);
                _frames.RemoveAt(_frames.Count - 1);
                Statements(w.Orelse);
                return;
            case With w: WithItems(w.Items, 0, w.Body, awaits: false); return;
            case AsyncWith w: WithItems(w.Items, 0, w.Body, awaits: true); return;
            case Try t: TryStatement(t); return;
            case Import imp:
                // Each `import a`: level 0, then the fromlist None.
                if (imp.Names.Length > 0) { Add(new PyInt(0)); Add(PyNone.Instance); }
                return;
            case ImportFrom imp:
                Add(new PyInt(imp.Level ?? 0));
                Add(new PyTuple([.. imp.Names.Select(n => (PyObject)new PyStr(n.Name))]));
                return;
            case FunctionDef f: Definition(f.DecoratorList, f.Args, f.Returns, f.TypeParams.Length); return;
            case AsyncFunctionDef f: Definition(f.DecoratorList, f.Args, f.Returns, f.TypeParams.Length); return;
            case ClassDef c:
                if (c.TypeParams.Length > 0) { _unknown = true; return; }
                foreach (var d in c.DecoratorList) Expression(d);
                NumberUnseen(); // the body's code object
                Add(new PyStr(c.Name));
                foreach (var b in c.Bases) Expression(b);
                foreach (var k in c.Keywords) Expression(k.Value);
                return;
            default:
                // match, try/except*, type aliases: not modelled.
                _unknown = true;
                return;
        }
    }

    private void Loop(ExprNode iter, ExprNode target, IEnumerable<StmtNode> body, IEnumerable<StmtNode> orelse, bool awaits)
    {
        Expression(iter);
        _frames.Add(new LoopFrame());
        if (awaits) Add(PyNone.Instance); // the awaited __anext__ sends None
        Expression(target);
        Statements(body);
        _frames.RemoveAt(_frames.Count - 1);
        Statements(orelse);
    }

    private void WithItems(IReadOnlyList<Withitem> items, int k, IEnumerable<StmtNode> body, bool awaits)
    {
        if (k == items.Count) { Statements(body); return; }
        Expression(items[k].ContextExpr);
        if (awaits) Add(PyNone.Instance); // the awaited __aenter__
        if (items[k].OptionalVars is ExprNode target) Expression(target);
        _frames.Add(new NoneExitFrame());
        WithItems(items, k + 1, body, awaits);
        _frames.RemoveAt(_frames.Count - 1);
        Add(PyNone.Instance); // __exit__(None, None, None)
    }

    /// <summary>Codegen order: body, else, handlers; the finally body after them (its normal-exit copy).</summary>
    private void TryStatement(Try t)
    {
        if (t.Finalbody.Length > 0) _frames.Add(new FinallyFrame(t.Finalbody));
        Statements(t.Body);
        Statements(t.Orelse);
        foreach (var h in t.Handlers)
        {
            if (h is not ExceptHandler eh) { _unknown = true; return; }
            if (eh.Type is not null) Expression(eh.Type);
            if (eh.Name is not null) _frames.Add(new NoneExitFrame());
            Statements(eh.Body);
            if (eh.Name is not null)
            {
                _frames.RemoveAt(_frames.Count - 1);
                Add(PyNone.Instance); // name = None; del name
            }
        }
        if (t.Finalbody.Length > 0)
        {
            _frames.RemoveAt(_frames.Count - 1);
            Statements(t.Finalbody);
        }
    }

    /// <summary>What leaving the enclosing blocks visits: finally bodies and exit `None`s, up to the loop for break/continue.</summary>
    private void Unwind(bool toLoop)
    {
        var saved = _frames.ToList();
        for (int k = saved.Count - 1; k >= 0; k--)
        {
            var frame = saved[k];
            if (frame is LoopFrame && toLoop) break;
            if (frame is NoneExitFrame) Add(PyNone.Instance);
            else if (frame is FinallyFrame f)
            {
                // The finally body is compiled outside its own frame.
                _frames.RemoveRange(k, _frames.Count - k);
                Statements(f.Body);
                _frames.Clear();
                _frames.AddRange(saved);
            }
        }
    }

    /// <summary>A nested def or class statement's own constants here: decorators, then defaults (its body is another code object).</summary>
    private void Definition(IEnumerable<ExprNode> decorators, Arguments args, ExprNode? returns, int typeParams)
    {
        // Annotations add name strings (and, before 3.14, their values) in an order not modelled here.
        if (typeParams > 0 || returns is not null || HasAnnotations(args)) { _unknown = true; return; }
        foreach (var d in decorators) Expression(d);
        Defaults(args);
        NumberUnseen(); // the code object
    }

    private void Defaults(Arguments args)
    {
        foreach (var d in args.Defaults) Expression(d);
        foreach (var d in args.KwDefaults)
            if (d is not null) Expression(d);
    }

    private static bool HasAnnotations(Arguments args) =>
        args.Posonlyargs.Concat(args.Args).Concat(args.Kwonlyargs).Any(a => a.Annotation is not null)
        || args.Vararg?.Annotation is not null || args.Kwarg?.Annotation is not null;

    private void Expression(ExprNode e)
    {
        if (_unknown) return;
        switch (e)
        {
            case Constant c: AddLiteral(c.Value); return;
            case Lambda l: Defaults(l.Args); NumberUnseen(); return;
            case GeneratorExp g: NumberUnseen(); Expression(g.Generators[0].Iter); return;
            case Call { Keywords.IsEmpty: false } call:
                ChildExpressions(call);
                NumberUnseen(); // the kwnames tuple
                return;
            case ListComp c: Comprehension(c.Generators, c.Elt); return;
            case SetComp c: Comprehension(c.Generators, c.Elt); return;
            case DictComp c: Comprehension(c.Generators, c.Key, c.Value); return;
            case Dict d:
                for (int k = 0; k < d.Values.Length; k++)
                {
                    if (d.Keys[k] is ExprNode key) Expression(key);
                    Expression(d.Values[k]);
                }
                return;
            case NamedExpr n: Expression(n.Value); return;
            case Slice sl: SliceBounds(sl); return;
            case Yield y:
                if (y.Value is null) Add(PyNone.Instance); else Expression(y.Value);
                return;
            case YieldFrom y: Expression(y.Value); Add(PyNone.Instance); return;
            case Await a: Expression(a.Value); Add(PyNone.Instance); return;
            default:
                ChildExpressions(e);
                return;
        }
    }

    /// <summary>
    /// A missing start or stop loads None (BUILD_SLICE / BINARY_SLICE take both); 3.14 folds a slice of constants
    /// into one slice constant.
    /// </summary>
    private void SliceBounds(Slice slice)
    {
        // A negative bound is a unary minus in the source, which only the CFG optimizer folds: not a constant yet.
        PyObject? ConstantOrNone(ExprNode? e) => e switch
        {
            null => PyNone.Instance,
            Constant { Value: PyInt { Value.Sign: < 0 } or PyFloat { Value: < 0 } } => null,
            Constant c => c.Value,
            _ => null,
        };
        if (_version >= PythonVersion.V3_14 && ConstantOrNone(slice.Lower) is { } start && ConstantOrNone(slice.Upper) is { } stop
            && ConstantOrNone(slice.Step) is { } step)
        {
            Add(new PySlice(start, stop, step));
            return;
        }
        if (slice.Lower is null) Add(PyNone.Instance); else Expression(slice.Lower);
        if (slice.Upper is null) Add(PyNone.Instance); else Expression(slice.Upper);
        if (slice.Step is not null) Expression(slice.Step);
    }

    /// <summary>3.12+ inlines list, set and dict comprehensions (their constants are this body's); before, only the outermost iterable is.</summary>
    private void Comprehension(IReadOnlyList<Comprehension> generators, params ExprNode[] elements)
    {
        if (_version < PythonVersion.V3_12) NumberUnseen(); // the comprehension's code object
        Expression(generators[0].Iter);
        if (_version < PythonVersion.V3_12) return;
        for (int k = 0; k < generators.Count; k++)
        {
            if (k > 0) Expression(generators[k].Iter);
            Expression(generators[k].Target);
            foreach (var test in generators[k].Ifs) Expression(test);
        }
        foreach (var element in elements) Expression(element);
    }

    /// <summary>Visits the expressions under <paramref name="node"/> in field order (a keyword as its value; other
    /// nodes, such as arguments, through their own fields). Runs per node: the children come without allocating.</summary>
    private void ChildExpressions(SyntaxNode node) => node.VisitChildren(_children ??= new ChildReceiver(this));

    private ChildReceiver? _children;

    private sealed class ChildReceiver(ConstantVisitOrder order) : SyntaxChildVisitor
    {
        public override void Child(SyntaxNode node)
        {
            if (node is ExprNode e) order.Expression(e);
            else if (node is Keyword k) order.Expression(k.Value);
            else order.ChildExpressions(node);
        }
    }
}
