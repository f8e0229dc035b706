"""``impact invert FLAG [--as NEWNAME]``: what inverting a flag's
meaning would touch.

Jason Gunthorpe's question on the IMS series: call out the special
case "I only know PCI MSI and MSI-X" as a flag instead.  Inverting
means: everyone who sets FLAG stops; every instance of the same struct
kinds that does not set it, and to which FLAG means something, must set
NEWNAME; every check flips; every flag-set macro containing FLAG
changes.

To which domains a flag means something is profile data
(``[[flag_scope]]``): a PCI flag concerns domains serving a PCI bus
token (their ``bus_token``, ``bus_select_mask``, ``bus_select_token``)
or already carrying a PCI flag; a platform or wired-to-MSI domain is
left out, and said so; one whose initializer names no token and no
flag of the scope (its token set at run time) is kept, marked "kind
unknown".  Any new flag also trips the run-time checks
that WARN on a flags field being non-zero (``WARN_ON_ONCE(info->flags)``
for DEVICE_MSI children): those are found by that shape in the files
of the parents' callbacks and instances, and listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from patchlens.extract.profile import FlagScope
from patchlens.extract.roles import Role
from patchlens.extract.facts import Mentioned
from patchlens.impact.facts import Facts, Instance
from patchlens.impact.model import InstanceRow, InvertAnswer, RuntimeCheck, Site
from patchlens.tree.source import TreeSource

__all__ = ["invert", "inverse_name", "runtime_checks", "flag_scope"]


def inverse_name(flag: str, prefix: str = "MSI_FLAG_") -> str:
    """``MSI_FLAG_PCI_MSIX`` -> ``MSI_FLAG_NO_PCI_MSIX`` (and back)."""
    for p in (prefix, ""):
        if p and flag.startswith(p):
            rest = flag[len(p):]
            return p + (rest[3:] if rest.startswith("NO_") else "NO_" + rest)
    head, _, tail = flag.rpartition("_")
    return f"{head}_NO_{tail}" if head else f"NO_{flag}"


def _row(inst: Instance, flag: str, fields: Iterable[str] = ()) -> InstanceRow:
    """An instance as a table row; its line is the line of the field
    that carries the flag (``.supported_flags =``), else of the first of
    ``fields`` it has (where the inverse would go), else the struct's."""
    carriers = [f for f, names in inst.fields.items() if flag in names]
    via = ", ".join(m for f in carriers if (m := inst.macro_for(f, flag)))
    how = ", ".join(f".{f}" for f in carriers) + (f" via {via}" if via else "")
    line = next((inst.lines[f] for f in (*carriers, *fields)
                 if f in inst.lines), inst.line)
    return InstanceRow(inst.name, inst.struct, inst.file, line,
                       inst.subsystem, bool(carriers), how or None)


def flag_scope(facts: Facts, flag: str) -> FlagScope | None:
    """The profile scope ``flag`` belongs to (None: every domain)."""
    return next((s for s in facts.flag_scopes if s.covers(flag)), None)


def _in_scope(facts: Facts, inst: Instance, scope: FlagScope
              ) -> tuple[bool, str | None]:
    """(whether ``scope``'s flags mean something to ``inst``, a note):
    yes when it serves a token of the scope or carries a flag of it; no
    when it serves only other tokens (the note says which); unknown --
    kept, and said -- when it names no token and no flag of the scope
    (an msi_domain_info whose bus token is set at run time)."""
    names = {n for ns in inst.fields.values() for n in ns}
    if names & set(scope.tokens) or any(scope.covers(n) for n in names):
        return True, None
    fams = {c.family for t in scope.tokens
            if (c := facts.final.get(t) or facts.base.get(t)) is not None}
    tokens = sorted(n for n in names if (c := facts.final.get(n)
                                          or facts.base.get(n)) is not None
                    and c.family in fams)
    if tokens:
        return False, "serves " + ", ".join(tokens)
    return True, (f"kind unknown: no {scope.name} token or flag in its "
                  "initializer")


