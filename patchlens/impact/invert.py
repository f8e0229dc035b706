"""``impact invert FLAG [--as NEWNAME]``: what inverting a flag's
meaning would touch.

Jason Gunthorpe's question on the IMS series: call out the special
case "I only know PCI MSI and MSI-X" as a flag instead.  Inverting
means: everyone who sets FLAG stops; every instance of the same struct
kinds that does not set it must set NEWNAME; every check flips; every
flag-set macro containing FLAG changes.
"""

from __future__ import annotations

from patchlens.extract.roles import Role
from patchlens.impact.facts import Facts, Instance
from patchlens.impact.model import InstanceRow, InvertAnswer, Site
from patchlens.impact.rename import family_prefix

__all__ = ["invert", "inverse_name"]


def inverse_name(flag: str, prefix: str = "") -> str:
    """``MSI_FLAG_PCI_MSIX`` -> ``MSI_FLAG_NO_PCI_MSIX`` (and back) with
    the family's ``prefix`` (``MSI_FLAG_``, found from the family's
    members); without one, ``NO_`` goes before the last word."""
    for p in (prefix, ""):
        if p and flag.startswith(p):
            rest = flag[len(p):]
            return p + (rest[3:] if rest.startswith("NO_") else "NO_" + rest)
    head, _, tail = flag.rpartition("_")
    return f"{head}_NO_{tail}" if head else f"NO_{flag}"


def _row(inst: Instance, flag: str) -> InstanceRow:
    carriers = [f for f, names in inst.fields.items() if flag in names]
    via = inst.via.get(flag)
    how = ", ".join(f".{f}" for f in carriers) + (f" via {via}" if via else "")
    return InstanceRow(inst.name, inst.struct, inst.file, inst.line,
                       inst.subsystem, bool(carriers), how or None)


def invert(facts: Facts, flag: str, new_name: str | None = None
           ) -> InvertAnswer:
    const = facts.final.get(flag) or facts.base.get(flag)
    new_name = new_name or inverse_name(
        flag, family_prefix(facts, const.family) if const else "")
    rows = [_row(i, flag) for i in facts.instances]
    setters = tuple(r for r in rows if r.sets)
    kinds = {r.struct for r in setters}
    instance_names = {i.name for i in facts.instances}
    others = tuple(r for r in rows if not r.sets and r.struct in kinds
                   and _same_kind(facts, r, flag))
    mine = [s for s in facts.sites if s.name == flag]
    set_sites = tuple(s for s in mine if s.role == Role.SET
                      and s.function not in instance_names)
    checks = tuple(s for s in mine if s.role == Role.CHECK)
    flagsets = _flagset_sites(facts, flag)
    return InvertAnswer(flag, new_name, setters, others, set_sites, checks,
                        flagsets)


def _same_kind(facts: Facts, row: InstanceRow, flag: str) -> bool:
    """An instance that has a flags field of the same family at all."""
    inst = next(i for i in facts.instances if i.name == row.instance
                and i.file == row.file)
    const = facts.final.get(flag) or facts.base.get(flag)
    family = const.family if const else None
    for names in inst.fields.values():
        for n in names:
            c = facts.final.get(n)
            if c is not None and c.family == family:
                return True
    return not inst.fields


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
            s = Site(n, "flagset", comp.file if comp else "?",
                     comp.line if comp else 0, n,
                     comp.subsystem if comp else "")
        out.append(s)
    if not out:
        # Without resolved flag sets, the compose sites are the macros.
        out = [Site(s.function or s.name, "flagset", s.file, s.line,
                    s.function, s.subsystem, s.patch)
               for s in facts.sites if s.name == flag and s.role == Role.COMPOSE]
    return tuple(out)
