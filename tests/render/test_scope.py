"""A use's place after its file:line: a function is "f()", the macro a
compose use is the body of is "in X" (the report printed
"GICV2M_MSI_FLAGS_REQUIRED()", as if the macro were a function)."""

from __future__ import annotations

from patchlens.extract.roles import Role
from patchlens.text import scope


def test_scope_of_a_use() -> None:
    assert scope(Role.COMPOSE, "GICV2M_MSI_FLAGS_REQUIRED") == \
        " in GICV2M_MSI_FLAGS_REQUIRED"
    assert scope(Role.CHECK, "msi_check_level") == " msi_check_level()"
    # A compose use inside a function (a local mask) stays a function.
    assert scope(Role.COMPOSE, "pci_msi_create_irq_domain") == \
        " pci_msi_create_irq_domain()"
    assert scope(Role.SET, None) == ""
    assert scope(Role.COMPOSE, "ITS_MSI_FLAGS", "`") == " in `ITS_MSI_FLAGS`"
