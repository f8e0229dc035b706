"""A safe evaluator for the integer expressions of C constants.

Enumerator values and macro bodies such as ``(1 << 21)``, ``BIT(5)``,
``GENMASK(31, 16)`` or ``MSI_GENERIC_FLAGS_MASK | MSI_FLAG_PCI_MSIX``
are evaluated here, never with Python's ``eval``.  The evaluator is a
shunting-yard parser with an explicit stack, so a hostile expression
with thousands of nested parentheses cannot overflow Python's stack.

Names are resolved through a callback (earlier enumerators, macros);
an expression that cannot be evaluated gives ``Value(None, reason)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from patchlens.c.widths import (
    BIT_MACROS, C_TYPES, MASK_MACROS, TYPE_QUALIFIERS, cast_bits)
from patchlens.limits import MAX_BITS, MAX_EXPRESSION, MAX_MACRO_DEPTH, MAX_NUMBER_DIGITS, MAX_SHIFT

__all__ = ["Value", "Resolver", "evaluate", "tokenize", "identifiers",
           "bit_number", "MAX_EXPRESSION", "MAX_NUMBER_DIGITS",
           "MAX_MACRO_DEPTH"]

_MAX_SHIFT = MAX_SHIFT
_MAX_BITS = MAX_BITS


@dataclass(frozen=True)
class Value:
    """An evaluated constant: ``value`` is None when unknown (``reason``)."""
    value: int | None
    reason: str = ""
    text: str = ""            # the expression as written

    @property
    def known(self) -> bool:
        return self.value is not None


# A resolver maps an identifier to its Value, or None when it is unknown.
Resolver = Callable[[str], "Value | None"]

_TOKEN = re.compile(r"""
    (?P<ws>\s+|/\*.*?\*/|//[^\n]*)
  | (?P<num>(?:0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)(?:[uUlL]{0,3}))
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><<|>>|&&|\|\||==|!=|<=|>=|[-+*/%&|^~!()<>,?:])
""", re.VERBOSE | re.DOTALL)

# Words that make a parenthesised group a cast: "(unsigned long)".
_TYPE_WORDS = frozenset(TYPE_QUALIFIERS | {"signed", "unsigned", "char", "short",
                                           "int", "long"}
                        | {t.name for t in C_TYPES.values() if t.integer})

# Function-like macros the evaluator computes: name -> arity.  The bit
# and mask macros are :mod:`patchlens.c.widths`'s; the others wrap a
# constant in a type suffix (``_AC(1, UL)``, ``UL(1)``).
_FUNCTIONS = {**dict.fromkeys(BIT_MACROS, 1), **dict.fromkeys(MASK_MACROS, 2),
              "_AC": 2, "_UL": 1, "_ULL": 1, "UL": 1, "ULL": 1}

# Binary operators: precedence (higher binds tighter), as in C.
_BINARY = {"*": 10, "/": 10, "%": 10, "+": 9, "-": 9, "<<": 8, ">>": 8,
           "<": 7, ">": 7, "<=": 7, ">=": 7, "==": 6, "!=": 6,
           "&": 5, "^": 4, "|": 3, "&&": 2, "||": 1}
_UNARY_PREC = 11


class _Unknown(Exception):
    """Raised inside the evaluator; becomes Value(None, reason)."""


def tokenize(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens; kind is "num", "id" or "op".  Raises _Unknown."""
    out: list[tuple[str, str]] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            raise _Unknown(f"cannot read {text[pos:pos + 12]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind == "ws":
            continue
        out.append((kind, m.group()))
    return out


def identifiers(text: str) -> tuple[str, ...]:
    """The identifiers an expression names (for flag-set resolution)."""
    try:
        toks = tokenize(text)
    except _Unknown:
        return tuple(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    return tuple(t for k, t in toks if k == "id")


def _number(tok: str) -> int:
    digits = tok.rstrip("uUlL")
    if len(digits) > MAX_NUMBER_DIGITS:
        raise _Unknown(f"number of {len(digits)} digits")
    if digits[:2] in ("0x", "0X"):
        return int(digits[2:], 16)
    if digits[:2] in ("0b", "0B"):
        return int(digits[2:], 2)
    if len(digits) > 1 and digits[0] == "0":
        try:
            return int(digits[1:], 8)
        except ValueError:
            raise _Unknown(f"bad octal number {tok}") from None
    return int(digits)


def _check(v: int) -> int:
    if v.bit_length() > _MAX_BITS:
        raise _Unknown("value too large")
    return v


def _binary(op: str, a: int, b: int) -> int:
    if op == "+":
        return _check(a + b)
    if op == "-":
        return _check(a - b)
    if op == "*":
        return _check(a * b)
    if op in ("/", "%"):
        if b == 0:
            raise _Unknown("division by zero")
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        return q if op == "/" else a - q * b
    if op in ("<<", ">>"):
        if b < 0 or b > _MAX_SHIFT:
            raise _Unknown(f"shift by {b}")
        return _check(a << b) if op == "<<" else a >> b
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    return int({"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b,
                "==": a == b, "!=": a != b, "&&": bool(a) and bool(b),
                "||": bool(a) or bool(b)}[op])


def _call(name: str, args: list[int]) -> int:
    bit = BIT_MACROS.get(name)
    if bit is not None and bit.wraps:
        if args[0] < 0:
            raise _Unknown(f"{name}({args[0]})")
        return 1 << (args[0] % bit.bits(narrowest=False))
    if bit is not None:
        if not 0 <= args[0] <= _MAX_SHIFT:
            raise _Unknown(f"{name}({args[0]})")
        return 1 << args[0]
    if name in MASK_MACROS:
        h, l = args
        if not 0 <= l <= h <= _MAX_SHIFT:
            raise _Unknown(f"{name}({h}, {l})")
        return ((1 << (h + 1)) - 1) & ~((1 << l) - 1)
    # _AC(x, UL), _UL(x), UL(x): the constant itself
    return args[0]


# An operator on the shunting-yard stack.
@dataclass
class _Op:
    kind: str          # "(", "bin", "un", "cast", "call"
    text: str
    prec: int = 0
    argc: int = 1      # for calls: arguments seen so far
    width: int = 0     # for casts: unsigned width to truncate to (0: none)


def _apply(op: _Op, out: list[int]) -> None:
    if op.kind == "bin":
        if len(out) < 2:
            raise _Unknown(f"operator {op.text} lacks an operand")
        b = out.pop()
        a = out.pop()
        out.append(_binary(op.text, a, b))
    elif op.kind in ("un", "cast"):
        if not out:
            raise _Unknown(f"operator {op.text} lacks an operand")
        a = out.pop()
        if op.kind == "cast":
            out.append(a & ((1 << op.width) - 1) if op.width else a)
        elif op.text == "-":
            out.append(-a)
        elif op.text == "~":
            out.append(~a)
        elif op.text == "!":
            out.append(int(not a))
        else:
            out.append(a)
    else:
        raise _Unknown(f"unbalanced {op.text}")


def _cast_at(toks: list[tuple[str, str]], i: int) -> tuple[int, int] | None:
    """If ``toks[i]`` opens a cast ``(type words)``: (index after, width)."""
    j = i + 1
    words: list[str] = []
    while j < len(toks) and toks[j][0] == "id" and toks[j][1] in _TYPE_WORDS:
        words.append(toks[j][1])
        j += 1
    if not words or j >= len(toks) or toks[j] != ("op", ")"):
        return None
    return j + 1, cast_bits(words)


def evaluate(text: str, resolve: Resolver | None = None) -> Value:
    """Evaluate a C integer constant expression; never raises."""
    text = text.strip()
    if not text:
        return Value(None, "empty expression", text)
    if len(text) > MAX_EXPRESSION:
        return Value(None, "expression too long", text[:80])
    try:
        return Value(_evaluate(tokenize(text), resolve), "", text)
    except _Unknown as exc:
        return Value(None, str(exc), text)
    except (ValueError, OverflowError, MemoryError) as exc:
        return Value(None, f"cannot evaluate: {exc}", text)


def _evaluate(toks: list[tuple[str, str]], resolve: Resolver | None) -> int:
    out: list[int] = []
    ops: list[_Op] = []
    expect_operand = True
    i = 0
    n = len(toks)
    while i < n:
        kind, tok = toks[i]
        if expect_operand:
            if kind == "num":
                out.append(_number(tok))
                expect_operand = False
            elif kind == "id":
                if i + 1 < n and toks[i + 1] == ("op", "(") and tok in _FUNCTIONS:
                    ops.append(_Op("call", tok))
                    ops.append(_Op("(", "("))
                    i += 2
                    continue
                if i + 1 < n and toks[i + 1] == ("op", "("):
                    raise _Unknown(f"unknown macro {tok}()")
                if tok == "sizeof":
                    raise _Unknown("sizeof is not evaluated")
                got = resolve(tok) if resolve is not None else None
                if got is None:
                    raise _Unknown(f"unknown name {tok}")
                if got.value is None:
                    raise _Unknown(f"{tok} is unknown ({got.reason})")
                out.append(got.value)
                expect_operand = False
            elif tok == "(":
                cast = _cast_at(toks, i)
                if cast is not None:
                    ops.append(_Op("cast", "cast", _UNARY_PREC, width=cast[1]))
                    i = cast[0]
                    continue
                ops.append(_Op("(", "("))
            elif tok in ("-", "+", "~", "!"):
                ops.append(_Op("un", tok, _UNARY_PREC))
            else:
                raise _Unknown(f"unexpected {tok!r}")
            i += 1
            continue
        # expecting an operator
        if tok in _BINARY:
            prec = _BINARY[tok]
            while ops and ops[-1].kind in ("bin", "un", "cast") \
                    and ops[-1].prec >= prec:
                _apply(ops.pop(), out)
            ops.append(_Op("bin", tok, prec))
            expect_operand = True
        elif tok == ")":
            while ops and ops[-1].kind != "(":
                _apply(ops.pop(), out)
            if not ops:
                raise _Unknown("unbalanced )")
            ops.pop()
            if ops and ops[-1].kind == "call":
                call = ops.pop()
                arity = _FUNCTIONS[call.text]
                if call.argc != arity or len(out) < arity:
                    raise _Unknown(f"{call.text}() takes {arity} argument(s)")
                args = out[len(out) - arity:]
                del out[len(out) - arity:]
                out.append(_call(call.text, args))
        elif tok == ",":
            while ops and ops[-1].kind != "(":
                _apply(ops.pop(), out)
            if len(ops) < 2 or ops[-2].kind != "call":
                raise _Unknown("comma outside a macro call")
            ops[-2].argc += 1
            expect_operand = True
        else:
            raise _Unknown(f"unsupported operator {tok!r}")
        i += 1
    if expect_operand:
        raise _Unknown("expression ends early")
    while ops:
        _apply(ops.pop(), out)
    if len(out) != 1:
        raise _Unknown("not one expression")
    return out[0]


def bit_number(value: int | None) -> int | None:
    """The bit index when ``value`` is a single bit (1 << n), else None."""
    if value is None or value <= 0 or value & (value - 1):
        return None
    return value.bit_length() - 1
