"""Roles: what an occurrence of a constant does with its value.

Every role is decided here, in one of five ways:

- in parsed C code, :func:`classify_node` climbs from the identifier
  through ``|`` chains, parentheses, casts and bit macros
  (``BIT()``) to the construct that gives the value its meaning (a
  local scalar's initial value: what the local's uses do); each
  construct is a handler in :data:`_HANDLERS`, keyed by the tree-sitter
  node type (the visitor idea of pycparser's ``NodeVisitor``);
- in a region tree-sitter could not parse, :func:`classify_line` reads
  the text of the line (:func:`classify_code` picks between the two);
- in a ``#define`` body, :func:`classify_in_macro` classifies the
  re-parsed body and turns what does not act on the value into
  ``COMPOSE`` (the macro composes the constant into another name);
- a function's parameters get the strongest role its body gives them
  (:func:`parameter_roles`, ordered by :data:`ROLE_PRIORITY`);
- an argument passed to such a function gets the parameter's role,
  through helpers that pass it on, to any depth (:class:`Helpers`: a
  fixed point over the calls, with the chain of helpers that decided).

A :class:`Role` stays a ``Role`` up to the renderer, which prints its
value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from tree_sitter import Node, Tree

from patchlens.c.ancestry import Ancestry, ancestry_of
from patchlens.c.parse import node_text
from patchlens.c.shapes import (
    FileMatches, callee_name, declarator_name, file_matches,
    has_error_ancestor, identifier_uses, param_names)
from patchlens.c.widths import BIT_MACROS
from patchlens.limits import MAX_CHAIN, MAX_LOCAL_BODY

if TYPE_CHECKING:
    from patchlens.extract.profile import Profile

__all__ = [
    "Role", "ROLE_PRIORITY", "Rules", "rules_for", "Classified",
    "classify_node", "classify_line", "classify_code", "classify_in_macro",
    "ParamRoles", "ParamForwards", "parameter_roles", "parameter_uses",
    "call_role", "Helper", "Decided", "Helpers", "MAX_CHAIN",
]


class Role(StrEnum):
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
    # The profile's calls whose argument is a truth value (WARN_ON).
    truth_calls: frozenset[str] = frozenset()

    def key(self) -> str:
        """A stable text naming these rules (for cache keys)."""
        return repr((sorted(self.names.items()), sorted(self.setters.items()),
                     sorted(self.matchers.items()), self.structs,
                     sorted(self.value_families), sorted(self.truth_calls)))

    def truth_call(self, callee: str) -> bool:
        """Whether ``callee``'s argument is a truth value: C's
        (``if``, ``assert``) or one the profile names."""
        return callee in _TRUTH_CALLS or callee in self.truth_calls


def rules_for(profile: Profile, names: Mapping[str, str]) -> Rules:
    """Rules from a :class:`patchlens.extract.profile.Profile` and names."""
    value_families = frozenset(f.key for f in profile.families if f.kind == "value")
    return Rules(names=dict(names),
                 setters={c.function: c.arg for c in profile.setters},
                 matchers={c.function: c.arg for c in profile.matchers},
                 structs=tuple(s.name for s in profile.structs),
                 value_families=value_families,
                 truth_calls=frozenset(profile.truth_calls))


# (role, reason, pending call): the call is ``(callee, argument index)``
# when the role depends on what the callee does with the argument.
Classified = tuple[Role, str, "tuple[str, int] | None"]


# -- the node classifier: one handler per node type -------------------------

# C's calls whose argument is a truth value (the kernel's -- WARN_ON,
# likely -- are the profile's [calls] truth: Rules.truth_calls).
_TRUTH_CALLS = frozenset({"if", "assert", "static_assert"})


@dataclass
class _Climb:
    """Where the climb is (``node``, whose parent a handler reads) and
    what it has passed on the way up."""

    node: Node
    rules: Rules
    in_macro: bool
    anc: Ancestry
    negated: bool = False        # under a ~
    arithmetic: str = ""         # the first arithmetic operator passed
    follow_locals: bool = True   # a local's initial value: read its uses


# A handler reads ``parent`` (the parent of ``climb.node``): it gives
# the verdict, or moves ``climb.node`` up and gives None to go on.
_Handler = Callable[[Node, _Climb], "Classified | None"]


def _op(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return op.type if op is not None else ""


def _truth_context(expr: Node, rules: Rules, anc: Ancestry) -> bool:
    """Whether the value of ``expr`` is used as a truth value or compared."""
    cur = expr
    while True:
        parent = anc.parent(cur)
        if parent is None:
            return False
        t = parent.type
        if t == "parenthesized_expression":
            up = anc.parent(parent)
            if up is not None and up.type in (
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
        if t == "argument_list":
            call = anc.parent(parent)
            return call is not None and rules.truth_call(callee_name(call))
        if t == "init_declarator":
            decl = anc.parent(parent)
            ty = decl.child_by_field_name("type") if decl is not None else None
            return ty is not None and node_text(ty) == "bool"
        return False


def _up(parent: Node, climb: _Climb) -> Classified | None:
    """Go on climbing from ``parent``."""
    climb.node = parent
    return None


def _unparsed(parent: Node, climb: _Climb) -> Classified:
    return Role.OTHER, "unparsed", None


def _binary(parent: Node, climb: _Climb) -> Classified | None:
    op = _op(parent)
    if op == "|" or op == "<<" and parent.child_by_field_name("right") == climb.node:
        return _up(parent, climb)
    if op in ("==", "!="):
        return Role.CHECK, f"compared with {op}", None
    if op in ("<", "<=", ">", ">="):
        return Role.BOUND, f"range check {op}", None
    if op == "&":
        if climb.negated:
            return Role.CLEAR, "masked out with & ~", None
        if _truth_context(parent, climb.rules, climb.anc) or climb.in_macro:
            return Role.CHECK, "tested with &", None
        return Role.OTHER, "masked with &", None
    if op in ("&&", "||"):
        return Role.CHECK, f"truth value in {op}", None
    if op in ("+", "-", "*", "/", "%", ">>", "<<", "^"):
        climb.arithmetic = climb.arithmetic or f"arithmetic {op}"
        return _up(parent, climb)
    return Role.OTHER, f"operand of {op}", None


def _unary(parent: Node, climb: _Climb) -> Classified | None:
    op = _op(parent)
    if op == "~":
        climb.negated = True
    elif op == "!":
        return Role.CHECK, "truth value (!)", None
    return _up(parent, climb)


def _argument(parent: Node, climb: _Climb) -> Classified | None:
    call = climb.anc.parent(parent)
    if call is None or call.type != "call_expression":
        return Role.OTHER, "argument", None
    callee = callee_name(call)
    idx = climb.anc.named_index(climb.node)
    if callee in BIT_MACROS:
        # The argument is shifted into a mask: the mask is the value.
        return _up(call, climb)
    rules = climb.rules
    if rules.setters.get(callee) == idx:
        return Role.SET, f"value argument of {callee}()", None
    if rules.matchers.get(callee) == idx:
        return Role.MATCH, f"key argument of {callee}()", None
    if rules.truth_call(callee):
        return Role.CHECK, f"truth value in {callee}()", None
    if not callee:
        return Role.OTHER, "argument of an indirect call", None
    return Role.OTHER, f"argument {idx + 1} of {callee}()", (callee, idx)


def _assignment(parent: Node, climb: _Climb) -> Classified:
    if parent.child_by_field_name("left") == climb.node:
        return Role.OTHER, "assigned to", None
    op = _op(parent)
    if op == "&=":
        return (Role.CLEAR, "cleared with &= ~", None) if climb.negated else \
               (Role.OTHER, "masked with &=", None)
    if climb.negated:
        return Role.CLEAR, f"masked out with ~ in {op}", None
    if climb.arithmetic:
        return Role.OTHER, f"{climb.arithmetic}, then {op}", None
    if op in ("=", "|="):
        up = climb.anc.parent(parent)
        if up is not None and up.type == "for_statement" and \
                up.child_by_field_name("initializer") == parent:
            return Role.BOUND, "loop start", None
        target = parent.child_by_field_name("left")
        what = node_text(target) if target is not None else ""
        return Role.SET, f"{op} into {what}"[:60], None
    return Role.OTHER, f"operand of {op}", None


def _init_declarator(parent: Node, climb: _Climb) -> Classified:
    if parent.child_by_field_name("declarator") == climb.node:
        return Role.OTHER, "declared name", None
    if climb.negated:
        return Role.CLEAR, "masked out with ~", None
    name = declarator_name(parent.child_by_field_name("declarator"))
    if climb.arithmetic:
        return Role.OTHER, f"{climb.arithmetic} in initial value of {name}", None
    if climb.follow_locals:
        use = _local_use(parent, name, climb.rules, climb.anc)
        if use is not None:
            return use[0], f"initial value of {name}, {use[1]}"[:80], None
    return Role.SET, f"initial value of {name}", None


# A function body longer than this is not read for a local's uses (a
# kernel function is a few KiB; a generated one must not make each
# site a walk of the whole body).
_LOCAL_BODY_MAX = MAX_LOCAL_BODY


def _local_use(init: Node, name: str, rules: Rules, anc: Ancestry
               ) -> tuple[Role, str] | None:
    """The strongest role the uses of a local scalar variable give the
    value it starts with (``unsigned int domid = MSI_DEFAULT_DOMAIN;``
    then ``msi_get_device_domain(dev, domid)``: a key), or None (not a
    plain local, or no use decides: it is stored)."""
    decl, var = anc.parent(init), init.child_by_field_name("declarator")
    block = anc.parent(decl) if decl is not None else None
    if decl is None or decl.type != "declaration" or block is None or \
            block.type != "compound_statement" or \
            var is None or var.type != "identifier":
        return None
    if any(c.type == "storage_class_specifier" for c in decl.children):
        return None                     # static: state, not an alias
    ty = decl.child_by_field_name("type")
    if ty is None or ty.type in ("struct_specifier", "union_specifier"):
        return None
    body = _function_body(block, anc)
    if body.end_byte - body.start_byte > _LOCAL_BODY_MAX:
        return None                     # each site reads the body: bounded
    best: tuple[Role, str] | None = None
    for ident in identifier_uses(body, [name], anc):
        if ident.start_byte < init.end_byte:
            continue
        role, reason, _ = classify_node(ident, rules, anc=anc, follow_locals=False)
        if role in ROLE_PRIORITY and (best is None or ROLE_PRIORITY.index(role)
                                      < ROLE_PRIORITY.index(best[0])):
            best = (role, reason)
    return best


def _initializer_pair(parent: Node, climb: _Climb) -> Classified:
    if parent.child_by_field_name("value") != climb.node:
        return Role.MATCH, "array designator (table index)", None
    des = [node_text(c) for c in parent.named_children
           if c.type == "field_designator"]
    what = ".".join(d.lstrip(".") for d in des) if des else "element"
    return Role.SET, f".{what} =", None


def _subscript(parent: Node, climb: _Climb) -> Classified:
    if parent.child_by_field_name("index") == climb.node:
        return Role.MATCH, "array index", None
    return Role.OTHER, "subscripted", None


def _conditional(parent: Node, climb: _Climb) -> Classified | None:
    if parent.child_by_field_name("condition") == climb.node:
        return Role.CHECK, "?: condition", None
    return _up(parent, climb)


def _condition(parent: Node, climb: _Climb) -> Classified:
    return Role.CHECK, f"{parent.type.split('_')[0]} condition", None


def _enumerator(parent: Node, climb: _Climb) -> Classified:
    if parent.child_by_field_name("name") == climb.node:
        return Role.DEFINE, "enumerator", None
    return Role.COMPOSE, "enumerator value", None


def _fixed(role: Role, reason: str) -> _Handler:
    """A handler giving one verdict, whatever the climb passed."""
    def handler(parent: Node, climb: _Climb) -> Classified:
        return role, reason, None
    return handler


def _closing(reason: str) -> _Handler:
    """OTHER, naming the arithmetic passed on the way, if any."""
    def handler(parent: Node, climb: _Climb) -> Classified:
        return Role.OTHER, climb.arithmetic or reason, None
    return handler


def _other(parent: Node, climb: _Climb) -> Classified:
    return Role.OTHER, climb.arithmetic or f"in {parent.type}", None


_HANDLERS: Mapping[str, _Handler] = {
    "ERROR": _unparsed,
    "parenthesized_expression": _up,
    "cast_expression": _up,
    "comma_expression": _up,
    "binary_expression": _binary,
    "unary_expression": _unary,
    "argument_list": _argument,
    "assignment_expression": _assignment,
    "init_declarator": _init_declarator,
    "initializer_pair": _initializer_pair,
    "subscript_designator": _fixed(Role.MATCH, "array designator (table index)"),
    "initializer_list": _fixed(Role.OTHER, "initializer list element"),
    "case_statement": _fixed(Role.CHECK, "case label"),
    "subscript_expression": _subscript,
    "array_declarator": _fixed(Role.BOUND, "array dimension"),
    "conditional_expression": _conditional,
    "if_statement": _condition,
    "while_statement": _condition,
    "do_statement": _condition,
    "switch_statement": _condition,
    "for_statement": _fixed(Role.BOUND, "loop bound"),
    "return_statement": _closing("returned"),
    "enumerator": _enumerator,
    "preproc_def": _fixed(Role.DEFINE, "#define"),
    "preproc_function_def": _fixed(Role.DEFINE, "#define"),
    "preproc_ifdef": _fixed(Role.OTHER, "preprocessor test"),
    "preproc_defined": _fixed(Role.OTHER, "preprocessor test"),
    "preproc_elifdef": _fixed(Role.OTHER, "preprocessor test"),
    "preproc_if": _fixed(Role.CHECK, "#if condition"),
    "preproc_elif": _fixed(Role.CHECK, "#if condition"),
    "field_expression": _fixed(Role.OTHER, "field access"),
    "sizeof_expression": _fixed(Role.OTHER, "sizeof"),
    "expression_statement": _closing("statement"),
}


def classify_node(node: Node, rules: Rules, *, in_macro: bool = False,
                  follow_locals: bool = True, anc: Ancestry | None = None
                  ) -> Classified:
    """(role, reason, pending call) for an identifier node in parsed code.

    The pending call is ``(callee, argument index)`` when the role
    depends on what the callee does with the argument.  ``in_macro``:
    the node is in a macro body, where a ``&`` is a test.
    ``follow_locals``: the initial value of a local scalar takes the
    strongest role its uses give it (one alias deep).  ``anc``: the
    tree's :class:`~patchlens.c.ancestry.Ancestry`.

    A climb's verdict depends only on the node it has reached and what
    it has passed (negation, arithmetic): it is kept per tree, so sites
    nested in one another (``X | (X | (X | ...))``) climb each level once.
    """
    a = anc or ancestry_of(node)
    climb = _Climb(node, rules, in_macro, a, follow_locals=follow_locals)
    memo: dict[object, Classified] = a.memo("classify")
    passed: list[object] = []
    while True:
        key = (climb.node.id, climb.negated, climb.arithmetic, in_macro,
               follow_locals, id(rules))
        got: Classified | None = memo.get(key)
        if got is None:
            passed.append(key)
            parent = a.parent(climb.node)
            if parent is None:
                got = Role.OTHER, "at top level", None
            else:
                got = _HANDLERS.get(parent.type, _other)(parent, climb)
        if got is not None:
            for k in passed:
                memo[k] = got
            return got


def _function_body(node: Node, anc: Ancestry) -> Node:
    """``node``'s ancestor-or-self whose parent is the function
    definition (the body), or the tree's root outside any function."""
    def step(n: Node, p: Node | None, v: Node | None) -> Node:
        if p is None or p.type == "function_definition" or v is None:
            return n
        return v
    return anc.derived("function-body", node, step)


