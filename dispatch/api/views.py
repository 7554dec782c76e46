"""Dispatch API (DESIGN sec. 9): one view per operation, translating to services and selectors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.checks.requests import visit_request_recheck
from config.api_base import Pagination, errors, paginated, query_params_check
from config.errors import ApplicationError, NotFound, PermissionDenied
from dispatch import roles, selectors, services
from dispatch.api import serializers as s
from dispatch.models import Customer, Facility, Visit


def _validated(serializer_class: type, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _deny_read_only(user: Any) -> None:
    if roles.is_read_only(user):
        raise PermissionDenied("Your role is read-only.")


class _ReferenceApi(APIView):
    """List (scoped to what the user may see) and create through a service."""

    pagination_class = Pagination  # for the schema: lists are paginated by ``paginated()``
    output: type
    input: type
    create: Callable[..., Any]
    params: tuple[str, ...] = ()  # the filters the list takes, besides the page ones

    def queryset(self, request: Request) -> QuerySet[Any]:
        raise NotImplementedError

    def get(self, request: Request) -> Response:
        queryset = self.queryset(request).order_by("pk")
        return paginated(request, queryset, self.output, self, self.params)

    def post(self, request: Request) -> Response:
        _deny_read_only(request.user)
        data = _validated(self.input, request.data)
        obj = type(self).create(user=request.user, **data)
        return Response(
            self.output(obj, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class _ReferenceDetailApi(APIView):
    output: type

    def queryset(self, request: Request) -> QuerySet[Any]:
        raise NotImplementedError

    def get(self, request: Request, pk: int) -> Response:
        obj = self.queryset(request).filter(pk=pk).first()
        if obj is None:
            raise NotFound("Not found.")
        return Response(self.output(obj, context={"request": request}).data)


class VendorListApi(_ReferenceApi):
    output, input, create = s.VendorOut, s.VendorIn, staticmethod(services.vendor_create)

    def queryset(self, request: Request) -> QuerySet[Any]:
        return selectors.vendors_visible_to(request.user)

    @extend_schema(
        tags=["vendors"],
        summary="List vendors",
        description="The tool vendors you may see: your own vendor, or every vendor for approvers and auditors.",
        responses={200: s.VendorOut(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        tags=["vendors"],
        summary="Create a vendor",
        description="Adds a tool vendor (approvers).",
        request=s.VendorIn,
        responses={201: s.VendorOut, **errors(400, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class VendorDetailApi(_ReferenceDetailApi):
    output = s.VendorOut

    def queryset(self, request: Request) -> QuerySet[Any]:
        return selectors.vendors_visible_to(request.user)

    @extend_schema(
        tags=["vendors"],
        summary="Read a vendor",
        description="One vendor, if you may see it.",
        responses={200: s.VendorOut, **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)


class EngineerListApi(_ReferenceApi):
    output, input, create = s.EngineerOut, s.EngineerIn, staticmethod(services.engineer_create)

    def queryset(self, request: Request) -> QuerySet[Any]:
        return selectors.engineers_visible_to(request.user).prefetch_related(
            "citizenships", "residencies"
        )

    @extend_schema(
        tags=["engineers"],
        summary="List engineers",
        description="Your vendor's field-service engineers with their citizenships and permanent residencies (the facts the person rules read).",
        responses={200: s.EngineerOut(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        tags=["engineers"],
        summary="Create an engineer",
        description="Adds an engineer to a vendor you may file for; citizenships and residencies as country codes or objects with dates.",
        request=s.EngineerIn,
        responses={201: s.EngineerOut, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class EngineerDetailApi(_ReferenceDetailApi):
    output = s.EngineerOut

    def queryset(self, request: Request) -> QuerySet[Any]:
        return selectors.engineers_visible_to(request.user).prefetch_related(
            "citizenships", "residencies"
        )

    @extend_schema(
        tags=["engineers"],
        summary="Read an engineer",
        description="One engineer of a vendor you may see.",
        responses={200: s.EngineerOut, **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)


class CustomerListApi(_ReferenceApi):
    output, input, create = s.CustomerOut, s.CustomerIn, staticmethod(services.customer_create)

    def queryset(self, request: Request) -> QuerySet[Any]:
        return Customer.objects.all()

    @extend_schema(
        tags=["customers"],
        summary="List customers",
        description="The fab operators, with the aliases screening also checks.",
        responses={200: s.CustomerOut(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        tags=["customers"],
        summary="Create a customer",
        description="Adds a fab operator; its name and aliases are screened with every visit.",
        request=s.CustomerIn,
        responses={201: s.CustomerOut, **errors(400, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class CustomerDetailApi(_ReferenceDetailApi):
    output = s.CustomerOut

    def queryset(self, request: Request) -> QuerySet[Any]:
        return Customer.objects.all()

    @extend_schema(
        tags=["customers"],
        summary="Read a customer",
        description="One customer.",
        responses={200: s.CustomerOut, **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)


class FacilityListApi(_ReferenceApi):
    output, input, create = s.FacilityOut, s.FacilityIn, staticmethod(services.facility_create)

    def queryset(self, request: Request) -> QuerySet[Any]:
        return Facility.objects.select_related("customer")

    @extend_schema(
        tags=["facilities"],
        summary="List facilities",
        description="Fab buildings with their location and technology capability (logic node, NAND layers, DRAM half-pitch), the facts the advanced-fab rules read.",
        responses={200: s.FacilityOut(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        tags=["facilities"],
        summary="Create a facility",
        description="Adds a fab building of a customer, with its capability and when and how it was assessed.",
        request=s.FacilityIn,
        responses={201: s.FacilityOut, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class FacilityDetailApi(_ReferenceDetailApi):
    output = s.FacilityOut

    def queryset(self, request: Request) -> QuerySet[Any]:
        return Facility.objects.all()

    @extend_schema(
        tags=["facilities"],
        summary="Read a facility",
        description="One facility.",
        responses={200: s.FacilityOut, **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)


class ToolListApi(_ReferenceApi):
    output, input, create = s.ToolOut, s.ToolIn, staticmethod(services.tool_create)
    params = ("facility",)

    def queryset(self, request: Request) -> QuerySet[Any]:
        qs = selectors.tools_visible_to(request.user)
        given = {k: v for k, v in request.query_params.items() if k in s.ToolFilterIn().fields}
        facility = _validated(s.ToolFilterIn, given).get("facility")
        return qs if facility is None else qs.filter(facility_id=facility)

    @extend_schema(
        tags=["tools"],
        summary="List tools",
        description="The tools you may see, optionally of one facility, with their export classifications per jurisdiction.",
        parameters=[
            OpenApiParameter("facility", int, description="Only the tools of this facility.")
        ],
        responses={200: s.ToolOut(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        tags=["tools"],
        summary="Create a tool",
        description='Adds a tool installed at a facility, made by a vendor, with its classifications (e.g. {"US": ["3B001.f"]}).',
        request=s.ToolIn,
        responses={201: s.ToolOut, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class ToolDetailApi(_ReferenceDetailApi):
    output = s.ToolOut

    def queryset(self, request: Request) -> QuerySet[Any]:
        return selectors.tools_visible_to(request.user)

    @extend_schema(
        tags=["tools"],
        summary="Read a tool",
        description="One tool you may see.",
        responses={200: s.ToolOut, **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)


# --- Visits ----------------------------------------------------------------------------------
def visit_for(request: Request, pk: int) -> Visit:
    """The visit if the user may see it; another vendor's visit does not exist for them (404)."""
    visit = selectors.visits_visible_to(request.user).filter(pk=pk).first()
    if visit is None:
        raise NotFound("No such visit.")
    return visit


