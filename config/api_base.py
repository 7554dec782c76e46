"""Shared API building blocks: strict input serializers, pagination helpers and the documented
error responses (every error body is ``{"message": str, "errors": {field: [str]}}``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from config.errors import ApplicationError

# Object ids are positive and fit a 64-bit integer column: a larger number would make SQLite raise
# OverflowError (HTTP 500) in ``pk__in`` and foreign-key lookups instead of answering 400 / 404.
MAX_ID = 2**63 - 1


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An input field holding an object id."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class StrictSerializer(serializers.Serializer):
    """An input serializer that refuses unknown fields instead of silently ignoring them."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        """``page_size`` from 1 to 200; anything else is a 400 naming it (not silently 50)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            message = f"A whole number from 1 to {self.max_page_size}."
            raise ApplicationError(
                f"page_size: {message}", errors={self.page_size_query_param: [message]}
            )
        return int(raw)


PAGE_PARAMS = ("page", "page_size")


def query_params_check(request: Request, allowed: Iterable[str] = ()) -> None:
    """Refuse a query parameter the endpoint does not know: a misspelt filter (``?stauts=held``)
    would otherwise answer every row as if it had filtered them."""
    known = [*PAGE_PARAMS, *allowed]
    unknown = sorted(set(request.query_params) - set(known))
    if unknown:
        allowed_text = ", ".join(known)
        raise ApplicationError(
            f"Unknown query parameter {unknown[0]!r}; this endpoint takes {allowed_text}.",
            errors={name: [f"Unknown parameter; allowed: {allowed_text}."] for name in unknown},
        )


def paginated(
    request: Request,
    queryset: Any,
    serializer_class: type[serializers.Serializer],
    view: Any,
    params: Iterable[str] = (),
) -> Response:
    """One page of ``queryset``; a query parameter other than the page ones and ``params`` is a 400."""
    query_params_check(request, params)
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(
        serializer_class(page, many=True, context={"request": request}).data
    )


# --- Documented errors -------------------------------------------------------------------------
class ErrorOut(serializers.Serializer):
    """The body of every error response (config.api.exception_handler)."""

    message = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Messages per field at fault, e.g. {"end_date": ["…"]}; empty when no field is.',
    )


ERROR_DESCRIPTIONS = {
    400: "Invalid input: `errors` names each field at fault.",
    401: "Not authenticated: send `Authorization: Token <token>` (or log in).",
    403: "Authenticated, but your role may not do this.",
    404: "No such object, or not one you may see (also: a page number past the last page).",
    409: "Valid, but the current state does not allow it (the object's status, or a duplicate of "
    "an existing record).",
    429: "Too many requests: wait and retry.",
}


def errors(*codes: int, authenticated: bool = True) -> dict[int, OpenApiResponse]:
    """Error responses for ``extend_schema(responses={200: …, **errors(400, 404)})``: ``codes``,
    plus 401 unless the operation needs no authentication."""
    wanted = {*codes, 401} if authenticated else set(codes)
    return {
        code: OpenApiResponse(ErrorOut, description=ERROR_DESCRIPTIONS[code])
        for code in sorted(wanted)
    }
