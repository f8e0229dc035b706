"""The impact stage's answers: the report and the what-if questions.

Plain frozen dataclasses, built by pure functions in ``report.py``,
``rename.py``, ``invert.py``, ``accept.py`` and ``seriesdiff.py``, and
printed by ``patchlens.render``.  Values are already resolved to what a
reviewer reads (a patch is ``"27/33"``, a site is ``file:line``), so the
renderers only lay them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from patchlens.extract.facts import Site
from patchlens.extract.filters import FilterAction, FilterKind
from patchlens.extract.history import DefinitionMove
from patchlens.findings import Fact, Finding
from patchlens.text import site

__all__ = [
    "SeriesInfo", "PatchApplied", "Application", "ConstantChange", "Site",
    "DefinitionMove", "SubsystemUse", "FilterVerdict", "Advertiser", "RemovedUse", "Impact",
    "ReviewAnswer",
    "ReviewNote",
    "Report", "CheckAnswer", "Collision", "RenameAnswer", "RuntimeCheck", "InstanceRow", "InvertAnswer", "AcceptAnswer",
    "PatchDiff", "ConstantEffect", "SeriesDiff", "Answer", "REPORT_SCHEMA",
]

REPORT_SCHEMA = "patchlens-report/2"


@dataclass(frozen=True)
class SeriesInfo:
    """Which series, which revision and why, against which tree."""
    title: str
    author: str
    date: str
    revision: int
    revision_reason: str
    total: int
    present: tuple[int, ...]
    missing: tuple[int, ...]
    replies: int
    base_commit: str | None
    tree: str                 # "linux-6.12 (directory)"
    tree_reason: str          # why this tree / revision
    source: str               # the mailbox path
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PatchApplied:
    """How one patch's hunks applied to the tree (counts per status)."""
    label: str                # "27/33"
    title: str
    hunks: int = 0
    clean: int = 0
    offset: int = 0
    fuzz: int = 0
    preimage: int = 0         # merged 3-way from the pre-image blob (tree moved on)
    failed: int = 0           # failed (hunk-failed)
    already: int = 0          # already in the tree: not applied again
    notes: tuple[str, ...] = ()
    conflict: int = 0         # in conflict in the 3-way merge (hunk-conflict)  # "include/linux/msi.h:548: hunk 2 failed ..."


@dataclass(frozen=True)
class Application:
    patches: tuple[PatchApplied, ...] = ()

    def total(self, what: str) -> int:
        return sum(getattr(p, what) for p in self.patches)


@dataclass(frozen=True)
class ConstantChange:
    """One family constant the series adds, removes, or moves."""
    family: str               # the family's title: "bus token"
    family_key: str           # "bus_token"
    name: str
    kind: str                 # "added" | "removed" | "changed" | "shifted"
    before: int | None        # value in the tree (None: absent)
    after: int | None         # value after the whole series
    bit: bool = False         # show values as "bit n"
    patch: str | None = None  # the patch that made the change ("27/33")
    file: str | None = None
    line: int | None = None
    marks: tuple[str, ...] = ()  # "shift", "collision", "unknown"

    @property
    def shown_before(self) -> str:
        """The value before the series; "?" for one the series had but
        nothing shows (a removal read from a hunk without its enum's
        start), "-" for none."""
        if self.before is None and self.kind != "added":
            return "?"
        return self.show(self.before)

    @property
    def shown_after(self) -> str:
        """The value after the series; "?" when unknown, "-" for none."""
        if self.after is None and self.kind != "removed":
            return "?"
        return self.show(self.after)

    def show(self, value: int | None) -> str:
        if value is None:
            return "-"
        if self.bit and value > 0 and value & (value - 1) == 0:
            return f"bit {value.bit_length() - 1}"
        return str(value)


@dataclass(frozen=True)
class SubsystemUse:
    """The sites of one constant in one MAINTAINERS entry."""
    subsystem: str
    maintainers: tuple[str, ...]
    sites: tuple[Site, ...]

    @property
    def counts(self) -> tuple[tuple[str, int], ...]:
        roles: dict[str, int] = {}
        for s in self.sites:
            roles[s.role] = roles.get(s.role, 0) + 1
        return tuple(sorted(roles.items()))


