"""C parsing with tree-sitter: the one place that builds parsers and queries.

Every extractor parses through here, so the grammar, the query files
(``queries/*.scm``) and the node helpers exist once.  Parsers are
cheap but not thread-safe: one per process (the scanner uses processes).
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from importlib.resources import files

import tree_sitter_c
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree
from patchlens.limits import MAX_SYNTAX_DEPTH

__all__ = [
    "C_LANGUAGE", "parse_c", "load_query", "captures", "matches",
    "too_deep", "MAX_SYNTAX_DEPTH",
    "node_text",
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


def too_deep(node: Node, limit: int = MAX_SYNTAX_DEPTH) -> bool:
    """Whether the syntax tree under ``node`` nests deeper than
    ``limit`` levels (one cursor walk, stopping at the limit)."""
    cursor = node.walk()
    depth = 0
    while True:
        if cursor.goto_first_child():
            depth += 1
            if depth > limit:
                return True
            continue
        while not cursor.goto_next_sibling():
            if depth == 0 or not cursor.goto_parent():
                return False
            depth -= 1


def _refuse(path: str) -> None:
    warnings.warn(f"{path or 'C source'}: not read: nested deeper than "
                  f"{MAX_SYNTAX_DEPTH} syntax levels", Warning, stacklevel=3)


def captures(query: Query, node: Node, path: str = "") -> dict[str, list[Node]]:
    """Captures by name, each list in document order.  None from a
    tree nested deeper than :data:`MAX_SYNTAX_DEPTH` (a query cursor
    loses nodes past 65,535 levels and slows down well before): the
    file's definitions are not read, with a warning naming ``path``."""
    if too_deep(node):
        _refuse(path)
        return {}
    return QueryCursor(query).captures(node)


def matches(query: Query, node: Node, path: str = ""
            ) -> list[tuple[int, dict[str, list[Node]]]]:
    """Matches as (pattern index, captures by name); none from a tree
    nested too deep (see :func:`captures`)."""
    if too_deep(node):
        _refuse(path)
        return []
    return QueryCursor(query).matches(node)


def node_text(node: Node) -> str:
    """The node's source text (C source is decoded as UTF-8, lossily)."""
    return (node.text or b"").decode("utf-8", "replace")

