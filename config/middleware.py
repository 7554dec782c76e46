"""Request hardening (a body size limit the API cannot bypass, security headers), and the user's
time zone for the pages."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone


class BodySizeLimitMiddleware:
    """Refuse request bodies over ``MAX_REQUEST_BODY_BYTES`` with 413, before anything parses them.

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE guards ``request.body`` and forms, but DRF's parsers read
    the stream directly; this closes that gap for every view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_REQUEST_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(
                {"message": "Invalid Content-Length header.", "errors": {}}, status=400
            )
        if length > limit:
            return JsonResponse(
                {
                    "message": f"The request body is larger than {limit} bytes.",
                    "errors": {"body": ["Too large."]},
                },
                status=413,
            )
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy (and its looser variant for the API docs page)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if request.path.startswith("/api/docs/"):
            policy = getattr(settings, "CONTENT_SECURITY_POLICY_DOCS", policy)
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class DatabaseUnavailableMiddleware:
    """Pages answer 503 (not 500) while the database is unreachable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            response = JsonResponse(
                {
                    "message": "The database is unavailable; nothing was changed. Retry shortly.",
                    "errors": {},
                },
                status=503,
            )
            response["Retry-After"] = "5"
            return response
        return None


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class TimezoneMiddleware:
    """Shows times in the user's time zone: the browser names it in the ``tz`` cookie (set by
    static/js/timezone.js); an unknown or missing name leaves the site's zone (UTC)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = request.COOKIES.get("tz", "")[:64]
        if name and name in _time_zones():
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        return self.get_response(request)


class RoleRequiredMiddleware:
    """A logged-in user who holds no role (their last one was removed) is logged out at their
    next request: a session outlives a role change otherwise. Superusers need none. Token
    requests are checked by the token authentication itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from dispatch import roles

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not roles.holds_any_role(user):
            logout(request)
        return self.get_response(request)
