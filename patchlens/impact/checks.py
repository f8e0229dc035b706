"""The pre-check's own findings, beside the constant hazards.

- ``unhandled-enumerator``: a new enumerator that a switch (or if
  chain) over its enum does not handle, where the default rejects or
  WARNs (what ``-Wswitch`` would say, and what happens at run time);
- ``unchecked-flag`` / ``unset-flag``: a new flag nothing checks, or
  nothing sets;
- ``used-before-defined`` / ``used-after-removed``: patch k uses a
  constant only a later patch defines, or an earlier one removed --
  each patch must build on its own.
"""

from __future__ import annotations

import re

from patchlens.findings import Finding, Severity
from patchlens.impact.facts import Facts
from patchlens.mail.model import Series

__all__ = ["run_checks", "new_constants", "unhandled_enumerators",
           "unused_flags", "mid_series_breakage"]

_WORD = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def new_constants(facts: Facts) -> list[str]:
    return sorted(n for n in facts.final if n not in facts.base)


def unhandled_enumerators(facts: Facts) -> list[Finding]:
    out = []
    for name in new_constants(facts):
        const = facts.final[name]
        if const.bit:
            continue
        family = {c.name for c in facts.family_members(const.family)}
        for f in facts.filters:
            if f.kind == "mask" or name in f.accepted:
                continue
            if not (f.accepted & family) or f.action not in ("reject",
                                                             "warn"):
                continue
            warns = f.action == "warn" or "WARN" in f.default
            out.append(Finding(
                "unhandled-enumerator",
                Severity.WARNING if warns else Severity.CHECK,
                f"{f.function}() does not handle {name}; its default "
                f"({f.default}) refuses it", f.file, f.line,
                facts.introduced_by(name), name,
                (f"handles: {', '.join(sorted(f.accepted))}",)))
    return out


def unused_flags(facts: Facts) -> list[Finding]:
    out = []
    for name in new_constants(facts):
        const = facts.final[name]
        if not const.bit:
            continue
        uses = [s for s in facts.sites if s.name == name]
        sets = any(s.role == "set" for s in uses) or any(
            name in names and facts.field_meaning.get(
                (i.struct, fname)) == "sets"
            for i in facts.instances for fname, names in i.fields.items())
        patch = facts.introduced_by(name)
        if not any(s.role == "check" for s in uses):
            out.append(Finding("unchecked-flag", Severity.CHECK,
                               f"nothing checks {name}: setting it changes "
                               "no behaviour", const.file, const.line, patch,
                               name))
        if not sets:
            out.append(Finding("unset-flag", Severity.CHECK,
                               f"nothing sets {name}: checks of it are "
                               "never true", const.file, const.line, patch,
                               name))
    return out


def mid_series_breakage(series: Series, applied: object, facts: Facts
                        ) -> list[Finding]:
    """Names a patch uses that are not defined in the tree after it."""
    known = set()
    for st in facts.states:
        known |= set(st)
    out = []
    results = getattr(applied, "results", ())
    for k, r in enumerate(results, start=1):
        state = facts.states[k] if k < len(facts.states) else facts.final
        for f in r.files:
            seen: set[str] = set()
            for h in f.hunks:
                for l in h.hunk.lines:
                    if l.kind != "+":
                        continue
                    for word in _WORD.findall(l.text):
                        if word not in known or word in state or word in seen:
                            continue
                        seen.add(word)
                        line = (l.new_no or 0) + h.offset
                        later = next((facts.labels[j - 1] for j in
                                      range(k + 1, len(facts.states))
                                      if word in facts.states[j]), None)
                        earlier = any(word in facts.states[j]
                                      for j in range(0, k))
                        if later:
                            msg = (f"uses {word}, which only {later} "
                                   "defines: this patch does not build "
                                   "on its own")
                            code = "used-before-defined"
                        elif earlier:
                            msg = (f"uses {word}, which an earlier patch "
                                   "removed")
                            code = "used-after-removed"
                        else:
                            continue
                        out.append(Finding(code, Severity.ERROR, msg,
                                           f.path, line, r.label, word))
    return out


def run_checks(series: Series | None, applied: object, facts: Facts
               ) -> tuple[Finding, ...]:
    out = unhandled_enumerators(facts) + unused_flags(facts)
    if series is not None and applied is not None:
        out += mid_series_breakage(series, applied, facts)
    return tuple(out)
