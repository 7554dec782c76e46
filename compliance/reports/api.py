"""REST API of the weekly audit reports (auditors and approvers only).

- ``GET /api/v1/reports/weekly/`` — the stored reports, newest first (paginated);
- ``GET /api/v1/reports/weekly/{yyyy-Www}/?format=json|csv|pdf|html`` — one week's report
  (``json`` by default). A stored report is always served. A week with none yet is generated and
  stored first if it has ended, is not before the week of the first recorded activity and is
  within the retention period (``REPORT_RETENTION_WEEKS``); any other week is a 404 naming the
  field ``week``, a malformed label a 400. Generating is throttled per user
  (``ReportGenerationThrottle``, 429); reading a stored report is not counted.

``format`` picks the report file here, not a DRF renderer: the views answer JSON themselves and
return the CSV zip, PDF and HTML as downloads.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.models import AuditReport
from compliance.reports import render, selectors, services
from config.api_base import Pagination, errors, query_params_check
from config.throttling import ReportGenerationThrottle


class _JsonOnly(APIView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        renderer = JSONRenderer()
        return renderer, renderer.media_type


class ReportOut(serializers.ModelSerializer):
    downloads = serializers.SerializerMethodField()

    class Meta:
        model = AuditReport
        fields = (
            "week",
            "period_start",
            "period_end",
            "time_zone",
            "generated_at",
            "content_hash",
            "emailed_at",
            "downloads",
        )

    @extend_schema_field(
        {
            "type": "object",
            "properties": {fmt: {"type": "string"} for fmt in services.FORMATS},
            "required": list(services.FORMATS),
        }
    )
    def get_downloads(self, obj: AuditReport) -> dict[str, str]:
        request = self.context.get("request")
        base = f"/api/v1/reports/weekly/{obj.week}/"
        if request is not None:
            base = request.build_absolute_uri(base)
        return {fmt: f"{base}?format={fmt}" for fmt in services.FORMATS}


class WeeklyReportListApi(_JsonOnly):
    pagination_class = Pagination  # for the schema: the list is paginated below

    @extend_schema(
        tags=["reports"],
        summary="Stored weekly audit reports",
        description="The weekly audit reports generated so far, newest first, each with its "
        "content hash and its download links. Auditors and approvers only.",
        responses={200: ReportOut(many=True), **errors(400, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        reports = selectors.report_list(user=request.user)
        query_params_check(request)
        paginator = Pagination()
        page = paginator.paginate_queryset(reports, request, view=self)
        out = ReportOut(page, many=True, context={"request": request})
        return paginator.get_paginated_response(out.data)


class WeeklyReportDetailApi(_JsonOnly):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "week",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="ISO week as YYYY-Www, e.g. 2026-W47; it must have ended.",
            ),
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=list(services.FORMATS),
                description="json (default), csv (a zip of one CSV per table), pdf or html.",
            ),
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "application/zip"): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "text/html"): OpenApiTypes.STR,
            **errors(400, 403, 404, 429),
        },
        tags=["reports"],
        summary="One week's audit report",
        description="One ended ISO week's audit report as JSON, a zip of CSV tables, PDF or "
        "HTML. A stored report is always served. A week with no stored report is generated and "
        "stored first, if it has ended, is not before the week of the first recorded activity "
        "and is within the retention period; any other week (not ended, before the first "
        "activity, too old, or non-existent such as 2026-W60) answers 404 naming `week`, and a "
        "malformed label 400. Generating is rate-limited per user (429 with Retry-After); "
        "reading a stored report is not. Auditors and approvers only.",
    )
    def get(self, request: Request, week: str) -> Any:
        selectors.report_reader_check(request.user)
        query_params_check(request, ("format",))
        fmt = services.report_format_check(request.query_params.get("format") or "json")
        report = services.report_weekly_serve(
            week=services.report_week_parse(week),
            before_generating=lambda: self._generation_allowed(request),
        )
        if fmt == "json":
            return Response(render.report_document(report.content, services.report_meta(report)))
        data, content_type, filename = services.report_file(report, fmt)
        response = HttpResponse(data, content_type=content_type)
        disposition = "inline" if fmt == "html" else "attachment"
        response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
        response["X-Content-Hash"] = report.content_hash
        return response

    def _generation_allowed(self, request: Request) -> None:
        """Count this request against the generation limit, or answer 429: only a generation is
        counted, so the throttle is applied here rather than in ``throttle_classes``."""
        throttle = ReportGenerationThrottle()
        if not throttle.allow_request(request, self):
            self.throttled(request, throttle.wait())
