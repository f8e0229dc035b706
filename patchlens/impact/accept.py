"""``impact accept TOKEN``: would a parent domain refuse a child domain
with bus token TOKEN, today and with the series -- and, apart, can the
parent be found by TOKEN.

Reads the bus-token filters of :class:`Facts` by what they decide on
(``FilterPath.decides``, set from the profile's ``[[callback]]`` and
``[[selection]]`` tables): ``child`` paths (a switch on the child's
``info->bus_token`` in ``init_dev_msi_info`` or ``msi_prepare``) answer
"would this parent refuse the child"; ``select`` paths (a parent's
``bus_select_token``/``bus_select_mask``, tested by its select
callback) answer "is this parent found by the token".  The two are
counted apart; tests of a domain's own token, lookup keys and core
helpers are never parents.
"""

from __future__ import annotations

from collections import Counter

from patchlens.impact.facts import Facts, FilterPath
from patchlens.impact.model import AcceptAnswer, FilterVerdict
from patchlens.text import site

__all__ = ["accept", "verdicts", "PARENT_KINDS"]

# What a listed path decides on: a child's token (a), a lookup (b).
PARENT_KINDS = ("child", "select")


def _family(facts: Facts, token: str) -> set[str]:
    const = facts.final.get(token) or facts.base.get(token)
    if const is None:
        return set()
    return {c.name for c in facts.family_members(const.family)} | {
        c.name for c in facts.family_members(const.family, 0)}


def _relevant(filters: tuple[FilterPath, ...], family: set[str],
              kinds: tuple[str, ...]
              ) -> dict[tuple[str, str, str, str, int], FilterPath]:
    """Paths over the token's family deciding one of ``kinds``, keyed
    by (decides, file, function, kind, n) so base and final match."""
    out: dict[tuple[str, str, str, str, int], FilterPath] = {}
    for f in filters:
        if f.decides not in kinds:
            continue
        if family and not f.accepted & family:
            continue
        n = 0
        while (f.decides, f.file, f.function, f.kind, n) in out:
            n += 1
        out[(f.decides, f.file, f.function, f.kind, n)] = f
    return out


def verdicts(facts: Facts, token: str,
             kinds: tuple[str, ...] = PARENT_KINDS
             ) -> tuple[FilterVerdict, ...]:
    """Every path over ``token``'s family deciding one of ``kinds``;
    base and final matched by (what it decides, file, function, kind)
    in order.  A token accepted only under a configuration is accepted,
    with the condition (``FilterVerdict.condition``)."""
    family = _family(facts, token)
    base = _relevant(facts.base_filters, family, kinds)
    final = _relevant(facts.filters, family, kinds)
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
        cond = shown.condition(token) if token in shown.accepted else None
        accepted = tuple((t, shown.condition(t)) for t in sorted(shown.accepted))
        out.append(FilterVerdict(shown.function, shown.file,
                                 shown.line_for(token), shown.subsystem,
                                 today, after, patch, shown.default,
                                 shown.kind, shown.action, shown.decides,
                                 cond, accepted, shown.subject_for(token)))
    return tuple(sorted(out, key=lambda v: (v.decides, v.file, v.line)))


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
    family = _family(facts, token)
    others = _relevant(facts.other_filters, family, ("own", "lookup", "core"))
    unlisted = Counter(f.decides for f in others.values())
    return AcceptAnswer(token, None if const is None else const.value,
                        defined, verdicts(facts, token, ("child",)),
                        verdicts(facts, token, ("select",)),
                        tuple(sorted(unlisted.items())),
                        token in facts.lookup_tokens,
                        const.title if const is not None else "",
                        facts.select_fields, facts.tree_known)
