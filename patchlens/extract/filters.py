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

What a filter *means* depends on whose token it tests (issue 13's
kinds).  The scanner records the facts that decide it -- the enclosing
function's parameter types (:attr:`TokenFilter.params`), where the
tested variable comes from (:attr:`TokenFilter.origin`: ``arg 3`` for
the callback's fourth parameter, ``arg 0->host_data`` for a local
initialised from it) and the field tested -- and :func:`filter_kind`
reads them against the profile's ``[[callback]]`` tables: a test of the
child's ``info->bus_token`` in an ``init_dev_msi_info`` callback is a
parent's decision on a child (``child``), a test of the callback's own
domain is not (``own``), a select/match callback's key is a lookup
(``lookup``), and outside callbacks a tested field is the holder's own
token (``own``) and a tested value a core helper's (``core``).

Each case label keeps the configuration it needs: a case inside
``#ifdef CONFIG_X`` exists only when X is set, and a case whose body
starts with ``if (WARN_ON_ONCE(!IS_ENABLED(CONFIG_X))) return false;``
accepts only when X is set (:attr:`TokenFilter.conditions`).
:func:`value_macros` reads the ``#define`` lines naming family values
(``MATCH_PCI_MSI`` = ``BIT(DOMAIN_BUS_PCI_MSI)`` under
``#ifdef CONFIG_PCI_MSI``), so a select mask's members carry their
condition too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from tree_sitter import Node, Tree

from patchlens.c.ancestry import Ancestry
from patchlens.c.macros import condition_text
from patchlens.c.parse import node_text
from patchlens.c.shapes import (FileMatches, declarator_name, file_matches,
                                scope_name)
from patchlens.extract.profile import CallbackSpec

__all__ = ["TokenFilter", "FilterKind", "FilterAction", "ValueMacro", "CallbackSpec", "find_filters", "signature",
           "value_macros", "filter_kind", "DEFAULTS", "KINDS", "CHILD",
           "SELECT", "OWN", "LOOKUP", "CORE"]



class FilterKind(StrEnum):
    """The statement a filter is: a ``switch``, an ``if`` chain, or a
    parent's select mask (``mask``: made from struct fields by the
    adapter, never by a statement here)."""
    SWITCH = "switch"
    IF = "if"
    MASK = "mask"


class FilterAction(StrEnum):
    """What a filter's branch (its default: what an unlisted token
    gets) does."""
    REJECT = "reject"
    WARN = "warn"
    ACCEPT = "accept"
    FALLTHROUGH = "fallthrough"
    UNKNOWN = "unknown"


DEFAULTS = tuple(FilterAction)

# Issue 13's kinds: (a) a parent's decision on a child's token, (b) a
# parent found by a lookup token (select mask/token: made from struct
# fields by the accept question, never by a switch here), (c) a test of
# the holder's own token, (d) core helpers; a select/match callback's
# key is a lookup (never a child's token).
CHILD, SELECT, OWN, LOOKUP, CORE = "child", "select", "own", "lookup", "core"
KINDS = (CHILD, SELECT, OWN, LOOKUP, CORE)

_IS_ENABLED = re.compile(r"(!\s*)?IS_ENABLED\s*\(\s*(CONFIG_\w+)\s*\)")

_WARN = re.compile(r"^(WARN|BUG|pr_warn|pr_err|dev_warn|dev_err)\w*$")
_ERR_LABEL = re.compile(r"err|fail|bad|inval|unsupp", re.I)


@dataclass(frozen=True)
class TokenFilter:
    """One switch or if chain over a family value."""

    function: str
    file: str
    line: int
    kind: FilterKind                # switch or if
    subject: str                    # "info->bus_token"
    family: str                     # "bus_token"
    accepted: frozenset[str]        # tokens with a case that does not reject
    rejected: frozenset[str]        # tokens with a case that rejects
    default: FilterAction           # what an unlisted token gets
    default_text: str               # what the default does: "WARN, false"
    # The enclosing function's parameter types, normalised
    # ("struct irq_domain *"): which callback it is.
    params: tuple[str, ...] = ()
    # Where the tested variable comes from: "arg 3" (a parameter),
    # "arg 0->host_data" (a local initialised from one), "local",
    # "global" or "" (not traced); and the field tested ("bus_token";
    # "" when the subject is a plain value).
    origin: str = ""
    member: str = ""
    # token -> the configuration its case needs ("CONFIG_PCI_MSI").
    conditions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ValueMacro:
    """A ``#define`` naming family values: ``MATCH_PCI_MSI`` is
    ``BIT(DOMAIN_BUS_PCI_MSI)`` when ``CONFIG_PCI_MSI`` is set."""

    name: str
    tokens: tuple[str, ...]
    condition: str | None
    file: str
    line: int


def _function_of(node: Node, anc: Ancestry) -> tuple[str, str]:
    """(name, return type text) of the enclosing function definition."""
    cur = _function_node(node, anc)
    if cur is None:
        return scope_name(node, anc), ""
    ty = cur.child_by_field_name("type")
    return scope_name(node, anc), node_text(ty) if ty is not None else ""


def _rejects(value: str, rtype: str) -> bool:
    v = value.strip().strip("()").strip()
    if v in ("false", "NULL") or v.startswith("-") or v.startswith("ERR_PTR"):
        return True
    if v == "0" and rtype == "bool":
        return True
    return False


def _outcome(stmts: list[Node], rtype: str) -> tuple[FilterAction, str]:
    """(verdict, text) of a list of statements ending a branch.

    A block is read in place of the list (a loop: blocks nested 20,000
    deep are no recursion), and whether the branch warns is computed
    for the list that decides only (once per branch, not per level)."""
    while True:
        def warned() -> bool:
            return any(_WARN.match(call) for s in stmts for call in _calls(s))
        for s in stmts:
            t = s.type
            if t == "compound_statement":
                stmts = list(s.named_children)
                break
            if t == "return_statement":
                val = s.named_children[0] if s.named_children else None
                vtext = node_text(val) if val is not None else "(void)"
                verdict = FilterAction.REJECT if _rejects(vtext, rtype) \
                    else FilterAction.ACCEPT
                return verdict, ("WARN, " if warned() else "") + vtext
            if t == "goto_statement":
                label = node_text(s.named_children[0]) if s.named_children else ""
                verdict = FilterAction.REJECT if _ERR_LABEL.search(label) \
                    else FilterAction.UNKNOWN
                return verdict, ("WARN, " if warned() else "") + f"goto {label}"
            if t == "break_statement":
                return (FilterAction.WARN, "WARN, break") if warned() \
                    else (FilterAction.ACCEPT, "break")
        else:
            if warned():
                return FilterAction.WARN, "WARN, falls through"
            return FilterAction.ACCEPT, "falls through"


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


def _function_node(node: Node, anc: Ancestry) -> Node | None:
    """The nearest enclosing function definition (a lookup: see
    :class:`~patchlens.c.ancestry.Ancestry`)."""
    return anc.nearest("function", node, lambda n: n.type == "function_definition")


def _parameters(fn: Node | None) -> list[Node]:
    if fn is None:
        return []
    decl = fn.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    plist = decl.child_by_field_name("parameters") if decl is not None else None
    if plist is None:
        return []
    return [c for c in plist.named_children if c.type == "parameter_declaration"]


def _param_type(p: Node) -> str:
    """``const struct irq_domain *d`` -> ``struct irq_domain *``."""
    ty = p.child_by_field_name("type")
    text = " ".join(node_text(ty).split()) if ty is not None else "?"
    stars = 0
    decl = p.child_by_field_name("declarator")
    while decl is not None and decl.type == "pointer_declarator":
        stars += 1
        decl = decl.child_by_field_name("declarator")
    return text + (" " + "*" * stars if stars else "")


def signature(fn: Node | None) -> tuple[str, ...]:
    """The normalised parameter types of a function definition."""
    return tuple(_param_type(p) for p in _parameters(fn))


def _strip(node: Node | None) -> Node | None:
    while node is not None and node.type in ("parenthesized_expression",
                                             "cast_expression",
                                             "pointer_expression"):
        inner = node.child_by_field_name("value") or \
            node.child_by_field_name("argument") or \
            (node.named_children[-1] if node.named_children else None)
        if inner is None or inner == node:
            break
        node = inner
    return node


def _local_init(fn: Node, name: str, before: int) -> Node | None:
    """The initialiser of local ``name`` declared before byte ``before``."""
    body = fn.child_by_field_name("body")
    if body is None:
        return None
    stack = [body]
    found: Node | None = None
    while stack:
        n = stack.pop()
        if n.start_byte >= before:
            continue
        if n.type == "init_declarator":
            if declarator_name(n.child_by_field_name("declarator")) == name:
                found = n.child_by_field_name("value")
            continue
        if n.type in ("function_definition",):
            continue
        stack.extend(n.named_children)
    return found


def _root(node: Node | None, fn: Node | None, depth: int = 0) -> str:
    """Where an expression's value comes from: ``arg N`` plus the
    fields followed from it (``arg 0->host_data``), ``local``,
    ``global`` or ``""``."""
    node = _strip(node)
    if node is None or fn is None or depth > 4:
        return ""
    if node.type == "identifier":
        name = node_text(node)
        for i, p in enumerate(_parameters(fn)):
            if declarator_name(p.child_by_field_name("declarator")) == name:
                return f"arg {i}"
        init = _local_init(fn, name, node.start_byte)
        if init is not None:
            return _root(init, fn, depth + 1) or "local"
        return "global"
    if node.type == "field_expression":
        base = _root(node.child_by_field_name("argument"), fn, depth)
        op = node.child_by_field_name("operator")
        field = node.child_by_field_name("field")
        if not base or field is None:
            return base
        return base + (node_text(op) if op is not None else "->") + \
            node_text(field)
    return ""


def _origin(subject: Node | None, fn: Node | None) -> tuple[str, str]:
    """(origin, member) of a filter's subject: ``info->bus_token`` in
    ``f(..., struct msi_domain_info *info)`` is (``arg 3``,
    ``bus_token``); a plain ``bus_token`` parameter is (``arg 2``, "")."""
    node = _strip(subject)
    if node is None:
        return "", ""
    if node.type == "field_expression":
        field = node.child_by_field_name("field")
        member = node_text(field) if field is not None else ""
        return _root(node.child_by_field_name("argument"), fn), member
    return _root(node, fn), ""


def _guard(stmts: list[Node]) -> str | None:
    """The configuration a case body demands before it accepts:
    ``if (WARN_ON_ONCE(!IS_ENABLED(CONFIG_X))) return false;`` or
    ``if (IS_ENABLED(CONFIG_X)) break;`` (the rest refuses)."""
    for s in stmts:
        if s.type != "if_statement":
            break
        cond = s.child_by_field_name("condition")
        m = _IS_ENABLED.search(node_text(cond)) if cond is not None else None
        if m is None:
            break
        cons = s.child_by_field_name("consequence")
        inner = [cons] if cons is not None else []
        while inner and inner[0].type == "compound_statement":
            inner = list(inner[0].named_children)
        first = inner[0].type if inner else ""
        if m.group(1) and first in ("return_statement", "goto_statement"):
            return m.group(2)
        if not m.group(1) and first == "break_statement":
            return m.group(2)
    return None


def _cases(body: Node, anc: Ancestry) -> list[tuple[Node, str | None]]:
    """The switch's case statements in order, each with the ``#if``
    condition it sits under (cases inside ``#ifdef`` blocks included)."""
    out: list[tuple[Node, str | None]] = []
    stack = list(reversed(body.named_children))
    while stack:
        n = stack.pop()
        if n.type == "case_statement":
            out.append((n, condition_text(n, body, anc)))
        elif n.type in ("preproc_ifdef", "preproc_if", "preproc_elif",
                        "preproc_else"):
            stack.extend(reversed(n.named_children))
    return out


def _and(*conds: str | None) -> str | None:
    parts = [c for c in conds if c]
    return " && ".join(dict.fromkeys(parts)) or None


def _switch_filter(path: str, sw: Node, subject: Node, body: Node,
                   names: Mapping[str, str], families: frozenset[str],
                   anc: Ancestry) -> TokenFilter | None:
    fname, rtype = _function_of(sw, anc)
    accepted: set[str] = set()
    rejected: set[str] = set()
    conditions: dict[str, str] = {}
    family = ""
    group: list[tuple[str, str | None]] = []
    default: tuple[FilterAction, str] | None = None
    in_default = False
    for case, where in _cases(body, anc):
        value = case.child_by_field_name("value")
        stmts = [c for c in case.named_children if c != value and c.type != "comment"]
        if value is None:
            in_default = True
        else:
            tok = _token(value, names, families)
            if tok is not None:
                group.append((tok, where))
                family = family or names[tok]
        if not stmts:
            continue            # empty case: shares the next body
        verdict, text = _outcome(stmts, rtype)
        guard = _guard(stmts)
        if in_default:
            default = (verdict, text)
        elif verdict is FilterAction.REJECT:
            rejected.update(t for t, _ in group)
        else:
            for t, cond in group:
                accepted.add(t)
                both = _and(cond, guard)
                if both:
                    conditions[t] = both
        group, in_default = [], False
    if not family:
        return None
    for t, cond in group:
        accepted.add(t)
        if cond:
            conditions[t] = cond
    if default is None:
        default = (FilterAction.FALLTHROUGH,
                   "no default: continues after the switch")
    fn = _function_node(sw, anc)
    origin, member = _origin(subject, fn)
    return TokenFilter(fname, path, sw.start_point[0] + 1, FilterKind.SWITCH,
                       node_text(subject).strip("()").strip(), family,
                       frozenset(accepted), frozenset(rejected), *default,
                       params=signature(fn), origin=origin, member=member,
                       conditions=tuple(sorted(conditions.items())))


def _comparisons(cond: Node | None, names: Mapping[str, str],
                 families: frozenset[str]) -> list[tuple[str, str, str, Node]]:
    """(subject, op, token, subject node) for each ``subject ==/!= TOKEN``
    in ``cond``."""
    out: list[tuple[str, str, str, Node]] = []
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
                        out.append((node_text(a), op.type, tok, a))
                        break
                continue
        stack.extend(reversed(n.named_children))
    return out


def _if_filter(path: str, node: Node, names: Mapping[str, str],
               families: frozenset[str], anc: Ancestry) -> TokenFilter | None:
    if not _comparisons(node.child_by_field_name("condition"), names, families):
        return None             # most ifs: not a token test (skip the climb)
    fname, rtype = _function_of(node, anc)
    accepted: set[str] = set()
    rejected: set[str] = set()
    subject = family = ""
    subject_node: Node | None = None
    default: tuple[FilterAction, str] | None = None
    fn = _function_node(node, anc)
    cur: Node | None = node
    while cur is not None and cur.type == "if_statement":
        comps = _comparisons(cur.child_by_field_name("condition"), names, families)
        if not comps:
            break
        subject = subject or comps[0][0]
        subject_node = subject_node or comps[0][3]
        family = family or names[comps[0][2]]
        toks = {t for _, _, t, _ in comps}
        cons = cur.child_by_field_name("consequence")
        verdict, text = _outcome([cons] if cons is not None else [], rtype)
        if all(op == "!=" for _, op, _, _ in comps):
            # `if (x != A && x != B) reject;`: the body is what others get.
            accepted |= toks
            default = (verdict, text)
            origin, member = _origin(subject_node, fn)
            return TokenFilter(fname, path, node.start_point[0] + 1,
                               FilterKind.IF, subject,
                               family, frozenset(accepted), frozenset(rejected),
                               *default, params=signature(fn), origin=origin,
                               member=member)
        (rejected if verdict is FilterAction.REJECT else accepted).update(toks)
        alt = cur.child_by_field_name("alternative")
        if alt is None:
            default = (FilterAction.FALLTHROUGH,
                       "no else: continues after the if")
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
        default = (FilterAction.UNKNOWN, "else branch is not a token test")
    origin, member = _origin(subject_node, fn)
    return TokenFilter(fname, path, node.start_point[0] + 1, FilterKind.IF,
                       subject, family,
                       frozenset(accepted), frozenset(rejected), *default,
                       params=signature(fn), origin=origin, member=member)


def find_filters(path: str, tree: Tree, names: Mapping[str, str],
                 families: frozenset[str], shapes: FileMatches | None = None,
                 anc: Ancestry | None = None) -> tuple[TokenFilter, ...]:
    """Switch and if chains over values of ``families`` in one file.

    ``shapes``: the file's :func:`patchlens.c.shapes.file_matches`, and
    ``anc`` its :class:`~patchlens.c.ancestry.Ancestry`, when the caller
    has them."""
    out: list[TokenFilter] = []
    if not families:
        return ()
    if shapes is None:
        shapes = file_matches(tree)
    anc = anc or Ancestry(tree.root_node)
    for caps in shapes.switches:
        f = _switch_filter(path, caps["switch"][0], caps["subject"][0],
                           caps["body"][0], names, families, anc)
        if f is not None:
            out.append(f)
    for caps in shapes.ifs:
        node = caps["if"][0]
        parent = anc.parent(node)
        if parent is not None and parent.type == "else_clause":
            continue            # part of a chain found from its head
        f = _if_filter(path, node, names, families, anc)
        if f is not None:
            out.append(f)
    return tuple(sorted(out, key=lambda f: f.line))


_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")


def value_macros(path: str, tree: Tree, names: Mapping[str, str],
                 families: frozenset[str], anc: Ancestry | None = None
                 ) -> tuple[ValueMacro, ...]:
    """``#define`` lines of one file whose body names values of
    ``families``, each with the ``#if`` condition it sits under."""
    if not families:
        return ()
    out: list[ValueMacro] = []
    anc = anc or Ancestry(tree.root_node)
    stack = [tree.root_node]
    while stack:
        n = stack.pop()
        if n.type == "preproc_def":
            name = n.child_by_field_name("name")
            value = n.child_by_field_name("value")
            if name is None or value is None:
                continue
            toks = tuple(dict.fromkeys(
                t for t in _IDENT.findall(node_text(value))
                if names.get(t) in families))
            if toks:
                out.append(ValueMacro(node_text(name), toks,
                                      condition_text(n, tree.root_node, anc), path,
                                      n.start_point[0] + 1))
            continue
        if n.type in ("function_definition", "declaration"):
            continue
        stack.extend(n.named_children)
    return tuple(sorted(out, key=lambda m: m.line))


def _typed(origin: str, params: tuple[str, ...]) -> str:
    """``arg 3->x`` as the parameter's type: ``struct msi_domain_info *->x``."""
    m = re.match(r"arg (\d+)(.*)$", origin)
    if m is None or int(m.group(1)) >= len(params):
        return origin
    return params[int(m.group(1))] + m.group(2)


def filter_kind(f: TokenFilter, callbacks: tuple[CallbackSpec, ...],
                core: tuple[str, ...] = ()) -> str:
    """What a filter decides (:data:`KINDS`), from whose token it tests.

    In a callback the profile names (matched by its prototype, or by
    its name and the parameters' types), the origin of the tested
    variable decides: the child's info or domain
    (``child``), the domain providing the callback (``own``), a search
    key (``lookup``).  Elsewhere a filter never decides on a child: in
    the ``core`` folders it is a core helper's, else a tested field is
    its holder's own token and a tested value a helper's (``core``)."""
    for cb in callbacks:
        if f.params == cb.params:
            origin, spec = f.origin, cb
        elif f.function.endswith(cb.name) and f.origin.startswith("arg "):
            # Named for the callback with another prototype (a wrapper,
            # an older kernel): the parameters match by type.
            origin = _typed(f.origin, f.params)
            spec = CallbackSpec(cb.name, cb.params,
                                *(tuple(_typed(o, cb.params) for o in os)
                                  for os in (cb.child, cb.own, cb.lookup)))
        else:
            continue
        if origin in spec.child:
            return CHILD
        if origin in spec.lookup:
            return LOOKUP
        if origin in spec.own:
            return OWN
    if any(f.file.startswith(c) for c in core):
        return CORE
    return OWN if f.member else CORE
