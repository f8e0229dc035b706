"""Text output: what a reviewer pastes into a reply.

ASCII only, every line at most 72 columns (see ``patchlens/text.py``), tables
with spaces only, so ``> `` quoting keeps them aligned.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import singledispatch

from patchlens.checks.hunks import HUNK_CODES
from patchlens.findings import Finding, Severity
from patchlens.impact.report import FROM_PATCH_TEXT
from patchlens.impact.model import (
    AcceptAnswer, Application, FilterVerdict, Impact, InstanceRow, InvertAnswer,
    RemovedUse, RenameAnswer, Report, ReviewNote, SeriesDiff, SeriesInfo,
)
from patchlens.text import WIDTH, plural, ranges, scope, site, table, wrap
from patchlens.render.terse import marks as finding_marks

__all__ = ["render", "render_findings", "applied_patches", "hunk_total"]


@singledispatch
def render(answer: object) -> str:
    """The text form of a report or of an impact answer."""
    raise TypeError(f"no text renderer for {type(answer).__name__}")


def _field(label: str, text: str) -> list[str]:
    return wrap(text, first=f"{label:<9}", rest=" " * 9)


def _series(info: SeriesInfo, app: Application) -> list[str]:
    out = wrap(f"patchlens report -- {info.title}", rest="  ")
    who = ", ".join(x for x in (f"v{info.revision}", info.author,
                                info.date[:10]) if x)
    out += wrap(f"({who})", rest=" ")
    out.append("")
    present = len(info.present)
    text = f"v{info.revision}: {info.revision_reason}"
    if "present" not in info.revision_reason:
        text += f"; {present} of {plural(info.total, 'patch', 'patches')}" \
                " present"
    if info.missing:
        text += f"; missing {ranges(info.missing)}"
    if info.replies:
        text += f"; {plural(info.replies, 'reply', 'replies')}"
    out += _field("Series", text)
    base = f"base-commit {info.base_commit[:12]}" if info.base_commit \
        else "the series names no base-commit"
    # The tree's reason may already say the base ("HEAD: the series
    # names no base-commit"): each fact once.
    said = [x for x in (info.tree, info.tree_reason) if x]
    if not any(base in x or (info.base_commit or "-")[:12] in x
               for x in said):
        said.append(base)
    out += _field("Tree", "; ".join(said))
    out += _field("Applied", _applied_summary(app))
    where = applied_patches(app)
    if where:
        out += wrap(where, first=" " * 9, rest=" " * 11)
    for p in app.patches:
        for note in p.notes:
            out += wrap(f"{p.label}: {note}", first=" " * 9, rest=" " * 11)
    for w in info.warnings:
        out += wrap(f"warning: {w}", first=" " * 9, rest=" " * 11)
    return out


# The Applied line's words per count, in order; the ones after "clean"
# and "offset" are the hunk findings' (hunk-fuzz, tree-moved-on,
# already-applied, hunk-conflict, hunk-failed).
_APPLIED = (("offset", "with offset"), ("fuzz", "with fuzz"),
            ("preimage", "on the pre-image"),
            ("already", "already in the tree"),
            ("conflict", "in conflict"), ("failed", "failed"))


def _applied_summary(app: Application) -> str:
    hunks = app.total("hunks")
    if not hunks:
        return "nothing applied (no hunks, or no tree)"
    if not any(app.total(w) for w in ("clean", *dict(_APPLIED))):
        return (f"{plural(hunks, 'hunk')} read from the patch text (no tree "
                "to apply them to)")
    parts = [f"{app.total('clean')} of {hunks} hunks clean"]
    for what, word in _APPLIED:
        n = app.total(what)
        if n or what in ("fuzz", "failed"):
            parts.append(f"{n} {word}")
    return ", ".join(parts)


def _moves(report: Report) -> list[str]:
    """Definitions the series moves: where from, where to, under which
    guard; values are the constants table's business."""
    out: list[str] = []
    for mv in report.moves:
        values = "values unchanged" if not mv.changed else \
            f"values change: {', '.join(mv.changed)}"
        out += wrap(f"moved: {mv.what} ({plural(len(mv.names), 'constant')}"
                    f", {values}) by {mv.patch}", rest="  ")
        for word, where, guard in (
                ("from", f"{mv.old_file}:{mv.old_line}", mv.old_guard),
                ("to", f"{mv.new_file}:{mv.new_line}", mv.new_guard)):
            shown = f" (#if {guard})" if guard else \
                " (#if guard unknown: read from the patch text)" \
                if mv.patch_only else " (no #if guard)"
            out += wrap(f"{word:<5}{where}{shown}", first="  ", rest=" " * 9)
    return out


