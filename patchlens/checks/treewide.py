"""The one literal search of the whole tree that the series checks share.

``bit-index-width`` (``BIT(DOMAIN_BUS_*)``), ``stale-reference`` (a
removed name) and ``array-growth`` (``[NAME]``) each need the files
holding a pattern; one search answers all three, narrowed from the
run's search for the family names (which the reference scan asks for
next), and the flag-set literals ride along for the flag-set scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from patchlens.c.defines import header_macros
from patchlens.c.widths import SHIFTING_BIT_MACROS
from patchlens.extract.constants import local_names
from patchlens.extract.history import ConstantChange, Step
from patchlens.extract.profile import Family, Profile
from patchlens.search import CODE, SearchContext, search
from patchlens.tree.source import TreeSource

__all__ = ["TreeHits", "tree_hits", "has_literal"]


@dataclass(frozen=True)
class TreeHits:
    """The files of the final tree holding a pattern, and the patterns."""
    files: tuple[str, ...]
    bit_literals: tuple[str, ...]     # "BIT(DOMAIN_BUS_", "<< DOMAIN_BUS_"
    array_literals: tuple[str, ...]   # "[MSI_MAX_DEVICE_IRQDOMAINS]"
    value_families: tuple[Family, ...]
    names_by_family: dict[str, frozenset[str]]
    gone: tuple[ConstantChange, ...]  # removed or renamed
    grown: tuple[ConstantChange, ...]  # changed, both values known


def tree_hits(steps: Sequence[Step], changes: Sequence[ConstantChange],
              profile: Profile, final_tree: TreeSource,
              context: SearchContext | None = None) -> TreeHits:
    """The hits of the patterns in ``final_tree`` (``context``: the
    run's searches, whose answer the reference scan reuses)."""
    value_fams = tuple(f for f in profile.families if f.kind == "value")
    names_by_fam = {f.key: frozenset(c.name for s in steps
                                     for c in s.table.by_family(f.key))
                    for f in value_fams}
    bit_lits: list[str] = []
    for f in value_fams:
        members = sorted(names_by_fam[f.key])
        if members:
            pre = _common_prefix(members)
            bit_lits += [f"{m}({pre}" for m in SHIFTING_BIT_MACROS] + ["<< " + pre]
    gone = tuple(c for c in changes if c.action in ("removed", "renamed"))
    gone_names = sorted({c.old_name or c.name for c in gone})
    grown = tuple(c for c in changes if c.action == "changed"
                  and c.before is not None and c.after is not None
                  and c.before.value is not None and c.after.value is not None)
    array_lits = [f"[{c.name}]" for c in grown]
    # The flag-set scan (constants.scan_flag_sets) asks for these; one
    # grep answers both.
    lits = bit_lits + array_lits + gone_names + list(profile.flag_set_literals)
    if not lits or final_tree.info.kind == "none":
        hits: tuple[str, ...] = ()
    else:
        # Each pattern names a family constant (or is a flag literal):
        # the files holding one are among those of the run's search for
        # the family names, which the reference scan asks for next.
        # The names the reference scan asks for next (the constants, the
        # flag sets of the base and the final tree), so that one search
        # answers both, in this run and from the cache in the next.
        names = {c.name for s in steps for c in s.table.constants} \
            | set(gone_names) \
            | {fs.name for s in (steps[0], steps[-1]) for fs in s.table.flagsets}
        names -= local_names(s.table for s in steps)
        found = search(context or SearchContext(), final_tree,
                       profile.candidate_literals(names), follow=header_macros)
        hits = tuple(sorted(p for p in found if p.endswith(CODE)
                            and has_literal(final_tree, p, lits)))
    return TreeHits(hits, tuple(bit_lits), tuple(array_lits), value_fams,
                    names_by_fam, gone, grown)


def has_literal(source: TreeSource, path: str, lits: Sequence[str]) -> bool:
    data = source.read(path)
    return data is not None and any(l.encode() in data for l in lits)


def _common_prefix(names: Sequence[str]) -> str:
    pre = names[0]
    for n in names[1:]:
        while not n.startswith(pre):
            pre = pre[:-1]
    return pre if len(pre) >= 3 else names[0]
