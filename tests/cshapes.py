"""C files of hostile shapes (issue 16): deep nesting of every kind the
C readers walk -- an ``else if`` chain, parentheses, braces, ``#ifdef``
-- with family constants inside, and a series adding such a file.

Shared by tests/c/test_hostile_cshape.py and the ``cnesting`` fuzz kind.
Written for these tests, in the shape of driver code.
"""

from __future__ import annotations

__all__ = ["SHAPES", "c_shape", "adding_patch"]

FLAG = "MSI_FLAG_USE_DEF_DOM_OPS"


def _elseif(n: int, every: int) -> str:
    out = ["int demo_chain(struct msi_domain_info *info, int x)\n{\n",
           f"\tif (x == 0)\n\t\treturn {FLAG};\n"]
    for i in range(1, n):
        cond = f"info->flags & {FLAG}" if i % every == 0 else f"x == {i}"
        out.append(f"\telse if ({cond})\n\t\treturn {i};\n")
    out.append("\treturn 0;\n}\n")
    return "".join(out)


def _parens(n: int, every: int) -> str:
    inner = f"info->flags & {FLAG}"
    return ("int demo_parens(struct msi_domain_info *info)\n{\n\treturn "
            + "(" * n + inner + ")" * n + ";\n}\n")


def _braces(n: int, every: int) -> str:
    return ("void demo_braces(struct msi_domain_info *info)\n{\n" + "{" * n
            + f"\tinfo->flags |= {FLAG};\n" + "}" * n + "\n}\n")


def _ifdef(n: int, every: int) -> str:
    return ("".join(f"#ifdef CONFIG_DEMO_{i}\n" for i in range(n))
            + "void demo_ifdef(struct msi_domain_info *info)\n{\n"
            + f"\tinfo->flags |= {FLAG};\n}}\n" + "#endif\n" * n)


def _switch(n: int, every: int) -> str:
    """A switch whose case body is a block nested ``n`` deep."""
    return ("int demo_switch(unsigned int token)\n{\n\tswitch (token) {\n"
            "\tcase DOMAIN_BUS_PCI_MSI:\n" + "{" * n + "return 0;" + "}" * n
            + "\n\tdefault:\n\t\treturn -EINVAL;\n\t}\n}\n")


def _macro(n: int, every: int) -> str:
    """A function-like #define whose body nests ``n`` parentheses."""
    return ("#define DEMO_TEST(info) " + "(" * n + f"(info)->flags & {FLAG}"
            + ")" * n + "\n")


SHAPES = {"elseif": _elseif, "parens": _parens, "braces": _braces,
          "ifdef": _ifdef, "switch": _switch, "macro": _macro}


def c_shape(shape: str, n: int, every: int = 1) -> str:
    """A C file of ``shape`` at size ``n`` (``every``: for the chain,
    every how many branches tests the flag)."""
    return SHAPES[shape](n, every)


def adding_patch(path: str, text: str, subject: str = "demo: add a driver",
                 number: int = 1, total: int = 1) -> str:
    """A patch (mbox message) adding ``path`` with ``text``, patch
    ``number`` of ``total`` of its series."""
    lines = text.splitlines()
    body = "".join(f"+{line}\n" for line in lines)
    return ("From mboxrd@z Thu Jan  1 00:00:00 1970\n"
            f"Message-Id: <20240304090000.{number}-cshape@example.org>\n"
            "From: Ada Author <ada@example.org>\n"
            "Date: Mon, 4 Mar 2024 09:01:00 +0100\n"
            + (f"In-Reply-To: <20240304090000.1-cshape@example.org>\n"
               if number > 1 else "")
            + f"Subject: [PATCH {number}/{total}] {subject}\n\n"
            "Add a demo driver.\n\n"
            "Signed-off-by: Ada Author <ada@example.org>\n---\n"
            f"diff --git a/{path} b/{path}\n"
            "new file mode 100644\n"
            "index 0000000..1111111\n"
            "--- /dev/null\n"
            f"+++ b/{path}\n"
            f"@@ -0,0 +1,{len(lines)} @@\n" + body + "-- \n2.39.5\n\n")
