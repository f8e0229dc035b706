"""The checks: each finding code is declared once, in the message table
of the module whose check emits it (``declare`` in
:mod:`patchlens.findings`), and every finding is made through it.

By topic: ``hunks`` (how the series applied), ``bits`` (bit families),
``definitions`` (a name defined twice), ``enums`` (shifts, what a count
sizes), ``usage`` (stale references, unhandled enumerators), ``flags``
(new flags nothing checks or sets), ``order`` (series order: each patch
builds on its own).  ``treewide`` is the one literal search of the tree
that bits, enums and usage share.

Three entry points, by what they read:

- :func:`table_findings`: one tree state's constant table;
- :func:`constant_findings`: the constant history of a series (what
  each patch made new), with the tree-wide search;
- :func:`fact_findings`: the :class:`~patchlens.extract.facts.Facts`
  (uses, filters, struct instances) of the usage and flag checks;

plus :func:`~patchlens.checks.hunks.hunk_findings` for the hunks.
Importing this package declares every code: :data:`CATALOGUE` is then
complete.
"""

from __future__ import annotations

import re

# Import order is the catalogue's order: the pipeline's.
from patchlens.checks.hunks import hunk_findings
from patchlens.checks import bits, definitions, enums, usage, flags, order
from patchlens.checks.treewide import tree_hits
from patchlens.extract.definitions import ConstantTable
from patchlens.extract.history import ConstantHistory
from patchlens.extract.facts import Facts
from patchlens.extract.profile import Profile
from patchlens.findings import CATALOGUE, Finding
from patchlens.mail.model import Series
from patchlens.search import SearchContext
from patchlens.tree.apply import AppliedSeries

__all__ = ["CATALOGUE", "table_findings", "constant_findings",
           "fact_findings", "run_checks", "hunk_findings"]


def table_findings(table: ConstantTable, profile: Profile,
                   patch: str | None = None,
                   new_names: frozenset[str] = frozenset(), *,
                   before: ConstantTable | None = None,
                   series: Series | None = None) -> list[Finding]:
    """Hazards visible in one table: per bit family, collisions (against
    ``new_names``, the names a patch added, when given), bits outside
    the masks, bits too wide; per family, names defined twice.
    ``before``/``series``: the table before ``patch`` and the series, to
    judge definitions read from patch text against the tree."""
    out: list[Finding] = []
    for fam in profile.families:
        consts = table.by_family(fam.key)
        if fam.kind == "bit":
            layout = bits.hunk_layout(series, patch, fam, before) \
                if series is not None and patch is not None \
                and before is not None else None
            out += bits.collisions(fam, consts, patch, new_names,
                                   before=before, layout=layout)
            out += bits.outside_masks(fam, consts, table, patch)
            out += bits.too_wide(fam, consts, patch)
        out += definitions.duplicates(consts, patch,
                                      bits=fam.kind == "bit")
    return out


def _key(f: Finding) -> tuple[str, str | None, tuple[str, ...]]:
    words = tuple(sorted(set(re.findall(r"[A-Z][A-Z0-9_]{3,}", f.message))))
    return f.code, f.subject, words


def constant_findings(history: ConstantHistory, profile: Profile,
                      applied: AppliedSeries, series: Series,
                      context: SearchContext | None = None
                      ) -> tuple[Finding, ...]:
    """New hazards at each step of ``history``, attributed to the patch
    that made them; then shifts, and what the tree-wide search finds
    (bit numbers too wide, stale references, arrays that grow;
    ``context``: the run's searches)."""
    context = context or SearchContext()
    steps = history.steps
    out: list[Finding] = []
    seen = {_key(f) for f in table_findings(steps[0].table, profile)}
    for prev, step in zip(steps, steps[1:]):
        new = frozenset(step.table.by_name) - frozenset(prev.table.by_name)
        # Without a tree, a name on a context line first appears in the
        # table at the patch that shows it, beside the one it adds: the
        # names the patch adds (its + lines) come first.
        added = frozenset(c.name for c in history.changes
                          if c.patch == step.label and c.action == "added")
        if new & added:
            new = new & added
        for f in table_findings(step.table, profile, patch=step.label,
                                new_names=new, before=prev.table,
                                series=series):
            k = _key(f)
            if k not in seen:
                seen.add(k)
                out.append(f)
    final = steps[-1].table
    out += enums.enum_shifts(history.changes, final)
    out += definitions.moved_definitions(history.moves)
    hits = tree_hits(steps, history.changes, profile, applied.final, context)
    out += bits.bit_index_widths(steps, hits, applied.final)
    out += usage.stale_references(hits, applied.final, series, final, applied)
    out += enums.array_growths(hits, applied.final, series, final, context)
    out += order.needs_prerequisites(history, applied, profile, context)
    return tuple(out)


def fact_findings(series: Series | None, applied: AppliedSeries | None,
                  facts: Facts) -> tuple[Finding, ...]:
    """The checks over uses: unhandled enumerators, unused flags, and
    (with a series) names used out of series order."""
    out = usage.unhandled_enumerators(facts) + flags.unused_flags(facts,
                                                                    series)
    if series is not None and applied is not None:
        out += order.mid_series_breakage(series, applied, facts)
    return tuple(out)


# The name the report and its tests know.
run_checks = fact_findings

