"""``patchlens impact invert FLAG [--as NEWNAME]``."""

from __future__ import annotations

import argparse

from patchlens.commands.common import emit
from patchlens.errors import EXIT_OK
from patchlens.impact.facts import gather_facts, require_constant
from patchlens.impact.invert import invert
from patchlens.render import render
from patchlens.session import open_session

__all__ = ["run"]


def run(opts: argparse.Namespace) -> int:
    session = open_session(opts)
    facts = gather_facts(session, {opts.flag})
    require_constant(facts, opts.flag)
    answer = invert(facts, opts.flag, opts.new_name, session.final)
    if not opts.quiet:
        emit(render(answer, opts.format), opts.output)
    return EXIT_OK
