"""Service-manager pages for their vendor's engineers: list, create, edit and CSV import.

Engineers are read through ``dispatch.selectors`` (another vendor's id answers 404, like an unknown
one) and written through ``dispatch.services`` (validation, audit, re-check of open visits); each
saved engineer is screened on arrival.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.errors import ApplicationError
from dispatch import roles, selectors, services
from dispatch.engineer_import import (
    MAX_BYTES,
    ImportRefused,
    export_csv,
    run_import,
    template_csv,
)
from dispatch.engineer_screening import screen_engineer, screening_message
from dispatch.forms_engineers import (
    CitizenshipFormSet,
    EngineerForm,
    EngineerImportConfirmForm,
    EngineerImportForm,
    ResidencyFormSet,
    formset_rows,
)
from dispatch.labels import us_person_basis
from dispatch.models import Engineer

SESSION_KEY = "engineer_import"


def _manager_vendor(request: HttpRequest) -> int:
    """The vendor whose engineers the user maintains; 404 for anyone who maintains none."""
    vendor_id = roles.user_vendor_id(request.user)
    if not roles.can_file_visits(request.user) or vendor_id is None:
        raise Http404("Your role does not maintain engineers.")
    return vendor_id


def _engineer_or_404(request: HttpRequest, vendor_id: int, pk: int) -> Engineer:
    engineer = (
        selectors.engineers_visible_to(request.user).filter(vendor_id=vendor_id, pk=pk).first()
    )
    if engineer is None:
        raise Http404("No such engineer.")
    return engineer


@login_required
@require_GET
def engineer_list(request: HttpRequest) -> HttpResponse:
    vendor_id = _manager_vendor(request)
    engineers = (
        selectors.engineers_visible_to(request.user)
        .filter(vendor_id=vendor_id)
        .prefetch_related("citizenships", "residencies")
        .order_by("name", "pk")
    )
    today = timezone.localdate()
    rows = [
        {
            "engineer": e,
            "nationalities": [c.country for c in e.citizenships.all()],
            "basis": us_person_basis(e, today),
        }
        for e in engineers
    ]
    return render(request, "dispatch/engineers/list.html", {"rows": rows})


def _apply_errors(form: Any, cits: Any, ress: Any, exc: ApplicationError) -> None:
    """A service's errors beside the fields (a citizenship's beside its row)."""
    for key, errs in exc.errors.items():
        base, _, rest = key.partition("[")
        base = base.split(".")[0]
        sets = {"citizenships": cits, "permanent_residencies": ress}
        if base in sets and rest:
            index_text, _, sub = rest.partition("]")
            sub = sub.lstrip(".") or None
            forms_ = sets[base].forms
            rows = [
                f
                for f in forms_
                if f.cleaned_data.get("country") and not f.cleaned_data.get("DELETE")
            ]
            try:
                target = rows[int(index_text)]
            except (ValueError, IndexError):
                target = None
            if target is not None:
                for e in errs:
                    target.add_error(sub if sub in target.fields else None, e)
                continue
        for e in errs:
            if base in form.fields:
                form.add_error(base, e)
            elif base in ("non_field_errors", "__all__"):
                form.add_error(None, e)
            else:
                form.add_error(None, f"{base.replace('_', ' ')}: {e}")
    if not exc.errors:
        form.add_error(None, exc.message)


def _initial(engineer: Engineer) -> tuple[dict[str, Any], list[dict], list[dict]]:
    data = {
        "name": engineer.name,
        "employee_id": engineer.employee_id,
        "home_country": engineer.home_country,
        "us_protected_individual": engineer.us_protected_individual,
        "date_of_birth": engineer.date_of_birth,
        "is_active": engineer.is_active,
    }
    cits = [{"country": c.country, "since": c.since} for c in engineer.citizenships.all()]
    ress = [
        {"country": r.country, "since": r.since, "until": r.until}
        for r in engineer.residencies.all()
    ]
    return data, cits, ress


def _engineer_form(request: HttpRequest, engineer: Engineer | None) -> HttpResponse:
    vendor_id = _manager_vendor(request)
    data = request.POST if request.method == "POST" else None
    initial, cit_initial, res_initial = _initial(engineer) if engineer else ({}, [], [])
    form = EngineerForm(data, initial=initial or {"is_active": True})
    # A posted row counts whatever it held before (no initial to compare it with, so an
    # unchanged row is not dropped as an untouched extra one).
    cits = CitizenshipFormSet(data, initial=None if data else cit_initial, prefix="cit")
    ress = ResidencyFormSet(data, initial=None if data else res_initial, prefix="res")
    if request.method == "POST" and all([form.is_valid(), cits.is_valid(), ress.is_valid()]):
        fields = dict(form.cleaned_data)
        rows_c = formset_rows(cits, ("country", "since"))
        rows_r = formset_rows(ress, ("country", "since", "until"))
        try:
            with transaction.atomic():
                if engineer is None:
                    saved = services.engineer_create(
                        user=request.user,
                        vendor=vendor_id,
                        citizenships=rows_c,
                        permanent_residencies=rows_r,
                        **fields,
                    )
                else:
                    saved = services.engineer_update(
                        engineer=engineer,
                        user=request.user,
                        citizenships=rows_c,
                        permanent_residencies=rows_r,
                        **fields,
                    )
        except ApplicationError as exc:
            _apply_errors(form, cits, ress, exc)
        else:
            verb = "added" if engineer is None else "saved"
            messages.success(request, f"{saved.name} {verb}.")
            messages.info(request, screening_message(saved, screen_engineer(saved)))
            return redirect("engineer-list")
    return render(
        request,
        "dispatch/engineers/form.html",
        {"form": form, "cits": cits, "ress": ress, "engineer": engineer},
    )


@login_required
@require_http_methods(["GET", "POST"])
def engineer_new(request: HttpRequest) -> HttpResponse:
    return _engineer_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def engineer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    vendor_id = _manager_vendor(request)
    return _engineer_form(request, _engineer_or_404(request, vendor_id, pk))


# --- CSV import ------------------------------------------------------------------------------


@login_required
@require_GET
def engineer_import_template(request: HttpRequest) -> HttpResponse:
    _manager_vendor(request)
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="engineers-template.csv"'
    return response


@login_required
@require_GET
def engineer_export(request: HttpRequest) -> HttpResponse:
    vendor_id = _manager_vendor(request)
    response = HttpResponse(
        export_csv(user=request.user, vendor_id=vendor_id), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="engineers.csv"'
    return response


def _import_page(request: HttpRequest, **context: Any) -> HttpResponse:
    context.setdefault("form", EngineerImportForm())
    report = context.get("report")
    if report is not None:
        context.update({k: report.count(k) for k in ("new", "changed", "unchanged")})
        context["errors"] = report.count("error")
    return render(request, "dispatch/engineers/import.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def engineer_import(request: HttpRequest) -> HttpResponse:
    """Upload → dry run. The file is kept in the user's session with its digest, so the confirm
    imports these very bytes again (and validates them again) rather than trusting the preview."""
    vendor_id = _manager_vendor(request)
    if request.method != "POST":
        return _import_page(request)
    form = EngineerImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, form=form)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_BYTES:
        form.add_error("file", f"The file is larger than {MAX_BYTES // 1024} KiB: split it.")
        return _import_page(request, form=form)
    raw = upload.read(MAX_BYTES + 1)
    try:
        report = run_import(user=request.user, vendor_id=vendor_id, raw=raw, dry_run=True)
    except ImportRefused as exc:
        form.add_error("file", str(exc))
        return _import_page(request, form=form)
    request.session.pop(SESSION_KEY, None)
    confirm = None
    if not report.errors:
        digest = hashlib.sha256(raw).hexdigest()
        request.session[SESSION_KEY] = {
            "digest": digest,
            "user": request.user.pk,
            "vendor": vendor_id,
            "data": base64.b64encode(raw).decode("ascii"),
            "filename": upload.name[:200],
        }
        confirm = EngineerImportConfirmForm(initial={"digest": digest})
    return _import_page(
        request, form=form, report=report, confirm=confirm, filename=upload.name, dry_run=True
    )


@login_required
@require_POST
def engineer_import_confirm(request: HttpRequest) -> HttpResponse:
    vendor_id = _manager_vendor(request)
    form = EngineerImportConfirmForm(request.POST)
    stored = request.session.get(SESSION_KEY)
    raw = base64.b64decode(stored["data"]) if stored else b""
    if (
        not form.is_valid()
        or not stored
        or stored.get("user") != request.user.pk
        or stored.get("vendor") != vendor_id
        or stored.get("digest") != form.cleaned_data["digest"]
        or hashlib.sha256(raw).hexdigest() != stored.get("digest")
    ):
        messages.error(request, "Nothing to confirm: upload the file again.")
        return redirect("engineer-import")
    request.session.pop(SESSION_KEY, None)  # one confirm per upload, whatever happens
    try:
        report = run_import(user=request.user, vendor_id=vendor_id, raw=raw, dry_run=False)
    except ImportRefused as exc:
        messages.error(request, str(exc))
        return redirect("engineer-import")
    return _import_page(request, report=report, filename=stored.get("filename", ""), dry_run=False)
