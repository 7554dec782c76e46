"""Reads for the compliance check: the visit document and everything the engine needs.

``visit_documents_build`` assembles the visit documents (DESIGN sec. 3) of any number of visits in
a fixed number of queries (5), whatever the number of engineers and tools.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F

from dispatch.models import Citizenship, Engineer, Mode, Residency, Visit
from dispatch.sql import CompiledQuery


def _num(value: Decimal | int | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _date(value: Any) -> str | None:
    return value.isoformat() if value else None


def _engineer_doc(
    *,
    pk: int,
    name: str,
    citizenships: Iterable[tuple[str, Any]],
    residencies: Iterable[tuple[str, Any, Any]],
    us_protected_individual: bool,
    location: str,
    date_of_birth: Any = None,
) -> dict[str, Any]:
    document = {
        "id": pk,
        "name": name,
        "citizenships": [{"country": c, "since": _date(since)} for c, since in citizenships],
        "permanent_residencies": [
            {"country": c, "since": _date(since), "until": _date(until)}
            for c, since, until in residencies
        ],
        "us_protected_individual": us_protected_individual,
        "location": location,
    }
    if date_of_birth:
        # Only when known: the documents of engineers without one stay as they were.
        document["date_of_birth"] = _date(date_of_birth)
    return document


def engineer_document(engineer: Engineer, *, location: str) -> dict[str, Any]:
    return _engineer_doc(
        pk=engineer.pk,
        name=engineer.name,
        citizenships=[(c.country, c.since) for c in engineer.citizenships.all()],
        residencies=[(r.country, r.since, r.until) for r in engineer.residencies.all()],
        us_protected_individual=engineer.us_protected_individual,
        location=location,
        date_of_birth=engineer.date_of_birth,
    )


def _location(*, mode: str, facility_country: str, home_country: str) -> str:
    return facility_country if mode == Mode.ON_SITE else home_country


def engineer_location(engineer: Engineer, *, mode: str, facility_country: str) -> str:
    """On site the engineer is in the facility's country; remote, at their home base."""
    return _location(
        mode=mode, facility_country=facility_country, home_country=engineer.home_country
    )


# The tool columns "subject to the EAR" is decided on, in the order `_tool_doc` takes them.
TOOL_EAR_FIELDS = (
    "subject_to_ear",
    "origin",
    "us_content_percent",
    "made_with_us_technology",
    "ear_justification",
)


def _tool_doc(
    model: str, serial: str, classifications: dict[str, Any] | None, ear: tuple[Any, ...]
) -> dict[str, Any]:
    """A recorded determination is sent only when there is one; the inputs always, so that a
    tool without either is derived as undetermined rather than read as "not subject"."""
    recorded, origin, share, technology, justification = ear
    inputs = {
        "origin": origin or None,
        "us_content_percent": share,
        "made_with_us_technology": technology,
    }
    return {
        "model": model,
        "serial": serial or None,
        "classifications": {k: list(v) for k, v in sorted((classifications or {}).items())},
        # The document's canonical form: a determination when recorded, the inputs when they
        # say something or nothing is recorded (compliance/engine/document.py).
        **({"subject_to_ear": recorded} if recorded is not None else {}),
        **(inputs if recorded is None or any(v is not None for v in inputs.values()) else {}),
        # Why a recorded determination holds, stored with the decision that relied on it.
        **(
            {"ear_justification": " ".join(justification.split())}
            if recorded is not None and justification and justification.strip()
            else {}
        ),
    }


