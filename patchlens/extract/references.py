"""Reference sites: every occurrence of a family constant, with its role.

An occurrence is found lexically (a whole-word match in the raw bytes,
so nothing the parser misreads is ever lost) and then placed in the
tree-sitter tree of its file:

- in C code it gets a :class:`Role` from its syntactic context (the
  classifier below climbs from the identifier through ``|`` chains,
  parentheses, casts and ``BIT()`` to the construct that gives the
  value its meaning);
- in a ``#define`` body (``preproc_arg``, which tree-sitter leaves as
  text) the body is re-parsed on its own and classified the same way;
- inside a tree-sitter ERROR region a line-text fallback gives the best
  role it can, else ``OTHER`` with reason ``unparsed``;
- in comments and string literals it is a :class:`Mention`, kept apart
  from the role graph (a rename must touch it; the graph must not
  count it).

Arguments of calls to functions that are neither profile setters nor
matchers are left pending (``PendingCall``); the scanner resolves them
one level deep against the parameter roles of the callee's definition
(:func:`parameter_roles`), so ``pci_msi_domain_supports(dev,
MSI_FLAG_PCI_MSIX, ...)`` is a check because the callee tests its
``feature_mask`` parameter.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from tree_sitter import Node

from patchlens.extract.cparse import load_query, matches, node_text, parse_c

__all__ = [
    "Role", "ReferenceSite", "Mention", "PendingCall", "Rules", "FileSites",
    "rules_for", "find_sites", "parameter_roles", "classify_line",
    "names_regex", "scope_name", "ROLE_PRIORITY", "scan_references",
    "FileMatches", "file_matches", "function_calls",
]


class Role(str, Enum):
    """What an occurrence does with the constant's value."""

    DEFINE = "define"
    CHECK = "check"
    SET = "set"
    CLEAR = "clear"
    MATCH = "match"
    COMPOSE = "compose"
    BOUND = "bound"
    OTHER = "other"


# When a parameter is used in several ways, the strongest use decides
# what passing a constant to it means.
ROLE_PRIORITY = (Role.CHECK, Role.MATCH, Role.SET, Role.CLEAR, Role.BOUND)


@dataclass(frozen=True)
class ReferenceSite:
    """One code occurrence of ``name`` in a ``.c``/``.h`` file."""

    name: str
    role: Role
    reason: str
    file: str
    line: int                 # 1-based
    column: int               # 1-based, in bytes
    function: str             # enclosing function, macro or variable
    text: str                 # the source line, stripped
    subsystem: str = ""       # MAINTAINERS entry (or top two components)


@dataclass(frozen=True)
class Mention:
    """An occurrence outside code: comment, string, documentation."""

    name: str
    kind: str                 # "comment", "string", "documentation", "text"
    file: str
    line: int
    column: int
    text: str


@dataclass(frozen=True)
class PendingCall:
    """Site ``index`` is argument ``arg`` of a call to ``callee``."""

    index: int
    callee: str
    arg: int


@dataclass(frozen=True)
class Rules:
    """What the classifier needs: the names and the profile's calls.

    ``names`` maps each constant (or flag-set macro) to its family key
    (or ``"flagset"``); ``setters``/``matchers`` map a function to the
    index of its value / key argument.
    """

    names: Mapping[str, str]
    setters: Mapping[str, int] = field(default_factory=dict)
    matchers: Mapping[str, int] = field(default_factory=dict)
    structs: tuple[str, ...] = ()
    value_families: frozenset[str] = frozenset()

    def key(self) -> str:
        """A stable text naming these rules (for cache keys)."""
        return repr((sorted(self.names.items()), sorted(self.setters.items()),
                     sorted(self.matchers.items()), self.structs,
                     sorted(self.value_families)))


@dataclass(frozen=True)
class FileSites:
    """What :func:`find_sites` finds in one file."""

    sites: tuple[ReferenceSite, ...]
    mentions: tuple[Mention, ...]
    pending: tuple[PendingCall, ...]
    flagsets: tuple[tuple[str, tuple[str, ...]], ...]   # macro -> names


