"""The API's default permission: logged in, and holding a role (or a superuser)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import IsAuthenticated


class HoldsRole(IsAuthenticated):
    message = "This account holds no role; ask an administrator for one."

    def has_permission(self, request: Any, view: Any) -> bool:
        from dispatch.roles import holds_any_role

        return super().has_permission(request, view) and holds_any_role(request.user)
