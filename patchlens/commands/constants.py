"""``patchlens constants``: family constants, before and after each patch.

Without a series the tree's constants and their hazards are listed; the
view is :func:`patchlens.impact.views.constants_view`, the text
:mod:`patchlens.render.constants`.

Exit 0 (findings are for ``check``); 2 for unusable input.
"""

from __future__ import annotations

import argparse

from patchlens.commands.common import emit
from patchlens.errors import EXIT_OK
from patchlens.impact.views import constants_view, families
from patchlens.render.constants import as_json, as_text
from patchlens.session import open_session

__all__ = ["run"]


def run(opts: argparse.Namespace) -> int:
    session = open_session(opts)
    shown = families(session.profile, getattr(opts, "family", None))
    table = session.history().final
    series = session.series
    view = constants_view(session.tree.info.label, session.tree.info.reason,
                          series.title if series is not None else "",
                          session.profile,
                          session.history() if series is not None else None,
                          table,
                          session.hazards() if series is not None else None,
                          session.flag_sets(table), shown)
    if getattr(opts, "quiet", False):
        return EXIT_OK
    emit(as_json(view) if opts.format == "json" else as_text(view),
         opts.output)
    return EXIT_OK
