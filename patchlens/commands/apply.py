"""``patchlens apply``: the series applied in memory, per hunk.

Exit 0 whatever the hunks do (a hunk that does not apply is a finding
for ``check``, not an error); 2 for unusable input.
"""

from __future__ import annotations

import argparse

from patchlens.commands.common import emit
from patchlens.errors import EXIT_OK
from patchlens.render.apply import as_json, as_text
from patchlens.session import open_session

__all__ = ["run"]


def run(opts: argparse.Namespace) -> int:
    session = open_session(opts)
    # SERIES is a required argument: there is always an applied series.
    assert session.series is not None and session.applied is not None
    if getattr(opts, "quiet", False):
        return EXIT_OK
    show = as_json if opts.format == "json" else as_text
    emit(show(session.series, session.applied), opts.output)
    return EXIT_OK
