"""Renderers: text (72 columns, ASCII), markdown, json, terse, b4-check.

:func:`render` picks one by the ``--format`` word.  A report rendered
as terse or b4-check is its findings; a tuple of findings, or
``check``'s :class:`~patchlens.impact.model.CheckAnswer` (the findings
and, without a tree, the patch-only note said once, first), renders in
every format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from patchlens.findings import Finding

if TYPE_CHECKING:   # loaded in render(): refs and graph need neither
    from patchlens.impact.model import Answer, CheckAnswer

__all__ = ["render", "FORMATS"]

FORMATS = ("text", "markdown", "json", "terse", "b4-check")


def render(answer: Answer | tuple[Finding, ...] | list[Finding], fmt: str,
           source: str = "-") -> str:
    """``answer`` (a Report, an impact answer, or findings) as ``fmt``."""
    # Loaded here: refs and graph need neither.
    from patchlens.impact.model import CheckAnswer, Report
    from patchlens.render import b4check, json, markdown, terse, text

    if isinstance(answer, Report) and fmt in ("terse", "b4-check"):
        # The report as its findings: as check prints them, note first.
        answer = CheckAnswer(answer.findings, answer.patch_only)
    if isinstance(answer, CheckAnswer):
        return _check(answer, fmt, source)
    findings: tuple[Finding, ...] | None = None
    if isinstance(answer, Report):
        findings = answer.findings
    elif isinstance(answer, (tuple, list)):
        findings = tuple(answer)
    if fmt == "terse":
        return terse.render(findings or (), source)
    if fmt == "b4-check":
        return b4check.render(findings or (), source)
    if isinstance(answer, (tuple, list)):
        if fmt == "json":
            return json.render(tuple(answer))
        lines = text.render_findings(tuple(answer), heading=False)
        body = "\n".join(lines) + "\n"
        return body if fmt == "text" else f"## Findings\n\n```\n{body}```\n"
    if fmt == "json":
        return json.render(answer)
    if fmt == "markdown":
        return markdown.render(answer)
    return text.render(answer)


def _check(answer: CheckAnswer, fmt: str, source: str) -> str:
    """``check``'s output: the findings as ``fmt``, the patch-only note
    first (a line of its own; a field in json; the series' entry in
    b4-check)."""
    from patchlens.render import b4check, json
    note = answer.patch_only
    if fmt == "json":
        return json.render(answer)
    if fmt == "b4-check":
        return b4check.render(answer.findings, source, note=note)
    body = render(answer.findings, fmt, source)
    if note is None:
        return body
    return f"{note}\n{body}" if fmt != "markdown" else f"{note}\n\n{body}"
