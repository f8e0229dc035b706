"""The bit-index check reads every shifting bit macro of the one list
(patchlens.c.widths.BIT_MACROS) and its word width."""

from __future__ import annotations

from patchlens.checks.bits import bit_index_uses
from patchlens.tree.empty import EmptyTree
from patchlens.tree.overlay import OverlayTree

HEADER = """\
struct demo_parent_ops {
\tu32 bus_select_mask;
\tu16 small_mask;
};
"""

SOURCE = b"""\
#define DEMO_A BIT(DOMAIN_BUS_A)
#define DEMO_B BIT_ULL(DOMAIN_BUS_B)
#define DEMO_C _BITUL(DOMAIN_BUS_C)
#define DEMO_D BIT_U32(DOMAIN_BUS_D)
#define DEMO_E BIT_U64(DOMAIN_BUS_E)
#define DEMO_F (1ULL << DOMAIN_BUS_F)
#define DEMO_G BIT_MASK(DOMAIN_BUS_G)
static struct demo_parent_ops demo_ops = {
\t.small_mask = DEMO_C,
};
"""


def test_every_shifting_bit_macro_is_a_bit_index_use() -> None:
    tree = OverlayTree(EmptyTree(reason="test"), {"drivers/demo/demo.c": SOURCE},
                       label="test tree")
    names = {f"DOMAIN_BUS_{c}" for c in "ABCDEFG"}
    uses = bit_index_uses(tree, ["drivers/demo/demo.c"], names, HEADER)
    got = {u.name: (u.width, u.why) for u in uses}
    assert got == {
        "DOMAIN_BUS_A": (32, "BIT() is unsigned long: 32 bits on 32-bit builds"),
        "DOMAIN_BUS_B": (64, "BIT_ULL"),
        "DOMAIN_BUS_C": (16, "feeds .small_mask (u16)"),
        "DOMAIN_BUS_D": (32, "BIT_U32() is u32"),
        "DOMAIN_BUS_E": (64, "BIT_U64"),
        "DOMAIN_BUS_F": (64, "BIT_ULL"),
        # BIT_MASK takes its argument modulo the word width: no overflow.
    }

