"""The per-file pass: one query run per C file reads every shape the
extractors need (functions, calls, struct instances, switch and if
statements), with the same answers as reading each shape alone."""

from __future__ import annotations

from patchlens.c import shapes as shapemod
from patchlens.c.parse import parse_c
from patchlens.c.shapes import file_matches
from patchlens.extract.filters import find_filters
from patchlens.extract.profile import load_profile
from patchlens.extract.roles import parameter_roles, rules_for
from patchlens.extract.scan import analyse_file
from patchlens.extract.structs import find_structs

# Written for this test, in the shape of an irqchip driver.
SHAPES = b"""\
#define DEMO_FLAGS (MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS)

static int setup_done = demo_init_value();

static void *demo_alloc(unsigned long flags)
{
\tif (flags & MSI_FLAG_MULTI_PCI_MSI)
\t\treturn demo_get(flags);
\treturn NULL;
}

static bool demo_supports(struct device *dev, unsigned int mask)
{
\tswitch (demo_token(dev)) {
\tcase DOMAIN_BUS_PCI_MSI:
\t\treturn true;
\tdefault:
\t\treturn false;
\t}
\treturn demo_has(dev) & mask;
}

static struct msi_domain_info demo_info = {
\t.flags = DEMO_FLAGS | MSI_FLAG_PCI_MSIX,
};
"""

NAMES = {"MSI_FLAG_USE_DEF_DOM_OPS": "msi_flags", "MSI_FLAG_USE_DEF_CHIP_OPS": "msi_flags",
         "MSI_FLAG_MULTI_PCI_MSI": "msi_flags", "MSI_FLAG_PCI_MSIX": "msi_flags",
         "DOMAIN_BUS_PCI_MSI": "bus_token"}


def _rules():
    return rules_for(load_profile(None), NAMES)


def test_one_query_run_per_file(monkeypatch):
    runs = []
    real = shapemod.matches

    def counting(query, node):
        runs.append(node)
        return real(query, node)
    monkeypatch.setattr(shapemod, "matches", counting)
    facts = analyse_file("drivers/demo/shapes.c", SHAPES, _rules())
    assert len(runs) == 1
    assert facts.functions == ("demo_alloc", "demo_supports")
    assert [s.variable for s in facts.structs] == ["demo_info"]
    assert [f.kind for f in facts.filters] == ["switch"]


def test_shared_pass_answers_like_each_shape_alone():
    tree = parse_c(SHAPES)
    shapes = file_matches(tree)
    rules = _rules()
    assert parameter_roles(tree, rules, shapes) == parameter_roles(tree, rules)
    # Pointer parameters (dev) hold no flags; the first use decides a tie.
    assert dict(parameter_roles(tree, rules)) == {
        "demo_alloc": ((0, "check", "tested with &"),),
        "demo_supports": ((1, "check", "tested with &"),)}
    assert find_structs("f.c", tree, rules.structs, shapes) == \
        find_structs("f.c", tree, rules.structs)
    assert find_filters("f.c", tree, NAMES, rules.value_families, shapes) == \
        find_filters("f.c", tree, NAMES, rules.value_families)


def test_new_flag_set_names_keep_the_name_free_facts():
    rules = _rules()
    first = analyse_file("drivers/demo/shapes.c", SHAPES, rules)
    more = rules_for(load_profile(None), {**NAMES, "DEMO_FLAGS": "flagset"})
    full = analyse_file("drivers/demo/shapes.c", SHAPES, more)
    again = analyse_file("drivers/demo/shapes.c", SHAPES, more, prior=first)
    assert again == full
    assert any(s.name == "DEMO_FLAGS" for s in again.sites)
