from django.contrib import admin
from django.urls import include, path

from compliance.api import views as capi
from config import health
from config.auth import ObtainTokenApi
from config.docs import DocsView, SchemaView
from dispatch.api import views as dapi

api_v1 = [
    path("auth/token/", ObtainTokenApi.as_view(), name="api-token"),
    path("checks/", capi.CheckApi.as_view(), name="api-checks"),
    path("vendors/", dapi.VendorListApi.as_view(), name="api-vendors"),
    path("vendors/<int:pk>/", dapi.VendorDetailApi.as_view(), name="api-vendor"),
    path("engineers/", dapi.EngineerListApi.as_view(), name="api-engineers"),
    path("engineers/<int:pk>/", dapi.EngineerDetailApi.as_view(), name="api-engineer"),
    path("customers/", dapi.CustomerListApi.as_view(), name="api-customers"),
    path("customers/<int:pk>/", dapi.CustomerDetailApi.as_view(), name="api-customer"),
    path("facilities/", dapi.FacilityListApi.as_view(), name="api-facilities"),
    path("facilities/<int:pk>/", dapi.FacilityDetailApi.as_view(), name="api-facility"),
    path("tools/", dapi.ToolListApi.as_view(), name="api-tools"),
    path("tools/<int:pk>/", dapi.ToolDetailApi.as_view(), name="api-tool"),
    path("visits/", dapi.VisitListApi.as_view(), name="api-visits"),
    path("visits/<int:pk>/", dapi.VisitDetailApi.as_view(), name="api-visit"),
    path("visits/<int:pk>/cancel/", dapi.VisitCancelApi.as_view(), name="api-visit-cancel"),
    path("visits/<int:pk>/recheck/", dapi.VisitRecheckApi.as_view(), name="api-visit-recheck"),
    path("visits/<int:pk>/approve/", capi.VisitApproveApi.as_view(), name="api-visit-approve"),
    path("visits/<int:pk>/reject/", capi.VisitRejectApi.as_view(), name="api-visit-reject"),
    path(
        "visits/<int:pk>/suggestions/",
        capi.VisitSuggestionsApi.as_view(),
        name="api-visit-suggestions",
    ),
    path("visits/<int:pk>/history/", capi.VisitHistoryApi.as_view(), name="api-visit-history"),
    path("screening/lists/", capi.ScreeningListsApi.as_view(), name="api-screening-lists"),
    path("screening/search/", capi.ScreeningSearchApi.as_view(), name="api-screening-search"),
    path("rules/", capi.RuleListApi.as_view(), name="api-rules"),
    path("rules/impact/", capi.RuleImpactApi.as_view(), name="api-rules-impact"),
    path("audit/events/", capi.AuditEventListApi.as_view(), name="api-audit-events"),
    path("licences/", capi.LicenceListApi.as_view(), name="api-licences"),
    path("screening/false-positives/", capi.FalsePositiveApi.as_view(), name="api-false-positives"),
    path("reports/weekly/", include("compliance.reports.urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("healthz/system", health.system_health, name="healthz-system"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("dispatch.urls")),
]

# Unknown URLs under /api/ answer in the API error shape (JSON), not an HTML page.
handler404 = "config.api.not_found"
