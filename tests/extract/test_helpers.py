"""The call rule through helpers, to any depth: synthetic kernel-shaped
files (written for these tests) where a constant is handed to a helper
that hands it on -- within a file, across files, through a header's
static inline, in a cycle -- until a function tests or stores it."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchlens.c.parse import parse_c
from patchlens.extract.profile import load_profile
from patchlens.extract.roles import (
    MAX_CHAIN, Decided, Helper, Helpers, Role, Rules, parameter_roles,
    parameter_uses)
from patchlens.extract.scan import (
    FileFacts, included_paths, resolve_calls, scan_references)
from patchlens.render.refs import as_json, as_text
from patchlens.tree.directory import DirectoryTree

NAMES = {"DOMAIN_BUS_PCI_DEVICE_MSI": "bus_token",
         "DOMAIN_BUS_PCI_DEVICE_MSIX": "bus_token",
         "DOMAIN_BUS_WIRED_TO_MSI": "bus_token",
         "DOMAIN_BUS_DEVICE_MSI": "bus_token",
         "MSI_FLAG_PCI_MSIX": "msi_flag", "MSI_FLAG_MULTI_PCI_MSI": "msi_flag"}

# Two levels in one file: the token goes through demo_match_domain()
# into demo_match_irq_domain(), which compares it.
TWO_LEVEL = b"""\
#include <linux/msi.h>

bool demo_match_irq_domain(struct device *dev, unsigned int domid,
			   enum irq_domain_bus_token bus_token)
{
	struct msi_domain_info *info = dev->msi.domain->host_data;

	return info->bus_token == bus_token;
}

static bool demo_match_domain(struct pci_dev *pdev, enum irq_domain_bus_token bus_token)
{
	return demo_match_irq_domain(&pdev->dev, 0, bus_token);
}

static int demo_setup(struct pci_dev *pdev)
{
	if (demo_match_domain(pdev, DOMAIN_BUS_PCI_DEVICE_MSI))
		return 0;
	return -ENODEV;
}
"""

# Three levels across two files: drivers/demo/a.c calls demo_outer()
# (a static inline of a header it includes, which names no constant),
# which calls demo_middle() (the header), which calls demo_inner()
# (a.c), which tests the flag.
THREE_A = b"""\
#include <linux/demo_b.h>

bool demo_inner(struct device *dev, unsigned long feature)
{
	return dev->msi_flags & feature;
}

static int demo_probe(struct device *dev)
{
	return demo_outer(dev, MSI_FLAG_PCI_MSIX) ? 0 : -EINVAL;
}
"""
THREE_B = b"""\
bool demo_inner(struct device *dev, unsigned long feature);

static inline bool demo_middle(struct device *dev, unsigned long mask)
{
	return demo_inner(dev, mask);
}

static inline bool demo_outer(struct device *dev, unsigned long mask)
{
	if (!dev)
		return false;
	return demo_middle(dev, mask);
}
"""

# A cycle: demo_ping() and demo_pong() hand the token to each other and
# nothing decides; demo_walk() is in the cycle too but also compares.
CYCLE = b"""\
static int demo_pong(struct device *dev, unsigned int token, int depth);

static int demo_ping(struct device *dev, unsigned int token, int depth)
{
	return depth ? demo_pong(dev, token, depth - 1) : 0;
}

static int demo_pong(struct device *dev, unsigned int token, int depth)
{
	return depth ? demo_ping(dev, token, depth - 1) : 0;
}

static int demo_walk(struct device *dev, unsigned int token, int depth)
{
	if (depth && demo_walk(dev, token, depth - 1))
		return 1;
	return dev->token == token;
}

static void demo_use(struct device *dev)
{
	demo_ping(dev, DOMAIN_BUS_WIRED_TO_MSI, 3);
	demo_walk(dev, DOMAIN_BUS_DEVICE_MSI, 3);
}
"""

# A helper that only stores what it is given, and one that compares:
# the same shape of call, two roles.
STORE_OR_COMPARE = b"""\
static void demo_store(struct demo_info *info, unsigned int token)
{
	info->bus_token = token;
}

static bool demo_compare(struct demo_info *info, unsigned int token)
{
	return info->bus_token == token;
}

static void demo_set_token(struct demo_info *info, unsigned int token)
{
	demo_store(info, token);
}

static bool demo_is_token(struct demo_info *info, unsigned int token)
{
	return demo_compare(info, token);
}

