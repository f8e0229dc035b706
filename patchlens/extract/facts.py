"""What the checks and the impact questions read: the upstream stages'
results in one plain, frozen shape.

The data model only; ``patchlens.impact.facts.gather_facts`` fills it
from a session (the one adapter from the extract stage's types).  It
lives here, below ``patchlens.checks``, because the usage and flag
checks are pure functions over :class:`Facts` too.  The shapes are
named apart from the extract stage's on purpose: :class:`ConstantAt` is
a constant *at one state* (``Constant`` is its definition),
:class:`FilterPath` is a filter as the accept question sees it
(``TokenFilter`` is what the scanner found in one statement).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from patchlens.extract.filters import FilterAction, FilterKind
from patchlens.extract.history import DefinitionMove
from patchlens.extract.profile import FlagScope
from patchlens.extract.roles import Role, Rules
from patchlens.findings import Finding

__all__ = ["Site", "Mentioned", "ConstantAt", "Instance", "FilterPath", "QuestionCue",
           "Facts"]


class Mentioned(StrEnum):
    """What a site that is no use in code is: a mention (in a comment,
    a string, documentation, other text) or a flag-set macro naming the
    constant."""
    COMMENT = "comment"
    STRING = "string"
    DOC = "doc"
    TEXT = "text"
    FLAGSET = "flagset"


@dataclass(frozen=True)
class Site:
    """A use of a name: role, where, in which function and subsystem.

    ``patch`` is None for a site in the tree, else the patch whose
    post-image has it (a site the series adds).
    """
    name: str
    # A Role for a use in code; what a mention is, or a flag-set macro
    # naming the constant, otherwise.
    role: Role | Mentioned
    file: str
    line: int
    function: str | None = None
    subsystem: str = ""
    patch: str | None = None
    note: str = ""


@dataclass(frozen=True)
class ConstantAt:
    """A family constant at one state of the tree."""
    name: str
    family: str               # family key: "bus_token"
    title: str                # family title: "bus token"
    value: int | None
    bit: bool = False
    file: str | None = None
    line: int | None = None
    # "tree", or read from a patch whose hunk did not apply ("patch-only:
    # ..."): then ``line`` is where it would land.
    origin: str = "tree"


@dataclass(frozen=True)
class Instance:
    """A struct instance (``struct msi_domain_info x = {...}``) and the
    family names each field carries, flag-set macros resolved."""
    name: str
    struct: str
    file: str
    line: int
    subsystem: str
    fields: Mapping[str, frozenset[str]]      # field -> names it carries
    # field -> {name -> the flag-set macro in that field that holds it}:
    # per field, since two fields may carry one flag through different
    # macros (.supported_flags through a mask, .required_flags by name).
    via: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    patch: str | None = None                  # series patch that adds it
    lines: Mapping[str, int] = field(default_factory=dict)  # field -> line

    def macro_for(self, fname: str, name: str) -> str | None:
        """The flag-set macro through which field ``fname`` carries
        ``name`` (None: the field names it itself, or not at all)."""
        return self.via.get(fname, {}).get(name)


@dataclass(frozen=True)
class FilterPath:
    """A path that filters bus tokens, and what it decides on.

    ``decides`` (issue 13's kinds, :data:`patchlens.extract.filters.KINDS`):
    ``child`` -- a parent's decision on a child domain's token (a switch
    on the child's ``info->bus_token`` in ``init_dev_msi_info``);
    ``select`` -- whether a parent is found by a lookup token (its
    ``bus_select_token``/``bus_select_mask``: ``kind == "mask"``);
    ``own``, ``lookup``, ``core`` -- a domain's own token, a search key,
    a core helper: never a parent's decision on a child.
    """
    function: str
    file: str
    line: int
    subsystem: str
    accepted: frozenset[str]
    default: str              # what it does: "WARN, false", "false", ...
    kind: FilterKind = FilterKind.SWITCH
    action: FilterAction = FilterAction.REJECT   # what unlisted tokens get
    decides: str = "child"
    # token -> the configuration its case (or mask bit) needs.
    conditions: tuple[tuple[str, str], ...] = ()
    # token -> the line that decides for it, when not ``line`` (a select
    # token's ``.bus_select_token =`` line; ``line`` is the mask's).
    lines: tuple[tuple[str, int], ...] = ()
    subject: str = ""         # "info->bus_token", "bus_select_mask"
    lines_subject: str = ""   # what decides at ``lines``: "bus_select_token"

    def condition(self, token: str) -> str | None:
        return dict(self.conditions).get(token)

    def line_for(self, token: str) -> int:
        return dict(self.lines).get(token, self.line)

    def subject_for(self, token: str) -> str:
        return self.lines_subject if token in dict(self.lines) \
            else self.subject


@dataclass(frozen=True)
class QuestionCue:
    """How a comment asks an impact question (profile ``[[question]]``):
    a sentence naming one of ``about`` and one of ``cues`` asks ``ask``."""
    ask: str                  # "invert" | "accept"
    about: tuple[str, ...]
    cues: tuple[str, ...]


@dataclass(frozen=True)
class Facts:
    """Constants per state, hazards, and uses in the base and final tree.

    ``states[0]`` is the base; ``states[k]`` is after the k-th present
    patch, whose label is ``labels[k - 1]``.
    """
    states: tuple[Mapping[str, ConstantAt], ...]
    labels: tuple[str, ...]
    hazards: tuple[Finding, ...] = ()
    base_sites: tuple[Site, ...] = ()
    sites: tuple[Site, ...] = ()              # final tree; .patch set for new
    mentions: tuple[Site, ...] = ()           # comments, strings, docs (final)
    base_instances: tuple[Instance, ...] = ()
    instances: tuple[Instance, ...] = ()
    base_filters: tuple[FilterPath, ...] = ()
    filters: tuple[FilterPath, ...] = ()
    # Filters that are no parent's decision on a child (a domain's own
    # token, a lookup key, a core helper), final tree: never listed.
    other_filters: tuple[FilterPath, ...] = ()
    # (file, function, name) of each `case NAME:` a patch adds, applied
    # or not (function from the hunk's @@ section, "" if none).
    added_cases: frozenset[tuple[str, str, str]] = frozenset()
    # Value constants the code uses only as lookup keys or a domain's
    # own token: no parent's decision on a child sees them.
    lookup_tokens: frozenset[str] = frozenset()
    flagsets: Mapping[str, frozenset[str]] = field(default_factory=dict)
    flagset_sites: tuple[Site, ...] = ()      # where each flag set is defined
    maintainers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # What a struct field means for the families (profile [[struct]]):
    # (struct, field) -> "sets" | "supports" | "requires".
    field_meaning: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # Constants whose value changes only by position (implicit shift).
    shifted: frozenset[str] = frozenset()
    # Lines each patch adds, per file: (label, file) -> added texts.
    added: Mapping[tuple[str, str], tuple[str, ...]] = field(
        default_factory=dict)
    # How reviewers ask the impact questions in prose (profile).
    questions: tuple[QuestionCue, ...] = ()
    # Definitions the series moves to another file (the history's).
    moves: tuple[DefinitionMove, ...] = ()
    # Capitalised words of the subsystem's prose that are not names
    # ("MSI", "PCI"; profile ``[review] prose``).
    prose: frozenset[str] = frozenset()
    # Constants the base lacks (no tree, or not this file) that a patch's
    # own pre-image proves existed before it -- and so before the series,
    # no earlier patch having added them: name -> (value then, the patch
    # whose pre-image shows it).
    proven: Mapping[str, tuple[ConstantAt, str]] = field(
        default_factory=dict)
    # The values of each state's family sets and masks
    # (``MSI_GENERIC_FLAGS_MASK`` = ``GENMASK(15, 0)``), aligned with
    # ``states``: a field naming a mask carries every bit in it.
    set_values: tuple[Mapping[str, int], ...] = ()
    # The struct fields a parent is found by (profile [[selection]]:
    # "bus_select_token", "bus_select_mask").
    select_fields: tuple[str, ...] = ()
    # Which domains each flag family means something to (profile
    # ``[[flag_scope]]``).
    flag_scopes: tuple[FlagScope, ...] = ()
    # The profile's calls (``[[setter]]``, ``[[matcher]]``, ``[calls]
    # truth``): what a line of the patch text does with a name -- the
    # tree's scan has them too.
    call_rules: Rules = field(default_factory=lambda: Rules(names={}))
    # False without a tree: the code the facts hold is only what the
    # series' new files show (a parent, a setter in a tree file is not
    # known), so a count of it is no count of the kernel's.
    tree_known: bool = True

    @property
    def base(self) -> Mapping[str, ConstantAt]:
        return self.states[0]

    @property
    def final(self) -> Mapping[str, ConstantAt]:
        return self.states[-1]

    def value_at(self, name: str, k: int) -> int | None:
        c = self.states[k].get(name)
        return None if c is None else c.value

    def family_members(self, family: str, k: int = -1) -> list[ConstantAt]:
        """The family's constants at state k, in value order."""
        members = [c for c in self.states[k].values() if c.family == family]
        return sorted(members, key=lambda c: (c.value is None,
                                              c.value or 0, c.name))

    def field_bits(self, inst: Instance, fname: str, k: int = -1) -> int:
        """The bits a field of an instance carries at state k: its flags,
        and every bit of the masks it names (by value, not by name)."""
        state = self.states[k]
        sets = self.set_values[k] if self.set_values else {}
        bits = 0
        for n in inst.fields.get(fname, ()):
            c = state.get(n)
            v = c.value if c is not None and c.bit else sets.get(n)
            if v is not None and v > 0:
                bits |= v
        return bits

    def carries(self, inst: Instance, fname: str, name: str, k: int = -1
                ) -> str | None:
        """How a field carries the flag ``name`` at state k: "" when it
        names it (or a flag-set macro holding it: ``inst.macro_for``), the mask
        whose bits cover the flag's bit, None when it does not carry it.
        A parent advertises a flag when the *bit* is in its
        supported_flags, whatever the name it is spelled by."""
        if name in inst.fields.get(fname, ()):
            return ""
        c = self.states[k].get(name)
        if c is None or not c.bit or c.value is None or c.value <= 0:
            return None
        if not self.field_bits(inst, fname, k) & c.value:
            return None
        sets = self.set_values[k] if self.set_values else {}
        return next((n for n in sorted(inst.fields.get(fname, ()))
                     if (sets.get(n) or 0) & c.value), "")

    def introduced_by(self, name: str) -> str | None:
        """The patch after which ``name`` first exists (None: in the base
        or never)."""
        for k in range(1, len(self.states)):
            if name in self.states[k] and name not in self.states[k - 1]:
                return self.labels[k - 1] if k - 1 < len(self.labels) \
                    else None
        return None

    def first_patch_adding(self, name: str, file: str | None = None
                           ) -> str | None:
        """The first patch whose added lines name ``name`` (in ``file``)."""
        pat = re.compile(rf"\b{re.escape(name)}\b")
        for label in self.labels:
            for (lab, path), lines in self.added.items():
                if lab != label or (file is not None and path != file):
                    continue
                if any(pat.search(t) for t in lines):
                    return label
        return None
