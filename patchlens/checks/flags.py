"""New flags: one nothing checks (``unchecked-flag``), one nothing sets
(``unset-flag``).

Both see what the report's tables see: a flag is set when a struct
field that sets, supports or requires flags carries its *bit* (by name,
through a flag-set macro, or through a mask such as
``MSI_GENERIC_FLAGS_MASK`` = ``GENMASK(15, 0)``), when a flag-set macro
holds it, when code assigns it (``info->flags |= X``) -- in the tree
after the series, or on a ``+`` line of the series itself, whether or
not that hunk applied.  A flag the series only renumbers existed
before it: it is not new.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass

from patchlens.checks.usage import new_constants
from patchlens.c.evaluate import evaluate
from patchlens.c.widths import BIT_MACROS, MASK_MACROS
from patchlens.diff import Hunk
from patchlens.extract.facts import Facts
from patchlens.extract.roles import Role, Rules, classify_line
from patchlens.findings import (PATCH_LINE, TREE_LINE, ConstantRef, Evidence,
                                Finding, Location, Severity, declare)
from patchlens.mail.model import Series

__all__ = ["UNCHECKED_FLAG", "UNSET_FLAG", "unused_flags", "PatchUse",
           "patch_uses", "removed_uses", "existed_before", "preimage_value"]

UNCHECKED_FLAG = declare(
    "unchecked-flag", Severity.CHECK, Evidence.BOTH,
    "nothing checks a new flag",
    "No use of the flag in the tree or the series tests it (a test with "
    "&, a switch, a helper it is passed to): setting it changes no "
    "behaviour.")
UNSET_FLAG = declare(
    "unset-flag", Severity.CHECK, Evidence.BOTH,
    "nothing sets a new flag",
    "No assignment, setter call, flag-set macro or struct field that "
    "sets, supports or requires flags (profile [[struct]] fields) carries "
    "it -- by name or by a mask covering its bit, in the tree or on a "
    "line the series adds: checks of it are never true.")

_SETS = frozenset({"sets", "supports", "requires"})
# Comments, replaced by blanks so columns stay put.
_COMMENT = re.compile(r"/\*.*?\*/|//.*$")
# Words before a ( that are no call of a helper: C's, and the bit and
# mask macros (c/widths.py); the kernel's truth calls (WARN_ON, likely)
# come from the profile (``Facts.call_rules``).
_NOT_CALLS = frozenset({"if", "while", "for", "switch", "return", "sizeof",
                        *BIT_MACROS, *MASK_MACROS})
_NO_RULES = Rules(names={})


@dataclass(frozen=True)
class PatchUse:
    """A use of a name on a line a patch adds, read from the patch text
    (the hunk may not have applied): what the statement does with it."""
    name: str
    patch: str
    file: str
    line: int                 # the patch's post-image line
    role: Role
    text: str


def _code(text: str) -> str:
    """A line with its comments blanked (a line of a block comment is
    blank)."""
    stripped = text.lstrip()
    if stripped.startswith(("*", "/*")) and "*/" not in stripped:
        return " " * len(text)
    return _COMMENT.sub(lambda m: " " * len(m.group()), text)


def _depth(text: str) -> int:
    return text.count("(") - text.count(")")


def _statement_before(lines: list[str], i: int) -> str:
    """The code of the statement that line ``i`` continues: the lines
    before it, back to the end of the previous statement, initializer
    item or block (a ``,`` inside an open call does not end it)."""
    parts: list[str] = []
    depth = 0
    for j in range(i - 1, -1, -1):
        raw = lines[j]
        code = _code(raw).rstrip()
        if not code.strip():
            if not raw.strip():
                break           # a blank line ends any statement
            continue            # a comment line
        joined = code.rstrip("\\").rstrip()
        ends = joined.endswith((";", "{", "}")) or (
            joined.endswith(",") and depth + _depth(joined) <= 0)
        if ends or (joined.lstrip().startswith("#")
                    and not code.endswith("\\")):
            break
        depth += _depth(joined)
        parts.append(joined.strip())
    return " ".join(reversed(parts))


def _role(before: str, line: str, col: int, name: str,
          rules: Rules = _NO_RULES) -> Role:
    """What a statement does with ``name`` at ``col`` of ``line``, the
    statement's earlier lines being ``before`` (``rules``: the
    profile's calls -- setters such as irq_domain_update_bus_token(),
    look-ups, the truth calls that are no helper)."""
    full = (before + " " if before else "") + line
    col += len(full) - len(line)
    prefix = full[:col]
    after = full[col + len(name):].lstrip()
    define = re.match(r"^\s*+#\s*+define\s++(\w+)", full)
    if define:
        return Role.DEFINE if define.group(1) == name else Role.COMPOSE
    if after.startswith("=") and not after.startswith("=="):
        return Role.DEFINE                      # an enumerator
    role, _ = classify_line(full, col, name, rules)
    if role is not Role.OTHER:
        return role
    if re.search(r"(?<!&)&(?![&=])[\w\s|()~]*$", prefix):
        return Role.CHECK                       # x & (A | NAME)
    # An argument of a helper: the helper tests it (pci_msi_domain_supports).
    open_at, depth = -1, 0
    for k in range(len(prefix) - 1, -1, -1):
        ch = prefix[k]
        if ch == ")":
            depth += 1
        elif ch == "(":
            if depth == 0:
                open_at = k
                break
            depth -= 1
    if open_at > 0:
        callee = re.search(r"(?<!\w)(\w+)\s*$", prefix[:open_at])
        if callee and callee.group(1) not in _NOT_CALLS \
                and not rules.truth_call(callee.group(1)):
            return Role.CHECK
    return Role.OTHER


def _post_image(hunk: Hunk) -> Iterator[tuple[int, str, str, int | None]]:
    lines = [l for l in hunk.lines if l.kind != "-"]
    for i, l in enumerate(lines):
        yield i, l.kind, l.text, l.new_no


def patch_uses(series: Series, names: Iterable[str],
               hunks: Container[int] | None = None,
               rules: Rules = _NO_RULES) -> list[PatchUse]:
    """Every use of ``names`` on a line the series adds, with the role the
    statement gives it, read from the patch text (``hunks``: only in
    the hunks with these ids; ``rules``: the profile's calls)."""
    wanted = set(names)
    if not wanted:
        return []
    rx = re.compile(r"\b(" + "|".join(map(re.escape, sorted(wanted))) + r")\b")
    out: list[PatchUse] = []
    for p in series.patches:
        for fp in p.files:
            for h in fp.hunks:
                if hunks is not None and id(h) not in hunks:
                    continue
                texts = [l.text for l in h.lines if l.kind != "-"]
                for i, kind, text, new_no in _post_image(h):
                    if kind != "+":
                        continue
                    code = _code(text)
                    for m in rx.finditer(code):
                        role = _role(_statement_before(texts, i), code,
                                     m.start(), m.group(1), rules)
                        out.append(PatchUse(m.group(1), p.label, fp.path,
                                            new_no or h.new_start, role,
                                            text.strip()))
    return out


def removed_uses(series: Series, name: str,
                 rules: Rules = _NO_RULES) -> list[PatchUse]:
    """Every use of ``name`` on a line the series removes, read from the
    patch text (``line``: the patch's pre-image line): without a tree,
    what the patches show of its uses before the series.  Its own
    definition (an enumerator, a ``#define``) is not a use."""
    rx = re.compile(rf"\b{re.escape(name)}\b")
    enumerator = re.compile(rf"^\s*{re.escape(name)}\s*(=[^,]*)?,?\s*$")
    out: list[PatchUse] = []
    for p in sorted(series.patches, key=lambda p: p.index):
        for fp in p.files:
            for h in fp.hunks:
                texts = [l.text for l in h.lines if l.kind != "+"]
                for i, l in enumerate(l for l in h.lines if l.kind != "+"):
                    if l.kind != "-":
                        continue
                    code = _code(l.text)
                    before = _statement_before(texts, i)
                    if enumerator.match(code) and not before:
                        continue        # its enumerator, not a use
                    for m in rx.finditer(code):
                        role = _role(before, code, m.start(), name,
                                     rules)
                        if role is Role.DEFINE:
                            continue
                        out.append(PatchUse(name, p.label, fp.path,
                                            l.old_no or h.old_start, role,
                                            l.text.strip()))
    return out


def existed_before(series: Series, name: str) -> bool:
    """Whether the series shows ``name`` existing before it: on a
    context or removed line of a patch before any patch adds it (a
    renumbered flag: ``-X = (1 << 2)`` / ``+X = (1 << 5)``)."""
    rx = re.compile(rf"\b{re.escape(name)}\b")
    for p in sorted(series.patches, key=lambda p: p.index):
        hunks = [h for fp in p.files for h in fp.hunks]
        if any(l.kind != "+" and rx.search(_code(l.text))
               for h in hunks for l in h.lines):
            return True
        if any(l.kind == "+" and rx.search(_code(l.text))
               for h in hunks for l in h.lines):
            return False
    return False


def preimage_value(series: Series, name: str) -> int | None:
    """The value the series shows ``name`` having before it: from the
    first context or removed line defining it (``-X = (1 << 2),``),
    when its expression can be evaluated on its own."""
    rx = re.compile(rf"^\s*(?:#\s*define\s+)?{re.escape(name)}\b\s*=?\s*"
                    r"(.*?)\s*,?\s*(?:/\*.*?\*/\s*)?$")
    for p in sorted(series.patches, key=lambda p: p.index):
        for fp in p.files:
            for h in fp.hunks:
                for l in h.lines:
                    m = rx.match(l.text) if l.kind != "+" else None
                    if m and m.group(1):
                        return evaluate(m.group(1)).value
    return None


def _set_in_tables(facts: Facts, name: str) -> bool:
    """A struct field that sets, supports or requires flags carries the
    flag's bit, or a flag-set macro holds it."""
    for inst in facts.instances:
        for fname in inst.fields:
            if facts.field_meaning.get((inst.struct, fname)) in _SETS \
                    and facts.carries(inst, fname, name) is not None:
                return True
    return any(name in members for members in facts.flagsets.values())


def unused_flags(facts: Facts, series: Series | None = None) -> list[Finding]:
    """New flags nothing sets or nothing checks.  ``series``: its own
    lines count as setters and checks too (and a flag it only
    renumbers is not new)."""
    names = [n for n in new_constants(facts) if facts.final[n].bit]
    if series is not None:
        names = [n for n in names if not existed_before(series, n)]
    in_patch = patch_uses(series, names, rules=facts.call_rules) \
        if series is not None else []
    # The series' own lines that set or compose a family mask
    # (``MSI_GENERIC_FLAGS_MASK`` in a supported-flags macro): they carry
    # every flag whose bit the mask covers, as a field naming the mask
    # does in the tree's tables.
    masks = facts.set_values[-1] if facts.set_values else {}
    mask_sets = [u for u in patch_uses(series, masks, rules=facts.call_rules)
                 if u.role in (Role.SET, Role.COMPOSE)] \
        if series is not None and masks and names else []
    out = []
    for name in names:
        const = facts.final[name]
        uses = [s for s in facts.sites if s.name == name]
        written = [u for u in in_patch if u.name == name]
        bit = const.value or 0
        sets = any(s.role in (Role.SET, Role.COMPOSE) for s in uses) or any(
            u.role in (Role.SET, Role.COMPOSE) for u in written) \
            or _set_in_tables(facts, name) \
            or any(masks[u.name] & bit for u in mask_sets)
        checks = any(s.role in (Role.CHECK, Role.MATCH) for s in uses) or any(
            u.role in (Role.CHECK, Role.MATCH) for u in written)
        patch = facts.introduced_by(name)
        kind = TREE_LINE if const.origin == "tree" else PATCH_LINE
        ref = (ConstantRef(name, const.family, const.value, "subject", None,
                           Location(const.file, const.line, kind,
                                    "definition") if const.file else None,
                           const.bit),)
        if not checks:
            out.append(UNCHECKED_FLAG.finding(
                f"nothing checks {name}: setting it changes no behaviour",
                file=const.file, line=const.line, patch=patch, subject=name,
                location_kind=kind, facts=ref))
        if not sets:
            out.append(UNSET_FLAG.finding(
                f"nothing sets {name}: checks of it are never true",
                file=const.file, line=const.line, patch=patch, subject=name,
                location_kind=kind, facts=ref))
    return out
