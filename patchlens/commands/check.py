"""``patchlens check``: findings only -- the constant hazards, hunks
that do not apply, and the usage checks (``patchlens.checks``): the
report's finding list, from the same pipeline
(:meth:`patchlens.session.Session.report`), so both commands say the
same and exit alike.  Without a tree the output says so once, first.

Exit 1 when any finding is at or above ``--fail-on`` (error, warning
or check; default error), else 0.  ``--list-findings`` prints the
finding catalogue and exits 0.
"""

from __future__ import annotations

import argparse

from collections.abc import Sequence

from patchlens.checks import CATALOGUE
from patchlens.commands.common import drop_ignored, emit
from patchlens.errors import EXIT_FINDINGS, EXIT_OK, InputError
from patchlens.findings import Finding, Severity
from patchlens.impact.model import CheckAnswer
from patchlens.render import render
from patchlens.render.catalogue import render_catalogue
from patchlens.session import open_session

__all__ = ["run", "exit_status"]


def exit_status(findings: Sequence[Finding], fail_on: str) -> int:
    """1 when any finding is at or above ``fail_on`` (error, warning,
    check), else 0."""
    level = Severity.parse(fail_on)
    return EXIT_FINDINGS if any(f.severity >= level for f in findings) \
        else EXIT_OK


def run(opts: argparse.Namespace) -> int:
    if getattr(opts, "list_findings", False):
        emit(render_catalogue(CATALOGUE), opts.output)
        return EXIT_OK
    if opts.series is None:
        raise InputError("check", "a SERIES is needed (or --list-findings)")
    session = open_session(opts)
    series = session.series
    assert series is not None           # SERIES is a required argument
    report = drop_ignored(session.report(), opts)
    if not opts.quiet:
        emit(render(CheckAnswer(report.findings, report.patch_only),
                    opts.format, series.source), opts.output)
    return exit_status(report.findings, opts.fail_on)
