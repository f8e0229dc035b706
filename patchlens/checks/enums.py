"""Enums along a series: existing enumerators whose implicit value
shifts (``enum-shift``; a CHECK when the enumerator is the enum's
count, which is meant to move), and arrays dimensioned by a constant
whose value changes (``array-growth``, with the byte delta derived
from the tree's own struct definitions).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from patchlens.c.sizes import ArrayMember, StructIndex, find_array_members
from patchlens.checks.treewide import TreeHits, has_literal
from patchlens.extract.definitions import ConstantTable
from patchlens.extract.history import ConstantChange
from patchlens.findings import (PATCH_LINE, TREE_LINE, ConstantRef, Evidence,
                                FieldSize, Finding, Location, Number, Severity,
                                Text, TypeSize, declare)
from patchlens.mail.model import Series
from patchlens.search import SearchContext, files_containing
from patchlens.tree.source import TreeSource

__all__ = ["ENUM_SHIFT", "ARRAY_GROWTH", "enum_shifts", "array_growths",
           "counted_enum"]

ENUM_SHIFT = declare(
    "enum-shift", Severity.WARNING, Evidence.BOTH,
    "an existing enumerator's implicit value shifts",
    "An enumerator was inserted or removed before it: code or data that "
    "stored the old number (user ABI, tables indexed by it, BIT() of it) "
    "now means another one.",
    lesser=Severity.CHECK,
    lesser_when="the enumerator is the enum's count (its last, named "
                "MAX, NR, COUNT...)")
ARRAY_GROWTH = declare(
    "array-growth", Severity.WARNING, Evidence.BOTH,
    "an array dimensioned by a changed constant grows or shrinks",
    "The byte delta per instance comes from the tree's own struct "
    "definitions (LP64); a byte count the commit message claims is "
    "quoted beside it.")

# How C names an enum's last enumerator when it counts the others:
# MSI_MAX_DEVICE_IRQDOMAINS, NR_IRQS, FOO_COUNT, __BAR_LAST.
_COUNT_WORD = re.compile(r"(?:^|_)(?:MAX|NR|NUM|COUNT|LAST|END)(?:_|$)")


def enum_shifts(changes: Sequence[ConstantChange], final: ConstantTable
                ) -> list[Finding]:
    """A finding for every implicit-valued enumerator whose value a
    patch moves: from the values before and after it, or -- where the
    values are unknown (the enum's start is neither in the tree nor in
    the hunk) -- by how many enumerators the hunk inserts or removes
    before it.  Read from the patch text alone, it says so."""
    out: list[Finding] = []
    for ch in changes:
        if ch.action != "changed" or not ch.implicit or ch.before is None \
                or ch.after is None:
            continue
        known = ch.before.value is not None and ch.after.value is not None
        if not known and not ch.delta:
            continue
        enum = counted_enum(final, ch.name)
        if known:
            move = f"{ch.before.value} -> {ch.after.value}"
        else:
            assert ch.delta is not None
            move = (f"by {ch.delta:+d} (value unknown: "
                    f"{ch.before.reason or 'its enum is not in the tree'})")
        sign = ch.delta or 0
        if enum is None:
            # The hunk's own lines say which, when they are the evidence.
            how = "inserted or removed" if known else \
                ("inserted" if sign > 0 else "removed")
            message = (f"{ch.name} shifts {move}: an enumerator was {how} "
                       "before it")
        else:               # a count is meant to move; what it sizes is the news
            grows = "shrinks" if sign < 0 else "grows"
            message = (f"{ch.name}, the count of enum {enum}, goes "
                       f"{move}: what it sizes or bounds {grows} with it "
                       "(see array-growth)")
        # Read from the patch text alone: the finding's patch-only
        # marker says so ("[patch line; patch-only]"), once.
        facts: list[ConstantRef | Number] = [
            ConstantRef(ch.name, ch.family, ch.after.value)]
        if known:
            assert ch.before.value is not None and ch.after.value is not None
            facts += [Number("before", ch.before.value),
                      Number("after", ch.after.value),
                      Number("delta", ch.after.value - ch.before.value)]
        elif ch.delta is not None:
            facts.append(Number("delta", ch.delta))
        out.append(ENUM_SHIFT.finding(
            message, file=ch.file, line=ch.line, patch=ch.patch,
            subject=ch.name, lesser=enum is not None,
            patch_only=ch.patch_only,
            location_kind=PATCH_LINE if ch.patch_only else TREE_LINE,
            facts=tuple(facts)))
    return out


def counted_enum(table: ConstantTable, name: str) -> str | None:
    """The enum ``name`` counts (its last enumerator, named as a count),
    or None."""
    c = table.get(name)
    if c is None or c.kind != "enumerator" or c.enum_name is None \
            or c.position is None or not _COUNT_WORD.search(name):
        return None
    last = max((o.position for o in table.constants
                if o.enum_name == c.enum_name and o.file == c.file
                and o.position is not None), default=None)
    return (c.enum_name or "(anonymous)") if c.position == last else None


def array_growths(hits: TreeHits, final_tree: TreeSource, series: Series,
                  final: ConstantTable,
                  context: SearchContext | None = None) -> list[Finding]:
    """Arrays dimensioned by a constant whose value changed (``context``:
    the run's searches, which find the struct definitions)."""
    context = context or SearchContext()
    arr_hits = tuple(p for p in hits.files
                     if has_literal(final_tree, p, hits.array_literals))
    out: list[Finding] = []
    for ch in hits.grown:
        for member in find_array_members(final_tree, (ch.name,), arr_hits):
            out.append(_array_growth(final_tree, member, ch, series, final,
                                     context))
    return out


def _claims(text: str) -> list[str]:
    """Byte counts a commit message claims ("Trade the 8bytes ...")."""
    return [m.group(0) for m in re.finditer(r"\b\d++\s*+-?\s*+bytes?\b", text)]


def _array_growth(source: TreeSource, member: ArrayMember, ch: ConstantChange,
                  series: Series, table: ConstantTable,
                  context: SearchContext) -> Finding:
    assert ch.before is not None and ch.after is not None
    before, after = ch.before.value, ch.after.value
    assert before is not None and after is not None
    index = StructIndex(source, (member.file, *table.files),
                        lambda lit: files_containing(context, source, [lit],
                                                     under="include",
                                                     suffixes=(".h",)))
    size = index.sizeof(member.element, pointer=member.pointer)
    label = f"struct {member.struct}::{member.field}[{member.dim}]"
    detail = [f"element: {member.element}{' *' if member.pointer else ''}",
              f"count: {before} -> {after} ({member.dim})"]
    claim = ""
    n = int(ch.patch.split("/")[0]) if ch.patch.split("/")[0].isdigit() else -1
    patch = series.patch(n)
    said = _claims(patch.commit_message) if patch is not None else []
    if not said:
        # Only quoted in a reply (archive text): the quote has the message.
        for r in series.replies:
            if r.patch_index == n:
                quoted = "\n".join(l for l in r.message.body.split("\n")
                                   if l.startswith(">"))
                said += _claims(quoted)
    facts: list[ConstantRef | Location | Number | Text | TypeSize] = [
        ConstantRef(ch.name, ch.family, after, "dimension"),
        Location(member.file, member.line, TREE_LINE, "array", label),
        Number("before", before), Number("after", after)]
    if said:
        claim = f"; {ch.patch} says '{said[0]}'"
        facts += [Text("claim", said[0]),
                  # _claims' matches start with the digits
                  Number("claimed_bytes",
                         int(re.split(r"\D", said[0], maxsplit=1)[0]))]
    if size.size is None:
        msg = (f"{label} grows {before} -> {after} elements; bytes per "
               f"instance unknown: {size.reason}{claim}")
        detail.append(f"size unknown: {size.reason}")
    else:
        delta = (after - before) * size.size
        parts = size.lines[0].split(" = ", 1)[1].rsplit(" (", 1)[0] \
            if " = " in size.lines[0] else size.lines[0]
        msg = (f"{label} grows {before} -> {after} elements: {delta:+d} bytes "
               f"per struct {member.struct} on LP64 ({parts}){claim}")
        detail.append(f"delta: ({after} - {before}) x {size.size} = {delta:+d} "
                      f"bytes per struct {member.struct}")
        detail += list(size.lines)
        facts += [Number("element_bytes", size.size),
                  Number("delta_bytes", delta),
                  *dict.fromkeys(TypeSize(d.type, d.bytes, d.file,
                                          tuple(FieldSize(*m)
                                                for m in d.members),
                                          d.padding) for d in size.types)]
    return ARRAY_GROWTH.finding(msg, file=member.file, line=member.line,
                                patch=ch.patch, subject=member.dim,
                                detail=tuple(detail), facts=tuple(facts))
