"""New flags: one nothing checks (``unchecked-flag``), one nothing sets
(``unset-flag``)."""

from __future__ import annotations

from patchlens.checks.usage import new_constants
from patchlens.extract.facts import Facts
from patchlens.extract.roles import Role
from patchlens.findings import Evidence, Finding, Severity, declare

__all__ = ["UNCHECKED_FLAG", "UNSET_FLAG", "unused_flags"]

UNCHECKED_FLAG = declare(
    "unchecked-flag", Severity.CHECK, Evidence.BOTH,
    "nothing checks a new flag",
    "No use of the flag in the tree or the series tests it: setting it "
    "changes no behaviour.")
UNSET_FLAG = declare(
    "unset-flag", Severity.CHECK, Evidence.BOTH,
    "nothing sets a new flag",
    "No assignment, setter call or struct field that sets flags (profile "
    "[[struct]] fields meaning \"sets\") carries it: checks of it are "
    "never true.")


def unused_flags(facts: Facts) -> list[Finding]:
    out = []
    for name in new_constants(facts):
        const = facts.final[name]
        if not const.bit:
            continue
        uses = [s for s in facts.sites if s.name == name]
        sets = any(s.role == Role.SET for s in uses) or any(
            name in names and facts.field_meaning.get(
                (i.struct, fname)) == "sets"
            for i in facts.instances for fname, names in i.fields.items())
        patch = facts.introduced_by(name)
        if not any(s.role == Role.CHECK for s in uses):
            out.append(UNCHECKED_FLAG.finding(
                f"nothing checks {name}: setting it changes no behaviour",
                file=const.file, line=const.line, patch=patch, subject=name))
        if not sets:
            out.append(UNSET_FLAG.finding(
                f"nothing sets {name}: checks of it are never true",
                file=const.file, line=const.line, patch=patch, subject=name))
    return out
