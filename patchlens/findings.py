"""Findings: what a reviewer must look at, with checkpatch's severities.

Every finding code is declared once, as a :class:`Message` in the
message table of the check that emits it (``patchlens/checks/``, in
the manner of pylint's message tables), and every :class:`Finding` is
made by ``MESSAGE.finding(...)``: a code's severity is chosen in one
place.  :data:`CATALOGUE` holds the declared messages; importing
:mod:`patchlens.checks` declares them all (``patchlens check
--list-findings`` prints them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum, IntEnum

__all__ = ["Severity", "Evidence", "Finding", "Message", "Catalogue",
           "CATALOGUE", "declare", "TREE_LINE", "PATCH_LINE", "Fact",
           "Location", "ConstantRef", "Number", "TypeSize", "FieldSize",
           "Text", "HunkRef", "single_bit"]

# What ``Finding.line`` is (``Finding.location_kind``).  A tree line: the
# line in the tree after the patches up to the finding's.  A patch line:
# the text was read from the patch because its hunk did not apply; the
# line is where it would land in the tree (after the enumerator it
# follows in the hunk, or the hunk's "nearly fits" line), else the
# line of the patch's post-image.
TREE_LINE = "tree"
PATCH_LINE = "patch"


class Severity(IntEnum):
    """Ordered so ``finding.severity >= fail_on`` reads naturally."""
    CHECK = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, word: str) -> "Severity":
        return cls[word.strip().upper()]


class Evidence(Enum):
    """What a finding of a code rests on.

    A finding that rests on the patch text alone (a hunk that did not
    apply, no tree) may be ERROR only when its code's evidence is
    ``PATCH``: the patch by itself proves it (two flags the same patch
    puts on one bit)."""
    TREE = "tree"     # a fact of the kernel tree (before or after the series)
    PATCH = "patch"   # the patch text alone proves it
    BOTH = "both"     # the patch laid onto the tree


# -- facts: what a finding's words say, as fields ------------------------
#
# The text of a finding (its message and detail lines) is for a person;
# every number, place and constant it names is also one of its facts, so
# a program reading the JSON never parses a sentence.  ``role`` says what
# the fact is to the finding ("partner": the other name on the bit;
# "nearly-fits": where a failed hunk nearly fits).

@dataclass(frozen=True)
class Location:
    """A place: a line of the tree (``TREE_LINE``) or of the patch text
    (``PATCH_LINE``: where a hunk that did not apply would land)."""
    file: str
    line: int | None
    kind: str = TREE_LINE
    role: str = ""
    text: str | None = None   # what is there, as the text quotes it


@dataclass(frozen=True)
class HunkRef:
    """The hunk that did not apply, from whose text a constant was read:
    its patch and file, and where it nearly fits in the tree (the line,
    how many of its pre-image lines match there) when it does."""
    patch: str
    file: str
    nearly_fits: int | None = None
    matched: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class ConstantRef:
    """A family constant the finding names, with its value (``expr``:
    its definition as written, "(1 << 17)"; ``where``: that definition;
    ``bits``: its family holds single bits, so ``bit`` is its number)."""
    name: str
    family: str | None        # the profile's family key: "msi_flag"
    value: int | None
    role: str = "subject"
    expr: str | None = None
    where: Location | None = None
    bits: bool = False
    hunk: HunkRef | None = None   # read from the patch text: which hunk

    @property
    def bit(self) -> int | None:
        return single_bit(self.value) if self.bits else None


@dataclass(frozen=True)
class Number:
    """A count or amount the text says: ``Number("delta_bytes", 24)``."""
    role: str
    value: int


@dataclass(frozen=True)
class FieldSize:
    """One member of a struct in a size derivation: ``struct xarray 16``,
    ``u32[4] 16`` (``count`` elements of ``type``, ``bytes`` in all)."""
    type: str
    count: int
    bytes: int


@dataclass(frozen=True)
class TypeSize:
    """A C type's size (LP64), as derived from the tree: a struct's
    members and padding, the file that defines it."""
    type: str
    bytes: int
    file: str | None = None
    fields: tuple[FieldSize, ...] = ()
    padding: int = 0


@dataclass(frozen=True)
class Text:
    """A word the text quotes that is no number: a patch label
    ("evidence": "7/33"), a blob id, a quoted line of code."""
    role: str
    text: str


Fact = Location | ConstantRef | Number | TypeSize | Text


def single_bit(value: int | None) -> int | None:
    """The bit number of a value with one bit set, else None."""
    if value is None or value <= 0 or value & (value - 1):
        return None
    return value.bit_length() - 1


@dataclass(frozen=True)
class Finding:
    code: str                 # kebab-case: "bit-collision", "enum-shift", ...
    severity: Severity
    message: str              # one sentence, no trailing period needed
    file: str | None = None
    line: int | None = None
    patch: str | None = None  # "27/33"
    subject: str | None = None  # the constant (or other name) it is about
    detail: tuple[str, ...] = ()  # derivation lines, shown under the message
    # TREE_LINE, PATCH_LINE, or None (not said: a tree line when
    # there is a tree).
    location_kind: str | None = None
    # The finding rests on the patch text alone: no tree fact checked it.
    patch_only: bool = False
    # Every number, place and constant the text names, as fields.
    facts: tuple[Fact, ...] = ()


@dataclass(frozen=True)
class Message:
    """One finding code, declared once: its severity, what it rests on,
    a one-line summary and help text.

    ``lesser``/``lesser_when``: a declared second severity and the rule
    that selects it (``enum-shift`` is a CHECK when the enumerator is
    the enum's count); the check passes ``lesser=True`` when the rule
    holds."""
    code: str
    severity: Severity
    evidence: Evidence
    summary: str
    help: str = ""
    lesser: Severity | None = None
    lesser_when: str = ""

    def finding(self, message: str, *, file: str | None = None,
                line: int | None = None, patch: str | None = None,
                subject: str | None = None, detail: tuple[str, ...] = (),
                lesser: bool = False, patch_only: bool = False,
                location_kind: str | None = None,
                proven_by_patch: bool = False,
                facts: tuple[Fact, ...] = ()) -> Finding:
        """A finding of this code (at the lesser severity when ``lesser``
        and the table declares one).  ``patch_only``: the finding rests
        on the patch text alone (no tree fact checked it); it is marked
        so and, unless the code's evidence is ``PATCH`` or the check
        says the patch alone proves this one (``proven_by_patch``: two
        flags the series itself puts on one bit), it is at most a
        WARNING.  ``location_kind``: what ``line`` is (TREE_LINE,
        PATCH_LINE).  ``facts``: every number, place and constant the
        message and detail name, as fields (the JSON's ``facts``)."""
        if lesser and self.lesser is None:
            raise ValueError(f"{self.code}: no lesser severity declared")
        severity = self.lesser if lesser and self.lesser is not None \
            else self.severity
        if patch_only and self.evidence is not Evidence.PATCH \
                and not proven_by_patch:
            severity = min(severity, Severity.WARNING)
        if location_kind is None and patch_only and line is not None:
            location_kind = PATCH_LINE   # no tree fact: a line of the patch
        return Finding(self.code, severity, message, file, line, patch,
                       subject, detail, location_kind, patch_only, facts)

    @property
    def severities(self) -> str:
        """"WARNING" or "WARNING/CHECK" (the listing's column)."""
        return self.severity.name + (f"/{self.lesser.name}" if self.lesser
                                     else "")


class Catalogue:
    """Every declared :class:`Message`, by code, in declaration order."""

    def __init__(self) -> None:
        self._messages: dict[str, Message] = {}

    def declare(self, message: Message) -> Message:
        """Add ``message``; a code is declared once (a second declaration
        with other words is a bug: two homes for one code)."""
        old = self._messages.get(message.code)
        if old is not None and old != message:
            raise ValueError(f"finding code {message.code} declared twice")
        self._messages[message.code] = message
        return message

    def __getitem__(self, code: str) -> Message:
        return self._messages[code]

    def __contains__(self, code: object) -> bool:
        return code in self._messages

    def __iter__(self) -> Iterator[Message]:
        return iter(self._messages.values())

    def __len__(self) -> int:
        return len(self._messages)

    def codes(self) -> tuple[str, ...]:
        return tuple(self._messages)


CATALOGUE = Catalogue()


def declare(code: str, severity: Severity, evidence: Evidence, summary: str,
            help: str = "", *, lesser: Severity | None = None,
            lesser_when: str = "") -> Message:
    """Declare one finding code in :data:`CATALOGUE` (call it at module
    level, beside the check that emits the code)."""
    return CATALOGUE.declare(Message(code, severity, evidence, summary, help,
                                     lesser, lesser_when))
