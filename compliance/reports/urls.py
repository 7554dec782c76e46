"""``/api/v1/reports/weekly/`` (included from ``config.urls``)."""

from django.urls import path

from compliance.reports import api

urlpatterns = [
    path("", api.WeeklyReportListApi.as_view(), name="api-reports-weekly"),
    path("<str:week>/", api.WeeklyReportDetailApi.as_view(), name="api-report-weekly"),
]
