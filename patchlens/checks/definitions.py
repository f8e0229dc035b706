"""Definitions: a family constant defined twice in one tree state."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from patchlens.checks.bits import exclusive, show_value
from patchlens.extract.definitions import Constant
from patchlens.findings import Evidence, Finding, Severity, declare

__all__ = ["DUPLICATE_NAME", "duplicates"]

DUPLICATE_NAME = declare(
    "duplicate-name", Severity.WARNING, Evidence.BOTH,
    "a family constant is defined twice",
    "Two definitions of one name that can both be compiled; alternatives "
    "under different #if branches are not duplicates.")


def duplicates(consts: Sequence[Constant], patch: str | None) -> list[Finding]:
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
                         for c in cs)))
    return out
