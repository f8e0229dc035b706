"""``patchlens scan``'s answer and its output: one row per series
revision found in a list archive, as text, JSON and terse.

The rows are made by ``patchlens.archive`` from the same report
``patchlens check`` prints; this module only lays them out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from patchlens.text import WIDTH, fit, plural, ranges, wrap

__all__ = ["ScanRow", "ArchiveStats", "ScanAnswer", "SCAN_SCHEMA",
           "as_text", "as_json", "as_terse", "render_scan"]

SCAN_SCHEMA = "patchlens-scan/1"


@dataclass(frozen=True)
class ScanRow:
    """One revision of one series that touches the profile's families."""
    archive: str
    thread: str               # Message-ID of the thread's root
    msgid: str                # the cover letter's (else the first patch's)
    date: str                 # ISO 8601 of that message
    author: str
    subject: str
    revision: int
    total: int
    present: tuple[int, ...]
    missing: tuple[int, ...]
    # (name, kind, before, after): kind "added" | "removed" | "changed" | "shifted"
    constants: tuple[tuple[str, str, int | None, int | None], ...]
    top_severity: str | None  # "error" | "warning" | "check"; None: no finding
    top_code: str | None      # the first finding of that severity
    top_count: int            # findings of that severity
    findings: int             # all findings
    patch_only: bool          # checked without a tree
    detail: str = ""          # the report as text (--detail)


@dataclass(frozen=True)
class ArchiveStats:
    """What one ARCHIVE's walk did."""
    archive: str
    heads: tuple[str, ...]    # newest commit of each epoch
    walked: int               # messages walked this run
    messages: int             # messages of the archive scanned so far (the
                              # window's, with --since/--until/--after)
    cached: bool              # nothing new: the rows are the last run's
    hits: int                 # messages holding a family literal
    parsed: int               # messages parsed (the threads of the hits)
    threads: int              # threads holding a hit
    seconds: float


@dataclass(frozen=True)
class ScanAnswer:
    archives: tuple[ArchiveStats, ...]
    rows: tuple[ScanRow, ...]
    warnings: tuple[str, ...] = field(default=())
    schema: str = SCAN_SCHEMA


def _constants(row: ScanRow) -> str:
    marks = {"added": "+", "removed": "-", "changed": "~", "shifted": "~"}
    return " ".join(f"{marks.get(k, '?')}{n}" for n, k, _b, _a in row.constants)


def _top(row: ScanRow) -> str:
    if row.top_severity is None:
        return "no finding"
    return f"{row.top_severity} {row.top_code} x{row.top_count}"


def _patches(row: ScanRow) -> str:
    text = f"{len(row.present)}/{row.total}"
    if row.missing:
        text += f" (missing {ranges(row.missing)})"
    return text


def _summary(answer: ScanAnswer) -> str:
    walked = sum(a.walked for a in answer.archives)
    hits = sum(a.hits for a in answer.archives)
    parsed = sum(a.parsed for a in answer.archives)
    known = sum(a.messages for a in answer.archives)
    archives = plural(len(answer.archives), "archive")
    found = (f"{plural(len(answer.rows), 'series revision')} "
             + ("touches" if len(answer.rows) == 1 else "touch") + " the families")
    if answer.archives and all(a.cached for a in answer.archives):
        return (f"{plural(known, 'message')} in {archives}, nothing new since "
                f"the last scan; {found}")
    share = f"{100.0 * parsed / walked:.1f}%" if walked else "0%"
    head = f"{plural(walked, 'message')} walked in {archives}"
    if known != walked:
        head += f" ({known} in all)"
    return (f"{head}; {hits} with a family literal, {parsed} parsed "
            f"({share}); {found}")


def as_text(answer: ScanAnswer, detail: bool = False) -> str:
    lines = wrap(_summary(answer))
    for row in answer.rows:
        lines.append("")
        lines.append(fit(f"{row.date[:10]}  v{row.revision}  {row.subject}", WIDTH))
        lines.append(fit(f"  {row.author}", WIDTH))
        lines.append(fit(f"  patches {_patches(row)}; {_top(row)}"
                         + (" (patch only)" if row.patch_only else ""), WIDTH))
        consts = _constants(row)
        if consts:
            lines.extend(wrap(consts, "  constants ", " " * 12))
        lines.append(fit(f"  <{row.msgid}>", WIDTH))
        if detail and row.detail:
            lines.append("")
            lines.extend("    " + ln if ln else "" for ln in row.detail.rstrip("\n").split("\n"))
    for w in answer.warnings:
        lines.extend(wrap(w, "warning: ", "  "))
    return "\n".join(lines) + "\n"


def as_json(answer: ScanAnswer, detail: bool = False) -> str:
    def row(r: ScanRow) -> dict[str, object]:
        out: dict[str, object] = {
            "archive": r.archive, "thread": r.thread, "msgid": r.msgid,
            "date": r.date, "author": r.author, "subject": r.subject,
            "revision": r.revision, "total": r.total,
            "present": list(r.present), "missing": list(r.missing),
            "constants": [{"name": n, "kind": k, "before": b, "after": a}
                          for n, k, b, a in r.constants],
            "top": None if r.top_severity is None else {
                "severity": r.top_severity, "code": r.top_code,
                "count": r.top_count},
            "findings": r.findings, "patch_only": r.patch_only,
        }
        if detail:
            out["detail"] = r.detail
        return out
    doc = {
        "schema": answer.schema,
        "archives": [{"archive": a.archive, "heads": list(a.heads),
                      "walked": a.walked, "messages": a.messages,
                      "cached": a.cached, "hits": a.hits,
                      "parsed": a.parsed, "threads": a.threads,
                      "seconds": round(a.seconds, 3)} for a in answer.archives],
        "series": [row(r) for r in answer.rows],
        "warnings": list(answer.warnings),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def as_terse(answer: ScanAnswer) -> str:
    """One line per series revision: date, revision, patches, top
    finding, subject (tab-separated)."""
    out = [f"{r.date[:10]}\tv{r.revision}\t{len(r.present)}/{r.total}\t"
           f"{r.top_severity or 'ok'}:{r.top_code or '-'}:{r.top_count}\t"
           f"{' '.join(n for n, *_ in r.constants) or '-'}\t{r.subject}"
           for r in answer.rows]
    return "\n".join(out) + ("\n" if out else "")


def render_scan(answer: ScanAnswer, fmt: str, detail: bool = False) -> str:
    if fmt == "json":
        return as_json(answer, detail)
    if fmt == "terse":
        return as_terse(answer)
    return as_text(answer, detail)
