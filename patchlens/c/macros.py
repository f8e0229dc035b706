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

from patchlens.c.ancestry import Ancestry, ancestry_of
from patchlens.c.parse import node_text, parse_c
from patchlens.limits import MAX_CONDITION_DEPTH

__all__ = ["parse_body", "condition_text", "INCLUDE_GUARD", "MAX_CONDITION_DEPTH"]

# The wrappings a macro body is parsed in, most common shape first.
_WRAPS = ((b"void __patchlens_macro(void)\n{\n", b"\n;}\n"),
          (b"static int __patchlens_macro[] = {\n", b"\n};\n"),
          (b"static int __patchlens_macro = (\n", b"\n);\n"))

# The name an include guard tests: ``_LINUX_MSI_H``, ``__KERNEL__``.
# (The leading ``_*`` of the old pattern overlapped the class after it:
# quadratic on a long name.)
INCLUDE_GUARD = re.compile(r"^[A-Z0-9_]*_H_*$|^__[A-Z0-9_]+__$")


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


# One #if level around a node: (text, depth of the directive, outer levels).
_Chain = tuple[str, int, "_Chain | None"]


def _level(directive: Node, child: Node) -> str | None:
    """The text ``directive`` contributes for ``child`` (one of its
    children), or None (not a condition, or an include guard)."""
    if directive.type not in ("preproc_ifdef", "preproc_if", "preproc_elif"):
        return None
    negate = False
    alt = directive.child_by_field_name("alternative")
    if alt is not None and child.start_byte >= alt.start_byte \
            and child.end_byte <= alt.end_byte:
        negate = True
    if directive.type == "preproc_ifdef":
        name = directive.child_by_field_name("name")
        word = node_text(name) if name is not None else "?"
        # the directive token, not the whole block's text: copying
        # an include-guard block per definition was quadratic
        ifndef = directive.child_count > 0 and directive.children[0].type == "#ifndef"
        if INCLUDE_GUARD.match(word) and ifndef:
            return None
        return word if (not ifndef) != negate else f"!{word}"
    cond = directive.child_by_field_name("condition")
    word = " ".join(node_text(cond).split()) if cond else "?"
    return f"!({word})" if negate else word


def condition_text(node: Node, root: Node, anc: Ancestry | None = None) -> str | None:
    """The #if/#ifdef chain around ``node`` ("CONFIG_A && !CONFIG_B"),
    from the directives between ``node`` and ``root``.

    ``anc``: the tree's :class:`~patchlens.c.ancestry.Ancestry`; each
    node's chain is its parent's plus at most one level, computed once,
    so a question costs at most :data:`MAX_CONDITION_DEPTH` steps."""
    a = anc or ancestry_of(root)

    def step(n: Node, p: Node | None, v: _Chain | None) -> _Chain | None:
        if p is None:
            return None
        text = _level(p, n)
        return v if text is None else (text, a.depth(p), v)
    chain = a.derived("condition", node, step)
    stop = a.depth(root)
    parts: list[str] = []
    while chain is not None and chain[1] > stop and len(parts) < MAX_CONDITION_DEPTH:
        parts.append(chain[0])
        chain = chain[2]
    return " && ".join(reversed(parts)) or None
