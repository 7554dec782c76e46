"""Set-based writes of many rows in one statement, for the check path's chunks of decisions.

On PostgreSQL the rows travel as a single JSON parameter that ``jsonb_to_recordset`` expands
server-side: one statement, one parameter to adapt, whatever the number of rows. Django's own
``bulk_create`` adapts every value of every row (on 5.2, as arrays for ``UNNEST``) and its
``bulk_update`` builds one ``CASE WHEN`` per field and row; for a chunk of 200 decisions, their
findings and their audit events that was most of the time a check took. Other databases (the
embedded SQLite default) use the ORM's ``bulk_create`` / ``bulk_update``.

Only plain concrete fields are supported (no ``auto_now`` pre-save hooks): what the decision path
writes. Values are written exactly as given; JSON fields take their Python value.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

import psycopg
from django.db import connections, models, router

from compliance.models import AppendOnlyError, AppendOnlyModel

M = TypeVar("M", bound=models.Model)


def _is_postgres(model: type[models.Model]) -> bool:
    return connections[router.db_for_write(model)].vendor == "postgresql"


def _refuse_append_only(model: type[models.Model]) -> None:
    """What an append-only model's queryset update() refuses, these updates refuse too."""
    if issubclass(model, AppendOnlyModel):
        raise AppendOnlyError(f"{model.__name__} records are append-only; they cannot be updated.")


def _json_value(field: models.Field, value: Any) -> Any:
    if value is None or isinstance(field, models.JSONField):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


_RECORD_TYPES: dict[tuple[str, tuple[models.Field, ...]], str] = {}


def _record_type(fields: tuple[models.Field, ...], connection: Any) -> str:
    """The column definition list of ``jsonb_to_recordset`` (cached per database vendor)."""
    key = (connection.vendor, fields)
    if key not in _RECORD_TYPES:
        _RECORD_TYPES[key] = ", ".join(
            f"{connection.ops.quote_name(f.column)} {f.db_type(connection)}" for f in fields
        )
    return _RECORD_TYPES[key]


def _payload(objs: Sequence[models.Model], fields: Sequence[models.Field], *, pk: bool) -> str:
    rows = []
    for i, obj in enumerate(objs):
        row = {f.column: _json_value(f, f.value_from_object(obj)) for f in fields}
        if pk:
            row["_pk"] = obj.pk
        row["_ord"] = i
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False)


def _bound_cursor(connection: Any) -> Any:
    """A cursor of Django's connection (same transaction) that sends parameters separately.

    Django's PostgreSQL backend binds parameters client-side by default, which escapes and
    inlines a chunk's JSON (megabytes) into the statement text; server-side binding sends it
    as it is. Only these statements use it, so the rest of the ORM keeps its defaults.
    """
    connection.ensure_connection()
    # Wrapped as Django wraps its own cursors (query logging, execute wrappers, error mapping).
    return connection._prepare_cursor(psycopg.Cursor(connection.connection))


def bulk_insert(objs: Sequence[M]) -> list[M]:
    """Insert model instances of one model in one statement and set their primary keys.

    On PostgreSQL the keys are drawn from the table's sequence first (ascending, in the order of
    ``objs``) and inserted explicitly, so that each instance knows its row without relying on
    the order of a RETURNING clause; keys already set on every instance are kept.
    """
    if not objs:
        return list(objs)
    model = type(objs[0])
    if not _is_postgres(model):
        return model.objects.bulk_create(objs, batch_size=1000)
    using = router.db_for_write(model)
    connection = connections[using]
    qn = connection.ops.quote_name
    table, pk_column = model._meta.db_table, model._meta.pk.column
    fields = list(model._meta.concrete_fields)
    columns = ", ".join(qn(f.column) for f in fields)
    sql = (
        f"INSERT INTO {qn(table)} ({columns}) "  # noqa: S608 - identifiers from the model's metadata
        f"SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) "
        f'AS r({_record_type(tuple(fields), connection)}, "_ord" integer) ORDER BY "_ord"'
    )
    with _bound_cursor(connection) as cursor:
        if not all(obj.pk is not None for obj in objs):
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk_column, len(objs)],
            )
            for obj, pk in zip(objs, sorted(row[0] for row in cursor.fetchall()), strict=True):
                obj.pk = pk
        cursor.execute(sql, [_payload(objs, fields, pk=False)])
        if cursor.rowcount != len(objs):  # pragma: no cover - inserts every row or fails
            raise RuntimeError(f"inserted {cursor.rowcount} of {len(objs)} {model.__name__} rows")
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return list(objs)


def bulk_update(objs: Sequence[models.Model], field_names: Sequence[str]) -> int:
    """Update ``field_names`` of model instances of one model in one statement."""
    if not objs:
        return 0
    model = type(objs[0])
    _refuse_append_only(model)
    if not _is_postgres(model):
        return model.objects.bulk_update(objs, list(field_names), batch_size=500)
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in field_names]
    table = qn(model._meta.db_table)
    pk = model._meta.pk
    assignments = ", ".join(f"{qn(f.column)} = r.{qn(f.column)}" for f in fields)
    # Identifiers only, quoted from the model's metadata; the rows are the one bound parameter.
    sql = (
        f"UPDATE {table} SET {assignments} FROM jsonb_to_recordset(%s::jsonb) "  # noqa: S608
        f'AS r({_record_type(tuple(fields), connection)}, "_pk" {pk.rel_db_type(connection)}, '
        f'"_ord" integer) WHERE {table}.{qn(pk.column)} = r."_pk"'
    )
    with _bound_cursor(connection) as cursor:
        cursor.execute(sql, [_payload(objs, fields, pk=True)])
        return cursor.rowcount


def update_by_ids(model: type[models.Model], ids: Sequence[int], **values: Any) -> int:
    """Set the same ``values`` on the rows of ``ids`` (one statement per 50,000 on PostgreSQL,
    where the ids travel as one array; chunks of 500 through the ORM elsewhere)."""
    if not ids:
        return 0
    _refuse_append_only(model)
    if not _is_postgres(model):
        return sum(
            model._default_manager.filter(pk__in=ids[i : i + 500]).update(**values)
            for i in range(0, len(ids), 500)
        )
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in values]
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in fields)
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields]
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    # Rows are locked in primary-key order, as every chunk of decisions locks them: two
    # transactions never wait on each other's rows in opposite orders.
    sql = (
        f"UPDATE {table} SET {assignments} WHERE {pk} IN "  # noqa: S608 - identifiers only
        f"(SELECT {pk} FROM {table} WHERE {pk} = ANY(%s) ORDER BY {pk} FOR UPDATE)"
    )
    count = 0
    with connection.cursor() as cursor:
        for i in range(0, len(ids), 50_000):
            cursor.execute(sql, [*params, list(ids[i : i + 50_000])])
            count += cursor.rowcount
    return count