def _visit_body(visit_id: int, *, user: Any = None) -> dict[str, Any]:
    """``VisitOut`` of a visit as it stands (2 queries, no model instances)."""
    row = selectors.visit_row(visit_id=visit_id, user=user)
    if row is None:
        raise NotFound("No such visit.")
    engineer_ids, tool_ids = selectors.visit_party_ids(visit_ids=[visit_id])
    return s.visit_out(row, engineer_ids=engineer_ids[visit_id], tool_ids=tool_ids[visit_id])


class _CountedRows:
    """What the paginator pages: counted on the visits alone (a count over the rows' joins costs
    several times more), sliced as rows."""

    def __init__(self, visits: QuerySet[Visit]) -> None:
        self.visits = visits

    def count(self) -> int:
        return self.visits.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        return list(selectors.visit_list_rows(self.visits[page]))


IDEMPOTENCY_KEY = "Idempotency-Key"
_IDEMPOTENCY_KEY_RE = re.compile(r"[\x20-\x7e]{1,255}")


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is None or _IDEMPOTENCY_KEY_RE.fullmatch(key):
        return key
    message = f"The {IDEMPOTENCY_KEY} header must be 1 to 255 printable ASCII characters."
    raise ApplicationError(message, errors={IDEMPOTENCY_KEY: [message]})


