namespace PyRecon.Syntax;

/// <summary>
/// Binding strength of expression forms, weakest first (the levels of CPython's ast._Precedence).
/// The formatter parenthesizes a child exactly when its level is below what its position requires.
/// </summary>
public enum Precedence
{
    NamedExpr,  // x := e
    Tuple,      // a, b
    Yield,      // yield, yield from
    Test,       // if-else, lambda
    Or,
    And,
    Not,
    Cmp,        // < > == >= <= != in, not in, is, is not
    BitOr,      // |   (also the level of star-expression operands)
    BitXor,     // ^
    BitAnd,     // &
    Shift,      // << >>
    Arith,      // + -
    Term,       // * @ / % //
    Factor,     // unary + - ~
    Power,      // **
    Await,      // await
    Atom,
}

/// <summary>Operator spellings and levels.</summary>
public static class Operators
{
    public static string Text(Operator op) => op switch
    {
        Operator.Add => "+", Operator.Sub => "-", Operator.Mult => "*", Operator.MatMult => "@", Operator.Div => "/",
        Operator.Mod => "%", Operator.Pow => "**", Operator.LShift => "<<", Operator.RShift => ">>",
        Operator.BitOr => "|", Operator.BitXor => "^", Operator.BitAnd => "&", Operator.FloorDiv => "//",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public static Precedence Level(Operator op) => op switch
    {
        Operator.Add or Operator.Sub => Precedence.Arith,
        Operator.Mult or Operator.MatMult or Operator.Div or Operator.Mod or Operator.FloorDiv => Precedence.Term,
        Operator.LShift or Operator.RShift => Precedence.Shift,
        Operator.BitOr => Precedence.BitOr,
        Operator.BitXor => Precedence.BitXor,
        Operator.BitAnd => Precedence.BitAnd,
        Operator.Pow => Precedence.Power,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public static string Text(Unaryop op) => op switch
    {
        Unaryop.Invert => "~", Unaryop.Not => "not ", Unaryop.UAdd => "+", Unaryop.USub => "-",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public static Precedence Level(Unaryop op) => op == Unaryop.Not ? Precedence.Not : Precedence.Factor;

    public static string Text(Cmpop op) => op switch
    {
        Cmpop.Eq => "==", Cmpop.NotEq => "!=", Cmpop.Lt => "<", Cmpop.LtE => "<=", Cmpop.Gt => ">", Cmpop.GtE => ">=",
        Cmpop.Is => "is", Cmpop.IsNot => "is not", Cmpop.In => "in", Cmpop.NotIn => "not in",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public static string Text(Boolop op) => op == Boolop.And ? "and" : "or";

    public static Precedence Level(Boolop op) => op == Boolop.And ? Precedence.And : Precedence.Or;
}