def invert(facts: Facts, flag: str, new_name: str | None = None,
           source: TreeSource | None = None) -> InvertAnswer:
    const = facts.final.get(flag) or facts.base.get(flag)
    new_name = new_name or inverse_name(
        flag, _family_prefix(facts, const.family) if const else "")
    rows = [(i, _row(i, flag)) for i in facts.instances]
    setters = tuple(r for _, r in rows if r.sets)
    kinds = {r.struct for r in setters}
    # Where setters carry the flag, per struct: where the inverse goes.
    carrier: dict[str, list[str]] = {}
    for i, r in rows:
        if r.sets:
            carrier.setdefault(i.struct, [f for f, ns in i.fields.items()
                                          if flag in ns])
    instance_names = {i.name for i in facts.instances}
    scope = flag_scope(facts, flag)
    others: list[InstanceRow] = []
    left_out: list[InstanceRow] = []
    for inst, r in rows:
        if r.sets or r.struct not in kinds or not _same_kind(facts, inst, flag):
            continue
        row = _row(inst, flag, carrier.get(inst.struct, ()))
        keep, why = _in_scope(facts, inst, scope) if scope is not None \
            else (True, None)
        row = InstanceRow(row.instance, row.struct, row.file, row.line,
                          row.subsystem, False, why)
        (others if keep else left_out).append(row)
    mine = [s for s in facts.sites if s.name == flag]
    set_sites = tuple(s for s in mine if s.role == Role.SET
                      and s.function not in instance_names)
    checks = tuple(s for s in mine if s.role == Role.CHECK)
    flagsets = _flagset_sites(facts, flag)
    trips = runtime_checks(facts, source) if source is not None else ()
    return InvertAnswer(flag, new_name, setters, tuple(others), set_sites,
                        checks, flagsets, tuple(left_out),
                        scope.name if scope else None, trips)


def _same_kind(facts: Facts, inst: Instance, flag: str) -> bool:
    """An instance that has a flags field of the same family at all."""
    const = facts.final.get(flag) or facts.base.get(flag)
    family = const.family if const else None
    for names in inst.fields.values():
        for n in names:
            c = facts.final.get(n)
            if c is not None and c.family == family:
                return True
    return not inst.fields


# WARN_ON_ONCE(info->flags), WARN_ON(domain->info.flags): a WARN whose
# whole condition is a flags field, i.e. "any flag set is a bug".
_WARN_FLAGS = re.compile(
    r"\bWARN(?:_ON)?(?:_ONCE)?\s*\(\s*(\w+(?:(?:->|\.)\w+){0,4}?"
    r"(?:->|\.)\w*flags)\s*\)")
_FUNC = re.compile(r"^[A-Za-z_][\w \t*]*?\b(\w+)\s*\(")
_CASE = re.compile(r"^\s*case\s+(\w+)\s*:")


def runtime_checks(facts: Facts, source: TreeSource) -> tuple[RuntimeCheck, ...]:
    """Checks that WARN when a flags field is non-zero, in the files of
    the parents' child decisions and of the struct instances: adding
    any flag to what reaches them trips them."""
    files = sorted({f.file for f in facts.filters}
                   | {i.file for i in facts.instances})
    sub = {i.file: i.subsystem for i in facts.instances}
    sub.update((f.file, f.subsystem) for f in facts.filters)
    out: list[RuntimeCheck] = []
    for path in files:
        data = source.read(path)
        if data is None or b"WARN" not in data or b"flags" not in data:
            continue
        lines = data.decode("utf-8", "replace").split("\n")
        function, case = "", None
        for n, line in enumerate(lines, start=1):
            f = _FUNC.match(line)
            if f and not line.rstrip().endswith(";"):
                function, case = f.group(1), None
            c = _CASE.match(line)
            if c:
                case = c.group(1)
            m = _WARN_FLAGS.search(line) if "WARN" in line else None
            if m:
                out.append(RuntimeCheck(path, n, function, m.group(1),
                                        case, sub.get(path, "")))
    return tuple(out)


def _flagset_sites(facts: Facts, flag: str) -> tuple[Site, ...]:
    names = sorted(m for m, members in facts.flagsets.items()
                   if flag in members)
    where = {s.name: s for s in facts.flagset_sites}
    out = []
    for n in names:
        s = where.get(n)
        if s is None:
            comp = next((x for x in facts.sites if x.name == flag and
                         x.role == Role.COMPOSE and x.function == n), None)
            s = Site(n, Mentioned.FLAGSET, comp.file if comp else "?",
                     comp.line if comp else 0, n,
                     comp.subsystem if comp else "")
        out.append(s)
    if not out:
        # Without resolved flag sets, the compose sites are the macros.
        out = [Site(s.function or s.name, Mentioned.FLAGSET, s.file, s.line,
                    s.function, s.subsystem, s.patch)
               for s in facts.sites if s.name == flag and s.role == Role.COMPOSE]
    return tuple(out)


def _family_prefix(facts: Facts, family: str) -> str:
    from patchlens.impact.rename import family_prefix
    return family_prefix(facts, family)
