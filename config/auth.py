"""The token endpoint: rotates the user's API token on every successful call."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from config.api_base import errors
from config.authentication import token_expires_at


class TokenThrottle(AnonRateThrottle):
    scope = "token"


class ObtainTokenApi(APIView):
    """``POST /api/v1/auth/token/`` — username and password in, a fresh token out.

    Each call rotates the user's token: the previous one stops working at once.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenThrottle]

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer(
                "TokenOut",
                {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()},
            ),
            **errors(400, 429, authenticated=False),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
        return Response({"token": token.key, "expires_at": token_expires_at(token)})
