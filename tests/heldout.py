"""Held-out series built at test time from the kernel cache's git
repository (tags v6.1 and v6.12): real deltas of the constant families
between the two releases, each written as a ``git format-patch`` mbox
with a cover letter and applied on v6.1.  Nothing here copies kernel
code into the repository: the files are read from the cache when the
tests run (``make test-kernel``; tests/corpus/test_heldout_kernel.py), the
edits below only say which real block replaces which.

The hand-derived answers are in tests/corpus/EXPECTATIONS.md
("Held-out series").
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Change", "Patch", "HELD_OUT", "build_mbox", "show"]

AUTHOR = "Hal Heldout <hal@example.org>"


def show(repo: Path, rev: str, path: str) -> str:
    """The file ``path`` at ``rev`` of the repository ``repo``."""
    return subprocess.run(["git", "-C", str(repo), "show", f"{rev}:{path}"],
                          check=True, capture_output=True, text=True).stdout


@dataclass(frozen=True)
class Change:
    """One file of a patch: its new text from the v6.1 and v6.12 texts
    (``None`` before: the file is new)."""
    path: str
    new: Callable[[str | None, str], str]
    created: bool = False


@dataclass(frozen=True)
class Patch:
    subject: str
    body: str
    changes: tuple[Change, ...]


def _diff(path: str, old: str | None, new: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        b = Path(tmp, "b", path)
        b.parent.mkdir(parents=True)
        b.write_text(new)
        if old is None:
            left = "/dev/null"
        else:
            a = Path(tmp, "a", path)
            a.parent.mkdir(parents=True)
            a.write_text(old)
            left = f"a/{path}"
        out = subprocess.run(
            ["git", "diff", "--no-index", "--no-prefix", "--full-index",
             left, f"b/{path}"], cwd=tmp, capture_output=True, text=True,
            env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1",
                 "HOME": tmp}).stdout
    if old is None:
        out = out.replace(f"diff --git b/{path}", f"diff --git a/{path}", 1)
    return out


def build_mbox(repo: Path, title: str, cover: str,
               patches: Sequence[Patch]) -> str:
    """The series as an mbox: a cover letter, then each patch on top of
    the previous ones, v6.1 the base."""
    n = len(patches)
    state: dict[str, str | None] = {}
    msgs = [_message(0, n, title, cover, "", "<heldout-0@example.org>")]
    for i, p in enumerate(patches, 1):
        diffs = []
        for c in p.changes:
            if c.path not in state:
                state[c.path] = None if c.created else show(repo, "v6.1", c.path)
            after = show(repo, "v6.12", c.path) if _exists(
                repo, "v6.12", c.path) else ""
            new = c.new(state[c.path], after)
            diffs.append(_diff(c.path, state[c.path], new))
            state[c.path] = new
        msgs.append(_message(i, n, p.subject, p.body, "".join(diffs),
                             f"<heldout-{i}@example.org>"))
    return "".join(msgs)


def _exists(repo: Path, rev: str, path: str) -> bool:
    return subprocess.run(["git", "-C", str(repo), "cat-file", "-e",
                           f"{rev}:{path}"], capture_output=True).returncode == 0


def _message(i: int, n: int, subject: str, body: str, diff: str,
             msgid: str) -> str:
    reply = "" if i == 0 else "In-Reply-To: <heldout-0@example.org>\n"
    return (f"From heldout Mon Sep 17 00:00:00 2001\nFrom: {AUTHOR}\n"
            f"Date: Mon, {i + 1:02d} Jun 2025 10:00:00 +0000\n"
            f"Subject: [PATCH {i}/{n}] {subject}\nMessage-ID: {msgid}\n"
            f"{reply}MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=UTF-8\n\n"
            f"{body}\n\nSigned-off-by: {AUTHOR}\n---\n{diff}-- \n2.39.5\n\n")


# -- the edits: which real block replaces which ------------------------------

def _block(text: str, start: str, end: str = "\n};\n") -> tuple[int, int]:
    """The span from the line holding ``start`` (widened up to its
    leading comment) to the end of the ``};`` closing it."""
    i = text.index(start)
    i = text.rindex("\n", 0, i) + 1
    j = text.index(end, i) + len(end)
    return i, j


def _with_comment(text: str, i: int) -> int:
    """``i`` moved up over the ``/* ... */`` comment just above it."""
    head = text[:i]
    m = re.search(r"/\*(?:(?!\*/).)*\*/\n$", head, re.S)
    return m.start() if m else i


def _flags_enum(text: str) -> tuple[int, int]:
    """The anonymous enum holding the MSI_FLAG_* bits."""
    k = text.index("MSI_FLAG_USE_DEF_DOM_OPS\t")
    i = text.rindex("\nenum {", 0, k) + 1
    j = text.index("\n};\n", k) + len("\n};\n")
    return i, j


def move_bus_tokens(old: str | None, _after: str) -> str:
    """irqdomain.h: the bus-token enum (and its comment) goes, the new
    header is included instead (6.12's form)."""
    assert old is not None
    i, j = _block(old, "enum irq_domain_bus_token {")
    i = _with_comment(old, i)
    old = old[:i] + old[j:].lstrip("\n")
    return old.replace("#include <linux/types.h>\n",
                       "#include <linux/types.h>\n"
                       "#include <linux/irqdomain_defs.h>\n", 1)


def new_file(_old: str | None, after: str) -> str:
    return after


def flags_as_612(old: str | None, after: str) -> str:
    """msi.h: 6.1's MSI_FLAG_* enum replaced by 6.12's."""
    assert old is not None
    i, j = _flags_enum(old)
    a, b = _flags_enum(after)
    return old[:i] + after[a:b] + old[j:]


def append_tokens(*names: str) -> Callable[[str | None, str], str]:
    """irqdomain.h: ``names`` appended to the bus-token enum."""
    def edit(old: str | None, _after: str) -> str:
        assert old is not None
        k = old.index("enum irq_domain_bus_token {")
        j = old.index("\n};\n", k)
        return old[:j] + "".join(f"\n\t{n}," for n in names) + old[j:]
    return edit


def set_own_token(anchor: str, indent: str, token: str
                  ) -> Callable[[str | None, str], str]:
    """A driver sets its remapping domain's own token right after the
    block ``anchor`` opens (6.12's irq_domain_update_bus_token())."""
    def edit(old: str | None, _after: str) -> str:
        assert old is not None
        k = old.index(anchor)
        j = old.index(f"\n{indent}}}\n", k) + len(f"\n{indent}}}\n")
        return (old[:j] + f"\n{indent}irq_domain_update_bus_token("
                f"iommu->ir_domain, {token});\n" + old[j:])
    return edit


def domain_ids_in_msi_h(old: str | None, _after: str) -> str:
    """msi.h includes msi_api.h (6.12's form)."""
    assert old is not None
    return old.replace("#include <linux/cpumask.h>\n",
                       "#include <linux/cpumask.h>\n"
                       "#include <linux/msi_api.h>\n", 1)


HELD_OUT: dict[str, tuple[str, str, tuple[Patch, ...]]] = {
    "bus-tokens-defs": (
        "irqdomain: Move the bus tokens to irqdomain_defs.h",
        "The bus tokens are needed by code which must not include the whole "
        "irqdomain.h. Move them to a header of their own and add the "
        "tokens of the per device MSI domains and of the interrupt "
        "remapping units.",
        (Patch("irqdomain: Move bus token enum into a separate header",
               "Move the enum to irqdomain_defs.h, add the tokens for per "
               "device PCI/MSI, DMAR, AMDVI, device MSI and wired to MSI.",
               (Change("include/linux/irqdomain_defs.h", new_file, True),
                Change("include/linux/irqdomain.h", move_bus_tokens))),)),
    "msi-flags-612": (
        "genirq/msi: Rearrange the MSI domain flags",
        "Split the flags into generic ones (bits 0-15) and domain specific "
        "ones (bits 16-31), and add the flags of the per device domains.",
        (Patch("genirq/msi: Rearrange MSI domain flags",
               "Generic flags first, then the PCI ones, with a mask for "
               "each range; add the new flags.",
               (Change("include/linux/msi.h", flags_as_612),)),)),
    "remap-tokens": (
        "iommu: Give the interrupt remapping domains a bus token",
        "Mark the interrupt remapping domains of VT-d and AMD-Vi with a "
        "bus token of their own so they can be told apart.",
        (Patch("irqdomain: Add DOMAIN_BUS_DMAR and DOMAIN_BUS_AMDVI",
               "Two tokens for the remapping units.",
               (Change("include/linux/irqdomain.h",
                       append_tokens("DOMAIN_BUS_DMAR",
                                     "DOMAIN_BUS_AMDVI")),)),
         Patch("iommu/vt-d: Use DOMAIN_BUS_DMAR",
               "Set the remapping domain's token.",
               (Change("drivers/iommu/intel/irq_remapping.c",
                       set_own_token("if (!iommu->ir_domain) {", "\t",
                                     "DOMAIN_BUS_DMAR")),)),
         Patch("iommu/amd: Use DOMAIN_BUS_AMDVI",
               "Set the remapping domain's token.",
               (Change("drivers/iommu/amd/iommu.c",
                       set_own_token("if (!iommu->ir_domain) {", "\t",
                                     "DOMAIN_BUS_AMDVI")),)))),
    "gicv2m-parent": (
        "irqchip/gic-v2m: Become an MSI parent",
        "Rearrange the MSI flags and convert GICv2m to an MSI parent which "
        "advertises and requires its flags.",
        (Patch("genirq/msi: Rearrange MSI domain flags",
               "Generic flags first, then the PCI ones, with a mask for "
               "each range; add the new flags.",
               (Change("include/linux/msi.h", flags_as_612),)),
         Patch("irqchip/gic-v2m: Switch to device MSI",
               "Provide msi_parent_ops with the supported and required "
               "flags instead of a PCI/MSI domain of its own.",
               (Change("drivers/irqchip/irq-gic-v2m.c", new_file),)))),
    "domain-ids": (
        "genirq/msi: Provide the MSI domain ids in msi_api.h",
        "Device drivers need the MSI domain ids without the internals of "
        "msi.h.",
        (Patch("genirq/msi: Add msi_api.h",
               "The header for device drivers, with enum msi_domain_ids.",
               (Change("include/linux/msi_api.h", new_file, True),)),
         Patch("genirq/msi: Include msi_api.h from msi.h",
               "So the core sees the ids.",
               (Change("include/linux/msi.h", domain_ids_in_msi_h),)))),
}
