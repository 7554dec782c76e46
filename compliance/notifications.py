"""Email notifications, sent after the transaction that caused them has committed."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string

from dispatch.roles import Role

logger = logging.getLogger(__name__)

HOLD_STATUSES = ("on_hold", "blocked")


def notify_decision(*, decision_id: int, previous_status: str) -> None:
    """The requester hears of every decision; approvers of every new hold."""
    from compliance.models import Decision

    decision = Decision.objects.select_related(
        "visit__requested_by", "visit__facility", "visit__vendor"
    ).get(pk=decision_id)
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
            approvers = list(
                get_user_model()
                .objects.filter(groups__name=Role.APPROVER, is_active=True)
                .exclude(email="")
                .values_list("email", flat=True)
            )
            if approvers:
                send_mail(
                    f"Hold to review — {subject}",
                    render_to_string("emails/hold.txt", context),
                    settings.DEFAULT_FROM_EMAIL,
                    approvers,
                )
    except Exception:
        logger.exception("Could not send the notification for decision %s", decision_id)


def notify_decisions(notices: list[tuple[int, str]]) -> None:
    """After a chunk of decisions commits: notify where the visit's status changed (a re-check that
    changes nothing does not flood inboxes)."""
    from compliance.models import Decision

    statuses = dict(
        Decision.objects.filter(pk__in=[d for d, _ in notices]).values_list("pk", "visit__status")
    )
    for decision_id, previous_status in notices:
        if statuses.get(decision_id) != previous_status:
            notify_decision(decision_id=decision_id, previous_status=previous_status)
