"""Service-manager pages: server-rendered, scoped through selectors, writing through services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from compliance.checks.compact import latest_reconfirmation
from compliance.lifecycle import can_move
from compliance.presentation import decision_card
from compliance.services import visit_suggestions
from config.errors import ApplicationError
from dispatch import roles, selectors, services
from dispatch.forms import VisitForm
from dispatch.models import Visit, VisitStatus
from dispatch.views_visit_edit import form_errors, refile_source


def _visit_or_404(request: HttpRequest, pk: int) -> Visit:
    visit = selectors.visits_visible_to(request.user).filter(pk=pk).first()
    if visit is None:
        raise Http404("No such visit.")
    return visit


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request: HttpRequest) -> HttpResponse:
    if not roles.can_file_visits(request.user):
        raise Http404("Your role does not file visits.")
    # Prefilled from the query (the dispatch board's cells, links elsewhere): the form still
    # offers only the user's engineers and tools, and the service validates what is posted.
    initial: dict[str, object] = {
        k: request.GET[k]
        for k in ("facility", "activity", "mode", "start_date", "end_date")
        if request.GET.get(k)
    }
    for k in ("engineers", "tools"):
        ids = [v for v in request.GET.getlist(k) if v.isdigit()]
        if ids:
            initial[k] = ids
    form = VisitForm(request.POST or None, user=request.user, initial=initial)
    # A re-filed visit keeps what the page form does not show: its parties and items.
    source = refile_source(
        request, request.POST.get("refile_of") if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        carried = (
            {"parties": source.parties or [], "items": source.items} if source is not None else {}
        )
        try:
            visit = services.visit_create(
                requested_by=request.user,
                vendor=roles.user_vendor_id(request.user),
                **form.visit_fields(),
                **carried,
            )
        except ApplicationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, f"Visit #{visit.pk} filed.")
            return redirect("visit-detail", pk=visit.pk)
    return render(request, "dispatch/visit_form.html", {"form": form, "refile_of": source})


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    decision = visit.current_decision
    result = decision.result if decision else None
    suggestions = None
    if visit.is_held and roles.can_file_visits(request.user):
        try:
            suggestions = visit_suggestions(visit=visit, user=request.user)
        except ApplicationError:
            suggestions = None
    return render(
        request,
        "dispatch/visit_detail.html",
        {
            "visit": visit,
            "decision": decision,
            "result": result,
            "card": decision_card(visit, user=request.user),
            "reconfirmation": latest_reconfirmation(visit),
            "suggestions": suggestions,
            "engineers": list(visit.engineers.all()),
            "tools": visit.tools.all(),
            "is_pending": visit.is_check_pending,
            "can_cancel": roles.can_file_visits(request.user) and visit.is_open,
            "can_edit": roles.can_file_visits(request.user)
            and can_move(visit.status, VisitStatus.PENDING),
            "can_refile": roles.can_file_visits(request.user)
            and visit.status in (VisitStatus.REJECTED, VisitStatus.CANCELLED),
        },
    )


@login_required
def visit_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Polled by the visit page while a check is under way."""
    visit = _visit_or_404(request, pk)
    return JsonResponse(
        {
            "status": visit.status,
            "pending": visit.is_check_pending,
            "decision": visit.current_decision_id,
        }
    )


@login_required
@require_POST
def visit_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    try:
        services.visit_cancel(
            visit=visit, user=request.user, reason=request.POST.get("reason", "")[:1000]
        )
        messages.success(request, f"Visit #{visit.pk} cancelled.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("visit-detail", pk=visit.pk)
