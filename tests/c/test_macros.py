"""Macro bodies parsed on their own, and the #if chain around a node
(patchlens.c.macros)."""

from __future__ import annotations

from patchlens.c.macros import condition_text, parse_body
from patchlens.c.parse import parse_c


def test_a_body_is_parsed_in_the_wrapping_that_reads_it() -> None:
    tree, head = parse_body(b"do { x |= MSI_FLAG_A; } while (0)")
    assert not tree.root_node.has_error
    assert (tree.root_node.text or b"")[head:head + 2] == b"do"
    # An initializer list reads only as an initializer.
    tree, head = parse_body(b"{ .flags = A, }")
    assert not tree.root_node.has_error
    # Line continuations are blanked, keeping byte offsets.
    body = b"(A | \\\n B)"
    tree, head = parse_body(body)
    assert (tree.root_node.text or b"")[head:head + len(body)].startswith(b"(A | ")


def test_condition_text_names_the_chain_without_include_guards() -> None:
    data = (b"#ifndef _LINUX_DEMO_H\n#define _LINUX_DEMO_H\n"
            b"#ifdef CONFIG_A\n#if DEMO_LEVEL > 1\nenum demo { X };\n#endif\n"
            b"#else\nenum other { Y };\n#endif\n#endif\n")
    tree = parse_c(data)
    root = tree.root_node

    def at(word: bytes) -> str | None:
        start = data.index(word)
        node = root.descendant_for_byte_range(start, start + len(word))
        assert node is not None
        return condition_text(node, root)
    assert at(b"X }") == "CONFIG_A && DEMO_LEVEL > 1"
    assert at(b"Y }") == "!CONFIG_A"
    assert condition_text(root, root) is None
