"""Every limit patchlens puts on its input, declared once.

Hostile or unlucky input (issue 16) is bounded: past a limit an input is
refused with one line (``patchlens: <file>: <what>``, exit 2), or a part
of it is skipped or cut with a warning, or a value is "unknown" -- never
a hang, a traceback or a MemoryError.  The stages import their bounds
from here; :data:`LIMITS` describes each one, and docs/limits.md is
tested against it (tests/package/test_limits.py), so the two cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Limit", "LIMITS", "MAX_INPUT", "MAX_LINES", "MAX_LINE", "MAX_PART_BYTES",
    "MAX_MIME_CONTAINERS", "MAX_FROM_COMMENT_DEPTH", "MAX_SUBJECT_DIGITS",
    "MAX_HUNK_DIGITS", "MAX_QUOTED_COMMENT_LINES", "MAX_PATCHES",
    "MAX_ENCODED_PARTS", "MAX_PROFILE_BYTES", "MAX_PATTERN", "MAX_SUBJECT",
    "MAX_AMBIGUOUS", "MAX_N_PATTERNS", "MAX_TREE_FILE_BYTES", "MAX_LINKS",
    "MAX_SYNTAX_DEPTH", "MAX_CONDITION_DEPTH", "MAX_EXPRESSION",
    "MAX_NUMBER_DIGITS", "MAX_MACRO_DEPTH", "MAX_SHIFT", "MAX_BITS",
    "MAX_LOCAL_BODY", "MAX_CHAIN", "MAX_COMMITS",
]

# -- mail (a mailbox, gzip, maildir, stdin) --------------------------------
# A mailbox is read whole and its messages take a few times its size (a
# line of text is ~60 bytes as a Python string): these bound memory.
MAX_INPUT = 64 * 1024 * 1024          # bytes, after decompression
MAX_LINES = 1_000_000
MAX_LINE = 1024 * 1024                # bytes; no patch line is a megabyte
MAX_PART_BYTES = 32 * 1024 * 1024     # one base64/QP part, decoded
# The email library recurses once per nesting level.
MAX_MIME_CONTAINERS = 64
MAX_FROM_COMMENT_DEPTH = 32           # nested (comments) in a From header
# int() refuses 4,300 digits and more; no count or revision is near 9.
MAX_SUBJECT_DIGITS = 9
MAX_HUNK_DIGITS = 18                  # a line number or count in @@ -a,b +c,d @@
MAX_QUOTED_COMMENT_LINES = 400        # lines a reply comment keeps
MAX_PATCHES = 1000                    # n/m in [PATCH n/m]
MAX_ENCODED_PARTS = 32                # parts of one archived message decoded

# -- profile and MAINTAINERS --------------------------------------------------
MAX_PROFILE_BYTES = 4 * 1024 * 1024
MAX_PATTERN = 256                     # characters of a regex from input
MAX_SUBJECT = 256                     # characters an input regex is run on
MAX_AMBIGUOUS = 2                     # repetitions overlapping what follows
MAX_N_PATTERNS = 256                  # MAINTAINERS N: patterns used

# -- the tree ---------------------------------------------------------------
MAX_TREE_FILE_BYTES = 64 * 1024 * 1024
MAX_LINKS = 8                         # symlink hops in a git tree
MAX_COMMITS = 1000                    # first-parent commits --guess-base walks

# -- C ------------------------------------------------------------------------
# The kernel's deepest file nests ~2,100 syntax levels (lib/test_bpf.c at
# 6.12); tree-sitter's query cursor drops nodes past 65,535 levels.
MAX_SYNTAX_DEPTH = 20_000
MAX_CONDITION_DEPTH = 32              # #if levels named in a condition
MAX_EXPRESSION = 20_000               # characters of an expression evaluated
# 4096 bits in binary; int() refuses a decimal string over 4,300 digits.
MAX_NUMBER_DIGITS = 4100
MAX_MACRO_DEPTH = 64                  # macro-to-macro chain followed
MAX_SHIFT = 256                       # a shift count or BIT()/GENMASK() bit
MAX_BITS = 4096                       # bits of an evaluated value
MAX_LOCAL_BODY = 64 * 1024            # bytes of a body read for a local's uses
MAX_CHAIN = 64                        # helpers a call's role goes through


@dataclass(frozen=True)
class Limit:
    """One row of docs/limits.md."""

    name: str        # the constant above
    value: int
    what: str        # what is bounded
    used_by: str     # the stage module(s) enforcing it
    beyond: str      # what the user sees past it


    def value_text(self) -> str:
        """The value as docs/limits.md gives it (bytes in MiB/KiB)."""
        n = self.value
        if self.name.endswith(("_BYTES", "_INPUT", "_LINE", "_BODY")):
            if n % (1 << 20) == 0:
                return f"{n >> 20} MiB"
            if n % (1 << 10) == 0:
                return f"{n >> 10} KiB"
        return f"{n:,}"

    def row(self) -> str:
        """Its row in docs/limits.md."""
        return (f"| `{self.name}` | {self.value_text()} | {self.what} | "
                f"{self.used_by} | {self.beyond} |")


LIMITS: tuple[Limit, ...] = (
    Limit("MAX_INPUT", MAX_INPUT, "a mailbox, after decompression (a gzip member "
          "is inflated in chunks under it; all files of a maildir together; stdin)",
          "patchlens/mail/mailbox.py (patchlens/inputfile.py reads under it)",
          "refused: `patchlens: <file>: is N MiB, more than 64 MiB ...` (or `... "
          "more than 64 MiB` once read), exit 2; a profile the same at 4 MiB"),
    Limit("MAX_LINES", MAX_LINES, "lines of a mailbox", "patchlens/mail/mailbox.py",
          "refused: `patchlens: <file>: more than 1,000,000 lines (the input "
          "limit)`, exit 2"),
    Limit("MAX_LINE", MAX_LINE, "longest line of a mailbox",
          "patchlens/mail/mailbox.py", "the line is cut, with a warning"),
    Limit("MAX_PART_BYTES", MAX_PART_BYTES, "one base64/quoted-printable MIME part",
          "patchlens/mail/message.py", "the part is not decoded (a warning names the message)"),
    Limit("MAX_MIME_CONTAINERS", MAX_MIME_CONTAINERS, "multipart/message containers "
          "in one message (MIME depth)", "patchlens/mail/message.py",
          "its MIME parts are not read, with a warning"),
    Limit("MAX_FROM_COMMENT_DEPTH", MAX_FROM_COMMENT_DEPTH, "nested parentheses "
          "(comments) in a From header", "patchlens/mail/message.py",
          "the header text is the author, unparsed"),
    Limit("MAX_SUBJECT_DIGITS", MAX_SUBJECT_DIGITS, "digits of a patch count or "
          "revision in a Subject", "patchlens/mail/subject.py",
          "read as 10^9 (a patch number past MAX_PATCHES: ignored, warning)"),
    Limit("MAX_PATCHES", MAX_PATCHES, "n or m in `[PATCH n/m]`",
          "patchlens/mail/thread.py", "the message is ignored, with a warning"),
    Limit("MAX_HUNK_DIGITS", MAX_HUNK_DIGITS, "digits of a line number or count in "
          "a hunk header", "patchlens/diff.py, patchlens/mail/quoted.py",
          "a malformed hunk header: the hunk is skipped, with a warning (in a "
          "quoted reply: not placed)"),
    Limit("MAX_QUOTED_COMMENT_LINES", MAX_QUOTED_COMMENT_LINES, "lines one reply "
          "comment keeps", "patchlens/mail/quoted.py", "the rest is cut (counted)"),
    Limit("MAX_ENCODED_PARTS", MAX_ENCODED_PARTS, "encoded parts of one archived "
          "message decoded for the literal search", "patchlens/mail/archive.py",
          "later parts are not searched"),
    Limit("MAX_PROFILE_BYTES", MAX_PROFILE_BYTES, "a profile (`--profile`)",
          "patchlens/extract/profile.py", "refused with one line, exit 2"),
    Limit("MAX_PATTERN", MAX_PATTERN, "characters of a regex from input "
          "(`own_subjects`, MAINTAINERS `N:`); no backreference, lookaround, "
          "repetition of a repetition or of an alternation",
          "patchlens/extract/saferegex.py", "a profile is refused (exit 2); an "
          "`N:` line is not used (warning)"),
    Limit("MAX_AMBIGUOUS", MAX_AMBIGUOUS, "repetitions in such a regex overlapping "
          "what follows them", "patchlens/extract/saferegex.py",
          "as MAX_PATTERN"),
    Limit("MAX_SUBJECT", MAX_SUBJECT, "characters an input regex is matched against "
          "(a path, an `if` subject)", "patchlens/extract/saferegex.py", "no match"),
    Limit("MAX_N_PATTERNS", MAX_N_PATTERNS, "MAINTAINERS `N:` patterns used",
          "patchlens/extract/maintainers.py", "the rest are not used (warning)"),
    Limit("MAX_TREE_FILE_BYTES", MAX_TREE_FILE_BYTES, "a tree file read whole "
          "(directory or git blob)", "patchlens/tree/source.py, "
          "patchlens/tree/directory.py, patchlens/tree/git.py, "
          "patchlens/search/directory.py",
          "skipped with a warning, never read (nor searched by rg)"),
    Limit("MAX_LINKS", MAX_LINKS, "symlink hops followed in a git tree",
          "patchlens/tree/git.py", "treated as a loop: the file is not read"),
    Limit("MAX_COMMITS", MAX_COMMITS, "first-parent commits `--guess-base` walks",
          "patchlens/tree/base.py", "the walk stops; no base is guessed past it"),
    Limit("MAX_SYNTAX_DEPTH", MAX_SYNTAX_DEPTH, "deepest nesting of a C file's "
          "syntax tree (`else if` chains, parentheses, braces, `#if`)",
          "patchlens/c/parse.py (patchlens/extract/scan.py reads the file as text)",
          "its occurrences are classified from their lines, as in an unparsed "
          "region (reasons say `(unparsed)`); its definitions are not read "
          "(warning `<file>: not read: nested deeper than 20000 syntax levels`)"),
    Limit("MAX_CONDITION_DEPTH", MAX_CONDITION_DEPTH, "`#if`/`#ifdef` levels named "
          "in a condition", "patchlens/c/macros.py", "the innermost 32 are named"),
    Limit("MAX_EXPRESSION", MAX_EXPRESSION, "characters of a C expression evaluated",
          "patchlens/c/evaluate.py", "its value is unknown"),
    Limit("MAX_NUMBER_DIGITS", MAX_NUMBER_DIGITS, "digits of a number in C",
          "patchlens/c/evaluate.py", "its value is unknown"),
    Limit("MAX_MACRO_DEPTH", MAX_MACRO_DEPTH, "a macro-to-macro `#define` chain",
          "patchlens/c/evaluate.py, patchlens/extract/constants.py",
          "unknown (\"macro chain deeper than 64\")"),
    Limit("MAX_SHIFT", MAX_SHIFT, "a shift count or `BIT()`/`GENMASK()` bit",
          "patchlens/c/evaluate.py", "its value is unknown"),
    Limit("MAX_BITS", MAX_BITS, "bits of an evaluated value",
          "patchlens/c/evaluate.py", "its value is unknown"),
    Limit("MAX_LOCAL_BODY", MAX_LOCAL_BODY, "bytes of a function body read for the "
          "uses of a local a constant initialises", "patchlens/extract/roles.py",
          "the local's uses are not read: the site is `initial value of X`"),
    Limit("MAX_CHAIN", MAX_CHAIN, "helpers a constant passed to a call goes through",
          "patchlens/extract/roles.py", "the role is decided at the 64th"),
)
