using System.Buffers.Binary;
using PyRecon.Archives.PyInstaller;
using PyRecon.Cli.Inputs;
using PyRecon.Model;
using PyRecon.Pyc;

namespace PyRecon.Cli.Batch;

/// <summary>
/// Outputs that are not decompiled source: the files, links and folders of a PyInstaller program, written as they
/// are, and the .pyc files of <c>--extract-only</c> (each with a correct 16-byte header). <see cref="Prepare"/>
/// runs on the batch's workers, <see cref="Write"/> on the thread that writes in input order.
/// </summary>
internal static class PackedOutput
{
    public static void Prepare(FileOutcome outcome, PythonVersion? stated, bool extractOnly)
    {
        var item = outcome.Item;
        if (item.Error is not null)
        {
            outcome.Fail(item.ErrorKind ?? Sniffer.Corrupt, item.Error);
            return;
        }
        try
        {
            switch (item.Role)
            {
                case ItemRole.Code when extractOnly:
                    outcome.Bytes = ToPyc(item, item.Load!(), stated);
                    outcome.Magic = BinaryPrimitives.ReadUInt16LittleEndian(outcome.Bytes);
                    if (MagicNumbers.TryGetVersion(outcome.Magic.Value, out var version)) outcome.Version = version;
                    break;
                case ItemRole.File:
                    outcome.Bytes = item.Load!();
                    break;
            }
            outcome.Status = FileOutcome.Ok;
        }
        catch (PyInstallerFormatException e)
        {
            outcome.Fail(e.Message.StartsWith("encrypted", StringComparison.Ordinal) ? Sniffer.Encrypted : Sniffer.Corrupt, e.Message);
        }
        catch (UnreadableInputException e)
        {
            outcome.Fail(e.Kind, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            outcome.Fail(Sniffer.Missing, e.Message);
        }
    }

    /// <summary>
    /// A .pyc of the input's code: a PyInstaller item gets the header of the interpreter that built it (the stated
    /// version's when given); a .pyc keeps its header unless a stated version says otherwise; marshal data needs one.
    /// </summary>
    private static byte[] ToPyc(InputItem item, byte[] data, PythonVersion? stated)
    {
        bool hasHeader = data.Length >= PycHeader.Size && data[2] == '\r' && data[3] == '\n';
        if (stated is { } v)
        {
            var header = new byte[PycHeader.Size];
            BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)MagicNumbers.FinalMagic(v));
            header[2] = (byte)'\r';
            header[3] = (byte)'\n';
            if (!hasHeader) return [.. header, .. data];
            if (MagicNumbers.TryGetVersion(BinaryPrimitives.ReadUInt16LittleEndian(data), out var own) && own == v) return data;
            return [.. header, .. data.AsSpan(PycHeader.Size)];
        }
        if (item.Packed is { } packed) return packed.ToPyc(data);
        if (hasHeader) return data;
        var (kind, message) = Sniffer.Explain(data, item.Contained ? null : item.Display);
        throw new UnreadableInputException(kind, message);
    }

    /// <param name="root">The output folder (null when the output is one file): links may not point out of it.</param>
    public static void Write(FileOutcome outcome, string target, string? root)
    {
        var item = outcome.Item;
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(target));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            switch (item.Role)
            {
                case ItemRole.Folder:
                    Directory.CreateDirectory(target);
                    break;
                case ItemRole.Symlink:
                    WriteLink(outcome, target, root);
                    break;
                default:
                    File.WriteAllBytes(target, outcome.Bytes ?? []);
                    break;
            }
            outcome.Output = target;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            outcome.Fail("write-error", $"cannot write {target}: {e.Message}");
        }
        outcome.Bytes = null;
    }

    private static void WriteLink(FileOutcome outcome, string target, string? root)
    {
        string link = outcome.Item.Packed!.LinkTarget!;
        string resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(target))!, link));
        string? inside = root is null ? null : Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (Path.IsPathRooted(link) || inside is null || !resolved.StartsWith(inside, StringComparison.Ordinal))
        {
            outcome.Note = $"a link to {link}, not created: it points out of the unpacked tree";
            return;
        }
        if (File.Exists(target) || Directory.Exists(target)) File.Delete(target);
        File.CreateSymbolicLink(target, link);
        outcome.Note = $"a symbolic link to {link}";
    }
}
