"""What a visit ships, hands over or transfers (DESIGN sec. 3, `visit.items`).

Item rules (scope `item`) run once per shipped item and see it as `tool`: its classifications,
whether it is subject to the EAR (derived as for a tool, `ear.py`), its kind and description.
"""

from __future__ import annotations

from .document import ItemInfo, VisitDocument

__all__ = ["shipped_items"]


def shipped_items(document: VisitDocument) -> tuple[ItemInfo, ...]:
    """What the visit ships: its items as listed; without a list, an installation ships the
    listed tools themselves and any other activity nothing that the document names."""
    if document.visit.items is not None:
        return document.visit.items
    if document.visit.activity != "installation":
        return ()
    return tuple(
        ItemInfo(
            kind="tool",
            description=t.model,
            classifications=t.classifications,
            subject_to_ear=t.subject_to_ear,
            origin=t.origin,
            us_content_percent=t.us_content_percent,
            made_with_us_technology=t.made_with_us_technology,
        )
        for t in document.tools
    )