static void demo_init(struct demo_info *info)
{
	demo_set_token(info, DOMAIN_BUS_PCI_DEVICE_MSIX);
	if (demo_is_token(info, DOMAIN_BUS_PCI_DEVICE_MSI))
		return;
}
"""

# A helper defined as a static inline in a header that names no
# constant (the literal search does not return it), which hands the
# mask on to a static inline of another header it includes; and a
# driver's own header (a quoted include) whose helper stores.
HEADER = b"""\
#ifndef _DEMO_HELPERS_H
#define _DEMO_HELPERS_H

#include <linux/demo_core.h>

static inline bool demo_supports(struct device *dev, unsigned long mask)
{
	return demo_core_supports(dev, mask);
}

#endif
"""
CORE = b"""\
static inline bool demo_core_supports(struct device *dev, unsigned long mask)
{
	struct msi_domain_info *info = dev->msi.domain->host_data;

	return (info->flags & mask) == mask;
}
"""
LOCAL_HEADER = b"""\
static inline void demo_local_set(struct demo_info *info, unsigned long flags)
{
	info->flags |= flags;
}
"""
USER = b"""\
#include <linux/demo_helpers.h>
#include "demo_local.h"

static int demo_enable(struct device *dev, struct demo_info *info)
{
	if (!demo_supports(dev, MSI_FLAG_MULTI_PCI_MSI))
		return -ENOTSUPP;
	demo_local_set(info, MSI_FLAG_PCI_MSIX);
	undefined_helper(dev, MSI_FLAG_PCI_MSIX);
	return 0;
}
"""


def _tree(root: Path, files: dict[str, bytes]) -> DirectoryTree:
    for path, data in files.items():
        p = root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return DirectoryTree(str(root))


def _scan(tmp_path: Path, files: dict[str, bytes]):
    return scan_references(_tree(tmp_path, files), NAMES, load_profile(None),
                           cache=False, jobs=1)


def _site(scan, name: str, file: str):
    hits = [s for s in scan.sites if s.name == name and s.file == file]
    assert len(hits) == 1, hits
    return hits[0]


def test_two_level_helper_in_one_file(tmp_path):
    scan = _scan(tmp_path, {"drivers/demo/two.c": TWO_LEVEL})
    s = _site(scan, "DOMAIN_BUS_PCI_DEVICE_MSI", "drivers/demo/two.c")
    assert s.role is Role.CHECK
    assert s.via == "demo_match_domain -> demo_match_irq_domain"
    assert s.reason == ("passed to demo_match_domain(), on to "
                        "demo_match_irq_domain(), which tests argument 3")


def test_three_levels_across_two_files(tmp_path):
    scan = _scan(tmp_path, {"drivers/demo/a.c": THREE_A,
                            "include/linux/demo_b.h": THREE_B})
    s = _site(scan, "MSI_FLAG_PCI_MSIX", "drivers/demo/a.c")
    assert s.role is Role.CHECK
    assert s.via == "demo_outer -> demo_middle -> demo_inner"


def test_cycle_guard(tmp_path):
    scan = _scan(tmp_path, {"drivers/demo/cycle.c": CYCLE})
    # Nothing in the ping-pong decides: the constant stays a plain argument.
    ping = _site(scan, "DOMAIN_BUS_WIRED_TO_MSI", "drivers/demo/cycle.c")
    assert ping.role is Role.OTHER and ping.via == ""
    assert ping.reason == "argument 2 of demo_ping()"
    # A recursive function that also compares: its own test decides.
    walk = _site(scan, "DOMAIN_BUS_DEVICE_MSI", "drivers/demo/cycle.c")
    assert walk.role is Role.CHECK and walk.via == "demo_walk"


def test_a_helper_that_stores_is_set_one_that_compares_is_check(tmp_path):
    scan = _scan(tmp_path, {"drivers/demo/store.c": STORE_OR_COMPARE})
    stored = _site(scan, "DOMAIN_BUS_PCI_DEVICE_MSIX", "drivers/demo/store.c")
    assert stored.role is Role.SET
    assert stored.via == "demo_set_token -> demo_store"
    compared = _site(scan, "DOMAIN_BUS_PCI_DEVICE_MSI", "drivers/demo/store.c")
    assert compared.role is Role.CHECK
    assert compared.via == "demo_is_token -> demo_compare"


def test_helpers_in_included_headers_are_found(tmp_path):
    scan = _scan(tmp_path, {"include/linux/demo_helpers.h": HEADER,
                            "include/linux/demo_core.h": CORE,
                            "drivers/demo/demo_local.h": LOCAL_HEADER,
                            "drivers/demo/user.c": USER})
    sites = [s for s in scan.sites if s.file == "drivers/demo/user.c"]
    assert [(s.line, s.role, s.via) for s in sites] == [
        (6, Role.CHECK, "demo_supports -> demo_core_supports"),
        (8, Role.SET, "demo_local_set"),
        # A name defined nowhere stays a plain argument.
        (9, Role.OTHER, "")]
    # The headers are read for their definitions only.
    assert scan.files == ("drivers/demo/user.c",)


def test_included_paths():
    data = b'#include <linux/msi.h>\n# include "local.h"\n#include "../up.h"\n'
    assert included_paths("drivers/demo/x.c", data) == (
        "include/linux/msi.h", "drivers/demo/local.h", "drivers/up.h")
    assert included_paths("arch/x86/kernel/a.c", b"#include <asm/msi.h>\n") == (
        "include/asm/msi.h", "arch/x86/include/asm/msi.h")


def test_refs_shows_the_chain(tmp_path):
    scan = _scan(tmp_path, {"drivers/demo/two.c": TWO_LEVEL})
    text = as_text("demo", ["DOMAIN_BUS_PCI_DEVICE_MSI"], NAMES, scan)
    assert "via demo_match_domain -> demo_match_irq_domain" in text
    assert '"via": "demo_match_domain -> demo_match_irq_domain"' in as_json(
        "demo", ["DOMAIN_BUS_PCI_DEVICE_MSI"], NAMES, scan)


RULES = Rules(names=NAMES)


def test_parameter_uses_list_what_is_passed_on() -> None:
    tree = parse_c(THREE_B)
    roles, forwards = parameter_uses(tree, RULES)
    assert roles == parameter_roles(tree, RULES)
    assert roles == ()
    assert dict(forwards) == {"demo_middle": ((1, "demo_inner", 1),),
                              "demo_outer": ((1, "demo_middle", 1),)}


def test_own_file_definition_first_then_the_first_giving_a_role() -> None:
    helpers = Helpers([
        Helper("a.c", "demo_get", {}, {0: (("demo_deep", 0),)}),
        Helper("b.c", "demo_get", {0: (Role.SET, "= into x")}, {}),
        Helper("c.c", "demo_deep", {0: (Role.MATCH, "array index")}, {}),
    ])
    # From a.c the static demo_get of a.c is called: it passes on.
    assert helpers.decide("demo_get", 0, "a.c") == Decided(
        Role.MATCH, "array index", ("demo_get", "demo_deep"), 0)
    # From elsewhere: the first definition (by path) giving a role.
    got = helpers.decide("demo_get", 0, "z.c")
    assert got is not None and got.chain == ("demo_get", "demo_deep")
    assert helpers.decide("demo_get", 1, "z.c") is None
    assert helpers.missing([("demo_none", 0, "a.c"), ("demo_get", 0, "a.c")]) \
        == {"demo_none": {"a.c"}}


def test_the_strongest_role_wins_then_the_shortest_chain() -> None:
    helpers = Helpers([
        Helper("a.c", "f", {0: (Role.SET, "= into x")},
               {0: (("g", 0), ("h", 0))}),
        Helper("a.c", "g", {0: (Role.CHECK, "compared with ==")}, {}),
        Helper("a.c", "h", {}, {0: (("g", 0),)}),
    ])
    got = helpers.decide("f", 0, "a.c")
    assert got is not None and got.role is Role.CHECK and got.chain == ("f", "g")
    assert got.text() == "passed to f(), on to g(), which tests argument 1"


@pytest.mark.parametrize("depth", [1, 5, 40, MAX_CHAIN - 1])
def test_any_depth(depth: int) -> None:
    chain = [Helper("a.c", f"h{k}", {}, {0: ((f"h{k + 1}", 0),)})
             for k in range(depth)]
    chain.append(Helper("a.c", f"h{depth}", {0: (Role.CLEAR, "&= ~")}, {}))
    got = Helpers(chain).decide("h0", 0, "a.c")
    assert got is not None and got.role is Role.CLEAR
    assert len(got.chain) == depth + 1


def test_a_generated_chain_of_thousands_stays_linear() -> None:
    # Deeper than MAX_CHAIN: not followed to the end, and quickly.
    n = 20000
    chain = [Helper("a.c", f"h{k:06d}", {}, {0: ((f"h{k + 1:06d}", 0),)})
             for k in range(n)]
    chain.append(Helper("a.c", f"h{n:06d}", {0: (Role.CLEAR, "&= ~")}, {}))
    helpers = Helpers(chain)
    assert helpers.decide("h000000", 0, "a.c") is None
    got = helpers.decide(f"h{n - MAX_CHAIN + 1:06d}", 0, "a.c")
    assert got is not None and len(got.chain) == MAX_CHAIN


def test_resolve_calls_keeps_files_without_pending_calls() -> None:
    f = FileFacts("drivers/demo/x.c")
    assert resolve_calls([f]) == [f]
