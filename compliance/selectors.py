"""Reads for the compliance check: the visit document and everything the engine needs.

``visit_documents_build`` assembles the visit documents (DESIGN sec. 3) of any number of visits in
a fixed number of queries (5), whatever the number of engineers and tools.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from dispatch.models import Engineer, Mode, Visit


def _num(value: Decimal | int | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def visits_for_documents(visit_ids: Iterable[int]) -> QuerySet[Visit]:
    return (
        Visit.objects.filter(pk__in=list(visit_ids))
        .select_related("vendor", "facility__customer", "current_decision")
        # The previous decision is read for its outcome, digest and findings only.
        .defer(
            "current_decision__document",
            "current_decision__screening_input",
            "current_decision__licences_input",
        )
        .prefetch_related(
            "tools",
            Prefetch(
                "engineers",
                queryset=Engineer.objects.prefetch_related("citizenships", "residencies").order_by(
                    "name", "pk"
                ),
            ),
        )
    )


def engineer_document(engineer: Engineer, *, location: str) -> dict[str, Any]:
    return {
        "id": engineer.pk,
        "name": engineer.name,
        "citizenships": [
            {"country": c.country, "since": c.since.isoformat() if c.since else None}
            for c in engineer.citizenships.all()
        ],
        "permanent_residencies": [
            {
                "country": r.country,
                "since": r.since.isoformat() if r.since else None,
                "until": r.until.isoformat() if r.until else None,
            }
            for r in engineer.residencies.all()
        ],
        "us_protected_individual": engineer.us_protected_individual,
        "location": location,
    }


def engineer_location(engineer: Engineer, *, mode: str, facility_country: str) -> str:
    """On site the engineer is in the facility's country; remote, at their home base."""
    return facility_country if mode == Mode.ON_SITE else engineer.home_country


def visit_document(visit: Visit) -> dict[str, Any]:
    """The visit document of a visit loaded through ``visits_for_documents`` (no extra queries)."""
    facility = visit.facility
    customer = facility.customer
    return {
        "visit": {
            "id": visit.pk,
            "activity": visit.activity,
            "mode": visit.mode,
            "start_date": visit.start_date.isoformat(),
            "end_date": visit.end_date.isoformat(),
        },
        "vendor": {
            "name": visit.vendor.name,
            "country": visit.vendor.country,
            "us_branch": visit.vendor.is_us_branch,
        },
        "facility": {
            "name": facility.name,
            "owner": customer.name,
            "owner_aliases": list(customer.aliases or []),
            "address": facility.address or None,
            "city": facility.city,
            "country": facility.country,
            "products": list(facility.products or []),
            "logic_node_nm": facility.logic_node_nm,
            "non_planar": facility.non_planar,
            "nand_layers": facility.nand_layers,
            "dram_half_pitch_nm": _num(facility.dram_half_pitch_nm),
            "dram_cell_area_um2": _num(facility.dram_cell_area_um2),
        },
        "tools": [
            {
                "model": t.model,
                "serial": t.serial_number or None,
                "classifications": {
                    k: list(v) for k, v in sorted((t.classifications or {}).items())
                },
                "subject_to_ear": t.subject_to_ear,
            }
            for t in sorted(visit.tools.all(), key=lambda t: (t.model, t.serial_number, t.pk))
        ],
        "engineers": [
            engineer_document(
                e, location=engineer_location(e, mode=visit.mode, facility_country=facility.country)
            )
            for e in visit.engineers.all()
        ],
    }


def visit_documents_build(visit_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    return {v.pk: visit_document(v) for v in visits_for_documents(visit_ids)}


def visit_document_build(visit_id: int) -> dict[str, Any]:
    return visit_document(visits_for_documents([visit_id]).get())


def open_visits_referencing(
    *,
    facility_ids: Sequence[int] = (),
    customer_ids: Sequence[int] = (),
    engineer_ids: Sequence[int] = (),
    vendor_ids: Sequence[int] = (),
) -> QuerySet[Visit]:
    from dispatch.models import OPEN_STATUSES

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
