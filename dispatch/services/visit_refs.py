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

from dispatch import selectors
from dispatch.models import Engineer, Facility, Tool, Vendor, Visit
from dispatch.sql import id_in, in_bigint_range


@dataclass
class VisitReferences:
    vendor: Vendor | None = None
    facility: Facility | None = None
    engineers: list[Engineer] = field(default_factory=list)  # the vendor's, in listing order
    tools: list[Tool] = field(default_factory=list)  # those the user may see, in listing order
    existing: tuple[int, str, int] | None = None  # (visit id, fingerprint, vendor id) of the key


def _key(model: type[models.Model], value: Any) -> Any:
    """``value`` as a primary-key parameter: what the ORM's ``filter(pk=value)`` would send (it
    raises as the ORM does on a value that is no number); one out of range matches nothing."""
    value = model._meta.pk.get_prep_value(value)
    return value if in_bigint_range(value) else None


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
    # Written out rather than compiled by the ORM on every filing: compiling the equivalent
    # union of querysets cost several times as long as running it.
    qn = connection.ops.quote_name

    def table(model: type[models.Model]) -> str:
        return qn(model._meta.db_table)

    # Typed NULLs: PostgreSQL resolves a union's column types pair by pair, left to right.
    nb, nc, nd = "CAST(NULL AS boolean)", "CAST(NULL AS bigint)", "CAST(NULL AS text)"
    parts: list[str] = []
    params: list[Any] = []
    vendor_key = _key(Vendor, vendor_id) if vendor_id is not None else None
    if vendor_id is not None:
        parts.append(
            f"SELECT 'v' AS k, id AS i, name AS a, {nb} AS b, {nc} AS c, {nd} AS d "  # noqa: S608 - identifiers from the models' metadata
            f"FROM {table(Vendor)} WHERE id = %s"
        )
        params.append(vendor_key)
    if facility_id is not None:
        parts.append(
            f"SELECT 'f', id, name, {nb}, {nc}, {nd} FROM {table(Facility)} WHERE id = %s"  # noqa: S608 - identifiers from the models' metadata
        )
        params.append(_key(Facility, facility_id))
    if engineer_ids and vendor_id is not None:
        where = id_in("id", engineer_ids, params)
        parts.append(
            f"SELECT 'e', id, name, is_active, vendor_id, {nd} FROM {table(Engineer)} "  # noqa: S608 - identifiers from the models' metadata
            f"WHERE {where} AND vendor_id = %s"
        )
        params.append(vendor_key)
    # The tools the user may see, as ``selectors.tools_visible_to``: all, their vendor's, or none.
    sees_all, own_vendor = selectors.vendor_scope(user)
    if tool_ids and (sees_all or own_vendor):
        where = id_in("id", tool_ids, params)
        if not sees_all:
            where += " AND oem_id = %s"
            params.append(own_vendor)
        parts.append(
            f"SELECT 't', id, model, {nb}, facility_id, serial_number FROM {table(Tool)} "  # noqa: S608 - identifiers from the models' metadata
            f"WHERE {where}"
        )
    if idempotency_key is not None:
        parts.append(
            f"SELECT 'i', id, idempotency_fingerprint, {nb}, vendor_id, {nd} FROM {table(Visit)} "  # noqa: S608 - identifiers from the models' metadata
            "WHERE requested_by_id = %s AND idempotency_key = %s"
        )
        params.extend([user.pk, idempotency_key])
    out = VisitReferences()
    if not parts:
        return out
    # Ordered as the API lists a visit's parties: engineers by name, tools by model and serial
    # number, ties by id (columns k, a, d, i).
    sql = " UNION ALL ".join(parts) + " ORDER BY 1, 3, 6, 2"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for kind, pk, a, b, c, d in rows:
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
