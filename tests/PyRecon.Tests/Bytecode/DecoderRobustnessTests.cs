using System.Collections.Immutable;
using System.Reflection;
using CsCheck;
using PyRecon.Bytecode;
using PyRecon.Model;

namespace PyRecon.Tests.Bytecode;

/// <summary>Hand-built code objects: arguments, EXTENDED_ARG, caches, bad input, and the generated dispatch.</summary>
public class DecoderRobustnessTests
{
    private static CodeObject Code(PythonVersion version, byte[] bytes, int consts = 2, int names = 2, int locals = 2) =>
        new(version, 0, 0, 0, 10, CodeFlags.None, [.. bytes],
            [.. Enumerable.Range(0, consts).Select(i => (PyObject)new PyInt(i))],
            [.. Enumerable.Range(0, names).Select(i => $"n{i}")],
            [.. Enumerable.Range(0, locals).Select(i => new LocalVariable($"v{i}", LocalKind.Local))],
            [.. Enumerable.Range(0, locals).Select(i => $"v{i}")], [], [], "<test>", "t", "t", 1, [], []);

    private static byte Op(PythonVersion v, string name) => (byte)OpcodeTable.For(v)[name].Number;

    [Fact]
    public void FoldsExtendedArgAndKeepsPrefixes()
    {
        var v = PythonVersion.V3_8;
        // EXTENDED_ARG 1; EXTENDED_ARG 2; LOAD_CONST 3 -> arg 0x010203; then JUMP_ABSOLUTE 0
        var code = Code(v, [Op(v, "EXTENDED_ARG"), 1, Op(v, "EXTENDED_ARG"), 2, Op(v, "LOAD_CONST"), 3, Op(v, "JUMP_ABSOLUTE"), 0], consts: 0x10204);
        var folded = Decoder.Decode(code);
        Assert.Equal(2, folded.Length);
        Assert.Equal((4, 0, 0x010203), (folded[0].Offset, folded[0].StartOffset, folded[0].Arg));
        Assert.Equal([0, 2], folded[0].Prefixes.Select(p => p.Offset));
        Assert.Equal([1, 0x0102], folded[0].Prefixes.Select(p => p.Arg));
        Assert.Equal(new PyInt(0x010203), Assert.IsType<ConstArgument>(folded[0].Argument).Value);
        var jump = Assert.IsType<JumpArgument>(folded[1].Argument);
        Assert.Equal((0, 0, JumpDirection.Absolute), (jump.Target, jump.TargetIndex, jump.Direction));

        var kept = Decoder.Decode(code, new DecodeOptions { KeepExtendedArgs = true });
        Assert.Equal(["EXTENDED_ARG", "EXTENDED_ARG", "LOAD_CONST", "JUMP_ABSOLUTE"], kept.Select(i => i.Name));
        Assert.Equal(0, Assert.IsType<JumpArgument>(kept[3].Argument).TargetIndex);
    }

    [Fact]
    public void SkipsCachesAndResolvesPackedAndFlaggedArguments()
    {
        var v = PythonVersion.V3_13;
        var t = OpcodeTable.For(v);
        int cache = t["LOAD_GLOBAL"].CacheEntries;
        var bytes = new List<byte> { Op(v, "LOAD_GLOBAL"), 3 };
        bytes.AddRange(Enumerable.Repeat((byte)0xEE, 2 * cache)); // cache contents are never read
        bytes.AddRange([Op(v, "LOAD_FAST_LOAD_FAST"), 0x10, Op(v, "COMPARE_OP"), (byte)((2 << 5) | 16)]);
        bytes.AddRange(Enumerable.Repeat((byte)0, 2 * t["COMPARE_OP"].CacheEntries));
        bytes.AddRange([Op(v, "POP_JUMP_IF_FALSE"), 1]);
        bytes.AddRange(Enumerable.Repeat((byte)0, 2 * t["POP_JUMP_IF_FALSE"].CacheEntries));
        bytes.AddRange([Op(v, "NOP"), 0, Op(v, "NOP"), 0]);
        var ins = Decoder.Decode(Code(v, [.. bytes]));
        Assert.Equal(["LOAD_GLOBAL", "LOAD_FAST_LOAD_FAST", "COMPARE_OP", "POP_JUMP_IF_FALSE", "NOP", "NOP"], ins.Select(i => i.Name));
        Assert.Equal(new NameArgument(1, "n1", PushNull: true), ins[0].Argument);
        Assert.Equal(2 + 2 * cache, ins[1].Offset);
        var pair = Assert.IsType<LocalPairArgument>(ins[1].Argument);
        Assert.Equal(("v1", "v0"), (pair.First.Name, pair.Second.Name));
        Assert.Equal(new CompareArgument(2, "==", true), ins[2].Argument);
        var jump = Assert.IsType<JumpArgument>(ins[3].Argument);
        Assert.Equal(ins[5].Offset, jump.Target); // relative to the end of the caches, in code units
        Assert.Equal(5, jump.TargetIndex);
    }

