"""C shapes: the calls a function body makes, from the one query run
per file (the extract tests check the run is shared)."""

from __future__ import annotations

from patchlens.c.parse import parse_c
from patchlens.c.shapes import (
    declarator_name, file_matches, function_calls, names_regex, scope_name)
from tests.extract.test_scan_shapes import SHAPES


def test_calls_belong_to_the_body_they_are_in():
    functions, calls = function_calls(file_matches(parse_c(SHAPES)))
    assert functions == ("demo_alloc", "demo_supports")
    # demo_init_value() is called at file scope: no caller.
    assert calls == (("demo_alloc", "demo_get"), ("demo_supports", "demo_has"),
                     ("demo_supports", "demo_token"))


def test_scope_and_declarator_names():
    tree = parse_c(b"static int *demo_table[4] = { A };\n"
                   b"#define DEMO_MASK (A | B)\n"
                   b"enum demo { DEMO_X = A };\n"
                   b"static void demo_fn(void) { x = A; }\n")
    root = tree.root_node
    names = []
    for m in names_regex(["A"]).finditer(root.text or b""):
        node = root.descendant_for_byte_range(m.start(), m.end())
        assert node is not None
        names.append(scope_name(node))
    # The #define body is text to tree-sitter: its scope is the macro.
    assert names == ["demo_table", "DEMO_MASK", "enum demo", "demo_fn"]
    decl = root.named_children[0].child_by_field_name("declarator")
    assert declarator_name(decl) == "demo_table"


def test_names_regex_matches_whole_words_only():
    rx = names_regex(["MSI_FLAG_A", "MSI_FLAG_AB"])
    assert [m.group() for m in rx.finditer(b"MSI_FLAG_AB|MSI_FLAG_A xMSI_FLAG_A")] \
        == [b"MSI_FLAG_AB", b"MSI_FLAG_A"]
    assert names_regex([]).search(b"anything") is None
