"""``patchlens impact rename OLD NEW [--emit-patch FILE]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from patchlens.commands.common import emit
from patchlens.errors import EXIT_OK, InputError
from patchlens.impact.facts import gather_facts, require_constant
from patchlens.impact.rename import rename, rename_patch
from patchlens.render import render
from patchlens.session import open_session

__all__ = ["run"]


def run(opts: argparse.Namespace) -> int:
    session = open_session(opts)
    facts = gather_facts(session, {opts.old, opts.new})
    require_constant(facts, opts.old)
    answer = rename(facts, opts.old, opts.new, session.series)
    if opts.emit_patch:
        files = {s.file for s in (*answer.sites, *answer.mentions)}
        text, n = rename_patch(session.final, files, opts.old, opts.new)
        try:
            Path(opts.emit_patch).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(opts.emit_patch,
                             f"cannot write: {exc.strerror}") from None
        answer = type(answer)(**{**answer.__dict__,
                                 "patch_file": opts.emit_patch,
                                 "patch_files": n})
    if not opts.quiet:
        emit(render(answer, opts.format), opts.output)
    return EXIT_OK
