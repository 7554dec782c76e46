"""What filing or editing a visit references, read in one statement: the vendor, the facility,
the engineers and tools named, and the visit an Idempotency-Key already filed.

One ``UNION ALL`` of uniform rows ``(kind, id, text, flag, ref, text2)``, ordered by the database
the way the API lists a visit's parties (engineers by name, tools by model and serial number, ties
by id). The instances built from it carry only the fields read here; any other field is deferred
(read from the database if something asks for it, never a made-up default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.db.models import F, Value
from django.db.models.functions import Cast

from dispatch import selectors
from dispatch.models import Engineer, Facility, Tool, Vendor, Visit


@dataclass
class VisitReferences:
    vendor: Vendor | None = None
    facility: Facility | None = None
    engineers: list[Engineer] = field(default_factory=list)  # the vendor's, in listing order
    tools: list[Tool] = field(default_factory=list)  # those the user may see, in listing order
    existing: tuple[int, str, int] | None = None  # (visit id, fingerprint, vendor id) of the key


def _null(output: models.Field) -> Cast:
    return Cast(Value(None), output_field=output)


def _rows(qs: models.QuerySet, kind: str, a: Any, b: Any, c: Any, d: Any) -> models.QuerySet:
    return (
        qs.order_by()
        .annotate(
            k=Value(kind, output_field=models.CharField()),
            i=F("pk"),
            a=a,
            b=b,
            c=c,
            d=d,
        )
        .values_list("k", "i", "a", "b", "c", "d")
    )


def _build(model: type[models.Model], names: list[str], values: list[Any]) -> Any:
    """An instance with these fields loaded and the others deferred (``from_db`` takes the
    values in the model's field order)."""
    given = dict(zip(names, values, strict=True))
    order = [f.attname for f in model._meta.concrete_fields if f.attname in given]
    return model.from_db("default", order, [given[n] for n in order])


def references_read(
    *,
    user: Any,
    vendor_id: Any,
    facility_id: Any,
    engineer_ids: list[int],
    tool_ids: list[int],
    idempotency_key: str | None = None,
) -> VisitReferences:
    text, flag, ref = models.CharField(), models.BooleanField(), models.IntegerField()
    parts = []
    if vendor_id is not None:
        parts.append(
            _rows(
                Vendor.objects.filter(pk=vendor_id),
                "v",
                F("name"),
                _null(flag),
                _null(ref),
                _null(text),
            )
        )
    if facility_id is not None:
        parts.append(
            _rows(
                Facility.objects.filter(pk=facility_id),
                "f",
                F("name"),
                _null(flag),
                _null(ref),
                _null(text),
            )
        )
    if engineer_ids and vendor_id is not None:
        parts.append(
            _rows(
                Engineer.objects.filter(pk__in=engineer_ids, vendor_id=vendor_id),
                "e",
                F("name"),
                F("is_active"),
                F("vendor_id"),
                _null(text),
            )
        )
    if tool_ids:
        parts.append(
            _rows(
                selectors.tools_visible_to(user).select_related(None).filter(pk__in=tool_ids),
                "t",
                F("model"),
                _null(flag),
                F("facility_id"),
                F("serial_number"),
            )
        )
    if idempotency_key is not None:
        parts.append(
            _rows(
                Visit.objects.filter(requested_by=user, idempotency_key=idempotency_key),
                "i",
                F("idempotency_fingerprint"),
                _null(flag),
                F("vendor_id"),
                _null(text),
            )
        )
    out = VisitReferences()
    if not parts:
        return out
    query = parts[0].union(*parts[1:], all=True).order_by("k", "a", "d", "i")
    for kind, pk, a, b, c, d in query:
        if kind == "v":
            out.vendor = _build(Vendor, ["id", "name"], [pk, a])
        elif kind == "f":
            out.facility = _build(Facility, ["id", "name"], [pk, a])
        elif kind == "e":
            out.engineers.append(
                _build(Engineer, ["id", "name", "is_active", "vendor_id"], [pk, a, bool(b), c])
            )
        elif kind == "t":
            out.tools.append(
                _build(Tool, ["id", "model", "facility_id", "serial_number"], [pk, a, c, d])
            )
        elif kind == "i" and out.existing is None:
            out.existing = (pk, a, c)
    return out


def references_for(
    user: Any,
    vendor: Any,
    facility: Any,
    engineer_ids: list[int],
    tool_ids: list[int],
    idempotency_key: str | None = None,
) -> VisitReferences:
    """``references_read`` for the values a caller passed (instances or ids)."""
    return references_read(
        user=user,
        vendor_id=getattr(vendor, "pk", vendor),
        facility_id=getattr(facility, "pk", facility),
        engineer_ids=engineer_ids,
        tool_ids=tool_ids,
        idempotency_key=idempotency_key,
    )


def valid_ids(value: object) -> list[int]:
    """The ids of a list that are ids (the validation names the others)."""
    if not isinstance(value, list | tuple):
        return []
    out = []
    for item in value:
        pk = getattr(item, "pk", item)
        if isinstance(pk, int) and not isinstance(pk, bool):
            out.append(pk)
    return out


def parties_insert(visit: Visit, engineers: list[Engineer], tools: list[Tool]) -> None:
    """A new visit's engineers and tools: one statement on PostgreSQL, one INSERT each
    elsewhere (``add()``: a new visit has no parties to compare with)."""
    if connection.vendor != "postgresql":
        visit.engineers.add(*engineers)
        visit.tools.add(*tools)
        return
    qn = connection.ops.quote_name
    e_table = qn(Visit.engineers.through._meta.db_table)
    t_table = qn(Visit.tools.through._meta.db_table)
    sql = (
        f"WITH e AS (INSERT INTO {e_table} (visit_id, engineer_id) "
        "SELECT %s, unnest(%s::bigint[]) RETURNING 1) "
        f"INSERT INTO {t_table} (visit_id, tool_id) SELECT %s, unnest(%s::bigint[])"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [visit.pk, [e.pk for e in engineers], visit.pk, [t.pk for t in tools]])
