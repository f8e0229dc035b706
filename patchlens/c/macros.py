"""The preprocessor as tree-sitter leaves it: macro bodies and ``#if``s.

tree-sitter keeps a ``#define`` body as text (``preproc_arg``):
:func:`parse_body` parses it on its own, in the wrapping (statement,
initializer, expression) that reads it with the fewest errors.
:func:`condition_text` names the ``#if``/``#ifdef`` chain around a
node ("CONFIG_A && !CONFIG_B"), skipping include guards.
"""

from __future__ import annotations

import re

from tree_sitter import Node, Tree

from patchlens.c.parse import node_text, parse_c

__all__ = ["parse_body", "condition_text", "INCLUDE_GUARD", "MAX_CONDITION_DEPTH"]

# The wrappings a macro body is parsed in, most common shape first.
_WRAPS = ((b"void __patchlens_macro(void)\n{\n", b"\n;}\n"),
          (b"static int __patchlens_macro[] = {\n", b"\n};\n"),
          (b"static int __patchlens_macro = (\n", b"\n);\n"))

# The name an include guard tests: ``_LINUX_MSI_H``, ``__KERNEL__``.
# (The leading ``_*`` of the old pattern overlapped the class after it:
# quadratic on a long name.)
INCLUDE_GUARD = re.compile(r"^[A-Z0-9_]*_H_*$|^__[A-Z0-9_]+__$")
# Deepest #if nesting a condition names: the innermost levels are kept
# (the kernel nests a handful; a 50,000-deep #ifdef pile is cut).
MAX_CONDITION_DEPTH = 32


def parse_body(body: bytes) -> tuple[Tree, int]:
    """Parse a macro body in the wrapping that gives the fewest errors:
    (tree, offset of the body's first byte in the parsed text)."""
    clean = body.replace(b"\\\r\n", b"  \n").replace(b"\\\n", b" \n")
    best: tuple[Tree, int] | None = None
    for head, tail in _WRAPS:
        tree = parse_c(head + clean + tail)
        if not tree.root_node.has_error:
            return tree, len(head)
        if best is None:
            best = (tree, len(head))
    assert best is not None
    return best


def condition_text(node: Node, root: Node) -> str | None:
    """The #if/#ifdef chain around ``node`` ("CONFIG_A && !CONFIG_B")."""
    parts: list[str] = []
    child = node
    cur = node.parent
    while cur is not None and cur != root:
        if cur.type in ("preproc_ifdef", "preproc_if", "preproc_elif"):
            negate = False
            alt = cur.child_by_field_name("alternative")
            if alt is not None and child.start_byte >= alt.start_byte \
                    and child.end_byte <= alt.end_byte:
                negate = True
            if cur.type == "preproc_ifdef":
                name = cur.child_by_field_name("name")
                word = node_text(name) if name is not None else "?"
                # the directive token, not the whole block's text: copying
                # an include-guard block per definition was quadratic
                ifndef = cur.child_count > 0 and cur.children[0].type == "#ifndef"
                positive = not ifndef
                if INCLUDE_GUARD.match(word) and ifndef:
                    child, cur = cur, cur.parent
                    continue
                text = word if positive != negate else f"!{word}"
            else:
                cond = cur.child_by_field_name("condition")
                word = " ".join(node_text(cond).split()) if cond else "?"
                text = f"!({word})" if negate else word
            parts.append(text)
            if len(parts) >= MAX_CONDITION_DEPTH:
                break
        child, cur = cur, cur.parent
    return " && ".join(reversed(parts)) or None
