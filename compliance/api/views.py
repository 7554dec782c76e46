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
from config.api_base import Pagination, StrictSerializer, errors, id_field, paginated
from config.errors import ApplicationError
from dispatch.api.views import visit_for


class CheckApi(APIView):
    """``POST /api/v1/checks/`` — evaluate a visit document without storing anything."""

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, **errors(400)},
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
    @extend_schema(responses={200: OpenApiTypes.OBJECT, **errors(404)})
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
    # An IRI, not always a URI: the Korean pack cites https://www.law.go.kr/법령/…, which the
    # model's URLField stores as is but which fails the "uri" format the schema would declare.
    source_url = serializers.CharField()

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
    pagination_class = Pagination  # for the schema: the list is paginated by ``paginated()``

    @extend_schema(responses={200: RuleOut(many=True), **errors(400, 404)})
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
    pagination_class = Pagination  # for the schema: the list is paginated by ``paginated()``

    @extend_schema(responses={200: SnapshotOut(many=True), **errors(404)})
    def get(self, request: Request) -> Response:
        return paginated(
            request, ListSnapshot.objects.order_by("-imported_at", "-pk"), SnapshotOut, self
        )


class ScreeningSearchIn(StrictSerializer):
    name = serializers.CharField(max_length=300)
    country = serializers.CharField(max_length=2, min_length=2, required=False, allow_null=True)

    def validate_country(self, value: str | None) -> str | None:
        """An ISO 3166-1 alpha-2 code (any case), as the matcher requires (else it raises)."""
        if value is None:
            return None
        from dispatch.countries import is_country_code

        code = value.strip().upper()
        if not is_country_code(code):
            raise serializers.ValidationError(
                f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. CN, US, NL)."
            )
        return code


class ScreeningSearchApi(APIView):
    @extend_schema(request=ScreeningSearchIn, responses={200: OpenApiTypes.OBJECT, **errors(400)})
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
    licence = id_field(required=False, allow_null=True)


class RejectIn(StrictSerializer):
    justification = serializers.CharField(max_length=5000)


def _visit_out(request: Request, pk: int) -> dict[str, Any]:
    from dispatch.api.serializers import VisitOut

    return VisitOut(visit_for(request, pk)).data


class VisitApproveApi(APIView):
    @extend_schema(
        request=JustificationIn,
        responses={200: OpenApiTypes.OBJECT, **errors(400, 403, 404, 409)},
    )
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
    @extend_schema(
        request=RejectIn, responses={200: OpenApiTypes.OBJECT, **errors(400, 403, 404, 409)}
    )
    def post(self, request: Request, pk: int) -> Response:
        visit = visit_for(request, pk)
        s = RejectIn(data=request.data)
        s.is_valid(raise_exception=True)
        services.visit_reject(
            visit=visit, user=request.user, justification=s.validated_data["justification"]
        )
        return Response(_visit_out(request, pk))


class VisitSuggestionsApi(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, **errors(400, 404)})
    def get(self, request: Request, pk: int) -> Response:
        visit = visit_for(request, pk)
        return Response(services.visit_suggestions(visit=visit, user=request.user))


class ImpactIn(StrictSerializer):
    enabled_policies = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=100
    )
    activate = serializers.BooleanField(default=False)


class RuleImpactApi(APIView):
    """Preview which open visits a policy switch would change; activate only when asked."""

    @extend_schema(request=ImpactIn, responses={200: OpenApiTypes.OBJECT, **errors(400, 403)})
    def post(self, request: Request) -> Response:
        from config.errors import PermissionDenied
        from dispatch import roles

        if not roles.can_manage_compliance(request.user):
            raise PermissionDenied("Only an approver may preview or change the rules in force.")
        s = ImpactIn(data=request.data)
        s.is_valid(raise_exception=True)
        candidate = services.ruleset_with_policies(
            enabled_policies=s.validated_data["enabled_policies"], actor=request.user
        )
        changes = services.ruleset_impact(candidate=candidate, user=request.user)
        queued = None
        if s.validated_data["activate"]:
            queued = services.ruleset_activate(
                ruleset=candidate, actor=request.user, note="activated after impact preview"
            )
        return Response(
            {
                "ruleset": candidate.version,
                "enabled_policies": candidate.enabled_policies,
                "changes": changes,
                "activated": s.validated_data["activate"],
                "rechecks_queued": queued,
            }
        )


