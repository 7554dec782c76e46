"""Compliance API: dry-run checks, visit history, approvals, rules, screening, licences."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance import engine, services
from compliance.api import serializers as s
from compliance.checks.evaluate import check_document
from compliance.checks.inputs import active_ruleset
from compliance.models import AuditEvent, Licence, ListSnapshot
from config.api_base import Pagination, errors, paginated
from config.errors import ApplicationError, PermissionDenied
from config.throttling import (
    DryRunThrottle,
    ImpactThrottle,
    ScreeningSearchThrottle,
    SuggestionsThrottle,
)
from dispatch import roles
from dispatch.api.serializers import VisitOut
from dispatch.api.views import visit_for


class CheckApi(APIView):
    throttle_classes = [DryRunThrottle]

    @extend_schema(
        tags=["checks"],
        summary="Dry-run check of a visit document",
        description="Evaluates a visit document (DESIGN sec. 3: vendor, engineers, facility, "
        "tools, activity, dates) with the same engine, rules and screening list as the worker "
        "and answers its decision. Nothing is stored and nothing is held. Capped in engineers, "
        "tools, engineer-tool pairs and answer size (a 400 names the limit) and throttled per "
        "user.",
        request=OpenApiTypes.OBJECT,
        responses={200: s.DecisionOut, **errors(400, 429)},
    )
    def post(self, request: Request) -> Response:
        body: Any = request.data
        if not isinstance(body, dict):
            raise ApplicationError(
                "The body must be a visit document (a JSON object).",
                errors={"document": ["Expected a JSON object."]},
            )
        try:
            decision = check_document(body)
        except engine.DocumentError as exc:
            raise ApplicationError(str(exc), errors=exc.errors) from exc
        return Response(decision)


class VisitHistoryApi(APIView):
    @extend_schema(
        tags=["visits"],
        summary="A visit's decisions and audit events",
        description="Every decision recorded for the visit (with the full decision each time), "
        "its re-confirmations (re-checks that gave the current decision again, stored as "
        '"same as decision #N under versions X") and its audit events, newest first.',
        responses={200: s.HistoryOut, **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        visit = visit_for(request, pk)
        decisions = visit.decisions.order_by("-decided_at", "-pk")[:200]
        reconfirmations = visit.reconfirmations.order_by("-confirmed_at", "-pk")[:200]
        events = AuditEvent.objects.filter(
            object_type="dispatch.Visit", object_id=str(visit.pk)
        ).order_by("-pk")[:500]
        return Response(
            {
                "visit": visit.pk,
                "status": visit.status,
                "decisions": s.DecisionRecordOut(decisions, many=True).data,
                "reconfirmations": s.ReconfirmationOut(reconfirmations, many=True).data,
                "events": s.EventOut(events, many=True).data,
            }
        )


class RuleListApi(APIView):
    pagination_class = Pagination  # for the schema: the list is paginated by ``paginated()``

    @extend_schema(
        tags=["rules"],
        summary="The rules in force",
        description="The rules of the active rule set, by jurisdiction and code, each with its "
        "citation, effective dates, confidence and condition.",
        responses={200: s.RuleOut(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        ruleset = active_ruleset()
        return paginated(request, ruleset.rules.order_by("jurisdiction", "code"), s.RuleOut, self)


class ScreeningListsApi(APIView):
    pagination_class = Pagination  # for the schema: the list is paginated by ``paginated()``

    @extend_schema(
        tags=["screening"],
        summary="Imported screening lists",
        description="Every imported list snapshot of every source (US CSL, UN, EU, UK, METI, "
        "FollowTheMoney), newest first, with its counts and its difference from the snapshot "
        "of the same source before it; `is_active` marks the one in force for its `source`.",
        responses={200: s.SnapshotOut(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        return paginated(
            request, ListSnapshot.objects.order_by("-imported_at", "-pk"), s.SnapshotOut, self
        )


class ScreeningSearchApi(APIView):
    throttle_classes = [ScreeningSearchThrottle]

    @extend_schema(
        tags=["screening"],
        summary="Screen one name",
        description="Screens a name (and optionally its country and date of birth) against every list in force, "
        "with the matcher the checks use. A hit is a screening aid, to confirm against the "
        "official list.",
        request=s.ScreeningSearchIn,
        responses={200: s.ScreeningSearchOut, **errors(400, 429)},
    )
    def post(self, request: Request) -> Response:
        data = s.ScreeningSearchIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            services.screening_search(
                name=data.validated_data["name"],
                country=data.validated_data.get("country"),
                date_of_birth=data.validated_data.get("date_of_birth"),
            )
        )


def _visit_out(request: Request, pk: int) -> dict[str, Any]:
    return VisitOut(visit_for(request, pk)).data


class VisitApproveApi(APIView):
    @extend_schema(
        tags=["visits"],
        summary="Release a held visit",
        description="An approver releases a visit on hold, with a justification and, where a "
        "finding needs one, a licence on file. Refused to anyone who requested or edited the "
        "visit, and for a prohibited (blocked) visit.",
        request=s.JustificationIn,
        responses={200: VisitOut, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        visit = visit_for(request, pk)
        data = s.JustificationIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.visit_approve(
            visit=visit,
            user=request.user,
            justification=data.validated_data["justification"],
            licence=data.validated_data.get("licence"),
        )
        return Response(_visit_out(request, pk))


class VisitRejectApi(APIView):
    @extend_schema(
        tags=["visits"],
        summary="Reject a held visit",
        description="An approver rejects a visit on hold or blocked, with a justification. "
        "Refused to anyone who requested or edited the visit.",
        request=s.RejectIn,
        responses={200: VisitOut, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        visit = visit_for(request, pk)
        data = s.RejectIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.visit_reject(
            visit=visit, user=request.user, justification=data.validated_data["justification"]
        )
        return Response(_visit_out(request, pk))


class VisitSuggestionsApi(APIView):
    throttle_classes = [SuggestionsThrottle]

    @extend_schema(
        tags=["visits"],
        summary="Engineers who would clear the visit",
        description="The vendor's other active engineers who would clear this exact visit, "
        "best first, and the visit's outcome without each of its own engineers.",
        responses={200: s.SuggestionsOut, **errors(400, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        visit = visit_for(request, pk)
        return Response(services.visit_suggestions(visit=visit, user=request.user))


class RuleImpactApi(APIView):
    throttle_classes = [ImpactThrottle]

    @extend_schema(
        tags=["rules"],
        summary="Preview (and apply) a policy switch",
        description="Which open visits would change outcome if exactly these policy rules were "
        "enabled, and how. With `activate` the new rule set goes into force and the open "
        "visits are queued for a re-check. Approvers only.",
        request=s.ImpactIn,
        responses={200: s.ImpactOut, **errors(400, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        if not roles.can_manage_compliance(request.user):
            raise PermissionDenied("Only an approver may preview or change the rules in force.")
        data = s.ImpactIn(data=request.data)
        data.is_valid(raise_exception=True)
        candidate = services.ruleset_with_policies(
            enabled_policies=data.validated_data["enabled_policies"], actor=request.user
        )
        changes = services.ruleset_impact(candidate=candidate, user=request.user)
        queued = None
        if data.validated_data["activate"]:
            queued = services.ruleset_activate(
                ruleset=candidate, actor=request.user, note="activated after impact preview"
            )
        return Response(
            {
                "ruleset": candidate.version,
                "enabled_policies": candidate.enabled_policies,
                "changes": changes,
                "activated": data.validated_data["activate"],
                "rechecks_queued": queued,
            }
        )


class LicenceListApi(APIView):
    pagination_class = Pagination  # for the schema: the list is paginated by ``paginated()``

    @extend_schema(
        tags=["licences"],
        summary="Licences on file",
        description="Every licence and licence-like authorisation on file, by authority and "
        "number, with what it covers and whether it was revoked.",
        responses={200: s.LicenceOut(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        qs = Licence.objects.prefetch_related("facilities", "owners", "engineers").order_by(
            "authority", "number"
        )
        return paginated(request, qs, s.LicenceOut, self)

    @extend_schema(
        tags=["licences"],
        summary="Record a licence",
        description="Records a licence on file (approvers). Open visits it may cover are "
        "re-checked; a licence recorded by someone involved in a visit does not release it.",
        request=s.LicenceIn,
        responses={201: s.LicenceOut, **errors(400, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        data = s.LicenceIn(data=request.data)
        data.is_valid(raise_exception=True)
        licence = services.licence_create(user=request.user, **data.validated_data)
        return Response(s.LicenceOut(licence).data, status=201)


class FalsePositiveApi(APIView):
    @extend_schema(
        tags=["screening"],
        summary="Mark a screening hit a false positive",
        description="An approver dismisses a screening hit of one of a visit's parties, with a "
        "reason. The mark holds while the list entry is unchanged; it does not count for a "
        "visit its author requested or edited.",
        request=s.FalsePositiveIn,
        responses={201: s.FalsePositiveOut, **errors(400, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        data = s.FalsePositiveIn(data=request.data)
        data.is_valid(raise_exception=True)
        visit = visit_for(request, data.validated_data["visit"])
        mark = services.match_review_mark(
            visit=visit,
            party=data.validated_data["party"],
            entry_id=data.validated_data["entry_id"],
            reason=data.validated_data["reason"],
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
    pagination_class = Pagination  # for the schema: the list is paginated by ``paginated()``

    @extend_schema(
        tags=["audit"],
        summary="The audit log",
        description="Every audit event, newest first, with its actor and the old and new "
        "values. Approvers and auditors only.",
        responses={200: s.EventOut(many=True), **errors(400, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        if not (
            roles.can_approve(request.user) or roles.has_role(request.user, roles.Role.AUDITOR)
        ):
            raise PermissionDenied("Only approvers and auditors read the audit log.")
        return paginated(request, AuditEvent.objects.order_by("-pk"), s.EventOut, self)
