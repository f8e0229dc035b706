"""Build public-inbox-shaped git repositories for the archive tests and
the benchmark: one commit per message, the message as the blob ``m``,
committed in archive order (author date = the message's Date).

The synthetic messages are written here, modelled on the shape of list
mail; nothing is copied from a real archive.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pygit2

__all__ = ["build_archive", "mbox_messages", "message_date", "filler",
           "family_series", "prose_only", "message_id", "NOT_FAMILY_SERIES",
           "encoded_patches"]

_SEP_RE = re.compile(rb"^From mboxrd@z [^\n]*\n", re.MULTILINE)
_DATE_RE = re.compile(rb"^Date:[ \t]*([^\n]*)", re.MULTILINE | re.IGNORECASE)
_ID_RE = re.compile(rb"^Message-ID:[ \t]*<([^>]*)>", re.MULTILINE | re.IGNORECASE)


def mbox_messages(path: Path) -> list[bytes]:
    """The raw messages of an mboxrd file (quoting undone)."""
    data = path.read_bytes()
    parts = [p for p in _SEP_RE.split(data) if p.strip()]
    return [re.sub(rb"^>(>*From )", rb"\1", p, flags=re.MULTILINE) for p in parts]


def message_date(raw: bytes, default: int = 0) -> int:
    m = _DATE_RE.search(raw.split(b"\n\n", 1)[0])
    if m is None:
        return default
    try:
        return int(email.utils.parsedate_to_datetime(m.group(1).decode()).timestamp())
    except (TypeError, ValueError):
        return default


def message_id(raw: bytes) -> str | None:
    m = _ID_RE.search(raw.split(b"\n\n", 1)[0])
    return m.group(1).decode() if m else None


def build_archive(path: Path, messages: Iterable[tuple[int, bytes]], *,
                  bare: bool = True, extra: Sequence[tuple[int, dict[str, bytes]]] = ()
                  ) -> list[str]:
    """A public-inbox repository at ``path`` holding ``messages`` (date,
    raw bytes), committed oldest first; ``extra``: commits with other
    trees (name -> bytes), for broken archives.  Returns the commit ids,
    oldest first."""
    repo = pygit2.init_repository(str(path), bare=bare)
    items: list[tuple[int, dict[str, bytes]]] = [(d, {"m": raw}) for d, raw in messages]
    items += list(extra)
    items.sort(key=lambda x: x[0])
    parent: list[pygit2.Oid] = []
    out: list[str] = []
    ref = "refs/heads/master"
    for n, (when, files) in enumerate(items):
        builder = repo.TreeBuilder()
        for name, data in files.items():
            builder.insert(name, repo.create_blob(data), pygit2.enums.FileMode.BLOB)
        tree = builder.write()
        author = pygit2.Signature("Sender", "sender@example.org", when, 0)
        committer = pygit2.Signature("list", "list@example.org", when + n, 0)
        oid = repo.create_commit(ref, author, committer, "message\n", tree, parent)
        parent = [oid]
        out.append(str(oid))
    repo.set_head(ref)
    return out


def _mail(msgid: str, subject: str, when: int, body: str, *,
          sender: str = "Ann Author <ann@example.org>",
          reply_to: str | None = None, refs: Sequence[str] = ()) -> tuple[int, bytes]:
    head = [f"From: {sender}", f"Subject: {subject}",
            f"Date: {email.utils.formatdate(when)}", f"Message-ID: <{msgid}>",
            "To: list@example.org"]
    if reply_to:
        head.append(f"In-Reply-To: <{reply_to}>")
    if refs:
        head.append("References: " + "\n ".join(f"<{r}>" for r in refs))
    return when, ("\n".join(head) + "\n\n" + body).encode()


def filler(count: int, start: int, *, seed: int = 0) -> list[tuple[int, bytes]]:
    """``count`` messages of list traffic that touch no family: small
    patches to a made-up driver and replies to them."""
    out: list[tuple[int, bytes]] = []
    for i in range(count):
        when = start + i * 60
        mid = f"filler-{seed}-{i}@example.org"
        if i % 3 == 2:
            parent = f"filler-{seed}-{i - 1}@example.org"
            out.append(_mail(mid, f"Re: [PATCH] frob: tidy {i - 1}", when,
                             f"On a day, Ann wrote:\n> +\tfrob_tidy({i - 1});\n\n"
                             "Looks fine to me.\n\nReviewed-by: Rae <rae@example.org>\n",
                             sender="Rae Reviewer <rae@example.org>",
                             reply_to=parent, refs=[parent]))
            continue
        body = (f"Tidy the frob driver, step {i}.\n\nSigned-off-by: Ann <ann@example.org>\n"
                "---\n drivers/frob/frob.c | 1 +\n 1 file changed\n\n"
                "diff --git a/drivers/frob/frob.c b/drivers/frob/frob.c\n"
                "--- a/drivers/frob/frob.c\n+++ b/drivers/frob/frob.c\n"
                "@@ -1,3 +1,4 @@\n static int frob_probe(void)\n {\n"
                f"+\tfrob_tidy({i});\n \treturn 0;\n"
                "-- \n2.40.0\n")
        out.append(_mail(mid, f"[PATCH] frob: tidy {i}", when, body))
    return out


_FLAGS_HUNK = """\
diff --git a/include/linux/msi.h b/include/linux/msi.h
--- a/include/linux/msi.h
+++ b/include/linux/msi.h
@@ -20,4 +20,6 @@ enum {{
 	MSI_FLAG_USE_DEF_DOM_OPS	= (1 << 0),
 	MSI_FLAG_USE_DEF_CHIP_OPS	= (1 << 1),
 	MSI_FLAG_ACTIVATE_EARLY		= (1 << 2),
+	/* The device can frobnicate its messages */
+	MSI_FLAG_{name}			= (1 << 3),
 }};
