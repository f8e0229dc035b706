"""``patchlens constants``: family constants, before and after each patch.

Without a series the tree's constants and their hazards are listed; the
text is :mod:`patchlens.render.constants`.

Exit 0 (findings are for ``check``); 2 for unusable input.
"""

from __future__ import annotations

import argparse

from patchlens.checks import table_findings
from patchlens.commands.common import emit
from patchlens.errors import EXIT_OK, InputError
from patchlens.extract.definitions import ConstantTable
from patchlens.extract.flagsets import scan_flag_sets
from patchlens.extract.history import ConstantHistory
from patchlens.extract.profile import Family, Profile
from patchlens.findings import Finding
from patchlens.render.constants import ConstantsView, as_json, as_text
from patchlens.session import open_session

__all__ = ["run"]


def run(opts: argparse.Namespace) -> int:
    session = open_session(opts)
    profile = session.profile
    families = _families(profile, getattr(opts, "family", None))
    table = session.history().final
    if session.series is not None:
        history: ConstantHistory | None = session.history()
        hazards = session.hazards()
    else:
        history = None
        hazards = tuple(table_findings(table, profile))
    final = session.final
    flagsets = scan_flag_sets(final, table, profile, context=session.search) \
        if final.info.kind != "none" else table.flagsets
    keys = {f.key for f in families}
    shown = tuple(h for h in hazards
                  if _family_of(h, table, history) in (*keys, None))
    view = ConstantsView(session.tree.info.label, session.tree.info.reason,
                         session.series.title if session.series else "",
                         profile, history, table, shown,
                         tuple(f for f in flagsets if f.family in keys),
                         families)
    if getattr(opts, "quiet", False):
        return EXIT_OK
    emit(as_json(view) if opts.format == "json" else as_text(view),
         opts.output)
    return EXIT_OK


def _families(profile: Profile, name: str | None) -> tuple[Family, ...]:
    if name is None:
        return profile.families
    fam = profile.family(name)
    if fam is None:
        known = ", ".join(f.key for f in profile.families)
        raise InputError("--family", f"unknown family {name!r} (known: {known})")
    return (fam,)


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