    [Fact]
    public void InterpolationArgumentSplitsConversionAndSpec()
    {
        var v = PythonVersion.V3_14;
        // t"{a!r:>{w}} {b} {c!s}" compiles to BUILD_INTERPOLATION 11, 2 and 6 (3.14.2).
        var ins = Decoder.Decode(Code(v, [Op(v, "BUILD_INTERPOLATION"), 11, Op(v, "BUILD_INTERPOLATION"), 2, Op(v, "BUILD_INTERPOLATION"), 6]));
        Assert.Equal(new FormatArgument(2, "repr", true), ins[0].Argument);
        Assert.Equal(new FormatArgument(0, "", false), ins[1].Argument);
        Assert.Equal(new FormatArgument(1, "str", false), ins[2].Argument);
    }

    [Fact]
    public void OutOfRangeIndexesBecomeInvalidArguments()
    {
        var v = PythonVersion.V3_12;
        var ins = Decoder.Decode(Code(v, [Op(v, "LOAD_CONST"), 9, Op(v, "LOAD_NAME"), 9, Op(v, "LOAD_FAST"), 9], consts: 1, names: 1, locals: 1));
        Assert.All(ins, i => Assert.IsType<InvalidArgument>(i.Argument));
    }

    [Fact]
    public void UnknownOpcodeIsAFormatErrorWithItsOffset()
    {
        var v = PythonVersion.V3_8;
        var unknown = Enumerable.Range(0, 256).First(b => OpcodeTable.For(v)[(byte)b] is null);
        var e = Assert.Throws<BytecodeFormatException>(() => Decoder.Decode(Code(v, [9, 0, (byte)unknown, 0])));
        Assert.Equal(2, e.Offset);
    }

    [Fact]
    public void RandomBytesDecodeOrFailCleanly()
    {
        // 100 cases of any supported version and 0-100 uniform random bytes; CsCheck shrinks a failure and prints
        // the seed that replays it (CsCheck_Seed=... dotnet test --filter ...RandomBytesDecodeOrFailCleanly).
        var versions = PythonVersion.Supported.ToArray();
        Gen.Select(Gen.OneOf(versions), Gen.Byte.Array[0, 100]).Sample((v, bytes) =>
        {
            try
            {
                var ins = Decoder.Decode(Code(v, bytes));
                // Instructions tile the bytes: each starts where the previous one (with its caches) ended.
                int expected = 0;
                foreach (var i in ins)
                {
                    if (i.StartOffset != expected) return false;
                    expected = i.EndOffset;
                }
                _ = StackDepth.Compute(Code(v, bytes), ins);
                return expected <= bytes.Length && bytes.Length - expected <= 1;
            }
            catch (BytecodeFormatException)
            {
                return true;
            }
        }, iter: 100, print: t => $"{t.Item1} {Convert.ToHexString(t.Item2)}");
    }

    /// <summary>Answers every IOpcodeHandlers method with its own name.</summary>
    public class NameRecorder : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod!.Name;
    }

    [Theory]
    [InlineData("3.8")]
    [InlineData("3.11")]
    [InlineData("3.14")]
    public void DispatchCallsTheSpecsHandler(string versionText)
    {
        var v = PythonVersion.Parse(versionText);
        var handlers = DispatchProxy.Create<IOpcodeHandlers<string>, NameRecorder>();
        var table = OpcodeTable.For(v);
        foreach (var op in table.Opcodes.Where(o => !o.IsPseudo))
        {
            var bytes = new byte[2 + 2 * op.Base.CacheEntries];
            bytes[0] = (byte)op.Number;
            var ins = Decoder.Decode(Code(v, bytes)).First();
            Assert.Same(op.Base, ins.Opcode);
            Assert.Equal(op.Base.Handler.ToString(), OpcodeDispatch.Dispatch(ins, handlers));
        }
    }
}
