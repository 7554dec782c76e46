"""The hold page's parts and its decide pages: the decision and history as HTML, the approve,
reject and false-positive forms, and the views behind them (mixed into ``HoldAdmin``).

Only the actions the user may take are offered, the others with the reason they are not
(``compliance.services.approvals.decide_refusals``); the services still enforce every guard. The
approve form lists the licences proposed for the visit (``licence_proposals``).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join

from compliance import services
from compliance.models import Approval, AuditEvent, Licence
from compliance.services.approvals import decide_refusals
from compliance.services.licence_proposals import licences_listed, licences_proposed
from config.errors import ApplicationError
from dispatch import roles
from dispatch.validators import validate_multiline_text

CARD_TEMPLATE = "compliance/_decision_card.html"


def when(value: dt.datetime | None) -> str:
    """A time as people read it, in the current time zone and labelled: "7 Dec 2026 09:14 UTC"."""
    if value is None:
        return "—"
    return date_format(timezone.localtime(value), "j M Y H:i T")


class ApproveForm(forms.Form):
    licence = forms.ModelChoiceField(
        queryset=Licence.objects.none(),
        required=False,
        help_text="Required to release a licence-required hold: a licence that covers it.",
    )
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}), min_length=services.MIN_JUSTIFICATION
    )

    def __init__(self, *args: Any, visit: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the licences listed for this visit can be picked (another vendor's id is refused).
        self.fields["licence"].queryset = licences_listed(visit)


class FalsePositiveForm(forms.Form):
    hit = forms.ChoiceField(label="Screening hit")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        min_length=services.MIN_JUSTIFICATION,
        validators=[validate_multiline_text],
        help_text="Why this party is not the listed entry (e.g. registration number, address, date of birth).",
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hit"].choices = choices


class RejectForm(forms.Form):
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}), min_length=services.MIN_JUSTIFICATION
    )


def decision_html(visit: Any) -> str:
    decision = visit.current_decision
    if decision is None:
        return format_html("<p>{}</p>", "No decision yet: the check is under way.")
    result = decision.result
    rows = format_html_join(
        "",
        "<tr><td><strong>{}</strong><br><small>{}</small></td><td>{}</td><td><a href='{}' target='_blank' rel='noopener noreferrer'>{}</a></td><td>{}<br><small>{}</small></td><td>{}</td></tr>",
        (
            (
                f["rule"],
                f.get("title", ""),
                f["effect"].replace("_", " "),
                f.get("source_url") or "#",
                f.get("citation", ""),
                f.get("message", ""),
                "; ".join(
                    f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                    for k, v in (f.get("facts") or {}).items()
                ),
                f.get("covered_by_licence") or "—",
            )
            for f in result.get("findings", [])
        ),
    )
    hits = format_html_join(
        "",
        "<li><strong>{}</strong> {} ≈ {} (score {}){}<br><small>{}</small></li>",
        (
            (
                h["list"],
                h["name"],
                h["entry"],
                h["score"],
                " — marked false positive" if h.get("false_positive") else "",
                h.get("explanation", ""),
            )
            for h in result.get("screening", [])
        ),
    )
    return format_html(
        "<p>Outcome <strong>{}</strong> (status {}), decided {} — rules {} · list {}.</p>{}"
        '<div class="hold-findings"><table><thead><tr><th>Rule</th><th>Effect</th><th>Citation</th><th>Why (facts)</th><th>Licence</th></tr></thead><tbody>{}</tbody></table></div>'
        "{}<p><small>Decision support, not legal advice. Screening hits must be confirmed against the official list.</small></p>",
        str(result.get("outcome") or "").replace("_", " "),
        visit.get_status_display(),
        when(decision.decided_at),
        (decision.rules_version or "")[:12],
        decision.lists_version or "none",
        format_html("<p><strong>Why it changed:</strong> {}</p>", decision.change_reason)
        if decision.change_reason
        else "",
        rows or format_html("<tr><td colspan=5>{}</td></tr>", "No findings."),
        format_html("<h4>Screening hits</h4><ul>{}</ul>", hits) if hits else "",
    )


def history_html(visit: Any) -> str:
    decisions = format_html_join(
        "",
        "<li>{} — decision #{}: {} ({}){}</li>",
        (
            (
                when(d.decided_at),
                d.pk,
                d.outcome.replace("_", " "),
                d.get_trigger_display(),
                f" — {d.change_reason}" if d.change_reason else "",
            )
            for d in visit.decisions.order_by("-decided_at")[:50]
        ),
    )
    approvals = format_html_join(
        "",
        "<li>{} — {} by {}: {}{}</li>",
        (
            (
                when(a.created_at),
                a.get_action_display(),
                a.actor,
                a.justification,
                f" (licence {a.licence})" if a.licence_id else "",
            )
            for a in Approval.objects.filter(visit=visit).select_related("actor", "licence")
        ),
    )
    events = format_html_join(
        "",
        "<li>#{} {} — {} by {}</li>",
        (
            (e.pk, when(e.created_at), e.get_event_type_display(), e.actor_name)
            for e in AuditEvent.objects.filter(
                object_type="dispatch.Visit", object_id=str(visit.pk)
            ).order_by("-pk")[:50]
        ),
    )
    return format_html(
        "<h4>Decisions</h4><ul>{}</ul><h4>Approvals</h4><ul>{}</ul><h4>Audit events</h4><ul>{}</ul>",
        decisions,
        approvals or "—",
        events,
    )


def card_context(visit: Any, user: Any) -> dict[str, Any] | None:
    """The shared decision card for this visit, once the product has one; None until then."""
    template = os.path.join(settings.BASE_DIR, "templates", CARD_TEMPLATE)
    if not os.path.exists(template):
        return None
    try:
        from compliance.presentation.card import decision_card  # type: ignore[import-not-found]
    except ImportError:
        return None
    return decision_card(visit, user=user)


def with_filters(opts: Any, preserved: str, url: str) -> str:
    """``url`` carrying the queue's filters (the admin's preserved filters)."""
    return add_preserved_filters({"preserved_filters": preserved, "opts": opts}, url)


class HoldDecideViews:
    """The approve, reject and false-positive pages of ``HoldAdmin``."""

    # Mixed into a ModelAdmin that provides admin_site, model, message_user,
    # get_preserved_filters and _hold_or_404 (a hold the user may see, or 404).
    admin_site: Any
    model: Any

    def hold_actions(self, request: HttpRequest, visit: Any) -> list[dict[str, str]]:
        """The decide actions as the page offers them: a link, or the reason there is none."""
        refusals = decide_refusals(visit=visit, user=request.user)
        preserved = self.get_preserved_filters(request)
        actions = []
        for action, label in (("approve", "Approve…"), ("reject", "Reject…")):
            url = reverse(f"admin:compliance_hold_{action}", args=[visit.pk])
            actions.append(
                {
                    "label": label,
                    "url": ""
                    if action in refusals
                    else with_filters(self.model._meta, preserved, url),
                    "reason": refusals.get(action, ""),
                }
            )
        if roles.can_manage_compliance(request.user):
            url = reverse("admin:compliance_hold_false_positive", args=[visit.pk])
            actions.append(
                {
                    "label": "Mark a screening hit false positive…",
                    "url": with_filters(self.model._meta, preserved, url),
                    "reason": "",
                }
            )
        return actions

    def _back_to_queue(self, request: HttpRequest) -> HttpResponseRedirect:
        url = reverse("admin:compliance_hold_changelist")
        return HttpResponseRedirect(
            with_filters(self.model._meta, self.get_preserved_filters(request), url)
        )

    def _page(self, request: HttpRequest, visit: Any, **context: Any) -> TemplateResponse:
        preserved = self.get_preserved_filters(request)
        return TemplateResponse(
            request,
            "admin/compliance/hold/decide.html",
            {
                **self.admin_site.each_context(request),
                "is_nav_sidebar_enabled": False,
                "visit": visit,
                "decision": decision_html(visit),
                "card": card_context(visit, request.user),
                "opts": self.model._meta,
                "preserved_filters": preserved,
                "queue_url": with_filters(
                    self.model._meta, preserved, reverse("admin:compliance_hold_changelist")
                ),
                **context,
            },
        )

    def _decide_view(self, request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
        visit = self._hold_or_404(request, pk)
        action = "approve" if approve else "reject"
        refusal = decide_refusals(visit=visit, user=request.user).get(action, "")
        if approve:
            form: forms.Form = ApproveForm(request.POST or None, visit=visit)
        else:
            form = RejectForm(request.POST or None)
        # A POST goes to the service even when the page would not offer the action: its guards
        # are the source of truth, and its refusal is what the user reads.
        if request.method == "POST" and form.is_valid():
            try:
                if approve:
                    services.visit_approve(
                        visit=visit,
                        user=request.user,
                        justification=form.cleaned_data["justification"],
                        licence=form.cleaned_data.get("licence"),
                    )
                else:
                    services.visit_reject(
                        visit=visit,
                        user=request.user,
                        justification=form.cleaned_data["justification"],
                    )
            except ApplicationError as exc:
                placed = False
                for field, errs in exc.errors.items():
                    if field in form.fields:
                        for e in errs:
                            form.add_error(field, e)
                        placed = True
                if not placed:
                    form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    f"Visit #{visit.pk} {'approved' if approve else 'rejected'}.",
                    messages.SUCCESS,
                )
                return self._back_to_queue(request)
        proposals = licences_proposed(visit) if approve and not refusal else []
        chosen = str(form["licence"].value() or "") if approve else ""
        if approve and request.method != "POST":
            chosen = next((str(p.licence.pk) for p in proposals if p.covers_all), "")
        return self._page(
            request,
            visit,
            title=f"{'Approve' if approve else 'Reject'} visit #{visit.pk}",
            form=form,
            approve=approve,
            refusal=refusal,
            proposals=proposals,
            chosen_licence=chosen,
        )

    def false_positive_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Mark one screening hit of this hold as a false positive for that party, with a reason."""
        visit = self._hold_or_404(request, pk)
        hits = [
            h
            for h in (visit.current_decision.screening_input if visit.current_decision else [])
            if not h.get("false_positive")
        ]
        choices = [
            (
                f"{h['party']}|{h['entry_id']}",
                f"{h['name']} ≈ {h['entry_name']} ({h['list_code']}, score {h['score']})",
            )
            for h in hits
        ]
        form = FalsePositiveForm(request.POST or None, choices=choices)
        if request.method == "POST" and form.is_valid():
            party, entry_id = form.cleaned_data["hit"].split("|", 1)
            try:
                services.match_review_mark(
                    visit=visit,
                    party=party,
                    entry_id=entry_id,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    "Hit marked as a false positive; the visit is being re-checked.",
                    messages.SUCCESS,
                )
                return self._back_to_queue(request)
        return self._page(
            request,
            visit,
            title=f"Mark a screening hit of visit #{visit.pk} as a false positive",
            form=form,
            approve=None,
            refusal="",
            proposals=[],
            chosen_licence="",
        )

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide_view(request, pk, approve=True)

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide_view(request, pk, approve=False)