# -- the line fallback (ERROR regions, unparseable macro bodies) ---------

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
    if re.search(r"&=\s*+~?[\w(|\s]*+$", before) and "~" in before:
        return Role.CLEAR, "cleared with &= ~ (unparsed)"
    if re.search(r"(==|!=)\s*$", before) or re.match(r"(==|!=)", after):
        return Role.CHECK, "compared (unparsed)"
    if re.search(r"(<|>|<=|>=)\s*$", before) or re.match(r"(<=|>=|<(?!<)|>(?!>))", after):
        return Role.BOUND, "range check (unparsed)"
    for fn in rules.matchers:
        if re.search(rf"\b{re.escape(fn)}\s*\(", before):
            return Role.MATCH, f"argument of {fn}() (unparsed)"
    for fn in rules.setters:
        if re.search(rf"\b{re.escape(fn)}\s*\(", before):
            return Role.SET, f"argument of {fn}() (unparsed)"
    if re.search(r"[^&]&\s*+\(?\s*+$", before):
        return Role.CHECK, "tested with & (unparsed)"
    if re.search(r"\.\w++\s*+=[\w\s|()]*+$", before):
        return Role.SET, "designated initializer (unparsed)"
    if re.search(r"(\|=|[^=!<>]=)[\w\s|()]*+$", before):
        return Role.SET, "assigned (unparsed)"
    if re.search(r"\[\s*$", before) and after.startswith("]"):
        return Role.BOUND, "array dimension (unparsed)"
    return Role.OTHER, "unparsed"


