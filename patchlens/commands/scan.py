"""``patchlens scan ARCHIVE...``: every series on a mailing list archive
(public-inbox git repositories) that touches the profile's families,
checked as ``patchlens check`` checks one mailbox (``patchlens.archive``).

Exit 0, or 1 with ``--fail-on LEVEL`` when a series has a finding at
or above LEVEL (a CI job scanning a list).
"""

from __future__ import annotations

import argparse
import sys

from patchlens.archive import ScanSettings, fails_at, scan_archives
from patchlens.commands.common import emit
from patchlens.errors import EXIT_FINDINGS, EXIT_OK
from patchlens.render.scan import render_scan

__all__ = ["run"]


def run(opts: argparse.Namespace) -> int:
    answer = scan_archives(ScanSettings.from_options(opts))
    if not opts.quiet:
        emit(render_scan(answer, opts.format, opts.detail), opts.output)
    else:
        for w in answer.warnings:
            sys.stderr.write(f"patchlens: warning: {w}\n")
    fail_on = getattr(opts, "fail_on", None)
    if fail_on is not None and fails_at(answer, fail_on):
        return EXIT_FINDINGS
    return EXIT_OK
