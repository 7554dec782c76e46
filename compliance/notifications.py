"""Email notifications, sent after the transaction that caused them has committed.

Each email is queued on its own (``compliance.mail``): one that cannot be sent is logged as an
error and retried with backoff, never dropped; its subject is one line whatever names it carries.

Each recipient gets the page their role acts on: an approver the admin hold page of a held visit,
everyone else the visit page. Only people who may see the visit are mailed: the requester and
editors of the visit's own vendor, and approvers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import reverse

from compliance.mail import email_send
from compliance.models import Approval, Decision
from dispatch import roles
from dispatch.models import HOLD_STATUSES, VisitStatus
from dispatch.roles import Role

logger = logging.getLogger(__name__)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def visit_page_url(visit: Any) -> str:
    return _absolute(reverse("visit-detail", args=[visit.pk]))


def hold_page_url(visit: Any) -> str:
    return _absolute(reverse("admin:compliance_hold_change", args=[visit.pk]))


def visit_url_for(user: Any, visit: Any) -> str:
    """The page ``user`` acts on for ``visit``: the admin hold page for an approver while the
    visit is held (the queue shows only held visits), the visit page otherwise."""
    if roles.can_approve(user) and visit.status in HOLD_STATUSES:
        return hold_page_url(visit)
    return visit_page_url(visit)


def _approvers() -> list[Any]:
    return list(
        get_user_model()
        .objects.filter(groups__name=Role.APPROVER, is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def _may_see(user: Any, visit: Any) -> bool:
    if roles.sees_all_vendors(user):
        return True
    return roles.can_file_visits(user) and roles.user_vendor_id(user) == visit.vendor_id


def visit_recipients(visit: Any) -> list[Any]:
    """The requester and the editors of ``visit`` with an email address who may still see it (a
    user moved to another vendor is not mailed about this one)."""
    ids = {visit.requested_by_id, *(visit.editor_ids or [])} - {None}
    users = (
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .exclude(email="")
        .select_related("profile")
        .order_by("pk")
    )
    return [u for u in users if _may_see(u, visit)]


def _mail_each(
    users: Iterable[Any],
    subject: str,
    template: str,
    context: dict[str, Any],
    visit: Any,
    *,
    what: str,
) -> None:
    """One mail per user: the link differs by role."""
    for user in users:
        body = render_to_string(
            template, {**context, "url": visit_url_for(user, visit), "recipient": user}
        )
        email_send(subject=subject, body=body, recipients=[user.email], what=what)


def _decisions(decision_ids: list[int]) -> Any:
    return (
        Decision.objects.filter(pk__in=decision_ids)
        .select_related("visit__requested_by", "visit__facility", "visit__vendor")
        .defer("document", "screening_input", "licences_input")
        .order_by("pk")
    )


def _send(decision: Any, previous_status: str, approvers: Callable[[], list[Any]]) -> None:
    visit = decision.visit
    rehold = visit.status in HOLD_STATUSES and previous_status not in HOLD_STATUSES
    context = {
        "decision": decision,
        "visit": visit,
        "findings": decision.result.get("findings", []),
        "previous_status": previous_status,
        "is_rehold": rehold and previous_status == VisitStatus.APPROVED,
    }
    subject = f"Visit #{visit.pk} {visit.get_status_display().lower()}: {visit.facility.name}"
    what = f"the notice of decision {decision.pk} (visit #{visit.pk})"
    try:
        _mail_each(
            visit_recipients(visit), subject, "emails/decision.txt", context, visit, what=what
        )
        if rehold:
            _mail_each(
                approvers(),
                f"Hold to review — {subject}",
                "emails/hold.txt",
                context,
                visit,
                what=f"the hold notice of decision {decision.pk} (visit #{visit.pk})",
            )
    except Exception:
        logger.exception("Could not send the notification for decision %s", decision.pk)


def notify_decisions(notices: list[tuple[int, str]]) -> None:
    """After a chunk of decisions commits: notify where the visit's status changed (a re-check that
    changes nothing does not flood inboxes), reading the chunk's decisions in one query and the
    approvers at most once."""
    previous = dict(notices)
    approvers: list[Any] | None = None

    def approver_list() -> list[Any]:
        nonlocal approvers
        if approvers is None:
            approvers = _approvers()
        return approvers

    for decision in _decisions(list(previous)):
        previous_status = previous[decision.pk]
        if decision.visit.status == previous_status:
            continue
        _send(decision, previous_status, approver_list)


def notify_approval(approval_id: int) -> None:
    """After an approval or a rejection commits: tell the requester and the editors who decided,
    when and why."""
    approval = (
        Approval.objects.filter(pk=approval_id)
        .select_related("actor", "licence", "visit__facility", "visit__vendor")
        .first()
    )
    if approval is None:
        return
    visit = approval.visit
    verb = "approved" if approval.action == Approval.Action.APPROVE else "rejected"
    context = {
        "approval": approval,
        "visit": visit,
        "verb": verb,
        "actor": approval.actor.get_full_name() or approval.actor.get_username(),
    }
    try:
        _mail_each(
            visit_recipients(visit),
            f"Visit #{visit.pk} {verb}: {visit.facility.name}",
            "emails/approval.txt",
            context,
            visit,
            what=f"the {verb} notice of visit #{visit.pk} (approval {approval_id})",
        )
    except Exception:
        logger.exception("Could not send the notification for approval %s", approval_id)


def notify_list_refused(source_name: str, url: str, reason: str) -> None:
    """Tell the approvers that a list download was refused and the snapshot in force stays."""
    emails = [u.email for u in _approvers()]
    if not emails:
        return
    try:
        email_send(
            subject=f"List refresh refused — {source_name}",
            body=render_to_string(
                "emails/list_refused.txt",
                {
                    "source": source_name,
                    "url": url,
                    "reason": reason,
                    "admin_url": _absolute("/admin/compliance/listsource/"),
                },
            ),
            recipients=emails,
            what=f"the list refusal notice for {source_name}",
        )
    except Exception:
        logger.exception("Could not send the list refusal notice for %s", source_name)
