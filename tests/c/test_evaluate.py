"""The safe evaluator: every value form, unknowns with reasons, no eval."""

from __future__ import annotations

import pytest

from patchlens.c.evaluate import Value, bit_number, evaluate, identifiers


def names(table: dict[str, str]):
    """A resolver over expressions (as the constant table resolves)."""
    def resolve(name: str) -> Value | None:
        if name not in table:
            return None
        return evaluate(table[name], resolve)
    return resolve


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("42", 42), ("0x2a", 42), ("0X2A", 42), ("052", 42),
    ("0b101", 5),
    ("42U", 42), ("42UL", 42), ("42ULL", 42), ("0x10ul", 16), ("42LL", 42),
    ("(1 << 21)", 1 << 21), ("1 << 0", 1), ("(1U << 31)", 1 << 31),
    ("BIT(5)", 32), ("BIT_ULL(40)", 1 << 40), ("_BITUL(3)", 8),
    ("GENMASK(15, 0)", 0xFFFF), ("GENMASK(31, 16)", 0xFFFF0000),
    ("GENMASK_ULL(39, 32)", 0xFF00000000),
    ("0x10 | 0x1", 0x11), ("0xff & 0x0f", 0x0F), ("0xf0 ^ 0xff", 0x0F),
    ("~0U & 0xff", 0xFF), ("~0", -1),
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("10 - 4 - 3", 3),
    ("256 >> 4", 16), ("7 / 2", 3), ("7 % 4", 3), ("-3 + 5", 2),
    ("1 << 2 | 1", 5),  # shift binds tighter than |
    ("(u32)~0", 0xFFFFFFFF), ("(unsigned long)1 << 40", 1 << 40),
    ("(u8)0x1ff", 0xFF), ("(int)7", 7), ("(unsigned int)-1", 0xFFFFFFFF),
    ("((((5))))", 5), ("/* c */ 3 // tail", 3),
])
def test_value_forms(text: str, value: int) -> None:
    v = evaluate(text)
    assert v.value == value, v.reason
    assert v.text == text.strip()


def test_references_to_earlier_names_and_macros() -> None:
    r = names({"SHIFT": "6", "A": "(1UL << SHIFT)", "B": "A << 1",
               "M": "GENMASK(15, 0)", "SET": "M | B"})
    assert evaluate("B", r).value == 1 << 7
    assert evaluate("SET", r).value == 0xFFFF
    assert evaluate("BIT(SHIFT) | A", r).value == 1 << 6


@pytest.mark.parametrize("text, reason", [
    ("OTHER + 1", "unknown name OTHER"),
    ("foo(1)", "unknown macro foo()"),
    ("1 <<", "expression ends early"),
    ("(1 << 2", "unbalanced"),
    ("1 << 2)", "unbalanced"),
    ("1 / 0", "division by zero"),
    ("1 << 100000", "shift by"),
    ("BIT(-1)", "BIT(-1)"),
    ("GENMASK(1, 5)", "GENMASK(1, 5)"),
    ("GENMASK(3)", "takes 2"),
    ("sizeof(int)", "sizeof"),
    ("1 ? 2 : 3", "unsupported operator"),
    ("", "empty expression"),
    ("\"str\"", "cannot read"),
])
def test_unknown_with_reason(text: str, reason: str) -> None:
    v = evaluate(text)
    assert v.value is None
    assert reason in v.reason


def test_never_eval() -> None:
    v = evaluate("__import__('os').system('false')")
    assert v.value is None
    v = evaluate("[x for x in ()]")
    assert v.value is None


def test_cycle_is_unknown() -> None:
    def resolve(name: str) -> Value | None:
        # A refers to itself: the table's resolver reports this, the
        # evaluator must simply not recurse forever.
        return Value(None, "A refers to itself", "A") if name == "A" else None
    v = evaluate("A | 1", resolve)
    assert v.value is None and "refers to itself" in v.reason


def test_deep_nesting_does_not_overflow() -> None:
    deep = "(" * 50_000 + "1" + ")" * 50_000
    assert evaluate(deep).value is None          # too long: refused
    ok = "(" * 9_000 + "7" + ")" * 9_000
    assert evaluate(ok).value == 7
    unary = "~" * 10_000 + "0"
    assert evaluate(unary).value == 0


def test_bit_number_and_identifiers() -> None:
    assert bit_number(1 << 21) == 21
    assert bit_number(0) is None and bit_number(6) is None
    assert bit_number(None) is None
    assert identifiers("(MSI_A | BIT(X)) & ~Y") == ("MSI_A", "BIT", "X", "Y")
