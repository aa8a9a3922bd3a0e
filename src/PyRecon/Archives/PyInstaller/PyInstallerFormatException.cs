namespace PyRecon.Archives.PyInstaller;

/// <summary>
/// The one error the PyInstaller readers raise for bad input: a damaged cookie, table of contents or member,
/// a member that does not decompress or decrypt. The message is a single line fit to show a user.
/// </summary>
public sealed class PyInstallerFormatException(string message) : Exception(message);