def rules_for(profile, names: Mapping[str, str]) -> Rules:
    """Rules from a :class:`patchlens.extract.profile.Profile` and names."""
    value_families = frozenset(f.key for f in profile.families if f.kind == "value")
    return Rules(names=dict(names),
                 setters={c.function: c.arg for c in profile.setters},
                 matchers={c.function: c.arg for c in profile.matchers},
                 structs=tuple(s.name for s in profile.structs),
                 value_families=value_families)


def names_regex(names: Iterable[str]) -> re.Pattern[bytes]:
    """One bytes regex matching any of ``names`` as a whole C word."""
    alts = b"|".join(re.escape(n.encode()) for n in sorted(names, key=len, reverse=True))
    return re.compile(rb"(?<![A-Za-z0-9_])(?:" + (alts or b"(?!x)x") + rb")(?![A-Za-z0-9_])")


# -- scopes ------------------------------------------------------------------

def _declarator_name(node: Node | None) -> str:
    """The identifier a (possibly pointer/array/function) declarator names."""
    while node is not None:
        if node.type in ("identifier", "field_identifier", "type_identifier"):
            return node_text(node)
        nxt = node.child_by_field_name("declarator")
        if nxt is None:
            for child in node.named_children:
                if child.type in ("identifier", "field_identifier"):
                    return node_text(child)
            return ""
        node = nxt
    return ""


def scope_name(node: Node) -> str:
    """The enclosing function, macro, enum/struct or file-scope variable."""
    cur = node.parent
    while cur is not None:
        t = cur.type
        if t == "function_definition":
            return _declarator_name(cur.child_by_field_name("declarator"))
        if t in ("preproc_def", "preproc_function_def"):
            name = cur.child_by_field_name("name")
            return node_text(name) if name is not None else ""
        if t in ("enum_specifier", "struct_specifier", "union_specifier"):
            name = cur.child_by_field_name("name")
            if cur.child_by_field_name("body") is not None:
                tag = node_text(name) if name is not None else "(anonymous)"
                return f"{t.split('_')[0]} {tag}"
        if t == "declaration" and cur.parent is not None and \
                cur.parent.type in ("translation_unit", "preproc_if",
                                    "preproc_ifdef", "preproc_else", "preproc_elif"):
            decl = cur.child_by_field_name("declarator")
            return _declarator_name(decl)
        cur = cur.parent
    return ""


# -- the classifier ------------------------------------------------------------

_TRANSPARENT = frozenset({"parenthesized_expression", "cast_expression",
                          "comma_expression"})
# Function-like macros whose argument is its value, shifted into a mask.
_BIT_MACROS = frozenset({"BIT", "BIT_ULL", "BIT_MASK", "BIT_ULL_MASK", "_BITUL",
                         "_BITULL", "BIT_U32", "BIT_U64"})
# Calls whose argument is a truth value.
_TRUTH_CALLS = frozenset({"WARN_ON", "WARN_ON_ONCE", "BUG_ON", "likely",
                          "unlikely", "WARN", "WARN_ONCE", "if", "assert",
                          "BUILD_BUG_ON", "static_assert"})
_ERRORS = frozenset({"ERROR"})