def classify_code(node: Node, text: str, col: int, name: str, rules: Rules,
                  anc: Ancestry | None = None) -> Classified:
    """The role of an identifier in code: from the tree, or from the
    line's text when tree-sitter could not parse around it.  ``anc``:
    the tree's :class:`~patchlens.c.ancestry.Ancestry`."""
    a = anc or ancestry_of(node)
    if has_error_ancestor(node, a):
        role, reason = classify_line(text, col, name, rules)
        return role, reason if role is not Role.OTHER else "unparsed", None
    return classify_node(node, rules, anc=a)


def classify_in_macro(inner: Node | None, text: str, col: int, name: str,
                      rules: Rules, directive: str, macro: str,
                      anc: Ancestry | None = None) -> tuple[Role, str]:
    """The role of a name in the text of a preprocessor ``directive``
    (its node type), in the body of ``#define macro`` for a define.

    ``inner``: the name's node in the re-parsed body
    (:func:`patchlens.c.macros.parse_body`).  An object-like macro
    composes the constant into another name; so does a function-like
    one whose body does not test, set, clear, match or bound it (or
    passes it on: a call in a macro is not followed).  ``anc``: the
    body tree's :class:`~patchlens.c.ancestry.Ancestry`.
    """
    if directive not in ("preproc_def", "preproc_function_def"):
        return Role.OTHER, "preprocessor text"
    if directive == "preproc_def":
        return Role.COMPOSE, f"in macro {macro}"
    if inner is None:
        a = None
    else:
        a = anc or ancestry_of(inner)
    if inner is None or a is None or has_error_ancestor(inner, a):
        role, reason = classify_line(text, col, name, rules)
        if role is Role.OTHER:
            return Role.COMPOSE, f"in macro {macro} (unparsed)"
        return role, reason
    role, reason, call = classify_node(inner, rules, in_macro=True, anc=a)
    if call is not None or role is Role.OTHER:
        return Role.COMPOSE, f"in macro {macro}: {reason}"
    return role, reason


