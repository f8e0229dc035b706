"""Reviewer comments anchored to the constants they discuss, with the
questions they raise answered from the tree.

A comment is about a constant when its quoted lines or its own words
name one.  The questions it raises are answered in a sentence each,
ending with the command that prints the full table:

- a naming suggestion ("GENERIC maybe?"): which names it points at,
  and whether they already exist (``impact rename``);
- a sentence proposing a flag for a special case, or inverting one
  (profile ``[[question]] ask = "invert"``): who would set the inverse,
  who would stop, which checks flip (``impact invert``);
- a sentence about parents rejecting / supporting child domains
  (``ask = "accept"``): which parent paths that filter child tokens
  refuse the new token at creation, and which learn it
  (``impact accept``).

Which sentences ask what is profile data (``Facts.questions``); which
constant each question is about comes from the Facts: the comment's
subjects when they fit (a flag for invert, a filtered token for
accept), else what the commented patch adds, else what the series adds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from patchlens.impact.accept import accept
from patchlens.impact.facts import Facts
from patchlens.impact.invert import invert
from patchlens.impact.model import Collision, ReviewAnswer, ReviewNote
from patchlens.findings import ConstantRef, Location, Text
from patchlens.impact.rename import collision_records, family_prefix
from patchlens.mail.body import has_diff
from patchlens.mail.model import Comment, Series
from patchlens.mail.quoted import split_pasted
from patchlens.text import plural

__all__ = ["review_notes", "suggested_names", "asked_questions",
           "rename_answers", "invert_answer", "accept_answer",
           "named_flags"]

_IDENT = re.compile(r"\b[A-Z][A-Z0-9_]{2,}\b")
# A sentence about what something is called.
_NAMING = re.compile(r"\b(?:call(?:ed)? (?:it|this|that|them)|name[ds]? "
                     r"(?:it|this|that)|renam)", re.IGNORECASE)
# Capitalised words that are prose, not a name suggestion (the
# subsystem's own, "MSI", "PCI", come from the profile: Facts.prose).
_PROSE = frozenset({"API", "CPU", "ABI", "BUG", "FIXME",
                    "TODO", "NAK", "ACK", "LGTM", "IMO", "IMHO", "AFAIK",
                    "AFAICT", "WARN", "NOTE", "XXX", "THE", "AND", "NOT"})


def _names(facts: Facts) -> dict[str, str]:
    """Every family constant in any state -> its family key."""
    out: dict[str, str] = {}
    for st in facts.states:
        for c in st.values():
            out.setdefault(c.name, c.family)
    return out


def suggested_names(facts: Facts, subject: str, text: str) -> list[str]:
    """Names a comment proposes for ``subject``: identifiers it spells
    out, and existing family members containing a capitalised word it
    uses that the subject's name lacks (``GENERIC`` ->
    ``DOMAIN_BUS_GENERIC_MSI``)."""
    known = _names(facts)
    family = known.get(subject)
    prefix = family_prefix(facts, family) if family else ""
    own = set(subject.split("_"))
    out: list[str] = []
    # Proposals are questions ("GENERIC maybe?"), or spelled-out names
    # in a question or a sentence about naming ("call it X", "rename to
    # X"): a name merely mentioned ("let the parent set a new flag, e.g.
    # MSI_FLAG_X") proposes nothing.
    sentences = re.split(r"(?<=[.?!])\s+", " ".join(text.split()))
    asked = " ".join(q for q in sentences if q.rstrip().endswith("?"))
    naming = " ".join(q for q in sentences if q.rstrip().endswith("?")
                      or _NAMING.search(q))
    words = [w for w in _IDENT.findall(naming) if "_" in w]
    words += [w for w in _IDENT.findall(asked) if "_" not in w]
    for word in words:
        if word == subject:
            continue
        if "_" in word:
            # A spelled-out name: a known one, or one in the family's style.
            if (word in known or (prefix and word.startswith(prefix))) \
                    and word not in out:
                out.append(word)
            continue
        if word in own or word in _PROSE or word in facts.prose:
            continue
        for name, fam in sorted(known.items()):
            if fam == family and word in name.split("_") and name not in out:
                out.append(name)
    return out


def review_notes(series: Series | None, facts: Facts,
                 focus: Iterable[str] = ()) -> tuple[ReviewNote, ...]:
    """Notes for every anchored comment; those naming a family constant
    (or one of ``focus``) get subjects and answers."""
    if series is None:
        return ()
    known = _names(facts)
    focus = set(focus)
    under_fix = _under_fix(series)
    out = []
    for reply in series.replies:
        for c in reply.comments:
            if len(re.sub(r"[^A-Za-z]", "", c.text)) < 3:
                continue
            # What the reviewer wrote, apart from what they pasted (a
            # fix diff, a bisect log, build output): only their own
            # words say what the comment is about or propose a name.
            own, shown = split_pasted(c.text)
            quoted = _patch_lines(c, reply.message.msgid in under_fix)
            from_quote = _names_in(_last_change(quoted), known, focus)
            subjects = from_quote or _names_in([own], known, focus)[:3] \
                or _names_in(quoted[-1:], known, focus)
            label = None
            if c.patch_index is not None:
                p = series.patch(c.patch_index)
                label = p.label if p else f"{c.patch_index}/{series.total}"
            asked: list[ReviewAnswer] = []
            # A rename is proposed for a constant on the patch lines the
            # comment quotes, never for one it merely names.
            for s in from_quote:
                asked += rename_answers(facts, s, own)
            if subjects:
                asked += _impact_answers(facts, own, subjects, label)
            out.append(ReviewNote(
                _who(c.author), label, c.file,
                _report_line(facts, c.file, c.new_line, quoted, from_quote),
                tuple(c.quoted), _paragraphs(shown), tuple(subjects),
                tuple(a.line for a in asked), tuple(asked)))
    # Notes about constants first, then the rest, each in thread order.
    return tuple(sorted(out, key=lambda n: not n.subjects))


def _report_line(facts: Facts, file: str | None, line: int | None,
                 quoted: tuple[str, ...], subjects: Iterable[str]
                 ) -> int | None:
    """The line a comment is shown at: where the report places the
    definition it quotes (its last quoted line defines a subject), so
    one thing has one location in one report -- a hunk that did not
    apply lands elsewhere in the tree than its patch line (msi.h:548,
    not the patch's 529); else the comment's own patch line."""
    last = quoted[-1] if quoted else ""
    for name in subjects:
        c = facts.final.get(name)
        if c is None or c.file != file or c.line is None:
            continue
        if re.match(rf"^[+ ]?\s*(#\s*define\s+)?{re.escape(name)}\b"
                    rf"\s*(=|,|$|\(|\s)", last):
            return c.line
    return line


def _paragraphs(text: str) -> str:
    """A reply's words, each paragraph on one line, paragraphs apart by
    a blank line (a reply's breaks are the reviewer's)."""
    paras = (" ".join(p.split()) for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paras if p)


def rename_answers(facts: Facts, subject: str, text: str
                   ) -> list[ReviewAnswer]:
    """One answer per name ``text`` suggests for ``subject``."""
    out = []
    for name in suggested_names(facts, subject, text):
        command = f"patchlens impact rename {subject} {name}"
        found = collision_records(facts, subject, name)
        n = sum(1 for x in facts.sites if x.name == subject)
        counts = {"collisions": len(found), "sites": n}
        if found:
            out += [ReviewAnswer("rename", subject,
                                 f"rename to {name}: {_short(x.text, name)}",
                                 command, counts, (_collision_fact(x),))
                    for x in found]
        else:
            out.append(ReviewAnswer(
                "rename", subject, f"rename to {name}: free; "
                f"{plural(n, 'code site')} would change", command, counts))
    return out


def asked_questions(facts: Facts, text: str) -> list[str]:
    """The impact questions (``invert``, ``accept``) ``text`` asks: a
    sentence naming one of a profile question's ``about`` words and one
    of its ``cues`` (stems matched at a word start)."""
    sentences = re.split(r"(?<=[.?!;])\s+", " ".join(text.split()))
    out: list[str] = []
    for q in facts.questions:
        about, cues = _stems(q.about), _stems(q.cues)
        if q.ask not in out and any(about.search(s) and cues.search(s)
                                    for s in sentences):
            out.append(q.ask)
    return out


def _stems(words: Iterable[str]) -> re.Pattern[str]:
    alts = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
    return re.compile(rf"\b(?:{alts})", re.IGNORECASE)


def _impact_answers(facts: Facts, text: str, subjects: list[str],
                    label: str | None) -> list[ReviewAnswer]:
    out: list[ReviewAnswer] = []
    for ask in asked_questions(facts, text):
        if ask == "invert":
            flag = _about(facts, subjects, label, _is_flag)
            if flag:
                out.append(invert_answer(facts, flag, text))
        elif ask == "accept":
            token = _about(facts, subjects, label,
                           lambda f, n: any(v.refuses for v in
                                            accept(f, n).filters))
            if token:
                out.append(accept_answer(facts, token))
    return out


def _is_flag(facts: Facts, name: str) -> bool:
    c = facts.final.get(name) or facts.base.get(name)
    return c is not None and c.bit


def _about(facts: Facts, subjects: list[str], label: str | None,
           fits: Callable[[Facts, str], bool]) -> str | None:
    """The constant a question is about: a subject that fits, else one
    the commented patch adds, else one the series adds (the comment on
    the flag asks about the token its patch adds)."""
    for name in subjects:
        if fits(facts, name):
            return name
    added = [n for n in facts.final if n not in facts.base]
    added.sort(key=lambda n: (facts.introduced_by(n) != label,
                              facts.final[n].family, facts.final[n].value
                              or 0, n))
    return next((n for n in added if fits(facts, n)), None)


def named_flags(facts: Facts, flag: str, text: str) -> list[str]:
    """Members of ``flag``'s family that ``text`` spells out in words:
    every word of the name after the family prefix appears ("PCI
    MSI-X" -> ``MSI_FLAG_PCI_MSIX``)."""
    c = facts.final.get(flag) or facts.base.get(flag)
    if c is None:
        return []
    prefix = family_prefix(facts, c.family)
    words = set(re.findall(r"[A-Z0-9]+", re.sub(r"(?<=\w)-(?=\w)", "",
                                                 text.upper())))
    out = []
    for m in facts.family_members(c.family):
        if m.name == flag or not m.name.startswith(prefix):
            continue
        parts = m.name[len(prefix):].split("_")
        if parts and all(p in words for p in parts):
            out.append(m.name)
    return out


def invert_answer(facts: Facts, flag: str, text: str = "") -> ReviewAnswer:
    """``impact invert FLAG`` in one sentence: who would set the
    inverse (and how many of them carry the special case ``text``
    names), who would stop, which checks flip."""
    ans = invert(facts, flag)
    kinds = sorted({r.struct for r in (*ans.setters, *ans.others)})
    what = kinds[0] if len(kinds) == 1 else "instances"
    named = named_flags(facts, flag, text)
    special = ""
    counts = {"set_inverse": len(ans.others), "stop": len(ans.setters),
              "checks": len(ans.checks), "flagsets": len(ans.flagsets)}
    if named:
        carry = [r for r in ans.others if any(
            named[0] in names for i in facts.instances
            if i.name == r.instance and i.file == r.file
            for names in i.fields.values())]
        counts["special_case"] = len(carry)
        special = (f" ({len(carry)} of them carry {named[0]}, the "
                   "special case)")
    text_ = (f"invert {flag}: {len(ans.others)} {what} would set "
             f"{ans.new_name}{special}, {len(ans.setters)} would stop "
             f"setting it, {_counted(len(ans.checks), 'check', 'flip')}")
    if ans.flagsets:
        text_ += f", {_counted(len(ans.flagsets), 'flag set', 'change')}"
    text_ += _NO_TREE if not facts.tree_known else ""
    return ReviewAnswer("invert", flag, text_,
                        f"patchlens impact invert {flag}", counts)


# Without a tree an answer counts only the code of the series' new files.
_NO_TREE = " (no tree: counts only the files the series creates)"


def _counted(n: int, noun: str, verb: str) -> str:
    """``1 check flips``, ``2 checks flip``."""
    return f"{plural(n, noun)} {verb + 's' if n == 1 else verb}"


def accept_answer(facts: Facts, token: str) -> ReviewAnswer:
    """``impact accept TOKEN`` in one sentence: of the parent paths
    that refuse unlisted child tokens, how many refuse TOKEN at creation
    with the series (and how: WARN, false, ...), and which learn it in
    which patch."""
    ans = accept(facts, token)
    c = facts.final.get(token) or facts.base.get(token)
    title = c.title if c is not None else "token"
    paths = [v for v in ans.filters if v.refuses]
    refuse = [v for v in paths if v.with_series is False]
    learn = [v for v in paths if v.with_series and not v.today]
    already = [v for v in paths if v.today]
    # The loud refusals: a WARN on top of the error return.
    warn = sum(1 for v in refuse if v.action == "warn"
               or v.otherwise.startswith("WARN"))
    text_ = (f"accept: {len(refuse)} of {len(paths)} parent paths "
             f"filtering child {title}s refuse {token} at creation")
    if warn:
        text_ += f", {warn} with a WARN"
    by_patch: dict[str, list[str]] = {}
    for v in learn:
        where = by_patch.setdefault(v.patch or "the series", [])
        if _area(v.file) not in where:
            where.append(_area(v.file))
    for patch, areas in by_patch.items():
        verb = "learns" if len(areas) == 1 else "learn"
        text_ += f"; {', '.join(areas)} {verb} it in {patch}"
    learned = tuple(Text("learns_in", p) for p in by_patch)
    if already:
        text_ += f"; {len(already)} already accept it"
    text_ += _NO_TREE if not facts.tree_known else ""
    counts = {"paths": len(paths), "refuse": len(refuse), "warn": warn,
              "learn": len(learn), "already": len(already)}
    return ReviewAnswer("accept", token, text_,
                        f"patchlens impact accept {token}", counts, learned)


def _area(path: str) -> str:
    """A short name for where a path lives: the architecture for
    ``arch/x86/...``, else the file's stem (``irq-gic-v3-its``)."""
    parts = path.split("/")
    if parts[0] == "arch" and len(parts) > 2:
        return parts[1]
    return parts[-1].rsplit(".", 1)[0]


def _names_in(lines: Iterable[str], known: dict[str, str],
              focus: set[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        for w in _IDENT.findall(line):
            if (w in known or w in focus) and w not in out:
                out.append(w)
    return out


def _patch_lines(c: Comment, under_fix: bool) -> tuple[str, ...]:
    """The patch lines a comment quotes: none when its quote matched no
    line of the patch, or when the reply answers a diff posted in the
    thread (what it quotes is that diff, not the patch)."""
    if c.file is None or under_fix:
        return ()
    return c.quoted


def _last_change(quoted: tuple[str, ...], lines: int = 3) -> list[str]:
    """The last ``lines`` lines of the last run of +/- lines of a quote:
    the change the comment under it answers (a reviewer quoting a whole
    hunk or a long added function comments on the lines just above
    their words)."""
    run: list[str] = []
    broken = False
    for q in quoted:
        if q[:1] in "+-" and q[:3] not in ("+++", "---"):
            if broken:
                run, broken = [], False
            run.append(q)
        elif run and q.strip():
            broken = True       # a context line ends the run
    return run[-lines:]


def _under_fix(series: Series) -> set[str]:
    """Replies that answer (directly or through other replies) a reply
    carrying a diff of its own: a fix or a suggestion posted in the
    thread."""
    by_id = {r.message.msgid: r for r in series.replies}
    out: set[str] = set()
    for r in series.replies:
        parent, seen = r.parent_msgid, set()
        while parent in by_id and parent not in seen:
            seen.add(parent)
            above = by_id[parent]
            if has_diff(above.message.body):
                out.add(r.message.msgid)
                break
            parent = above.parent_msgid
    return out


def _collision_fact(x: Collision) -> ConstantRef:
    """A rename's collision as a fact: the name in the way, its value
    and where it is (a value in words, "bit 19", is given as a number)."""
    value = x.value
    if isinstance(value, str):
        bit = value[4:] if value.startswith("bit ") else ""
        value = (1 << int(bit)) if bit.isdigit() else \
            int(value) if value.lstrip("-").isdigit() else None
    where = Location(x.file, x.line, role=x.kind) if x.file else None
    return ConstantRef(x.name, x.family, value, x.kind, where=where,
                       bits=isinstance(x.value, str)
                       and x.value.startswith("bit "))


def _short(collision: str, name: str) -> str:
    """``X already exists: value 2, f:15`` -> ``name exists (value 2, f:15)``."""
    if collision.startswith(f"{name} already exists"):
        rest = collision.split(": ", 1)[1] if ": " in collision else ""
        return f"name exists ({rest})" if rest else "name exists"
    return collision.replace(f"{name} ", "", 1)


def _who(author: str) -> str:
    return author.split("<")[0].strip().strip('"') or author