@dataclass(frozen=True)
class FilterVerdict:
    """A parent-domain path that filters bus tokens (a switch, an if
    chain, a ``bus_select_mask``) and what it does with one token."""
    function: str
    file: str
    line: int
    subsystem: str
    today: bool | None        # accepts the token in the tree (None: unknown)
    with_series: bool | None  # accepts it after the series
    patch: str | None         # the patch that changed the answer
    otherwise: str            # what a refused token gets: "WARN, false"
    kind: FilterKind = FilterKind.SWITCH
    action: FilterAction = FilterAction.REJECT   # what unlisted tokens get
    # "child": a parent's decision on a child domain's token (issue 13's
    # kind a); "select": whether the parent is found by a lookup token
    # (kind b).  Never mixed in one count.
    decides: str = "child"
    # The configuration the token's case (or mask bit) needs, when the
    # path accepts it only then ("CONFIG_PCI_MSI").
    condition: str | None = None
    # Every token the path accepts (with the series), each with the
    # configuration it needs (None: always).
    accepted: tuple[tuple[str, str | None], ...] = ()
    subject: str = ""         # "info->bus_token", "bus_select_mask"

    @property
    def refuses(self) -> bool:
        """An unlisted token is turned away (not merely passed on)."""
        return self.action in (FilterAction.REJECT, FilterAction.WARN)


@dataclass(frozen=True)
class Advertiser:
    """A struct instance whose field advertises (supports/sets) a flag."""
    instance: str             # "x86_vector_msi_parent_ops"
    struct: str               # "msi_parent_ops"
    field: str                # "supported_flags"
    file: str
    line: int
    subsystem: str
    via: str | None           # flag-set macro that carries it
    today: bool
    with_series: bool
    patch: str | None = None


@dataclass(frozen=True)
class RemovedUse:
    """A use of a constant the series removes: one the tree has before
    the series, and the patch that removes it (``removed_by`` None: it
    is still there after the series), or one a patch of the series
    adds (``added_by``).  Any use still there is a stale-reference."""
    site: Site                # where it is (before the series; added: after)
    removed_by: str | None    # "1/2"; None: left behind
    how: str = ""             # "line removed", "file deleted", ...
    added_by: str | None = None  # a patch of the series adds this use

    @property
    def left(self) -> bool:
        return self.removed_by is None


@dataclass(frozen=True)
class Impact:
    """Who uses a new or changed constant, and its neighbours.

    For a removed constant, ``removal`` lists its uses before the series
    and what became of each (``uses`` stays empty: nothing uses it
    after, unless a use is left behind -- which ``removal`` says)."""
    name: str
    family: str
    what: str                 # "new bus token", "value shifts 15 -> 16"
    uses: tuple[SubsystemUse, ...] = ()
    neighbours: tuple[str, ...] = ()
    filters: tuple[FilterVerdict, ...] = ()
    advertisers: tuple[Advertiser, ...] = ()
    removal: tuple[RemovedUse, ...] = ()
    # The fields a parent is found by (profile [[selection]]): text only.
    select_fields: tuple[str, ...] = field(default=(),
                                           metadata={"json": False})


@dataclass(frozen=True)
class ReviewAnswer:
    """An impact question a comment asks, answered in one sentence from
    the same answer ``patchlens impact QUESTION`` prints in full."""
    question: str             # "rename" | "invert" | "accept"
    subject: str              # the constant asked about
    text: str                 # "accept: 16 of 18 parent paths ..."
    command: str              # "patchlens impact accept TOKEN"
    # The numbers ``text`` quotes, by name ("paths", "refuse", ...).
    counts: Mapping[str, int] = field(default_factory=dict)
    # The rest of what ``text`` says, as fields: a rename's colliding
    # name (its value, where), the patches that teach a parent a token.
    facts: tuple[Fact, ...] = field(default=(), metadata={"json": False})

    @property
    def line(self) -> str:
        """The answer as a reviewer reads it, ending with the command
        that shows the full table."""
        return f"{self.text} (`{self.command}`)"


