using System.Collections.Immutable;
using System.Numerics;
using PyRecon.Disassembly;
using PyRecon.Model;

namespace PyRecon.Tests.Disassembly;

/// <summary>hash() and set iteration order against values printed by CPython with PYTHONHASHSEED=0 (and 12345).</summary>
public class SetOrderTests
{
    private static readonly PyObject[] s_values =
    [
        new PyStr("abc"), new PyStr(""), new PyStr("é"), new PyStr("中文"), new PyStr("\U0001f600x"),
        new PyBytes([.. "abc"u8]), new PyBytes([]), new PyInt(BigInteger.Parse("12345678901234567890")), new PyInt(-1), new PyInt(-7),
        new PyFloat(1.5), new PyFloat(-0.25), new PyFloat(1e300), new PyTuple([new PyInt(1), new PyStr("a")]), PyTuple.Empty, PyBool.True,
    ];

    public static IEnumerable<object[]> Cases() =>
    [
        ["3.8", "siphash24:64", 0u, new long[] { 4596069200710135518, 0, 4954367630624915103, -4576201888806860910, 7047262524464595714, 4596069200710135518, 0, 816463855166098135, -2, -7, 1152921504606846977, -576460752303423488, 1224995262755759164, 1230896556795382389, 5740354900026072187, 1 }],
        ["3.12", "siphash13:64", 0u, new long[] { -4594863902769663758, 0, 6047309291227476195, 501833946989431548, -8926728262118538918, -4594863902769663758, 0, 816463855166098135, -2, -7, 1152921504606846977, -576460752303423488, 1224995262755759164, 3906047847676358913, 5740354900026072187, 1 }],
        ["3.12", "siphash13:64", 12345u, new long[] { 2962436275791859092, 0, 6247654839523334371, 6949226425477596656, -5581016787913457232, 2962436275791859092, 0, 816463855166098135, -2, -7, 1152921504606846977, -576460752303423488, 1224995262755759164, -1431984317307222, 5740354900026072187, 1 }],
        ["3.14", "fnv:32", 0u, new long[] { -1600925533, 0, -240681624, -981557771, -1984242528, -1600925533, 0, 1103650286, -2, -7, 1073741825, -536870912, 260391960, -1569833375, 750394483, 1 }],
        ["3.14", "fnv:32", 12345u, new long[] { 1900957959, 0, 540552524, 1063750993, -964469756, 1900957959, 0, 1103650286, -2, -7, 1073741825, -536870912, 260391960, -755018382, 750394483, 1 }],
    ];

    private static PyHash Hasher(string version, string profile, uint seed)
    {
        var parts = profile.Split(':');
        var algorithm = parts[0] switch { "siphash24" => StringHashAlgorithm.SipHash24, "siphash13" => StringHashAlgorithm.SipHash13, _ => StringHashAlgorithm.Fnv };
        return new PyHash(PythonVersion.Parse(version), new HashProfile(algorithm, int.Parse(parts[1]), seed));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Hashes_match_CPython(string version, string profile, uint seed, long[] expected)
    {
        var hash = Hasher(version, profile, seed);
        Assert.Equal(expected, s_values.Select(v => hash.Hash(v)!.Value).ToArray());
    }

    [Theory]
    [InlineData("3.8", "siphash24:64", 0u, "frozenset({'theta', 'gamma', 'beta', 'delta', 'eta', 'zeta', 'iota', 'epsilon', 'alpha'})")]
    [InlineData("3.12", "siphash13:64", 0u, "frozenset({'alpha', 'beta', 'theta', 'iota', 'zeta', 'eta', 'gamma', 'delta', 'epsilon'})")]
    [InlineData("3.12", "siphash13:64", 12345u, "frozenset({'beta', 'theta', 'zeta', 'delta', 'gamma', 'epsilon', 'eta', 'iota', 'alpha'})")]
    [InlineData("3.14", "fnv:32", 0u, "frozenset({'alpha', 'delta', 'gamma', 'beta', 'eta', 'theta', 'zeta', 'epsilon', 'iota'})")]
    public void Nine_strings_resize_the_table_like_CPython(string version, string profile, uint seed, string expected)
    {
        // repr(frozenset([...])) adds one by one, as marshal does; 9 items force a resize from 8 to 32 slots.
        var items = "alpha beta gamma delta epsilon zeta eta theta iota".Split(' ').Select(s => (PyObject)new PyStr(s)).ToImmutableArray();
        Assert.Equal(expected, new ConstRepr(Hasher(version, profile, seed)).Repr(new PyFrozenSet(items)));
    }

    [Fact]
    public void Unreproducible_hashes_keep_the_marshal_order()
    {
        // hash(None) is the object's address before 3.12: nothing to reproduce.
        var items = ImmutableArray.Create<PyObject>(PyNone.Instance, new PyInt(0));
        var repr = new ConstRepr(new PyHash(PythonVersion.V3_11, HashProfile.Native64(PythonVersion.V3_11)));
        Assert.Equal("frozenset({None, 0})", repr.Repr(new PyFrozenSet(items)));
        Assert.Null(new PyHash(PythonVersion.V3_11, HashProfile.Native64(PythonVersion.V3_11)).Hash(PyNone.Instance));
        Assert.NotNull(new PyHash(PythonVersion.V3_12, HashProfile.Native64(PythonVersion.V3_12)).Hash(PyNone.Instance));
    }
}
