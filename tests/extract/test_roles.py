"""Roles: each construct the node classifier knows, the line fallback,
macro bodies and the one-level call rule (patchlens.extract.roles)."""

from __future__ import annotations

import pytest

from patchlens.c.parse import parse_c
from patchlens.c.shapes import names_regex
from patchlens.c.widths import BIT_MACROS
from patchlens.extract.roles import (
    ROLE_PRIORITY, Role, Rules, call_role, classify_code, classify_in_macro,
    classify_line, classify_node, parameter_roles)
from patchlens.extract.profile import load_profile

# The kernel's truth calls (WARN_ON, likely) are the profile's.
RULES = Rules(names={"X": "f", "Y": "f"}, setters={"demo_set": 1},
              matchers={"demo_find": 1},
              truth_calls=frozenset(load_profile(None).truth_calls))


def _classify(code: str, name: str = "X") -> tuple[Role, str]:
    """The role of the first ``name`` in ``code`` (a function body)."""
    data = f"void f(void)\n{{\n{code}\n}}\n".encode()
    tree = parse_c(data)
    m = names_regex([name]).search(data)
    assert m is not None
    node = tree.root_node.descendant_for_byte_range(m.start(), m.end())
    assert node is not None
    role, reason, _ = classify_node(node, RULES)
    return role, reason


@pytest.mark.parametrize("code, role, reason", [
    ("if (flags & X) go();", Role.CHECK, "tested with &"),
    ("if (v == X) go();", Role.CHECK, "compared with =="),
    ("if (v < X) go();", Role.BOUND, "range check <"),
    ("flags |= X | Y;", Role.SET, "|= into flags"),
    ("flags &= ~X;", Role.CLEAR, "cleared with &= ~"),
    ("m = flags & X;", Role.OTHER, "masked with &"),
    ("flags |= BIT(X);", Role.SET, "|= into flags"),
    ("demo_set(d, X);", Role.SET, "value argument of demo_set()"),
    ("demo_find(d, X);", Role.MATCH, "key argument of demo_find()"),
    ("WARN_ON(X);", Role.CHECK, "truth value in WARN_ON()"),
    ("t[X] = 1;", Role.MATCH, "array index"),
    ("switch (v) { case X: break; }", Role.CHECK, "case label"),
    ("return !X;", Role.CHECK, "truth value (!)"),
    ("int a = X + 1;", Role.OTHER, "arithmetic + in initial value of a"),
    ("u32 a = X;", Role.SET, "initial value of a"),
    ("for (i = 0; i < n; i++) a = X ? 1 : 2;", Role.CHECK, "?: condition"),
    ("x = s.X;", Role.OTHER, "field access"),
])
def test_node_classifier(code: str, role: Role, reason: str) -> None:
    assert _classify(code) == (role, reason)


def test_every_bit_macro_is_looked_through() -> None:
    for macro in BIT_MACROS:
        assert _classify(f"flags |= {macro}(X);") == (Role.SET, "|= into flags")


def test_an_unknown_call_is_left_to_the_call_rule() -> None:
    data = b"void f(void)\n{\n\tdemo_other(d, X);\n}\n"
    tree = parse_c(data)
    start = data.index(b"X")
    node = tree.root_node.descendant_for_byte_range(start, start + 1)
    assert node is not None
    assert classify_node(node, RULES) == (
        Role.OTHER, "argument 2 of demo_other()", ("demo_other", 1))
    # The same text in an ERROR region: the line decides, no call.
    role, reason, call = classify_code(node, "\tdemo_other(d, X);", 15, "X", RULES)
    assert (role, call) == (Role.OTHER, ("demo_other", 1))


def test_line_fallback() -> None:
    rules = Rules(names={"X": "f"}, matchers={"find": 1})
    assert classify_line("case X:", 5, "X", rules)[0] is Role.CHECK
    assert classify_line("a &= ~X;", 6, "X", rules)[0] is Role.CLEAR
    assert classify_line("d = find(f, X ]]", 12, "X", rules)[0] is Role.MATCH
    assert classify_line("foo X bar", 4, "X", rules) == (Role.OTHER, "unparsed")


def test_macro_bodies_compose_unless_they_act() -> None:
    text = "#define DEMO(f) ((f) & X)"
    assert classify_in_macro(None, text, 22, "X", RULES, "preproc_def", "DEMO") \
        == (Role.COMPOSE, "in macro DEMO")
    assert classify_in_macro(None, text, 22, "X", RULES, "preproc_call", "") \
        == (Role.OTHER, "preprocessor text")
    # Unparsed function-like body: the line decides, else COMPOSE.
    assert classify_in_macro(None, text, 22, "X", RULES, "preproc_function_def",
                             "DEMO") == (Role.CHECK, "tested with & (unparsed)")
    assert classify_in_macro(None, "#define DEMO(f) f X", 18, "X", RULES,
                             "preproc_function_def", "DEMO") \
        == (Role.COMPOSE, "in macro DEMO (unparsed)")


def test_parameter_roles_keep_the_strongest_use() -> None:
    tree = parse_c(b"static bool demo_has(struct d *dev, unsigned long mask)\n"
                   b"{\n\tdev->flags |= mask;\n\treturn dev->flags & mask;\n}\n")
    assert parameter_roles(tree, RULES) == (
        ("demo_has", ((1, Role.CHECK, "tested with &"),)),)
    assert ROLE_PRIORITY.index(Role.CHECK) < ROLE_PRIORITY.index(Role.SET)


def test_call_rule_takes_the_first_definition_giving_a_role() -> None:
    defs = [{0: (Role.SET, "x")}, {1: (Role.CHECK, "tested with &")}]
    assert call_role("demo_has", 1, defs) == (
        Role.CHECK, "passed to demo_has(), which tests argument 2")
    assert call_role("demo_has", 0, defs) == (
        Role.SET, "passed to demo_has(), which stores argument 1")
    assert call_role("demo_has", 2, defs) is None


def test_a_role_prints_as_its_value() -> None:
    # The renderers print roles as they are: a Role must read as its word.
    assert f"{Role.SET:<5}|" == "set  |"
    assert str(Role.COMPOSE) == "compose" and Role.CHECK == "check"


def test_a_local_takes_the_role_of_its_uses() -> None:
    rules = Rules(names={"X": "f"}, matchers={"demo_find": 1})
    data = (b"int f(struct d *d)\n{\n\tunsigned int id = X;\n\tint n = X;\n"
            b"\tstatic unsigned int s = X;\n\n\tif (demo_find(d, id))\n"
            b"\t\treturn 1;\n\treturn n;\n}\n")
    tree = parse_c(data)
    roles = []
    for m in names_regex(["X"]).finditer(data):
        node = tree.root_node.descendant_for_byte_range(m.start(), m.end())
        assert node is not None
        roles.append(classify_node(node, rules)[:2])
    assert roles == [
        (Role.MATCH, "initial value of id, key argument of demo_find()"),
        # No use decides (returned): stored; a static is state.
        (Role.SET, "initial value of n"),
        (Role.SET, "initial value of s")]
