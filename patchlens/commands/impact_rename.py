"""``patchlens impact rename OLD NEW [--emit-patch FILE|-] [--force]``.

A new name that is already defined (or used) would make the emitted
patch declare it twice: then nothing is written unless ``--force``, and
the exit status is 1 (the answer still printed, saying why).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from patchlens.commands.common import emit
from patchlens.errors import EXIT_FINDINGS, EXIT_OK, InputError
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
    blocked = any(c.blocks for c in answer.conflicts)
    status = EXIT_OK
    if opts.emit_patch and blocked and not getattr(opts, "force", False):
        answer = type(answer)(**{**answer.__dict__,
                                 "patch_file": opts.emit_patch,
                                 "patch_refused": True})
        status = EXIT_FINDINGS
    elif opts.emit_patch:
        files = {s.file for s in (*answer.sites, *answer.mentions)}
        text, n = rename_patch(session.final, files, opts.old, opts.new)
        if opts.emit_patch == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            try:
                Path(opts.emit_patch).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise InputError(opts.emit_patch,
                                 f"cannot write: {exc.strerror}") from None
        answer = type(answer)(**{**answer.__dict__,
                                 "patch_file": opts.emit_patch,
                                 "patch_files": n})
    if not opts.quiet:
        if opts.emit_patch == "-" and not answer.patch_refused \
                and opts.output in (None, "-"):
            # The patch owns stdout (to pipe into git apply): the answer
            # goes to stderr.
            sys.stderr.write(render(answer, opts.format))
        else:
            emit(render(answer, opts.format), opts.output)
    elif answer.patch_refused:
        print(f"patchlens: {opts.emit_patch}: not written: "
              + "; ".join(c.text for c in answer.conflicts if c.blocks)
              + " (--force to write it anyway)", file=sys.stderr)
    return status