def applied_patches(app: Application) -> str:
    """Which patches each count of the Applied line is in: ``failed:
    1, 3-4, 27; with fuzz: 26`` (every patch, whatever file)."""
    parts = []
    for what, word in reversed(_APPLIED[1:]):
        nums = [_number(p.label) for p in app.patches if getattr(p, what)]
        if nums:
            parts.append(f"{word}: {ranges(nums)}")
    return "; ".join(parts)


def _number(label: str) -> int:
    try:
        return int(label.split("/")[0])
    except ValueError:
        return 0


def hunk_total(findings: Sequence[Finding]) -> str:
    """The total line of a report's FINDINGS, whose hunk findings are
    folded into the Applied line: ``total: 1 error, 0 warnings, 2
    checks; 81 hunk notes (62 hunk-failed, 19 hunk-fuzz) in Applied: see
    `patchlens apply```."""
    own = [f for f in findings if f.code not in HUNK_CODES]
    hunks = len(findings) - len(own)
    line = _counts(own)
    if hunks:
        codes: dict[str, int] = {}
        for f in findings:
            if f.code in HUNK_CODES:
                codes[f.code] = codes.get(f.code, 0) + 1
        what = ", ".join(f"{n} {c}" for c, n in codes.items())
        line += (f"; {plural(hunks, 'hunk note')} ({what}) in Applied: "
                 "see `patchlens apply`")
    return line


def _counts(findings: Sequence[Finding]) -> str:
    counts = [plural(sum(1 for f in findings if f.severity == s),
                     s.name.lower())
              for s in (Severity.ERROR, Severity.WARNING, Severity.CHECK)]
    return "total: " + ", ".join(counts)


def _constants(report: Report) -> list[str]:
    out = ["CONSTANTS CHANGED BY THE SERIES"]
    if not report.constants:
        if report.moves:
            return out + ["no family constant is added or removed, and no "
                          "value changes"] + _moves(report)
        return out + ["none: the series adds, removes or moves no family "
                      "constant"]
    marks = {"shift": "*", "collision": "!", "unknown": "?"}
    rows = []
    for c in report.constants:
        mark = "".join(marks.get(m, "") for m in c.marks)
        rows.append((c.family, c.name, c.shown_before, c.shown_after,
                     f"{c.patch or '-'} {mark}".rstrip()))
    out += table(("family", "name", "before", "after", "patch"), rows)
    used = {m for c in report.constants for m in c.marks}
    legend = [f"{marks[m]} {word}" for m, word in
              (("shift", "implicit value shift"), ("collision", "collision"),
               ("unknown", "value unknown")) if m in used]
    if legend:
        out += wrap("(" + ", ".join(legend) + ")")
    return out + _moves(report)


def render_findings(findings: Sequence[Finding], heading: bool = True,
                    fold_hunks: bool = False) -> list[str]:
    """Findings, worst first: ``LEVEL   file:line: code: message``.
    ``fold_hunks``: the hunk findings are left to the Applied line; the
    total counts them apart."""
    out = ["FINDINGS"] if heading else []
    if fold_hunks:
        shown = [f for f in findings if f.code not in HUNK_CODES]
        if len(shown) < len(findings):
            body = render_findings(shown, heading=False)
            return out + (body[:-1] if shown else body) + wrap(
                hunk_total(findings), rest=" " * 7)
        findings = shown
    if not findings:
        return out + ["none"]
    ordered = sorted(findings, key=lambda f: (-int(f.severity), f.file or "",
                                              f.line or 0, f.code))
    for f in ordered:
        where = site(f.file, f.line) if f.file else (f.subject or "-")
        patch = f" ({f.patch})" if f.patch else ""
        text = f"{where}: {f.code}: {f.message}{finding_marks(f)}{patch}"
        out += wrap(text, first=f"{f.severity.name:<8}", rest=" " * 8)
        for d in f.detail:
            out += wrap(d, first=" " * 10, rest=" " * 12)
    out.append(_counts(findings))
    return out


