"""The token endpoint: rotates the user's API token on every successful call."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_base import errors
from config.authentication import token_expires_at
from config.errors import PermissionDenied
from config.throttling import TokenThrottle
from dispatch.roles import holds_any_role


class TokenIn(serializers.Serializer):
    """The documented request body; ``AuthTokenSerializer`` checks it (and the password)."""

    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, style={"input_type": "password"})


class TokenOut(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expires_at = serializers.DateTimeField(help_text="When the token stops working.")


class ObtainTokenApi(APIView):
    """``POST /api/v1/auth/token/`` — username and password in, a fresh token out.

    Each call rotates the user's token: the previous one stops working at once.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Log in: a fresh API token",
        description="Exchanges a username and password for an API token, to send as "
        "`Authorization: Token <token>`. Each call rotates the user's token: the previous one "
        "stops working at once. Needs no authentication; throttled per client address.",
        auth=[],
        request=TokenIn,
        responses={200: TokenOut, **errors(400, 403, 429, authenticated=False)},
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        if not holds_any_role(user):
            raise PermissionDenied("This account holds no role; ask an administrator for one.")
        Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
        return Response({"token": token.key, "expires_at": token_expires_at(token)})
