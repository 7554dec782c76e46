"""Compliance API: dry-run checks, visit history, rules, screening."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance import engine, services
from compliance.models import AuditEvent, ListSnapshot, Rule
from config.api_base import StrictSerializer, paginated
from config.errors import ApplicationError
from dispatch.api.views import visit_for


class CheckApi(APIView):
    """``POST /api/v1/checks/`` — evaluate a visit document without storing anything."""

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        summary="Dry-run check of a visit document",
    )
    def post(self, request: Request) -> Response:
        body: Any = request.data
        if not isinstance(body, dict):
            raise ApplicationError(
                "The body must be a visit document (a JSON object).",
                errors={"document": ["Expected a JSON object."]},
            )
        try:
            decision = services.check_document(body)
        except engine.DocumentError as exc:
            raise ApplicationError(str(exc), errors=exc.errors) from exc
        return Response(decision)


class DecisionOut(serializers.Serializer):
    id = serializers.IntegerField()
    trigger = serializers.CharField()
    outcome = serializers.CharField()
    status = serializers.CharField()
    decided_at = serializers.DateTimeField()
    rules_version = serializers.CharField()
    lists_version = serializers.CharField()
    change_reason = serializers.CharField()
    error = serializers.CharField()
    result = serializers.JSONField()


class EventOut(serializers.Serializer):
    id = serializers.IntegerField()
    event_type = serializers.CharField()
    actor = serializers.CharField(source="actor_name")
    created_at = serializers.DateTimeField()
    old = serializers.JSONField()
    new = serializers.JSONField()


class VisitHistoryApi(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        visit = visit_for(request, pk)
        decisions = visit.decisions.order_by("-decided_at", "-pk")[:200]
        events = AuditEvent.objects.filter(
            object_type="dispatch.Visit", object_id=str(visit.pk)
        ).order_by("-pk")[:500]
        return Response(
            {
                "visit": visit.pk,
                "status": visit.status,
                "decisions": DecisionOut(decisions, many=True).data,
                "events": EventOut(events, many=True).data,
            }
        )


class RuleOut(serializers.ModelSerializer):
    class Meta:
        model = Rule
        fields = (
            "code",
            "jurisdiction",
            "title",
            "citation",
            "source_url",
            "confidence",
            "effective_from",
            "effective_to",
            "scope",
            "effect",
            "licence_authority",
            "condition",
            "message",
            "is_policy",
            "is_enabled",
        )


class RuleListApi(APIView):
    @extend_schema(responses=RuleOut(many=True))
    def get(self, request: Request) -> Response:
        ruleset = services.active_ruleset()
        return paginated(request, ruleset.rules.order_by("jurisdiction", "code"), RuleOut, self)


class SnapshotOut(serializers.ModelSerializer):
    version = serializers.CharField()
    diff = serializers.SerializerMethodField()

    class Meta:
        model = ListSnapshot
        fields = (
            "id",
            "version",
            "source_name",
            "source_hash",
            "format",
            "imported_at",
            "entry_count",
            "counts",
            "diff",
            "is_active",
        )

    def get_diff(self, obj: ListSnapshot) -> dict[str, int]:
        d = obj.diff or {}
        return {
            "added": d.get("added", 0),
            "removed": d.get("removed", 0),
            "changed": d.get("changed", 0),
        }


class ScreeningListsApi(APIView):
    @extend_schema(responses=SnapshotOut(many=True))
    def get(self, request: Request) -> Response:
        return paginated(
            request, ListSnapshot.objects.order_by("-imported_at", "-pk"), SnapshotOut, self
        )


class ScreeningSearchIn(StrictSerializer):
    name = serializers.CharField(max_length=300)
    country = serializers.CharField(max_length=2, min_length=2, required=False, allow_null=True)


class ScreeningSearchApi(APIView):
    @extend_schema(request=ScreeningSearchIn, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        s = ScreeningSearchIn(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(
            services.screening_search(
                name=s.validated_data["name"], country=s.validated_data.get("country")
            )
        )


class JustificationIn(StrictSerializer):
    justification = serializers.CharField(max_length=5000)
    licence = serializers.IntegerField(required=False, allow_null=True)


class RejectIn(StrictSerializer):
    justification = serializers.CharField(max_length=5000)


def _visit_out(request: Request, pk: int) -> dict[str, Any]:
    from dispatch.api.serializers import VisitOut

    return VisitOut(visit_for(request, pk)).data


class VisitApproveApi(APIView):
    @extend_schema(request=JustificationIn, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        visit = visit_for(request, pk)
        s = JustificationIn(data=request.data)
        s.is_valid(raise_exception=True)
        services.visit_approve(
            visit=visit,
            user=request.user,
            justification=s.validated_data["justification"],
            licence=s.validated_data.get("licence"),
        )
        return Response(_visit_out(request, pk))


class VisitRejectApi(APIView):
    @extend_schema(request=RejectIn, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        visit = visit_for(request, pk)
        s = RejectIn(data=request.data)
        s.is_valid(raise_exception=True)
        services.visit_reject(
            visit=visit, user=request.user, justification=s.validated_data["justification"]
        )
        return Response(_visit_out(request, pk))


class VisitSuggestionsApi(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        visit = visit_for(request, pk)
        return Response(services.visit_suggestions(visit=visit, user=request.user))