def _verdict(v: bool | None) -> str:
    return "?" if v is None else ("yes" if v else "no")


_KIND_WORDS = {"own": ("test of a domain's own token",
                       "tests of a domain's own token"),
               "lookup": ("lookup key", "lookup keys"),
               "core": ("core helper", "core helpers")}


def _accepts(f: FilterVerdict) -> str:
    """``DOMAIN_BUS_A, DOMAIN_BUS_B (CONFIG_X)``: the accepted set."""
    return ", ".join(t + (f" ({c})" if c else "") for t, c in f.accepted)


def _paths(filters: Sequence[FilterVerdict], select: bool) -> list[str]:
    """One path a row: verdicts, then where it decides, what it
    accepts and the configuration the token needs."""
    rows: list[Sequence[str] | str] = []
    # Refusals first in a table of decisions; parents found first in
    # a table of lookups.
    for f in sorted(filters, key=lambda f: (
            (f.with_series is not True) if select
            else (f.with_series is not False), f.file, f.line)):
        cond = " if" if f.condition else ""
        today = _verdict(f.today) + (cond if f.today else "")
        after = _verdict(f.with_series) + (cond if f.with_series else "")
        if f.patch and f.with_series != f.today:
            after += f" {f.patch}"
        rows.append((f.function, today, after, f.otherwise))
        where = site(f.file, f.line)
        if select:
            field = f.subject or "mask"
            rows.append(f"{where} .{field}" if f.kind == "mask" else where)
        else:
            rows.append(f"{where} {f.kind} ({f.subject})" if f.subject
                        else where)
        if f.accepted:
            rows.append(("selected by: " if select else "accepts: ")
                        + _accepts(f))
        if f.condition:
            rows.append(f"only with {f.condition}")
    return table(("parent", "today", "+series", "otherwise"), rows,
                 shrink=(3,))


def _many(title: str) -> str:
    """A family's title in the plural: "bus token" -> "bus tokens"."""
    return f"{title or 'token'}s"


def _filters(filters: Sequence[FilterVerdict], token_label: str,
             select_fields: Sequence[str] = ()) -> list[str]:
    """A parent's decisions on a child's token (kind a) in one table,
    counted on their own; paths that pass unlisted tokens on (fall
    through, accept) in one line under it; the parents' lookup
    selections (kind b) in a table of their own, counted apart."""
    child = [f for f in filters if f.decides == "child"]
    select = [f for f in filters if f.decides == "select"]
    shown = [f for f in child if f.refuses]
    passing = [f for f in child if not f.refuses]
    out: list[str] = []
    if shown:
        out.append(f"Parents that filter child {token_label}:")
        out += _paths(shown, select=False)
        refusing = sum(1 for f in shown if f.with_series is False)
        only = sorted({f.condition for f in shown
                       if f.with_series and f.condition})
        cond = sum(1 for f in shown if f.with_series and f.condition)
        out += wrap(f"{refusing} of {len(shown)} would refuse it with the "
                    "series applied" + (
                        f"; {cond} {'accepts' if cond == 1 else 'accept'}"
                        " it only with "
                        + " or ".join(only) + " set" if cond else ""))
    if passing:
        more = "more " if shown else ""
        out += wrap(f"{len(passing)} {more}paths that filter child "
                    f"{token_label} pass unlisted ones on "
                    "(fall through, accept): " + ", ".join(
                        sorted({f.function for f in passing})), rest="  ")
    if select:
        if out:
            out.append("")
        fields = " or ".join(select_fields)
        out += wrap(f"Parents found by a lookup with it ({fields}"
                    f"{': ' if fields else ''}which parent a search finds, "
                    "not a decision on a child):", rest="  ")
        out += _paths(select, select=True)
        found = sum(1 for f in select if f.with_series)
        out += wrap(f"{found} of {len(select)} would be found by it with the "
                    "series applied")
    return out


