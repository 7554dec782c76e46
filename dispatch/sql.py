"""Pieces of the few statements written out by hand on hot paths (filing, the token lookup, the
visit API's party ids), where compiling an ORM queryset cost more than running it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Lookup, QuerySet
from django.db.models.fields.related import ForeignObject

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


def in_bigint_range(value: int) -> bool:
    """Whether ``value`` can be an id at all (an integer column holds nothing beyond)."""
    return BIGINT_MIN <= value <= BIGINT_MAX


def id_in(column: str, ids: list[int], params: list[Any]) -> str:
    """``column IN (ids)``, its parameters appended to ``params``: one array parameter on
    PostgreSQL, one placeholder each elsewhere. Ids no row can have are left out."""
    ids = [i for i in ids if in_bigint_range(i)]
    if connection.vendor == "postgresql":
        params.append(ids)
        return f"{column} = ANY(%s::bigint[])"
    if not ids:
        return "1 = 0"
    params.extend(ids)
    return f"{column} IN ({', '.join(['%s'] * len(ids))})"


class Within(Lookup):
    """``field__within=[values]``: ``field IN (values)`` with one parameter whatever the number of
    values (an array on PostgreSQL, a JSON array read by ``json_each`` on SQLite), so that the
    statement's text does not depend on the list and can be compiled once (``CompiledQuery``).
    Integers no row can hold (outside the bigint range) are left out."""

    lookup_name = "within"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # A compiled query's placeholder stays as it is: its slot is found by its type.
        value = (
            self.rhs if isinstance(self.rhs, _Slot) else _list_param(connection.vendor, self.rhs)
        )
        if connection.vendor == "postgresql":
            cast = self.lhs.output_field.cast_db_type(connection)
            return f"{lhs} = ANY(%s::{cast}[])", [*lhs_params, value]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, value]  # noqa: S608 - the column from the ORM


Field.register_lookup(Within)
ForeignObject.register_lookup(Within)  # relations keep lookups of their own


class _Slot(list):  # type: ignore[type-arg]
    """The placeholder list a ``CompiledQuery`` is compiled with (the ORM copies a list it is
    given, keeping its type)."""


def _list_param(vendor: str, values: Iterable[Any]) -> Any:
    kept = [v for v in values if not isinstance(v, int) or in_bigint_range(v)]
    return kept if vendor == "postgresql" else json.dumps(kept)


class CompiledQuery:
    """A ``values_list()`` queryset whose one varying parameter is a list (``__within``), compiled
    once per process and database: a hot path then pays for running the statement and converting
    its rows as the ORM would (JSON decoded, SQLite's dates parsed), not for building the query.

    ``build(values)`` returns the queryset for ``values``; it is called once, with a placeholder
    list, and must not read the database or depend on anything but its argument."""

    def __init__(self, build: Callable[[list[Any]], QuerySet[Any]]) -> None:
        self._build = build
        self._compiled: dict[tuple[str, str], tuple[str, list[Any], int, list[Any]]] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple[str, list[Any], int, list[Any]]:
        query = self._build(_Slot()).query
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = [i for i, p in enumerate(params) if isinstance(p, _Slot)]
        if len(slots) != 1:
            raise ValueError(f"a compiled query takes one list of values (found {len(slots)})")
        fields = [s[0] for s in compiler.select[: compiler.col_count]]
        converters = [
            (i, expression, functions)
            for i, (functions, expression) in sorted(compiler.get_converters(fields).items())
        ]
        return sql, list(params), slots[0], converters

    def rows(
        self, values: Iterable[Any], *, using: str = DEFAULT_DB_ALIAS
    ) -> list[tuple[Any, ...]]:
        """The rows for ``values``, as ``values_list()`` would give them."""
        conn = connections[using]
        key = (using, conn.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(using)
                self._compiled[key] = compiled
        sql, params, slot, converters = compiled
        bound = list(params)
        bound[slot] = _list_param(conn.vendor, values)
        with conn.cursor() as cursor:
            cursor.execute(sql, bound)
            rows = cursor.fetchall()
        if not converters:
            return [tuple(r) for r in rows]
        out = []
        for row in rows:
            row = list(row)
            for i, expression, functions in converters:
                value = row[i]
                for convert in functions:
                    value = convert(value, expression, conn)
                row[i] = value
            out.append(tuple(row))
        return out
