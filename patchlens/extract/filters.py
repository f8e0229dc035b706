"""Token filters: ``switch``/``if`` chains deciding on a family value.

A parent domain that switches over ``info->bus_token`` accepts the
tokens it has cases for and does something with every other token in
its ``default`` (reject, WARN, accept, or fall through past the
switch).  That is the basis of "would this parent reject a new child
domain?": a new bus token lands in the default.

Filters are found for the profile's value families (``kind =
"value"``: bus tokens, domain ids), in switch statements with a case
label naming one, and in if/else-if chains comparing a subject with
``==``/``!=`` against one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from tree_sitter import Node, Tree

from patchlens.c.parse import node_text
from patchlens.c.shapes import FileMatches, file_matches, scope_name

__all__ = ["TokenFilter", "find_filters", "DEFAULTS"]

DEFAULTS = ("reject", "warn", "accept", "fallthrough", "unknown")

_WARN = re.compile(r"^(WARN|BUG|pr_warn|pr_err|dev_warn|dev_err)\w*$")
_ERR_LABEL = re.compile(r"err|fail|bad|inval|unsupp", re.I)


@dataclass(frozen=True)
class TokenFilter:
    """One switch or if chain over a family value."""

    function: str
    file: str
    line: int
    kind: str                       # "switch" or "if"
    subject: str                    # "info->bus_token"
    family: str                     # "bus_token"
    accepted: frozenset[str]        # tokens with a case that does not reject
    rejected: frozenset[str]        # tokens with a case that rejects
    default: str                    # one of DEFAULTS
    default_text: str               # what the default does: "WARN, false"


def _function_of(node: Node) -> tuple[str, str]:
    """(name, return type text) of the enclosing function definition."""
    cur = node.parent
    while cur is not None and cur.type != "function_definition":
        cur = cur.parent
    if cur is None:
        return scope_name(node), ""
    ty = cur.child_by_field_name("type")
    return scope_name(node), node_text(ty) if ty is not None else ""


def _rejects(value: str, rtype: str) -> bool:
    v = value.strip().strip("()").strip()
    if v in ("false", "NULL") or v.startswith("-") or v.startswith("ERR_PTR"):
        return True
    if v == "0" and rtype == "bool":
        return True
    return False


def _outcome(stmts: list[Node], rtype: str) -> tuple[str, str]:
    """(verdict, text) of a list of statements ending a branch."""
    warned = False
    for s in stmts:
        for call in _calls(s):
            if _WARN.match(call):
                warned = True
                break
    for s in stmts:
        t = s.type
        if t == "compound_statement":
            return _outcome(list(s.named_children), rtype)
        if t == "return_statement":
            val = s.named_children[0] if s.named_children else None
            vtext = node_text(val) if val is not None else "(void)"
            verdict = "reject" if _rejects(vtext, rtype) else "accept"
            return verdict, ("WARN, " if warned else "") + vtext
        if t == "goto_statement":
            label = node_text(s.named_children[0]) if s.named_children else ""
            verdict = "reject" if _ERR_LABEL.search(label) else "unknown"
            return verdict, ("WARN, " if warned else "") + f"goto {label}"
        if t == "break_statement":
            return ("warn", "WARN, break") if warned else ("accept", "break")
    if warned:
        return "warn", "WARN, falls through"
    return "accept", "falls through"


def _calls(node: Node) -> list[str]:
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "call_expression":
            fn = n.child_by_field_name("function")
            if fn is not None:
                out.append(node_text(fn))
        if n.type in ("if_statement", "switch_statement"):
            # Only unconditional warnings count for the branch itself.
            cond = n.child_by_field_name("condition")
            if cond is not None and n.type == "if_statement":
                continue
        stack.extend(n.named_children)
    return out


def _token(node: Node | None, names: Mapping[str, str],
           families: frozenset[str]) -> str | None:
    while node is not None and node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    if node is None or node.type != "identifier":
        return None
    text = node_text(node)
    return text if names.get(text) in families else None


def _switch_filter(path: str, sw: Node, subject: Node, body: Node,
                   names: Mapping[str, str], families: frozenset[str]
                   ) -> TokenFilter | None:
    fname, rtype = _function_of(sw)
    accepted: set[str] = set()
    rejected: set[str] = set()
    family = ""
    group: list[str] = []
    default: tuple[str, str] | None = None
    in_default = False
    cases = [c for c in body.named_children if c.type == "case_statement"]
    for case in cases:
        value = case.child_by_field_name("value")
        stmts = [c for c in case.named_children if c != value and c.type != "comment"]
        if value is None:
            in_default = True
        else:
            tok = _token(value, names, families)
            if tok is not None:
                group.append(tok)
                family = family or names[tok]
        if not stmts:
            continue            # empty case: shares the next body
        verdict, text = _outcome(stmts, rtype)
        if in_default:
            default = (verdict, text)
        elif verdict == "reject":
            rejected.update(group)
        else:
            accepted.update(group)
        group, in_default = [], False
    if not family:
        return None
    accepted.update(group)
    if default is None:
        default = ("fallthrough", "no default: continues after the switch")
    return TokenFilter(fname, path, sw.start_point[0] + 1, "switch",
                       node_text(subject).strip("()").strip(), family,
                       frozenset(accepted), frozenset(rejected), *default)


def _comparisons(cond: Node | None, names: Mapping[str, str],
                 families: frozenset[str]) -> list[tuple[str, str, str]]:
    """(subject, op, token) for each ``subject ==/!= TOKEN`` in ``cond``."""
    out: list[tuple[str, str, str]] = []
    stack = [cond] if cond is not None else []
    while stack:
        n = stack.pop()
        if n.type == "binary_expression":
            op = n.child_by_field_name("operator")
            if op is not None and op.type in ("==", "!="):
                left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
                for a, b in ((left, right), (right, left)):
                    tok = _token(b, names, families)
                    if tok is not None and a is not None:
                        out.append((node_text(a), op.type, tok))
                        break
                continue
        stack.extend(reversed(n.named_children))
    return out


def _if_filter(path: str, node: Node, names: Mapping[str, str],
               families: frozenset[str]) -> TokenFilter | None:
    if not _comparisons(node.child_by_field_name("condition"), names, families):
        return None             # most ifs: not a token test (skip the climb)
    fname, rtype = _function_of(node)
    accepted: set[str] = set()
    rejected: set[str] = set()
    subject = family = ""
    default: tuple[str, str] | None = None
    cur: Node | None = node
    while cur is not None and cur.type == "if_statement":
        comps = _comparisons(cur.child_by_field_name("condition"), names, families)
        if not comps:
            break
        subject = subject or comps[0][0]
        family = family or names[comps[0][2]]
        toks = {t for _, _, t in comps}
        cons = cur.child_by_field_name("consequence")
        verdict, text = _outcome([cons] if cons is not None else [], rtype)
        if all(op == "!=" for _, op, _ in comps):
            # `if (x != A && x != B) reject;`: the body is what others get.
            accepted |= toks
            default = (verdict, text)
            return TokenFilter(fname, path, node.start_point[0] + 1, "if", subject,
                               family, frozenset(accepted), frozenset(rejected),
                               *default)
        (rejected if verdict == "reject" else accepted).update(toks)
        alt = cur.child_by_field_name("alternative")
        if alt is None:
            default = ("fallthrough", "no else: continues after the if")
            break
        inner = [c for c in alt.named_children if c.type != "comment"]
        if len(inner) == 1 and inner[0].type == "if_statement":
            cur = inner[0]
            continue
        default = _outcome(inner, rtype)
        break
    if not family:
        return None
    if default is None:
        default = ("unknown", "else branch is not a token test")
    return TokenFilter(fname, path, node.start_point[0] + 1, "if", subject, family,
                       frozenset(accepted), frozenset(rejected), *default)


def find_filters(path: str, tree: Tree, names: Mapping[str, str],
                 families: frozenset[str], shapes: FileMatches | None = None
                 ) -> tuple[TokenFilter, ...]:
    """Switch and if chains over values of ``families`` in one file.

    ``shapes``: the file's :func:`patchlens.c.shapes.file_matches`, when
    the caller has them."""
    out: list[TokenFilter] = []
    if not families:
        return ()
    if shapes is None:
        shapes = file_matches(tree)
    for caps in shapes.switches:
        f = _switch_filter(path, caps["switch"][0], caps["subject"][0],
                           caps["body"][0], names, families)
        if f is not None:
            out.append(f)
    for caps in shapes.ifs:
        node = caps["if"][0]
        parent = node.parent
        if parent is not None and parent.type == "else_clause":
            continue            # part of a chain found from its head
        f = _if_filter(path, node, names, families)
        if f is not None:
            out.append(f)
    return tuple(sorted(out, key=lambda f: f.line))