def _removal(imp: Impact, patch_only: bool = False) -> list[str]:
    """A removed constant: its uses before the series, by subsystem,
    each with the patch that removes it; uses left behind stand out."""
    out: list[str] = []
    before = [u for u in imp.removal if u.added_by is None]
    left = [u for u in imp.removal if u.left]
    files = len({u.site.file for u in before})
    text_only = bool(before) and all(u.site.note == FROM_PATCH_TEXT
                                     for u in before)
    if not before and patch_only:
        out += wrap("no patch of the series removes a use of it (no tree: "
                    "its uses before the series are not known)", rest="  ")
    elif not before:
        out.append("no code in the tree used it before the series")
    elif text_only:
        # No tree: the patches show the uses they remove, not the ones
        # they might leave behind.
        out += wrap(f"{plural(len(before), 'use')} removed by the series, in "
                    f"{plural(files, 'file')} (read from the patch text: "
                    "no tree shows a use it leaves behind)", rest="  ")
    else:
        gone = len(before) - sum(1 for u in before if u.left)
        out += wrap(f"{plural(len(before), 'use')} before the series, in "
                    f"{plural(files, 'file')}: {gone} removed by the series"
                    + (f", {sum(1 for u in before if u.left)} left" if gone
                       < len(before) else ""), rest="  ")
    groups: dict[str, list[RemovedUse]] = {}
    for u in imp.removal:
        groups.setdefault(u.site.subsystem, []).append(u)
    for sub, uses in sorted(groups.items()):
        out += wrap(f"{sub}:", rest="  ")
        for u in uses:
            s = u.site
            fn = scope(s.role, s.function)
            if u.added_by:
                fate = f"ADDED by {u.added_by}: stale-reference"
            elif u.left:
                fate = "LEFT: stale-reference"
            else:
                fate = f"{u.how or 'removed'} by {u.removed_by}"
            out += wrap(f"{s.role:<8}{site(s.file, s.line)}{fn}: {fate}",
                        first="  ", rest=" " * 10)
    if left:
        out += wrap(f"{plural(len(left), 'use')} of a name no longer "
                    "defined: the tree does not build", rest="  ")
    return out


def _impact(imp: Impact, patch_only: bool = False) -> list[str]:
    out = wrap(f"IMPACT: {imp.name} ({imp.what})", rest="  ")
    if imp.what.startswith("removed"):
        return out + _removal(imp, patch_only)
    if imp.neighbours:
        out += wrap("neighbours: " + ", ".join(imp.neighbours), rest="  ")
    if not imp.uses and patch_only:
        out += wrap("no line the series adds uses it (no tree: its uses "
                    "in the tree are not known)", rest="  ")
    elif not imp.uses:
        out.append("no code in the tree or the series uses it")
    for group in imp.uses:
        counts = ", ".join(plural(n, role, role + ("es" if role.endswith(
            "h") else "s")) for role, n in group.counts)
        out += wrap(f"{group.subsystem}: {counts}", rest="  ")
        if group.maintainers:
            out += wrap(", ".join(group.maintainers), first="  ",
                        rest="    ")
        for s in group.sites:
            where = site(s.file, s.line)
            fn = scope(s.role, s.function)
            patch = f" [{s.patch}]" if s.patch else ""
            out += wrap(f"{s.role:<8}{where}{fn}{patch}", first="  ",
                        rest=" " * 10)
    if imp.filters:
        out.append("")
        out += _filters(imp.filters, _many(imp.family), imp.select_fields)
    if imp.advertisers:
        out.append("")
        shown = [a for a in imp.advertisers if a.today or a.with_series]
        rest = [a.instance for a in imp.advertisers
                if not (a.today or a.with_series)]
        rows: list[Sequence[str] | str] = []
        for a in shown:
            after = _verdict(a.with_series)
            if a.patch and a.with_series != a.today:
                after += f" {a.patch}"
            rows.append((a.instance, _verdict(a.today), after))
            # The macro goes on the location line: a table column would
            # split a 30-character flag-set name to keep 72 columns.
            rows.append(f".{a.field} at {site(a.file, a.line)}"
                        + (f" via {a.via}" if a.via else ""))
        if rows:
            out.append("Parents that advertise it:")
            out += table(("parent", "today", "+series"), rows)
        if rest:
            out += wrap(f"{len(rest)} of {len(imp.advertisers)} parents do "
                        "not advertise it, today or with the series: " +
                        ", ".join(rest), rest="  ")
    return out


