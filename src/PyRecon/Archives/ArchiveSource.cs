using Microsoft.Win32.SafeHandles;
using PyRecon.Archives.PyInstaller;

namespace PyRecon.Archives;

/// <summary>
/// Random access to the bytes of an archive: a file read in place (executables can be large; nothing is loaded
/// before it is asked for) or bytes in memory. Reads are safe from several threads at once, so the members of
/// one archive can be decompiled in parallel.
/// </summary>
public abstract class ArchiveSource : IDisposable
{
    public abstract long Length { get; }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; the range is already checked.</summary>
    protected abstract void ReadCore(long offset, Span<byte> destination);

    /// <summary>Reads <paramref name="count"/> bytes at <paramref name="offset"/>.</summary>
    /// <exception cref="PyInstallerFormatException">The range is not inside the source (a truncated or damaged file).</exception>
    public byte[] Read(long offset, long count)
    {
        if (offset < 0 || count < 0 || offset > Length || count > Length - offset)
            throw new PyInstallerFormatException($"needs bytes {offset}-{offset + count} but the data ends at {Length} (truncated or damaged)");
        if (count > Array.MaxLength) throw new PyInstallerFormatException($"a {count}-byte member is too large to read");
        var buffer = new byte[count];
        ReadCore(offset, buffer);
        return buffer;
    }

    /// <summary>The part of this source from <paramref name="offset"/>, <paramref name="length"/> bytes long (not owned: disposing it does nothing).</summary>
    public ArchiveSource Slice(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Length || length > Length - offset)
            throw new PyInstallerFormatException($"bytes {offset}-{offset + length} lie outside the data ({Length} bytes): truncated or damaged");
        return new SliceSource(this, offset, length);
    }

    public static ArchiveSource FromBytes(ReadOnlyMemory<byte> data) => new MemorySource(data);

    /// <summary>Opens a file for reading in place; dispose the source to close it.</summary>
    public static ArchiveSource OpenFile(string path) => new FileSource(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read));

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private sealed class MemorySource(ReadOnlyMemory<byte> data) : ArchiveSource
    {
        public override long Length => data.Length;
        protected override void ReadCore(long offset, Span<byte> destination) => data.Span.Slice((int)offset, destination.Length).CopyTo(destination);
    }

    private sealed class FileSource(SafeFileHandle handle) : ArchiveSource
    {
        private readonly long _length = RandomAccess.GetLength(handle);
        public override long Length => _length;

        protected override void ReadCore(long offset, Span<byte> destination)
        {
            while (destination.Length > 0)
            {
                int n = RandomAccess.Read(handle, destination, offset);
                if (n <= 0) throw new PyInstallerFormatException($"the file ended early at byte {offset} (changed while being read?)");
                destination = destination[n..];
                offset += n;
            }
        }

        public override void Dispose()
        {
            handle.Dispose();
            base.Dispose();
        }
    }

    private sealed class SliceSource(ArchiveSource inner, long start, long length) : ArchiveSource
    {
        public override long Length => length;
        protected override void ReadCore(long offset, Span<byte> destination) => inner.ReadCore(start + offset, destination);
    }
}
