"""What ``constants`` and ``refs`` show, chosen from what the session
read: pure functions over its data, rendered by ``render/constants.py``
and ``render/refs.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from patchlens.errors import InputError
from patchlens.extract.definitions import ConstantTable, FlagSet
from patchlens.extract.profile import Family, Profile
from patchlens.findings import Finding

if TYPE_CHECKING:   # refs reads no history and runs no check: not imported
    from patchlens.extract.history import ConstantHistory

__all__ = ["ConstantsView", "constants_view", "families", "select_names"]


@dataclass(frozen=True)
class ConstantsView:
    """What ``constants`` prints: the tree, the history (or one table)."""
    tree_label: str
    tree_reason: str
    title: str
    profile: Profile
    history: ConstantHistory | None
    table: ConstantTable
    hazards: tuple[Finding, ...]
    flagsets: tuple[FlagSet, ...]
    families: tuple[Family, ...]


def families(profile: Profile, name: str | None) -> tuple[Family, ...]:
    """The profile's families, or the one ``--family`` names."""
    if name is None:
        return profile.families
    fam = profile.family(name)
    if fam is None:
        known = ", ".join(f.key for f in profile.families)
        raise InputError("--family", f"unknown family {name!r} (known: {known})")
    return (fam,)


def constants_view(tree_label: str, tree_reason: str, title: str,
                   profile: Profile, history: ConstantHistory | None,
                   table: ConstantTable, hazards: tuple[Finding, ...] | None,
                   flagsets: Sequence[FlagSet], shown: tuple[Family, ...]
                   ) -> ConstantsView:
    """The constants of ``shown`` families: the series' ``history`` and
    ``hazards``, or without a series the final ``table`` and its own
    findings; only the findings and flag sets of those families."""
    if hazards is None:
        from patchlens.checks import table_findings
        hazards = tuple(table_findings(table, profile))
    keys = {f.key for f in shown}
    kept = tuple(h for h in hazards
                 if _family_of(h, table, history) in (*keys, None))
    return ConstantsView(tree_label, tree_reason, title, profile, history,
                         table, kept,
                         tuple(f for f in flagsets if f.family in keys),
                         shown)


def _family_of(f: Finding, table: ConstantTable,
               history: ConstantHistory | None) -> str | None:
    if f.subject is None:
        return None
    c = table.get(f.subject)
    if c is None and history is not None:
        for step in history.steps:
            c = step.table.get(f.subject)
            if c is not None:
                break
    return c.family if c is not None else None


def select_names(names: Mapping[str, str], profile: Profile, *,
                 every: bool = False, family: str | None = None,
                 asked: Sequence[str] = ()) -> list[str]:
    """The names ``refs`` asks for: ``--all``, ``--family F`` or the
    names given."""
    if every:
        return sorted(names)
    if family:
        keys = {f.key for f in profile.families} | {"flagset"}
        if family not in keys:
            raise InputError("--family", f"unknown family {family!r} (one of "
                                         f"{', '.join(sorted(keys))})")
        return sorted(n for n, k in names.items() if k == family)
    if not asked:
        raise InputError("refs", "name a constant, or use --family F or --all")
    return list(asked)
