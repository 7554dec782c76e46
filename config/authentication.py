"""API tokens that expire (kept apart from views: DRF imports authentication classes early)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from dispatch.roles import Role, holds_any_role


def token_expires_at(token: Token) -> dt.datetime:
    return token.created + dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)


@functools.cache
def _lookup_sql() -> tuple[str, tuple[str, ...], list[Any], list[Any], list[Any]]:
    """The token, its user, the user's profile and the roles they hold: one statement, built once.

    Written out rather than compiled by the ORM on every request (compiling the equivalent
    ``select_related().annotate(Exists…)`` queryset cost four times as long as running it)."""
    from dispatch.models import UserProfile

    user_model = get_user_model()
    membership = user_model.groups.through
    qn = connection.ops.quote_name
    token_f = list(Token._meta.concrete_fields)
    user_f = list(user_model._meta.concrete_fields)
    profile_f = list(UserProfile._meta.concrete_fields)
    holds = ", ".join(
        f"EXISTS(SELECT 1 FROM {qn(membership._meta.db_table)} m "  # noqa: S608 - identifiers from the models' metadata
        f"INNER JOIN {qn(Group._meta.db_table)} g ON g.{qn('id')} = m.{qn('group_id')} "
        f"WHERE m.{qn('user_id')} = t.{qn('user_id')} AND g.{qn('name')} = %s)"
        for _ in Role.values
    )
    columns = ", ".join(
        [f"t.{qn(f.column)}" for f in token_f]
        + [f"u.{qn(f.column)}" for f in user_f]
        + [f"p.{qn(f.column)}" for f in profile_f]
    )
    sql = (
        f"SELECT {columns}, {holds} FROM {qn(Token._meta.db_table)} t "  # noqa: S608 - identifiers from the models' metadata
        f"INNER JOIN {qn(user_model._meta.db_table)} u ON u.{qn('id')} = t.{qn('user_id')} "
        f"LEFT OUTER JOIN {qn(UserProfile._meta.db_table)} p "
        f"ON p.{qn('user_id')} = u.{qn('id')} WHERE t.{qn(Token._meta.pk.column)} = %s"
    )
    return sql, tuple(Role.values), token_f, user_f, profile_f


@functools.cache
def _converters() -> list[tuple[Any, list[Any]]]:
    """Per column of the lookup: what the ORM applies to a value it reads (SQLite's datetimes
    arrive as text), built once."""
    _, _, token_f, user_f, profile_f = _lookup_sql()
    out = []
    for field in token_f + user_f + profile_f:
        col = field.get_col(field.model._meta.db_table)
        out.append(
            (col, [*connection.ops.get_db_converters(col), *field.get_db_converters(connection)])
        )
    return out


def _from_db(column: tuple[Any, list[Any]], value: Any) -> Any:
    col, converters = column
    for convert in converters:
        value = convert(value, col, connection)
    return value


def _token_with_user(key: str) -> Token | None:
    """The token of ``key`` with its user, the user's profile and roles cached on them."""
    from dispatch.models import UserProfile

    sql, roles, token_f, user_f, profile_f = _lookup_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [*roles, key])
        row = cursor.fetchone()
    if row is None:
        return None
    fields = token_f + user_f + profile_f
    values = [_from_db(column, value) for column, value in zip(_converters(), row, strict=False)]
    n_t, n_u = len(token_f), len(user_f)
    token = Token.from_db(connection.alias, [f.attname for f in token_f], values[:n_t])
    user_model = get_user_model()
    user = user_model.from_db(
        connection.alias, [f.attname for f in user_f], values[n_t : n_t + n_u]
    )
    profile_values = values[n_t + n_u :]
    profile = None
    if profile_values[0] is not None:  # the profile's primary key: a user may have none
        profile = UserProfile.from_db(
            connection.alias, [f.attname for f in profile_f], profile_values
        )
        UserProfile.user.field.set_cached_value(profile, user)
    UserProfile.user.field.remote_field.set_cached_value(user, profile)
    Token.user.field.set_cached_value(token, user)
    held = row[len(fields) :]
    # dispatch.roles reads this instead of querying the user's groups again.
    user._role_cache = frozenset(r for r, h in zip(roles, held, strict=True) if h)
    return token


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        # DRF's own lookup, plus what every API request reads next: the user's profile (their
        # vendor) and which roles they hold, in the same query.
        token = _token_with_user(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        # Tokens go when the last role does; this also refuses one a revocation missed. The roles
        # read here are cached on the user for the permission checks that follow.
        if not holds_any_role(user):
            raise exceptions.AuthenticationFailed(
                "This account holds no role; ask an administrator for one, then request a new "
                "token."
            )
        if timezone.now() >= token_expires_at(token):
            token.delete()
            raise exceptions.AuthenticationFailed("The token has expired; request a new one.")
        return user, token
