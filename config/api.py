"""DRF exception handler: every error is ``{"message": …, "errors": {field: [..]}}``."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from config.errors import ApplicationError

logger = logging.getLogger(__name__)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into ``{"a.b[0].c": [messages]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if not prefix else f"{prefix}.{key}"
            if key == "non_field_errors":
                name = prefix or "non_field_errors"
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for i, item in enumerate(detail):
                if item:
                    for k, v in _flatten(item, f"{prefix}[{i}]").items():
                        out.setdefault(k, []).extend(v)
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DatabaseError) and not isinstance(exc, IntegrityError):
        # The database is down or restarting: a clear, retryable answer instead of a 500.
        return Response(
            {
                "message": "The database is unavailable; nothing was changed. Retry shortly.",
                "errors": {},
            },
            status=503,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, ApplicationError):
        return Response({"message": exc.message, "errors": exc.errors}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        errors = (
            {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"non_field_errors": [str(m) for m in exc.messages]}
        )
        return Response({"message": "Invalid input.", "errors": errors}, status=400)
    if isinstance(exc, IntegrityError):
        # A constraint the service did not validate first (or a concurrent duplicate): the
        # request conflicts with stored data. A 409 with the error shape, not a 500.
        logger.warning("Integrity error answered as 409: %s", exc)
        set_rollback()
        return Response(
            {
                "message": "This conflicts with existing data (for example, it would duplicate "
                "an existing record).",
                "errors": {},
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = next(iter(errors.items()), None)
        message = f"Invalid input: {first[0]}: {first[1][0]}" if first else "Invalid input."
        response.data = {"message": message, "errors": errors}
    else:
        detail = getattr(exc, "detail", str(exc))
        field = getattr(exc, "field", None)  # config.parsers.FieldParseError
        response.data = {"message": str(detail), "errors": {field: [str(detail)]} if field else {}}
    if response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        response.data["message"] = "Method not allowed."
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: a URL under /api/ that matches no route (e.g. ``/api/v1/visits/abc/``)
    answers in the API's error shape, as JSON; other URLs get Django's usual page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"message": f"No such API resource: {request.path}", "errors": {}}, status=404
        )
    return page_not_found(request, exception)