# -- the call rule, through helpers to any depth ---------------------------

# Per defined function: (parameter index, role, reason) of the
# parameters its body gives a role.
ParamRoles = tuple[tuple[str, tuple[tuple[int, Role, str], ...]], ...]
# Per defined function: (parameter index, callee, argument index) of the
# parameters it passes on to another function.
ParamForwards = tuple[tuple[str, tuple[tuple[int, str, int], ...]], ...]


def parameter_uses(tree: Tree, rules: Rules, shapes: FileMatches | None = None,
                   anc: Ancestry | None = None) -> tuple[ParamRoles, ParamForwards]:
    """Per defined function: (param index, role, reason) of its
    non-pointer parameters that it checks, sets, clears, matches or
    bounds, and (param index, callee, argument index) of those it
    passes on to a call (what the callee does with them is decided
    across files, by :class:`Helpers`).  ``shapes``: the file's
    :func:`patchlens.c.shapes.file_matches`, when the caller has them."""
    roles_out = []
    fwd_out = []
    shapes = shapes or file_matches(tree)
    anc = anc or Ancestry(tree.root_node)
    for caps in shapes.functions:
        fname = node_text(caps["name"][0])
        params = [(i, n) for i, n in param_names(caps["params"][0]) if n]
        if not params:
            continue
        by_name = {n: i for i, n in params}
        best: dict[int, tuple[Role, str]] = {}
        passed: dict[tuple[int, str, int], None] = {}
        for ident in identifier_uses(caps["body"][0], by_name, anc):
            i = by_name[node_text(ident)]
            # A parameter copied into a local is not followed (the
            # rule stays one walk of each body).
            role, reason, call = classify_node(ident, rules, follow_locals=False,
                                               anc=anc)
            if call is not None:
                passed[(i, call[0], call[1])] = None
            if role not in ROLE_PRIORITY:
                continue
            have = best.get(i)
            if have is None or ROLE_PRIORITY.index(role) < ROLE_PRIORITY.index(have[0]):
                best[i] = (role, reason)
        if best:
            roles_out.append((fname, tuple((i, r, why) for i, (r, why)
                                           in sorted(best.items()))))
        if passed:
            fwd_out.append((fname, tuple(passed)))
    return tuple(roles_out), tuple(fwd_out)