def _op(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return op.type if op is not None else ""


def _callee(call: Node) -> str:
    fn = call.child_by_field_name("function")
    return node_text(fn) if fn is not None and fn.type == "identifier" else ""


def _truth_context(expr: Node) -> bool:
    """Whether the value of ``expr`` is used as a truth value or compared."""
    cur = expr
    while True:
        parent = cur.parent
        if parent is None:
            return False
        t = parent.type
        if t == "parenthesized_expression":
            if parent.parent is not None and parent.parent.type in (
                    "if_statement", "while_statement", "do_statement",
                    "switch_statement"):
                return True
            cur = parent
            continue
        if t == "cast_expression":
            cur = parent
            continue
        if t in ("if_statement", "while_statement", "do_statement"):
            return True
        if t == "for_statement":
            return parent.child_by_field_name("condition") == cur
        if t == "unary_expression":
            return _op(parent) == "!"
        if t == "binary_expression":
            return _op(parent) in ("&&", "||", "==", "!=", "<", ">", "<=", ">=")
        if t == "conditional_expression":
            return parent.child_by_field_name("condition") == cur
        if t == "return_statement":
            return True
        if t == "argument_list" and parent.parent is not None:
            return _callee(parent.parent) in _TRUTH_CALLS
        if t == "init_declarator":
            decl = parent.parent
            ty = decl.child_by_field_name("type") if decl is not None else None
            return ty is not None and node_text(ty) == "bool"
        return False


def classify_node(node: Node, rules: Rules, *, in_macro: bool = False
                  ) -> tuple[Role, str, tuple[str, int] | None]:
    """(role, reason, pending call) for an identifier node in parsed code.

    The pending call is ``(callee, argument index)`` when the role
    depends on what the callee does with the argument.
    """
    cur = node
    negated = False
    arithmetic = ""
    while True:
        parent = cur.parent
        if parent is None:
            return Role.OTHER, "at top level", None
        t = parent.type
        if t in _ERRORS:
            return Role.OTHER, "unparsed", None
        if t in _TRANSPARENT:
            cur = parent
            continue
        if t == "binary_expression":
            op = _op(parent)
            if op == "|" or op == "<<" and parent.child_by_field_name("right") == cur:
                cur = parent
                continue
            if op in ("==", "!="):
                return Role.CHECK, f"compared with {op}", None
            if op in ("<", "<=", ">", ">="):
                return Role.BOUND, f"range check {op}", None
            if op == "&":
                if negated:
                    return Role.CLEAR, "masked out with & ~", None
                if _truth_context(parent) or in_macro:
                    return Role.CHECK, "tested with &", None
                return Role.OTHER, "masked with &", None
            if op in ("&&", "||"):
                return Role.CHECK, f"truth value in {op}", None
            if op in ("+", "-", "*", "/", "%", ">>", "<<", "^"):
                arithmetic = arithmetic or f"arithmetic {op}"
                cur = parent
                continue
            return Role.OTHER, f"operand of {op}", None
        if t == "unary_expression":
            op = _op(parent)
            if op == "~":
                negated = True
                cur = parent
                continue
            if op == "!":
                return Role.CHECK, "truth value (!)", None
            cur = parent
            continue
        if t == "argument_list":
            call = parent.parent
            if call is None or call.type != "call_expression":
                return Role.OTHER, "argument", None
            callee = _callee(call)
            idx = next((i for i, c in enumerate(parent.named_children)
                        if c == cur), -1)
            if callee in _BIT_MACROS:
                cur = call
                continue
            if rules.setters.get(callee) == idx:
                return Role.SET, f"value argument of {callee}()", None
            if rules.matchers.get(callee) == idx:
                return Role.MATCH, f"key argument of {callee}()", None
            if callee in _TRUTH_CALLS:
                return Role.CHECK, f"truth value in {callee}()", None
            if not callee:
                return Role.OTHER, "argument of an indirect call", None
            return Role.OTHER, f"argument {idx + 1} of {callee}()", (callee, idx)
        if t == "assignment_expression":
            if parent.child_by_field_name("left") == cur:
                return Role.OTHER, "assigned to", None
            op = _op(parent)
            if op == "&=":
                return (Role.CLEAR, "cleared with &= ~", None) if negated else \
                       (Role.OTHER, "masked with &=", None)
            if negated:
                return Role.CLEAR, f"masked out with ~ in {op}", None
            if arithmetic:
                return Role.OTHER, f"{arithmetic}, then {op}", None
            if op in ("=", "|="):
                up = parent.parent
                if up is not None and up.type == "for_statement" and \
                        up.child_by_field_name("initializer") == parent:
                    return Role.BOUND, "loop start", None
                target = parent.child_by_field_name("left")
                what = node_text(target) if target is not None else ""
                return Role.SET, f"{op} into {what}"[:60], None
            return Role.OTHER, f"operand of {op}", None
        if t == "init_declarator":
            if parent.child_by_field_name("declarator") == cur:
                return Role.OTHER, "declared name", None
            if negated:
                return Role.CLEAR, "masked out with ~", None
            name = _declarator_name(parent.child_by_field_name("declarator"))
            if arithmetic:
                return Role.OTHER, f"{arithmetic} in initial value of {name}", None
            return Role.SET, f"initial value of {name}", None
        if t == "initializer_pair":
            if parent.child_by_field_name("value") != cur:
                return Role.MATCH, "array designator (table index)", None
            des = [node_text(c) for c in parent.named_children
                   if c.type == "field_designator"]
            what = ".".join(d.lstrip(".") for d in des) if des else "element"
            return Role.SET, f".{what} =", None
        if t in ("subscript_designator",):
            return Role.MATCH, "array designator (table index)", None
        if t == "initializer_list":
            return Role.OTHER, "initializer list element", None
        if t == "case_statement":
            return Role.CHECK, "case label", None
        if t == "subscript_expression":
            if parent.child_by_field_name("index") == cur:
                return Role.MATCH, "array index", None
            return Role.OTHER, "subscripted", None
        if t == "array_declarator":
            return Role.BOUND, "array dimension", None
        if t == "conditional_expression":
            if parent.child_by_field_name("condition") == cur:
                return Role.CHECK, "?: condition", None
            cur = parent
            continue
        if t in ("if_statement", "while_statement", "do_statement", "switch_statement"):
            return Role.CHECK, f"{t.split('_')[0]} condition", None
        if t == "for_statement":
            return Role.BOUND, "loop bound", None
        if t == "return_statement":
            return Role.OTHER, arithmetic or "returned", None
        if t == "enumerator":
            if parent.child_by_field_name("name") == cur:
                return Role.DEFINE, "enumerator", None
            return Role.COMPOSE, "enumerator value", None
        if t in ("preproc_def", "preproc_function_def"):
            return Role.DEFINE, "#define", None
        if t in ("preproc_ifdef", "preproc_defined", "preproc_elifdef"):
            return Role.OTHER, "preprocessor test", None
        if t in ("preproc_if", "preproc_elif"):
            return Role.CHECK, "#if condition", None
        if t == "field_expression":
            return Role.OTHER, "field access", None
        if t == "sizeof_expression":
            return Role.OTHER, "sizeof", None
        if t == "expression_statement":
            return Role.OTHER, arithmetic or "statement", None
        return Role.OTHER, arithmetic or f"in {t}", None


# -- line-text fallback (ERROR regions, unparseable macro bodies) --------

def classify_line(text: str, col: int, name: str, rules: Rules
                  ) -> tuple[Role, str]:
    """The best role the text of one line gives an occurrence at ``col``.

    ``col`` is the 0-based index of ``name`` in ``text``.
    """
    before = text[:col].rstrip()
    after = text[col + len(name):].lstrip()
    if re.search(r"\bcase\s*$", before):
        return Role.CHECK, "case label (unparsed)"
    if re.search(r"#\s*define\s*$", before):
        return Role.DEFINE, "#define (unparsed)"
    if re.search(r"&=\s*~?\s*[\w(|\s]*$", before) and "~" in before:
        return Role.CLEAR, "cleared with &= ~ (unparsed)"
    if re.search(r"(==|!=)\s*$", before) or re.match(r"(==|!=)", after):
        return Role.CHECK, "compared (unparsed)"
    if re.search(r"(<|>|<=|>=)\s*$", before) or re.match(r"(<=|>=|<(?!<)|>(?!>))", after):
        return Role.BOUND, "range check (unparsed)"
    for fn, arg in rules.matchers.items():
        if re.search(rf"\b{re.escape(fn)}\s*\(", before):
            return Role.MATCH, f"argument of {fn}() (unparsed)"
    for fn, arg in rules.setters.items():
        if re.search(rf"\b{re.escape(fn)}\s*\(", before):
            return Role.SET, f"argument of {fn}() (unparsed)"
    if re.search(r"[^&]&\s*\(?\s*$", before):
        return Role.CHECK, "tested with & (unparsed)"
    if re.search(r"\.\w+\s*=\s*[\w\s|()]*$", before):
        return Role.SET, "designated initializer (unparsed)"
    if re.search(r"(\|=|[^=!<>]=)\s*[\w\s|()]*$", before):
        return Role.SET, "assigned (unparsed)"
    if re.search(r"\[\s*$", before) and after.startswith("]"):
        return Role.BOUND, "array dimension (unparsed)"
    return Role.OTHER, "unparsed"


# -- macro bodies ----------------------------------------------------------------

_WRAPS = ((b"void __patchlens_macro(void)\n{\n", b"\n;}\n"),
          (b"static int __patchlens_macro[] = {\n", b"\n};\n"),
          (b"static int __patchlens_macro = (\n", b"\n);\n"))


def _parse_body(body: bytes):
    """Parse a macro body in the wrapping that gives the fewest errors."""
    clean = body.replace(b"\\\r\n", b"  \n").replace(b"\\\n", b" \n")
    best = None
    for head, tail in _WRAPS:
        tree = parse_c(head + clean + tail)
        if not tree.root_node.has_error:
            return tree, len(head)
        if best is None:
            best = (tree, len(head))
    return best


def _has_error_ancestor(node: Node) -> bool:
    cur: Node | None = node
    while cur is not None:
        if cur.type == "ERROR" or cur.is_missing:
            return True
        cur = cur.parent
    return False


# -- per-file extraction ------------------------------------------------------------

_MENTION_TYPES = {"comment": "comment", "string_content": "string",
                  "string_literal": "string", "char_literal": "string",
                  "system_lib_string": "string", "escape_sequence": "string",
                  "raw_string_literal": "string", "raw_string_content": "string"}


def _line_bounds(data: bytes, start: int) -> tuple[int, int]:
    lo = data.rfind(b"\n", 0, start) + 1
    hi = data.find(b"\n", start)
    return lo, (len(data) if hi < 0 else hi)


def find_sites(path: str, data: bytes, tree, rules: Rules,
               rx: re.Pattern[bytes] | None = None) -> FileSites:
    """Every occurrence of ``rules.names`` in one C file.

    ``tree`` is the file's tree-sitter tree (``parse_c(data)``).
    """
    rx = rx or names_regex(rules.names)
    root = tree.root_node
    sites: list[ReferenceSite] = []
    mentions: list[Mention] = []
    pending: list[PendingCall] = []
    flagsets: dict[str, list[str]] = {}
    macro_trees: dict[int, tuple] = {}
    line, counted = 1, 0
    for m in rx.finditer(data):
        start, end = m.span()
        name = m.group().decode()
        lo, hi = _line_bounds(data, start)
        line += data.count(b"\n", counted, start)
        counted = start
        col = start - lo
        text = data[lo:hi].decode("utf-8", "replace")
        node = root.descendant_for_byte_range(start, end)
        kind = _MENTION_TYPES.get(node.type) if node is not None else None
        if kind is None and node is not None and node.parent is not None:
            kind = _MENTION_TYPES.get(node.parent.type) if node.type not in (
                "identifier", "type_identifier", "field_identifier") else None
        if kind is not None:
            mentions.append(Mention(name, kind, path, line, col + 1, text.strip()))
            continue
        if node is None:
            role, reason = classify_line(text, col, name, rules)
            sites.append(ReferenceSite(name, role, reason, path, line, col + 1,
                                       "", text.strip()))
            continue
        if node.type == "preproc_arg":
            macro = node.parent
            mname_node = macro.child_by_field_name("name") if macro is not None else None
            mname = node_text(mname_node) if mname_node is not None else ""
            func_like = macro is not None and macro.type == "preproc_function_def"
            if macro is not None and macro.type in ("preproc_def",) and mname:
                flagsets.setdefault(mname, [])
                if name not in flagsets[mname]:
                    flagsets[mname].append(name)
            key = node.start_byte
            if key not in macro_trees:
                macro_trees[key] = _parse_body(data[node.start_byte:node.end_byte])
            sub, head = macro_trees[key]
            off = start - node.start_byte + head
            inner = sub.root_node.descendant_for_byte_range(off, off + len(name))
            ikind = _MENTION_TYPES.get(inner.type) if inner is not None else None
            if ikind is not None:
                mentions.append(Mention(name, ikind, path, line, col + 1, text.strip()))
                continue
            if macro is None or macro.type != "preproc_function_def" and \
                    macro.type != "preproc_def":
                sites.append(ReferenceSite(name, Role.OTHER, "preprocessor text",
                                           path, line, col + 1, mname, text.strip()))
                continue
            if not func_like:
                sites.append(ReferenceSite(name, Role.COMPOSE, f"in macro {mname}",
                                           path, line, col + 1, mname, text.strip()))
                continue
            if inner is None or _has_error_ancestor(inner):
                role, reason = classify_line(text, col, name, rules)
                if role is Role.OTHER:
                    role, reason = Role.COMPOSE, f"in macro {mname} (unparsed)"
            else:
                role, reason, call = classify_node(inner, rules, in_macro=True)
                if call is not None or role is Role.OTHER:
                    role, reason = Role.COMPOSE, f"in macro {mname}: {reason}"
            sites.append(ReferenceSite(name, role, reason, path, line, col + 1,
                                       mname, text.strip()))
            continue
        scope = scope_name(node)
        if _has_error_ancestor(node):
            role, reason = classify_line(text, col, name, rules)
            if role is Role.OTHER:
                reason = "unparsed"
            call = None
        else:
            role, reason, call = classify_node(node, rules)
        if call is not None:
            pending.append(PendingCall(len(sites), call[0], call[1]))
        sites.append(ReferenceSite(name, role, reason, path, line, col + 1,
                                   scope, text.strip()))
    return FileSites(tuple(sites), tuple(mentions), tuple(pending),
                     tuple((k, tuple(v)) for k, v in flagsets.items()))


# -- the one-level call rule -------------------------------------------------------

def _param_names(params: Node) -> list[tuple[int, str | None]]:
    """(index, name) per parameter; None for pointers (they hold no flags)."""
    out: list[tuple[int, str | None]] = []
    for i, p in enumerate(c for c in params.named_children
                          if c.type in ("parameter_declaration",
                                        "variadic_parameter")):
        decl = p.child_by_field_name("declarator")
        if decl is None or decl.type in ("pointer_declarator", "array_declarator",
                                         "function_declarator"):
            out.append((i, None))
            continue
        out.append((i, _declarator_name(decl)))
    return out


def parameter_roles(tree, rules: Rules, shapes: "FileMatches | None" = None
                    ) -> tuple[tuple[str, tuple[tuple[int, str, str], ...]], ...]:
    """Per defined function: (param index, role, reason) of its
    non-pointer parameters that it checks, sets, clears, matches or
    bounds.  Calls it makes with the parameter are not followed (one
    level deep).  ``shapes``: the file's :func:`file_matches`, when
    the caller has them."""
    out = []
    shapes = shapes or file_matches(tree)
    for caps in shapes.functions:
        fname = node_text(caps["name"][0])
        params = [(i, n) for i, n in _param_names(caps["params"][0]) if n]
        if not params:
            continue
        by_name = {n: i for i, n in params}
        best: dict[int, tuple[Role, str]] = {}
        for ident in _uses(caps["body"][0], by_name):
            i = by_name[node_text(ident)]
            role, reason, _ = classify_node(ident, rules)
            if role not in ROLE_PRIORITY:
                continue
            have = best.get(i)
            if have is None or ROLE_PRIORITY.index(role) < ROLE_PRIORITY.index(have[0]):
                best[i] = (role, reason)
        if best:
            out.append((fname, tuple((i, r.value, why) for i, (r, why)
                                     in sorted(best.items()))))
    return tuple(out)


_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _uses(body: Node, names: Iterable[str]) -> list[Node]:
    """The identifier nodes in ``body`` spelled as one of ``names``, in
    document order.  Found in the bytes and placed in the tree (as
    :func:`find_sites` does): a query capturing every identifier of
    every body cost more than the rest of the rule, and so did a regex
    per parameter list (most are compiled once: 0.1 s a kernel scan)."""
    text = body.text or b""
    base = body.start_byte
    starts: list[tuple[int, int]] = []
    for name in names:
        word = name.encode()
        i = text.find(word)
        while i >= 0:
            end = i + len(word)
            if (i == 0 or text[i - 1] not in _WORD_BYTES) and \
                    (end == len(text) or text[end] not in _WORD_BYTES):
                starts.append((i, end))
            i = text.find(word, end)
    out = []
    for i, end in sorted(starts):
        start, stop = base + i, base + end
        node = body.descendant_for_byte_range(start, stop)
        if node is not None and node.type == "identifier" and \
                node.start_byte == start and node.end_byte == stop:
            out.append(node)
    return out


@dataclass(frozen=True)
class FileMatches:
    """The shapes of one file the extractors read, from one run of
    ``queries/references_file.scm`` (captures by name per match)."""

    functions: tuple[dict[str, list[Node]], ...]   # @function @name @params @body
    calls: tuple[Node, ...]                        # @callee
    structs: tuple[dict[str, list[Node]], ...]     # @type @variable @init
    switches: tuple[dict[str, list[Node]], ...]    # @switch @subject @body
    ifs: tuple[dict[str, list[Node]], ...]         # @if @condition


def file_matches(tree) -> FileMatches:
    """One walk of the tree for every shape (see :class:`FileMatches`)."""
    functions, calls, structs, switches, ifs = [], [], [], [], []
    for _, caps in matches(load_query("references_file"), tree.root_node):
        if "function" in caps:
            functions.append(caps)
        elif "callee" in caps:
            calls.append(caps["callee"][0])
        elif "init" in caps:
            structs.append(caps)
        elif "switch" in caps:
            switches.append(caps)
        elif "if" in caps:
            ifs.append(caps)
    return FileMatches(tuple(functions), tuple(calls), tuple(structs),
                       tuple(switches), tuple(ifs))


def function_calls(shapes: FileMatches) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """(names of the defined functions in order, sorted (caller, callee)
    pairs of the direct calls in their bodies)."""
    functions: list[str] = []
    bodies: list[tuple[int, int, str]] = []
    for caps in shapes.functions:
        fname = node_text(caps["name"][0])
        functions.append(fname)
        body = caps["body"][0]
        bodies.append((body.start_byte, body.end_byte, fname))
    bodies.sort()
    starts = [b[0] for b in bodies]
    # Bodies nest only in ERROR recovery; then every enclosing one counts.
    nested = any(bodies[k][0] < bodies[k - 1][1] for k in range(1, len(bodies)))
    calls: set[tuple[str, str]] = set()
    for c in shapes.calls:
        lo, hi = c.start_byte, c.end_byte
        if nested:
            owners = [f for s, e, f in bodies if s <= lo and hi <= e]
        else:
            k = bisect_right(starts, lo) - 1
            owners = [bodies[k][2]] if k >= 0 and hi <= bodies[k][1] else []
        if owners:
            callee = node_text(c)
            for f in owners:
                calls.add((f, callee))
    return tuple(dict.fromkeys(functions)), tuple(sorted(calls))




def scan_references(source, names, profile, *, cache: bool = True, jobs: int = 2,
                    progress: bool = False, local: Iterable[str] = ()):
    """The whole-tree scan; see :func:`patchlens.extract.scan.scan_references`."""
    from patchlens.extract.scan import scan_references as scan
    return scan(source, names, profile, cache=cache, jobs=jobs, progress=progress,
                local=local)