"""

_USER_HUNK = """\
diff --git a/drivers/frob/frob-msi.c b/drivers/frob/frob-msi.c
--- a/drivers/frob/frob-msi.c
+++ b/drivers/frob/frob-msi.c
@@ -5,3 +5,4 @@ static void frob_msi_setup(struct frob *f)
 {{
 	f->mode = 1;
+	f->quirk = {quirk};
 }}
"""


def family_series(start: int, *, name: str = "FROB", revisions: int = 2,
                  tag: str = "frobmsi") -> list[tuple[int, bytes]]:
    """A two-patch series, in ``revisions`` revisions (each later one
    posted in reply to the previous cover): patch 1 adds
    ``MSI_FLAG_<name>`` to a flag enum; the cover letter and patch 2
    name no family constant (they are found through the thread)."""
    out: list[tuple[int, bytes]] = []
    prev_cover: str | None = None
    for v in range(1, revisions + 1):
        when = start + (v - 1) * 86400
        vtag = "" if v == 1 else f" v{v}"
        cover = f"{tag}-v{v}-0@example.org"
        refs = [prev_cover] if prev_cover else []
        out.append(_mail(cover, f"[PATCH{vtag} 0/2] frob: message frobnication",
                         when, "Let the frob device frobnicate its messages.\n",
                         reply_to=prev_cover, refs=refs))
        p1 = (f"Add a flag for devices that frobnicate.\n\nSigned-off-by: Ann <ann@example.org>\n"
              "---\n" + _FLAGS_HUNK.format(name=name) + "-- \n2.40.0\n")
        out.append(_mail(f"{tag}-v{v}-1@example.org",
                         f"[PATCH{vtag} 1/2] genirq/msi: Add a frobnication flag",
                         when + 1, p1, reply_to=cover, refs=refs + [cover]))
        p2 = ("Set the quirk.\n\nSigned-off-by: Ann <ann@example.org>\n---\n"
              + _USER_HUNK.format(quirk=v) + "-- \n2.40.0\n")
        out.append(_mail(f"{tag}-v{v}-2@example.org",
                         f"[PATCH{vtag} 2/2] frob: Set the quirk",
                         when + 2, p2, reply_to=cover, refs=refs + [cover]))
        prev_cover = cover
    return out


# A thread whose reply names a family constant in prose but whose patch
# touches none: found by the literal search, dropped by the family test.
NOT_FAMILY_SERIES = "frob: unrelated cleanup"


def prose_only(start: int) -> list[tuple[int, bytes]]:
    patch = ("Clean up.\n\nSigned-off-by: Ann <ann@example.org>\n---\n"
             + _USER_HUNK.format(quirk=9) + "-- \n2.40.0\n")
    return [_mail("prose-1@example.org", f"[PATCH] {NOT_FAMILY_SERIES}", start, patch),
            _mail("prose-2@example.org", f"Re: [PATCH] {NOT_FAMILY_SERIES}", start + 60,
                  "Does this need MSI_FLAG_ACTIVATE_EARLY?\n",
                  sender="Rae Reviewer <rae@example.org>",
                  reply_to="prose-1@example.org", refs=["prose-1@example.org"])]


def encoded_patches(start: int) -> list[tuple[int, bytes]]:
    """Two lone patches adding a flag, each with its body in a transfer
    encoding that hides the flag's name from a byte search: one base64
    (a MIME part, as a mailer attaching the patch sends it), one
    quoted-printable with a soft line break inside the name."""
    import base64
    b64_patch = ("Add a flag for devices that twiddle.\n\n"
                 "Signed-off-by: Ann <ann@example.org>\n---\n"
                 + _FLAGS_HUNK.format(name="TWIDDLE") + "-- \n2.40.0\n")
    body64 = base64.encodebytes(b64_patch.encode()).decode()
    mime = ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n"
            "--b1\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: BASE64\n\n" + body64 + "--b1--\n")
    when, raw64 = _mail("twiddle-1@example.org", "[PATCH] genirq/msi: Add a twiddle flag",
                        start, "")
    head64 = raw64.decode().rstrip("\n")
    # the MIME headers join the message's own
    raw64 = (head64 + "\n" + mime).encode()
    qp_patch = ("Add a flag for devices that wobble.\n\n"
                "Signed-off-by: Ann <ann@example.org>\n---\n"
                + _FLAGS_HUNK.format(name="WOBBLE") + "-- \n2.40.0\n")
    qp_patch = (qp_patch.replace("=", "=3D").replace("\t", "=09")
                .replace("MSI_FLAG_WOBBLE", "MSI_FL=\nAG_WOBBLE")
                .replace("MSI_FLAG_", "MSI_FLAG=5F"))
    when_qp, raw_qp = _mail("wobble-1@example.org", "[PATCH] genirq/msi: Add a wobble flag",
                            start + 60, qp_patch)
    head, body = raw_qp.split(b"\n\n", 1)
    raw_qp = (head + b"\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
              b"Content-Transfer-Encoding: quoted-printable\n\n" + body)
    return [(when, raw64), (when_qp, raw_qp)]