def parameter_roles(tree: Tree, rules: Rules, shapes: FileMatches | None = None,
                    anc: Ancestry | None = None) -> ParamRoles:
    """The roles part of :func:`parameter_uses` (what a body does with
    its parameters itself)."""
    return parameter_uses(tree, rules, shapes, anc)[0]


_VERB = {Role.CHECK: "tests", Role.SET: "stores", Role.CLEAR: "clears",
         Role.MATCH: "looks up by", Role.BOUND: "bounds by"}


def call_role(callee: str, arg: int,
              definitions: Iterable[Mapping[int, tuple[Role, str]]]
              ) -> tuple[Role, str] | None:
    """The role of argument ``arg`` of a call to ``callee``: the role
    the first of its definitions (parameter index -> (role, reason))
    gives that parameter, or None."""
    for roles in definitions:
        hit = roles.get(arg)
        if hit is not None:
            return hit[0], (f"passed to {callee}(), which "
                            f"{_VERB.get(hit[0], 'uses')} argument {arg + 1}")
    return None


@dataclass(frozen=True)
class Helper:
    """One definition of a function, as the call rule reads it: what
    its body does with each parameter (``roles``) and to which calls it
    passes each on (``forwards``: param index -> (callee, arg index))."""

    path: str
    name: str
    roles: Mapping[int, tuple[Role, str]]
    forwards: Mapping[int, tuple[tuple[str, int], ...]]


