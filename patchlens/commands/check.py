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
    if opts.format == "b4-check" and (opts.series == "-" or
                                      getattr(opts, "thread", None)):
        return _b4_message(opts)
    session = open_session(opts)
    series = session.series
    assert series is not None           # SERIES is a required argument
    report = drop_ignored(session.report(), opts)
    if not opts.quiet:
        emit(render(CheckAnswer(report.findings, report.patch_only),
                    opts.format, series.source), opts.output)
    return exit_status(report.findings, opts.fail_on)


def _b4_message(opts: argparse.Namespace) -> int:
    """``b4 review``'s check of one message (a patch, or the cover
    letter for the series check): the whole thread is analysed -- from
    ``--thread``, else through b4 -- and the one row printed says what
    concerns this message: a patch's own findings, or the series-wide
    ones for the cover letter.  Without the thread, the message is
    checked alone and the summary says why."""
    import sys

    from patchlens.commands.b4thread import fetch_thread, read_message, scratch
    from patchlens.render import b4check
    data = sys.stdin.buffer.read() if opts.series == "-" else \
        open(opts.series, "rb").read()
    with scratch() as work:
        msg = read_message(data, work)
        thread, how = (opts.thread, "--thread") if opts.thread else \
            fetch_thread(msg, work)
        alone: str | None = None
        report = None
        if thread is not None:
            try:
                report = open_session(opts, series_path=thread,
                                      revision=msg.revision).report()
            except InputError as exc:
                alone = f"the thread is unusable ({exc})"
        else:
            alone = how
        if report is None:
            try:
                report = open_session(opts, series_path=msg.path,
                                      revision=msg.revision).report()
            except InputError as exc:
                what = "a cover letter alone has no patches to check" \
                    if msg.is_cover else str(exc)
                emit(b4check.render_message((), msg.label, alone=alone,
                                            empty=what, series=msg.is_cover),
                     opts.output)
                return EXIT_OK
    report = drop_ignored(report, opts)
    findings = report.findings
    if alone is None and msg.label is not None:
        findings = tuple(f for f in findings if
                         (f.patch is None) == msg.is_cover and
                         (msg.is_cover or f.patch == msg.label))
    emit(b4check.render_message(findings, msg.label, alone=alone,
                                note=report.patch_only,
                                series=msg.is_cover), opts.output)
    return exit_status(findings, opts.fail_on)
