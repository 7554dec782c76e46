"""API tokens that expire (kept apart from views: DRF imports authentication classes early)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from dispatch.roles import Role, holds_any_role


def token_expires_at(token: Token) -> dt.datetime:
    return token.created + dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        # DRF's own lookup, plus what every API request reads next: the user's profile (their
        # vendor) and which roles they hold, in the same query.
        membership = get_user_model().groups.through
        held = {
            f"holds_{role}": Exists(
                membership.objects.filter(user_id=OuterRef("user_id"), group__name=role)
            )
            for role in Role.values
        }
        try:
            token = Token.objects.select_related("user__profile").annotate(**held).get(key=key)
        except Token.DoesNotExist as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        user = token.user
        # dispatch.roles reads this instead of querying the user's groups again.
        user._role_cache = frozenset(r for r in Role.values if getattr(token, f"holds_{r}"))
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
