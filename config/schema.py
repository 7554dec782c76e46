"""The OpenAPI schema's component names: the serializer's name without its In/Out suffix."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    """``VisitOut`` is the component ``Visit`` and ``VisitIn`` the component ``VisitRequest``
    (drf-spectacular adds "Request" to request bodies), so a generated client reads
    ``Visit``, ``Decision``, ``Finding``… rather than ``VisitOut`` and ``VisitInRequest``."""

    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        name = super().get_serializer_name(serializer, direction)
        for suffix in ("Out", "In"):
            if name.endswith(suffix) and len(name) > len(suffix):
                return name[: -len(suffix)]
        return name
