"""Email notifications, sent after the transaction that caused them has committed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string

from compliance.models import Decision
from dispatch.models import HOLD_STATUSES
from dispatch.roles import Role

logger = logging.getLogger(__name__)


def _approver_emails() -> list[str]:
    return list(
        get_user_model()
        .objects.filter(groups__name=Role.APPROVER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def _decisions(decision_ids: list[int]) -> Any:
    return (
        Decision.objects.filter(pk__in=decision_ids)
        .select_related("visit__requested_by", "visit__facility", "visit__vendor")
        .defer("document", "screening_input", "licences_input")
        .order_by("pk")
    )


def _send(decision: Any, previous_status: str, approvers: Callable[[], list[str]]) -> None:
    visit = decision.visit
    url = f"{settings.SITE_URL.rstrip('/')}/visits/{visit.pk}/"
    context = {
        "decision": decision,
        "visit": visit,
        "url": url,
        "findings": decision.result.get("findings", []),
    }
    subject = f"Visit #{visit.pk} {visit.get_status_display().lower()}: {visit.facility.name}"
    try:
        requester = visit.requested_by
        if requester.email:
            send_mail(
                subject,
                render_to_string("emails/decision.txt", context),
                settings.DEFAULT_FROM_EMAIL,
                [requester.email],
            )
        if visit.status in HOLD_STATUSES and previous_status not in HOLD_STATUSES:
            emails = approvers()
            if emails:
                send_mail(
                    f"Hold to review — {subject}",
                    render_to_string("emails/hold.txt", context),
                    settings.DEFAULT_FROM_EMAIL,
                    emails,
                )
    except Exception:
        logger.exception("Could not send the notification for decision %s", decision.pk)


def notify_decisions(notices: list[tuple[int, str]]) -> None:
    """After a chunk of decisions commits: notify where the visit's status changed (a re-check that
    changes nothing does not flood inboxes), reading the chunk's decisions in one query and the
    approvers at most once."""
    previous = dict(notices)
    approvers: list[str] | None = None

    def approver_emails() -> list[str]:
        nonlocal approvers
        if approvers is None:
            approvers = _approver_emails()
        return approvers

    for decision in _decisions(list(previous)):
        previous_status = previous[decision.pk]
        if decision.visit.status == previous_status:
            continue
        _send(decision, previous_status, approver_emails)


def notify_list_refused(source_name: str, url: str, reason: str) -> None:
    """Tell the approvers that a list download was refused and the snapshot in force stays."""
    emails = _approver_emails()
    if not emails:
        return
    try:
        send_mail(
            f"List refresh refused — {source_name}",
            render_to_string(
                "emails/list_refused.txt",
                {
                    "source": source_name,
                    "url": url,
                    "reason": reason,
                    "admin_url": f"{settings.SITE_URL.rstrip('/')}/admin/compliance/listsource/",
                },
            ),
            settings.DEFAULT_FROM_EMAIL,
            emails,
        )
    except Exception:
        logger.exception("Could not send the list refusal notice for %s", source_name)
