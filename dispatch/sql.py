"""Pieces of the few statements written out by hand on hot paths (filing, the token lookup, the
visit API's party ids), where compiling an ORM queryset cost more than running it."""

from __future__ import annotations

from typing import Any

from django.db import connection

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
