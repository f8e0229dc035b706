"""``patchlens diff OLD NEW`` or ``patchlens diff SERIES -v A -v B``."""

from __future__ import annotations

import argparse

from patchlens.commands.common import emit
from patchlens.errors import EXIT_OK, InputError
from patchlens.impact.facts import gather_facts
from patchlens.impact.seriesdiff import series_diff
from patchlens.render import render
from patchlens.session import open_session

__all__ = ["run"]


def run(opts: argparse.Namespace) -> int:
    revs = opts.revision or []
    if opts.new is None:
        if len(revs) != 2:
            raise InputError("-v", "with one SERIES, give two revisions: "
                                   "-v A -v B")
        pairs = [(opts.old, revs[0]), (opts.old, revs[1])]
    else:
        if len(revs) > 2:
            raise InputError("-v", "at most one revision per series")
        pad = revs + [None] * (2 - len(revs))
        pairs = [(opts.old, pad[0]), (opts.new, pad[1])]
    sides = []
    for path, rev in pairs:
        session = open_session(opts, series_path=path, revision=rev)
        assert session.series is not None
        sides.append((session.series, gather_facts(session)))
    (old, old_facts), (new, new_facts) = sides
    answer = series_diff(old, old_facts, new, new_facts)
    if not opts.quiet:
        emit(render(answer, opts.format), opts.output)
    return EXIT_OK
