"""Definitions: a family constant defined twice in one tree state
(``duplicate-name``), and a definition the series moves to another
file under another ``#if`` guard (``moved-definition``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from patchlens.checks.bits import exclusive, show_value
from patchlens.checks.cite import constant_ref
from patchlens.extract.definitions import Constant
from patchlens.extract.history import DefinitionMove
from patchlens.findings import (PATCH_LINE, TREE_LINE, ConstantRef, Evidence,
                                Finding, Location, Number, Severity, Text,
                                declare)

__all__ = ["DUPLICATE_NAME", "MOVED_DEFINITION", "duplicates",
           "moved_definitions"]

DUPLICATE_NAME = declare(
    "duplicate-name", Severity.WARNING, Evidence.BOTH,
    "a family constant is defined twice",
    "Two definitions of one name that can both be compiled; alternatives "
    "under different #if branches are not duplicates.")

MOVED_DEFINITION = declare(
    "moved-definition", Severity.CHECK, Evidence.BOTH,
    "a definition moves to another file under another #if guard",
    "A move alone changes no value (the constants table lists it as a "
    "move, not as a removal and an addition); with another guard, the "
    "configurations that see the definition change: code built where "
    "only one of the two guards holds loses (or gains) the constants.")


def duplicates(consts: Sequence[Constant], patch: str | None, *,
               bits: bool = False) -> list[Finding]:
    """Names defined twice (``bits``: the family holds single bits)."""
    by_name: dict[str, list[Constant]] = defaultdict(list)
    for c in consts:
        by_name[c.name].append(c)
    out = []
    for name, cs in by_name.items():
        if len(cs) < 2:
            continue
        if all(exclusive(a.condition, b.condition)
               for i, a in enumerate(cs) for b in cs[i + 1:]):
            continue
        if all(c.condition is not None and c.condition != cs[0].condition
               for c in cs[1:]) and cs[0].condition is not None:
            continue    # different #if branches: alternatives
        at = cs[-1]
        out.append(DUPLICATE_NAME.finding(
            f"{name} is defined {len(cs)} times",
            file=at.file, line=at.line, patch=patch, subject=name,
            detail=tuple(f"{c.where}: {c.value.text or show_value(c.value.value)}"
                         for c in cs),
            location_kind=TREE_LINE if at.origin == "tree" else PATCH_LINE,
            facts=(Number("definitions", len(cs)),
                   *(constant_ref(c, "definition", bits=bits) for c in cs))))
    return out


def moved_definitions(moves: Sequence[DefinitionMove]) -> list[Finding]:
    """A CHECK per moved definition whose ``#if`` guard changes; a move
    under the same guard is no finding (the report lists it)."""
    out = []
    for mv in moves:
        if not mv.guard_changed:
            continue
        values = ("values unchanged" if not mv.changed else
                  f"{len(mv.changed)} value(s) change too (see enum-shift)")
        if not mv.old_guard:
            who = f"builds without {mv.new_guard} no longer see it"
        elif not mv.new_guard:
            who = f"builds without {mv.old_guard} now see it too"
        else:
            who = "builds where only one of them holds see it differently"
        out.append(MOVED_DEFINITION.finding(
            f"{mv.what} moves from {mv.old_file}:{mv.old_line} to "
            f"{mv.new_file}:{mv.new_line} and its guard changes from "
            f"{mv.old_guard or 'none'} to {mv.new_guard or 'none'}: "
            f"{who} ({values})",
            file=mv.new_file, line=mv.new_line, patch=mv.removed_by,
            subject=mv.names[0],
            detail=(f"{len(mv.names)} constant(s): {', '.join(mv.names)}",
                    f"{mv.added_by} adds {mv.new_file}:{mv.new_line}, "
                    f"{mv.removed_by} removes {mv.old_file}:{mv.old_line}"),
            facts=(Location(mv.old_file, mv.old_line, TREE_LINE, "old",
                            mv.old_guard),
                   Location(mv.new_file, mv.new_line, TREE_LINE, "new",
                            mv.new_guard),
                   Number("constants", len(mv.names)),
                   Number("changed", len(mv.changed)),
                   *(ConstantRef(n, mv.family, None, "moved")
                     for n in mv.names),
                   Text("added_by", mv.added_by),
                   Text("removed_by", mv.removed_by))))
    return out
