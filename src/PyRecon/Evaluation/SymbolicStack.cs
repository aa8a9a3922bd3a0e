namespace PyRecon.Evaluation;

/// <summary>
/// The evaluator's model of the value stack: expressions and <see cref="StackMarker"/>s. Every push gets a
/// sequence number (kept through DUP/ROT/SWAP), so a tuple assignment can put its targets back in the
/// order its values were computed. Cloned for each branch the structurer follows.
/// </summary>
internal sealed class SymbolicStack
{
    private readonly List<object> _items;
    private readonly List<int> _seq;
    private readonly SequenceCounter _counter;

    public SymbolicStack(SequenceCounter counter)
    {
        _items = [];
        _seq = [];
        _counter = counter;
    }

    private SymbolicStack(SymbolicStack other)
    {
        _items = [.. other._items];
        _seq = [.. other._seq];
        _counter = other._counter;
    }

    public int Count => _items.Count;

    public SymbolicStack Clone() => new(this);

    public void Push(object item) => Push(item, _counter.Next());

    public void Push(object item, int seq)
    {
        _items.Add(item);
        _seq.Add(seq);
    }

    public object Pop() => Pop(out _);

    public object Pop(out int seq)
    {
        if (_items.Count == 0) throw new StackUnderflowException();
        int last = _items.Count - 1;
        var item = _items[last];
        seq = _seq[last];
        _items.RemoveAt(last);
        _seq.RemoveAt(last);
        return item;
    }

    /// <summary>The item <paramref name="depth"/> below the top (0 = top).</summary>
    public object Peek(int depth = 0)
    {
        int i = _items.Count - 1 - depth;
        if (i < 0) throw new StackUnderflowException();
        return _items[i];
    }

    public int PeekSeq(int depth = 0) => _seq[_items.Count - 1 - depth];

    public void Replace(int depth, object item)
    {
        int i = _items.Count - 1 - depth;
        if (i < 0) throw new StackUnderflowException();
        _items[i] = item;
    }

    /// <summary>Item at absolute position (0 = bottom).</summary>
    public object At(int index) => _items[index];

    public void Swap(int depthA, int depthB)
    {
        int a = _items.Count - 1 - depthA, b = _items.Count - 1 - depthB;
        if (a < 0 || b < 0) throw new StackUnderflowException();
        (_items[a], _items[b]) = (_items[b], _items[a]);
        (_seq[a], _seq[b]) = (_seq[b], _seq[a]);
    }

    /// <summary>ROT_N: the top item moves down to position <paramref name="n"/> (1-based from the top).</summary>
    public void RotateTopDown(int n)
    {
        if (n <= 1) return;
        if (_items.Count < n) throw new StackUnderflowException();
        int top = _items.Count - 1;
        var item = _items[top];
        int seq = _seq[top];
        _items.RemoveAt(top);
        _seq.RemoveAt(top);
        _items.Insert(top - (n - 1), item);
        _seq.Insert(top - (n - 1), seq);
    }

    public void Truncate(int count)
    {
        if (count < _items.Count)
        {
            _items.RemoveRange(count, _items.Count - count);
            _seq.RemoveRange(count, _seq.Count - count);
        }
    }

    public IEnumerable<object> Items => _items;

    public override string ToString() => "[" + string.Join(", ", _items.Select(i => i is Syntax.ExprNode e ? Syntax.PythonFormatter.FormatExpressionOrDescribe(e) : i.ToString())) + "]";
}

internal sealed class SequenceCounter
{
    private int _next;
    public int Next() => ++_next;
}

internal sealed class StackUnderflowException() : Exception("symbolic stack underflow");
