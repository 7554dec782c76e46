"""Separation of duties: one policy for every path that can release or lower a hold.

Nobody releases a visit they requested or edited (DESIGN sec. 11). The paths:

- approval and rejection: ``require_uninvolved`` refuses the person;
- a false-positive mark and a licence record or change: the basis is kept, but it does not count
  for a visit its author requested or edited. The check passes such a hit on as live and such a
  licence as withheld; the engine then holds the visit with a SYSTEM-SEPARATION-OF-DUTIES finding
  naming whose basis does not count (``mark_basis``, ``withhold_licence``);
- an edit of the visit: the editor joins the visit's involved users (``Visit.editor_ids``);
- a change of the reference data an open visit is decided on (its facility, the customer and its
  owners, its engineers, tools or vendor): the person who changed it joins that visit's involved
  users too (``dispatch.services.validation.reference_changed``).

A person may hold several roles (small teams), never on the same visit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from compliance import engine
from config.errors import PermissionDenied
from dispatch.models import Visit
from dispatch.roles import User

# (user id, username) of whoever supplied a basis, oldest first.
Supplier = tuple[int, str]


def involved_user_ids(visit: Visit) -> frozenset[int]:
    return visit.involved_user_ids


def require_uninvolved(*, visit: Visit, user: User, action: str) -> None:
    """Refuse ``action`` ("approve", "reject") on a visit the user requested or edited."""
    user_id = getattr(user, "pk", None)
    if user_id == visit.requested_by_id:
        raise PermissionDenied(
            f"Four eyes: nobody may {action} their own request (you requested this visit)."
        )
    if user_id in (visit.editor_ids or []):
        raise PermissionDenied(
            f"Four eyes: nobody may {action} a visit they edited (you changed this visit)."
        )


def mark_basis(suppliers: Sequence[Supplier], involved: frozenset[int]) -> tuple[str, str]:
    """(who the false-positive mark counts by, who it is withheld from) for one hit and visit.

    The mark counts if anyone uninvolved made it; it is withheld (the hit stays live) when every
    mark of it was made by someone who requested or edited the visit."""
    for user_id, username in suppliers:
        if user_id not in involved:
            return username, ""
    return "", suppliers[0][1] if suppliers else ""


def recorded_by(rows: Iterable[Mapping[str, Any]]) -> tuple[Supplier, ...]:
    return tuple((int(r["id"]), str(r["username"])) for r in rows or ())


def withhold_licence(
    spec: engine.LicenceSpec, suppliers: Sequence[Supplier], involved: frozenset[int]
) -> engine.LicenceSpec:
    """The licence as it stands for one visit: withheld when anyone who recorded or changed it
    requested or edited the visit (fail closed: one involved author is enough)."""
    for user_id, username in suppliers:
        if user_id in involved:
            return dataclasses.replace(spec, withheld_by=username)
    return spec
