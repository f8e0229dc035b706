"""What the extractors ask about a node's ancestors, answered by lookup.

tree-sitter's ``Node.parent`` is not a pointer: it descends from the
root each time (O(depth), times the siblings passed), so a walk up from
every match was quadratic in the nesting -- a 500-branch ``else if``
chain took 16 s, 8,000 nested parentheses 12 s.  An :class:`Ancestry`
makes one iterative downward pass (a ``TreeCursor``, no recursion) over
each top-level item of the file the first time a node in it is asked
about, and records every node's parent.  What is asked per match --
the enclosing scope, whether it lies in an ERROR region, the ``#if``
chain around it -- is a value per node derived from its parent's
value: :meth:`Ancestry.derived` computes it once per node, top-down,
and a match answers by lookup.  Work per file is linear in its nodes,
whatever the nesting.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import Any, TypeVar

from tree_sitter import Node

__all__ = ["Ancestry", "ancestry_of"]

V = TypeVar("V")

# A derived value: f(node, parent, parent's value); the root's value
# is f(root, None, None).
Step = Callable[[Node, "Node | None", "V | None"], V]


class Ancestry:
    """Parents, child indexes and derived per-node values of one tree."""

    def __init__(self, root: Node) -> None:
        self.root = root
        self._parent: dict[int, Node | None] = {root.id: None}
        self._depth: dict[int, int] = {root.id: 0}
        tops = root.children
        self._tops = tops
        self._top_starts = [c.start_byte for c in tops]
        self._walked = [False] * len(tops)
        for c in tops:
            self._parent[c.id] = root
        self._leaf_starts: list[list[int]] = [[] for _ in tops]
        self._leaves: list[list[Node]] = [[] for _ in tops]
        self._all = not tops
        self._memo: dict[str, dict[Any, Any]] = {}
        self._named: dict[int, dict[int, int]] = {}

    # -- the downward pass ---------------------------------------------------

    def _walk_top(self, k: int) -> None:
        """Record the parent of every node under top-level item ``k``."""
        if self._walked[k]:
            return
        self._walked[k] = True
        top = self._tops[k]
        parent = self._parent
        starts, leaves = self._leaf_starts[k], self._leaves[k]
        cursor = top.walk()
        stack = [top]
        while True:
            if cursor.goto_first_child():
                node = cursor.node
                assert node is not None
                parent[node.id] = stack[-1]
                stack.append(node)
                continue
            starts.append(stack[-1].start_byte)      # a leaf
            leaves.append(stack[-1])
            while True:
                if len(stack) == 1:
                    return
                if cursor.goto_next_sibling():
                    node = cursor.node
                    assert node is not None
                    stack[-1] = node
                    parent[node.id] = stack[-2]
                    break
                cursor.goto_parent()
                stack.pop()

    def _walk_all(self) -> None:
        for k in range(len(self._tops)):
            self._walk_top(k)
        self._all = True

    def _top_index(self, start: int) -> int:
        return bisect_right(self._top_starts, start) - 1

    def _ensure(self, node: Node) -> bool:
        """Whether ``node`` is known (walking what may hold it)."""
        if node.id in self._parent:
            return True
        if not self._all:
            k = self._top_index(node.start_byte)
            if k >= 0:
                self._walk_top(k)
                if node.id in self._parent:
                    return True
            self._walk_all()
        return node.id in self._parent

    # -- lookups ---------------------------------------------------------------

    def parent(self, node: Node) -> Node | None:
        """``node.parent``, in O(1) after the pass."""
        known = self._parent
        if node.id in known:
            return known[node.id]
        if self._ensure(node):
            return self._parent[node.id]
        return node.parent          # not from this tree: tree-sitter's answer

    def depth(self, node: Node) -> int:
        """The number of ancestors of ``node``."""
        return self.derived("depth", node,
                            lambda n, p, v: 0 if v is None else v + 1)

    def named_index(self, node: Node) -> int:
        """The index of ``node`` among its parent's named children (-1
        when it is not one): one listing per parent, not per question."""
        parent = self.parent(node)
        if parent is None:
            return -1
        index = self._named.get(parent.id)
        if index is None:
            index = {c.id: i for i, c in enumerate(parent.named_children)}
            self._named[parent.id] = index
        return index.get(node.id, -1)

    def leaf_at(self, start: int, end: int) -> Node | None:
        """The leaf holding the byte range ``[start, end)`` (what
        ``descendant_for_byte_range`` returns then), found by bisection;
        None when no single leaf holds it."""
        k = self._top_index(start)
        if k < 0:
            return None
        self._walk_top(k)
        j = bisect_right(self._leaf_starts[k], start) - 1
        if j < 0:
            return None
        leaf = self._leaves[k][j]
        if leaf.start_byte <= start and leaf.end_byte >= end and leaf.end_byte > start:
            return leaf
        return None

    def leaf_for_range(self, start: int, end: int) -> Node | None:
        """``root.descendant_for_byte_range(start, end)``: by bisection
        (:meth:`leaf_at`); tree-sitter's own descent (O(depth) per
        call) only when no single leaf holds the range."""
        leaf = self.leaf_at(start, end)
        if leaf is not None:
            return leaf
        return self.root.descendant_for_byte_range(start, end)

    def memo(self, name: str) -> dict[Any, Any]:
        """A table kept with the tree under ``name``, for a caller's own
        per-node answers (keys hold node ids)."""
        return self._memo.setdefault(name, {})

    def derived(self, name: str, node: Node, step: Step[V]) -> V:
        """The value ``step`` derives for ``node`` from its parent's
        (``step(node, parent, parent_value)``), computed once per node
        of the tree, top-down, and kept under ``name``."""
        memo = self._memo.setdefault(name, {})
        path: list[Node] = []
        cur: Node | None = node
        while cur is not None and cur.id not in memo:
            path.append(cur)
            cur = self.parent(cur)
        value: V | None = None if cur is None else memo[cur.id]
        parent = cur
        for n in reversed(path):
            value = step(n, parent, value)
            memo[n.id] = value
            parent = n
        return value  # type: ignore[return-value]

    def nearest(self, name: str, node: Node, test: Callable[[Node], bool]
                ) -> Node | None:
        """The nearest strict ancestor of ``node`` passing ``test``."""
        def step(n: Node, p: Node | None, v: tuple[Node | None] | None
                 ) -> tuple[Node | None]:
            if p is None:
                return (None,)
            return (p,) if test(p) else v if v is not None else (None,)
        return self.derived(name, node, step)[0]


def ancestry_of(node: Node) -> Ancestry:
    """An :class:`Ancestry` of the tree ``node`` belongs to (for callers
    that hold a node only; the extractors build one per tree)."""
    root = node
    while True:
        up = root.parent
        if up is None:
            return Ancestry(root)
        root = up