@dataclass(frozen=True)
class Decided:
    """What a call does with one argument: the ``role`` and ``reason``
    the deciding function gives its parameter ``arg``, and the ``chain``
    of functions the value is passed through (the first is the callee
    of the call, the last decides)."""

    role: Role
    reason: str
    chain: tuple[str, ...]
    arg: int

    def text(self) -> str:
        """The reason a call site gets: who decides, through whom."""
        verb = _VERB.get(self.role, "uses")
        if len(self.chain) == 1:
            return (f"passed to {self.chain[0]}(), which {verb} "
                    f"argument {self.arg + 1}")
        return (f"passed to {self.chain[0]}(), on to {self.chain[-1]}(), "
                f"which {verb} argument {self.arg + 1}")

    @property
    def via(self) -> str:
        return " -> ".join(self.chain)


def _stronger(new: Decided, old: Decided | None) -> bool:
    """A stronger role, or the same role through fewer helpers."""
    if old is None:
        return True
    a, b = ROLE_PRIORITY.index(new.role), ROLE_PRIORITY.index(old.role)
    return a < b or a == b and len(new.chain) < len(old.chain)


class Helpers:
    """The call rule over every known definition, to any depth.

    A parameter's role is the strongest of what its function's body
    does with it and what each function it passes it on to does with
    that argument, found as a fixed point over the calls (each update
    makes a role stronger or its chain shorter, so it ends; a chain
    never passes through the same function twice: the cycle guard; and
    is at most :data:`MAX_CHAIN` functions long).
    A call goes to the definition in the caller's own file when there
    is one, else to the first other definition (by path) that gives
    the argument a role -- a name defined in several files is a guess,
    as the one-level rule always made it.

    Only what a set of calls (:meth:`solve`) can reach is computed.
    """

    def __init__(self, helpers: Iterable[Helper]) -> None:
        self.defs: dict[str, list[Helper]] = {}
        for h in helpers:
            self.defs.setdefault(h.name, []).append(h)
        for defs in self.defs.values():
            defs.sort(key=lambda h: h.path)
        self.best: dict[tuple[str, str, int], Decided] = {}
        self.solved: set[tuple[str, str, int]] = set()

    def _targets(self, callee: str, path: str) -> list[Helper]:
        defs = self.defs.get(callee, [])
        own = [h for h in defs if h.path == path]
        return own or defs

    def reach(self, calls: Iterable[tuple[str, int, str]]
              ) -> tuple[set[tuple[str, str, int]], dict[str, set[str]]]:
        """(the parameters ``calls`` -- (callee, arg, caller's path) --
        can reach, as (path, function, index); the called names with no
        definition on the way, with the files calling them)."""
        seen: set[tuple[str, str, int]] = set()
        missing: dict[str, set[str]] = {}
        work = list(calls)
        while work:
            callee, arg, path = work.pop()
            targets = self._targets(callee, path)
            if not targets:
                missing.setdefault(callee, set()).add(path)
            for h in targets:
                key = (h.path, h.name, arg)
                if key in seen:
                    continue
                seen.add(key)
                work.extend((c, j, h.path) for c, j in h.forwards.get(arg, ()))
        return seen, missing

    def missing(self, calls: Iterable[tuple[str, int, str]]) -> dict[str, set[str]]:
        """The functions ``calls`` reach (through helpers) that have no
        known definition, with the files calling them: where to look
        next."""
        return self.reach(calls)[1]

    def solve(self, calls: Iterable[tuple[str, int, str]]) -> None:
        """The fixed point over the parameters ``calls`` reach: a
        worklist from the parameters a body decides itself, up the
        calls that pass them on (each caller is looked at again only
        when a callee's answer got better)."""
        nodes = sorted(self.reach(calls)[0] - self.solved)
        if not nodes:
            return
        by_key = {(h.path, h.name): h for defs in self.defs.values() for h in defs}
        callers: dict[tuple[str, str, int], list[tuple[str, str, int]]] = {}
        work: list[tuple[str, str, int]] = []
        for key in nodes:
            path, name, i = key
            h = by_key[(path, name)]
            hit = h.roles.get(i)
            if hit is not None:
                self.best[key] = Decided(hit[0], hit[1], (name,), i)
            for callee, j in h.forwards.get(i, ()):
                for t in self._targets(callee, path):
                    callers.setdefault((t.path, t.name, j), []).append(key)
            work.append(key)
        while work:
            done = work.pop()
            for key in callers.get(done, ()):
                path, name, i = key
                for callee, j in by_key[(path, name)].forwards.get(i, ()):
                    got = self._call(callee, j, path)
                    if got is None or name in got.chain or \
                            len(got.chain) >= MAX_CHAIN:
                        continue        # the cycle guard; the bound
                    cand = Decided(got.role, got.reason, (name, *got.chain), got.arg)
                    if _stronger(cand, self.best.get(key)):
                        self.best[key] = cand
                        work.append(key)
        self.solved.update(nodes)

    def _call(self, callee: str, arg: int, path: str) -> Decided | None:
        for h in self._targets(callee, path):
            got = self.best.get((h.path, h.name, arg))
            if got is not None:
                return got
        return None

    def decide(self, callee: str, arg: int, path: str) -> Decided | None:
        """What a call to ``callee`` in ``path`` does with argument
        ``arg`` (None: no known definition gives it a role)."""
        self.solve([(callee, arg, path)])
        return self._call(callee, arg, path)