def _items_doc(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The engine's visit.items: a recorded determination, with its justification, only where
    there is one."""
    return [
        {
            "kind": i["kind"],
            "description": i["description"],
            "classifications": i.get("classifications") or {},
            **(
                {
                    "subject_to_ear": i["subject_to_ear"],
                    "ear_justification": " ".join(str(i.get("ear_justification") or "").split()),
                }
                if i.get("subject_to_ear") is not None
                else {}
            ),
            "origin": i.get("origin") or None,
            "us_content_percent": i.get("us_content_percent"),
            "made_with_us_technology": i.get("made_with_us_technology"),
        }
        for i in items
    ]


def _document(
    row: dict[str, Any], tools: list[dict[str, Any]], engineers: list[dict[str, Any]]
) -> dict[str, Any]:
    """The visit document from plain values: ``row`` has the keys of ``_VISIT_VALUES``; tools are
    sorted by (model, serial, pk) and engineers are in (name, pk) order."""
    return {
        "visit": {
            "id": row["id"],
            "activity": row["activity"],
            "mode": row["mode"],
            "start_date": row["start_date"].isoformat(),
            "end_date": row["end_date"].isoformat(),
            # Optional: only a visit that lists what it ships adds the key.
            **({"items": _items_doc(items)} if (items := row.get("items")) is not None else {}),
        },
        "vendor": {
            "name": row["vendor__name"],
            "country": row["vendor__country"],
            "us_branch": row["vendor__is_us_branch"],
        },
        "facility": {
            "name": row["facility__name"],
            "owner": row["facility__customer__name"],
            "owner_aliases": list(row["facility__customer__aliases"] or []),
            # Optional: only a customer with recorded owners adds the key (DESIGN sec. 3).
            **(
                {"owners": list(owners)}
                if (owners := row.get("facility__customer__owners"))
                else {}
            ),
            "address": row["facility__address"] or None,
            "city": row["facility__city"],
            "country": row["facility__country"],
            "products": list(row["facility__products"] or []),
            "logic_node_nm": row["facility__logic_node_nm"],
            "non_planar": row["facility__non_planar"],
            "nand_layers": row["facility__nand_layers"],
            "dram_half_pitch_nm": _num(row["facility__dram_half_pitch_nm"]),
            "dram_cell_area_um2": _num(row["facility__dram_cell_area_um2"]),
            # Optional: only a facility with a recorded region adds the key.
            **({"region": region} if (region := row["facility__region"]) else {}),
            # Optional: the visit's purchaser, consignee, end user or operator.
            **({"parties": list(parties)} if (parties := row.get("parties")) else {}),
        },
        "tools": tools,
        "engineers": engineers,
    }


_FACILITY_FIELDS = (
    "name",
    "region",
    "address",
    "city",
    "country",
    "products",
    "logic_node_nm",
    "non_planar",
    "nand_layers",
    "dram_half_pitch_nm",
    "dram_cell_area_um2",
)
_VISIT_VALUES = (
    "id",
    "activity",
    "mode",
    "start_date",
    "end_date",
    "vendor_id",
    "facility_id",
    "status",
    "check_requested_at",
    "check_trigger",
    "requested_by_id",
    "editor_ids",
    "parties",
    "items",
    "vendor__name",
    "vendor__country",
    "vendor__is_us_branch",
    "facility__customer_id",
    "facility__customer__name",
    "facility__customer__aliases",
    "facility__customer__owners",
    *(f"facility__{f}" for f in _FACILITY_FIELDS),
)


def visit_document(visit: Visit) -> dict[str, Any]:
    """The visit document of a visit instance (or an object shaped like one, as the benchmark's data
    generator builds), with its tools and engineers in hand. The check path uses ``check_inputs``;
    both go through ``_document``."""
    facility = visit.facility
    row = {
        "id": visit.pk,
        "activity": visit.activity,
        "mode": visit.mode,
        "start_date": visit.start_date,
        "end_date": visit.end_date,
        "vendor__name": visit.vendor.name,
        "vendor__country": visit.vendor.country,
        "vendor__is_us_branch": visit.vendor.is_us_branch,
        "facility__customer__name": facility.customer.name,
        "facility__customer__aliases": facility.customer.aliases,
        "facility__customer__owners": getattr(facility.customer, "owners", []),
        "parties": getattr(visit, "parties", []),
        "items": getattr(visit, "items", None),
        **{f"facility__{f}": getattr(facility, f) for f in _FACILITY_FIELDS},
    }
    tools = [
        _tool_doc(
            t.model,
            t.serial_number,
            t.classifications,
            tuple(getattr(t, f) for f in TOOL_EAR_FIELDS),
        )
        for t in sorted(visit.tools.all(), key=lambda t: (t.model, t.serial_number, t.pk))
    ]
    engineers = [
        engineer_document(
            e, location=engineer_location(e, mode=visit.mode, facility_country=facility.country)
        )
        for e in visit.engineers.all()
    ]
    return _document(row, tools, engineers)


@dataclass
class CheckInput:
    """One visit as the check reads it: its document and what the check path needs besides."""

    pk: int
    vendor_id: int
    vendor_name: str
    facility_id: int
    customer_id: int
    status: str
    check_requested_at: Any
    check_trigger: str
    document: dict[str, Any]
    engineer_ids: list[int]
    # Who requested or edited the visit: a release basis any of them supplied does not count.
    involved_user_ids: frozenset[int] = frozenset()
    # Set when the document could not be built: the check records a fail-closed system decision.
    error: str = ""
    # Where the facility is: a bulk licence covers by destination country.
    facility_country: str = ""

    @property
    def party_keys(self) -> dict[str, str]:
        keys = {"facility.owner": f"customer:{self.customer_id}"}
        # An owner of the customer: "customer-owner:<customer>.<index>" (a mark is bound to its
        # name as well, so reordering or renaming the owners lapses it).
        for i, _ in enumerate((self.document.get("facility") or {}).get("owners") or []):
            keys[f"facility.owners[{i}]"] = f"customer-owner:{self.customer_id}.{i}"
        # A purchaser, consignee, end user or operator of this visit: "visit-party:<visit>.<i>".
        for i, _ in enumerate((self.document.get("facility") or {}).get("parties") or []):
            keys[f"facility.parties[{i}]"] = f"visit-party:{self.pk}.{i}"
        for i, pk in enumerate(self.engineer_ids):
            keys[f"engineers[{i}]"] = f"engineer:{pk}"
        return keys


# The five statements of check_inputs, compiled once per process (dispatch/sql.py): on a check of
# one visit, compiling them through the ORM cost several times as long as running them.
_VISIT_ROWS = CompiledQuery(
    lambda ids: Visit.objects.filter(pk__within=ids).order_by("pk").values_list(*_VISIT_VALUES)
)
_TOOL_ROWS = CompiledQuery(
    lambda ids: Visit.tools.through.objects.filter(visit_id__within=ids).values_list(
        "visit_id",
        "tool_id",
        "tool__model",
        "tool__serial_number",
        "tool__classifications",
        *(f"tool__{f}" for f in TOOL_EAR_FIELDS),
    )
)
_ENGINEER_ROWS = CompiledQuery(
    lambda ids: (
        Visit.engineers.through.objects.filter(visit_id__within=ids)
        .order_by("engineer__name", "engineer_id")
        .values_list(
            "visit_id",
            "engineer_id",
            "engineer__name",
            "engineer__home_country",
            "engineer__us_protected_individual",
            "engineer__date_of_birth",
        )
    )
)
_CITIZENSHIP_ROWS = CompiledQuery(
    lambda ids: (
        Citizenship.objects.filter(engineer_id__within=ids)
        .order_by(F("since").asc(nulls_first=True), "country")
        .values_list("engineer_id", "country", "since")
    )
)
_RESIDENCY_ROWS = CompiledQuery(
    lambda ids: (
        Residency.objects.filter(engineer_id__within=ids)
        .order_by(F("since").asc(nulls_first=True), "country")
        .values_list("engineer_id", "country", "since", "until")
    )
)


def check_inputs(visit_ids: Iterable[int]) -> list[CheckInput]:
    """The check inputs of visits, from plain values in 5 queries whatever their number and size
    (no model instances: this is the hot path of every check and re-check)."""
    ids = list(visit_ids)
    rows = [dict(zip(_VISIT_VALUES, r, strict=True)) for r in _VISIT_ROWS.rows(ids)]
    if not rows:
        return []
    tools: dict[int, list[tuple[Any, ...]]] = {}
    for visit_id, pk, model, serial, codes, *ear in _TOOL_ROWS.rows(ids):
        tools.setdefault(visit_id, []).append((model, serial, pk, codes, tuple(ear)))
    engineers: dict[int, list[tuple[Any, ...]]] = {}
    for visit_id, pk, name, home, protected, born in _ENGINEER_ROWS.rows(ids):
        engineers.setdefault(visit_id, []).append((pk, name, home, protected, born))
    engineer_ids = sorted({e[0] for es in engineers.values() for e in es})
    citizenships: dict[int, list[tuple[str, Any]]] = {}
    for engineer_id, country, since in _CITIZENSHIP_ROWS.rows(engineer_ids):
        citizenships.setdefault(engineer_id, []).append((country, since))
    residencies: dict[int, list[tuple[str, Any, Any]]] = {}
    for engineer_id, country, since, until in _RESIDENCY_ROWS.rows(engineer_ids):
        residencies.setdefault(engineer_id, []).append((country, since, until))
    out = []
    for row in rows:
        pk = row["id"]
        country = row["facility__country"]
        visit_engineers = engineers.get(pk, [])
        error = ""
        try:
            document = _document(
                row,
                [
                    _tool_doc(model, serial, codes, ear)
                    for model, serial, _, codes, ear in sorted(
                        tools.get(pk, []), key=lambda t: (t[0], t[1], t[2])
                    )
                ],
                [
                    _engineer_doc(
                        pk=e_pk,
                        name=name,
                        citizenships=citizenships.get(e_pk, []),
                        residencies=residencies.get(e_pk, []),
                        us_protected_individual=protected,
                        location=_location(
                            mode=row["mode"], facility_country=country, home_country=home
                        ),
                        date_of_birth=born,
                    )
                    for e_pk, name, home, protected, born in visit_engineers
                ],
            )
        except Exception as exc:  # one broken visit must not stop the others' checks
            error = f"{type(exc).__name__}: {exc}"
            document = {"visit": {"id": pk, "start_date": _date(row["start_date"])}}
        out.append(
            CheckInput(
                pk=pk,
                vendor_id=row["vendor_id"],
                vendor_name=row["vendor__name"],
                facility_id=row["facility_id"],
                customer_id=row["facility__customer_id"],
                status=row["status"],
                check_requested_at=row["check_requested_at"],
                check_trigger=row["check_trigger"],
                document=document,
                engineer_ids=[e[0] for e in visit_engineers],
                involved_user_ids=frozenset([row["requested_by_id"], *(row["editor_ids"] or [])]),
                error=error,
                facility_country=country,
            )
        )
    return out


def _built(found: CheckInput) -> CheckInput:
    if found.error:
        raise ValueError(f"The document of visit {found.pk} cannot be built: {found.error}")
    return found


def visit_documents_build(visit_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    return {c.pk: _built(c).document for c in check_inputs(visit_ids)}


def visit_document_build(visit_id: int) -> dict[str, Any]:
    (found,) = check_inputs([visit_id])
    return _built(found).document
