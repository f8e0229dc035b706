"""``patchlens report``: the reviewer's report.

Exit 1 when a finding is at or above ``--fail-on`` (as ``check``, from
the same finding list: :meth:`patchlens.session.Session.report`), so a
CI job can run the report and keep its text.
"""

from __future__ import annotations

import argparse

from patchlens.commands.check import exit_status
from patchlens.commands.common import drop_ignored, emit
from patchlens.render import render
from patchlens.session import open_session

__all__ = ["run"]


def run(opts: argparse.Namespace) -> int:
    session = open_session(opts)
    series = session.series
    assert series is not None           # SERIES is a required argument
    report = drop_ignored(session.report(), opts)
    if not opts.quiet:
        emit(render(report, opts.format, series.source), opts.output)
    return exit_status(report.findings, opts.fail_on)