def _note(n: ReviewNote) -> list[str]:
    where = ", ".join(x for x in (n.patch and f"on {n.patch}",
                                  site(n.file, n.line) if n.file else "")
                      if x)
    out = wrap(f"{n.author} {where}".rstrip(), rest="  ")
    if n.subjects:
        out += wrap("about " + ", ".join(n.subjects), first="  ",
                    rest="    ")
    for q in n.quoted[-3:]:
        out += wrap(q.strip() and q, first="  > ", rest="  > ")
    out += wrap(f'"{" ".join(n.text.split())}"', first="  ", rest="   ")
    for a in n.answers:
        out += wrap(a, first="  -> ", rest="     ")
    return out


@render.register
def _(report: Report) -> str:
    out = _series(report.series, report.application)
    if report.patch_only:
        # Said once, under the title: before anything it qualifies.
        out.insert(out.index(""), report.patch_only)
    out += [""] + _constants(report)
    out += [""] + render_findings(report.findings, fold_hunks=True)
    for imp in report.impacts:
        out += [""] + _impact(imp, bool(report.patch_only))
    out += ["", "REVIEW"]
    about = [n for n in report.comments if n.subjects]
    other = [n for n in report.comments if not n.subjects]
    if not about:
        out.append("no reviewer comment discusses a family constant")
    for i, n in enumerate(about):
        if i:
            out.append("")
        out += _note(n)
    if other:
        by: dict[str, list[str]] = {}
        for n in other:
            labels = by.setdefault(n.author, [])
            if n.patch and n.patch not in labels:
                labels.append(n.patch)
        text = "; ".join(f"{a} on {', '.join(p) or 'the series'}"
                         for a, p in by.items())
        out += [""] + wrap(f"{plural(len(other), 'other comment')}, not "
                           f"about constants: {text}", rest="  ")
    return "\n".join(out) + "\n"


@render.register
def _(ans: RenameAnswer) -> str:
    value = "" if ans.old_value is None else f", value {ans.old_value}"
    fam = f" ({ans.family}{value})" if ans.family else ""
    out = wrap(f"RENAME {ans.old} -> {ans.new}{fam}", rest="  ")
    out.append("")
    if ans.collisions:
        out.append("COLLISIONS")
        for c in ans.collisions:
            out += wrap(c, first="! ", rest="  ")
    else:
        out.append(f"no collision: {ans.new} is free")
    out.append("")
    out.append(f"CODE SITES ({len(ans.sites)})")
    rows: list[Sequence[str] | str] = [
        (s.role, site(s.file, s.line), s.function or "-", s.patch or "tree")
        for s in ans.sites]
    out += table(("role", "where", "function", "in"), rows) if rows \
        else ["none"]
    out.append("")
    out.append(f"COMMENTS AND DOCUMENTATION ({len(ans.mentions)})")
    rows = [(s.role, site(s.file, s.line), s.patch or "tree")
            for s in ans.mentions]
    out += table(("kind", "where", "in"), rows) if rows else ["none"]
    out.append("")
    out.append("PATCHES TO RE-SPIN")
    if ans.respin:
        for label, title, n in ans.respin:
            out += wrap(f"{label} {title} ({plural(n, 'line')})", rest="      ")
    else:
        out.append("none")
    if ans.patch_refused:
        why = "; ".join(c.text for c in ans.conflicts if c.blocks)
        out.append("")
        out += wrap(f"not written: {ans.patch_file}: the patch would "
                    f"leave two meanings of {ans.new} ({why}); --force "
                    "writes it anyway", rest="  ")
    elif ans.patch_file:
        where = "stdout" if ans.patch_file == "-" else ans.patch_file
        out.append("")
        out += wrap(f"wrote {where}: "
                    f"{plural(ans.patch_files, 'file')} changed")
    return "\n".join(out) + "\n"


def _instances(rows: Sequence[InstanceRow], title: str) -> list[str]:
    out = [f"{title} ({len(rows)})"]
    if not rows:
        return out + ["none"]
    body: list[Sequence[str] | str] = []
    for r in rows:
        body.append((r.instance, r.struct))
        body.append(f"{site(r.file, r.line)} {r.via or ''}".rstrip())
    return out + table(("instance", "struct"), body)