@dataclass(frozen=True)
class ReviewNote:
    """A reviewer comment, anchored to the constants it discusses,
    with the questions it raises answered from the tree."""
    author: str
    patch: str | None
    file: str | None
    line: int | None
    quoted: tuple[str, ...]
    text: str
    subjects: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()   # each asked[i].line, in order
    asked: tuple[ReviewAnswer, ...] = ()


@dataclass(frozen=True)
class Report:
    series: SeriesInfo
    application: Application
    constants: tuple[ConstantChange, ...]
    findings: tuple[Finding, ...]
    impacts: tuple[Impact, ...]
    references: tuple[Site, ...]
    comments: tuple[ReviewNote, ...]
    schema: str = REPORT_SCHEMA
    # Definitions the series moves to another file: a move is not a
    # removal plus an addition (values are compared in ``constants``).
    moves: tuple[DefinitionMove, ...] = ()
    # Said once at the top without a tree: what a patch-only analysis
    # cannot know (None with a tree).
    patch_only: str | None = None


@dataclass(frozen=True)
class CheckAnswer:
    """What ``check`` prints: the report's findings (the same list, from
    the same pipeline) and the patch-only note."""
    findings: tuple[Finding, ...]
    patch_only: str | None = None


@dataclass(frozen=True)
class Collision:
    """Why a rename's new name is not free.

    ``kind``: ``exists`` (a definition of the name: ``value``, ``file``,
    ``line``; ``with_series`` when only the series adds it), ``used`` (a
    use of the name without a definition we read), ``prefix`` (the name
    leaves the family's common prefix).  ``exists`` and ``used`` block
    an emitted patch: it would declare or mean the name twice."""
    kind: str
    name: str
    value: int | str | None
    file: str | None
    line: int | None
    with_series: bool = False
    prefix: str | None = None
    family: str | None = None

    @property
    def blocks(self) -> bool:
        return self.kind in ("exists", "used")

    @property
    def text(self) -> str:
        where = site(self.file, self.line) if self.file else "?"
        if self.kind == "exists":
            when = " (with the series)" if self.with_series else ""
            value = "unknown" if self.value is None else self.value
            return f"{self.name} already exists{when}: value {value}, {where}"
        if self.kind == "used":
            return f"{self.name} is already used: {where}"
        return f"{self.name} breaks the {self.family} prefix {self.prefix}"


@dataclass(frozen=True)
class RenameAnswer:
    old: str
    new: str
    family: str | None
    old_value: int | None
    sites: tuple[Site, ...]          # code sites in tree and series
    mentions: tuple[Site, ...]       # comments, strings, Documentation/
    collisions: tuple[str, ...]      # "NEW exists: value 2, file:line"
    respin: tuple[tuple[str, str, int], ...]  # (label, title, lines)
    patch_file: str | None = None
    patch_files: int = 0             # files the emitted diff touches
    conflicts: tuple[Collision, ...] = ()   # ``collisions`` as records
    # The patch was not written: a blocking collision and no --force.
    patch_refused: bool = False


@dataclass(frozen=True)
class RuntimeCheck:
    """A WARN on a flags field being non-zero (``WARN_ON_ONCE(info->flags)``):
    adding any flag to what reaches it trips it."""
    file: str
    line: int
    function: str
    condition: str                       # "info->flags"
    case: str | None = None              # the case it sits under: DOMAIN_BUS_DEVICE_MSI
    subsystem: str = ""


@dataclass(frozen=True)
class InstanceRow:
    """A struct instance and whether it names the flag in a field."""
    instance: str
    struct: str
    file: str
    line: int
    subsystem: str
    sets: bool
    via: str | None = None           # field or macro that carries it


