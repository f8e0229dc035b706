"""``patchlens refs``: every use of the named constants, with its role.

Per name a role summary, then the sites grouped by subsystem (role,
file:line, function, why), then how many mentions in comments, strings
and documentation; with a series also the sites in the post-images of
the files it changes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from patchlens.text import plural, wrap

if TYPE_CHECKING:
    from patchlens.extract.references import ReferenceSite
    from patchlens.extract.scan import Scan
from patchlens.render import schema

__all__ = ["as_text", "as_json"]


def _site_lines(s: ReferenceSite,
                functions: Collection[str] = ()) -> list[str]:
    """``role  file:line`` then who and why, and the helpers that
    decided (``via``), wrapped (never cut: a cut path or reason is worse
    than a longer listing)."""
    who = (f"{s.function}()" if s.function in functions else s.function) \
        if s.function else "(file scope)"
    via = wrap(f"via {s.via}", first=" " * 13, rest=" " * 17) \
        if getattr(s, "via", "") else []
    return (wrap(f"{s.file}:{s.line}", first=f"    {s.role.value:<8} ",
                 rest=" " * 13)
            + wrap(f"{who}: {s.reason}" if s.reason else who,
                   first=" " * 13) + via)


def as_text(label: str, wanted: Sequence[str], names: Mapping[str, str],
            scan: Scan, final: Scan | None = None,
            changed: frozenset[str] = frozenset()) -> str:
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


def as_json(label: str, wanted: Sequence[str], names: Mapping[str, str],
            scan: Scan, final: Scan | None = None,
            changed: frozenset[str] = frozenset()) -> str:
    """The same as JSON: sites, mentions, structs, filters, flag sets."""
    want = set(wanted)
    doc: dict[str, Any] = {
        "schema": schema.REFS,
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
