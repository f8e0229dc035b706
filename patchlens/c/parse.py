"""C parsing with tree-sitter: the one place that builds parsers and queries.

Every extractor parses through here, so the grammar, the query files
(``queries/*.scm``) and the node helpers exist once.  Parsers are
cheap but not thread-safe: one per process (the scanner uses processes).
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import tree_sitter_c
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

__all__ = [
    "C_LANGUAGE", "parse_c", "load_query", "captures", "matches",
    "node_text", "enclosing",
]

C_LANGUAGE = Language(tree_sitter_c.language())


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(C_LANGUAGE)


def parse_c(source: bytes) -> Tree:
    """Parse C source; tree-sitter never fails, it marks ERROR regions."""
    return _parser().parse(source)


@lru_cache(maxsize=None)
def load_query(name: str) -> Query:
    """The query in ``queries/<name>.scm``."""
    text = files("patchlens.queries").joinpath(f"{name}.scm").read_text("utf-8")
    return Query(C_LANGUAGE, text)


def captures(query: Query, node: Node) -> dict[str, list[Node]]:
    """Captures by name, each list in document order."""
    return QueryCursor(query).captures(node)


def matches(query: Query, node: Node) -> list[tuple[int, dict[str, list[Node]]]]:
    """Matches as (pattern index, captures by name)."""
    return QueryCursor(query).matches(node)


def node_text(node: Node) -> str:
    """The node's source text (C source is decoded as UTF-8, lossily)."""
    return (node.text or b"").decode("utf-8", "replace")


def enclosing(node: Node, *types: str) -> Node | None:
    """The nearest ancestor of one of ``types``, or None."""
    cur = node.parent
    while cur is not None:
        if cur.type in types:
            return cur
        cur = cur.parent
    return None
