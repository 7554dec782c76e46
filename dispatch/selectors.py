"""Reads of the dispatch domain, scoped to what the user may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Q, QuerySet

from dispatch import roles
from dispatch.models import OPEN_STATUSES, Engineer, Tool, Vendor, Visit
from dispatch.sql import id_in


def _visits_scoped(user: Any) -> QuerySet[Visit]:
    """Every visit for approvers, auditors and superusers; a service manager's vendor's otherwise."""
    if roles.sees_all_vendors(user):
        return Visit.objects.all()
    vendor_id = roles.user_vendor_id(user)
    if vendor_id is None or not roles.can_file_visits(user):
        return Visit.objects.none()
    return Visit.objects.filter(vendor_id=vendor_id)


def visits_visible_to(user: Any) -> QuerySet[Visit]:
    return _visits_scoped(user).select_related(
        "vendor", "facility__customer", "requested_by", "current_decision"
    )


def engineers_visible_to(user: Any) -> QuerySet[Engineer]:
    qs = Engineer.objects.select_related("vendor")
    if roles.sees_all_vendors(user):
        return qs
    vendor_id = roles.user_vendor_id(user)
    return qs.filter(vendor_id=vendor_id) if vendor_id else qs.none()


def vendor_scope(user: Any) -> tuple[bool, int | None]:
    """Whose data ``user`` sees: (every vendor's, or else only this vendor's; ``None``: none)."""
    if roles.sees_all_vendors(user):
        return True, None
    return False, roles.user_vendor_id(user) or None


def tools_visible_to(user: Any) -> QuerySet[Tool]:
    qs = Tool.objects.select_related("oem", "facility")
    sees_all, vendor_id = vendor_scope(user)
    if sees_all:
        return qs
    return qs.filter(oem_id=vendor_id) if vendor_id else qs.none()


def vendors_visible_to(user: Any) -> QuerySet[Vendor]:
    sees_all, vendor_id = vendor_scope(user)
    if sees_all:
        return Vendor.objects.all()
    return Vendor.objects.filter(pk=vendor_id) if vendor_id else Vendor.objects.none()


# The stored decision's document and inputs are large JSON; lists only need its outcome.
DECISION_HEAVY_FIELDS = (
    "current_decision__document",
    "current_decision__result",
    "current_decision__screening_input",
    "current_decision__licences_input",
)


def visits_for_list(user: Any) -> QuerySet[Visit]:
    return visits_visible_to(user).defer(*DECISION_HEAVY_FIELDS)


# --- Rows of the visit API -------------------------------------------------------------------
# The API serializes visits from ``values()`` rows and the ids in the m2m tables: a page of 50
# visits as model instances (with their engineers and tools) cost more than everything else.
VISIT_ROW_FIELDS = (
    "id",
    "vendor_id",
    "facility_id",
    "activity",
    "mode",
    "start_date",
    "end_date",
    "purpose",
    "parties",
    "items",
    "status",
    "requested_by__username",
    "created_at",
    "updated_at",
)
VISIT_DECISION_FIELDS = (
    "current_decision_id",
    "current_decision__result",
    "current_decision__change_reason",
    "current_decision__trigger",
)


def visit_list(
    *,
    user: Any,
    status: str | None = None,
    facility: int | None = None,
    vendor: int | None = None,
    start_from: dt.date | None = None,
    start_to: dt.date | None = None,
    search: str | None = None,
) -> QuerySet[Visit]:
    """The visits the user may see, filtered, newest first (no joins: cheap to count).

    ``status`` is a comma-separated list; ``search`` matches the facility, its owner or the purpose.
    """
    qs = _visits_scoped(user)
    if status is not None:
        qs = qs.filter(status__in=status.split(","))
    if facility is not None:
        qs = qs.filter(facility_id=facility)
    if vendor is not None:
        qs = qs.filter(vendor_id=vendor)
    if start_from is not None:
        qs = qs.filter(start_date__gte=start_from)
    if start_to is not None:
        qs = qs.filter(start_date__lte=start_to)
    if search:
        qs = qs.filter(
            Q(facility__name__icontains=search)
            | Q(facility__customer__name__icontains=search)
            | Q(purpose__icontains=search)
        )
    return qs.order_by("-created_at", "-pk")


def visit_list_rows(visits: QuerySet[Visit]) -> QuerySet[Visit, dict[str, Any]]:
    """``visits`` as rows of the list API (with the current decision's outcome)."""
    return visits.values(*VISIT_ROW_FIELDS, "current_decision__outcome")


def visit_row(*, visit_id: int, user: Any = None) -> dict[str, Any] | None:
    """One visit as a row with its current decision; ``None`` if there is none the user may see
    (no ``user``: no scoping, for a visit the caller just filed)."""
    qs = Visit.objects.all() if user is None else _visits_scoped(user)
    return qs.filter(pk=visit_id).values(*VISIT_ROW_FIELDS, *VISIT_DECISION_FIELDS).first()


def visit_row_of(visit: Visit, *, username: str) -> dict[str, Any]:
    """``visit_row`` of a visit just inserted, from the instance (no decision yet)."""
    row = {name: getattr(visit, name) for name in VISIT_ROW_FIELDS if "__" not in name}
    row["requested_by__username"] = username
    return {**row, **dict.fromkeys(VISIT_DECISION_FIELDS)}


def visit_party_ids(
    *, visit_ids: Iterable[int]
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Engineer and tool ids per visit, in the order the API lists them: engineers by name, tools
    by model and serial number (their models' ordering), then by id. One statement."""
    ids = list(visit_ids)
    engineers: dict[int, list[int]] = {pk: [] for pk in ids}
    tools: dict[int, list[int]] = {pk: [] for pk in ids}
    if not ids:
        return engineers, tools
    sql, params = _party_ids_sql(ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, visit_id, party_id, *_ in cursor.fetchall():
            (engineers if kind == "e" else tools)[visit_id].append(party_id)
    return engineers, tools


def _party_ids_sql(ids: list[int]) -> tuple[str, list[Any]]:
    """Both m2m tables in one ``UNION ALL``, each row with its party's ordering columns (the
    models' ascending ``Meta.ordering``, padded with NULLs to the same width), then its id."""
    qn = connection.ops.quote_name
    branches = [("e", "engineer", Engineer), ("t", "tool", Tool)]
    orderings = {model: [str(o) for o in model._meta.ordering or ()] for _, _, model in branches}
    if any(o.startswith(("-", "?")) or "__" in o for os in orderings.values() for o in os):
        raise ImproperlyConfigured("visit_party_ids reads ascending, local orderings only")
    width = max(len(os) for os in orderings.values())
    parts, params = [], []
    for kind, field, model in branches:
        through = getattr(Visit, f"{field}s").through
        columns = [f"p.{qn(model._meta.get_field(o).column)}" for o in orderings[model]]
        columns += ["CAST(NULL AS text)"] * (width - len(columns))
        where = id_in(f"m.{qn('visit_id')}", ids, params)
        parts.append(
            f"SELECT '{kind}' AS k, m.{qn('visit_id')} AS v, m.{qn(field + '_id')} AS i, "  # noqa: S608 - identifiers from the models' metadata
            + ", ".join(f"{c} AS s{n}" for n, c in enumerate(columns))
            + f" FROM {qn(through._meta.db_table)} m INNER JOIN {qn(model._meta.db_table)} p "
            f"ON p.{qn('id')} = m.{qn(field + '_id')} WHERE {where}"
        )
    order = ", ".join(f"s{n}" for n in range(width))
    return " UNION ALL ".join(parts) + f" ORDER BY k, {order}, i", params


def visit_by_idempotency_key(*, user: Any, key: str) -> Visit | None:
    """The visit ``user`` filed with this ``Idempotency-Key``, if any."""
    return Visit.objects.filter(requested_by=user, idempotency_key=key).first()


def open_visits_referencing(
    *,
    facility_ids: Sequence[int] = (),
    customer_ids: Sequence[int] = (),
    engineer_ids: Sequence[int] = (),
    vendor_ids: Sequence[int] = (),
) -> QuerySet[Visit]:
    """The open visits that read any of these facilities, customers, engineers or vendors: the
    ones a change of that reference data re-checks."""
    q = Q()
    if facility_ids:
        q |= Q(facility_id__in=facility_ids)
    if customer_ids:
        q |= Q(facility__customer_id__in=customer_ids)
    if engineer_ids:
        q |= Q(engineers__in=engineer_ids)
    if vendor_ids:
        q |= Q(vendor_id__in=vendor_ids)
    if not q:
        return Visit.objects.none()
    return Visit.objects.filter(q, status__in=OPEN_STATUSES).distinct()
