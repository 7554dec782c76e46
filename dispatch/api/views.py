"""Dispatch API (DESIGN sec. 9): one view per operation, translating to services and selectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_base import MAX_ID, Pagination, errors, paginated
from config.errors import NotFound, PermissionDenied
from dispatch import roles, selectors, services
from dispatch.api import serializers as s
from dispatch.models import Customer, Engineer, Facility, Tool, Visit


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

    def queryset(self, request: Request) -> QuerySet[Any]:
        raise NotImplementedError

    def get(self, request: Request) -> Response:
        return paginated(request, self.queryset(request).order_by("pk"), self.output, self)

    def post(self, request: Request) -> Response:
        _deny_read_only(request.user)
        data = _validated(self.input, request.data)
        obj = type(self).create(user=request.user, **data)
        return Response(self.output(obj).data, status=status.HTTP_201_CREATED)


class _ReferenceDetailApi(APIView):
    output: type

    def queryset(self, request: Request) -> QuerySet[Any]:
        raise NotImplementedError

    def get(self, request: Request, pk: int) -> Response:
        obj = self.queryset(request).filter(pk=pk).first()
        if obj is None:
            raise NotFound("Not found.")
        return Response(self.output(obj).data)


class VendorListApi(_ReferenceApi):
    output, input, create = s.VendorOut, s.VendorIn, staticmethod(services.vendor_create)

    def queryset(self, request: Request) -> QuerySet[Any]:
        return selectors.vendors_visible_to(request.user)

    @extend_schema(responses={200: s.VendorOut(many=True), **errors(404)})
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(request=s.VendorIn, responses={201: s.VendorOut, **errors(400, 403, 409)})
    def post(self, request: Request) -> Response:
        return super().post(request)


class VendorDetailApi(_ReferenceDetailApi):
    output = s.VendorOut

    def queryset(self, request: Request) -> QuerySet[Any]:
        return selectors.vendors_visible_to(request.user)

    @extend_schema(responses={200: s.VendorOut, **errors(404)})
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)


class EngineerListApi(_ReferenceApi):
    output, input, create = s.EngineerOut, s.EngineerIn, staticmethod(services.engineer_create)

    def queryset(self, request: Request) -> QuerySet[Any]:
        return selectors.engineers_visible_to(request.user).prefetch_related(
            "citizenships", "residencies"
        )

    @extend_schema(responses={200: s.EngineerOut(many=True), **errors(404)})
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        request=s.EngineerIn, responses={201: s.EngineerOut, **errors(400, 403, 404, 409)}
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class EngineerDetailApi(_ReferenceDetailApi):
    output = s.EngineerOut

    def queryset(self, request: Request) -> QuerySet[Any]:
        return selectors.engineers_visible_to(request.user).prefetch_related(
            "citizenships", "residencies"
        )

    @extend_schema(responses={200: s.EngineerOut, **errors(404)})
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)


class CustomerListApi(_ReferenceApi):
    output, input, create = s.CustomerOut, s.CustomerIn, staticmethod(services.customer_create)

    def queryset(self, request: Request) -> QuerySet[Any]:
        return Customer.objects.all()

    @extend_schema(responses={200: s.CustomerOut(many=True), **errors(404)})
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(request=s.CustomerIn, responses={201: s.CustomerOut, **errors(400, 403, 409)})
    def post(self, request: Request) -> Response:
        return super().post(request)


class CustomerDetailApi(_ReferenceDetailApi):
    output = s.CustomerOut

    def queryset(self, request: Request) -> QuerySet[Any]:
        return Customer.objects.all()

    @extend_schema(responses={200: s.CustomerOut, **errors(404)})
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)


class FacilityListApi(_ReferenceApi):
    output, input, create = s.FacilityOut, s.FacilityIn, staticmethod(services.facility_create)

    def queryset(self, request: Request) -> QuerySet[Any]:
        return Facility.objects.select_related("customer")

    @extend_schema(responses={200: s.FacilityOut(many=True), **errors(404)})
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        request=s.FacilityIn, responses={201: s.FacilityOut, **errors(400, 403, 404, 409)}
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class FacilityDetailApi(_ReferenceDetailApi):
    output = s.FacilityOut

    def queryset(self, request: Request) -> QuerySet[Any]:
        return Facility.objects.all()

    @extend_schema(responses={200: s.FacilityOut, **errors(404)})
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)


class ToolListApi(_ReferenceApi):
    output, input, create = s.ToolOut, s.ToolIn, staticmethod(services.tool_create)

    def queryset(self, request: Request) -> QuerySet[Any]:
        qs = selectors.tools_visible_to(request.user)
        facility = request.query_params.get("facility")
        if facility and facility.isascii() and facility.isdigit():
            # Past MAX_ID no facility exists (and SQLite would overflow on the lookup).
            qs = qs.filter(facility_id=int(facility)) if int(facility) <= MAX_ID else qs.none()
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("facility", int, description="Only the tools of this facility.")
        ],
        responses={200: s.ToolOut(many=True), **errors(404)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(request=s.ToolIn, responses={201: s.ToolOut, **errors(400, 403, 404, 409)})
    def post(self, request: Request) -> Response:
        return super().post(request)


class ToolDetailApi(_ReferenceDetailApi):
    output = s.ToolOut

    def queryset(self, request: Request) -> QuerySet[Any]:
        return selectors.tools_visible_to(request.user)

    @extend_schema(responses={200: s.ToolOut, **errors(404)})
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)


# --- Visits ----------------------------------------------------------------------------------
def visit_for(request: Request, pk: int) -> Visit:
    """The visit if the user may see it; another vendor's visit does not exist for them (404)."""
    visit = selectors.visits_visible_to(request.user).filter(pk=pk).first()
    if visit is None:
        raise NotFound("No such visit.")
    return visit


