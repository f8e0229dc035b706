"""Hostile input, round 2 (issue 16): what reads C, the tree, the profile
and MAINTAINERS.

A case that hung runs in a child with a timeout (a signal cannot stop a
C-level regex); one about memory runs under RLIMIT_AS 2 GB.  Inputs are
small enough that the fixed code answers well under a second or two.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from patchlens.c.evaluate import MAX_MACRO_DEPTH, evaluate
from patchlens.errors import InputError
from patchlens.extract.constants import evaluate_model
from patchlens.extract.definitions import Model, read_definitions
from patchlens.extract.maintainers import parse_maintainers
from patchlens.extract.profile import load_profile, parse_profile

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 12


def _bounded(code: str, *, memory: int | None = None) -> str:
    """Run ``code`` in a child; fail when it outlives TIMEOUT seconds."""
    prelude = ""
    if memory:
        prelude = ("import resource\nresource.setrlimit(resource.RLIMIT_AS, "
                   f"({memory}, {memory}))\n")
    try:
        done = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)],
                              cwd=REPO, capture_output=True, text=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not finish within {TIMEOUT} s")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_patch_only_enumerator_line_is_linear() -> None:
    out = _bounded("""
        from patchlens.extract.patchonly import _line_entry
        print(_line_entry("MSI_FLAG_X = (1 << 21)" + " " * 1200 + "a")[1])
        print(_line_entry("#define MSI_FLAG_Y" + " " * 30000 + "/* x */ y")[1])
    """)
    assert out.split() == ["MSI_FLAG_X", "MSI_FLAG_Y"]


def test_patch_only_lines_read_as_before() -> None:
    from patchlens.extract.patchonly import _line_entry
    assert _line_entry("\tFOO,") == ("enumerator", "FOO", None)
    assert _line_entry("\tFOO = BIT(3), /* c */") == ("enumerator", "FOO", "BIT(3)")
    assert _line_entry("\tFOO = 2, // c") == ("enumerator", "FOO", "2")
    assert _line_entry("#define MSI_X\t(1 << 2) /* y */") == ("macro", "MSI_X", "(1 << 2)")
    assert _line_entry("#define MSI_X(a) a") is None
    assert _line_entry("\treturn x;") is None


def test_maintainers_n_pattern_is_bounded() -> None:
    out = _bounded("""
        import warnings
        from patchlens.extract.maintainers import parse_maintainers
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m = parse_maintainers("Maintainers List\\n\\nEVIL\\nM:\\tx <x@y>\\n"
                                  "N:\\t^(d+)+x$\\nN:\\t(a|aa)*b\\n\\n"
                                  "GOOD\\nN:\\tfoo[0-9]+\\n")
        print(m.subsystem("d" * 40 + "/y.c").name)
        print(m.subsystem("drivers/" + "a" * 40 + "/foo1.c").name)
        print(len(w))
    """)
    # EVIL's patterns are not run (the fallback names the file), GOOD's is
    assert out.split("\n")[:3] == ["d" * 40, "GOOD", "1"]


def test_maintainers_long_path_is_not_matched_by_n() -> None:
    m = parse_maintainers("Maintainers List\n\nGOOD\nN:\tfoo\n")
    assert m.subsystem("drivers/foo/x.c").name == "GOOD"
    assert m.subsystem("drivers/" + "d/" * 200 + "foo.c").name != "GOOD"


def _profile(families: str, extra: str = "") -> bytes:
    return (extra + families).encode()


def test_profile_refuses_an_unbounded_regex() -> None:
    text = _profile('[[family]]\nkey = "a"\nprefix = "A_"\n'
                    'own_subjects = ["^(d+)+x$"]\n')
    with pytest.raises(InputError, match="own_subjects.*refused"):
        parse_profile(text, "p.toml")


def test_profile_loader_is_linear_in_families_and_literals() -> None:
    _bounded("""
        from patchlens.extract.profile import parse_profile
        n = 10000   # minutes before the fix (quadratic), ~2 s after
        fams = "".join(f'[[family]]\\nkey = "k{i}"\\nprefix = "P{i}_"\\n' for i in range(n))
        lits = ", ".join(f'"L{i}X"' for i in range(n))
        p = parse_profile(("[prefilter]\\nliterals = [" + lits + "]\\n" + fams).encode(), "p")
        got = p.candidate_literals([f"N{i}_NAME" for i in range(n)])
        assert len(got) > n, len(got)
    """)


def test_profile_duplicate_family_is_still_refused() -> None:
    text = _profile('[[family]]\nkey = "a"\nprefix = "A_"\n'
                    '[[family]]\nkey = "a"\nprefix = "B_"\n')
    with pytest.raises(InputError, match="defined twice"):
        parse_profile(text, "p.toml")


def test_enum_conditions_are_linear_in_the_enum() -> None:
    out = _bounded("""
        from patchlens.extract.definitions import read_definitions
        n = 20000
        text = ("#ifndef _LINUX_MSI_H\\n#define _LINUX_MSI_H\\n#ifdef CONFIG_X\\n"
                "enum irq_domain_bus_token {\\n"
                + "".join(f"\\tDOMAIN_BUS_X{i},\\n" for i in range(n))
                + "};\\n#endif\\n#endif\\n")
        r = read_definitions("include/linux/irqdomain_defs.h", text.encode())
        print(len(r.enums[0].items), r.enums[0].items[-1].condition)
    """)
    assert out.split() == ["20000", "CONFIG_X"]


def test_ifdef_nesting_condition_is_bounded() -> None:
    depth = 300
    text = ("".join(f"#ifdef CONFIG_{i}\n" for i in range(depth))
            + "#define MSI_FLAG_DEEP (1 << 3)\n" + "#endif\n" * depth)
    raw = read_definitions("include/linux/msi.h", text.encode())
    cond = raw.macros[0].condition or ""
    assert cond.count("&&") < 64 and cond.endswith(f"CONFIG_{depth - 1}")


def test_long_define_chain_is_no_recursion_error() -> None:
    n = 10_000
    text = "".join(f"#define MSI_FLAG_A{i} MSI_FLAG_A{i + 1}\n" for i in range(n)) \
        + f"#define MSI_FLAG_A{n} (1 << 3)\n"
    raw = read_definitions("include/linux/msi.h", text.encode())
    table = evaluate_model(Model(list(raw.enums), list(raw.macros),
                                 ["include/linux/msi.h"]), load_profile(None))
    first = table.get("MSI_FLAG_A0")
    assert first is not None and first.value.value is None
    assert f"deeper than {MAX_MACRO_DEPTH}" in first.value.reason
    last = table.get(f"MSI_FLAG_A{n}")
    assert last is not None and last.value.value == 8


@pytest.mark.parametrize("text", ["0x" + "f" * 5000, "1" * 5000, "0" + "7" * 5000,
                                  "0b" + "1" * 5000, "1" * 5000 + "ULL"])
def test_long_number_is_unknown_not_valueerror(text: str) -> None:
    v = evaluate(text)
    assert v.value is None and "digits" in v.reason


def test_huge_tree_header_is_skipped_not_read(tmp_path: Path) -> None:
    hdr = tmp_path / "include" / "linux"
    hdr.mkdir(parents=True)
    with open(hdr / "msi.h", "wb") as fh:      # sparse: no disk used
        fh.truncate(2_500 * 1024 * 1024)
    (hdr / "small.h").write_text("#define MSI_FLAG_Z (1 << 1)\n")
    out = _bounded(f"""
        import warnings
        from patchlens.tree.directory import DirectoryTree
        t = DirectoryTree({str(tmp_path)!r})
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            print(t.read("include/linux/msi.h") is None, t.content_id("include/linux/msi.h"))
        print(len(t.read("include/linux/small.h")), "limit" in str(w[0].message))
    """, memory=2 * 1024 ** 3)
    assert out.split() == ["True", "None", "28", "True"]


def test_tree_file_limit_is_documented() -> None:
    from patchlens.tree.source import MAX_TREE_FILE_BYTES
    readme = (REPO / "README.md").read_text()
    assert f"| a tree file read whole (directory or git blob) | {MAX_TREE_FILE_BYTES >> 20} MiB |" in readme
