"""Changing a visit on the manager's pages: edit it (re-checked, any approval dropped), swap in an
engineer the page suggests, or re-file a rejected visit as a new one. Every write goes through
``services.visit_update`` / ``visit_create``, which guard the lifecycle, the vendor and the dates."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from compliance.lifecycle import can_move
from config.errors import ApplicationError
from dispatch import roles, selectors, services
from dispatch.forms import VisitForm
from dispatch.models import Visit, VisitStatus
from dispatch.validators import id_param


def _own_visit(request: HttpRequest, pk: int) -> Visit:
    if not roles.can_file_visits(request.user):
        raise Http404("Your role does not change visits.")
    visit = selectors.visits_visible_to(request.user).filter(pk=pk).first()
    if visit is None:
        raise Http404("No such visit.")
    return visit


def visit_initial(visit: Visit) -> dict[str, Any]:
    """The filing form's fields as the visit has them."""
    return {
        "facility": visit.facility_id,
        "engineers": [e.pk for e in visit.engineers.all()],
        "tools": [t.pk for t in visit.tools.all()],
        "activity": visit.activity,
        "mode": visit.mode,
        "start_date": visit.start_date,
        "end_date": visit.end_date,
        "purpose": visit.purpose,
    }


def form_errors(form: VisitForm, exc: ApplicationError) -> None:
    """A service's field errors beside the form's fields (``engineers[0]`` → ``engineers``)."""
    for field, errs in exc.errors.items():
        name = field.split("[")[0].split(".")[0]
        for e in errs:
            form.add_error(name if name in form.fields else None, e)
    if not exc.errors:
        form.add_error(None, exc.message)


@login_required
@require_http_methods(["GET", "POST"])
def visit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _own_visit(request, pk)
    if not can_move(visit.status, VisitStatus.PENDING):
        messages.error(request, f"A {visit.get_status_display().lower()} visit cannot be changed.")
        return redirect("visit-detail", pk=visit.pk)
    initial = visit_initial(visit)
    if request.method == "GET" and request.GET.get("facility"):
        initial["facility"] = request.GET["facility"]
    form = VisitForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_update(visit=visit, user=request.user, **form.visit_fields())
        except ApplicationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, f"Visit #{visit.pk} changed: it is being checked again.")
            return redirect("visit-detail", pk=visit.pk)
    return render(
        request,
        "dispatch/visit_form.html",
        {
            "form": form,
            "heading": f"Change visit #{visit.pk}",
            "submit": "Save and re-check",
            "note": "Saving re-checks the visit; an approval it had no longer counts, and you may "
            "not approve it yourself.",
            "visit": visit,
        },
    )


@login_required
@require_POST
def visit_swap(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace one of the visit's engineers with a suggested one (the same vendor's, active)."""
    visit = _own_visit(request, pk)
    on_visit = [e.pk for e in visit.engineers.all()]
    replace, by = id_param(request.POST.get("out")), id_param(request.POST.get("in"))
    if not (replace and by):
        messages.error(request, "Choose the engineer to replace and the one to send instead.")
        return redirect("visit-detail", pk=visit.pk)
    engineers = [by if pk_ == replace else pk_ for pk_ in on_visit] if replace in on_visit else []
    if not engineers:
        messages.error(request, "That engineer is not on this visit.")
        return redirect("visit-detail", pk=visit.pk)
    try:
        services.visit_update(
            visit=visit, user=request.user, engineers=list(dict.fromkeys(engineers))
        )
    except ApplicationError as exc:
        problems = "; ".join(m for errs in exc.errors.values() for m in errs) or exc.message
        messages.error(request, f"The engineer was not swapped: {problems}")
    else:
        messages.success(request, f"Visit #{visit.pk} changed: it is being checked again.")
    return redirect("visit-detail", pk=visit.pk)


def refile_source(request: HttpRequest, value: object) -> Visit | None:
    """The rejected or cancelled visit a filing re-files, if the user may see it."""
    pk = id_param(value)
    if not pk:
        return None
    return (
        selectors.visits_visible_to(request.user)
        .filter(pk=pk, status__in=(VisitStatus.REJECTED, VisitStatus.CANCELLED))
        .first()
    )


@login_required
@require_http_methods(["GET"])
def visit_refile(request: HttpRequest, pk: int) -> HttpResponse:
    """A new filing form prefilled from a rejected or cancelled visit (new dates to choose)."""
    visit = _own_visit(request, pk)
    if visit.status not in (VisitStatus.REJECTED, VisitStatus.CANCELLED):
        messages.error(request, "Only a rejected or cancelled visit is re-filed; change this one.")
        return redirect("visit-detail", pk=visit.pk)
    initial = visit_initial(visit)
    form = VisitForm(user=request.user, initial=initial)
    return render(
        request,
        "dispatch/visit_form.html",
        {
            "form": form,
            "heading": f"Re-file visit #{visit.pk} as a new visit",
            "submit": "File visit",
            "action": "visit-new",
            "note": f"Prefilled from visit #{visit.pk} ({visit.get_status_display().lower()}); "
            "it stays as it was. Check the dates: a visit is filed before it starts.",
            "refile_of": visit,
        },
    )