class LicenceOut(serializers.ModelSerializer):
    facilities = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    owners = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    engineers = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    activities = serializers.ListField(child=serializers.CharField())
    classifications = serializers.ListField(child=serializers.CharField())

    class Meta:
        from compliance.models import Licence

        model = Licence
        fields = (
            "id",
            "authority",
            "kind",
            "number",
            "holder",
            "valid_from",
            "valid_until",
            "facilities",
            "owners",
            "activities",
            "classifications",
            "engineers",
            "conditions",
            "revoked_at",
            "revocation_reason",
        )


class LicenceIn(StrictSerializer):
    authority = serializers.CharField(max_length=20)
    kind = serializers.CharField(max_length=10, default="licence")
    number = serializers.CharField(max_length=100)
    holder = id_field(required=False, allow_null=True)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    facilities = serializers.ListField(child=id_field(), max_length=200, default=list)
    owners = serializers.ListField(child=id_field(), max_length=200, default=list)
    activities = serializers.ListField(
        child=serializers.CharField(max_length=30), max_length=20, default=list
    )
    classifications = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=50, default=list
    )
    engineers = serializers.ListField(child=id_field(), max_length=200, default=list)
    conditions = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )


class LicenceListApi(APIView):
    pagination_class = Pagination  # for the schema: the list is paginated by ``paginated()``

    @extend_schema(responses={200: LicenceOut(many=True), **errors(404)})
    def get(self, request: Request) -> Response:
        from compliance.models import Licence

        qs = Licence.objects.prefetch_related("facilities", "owners", "engineers").order_by(
            "authority", "number"
        )
        return paginated(request, qs, LicenceOut, self)

    @extend_schema(request=LicenceIn, responses={201: LicenceOut, **errors(400, 403, 409)})
    def post(self, request: Request) -> Response:
        s = LicenceIn(data=request.data)
        s.is_valid(raise_exception=True)
        licence = services.licence_create(user=request.user, **s.validated_data)
        return Response(LicenceOut(licence).data, status=201)


class FalsePositiveIn(StrictSerializer):
    visit = id_field()
    party = serializers.CharField(max_length=30)
    entry_id = serializers.CharField(max_length=100)
    reason = serializers.CharField(max_length=5000)


class FalsePositiveApi(APIView):
    """Mark a screening hit of a visit's party as a false positive (approvers)."""

    @extend_schema(
        request=FalsePositiveIn, responses={201: OpenApiTypes.OBJECT, **errors(400, 403, 404)}
    )
    def post(self, request: Request) -> Response:
        s = FalsePositiveIn(data=request.data)
        s.is_valid(raise_exception=True)
        visit = visit_for(request, s.validated_data["visit"])
        mark = services.match_review_mark(
            visit=visit,
            party=s.validated_data["party"],
            entry_id=s.validated_data["entry_id"],
            reason=s.validated_data["reason"],
            actor=request.user,
        )
        return Response(
            {
                "id": mark.pk,
                "party": mark.party,
                "entry_id": mark.entry_id,
                "entry_hash": mark.entry_hash,
                "list": mark.list_code,
                "reason": mark.reason,
            },
            status=201,
        )


class AuditEventListApi(APIView):
    """The audit log, newest first (approvers and auditors)."""

    pagination_class = Pagination  # for the schema: the list is paginated by ``paginated()``

    @extend_schema(responses={200: EventOut(many=True), **errors(403, 404)})
    def get(self, request: Request) -> Response:
        from config.errors import PermissionDenied
        from dispatch import roles

        if not (
            roles.can_approve(request.user) or roles.has_role(request.user, roles.Role.AUDITOR)
        ):
            raise PermissionDenied("Only approvers and auditors read the audit log.")
        return paginated(request, AuditEvent.objects.order_by("-pk"), EventOut, self)
