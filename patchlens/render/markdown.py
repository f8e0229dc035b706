"""Markdown output: the report as headings, tables and lists (for a
web review, a wiki, a CI summary).  Answers to the impact questions
are their text form in a fenced block under a heading.
"""

from __future__ import annotations

from collections.abc import Sequence

from patchlens.checks.hunks import HUNK_CODES
from patchlens.impact.model import Answer, Report
from patchlens.impact.report import FROM_PATCH_TEXT
from patchlens.render import text
from patchlens.text import ranges, scope, site
from patchlens.render.terse import marks

__all__ = ["render"]


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]
           ) -> list[str]:
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def _yes(v: bool | None) -> str:
    return "?" if v is None else ("yes" if v else "no")


def _report(r: Report) -> str:
    s = r.series
    out = [f"# patchlens report: {s.title}", ""]
    if r.patch_only:
        out += [f"*{r.patch_only}*", ""]
    missing = (", missing " + ranges(s.missing)) if s.missing else ""
    out += [f"- **Series** v{s.revision}: {s.revision_reason}; "
            f"{len(s.present)} of {s.total} patches present{missing}",
            f"- **Tree** {s.tree}: {s.tree_reason}",
            f"- **Applied** {text._applied_summary(r.application)}"]
    where = text.applied_patches(r.application)
    out += [f"  ({where})", ""] if where else [""]
    rows = [(p.label, p.title, p.hunks, p.clean, p.offset, p.fuzz,
             p.preimage, p.failed + p.conflict) for p in r.application.patches
            if p.hunks]
    if rows:
        out += _table(("patch", "title", "hunks", "clean", "offset", "fuzz",
                       "pre-image", "failed"), rows) + [""]
    out += ["## Constants changed by the series", ""]
    out += _table(("family", "name", "before", "after", "patch", "marks"),
                  [(c.family, f"`{c.name}`", c.shown_before,
                    c.shown_after, c.patch or "-", ", ".join(c.marks))
                   for c in r.constants]) if r.constants else ["none"]
    if r.moves:
        out += [""] + _table(
            ("moved", "constants", "from", "to", "patch", "values"),
            [(f"`{mv.what}`", len(mv.names),
              f"{site(mv.old_file, mv.old_line)} "
              f"({mv.old_guard or 'no #if guard'})",
              f"{site(mv.new_file, mv.new_line)} "
              f"({mv.new_guard or 'no #if guard'})", mv.patch,
              "unchanged" if not mv.changed else
              "change: " + ", ".join(mv.changed)) for mv in r.moves])
    out += ["", "## Findings", ""]
    # Hunk findings are the Applied line's (``patchlens apply``).
    shown = [f for f in r.findings if f.code not in HUNK_CODES]
    out += _table(("severity", "where", "patch", "code", "message"),
                  [(f.severity.name, site(f.file, f.line), f.patch or "-",
                    f.code, f.message + marks(f)) for f in sorted(
                        shown, key=lambda f: -int(f.severity))]) \
        if shown else ["none"]
    out += ["", text.hunk_total(r.findings)]
    for imp in r.impacts:
        out += ["", f"## Impact: `{imp.name}` ({imp.what})", ""]
        if imp.neighbours:
            out += ["Neighbours: " + ", ".join(f"`{n}`" for n in
                                               imp.neighbours), ""]
        for u in imp.removal:
            st = u.site
            fn = scope(st.role, st.function, "`")
            fate = (f"**added by {u.added_by}: stale-reference**"
                    if u.added_by else "**left: stale-reference**"
                    if u.left else f"{u.how or 'removed'} by {u.removed_by}")
            mark = " (patch text: no tree)" if st.note == FROM_PATCH_TEXT \
                else ""
            out.append(f"- {st.role} {site(st.file, st.line)}{fn}: {fate}"
                       f"{mark}")
        for g in imp.uses:
            counts = ", ".join(f"{n} {role}" for role, n in g.counts)
            who = f" ({'; '.join(g.maintainers)})" if g.maintainers else ""
            out.append(f"- **{g.subsystem}**{who}: {counts}")
            for st in g.sites:
                fn = scope(st.role, st.function, "`")
                patch = f" [{st.patch}]" if st.patch else ""
                out.append(f"  - {st.role} {site(st.file, st.line)}"
                           f"{fn}{patch}")
        # A parent's decision on a child (kind a) and whether a parent
        # is found by a lookup (kind b) never share a table.
        for decides, title in (("child", "Parents deciding on a child "
                                 "with this token"),
                               ("select", "Parents found by a lookup with "
                                "this token (not a decision on a child)")):
            paths = [f for f in imp.filters if f.decides == decides]
            if not paths:
                continue
            out += ["", f"{title}:", ""] + _table(
                ("parent", "where", "today", "+series", "otherwise"),
                [(f"`{f.function}`", site(f.file, f.line), _yes(f.today),
                  _yes(f.with_series) + (f" ({f.patch})" if f.patch else "")
                  + (f" if {f.condition}" if f.condition else ""),
                  f.otherwise) for f in paths])
        if imp.advertisers:
            out += [""] + _table(
                ("parent", "where", "today", "+series", "via"),
                [(f"`{a.instance}.{a.field}`", site(a.file, a.line),
                  _yes(a.today), _yes(a.with_series), a.via or "-")
                 for a in imp.advertisers])
    out += ["", "## Review", ""]
    if not r.comments:
        out.append("no reviewer comments anchored in the thread")
    for n in r.comments:
        where = ", ".join(x for x in (n.patch, site(n.file, n.line)) if x)
        out.append(f"**{n.author}** on {where}")
        out.append("")
        if n.quoted:
            # The quoted patch lines as a diff block: "> +\tNAME," is a
            # bullet list to GFM and pandoc.
            fence = "```"
            while any(fence in q for q in n.quoted[-3:]):
                fence += "`"
            out += [f"{fence}diff", *n.quoted[-3:], fence]
        out += [""] + n.text.split("\n") + [""]
        out += [f"- {a}" for a in n.answers]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def render(answer: Answer) -> str:
    if isinstance(answer, Report):
        return _report(answer)
    body = text.render(answer)
    title = body.splitlines()[0] if body else ""
    return f"## {title}\n\n```\n{body}```\n"
