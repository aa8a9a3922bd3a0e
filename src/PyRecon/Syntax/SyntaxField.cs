namespace PyRecon.Syntax;

/// <summary>What kind of value a node field holds (lists hold items of that kind).</summary>
public enum SyntaxFieldKind { Node, NodeList, Identifier, IdentifierList, String, StringList, Constant, Int, Enum, EnumList }

/// <summary>
/// One field of a node, named as in Python's <c>_fields</c>. <see cref="IsOptional"/> is ASDL's <c>?</c>;
/// list values are <see cref="IReadOnlyList{T}"/> of object.
/// </summary>
public readonly record struct SyntaxField(string Name, SyntaxFieldKind Kind, bool IsOptional, object? Value);