@dataclass(frozen=True)
class InvertAnswer:
    flag: str
    new_name: str
    setters: tuple[InstanceRow, ...]     # would stop setting FLAG
    others: tuple[InstanceRow, ...]      # would have to set NEW_NAME
    set_sites: tuple[Site, ...]          # code that sets FLAG outside structs
    checks: tuple[Site, ...]             # conditions that flip
    flagsets: tuple[Site, ...]           # flag-set macros containing FLAG
    # Instances of the same kinds to which FLAG means nothing (a PCI
    # flag and a platform or wired-to-MSI domain): not asked to set
    # NEW_NAME.  ``via`` says why.
    left_out: tuple[InstanceRow, ...] = ()
    scope: str | None = None             # "PCI": the flag's scope
    # Run-time checks any flag would trip (a WARN on a flags field
    # being non-zero, e.g. for DEVICE_MSI children).
    trips: tuple[RuntimeCheck, ...] = ()

    def per_subsystem(self) -> tuple[tuple[str, int, int, int, int], ...]:
        """(subsystem, setters, others, checks, flag sets), sorted."""
        rows: dict[str, list[int]] = {}
        for i, group in enumerate((self.setters, self.others)):
            for r in group:
                rows.setdefault(r.subsystem, [0, 0, 0, 0])[i] += 1
        for col, sites in ((2, self.checks), (3, self.flagsets)):
            for s in sites:
                rows.setdefault(s.subsystem, [0, 0, 0, 0])[col] += 1
        return tuple((k, v[0], v[1], v[2], v[3]) for k, v in sorted(rows.items()))


@dataclass(frozen=True)
class AcceptAnswer:
    """``impact accept TOKEN``: the parents' decisions on a child with
    the token (``filters``, kind a) and, apart, whether each parent is
    found by the token (``selections``, kind b).  Tests of a domain's
    own token, lookup keys and core helpers are never parents: only
    counted, by what they are (``unlisted``: ("own", 4), ...)."""
    token: str
    value: int | None
    defined: str | None                  # "file:line" or "patch 27/33"
    filters: tuple[FilterVerdict, ...]
    selections: tuple[FilterVerdict, ...] = ()
    unlisted: tuple[tuple[str, int], ...] = ()
    # The code uses the token only as a lookup key or a domain's own
    # token: no child domain carries it, so no parent decides on it.
    lookup_only: bool = False
    # The token's family title ("bus token"): for the text only.
    family: str = field(default="", metadata={"json": False})
    # The fields a parent is found by (profile [[selection]]): text only.
    select_fields: tuple[str, ...] = field(default=(),
                                           metadata={"json": False})
    # False without a tree: the paths are those of the series' new files.
    tree_known: bool = field(default=True, metadata={"json": False})


@dataclass(frozen=True)
class ConstantEffect:
    """What a patch does to one constant, against the other revision's
    patch (``when``: "now", "no longer", or "" for an unmatched patch).
    Values as the diff's table shows them: "bit 19", "15", "?" unknown,
    "-" absent."""
    action: str                          # "adds", "removes", "changes"
    name: str
    old: str
    new: str
    when: str = ""

    @property
    def phrase(self) -> str:
        """"now adds MSI_FLAG_PCI_IMS (bit 21)", as ``changes`` says it."""
        what = (f"adds {self.name} ({self.new})" if self.action == "adds"
                else f"removes {self.name}" if self.action == "removes"
                else f"{self.name}: {self.old} -> {self.new}")
        return f"{self.when} {what}" if self.when else what


@dataclass(frozen=True)
class PatchDiff:
    """One patch matched by subject across two revisions."""
    old: str | None                      # "27/33" in the old revision
    new: str | None
    title: str
    changes: tuple[str, ...]             # "adds MSI_FLAG_PCI_IMS (bit 21)"
    # The changes about constants, as records (each is one of ``changes``).
    effects: tuple[ConstantEffect, ...] = field(default=(),
                                                metadata={"json": False})


@dataclass(frozen=True)
class SeriesDiff:
    old: str                             # "v1 (ims-part3-v1.mbox)"
    new: str
    constants: tuple[tuple[str, str, str], ...]  # (name, old value, new value)
    patches: tuple[PatchDiff, ...]
    roles: tuple[tuple[str, str, str], ...] = ()  # (name, old, new) roles
    notes: tuple[str, ...] = field(default=())
    # The patch numbers each revision's mailbox lacks (the notes say so).
    old_missing: tuple[int, ...] = ()
    new_missing: tuple[int, ...] = ()


# What ``patchlens.render.render`` takes besides a list of findings: the
# report, check's answer, and the answers to the what-if questions.
Answer = (Report | CheckAnswer | RenameAnswer | InvertAnswer | AcceptAnswer
          | SeriesDiff)
