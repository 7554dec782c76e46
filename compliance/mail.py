"""Sending the product's emails: a Celery task per message that retries with backoff, so an
email that cannot be sent (the SMTP server refuses it, the connection drops, a header is refused)
is logged as an error, naming what was not sent and to whom, and tried again, never dropped.

Subjects are made one line whatever they interpolate: a name stored before names were validated
(or written around the validation) must not make Django refuse the header and the notice vanish.
"""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from config.text import unsafe_characters

logger = logging.getLogger(__name__)

MAX_SUBJECT_LENGTH = 200
# Attempts after the first, and the backoff between them: 30 s, 1, 2, then 4 minutes each, about
# 20 to 30 minutes in all. Each wait stays below the broker's visibility timeout (300 s), or Redis
# would deliver the waiting retry a second time (and the email be sent twice).
MAX_RETRIES = 10
RETRY_BACKOFF_SECONDS = 30
RETRY_BACKOFF_MAX_SECONDS = 240


def one_line(text: str, *, limit: int = MAX_SUBJECT_LENGTH) -> str:
    """``text`` as a header value: every control, line-break, direction or invisible character
    becomes a space, runs of whitespace one space, and it is cut to ``limit`` characters."""
    refused = {position for position, _, _ in unsafe_characters(text)}
    spaced = "".join(" " if i in refused else ch for i, ch in enumerate(text))
    flat = " ".join(spaced.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def retry_countdown(retries: int) -> int:
    """Seconds before the next attempt, after ``retries`` retries: doubling, capped, jittered."""
    base = min(RETRY_BACKOFF_MAX_SECONDS, RETRY_BACKOFF_SECONDS << min(retries, 16))
    return base // 2 + random.randint(0, base // 2)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, name="compliance.tasks.send_email")
def send_email(self, subject: str, body: str, recipients: list[str], what: str = "") -> int:  # type: ignore[no-untyped-def]
    """Send one email; on failure log it at ERROR (what, to whom, which attempt) and retry."""
    subject = one_line(subject)
    try:
        return int(send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients))
    except Exception as exc:
        attempt = self.request.retries + 1
        final = self.request.retries >= self.max_retries
        logger.error(
            "Could not send %s to %s (attempt %d of %d, %s): %r",
            what or "an email",
            ", ".join(recipients),
            attempt,
            self.max_retries + 1,
            "giving up" if final else "will retry",
            subject,
            exc_info=True,
        )
        if final:
            raise
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc


def email_send(*, subject: str, body: str, recipients: list[str], what: str) -> None:
    """Queue one email (``send_email``, which makes its subject one line); ``what`` names it in
    the logs ("the approval notice of visit #12"). When even the queue refuses it, it is logged
    at ERROR and sent here, once."""
    if not recipients:
        return
    try:
        send_email.delay(subject, body, list(recipients), what)
    except Exception:
        logger.error(
            "Could not queue %s to %s; sending it now", what, ", ".join(recipients), exc_info=True
        )
        try:
            send_mail(one_line(subject), body, settings.DEFAULT_FROM_EMAIL, list(recipients))
        except Exception:
            logger.error("Could not send %s to %s", what, ", ".join(recipients), exc_info=True)
