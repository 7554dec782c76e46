"""What a visit ships, hands over or transfers (DESIGN sec. 3, `visit.items`).

Item rules (scope `item`) run once per listed item and see it as `tool`: its classifications,
whether it is subject to the EAR (derived as for a tool, `ear.py`), its kind and description.
"""

from __future__ import annotations

from .document import ItemInfo, VisitDocument

__all__ = ["shipped_items"]


def shipped_items(document: VisitDocument) -> tuple[ItemInfo, ...]:
    """What the visit ships as its document lists it (`visit.items`); nothing when it does not
    list it. Without a list the tool rules judge the listed tools (an installation ships them)
    and US-EAR-738-NS-3B-ITEMS-CN reviews the parts a service ships for them."""
    return document.visit.items or ()