class VisitListApi(APIView):
    pagination_class = Pagination  # for the schema: the list is paginated by ``paginated()``

    @extend_schema(
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
        responses={200: s.VisitListOut(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        filters = _validated(s.VisitFilterIn, request.query_params.dict())
        qs = selectors.visits_for_list(request.user).prefetch_related(
            Prefetch("engineers", queryset=Engineer.objects.only("id")),
            Prefetch("tools", queryset=Tool.objects.only("id")),
        )
        if "status" in filters:
            qs = qs.filter(status__in=filters["status"].split(","))
        if "facility" in filters:
            qs = qs.filter(facility_id=filters["facility"])
        if "vendor" in filters:
            qs = qs.filter(vendor_id=filters["vendor"])
        if "start_from" in filters:
            qs = qs.filter(start_date__gte=filters["start_from"])
        if "start_to" in filters:
            qs = qs.filter(start_date__lte=filters["start_to"])
        if filters.get("search"):
            term = filters["search"]
            qs = qs.filter(
                Q(facility__name__icontains=term)
                | Q(facility__customer__name__icontains=term)
                | Q(purpose__icontains=term)
            )
        return paginated(request, qs.order_by("-created_at", "-pk"), s.VisitListOut, self)

    @extend_schema(request=s.VisitIn, responses={201: s.VisitOut, **errors(400, 403, 404)})
    def post(self, request: Request) -> Response:
        data = _validated(s.VisitIn, request.data)
        visit = services.visit_create(requested_by=request.user, **data)
        visit = selectors.visits_visible_to(request.user).get(pk=visit.pk)
        return Response(s.VisitOut(visit).data, status=status.HTTP_201_CREATED)


class VisitDetailApi(APIView):
    @extend_schema(responses={200: s.VisitOut, **errors(404)})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.VisitOut(visit_for(request, pk)).data)


class VisitCancelApi(APIView):
    @extend_schema(request=s.ReasonIn, responses={200: s.VisitOut, **errors(400, 403, 404)})
    def post(self, request: Request, pk: int) -> Response:
        visit = visit_for(request, pk)
        data = _validated(s.ReasonIn, request.data or {})
        services.visit_cancel(visit=visit, user=request.user, reason=data["reason"])
        return Response(s.VisitOut(visit_for(request, pk)).data)


class VisitRecheckApi(APIView):
    @extend_schema(request=None, responses={202: s.VisitOut, **errors(403, 404, 409)})
    def post(self, request: Request, pk: int) -> Response:
        from compliance.services import visit_request_recheck

        visit = visit_for(request, pk)
        visit_request_recheck(visit=visit, user=request.user)
        return Response(s.VisitOut(visit_for(request, pk)).data, status=status.HTTP_202_ACCEPTED)
