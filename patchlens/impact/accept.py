"""``impact accept TOKEN``: which parent domains would take a child
domain with bus token TOKEN, today and with the series, and what the
others do (reject, WARN).

Reads the bus-token filters the reference stage finds (``switch`` and
``if`` chains over ``info->bus_token``) and the ``bus_select_mask``
fields of parent ops instances.
"""

from __future__ import annotations

from patchlens.impact.facts import Facts, Instance, FilterPath
from patchlens.impact.model import AcceptAnswer, FilterVerdict
from patchlens.text import site

__all__ = ["accept", "verdicts"]


def _mask_filters(instances: tuple[Instance, ...], facts: Facts
                  ) -> list[FilterPath]:
    """``bus_select_mask`` fields as filters: the tokens they carry."""
    out = []
    for inst in instances:
        for fname, names in inst.fields.items():
            if facts.field_meaning.get((inst.struct, fname)) != "supports":
                continue
            if not fname.startswith("bus_"):
                continue
            out.append(FilterPath(inst.name, inst.file,
                                   inst.line, inst.subsystem,
                                   frozenset(names), "not selected", "mask",
                                   "reject"))
    return out


def verdicts(facts: Facts, token: str) -> tuple[FilterVerdict, ...]:
    """Every filter over ``token``'s family; base and final matched by
    (file, function, kind) in order."""
    const = facts.final.get(token) or facts.base.get(token)
    family = {c.name for c in facts.family_members(const.family)} | {
        c.name for c in facts.family_members(const.family, 0)} \
        if const is not None else set()

    def relevant(filters: list[FilterPath]
                 ) -> dict[tuple[str, str, str, int], FilterPath]:
        out: dict[tuple[str, str, str, int], FilterPath] = {}
        for f in filters:
            if family and not f.accepted & family:
                continue
            n = 0
            while (f.file, f.function, f.kind, n) in out:
                n += 1
            out[(f.file, f.function, f.kind, n)] = f
        return out

    base = relevant([*facts.base_filters,
                     *_mask_filters(facts.base_instances, facts)])
    final = relevant([*facts.filters, *_mask_filters(facts.instances, facts)])
    out = []
    for key in sorted(set(base) | set(final)):
        b, f = base.get(key), final.get(key)
        today = None if b is None else token in b.accepted
        after = None if f is None else token in f.accepted
        shown = f or b
        assert shown is not None
        patch = None
        if after != today:
            patch = facts.first_patch_adding(token, shown.file)
        out.append(FilterVerdict(shown.function, shown.file, shown.line,
                                 shown.subsystem, today, after, patch,
                                 shown.default, shown.kind, shown.action))
    return tuple(out)


def accept(facts: Facts, token: str) -> AcceptAnswer:
    const = facts.final.get(token) or facts.base.get(token)
    defined = None
    if const is not None:
        if token not in facts.base:
            defined = f"patch {facts.introduced_by(token) or '?'}"
            if const.file:
                defined += f", {site(const.file, const.line)}"
        elif const.file:
            defined = site(const.file, const.line)
    return AcceptAnswer(token, None if const is None else const.value,
                        defined, verdicts(facts, token))
