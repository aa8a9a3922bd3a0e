namespace PyRecon.Syntax;

/// <summary>Rules that tie fields of one node together; the generated factories call these.</summary>
public static partial class SyntaxFactory
{
    private static void Require(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message);
    }

    static partial void CheckInvariants(Dict node) =>
        Require(node.Keys.Length == node.Values.Length, "Dict: keys and values differ in length");

    static partial void CheckInvariants(Compare node) =>
        Require(node.Ops.Length == node.Comparators.Length && node.Ops.Length > 0, "Compare: needs as many comparators as ops, at least one");

    static partial void CheckInvariants(BoolOp node) =>
        Require(node.Values.Length >= 2, "BoolOp: needs at least two values");

    static partial void CheckInvariants(Arguments node)
    {
        Require(node.Defaults.Length <= node.Posonlyargs.Length + node.Args.Length, "arguments: more defaults than positional parameters");
        Require(node.KwDefaults.Length == node.Kwonlyargs.Length, "arguments: kw_defaults and kwonlyargs differ in length");
    }

    static partial void CheckInvariants(FormattedValue node) =>
        Require(node.Conversion is -1 or 's' or 'r' or 'a', "FormattedValue: conversion must be -1, 's', 'r' or 'a'");

    static partial void CheckInvariants(Interpolation node)
    {
        Require(node.Conversion is -1 or 's' or 'r' or 'a', "Interpolation: conversion must be -1, 's', 'r' or 'a'");
        Require(node.Str is Model.PyStr, "Interpolation: str must be a str");
    }

    static partial void CheckInvariants(MatchMapping node) =>
        Require(node.Keys.Length == node.Patterns.Length, "MatchMapping: keys and patterns differ in length");

    static partial void CheckInvariants(MatchClass node) =>
        Require(node.KwdAttrs.Length == node.KwdPatterns.Length, "MatchClass: kwd_attrs and kwd_patterns differ in length");

    static partial void CheckInvariants(ImportFrom node) =>
        Require(node.Level is null or >= 0, "ImportFrom: level must not be negative");
}
