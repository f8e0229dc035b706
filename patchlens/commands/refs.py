"""``patchlens refs``: every use of the named constants, with its role.

``refs NAME...``, ``refs --family F`` or ``refs --all``: the sites in
the tree (role, file:line, function, subsystem), then how many mentions
in comments, strings and documentation.  With ``--series`` also the
sites in the files the series changes, read from their post-images.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from patchlens.commands.common import emit
from patchlens.errors import EXIT_OK, InputError
from patchlens.render.layout import plural, wrap

if TYPE_CHECKING:
    from patchlens.extract.references import ReferenceSite

__all__ = ["run", "load_scan", "select_names", "format_text", "format_json"]



def load_scan(opts: argparse.Namespace) -> tuple[Any, Any, dict[str, str], Any, Any]:
    """(session, constants, names, base scan, final scan or None)."""
    from patchlens.session import open_session
    sess = open_session(opts)
    if sess.tree.info.kind == "none":
        raise InputError("--tree", "refs needs a kernel tree (--tree PATH)")
    cache = not getattr(opts, "no_cache", False)
    # The tree-wide search starts now, while the parser loads and the
    # constants are read (a core would idle there).
    sess.start_scan(getattr(opts, "names", None) or ())
    from patchlens.extract.constants import extract_constants
    from patchlens.extract.scan import family_names, scan_references
    table = extract_constants(sess.tree, sess.profile, context=sess.search)
    names = family_names(table)
    extra = [n for n in (getattr(opts, "names", None) or []) if n not in names]
    for n in extra:
        if not n.replace("_", "a").isalnum() or n[0].isdigit():
            raise InputError("refs", f"not a C identifier: {n}")
        names[n] = "other"
    progress = not getattr(opts, "quiet", False)
    base = scan_references(sess.tree, names, sess.profile, cache=cache,
                           progress=progress, context=sess.search)
    final = None
    if sess.applied is not None:
        final = scan_references(sess.final, names, sess.profile, cache=cache,
                                progress=progress, context=sess.search)
    return sess, table, base.names, base, final


def select_names(opts: argparse.Namespace, names: dict[str, str], profile) -> list[str]:
    """The names the command line asks for."""
    if getattr(opts, "all", False):
        return sorted(names)
    fam = getattr(opts, "family", None)
    if fam:
        keys = {f.key for f in profile.families} | {"flagset"}
        if fam not in keys:
            raise InputError("--family", f"unknown family {fam!r} (one of "
                                         f"{', '.join(sorted(keys))})")
        return sorted(n for n, k in names.items() if k == fam)
    asked = list(getattr(opts, "names", None) or [])
    if not asked:
        raise InputError("refs", "name a constant, or use --family F or --all")
    return asked


def _changed_paths(sess) -> frozenset[str]:
    if sess.applied is None:
        return frozenset()
    out: set[str] = set()
    for k in range(1, len(sess.applied.states)):
        out |= sess.applied.changed(k)
    return frozenset(out)


def _site_lines(s: ReferenceSite, functions=()) -> list[str]:
    """``role  file:line`` then who and why, wrapped (never cut: a cut
    path or reason is worse than a longer listing)."""
    who = (f"{s.function}()" if s.function in functions else s.function) \
        if s.function else "(file scope)"
    return (wrap(f"{s.file}:{s.line}", first=f"    {s.role.value:<8} ",
                 rest=" " * 13)
            + wrap(f"{who}: {s.reason}" if s.reason else who,
                   first=" " * 13))


def format_text(label: str, wanted: list[str], names: dict[str, str], scan,
                final=None, changed: frozenset[str] = frozenset()) -> str:
    """Per name: a role summary, then the sites grouped by subsystem
    (the MAINTAINERS entry a reviewer would Cc)."""
    lines = wrap(f"References in {label}") + [""]
    by_name: dict[str, list[ReferenceSite]] = {}
    for s in scan.sites:
        by_name.setdefault(s.name, []).append(s)
    mentions = Counter(m.name for m in scan.mentions)
    for name in wanted:
        sites = by_name.get(name, [])
        roles = Counter(s.role.value for s in sites)
        summary = ", ".join(f"{r} {n}" for r, n in sorted(roles.items()))
        lines += wrap(f"{name} ({names.get(name, '?')}): "
                      f"{plural(len(sites), 'site')}"
                      + (f": {summary}" if summary else ""), rest="  ")
        groups: dict[str, list[ReferenceSite]] = {}
        for s in sites:
            groups.setdefault(s.subsystem or "-", []).append(s)
        for subsystem in sorted(groups):
            lines += wrap(subsystem, first="  ", rest="    ")
            for s in groups[subsystem]:
                lines += _site_lines(s, scan.functions)
        if mentions.get(name):
            lines += wrap(f"+ {mentions[name]} mentions in comments, "
                          "strings, documentation", first="  ")
        lines.append("")
    if final is not None:
        lines.append("After the series (post-images of changed files):")
        post = [s for s in final.sites if s.file in changed and s.name in set(wanted)]
        if not post:
            lines.append("  no sites in the changed files")
        for s in post:
            lines += wrap(s.name, first="  ") + _site_lines(s, final.functions)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _site_json(s: ReferenceSite) -> dict[str, Any]:
    d = asdict(s)
    d["role"] = s.role.value
    return d


def format_json(label: str, wanted: list[str], names: dict[str, str], scan,
                final=None, changed: frozenset[str] = frozenset()) -> str:
    want = set(wanted)
    doc: dict[str, Any] = {
        "tree": label,
        "names": {n: names.get(n, "other") for n in wanted},
        "sites": [_site_json(s) for s in scan.sites if s.name in want],
        "mentions": [asdict(m) for m in scan.mentions if m.name in want],
        "structs": [{"struct": s.struct, "variable": s.variable, "file": s.file,
                     "line": s.line, "fields": {k: list(v) for k, v in s.fields},
                     "text": dict(s.text)} for s in scan.structs],
        "filters": [{**asdict(f), "accepted": sorted(f.accepted),
                     "rejected": sorted(f.rejected)} for f in scan.filters],
        "flagsets": {k: list(v) for k, v in scan.flagsets.items()},
    }
    if final is not None:
        doc["series"] = {
            "changed": sorted(changed),
            "sites": [_site_json(s) for s in final.sites
                      if s.file in changed and s.name in want]}
    return json.dumps(doc, indent=1, sort_keys=False)


def run(opts: argparse.Namespace) -> int:
    if not (opts.names or opts.family or opts.all):
        raise InputError("refs", "name a constant, or use --family F or --all")
    sess, _, names, scan, final = load_scan(opts)
    wanted = select_names(opts, names, sess.profile)
    changed = _changed_paths(sess)
    fmt = format_json if opts.format == "json" else format_text
    emit(fmt(sess.tree.info.label, wanted, names, scan, final, changed), opts.output)
    return EXIT_OK