@render.register
def _(ans: InvertAnswer) -> str:
    out = wrap(f"INVERT {ans.flag} as {ans.new_name}", rest="  ")
    out.append("")
    out += _instances(ans.setters, f"instances that set {ans.flag} "
                                   "(would stop)")
    out.append("")
    out += _instances(ans.others, "instances that do not set it (would "
                                  f"set {ans.new_name})")
    if ans.left_out:
        out.append("")
        out += _instances(ans.left_out, f"left out: {ans.flag} means "
                          f"nothing to them (not {ans.scope or 'in scope'})")
    if ans.trips:
        out += ["", f"run-time checks any new flag trips ({len(ans.trips)})"]
        trip_rows: list[Sequence[str] | str] = []
        for t in ans.trips:
            trip_rows.append((t.function or "-", f"WARN on {t.condition}"))
            trip_rows.append(site(t.file, t.line)
                             + (f" for {t.case}" if t.case else ""))
        out += table(("function", "check"), trip_rows)
    for title, sites in ((f"other code that sets {ans.flag}", ans.set_sites),
                         ("checks whose condition flips", ans.checks),
                         ("flag-set macros that contain it", ans.flagsets)):
        out += ["", f"{title} ({len(sites)})"]
        rows: list[Sequence[str] | str] = [
            (site(s.file, s.line), s.function or "-") for s in sites]
        out += table(("where", "function / macro"), rows) if rows \
            else ["none"]
    out += ["", "PER SUBSYSTEM"]
    rows = [(name, str(a), str(b), str(c), str(d))
            for name, a, b, c, d in ans.per_subsystem()]
    rows.append(("total", str(len(ans.setters)), str(len(ans.others)),
                 str(len(ans.checks)), str(len(ans.flagsets))))
    out += table(("subsystem", "set", "unset", "checks", "sets"), rows)
    return "\n".join(out) + "\n"


@render.register
def _(ans: AcceptAnswer) -> str:
    value = f"value {ans.value}" if ans.value is not None else \
        "value unknown" if ans.defined else "not defined"
    where = f", {ans.defined}" if ans.defined else ""
    out = wrap(f"ACCEPT {ans.token} ({value}{where})", rest="  ")
    if ans.lookup_only:
        out += wrap(f"{ans.token} is used only as a lookup key or a "
                    "domain's own token: no child domain carries it, so "
                    "no parent's decision on a child meets it",
                    first="  ", rest="  ")
    out.append("")
    if not ans.tree_known:
        out += wrap("no tree: only the parents in files the series "
                    "creates are known", first="", rest="  ")
    if not ans.filters and not ans.selections:
        out.append(f"no parent-domain path filters {_many(ans.family)}"
                   + ("" if ans.tree_known else " in them"))
    else:
        if not ans.filters:
            out.append("no parent decides on a child's "
                       f"{ans.family or 'token'}")
        out += _filters((*ans.filters, *ans.selections), _many(ans.family),
                        ans.select_fields)
    if ans.unlisted:
        out.append("")
        out += wrap("not parents, never listed: " + ", ".join(
            plural(n, *_KIND_WORDS.get(k, (k, k + "s")))
            for k, n in ans.unlisted), rest="  ")
    return "\n".join(out) + "\n"


@render.register
def _(d: SeriesDiff) -> str:
    out = wrap(f"DIFF {d.old} -> {d.new}", rest="  ")
    out += ["", "CONSTANTS"]
    if d.constants:
        out += table(("name", "old", "new"), d.constants)
    else:
        out.append("same constants and values")
    if d.roles:
        out += ["", "USES"]
        out += table(("name", "old", "new"), d.roles)
    out += ["", "PATCHES (matched by subject)"]
    for p in d.patches:
        label = f"{p.old or '-'} -> {p.new or '-'}"
        out += wrap(f"{label:<14} {p.title}", rest=" " * 15)
        for c in p.changes:
            out += wrap(c, first=" " * 15, rest=" " * 17)
    for n in d.notes:
        out += wrap(n)
    return "\n".join(out) + "\n"


def check_lines(text: str) -> list[str]:
    """Lines that break the rule (for tests and a self-check)."""
    return [line for line in text.splitlines()
            if len(line) > WIDTH or not line.isascii() or "\t" in line]
