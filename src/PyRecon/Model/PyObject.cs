using System.Collections.Immutable;
using System.Numerics;

namespace PyRecon.Model;

/// <summary>
/// A value read from marshal data: the constants of a code object and the code objects themselves.
/// Immutable; equality is Python value equality of the same type (so 1 and True differ, as in co_consts).
/// </summary>
public abstract record PyObject
{
    /// <summary>Python's <c>type(x).__name__</c>.</summary>
    public abstract string TypeName { get; }
}

public sealed record PyNone : PyObject
{
    public static readonly PyNone Instance = new();
    private PyNone() { }
    public override string TypeName => "NoneType";
}

public sealed record PyEllipsis : PyObject
{
    public static readonly PyEllipsis Instance = new();
    private PyEllipsis() { }
    public override string TypeName => "ellipsis";
}

/// <summary>The StopIteration type object; marshal can carry it though compilers never emit it.</summary>
public sealed record PyStopIteration : PyObject
{
    public static readonly PyStopIteration Instance = new();
    private PyStopIteration() { }
    public override string TypeName => "type";
}

public sealed record PyBool(bool Value) : PyObject
{
    public static readonly PyBool True = new(true);
    public static readonly PyBool False = new(false);
    public override string TypeName => "bool";
}

public sealed record PyInt(BigInteger Value) : PyObject
{
    public override string TypeName => "int";
}

public sealed record PyFloat(double Value) : PyObject
{
    public override string TypeName => "float";
    // Bitwise equality: -0.0 and 0.0 are different constants, NaN equals itself.
    public bool Equals(PyFloat? other) => other is not null && BitConverter.DoubleToInt64Bits(Value) == BitConverter.DoubleToInt64Bits(other.Value);
    public override int GetHashCode() => BitConverter.DoubleToInt64Bits(Value).GetHashCode();
}

public sealed record PyComplex(double Real, double Imag) : PyObject
{
    public override string TypeName => "complex";
    public bool Equals(PyComplex? other) => other is not null
        && BitConverter.DoubleToInt64Bits(Real) == BitConverter.DoubleToInt64Bits(other.Real)
        && BitConverter.DoubleToInt64Bits(Imag) == BitConverter.DoubleToInt64Bits(other.Imag);
    public override int GetHashCode() => HashCode.Combine(BitConverter.DoubleToInt64Bits(Real), BitConverter.DoubleToInt64Bits(Imag));
}

/// <summary>
/// A Python str. <see cref="Value"/> is UTF-16; lone surrogates (legal in Python strings) are kept as
/// lone UTF-16 code units.
/// </summary>
public sealed record PyStr(string Value) : PyObject
{
    public override string TypeName => "str";
}

public sealed record PyBytes(ImmutableArray<byte> Value) : PyObject
{
    public override string TypeName => "bytes";
    public bool Equals(PyBytes? other) => other is not null && Value.AsSpan().SequenceEqual(other.Value.AsSpan());
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Value.AsSpan());
        return hash.ToHashCode();
    }
}

/// <summary>Tuple, list, set, frozenset: an ordered item list (set order is marshal order).</summary>
public abstract record PySequence(ImmutableArray<PyObject> Items) : PyObject
{
    public virtual bool Equals(PySequence? other) => other is not null && other.GetType() == GetType() && Items.AsSpan().SequenceEqual(other.Items.AsSpan());
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in Items) hash.Add(item);
        return hash.ToHashCode();
    }
}

public sealed record PyTuple(ImmutableArray<PyObject> Items) : PySequence(Items)
{
    public static readonly PyTuple Empty = new(ImmutableArray<PyObject>.Empty);
    public override string TypeName => "tuple";
}

public sealed record PyList(ImmutableArray<PyObject> Items) : PySequence(Items)
{
    public override string TypeName => "list";
}

public sealed record PySet(ImmutableArray<PyObject> Items) : PySequence(Items)
{
    public override string TypeName => "set";
}

public sealed record PyFrozenSet(ImmutableArray<PyObject> Items) : PySequence(Items)
{
    public override string TypeName => "frozenset";
}

public sealed record PyDict(ImmutableArray<KeyValuePair<PyObject, PyObject>> Entries) : PyObject
{
    public override string TypeName => "dict";
    public bool Equals(PyDict? other) => other is not null && Entries.AsSpan().SequenceEqual(other.Entries.AsSpan());
    public override int GetHashCode() => Entries.Length;
}

/// <summary>3.14 marshal version 5 slice constants (<c>x[1:2]</c> folded to one LOAD_CONST).</summary>
public sealed record PySlice(PyObject Start, PyObject Stop, PyObject Step) : PyObject
{
    public override string TypeName => "slice";
}

/// <summary>A nested code object among the constants.</summary>
public sealed record PyCode(CodeObject Code) : PyObject
{
    public override string TypeName => "code";
    public bool Equals(PyCode? other) => other is not null && ReferenceEquals(Code, other.Code);
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Code);
}
