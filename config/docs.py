"""The API schema and its Swagger UI page: for logged-in users unless ``API_DOCS_PUBLIC``.

The schema lists every endpoint and field, which helps an attacker as much as a client, so
production serves it only to an authenticated user (session or token). Development settings set
``API_DOCS_PUBLIC`` so it is open on a laptop.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request

from config.permissions import HoldsRole


def _permissions() -> list[Any]:
    return [AllowAny()] if settings.API_DOCS_PUBLIC else [HoldsRole()]


class SchemaView(SpectacularAPIView):
    def get_permissions(self) -> list[Any]:
        return _permissions()


class DocsView(SpectacularSwaggerView):
    """The page holds no schema itself (it fetches ``SchemaView``); a person who is not logged in
    is sent to log in, then back."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        if not settings.API_DOCS_PUBLIC and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().get(request, *args, **kwargs)