class VisitListApi(APIView):
    pagination_class = Pagination  # for the schema: the list is paginated below

    @extend_schema(
        tags=["visits"],
        summary="List visits",
        description="Your vendor's visits, newest first, with their current outcome; filter by status, facility, vendor, start dates, or search.",
        parameters=[
            OpenApiParameter("status", str),
            OpenApiParameter("facility", int),
            OpenApiParameter("vendor", int),
            OpenApiParameter(
                "start_from", str, description="Visits starting on or after (YYYY-MM-DD)."
            ),
            OpenApiParameter(
                "start_to", str, description="Visits starting on or before (YYYY-MM-DD)."
            ),
            OpenApiParameter("search", str),
        ],
        responses={200: s.VisitSummaryOut(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        query_params_check(request, s.VisitFilterIn().fields)
        filters = _validated(s.VisitFilterIn, request.query_params.dict())
        filters.pop("page", None)
        filters.pop("page_size", None)
        visits = selectors.visit_list(user=request.user, **filters)
        paginator = Pagination()
        rows = _CountedRows(visits)
        page: list[dict[str, Any]] = paginator.paginate_queryset(rows, request, self) or []  # type: ignore[arg-type]
        engineer_ids, tool_ids = selectors.visit_party_ids(visit_ids=[r["id"] for r in page])
        return paginator.get_paginated_response(
            s.visit_list_out(page, engineer_ids=engineer_ids, tool_ids=tool_ids)
        )

    @extend_schema(
        tags=["visits"],
        summary="File a visit",
        description="Files a visit (who, where, which tools, what, when). The check runs at once in the background; the answer carries the decision when it is already made, else `status` is `pending`. Send an Idempotency-Key to retry safely.",
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_KEY,
                {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
                OpenApiParameter.HEADER,
                description="Optional; 1 to 255 printable ASCII characters, unique per request "
                "you mean to make (e.g. a UUID). A retry with the same key and the same body "
                "files nothing and answers 200 with the visit the first request filed; the same "
                "key with a different body answers 409. Keys are per user.",
            )
        ],
        request=s.VisitIn,
        responses={
            201: s.VisitOut,
            200: OpenApiResponse(
                s.VisitOut,
                description="A retry (same Idempotency-Key, same body): the visit the first "
                "request filed, as it stands now; nothing was written.",
            ),
            **errors(400, 403, 404, 409),
        },
    )
    def post(self, request: Request) -> Response:
        key = _idempotency_key(request)
        data = _validated(s.VisitIn, request.data)
        filed = services.visit_create_once(requested_by=request.user, idempotency_key=key, **data)
        # A new visit with its check queued is answered from the instance in hand (a worker
        # that decides it before the answer leaves changes nothing the answer says is final:
        # it says pending). In embedded mode the check already ran on commit, and a retry
        # answers the visit as it stands now: both read the row back.
        if filed.created and not settings.CELERY_TASK_ALWAYS_EAGER:
            row = selectors.visit_row_of(filed.visit, username=request.user.username)
        else:
            row = selectors.visit_row(visit_id=filed.visit.pk)
        assert row is not None  # visits are never deleted
        body = s.visit_out(row, engineer_ids=filed.engineer_ids, tool_ids=filed.tool_ids)
        return Response(
            body, status=status.HTTP_201_CREATED if filed.created else status.HTTP_200_OK
        )


class VisitDetailApi(APIView):
    @extend_schema(
        tags=["visits"],
        summary="Read a visit and its decision",
        description="The visit as it stands, with its current decision: every rule that fired, its citation and the facts that triggered it, the screening hits, and the rule and list versions.",
        responses={200: s.VisitOut, **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_visit_body(pk, user=request.user))


class VisitCancelApi(APIView):
    @extend_schema(
        tags=["visits"],
        summary="Cancel a visit",
        description="Cancels a visit that is not yet rejected or cancelled, with an optional reason.",
        request=s.ReasonIn,
        responses={200: s.VisitOut, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        visit = visit_for(request, pk)
        data = _validated(s.ReasonIn, request.data or {})
        services.visit_cancel(visit=visit, user=request.user, reason=data["reason"])
        return Response(_visit_body(pk, user=request.user))


class VisitRecheckApi(APIView):
    @extend_schema(
        tags=["visits"],
        summary="Re-check a visit",
        description="Asks for a new check of the visit under the rules and lists in force now; the decision follows in the background.",
        request=None,
        responses={202: s.VisitOut, **errors(403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        visit = visit_for(request, pk)
        visit_request_recheck(visit=visit, user=request.user)
        return Response(_visit_body(pk, user=request.user), status=status.HTTP_202_ACCEPTED)
