"""The manager's visit list: search (number, engineer, facility, owner, purpose), status filter,
sorting by whitelisted keys, 50 per page, and the filtered list as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from config.csv_cells import SafeWriter
from dispatch import roles, selectors
from dispatch.forms import VisitFilterForm
from dispatch.models import Visit
from dispatch.validators import id_param

PAGE_SIZE = 50
# The sort keys a user may ask for, and the columns they order by (newest first by default).
SORTS = {
    "number": ("pk",),
    "start": ("start_date", "pk"),
    "status": ("status", "start_date", "pk"),
    "facility": ("facility__name", "start_date", "pk"),
    "filed": ("created_at", "pk"),
}


def _filtered(request: HttpRequest, form: VisitFilterForm) -> QuerySet[Visit]:
    visits = selectors.visits_for_list(request.user)
    if not form.is_valid():
        return visits.none()
    if form.cleaned_data["status"]:
        visits = visits.filter(status=form.cleaned_data["status"])
    term = (form.cleaned_data["q"] or "").strip()
    if term:
        query = (
            Q(facility__name__icontains=term)
            | Q(facility__customer__name__icontains=term)
            | Q(purpose__icontains=term)
            | Q(engineers__name__icontains=term)
            | Q(engineers__employee_id__iexact=term)
        )
        number = id_param(term.removeprefix("#"))
        if number:
            query |= Q(pk=number)
        # The engineer join gives one row per matching engineer: filter ids, not rows.
        visits = visits.filter(
            pk__in=selectors.visits_for_list(request.user).filter(query).values("pk")
        )
    return visits


def _ordering(request: HttpRequest) -> tuple[str, list[str]]:
    raw = request.GET.get("sort", "-filed")
    key = raw.removeprefix("-")
    if key not in SORTS:
        messages.warning(request, f"Cannot sort by {raw[:40]!r}: sorted by filing date instead.")
        raw, key = "-filed", "filed"
    descending = raw.startswith("-")
    return raw, [("-" if descending else "") + f for f in SORTS[key]]


@login_required
def visit_list(request: HttpRequest) -> HttpResponse:
    form = VisitFilterForm(request.GET or None)
    sort, order = _ordering(request)
    visits = _filtered(request, form).select_related(
        "facility__customer", "vendor", "current_decision"
    )
    visits = visits.order_by(*order)
    if request.GET.get("format") == "csv":
        return _csv(visits)
    page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    return render(
        request,
        "dispatch/visit_list.html",
        {
            "page": page,
            "visits": page.object_list,
            "form": form,
            "sort": sort,
            "query": query.urlencode(),
            "sort_query": sort_query.urlencode(),
            "can_file": roles.can_file_visits(request.user),
        },
    )


def _csv(visits: QuerySet[Visit]) -> StreamingHttpResponse:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = SafeWriter(Echo())
    header = [
        "number",
        "status",
        "outcome",
        "facility",
        "owner",
        "country",
        "activity",
        "start_date",
        "end_date",
        "vendor",
        "engineers",
        "filed_at",
    ]

    def rows() -> Iterator[Any]:
        yield writer.writerow(header)
        for v in visits.prefetch_related("engineers").iterator(chunk_size=500):
            decision = v.current_decision
            yield writer.writerow(
                [
                    v.pk,
                    v.status,
                    decision.outcome if decision else "",
                    v.facility.name,
                    v.facility.customer.name,
                    v.facility.country,
                    v.activity,
                    v.start_date.isoformat(),
                    v.end_date.isoformat(),
                    v.vendor.name,
                    "; ".join(e.name for e in v.engineers.all()),
                    v.created_at.isoformat(),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="visits.csv"'
    return response
