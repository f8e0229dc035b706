"""The JSON array ``b4 review`` reads from a check command.

One object per concern: ``tool``, ``status`` (``pass`` | ``warn`` |
``fail``), ``summary`` (one line) and ``details`` (the findings, one a
line, as terse text).  An ERROR fails; a WARNING or a CHECK warns; no
finding passes.  One object per patch that has findings, plus one for
findings about the series as a whole, so b4 can show them beside the
patch they belong to.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from patchlens.findings import Finding, Severity
from patchlens.render import terse

__all__ = ["render", "status", "render_message"]

TOOL = "patchlens"


def status(findings: Sequence[Finding]) -> str:
    if any(f.severity >= Severity.ERROR for f in findings):
        return "fail"
    return "warn" if findings else "pass"


def _summary(findings: Sequence[Finding]) -> str:
    if not findings:
        return "no constant hazards found"
    counts = []
    for sev in (Severity.ERROR, Severity.WARNING, Severity.CHECK):
        n = sum(1 for f in findings if f.severity == sev)
        if n:
            counts.append(f"{n} {sev.name.lower()}{'s' if n > 1 else ''}")
    codes = sorted({f.code for f in findings})
    return f"{', '.join(counts)}: {', '.join(codes)}"


def render(findings: Sequence[Finding], source: str = "-",
           note: str | None = None) -> str:
    """``note``: said of the whole analysis (patch-only), first."""
    groups: dict[str | None, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.patch, []).append(f)
    out = []
    if note is not None:
        out.append({"tool": TOOL, "status": "pass", "summary": note,
                    "details": ""})
    if not findings:
        out.append({"tool": TOOL, "status": "pass",
                    "summary": _summary(()), "details": ""})
    for patch in sorted(groups, key=lambda p: (p is not None, _order(p))):
        group = groups[patch]
        where = f"patch {patch}" if patch else "series"
        out.append({"tool": TOOL, "status": status(group),
                    "summary": f"{where}: {_summary(group)}",
                    "details": terse.render(group, source).rstrip("\n")})
    return json.dumps(out, indent=2, ensure_ascii=True) + "\n"


def _order(patch: str | None) -> int:
    try:
        return int((patch or "0").split("/")[0])
    except ValueError:
        return 0


def render_message(findings: Sequence[Finding], label: str | None, *,
                   alone: str | None = None, note: str | None = None,
                   series: bool = False, empty: str | None = None) -> str:
    """The one row of ``b4 review``'s check of one message (b4 keeps
    one cell per message and tool): the findings that concern it.
    ``alone``: why the thread could not be had (the message was checked
    by itself); ``note``: the patch-only note; ``empty``: why there was
    nothing to check."""
    where = "series" if series else (f"patch {label}" if label else "patch")
    summary = f"{where}: {empty}" if empty else \
        f"{where}: {_summary(findings)}"
    if alone is not None:
        summary = f"{summary} (checked alone: {alone})"
    details = terse.render(findings, "-").rstrip("\n")
    if note:
        details = f"{note}\n{details}".rstrip("\n")
    row = {"tool": TOOL, "status": status(findings), "summary": summary,
           "url": "", "details": details}
    return json.dumps([row], indent=2, ensure_ascii=True) + "\n"
