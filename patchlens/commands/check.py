"""``patchlens check``: findings only -- the constant hazards, hunks
that do not apply, and the checks in ``patchlens.impact.checks``.

Exit 1 when any finding is at or above ``--fail-on`` (error, warning
or check; default error), else 0.
"""

from __future__ import annotations

import argparse

from collections.abc import Sequence

from patchlens.commands.common import emit
from patchlens.errors import EXIT_FINDINGS, EXIT_OK
from patchlens.findings import Finding, Severity
from patchlens.impact.facts import gather_facts
from patchlens.impact.report import build_report
from patchlens.render import render
from patchlens.session import open_session

__all__ = ["run", "exit_status"]


def exit_status(findings: Sequence[Finding], fail_on: str) -> int:
    """1 when any finding is at or above ``fail_on`` (error, warning,
    check), else 0."""
    level = Severity.parse(fail_on)
    return EXIT_FINDINGS if any(f.severity >= level for f in findings) \
        else EXIT_OK


def run(opts: argparse.Namespace) -> int:
    session = open_session(opts)
    assert session.series is not None
    facts = gather_facts(session)
    report = build_report(session.series, session.tree.info, session.applied,
                          facts)
    if not opts.quiet:
        answer = report if opts.format in ("terse", "b4-check") \
            else report.findings
        emit(render(answer, opts.format, session.series.source), opts.output)
    return exit_status(report.findings, opts.fail_on)
