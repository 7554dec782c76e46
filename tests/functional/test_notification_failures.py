"""A notice that cannot be sent is logged as an error, naming what and to whom, and retried with
backoff, never dropped silently; a subject is one line whatever the names in it carry."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail import send_mail as django_send_mail

from compliance import mail as compliance_mail
from compliance import notifications
from dispatch import services
from dispatch.models import Facility, Visit

pytestmark = pytest.mark.django_db


def _file(world, committed):
    start = dt.date.today() + dt.timedelta(days=10)
    with committed():
        visit = services.visit_create(
            requested_by=world.lam_manager,
            vendor=world.lam.pk,
            facility=world.mature.pk,
            engineers=[world.lam_engineer.pk],
            activity="maintenance",
            start_date=start,
            end_date=start,
        )
    return Visit.objects.get(pk=visit.pk)


def _errors(caplog):
    return [r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "compliance.mail"]


def test_a_notice_whose_first_send_fails_is_logged_as_an_error_and_sent_on_the_retry(
    world, committed, caplog
):
    calls = []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return django_send_mail(*args, **kwargs)

    with mock.patch.object(compliance_mail, "send_mail", side_effect=flaky):
        visit = _file(world, committed)
    assert visit.status == "cleared"
    assert len(calls) == 2  # the first attempt and its retry
    errors = _errors(caplog)
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert f"visit #{visit.pk}" in message and world.lam_manager.email in message
    assert "attempt 1 of 11, will retry" in message
    assert errors[0].exc_info[0] is smtplib.SMTPServerDisconnected
    assert [m.to for m in mail.outbox] == [[world.lam_manager.email]]


def test_a_notice_that_never_goes_out_is_logged_at_every_attempt_and_the_last_gives_up(
    world, committed, caplog
):
    refused = smtplib.SMTPRecipientsRefused({world.lam_manager.email: (550, b"no")})
    with mock.patch.object(compliance_mail, "send_mail", side_effect=refused) as send:
        visit = _file(world, committed)
    assert visit.status == "cleared"  # the filing stands; only the notice failed
    assert send.call_count == compliance_mail.MAX_RETRIES + 1
    errors = _errors(caplog)
    assert len(errors) == compliance_mail.MAX_RETRIES + 1
    assert "giving up" in errors[-1].getMessage()
    assert mail.outbox == []


def test_a_failed_send_schedules_a_retry_with_a_backoff_below_the_visibility_timeout():
    with (
        mock.patch.object(
            compliance_mail, "send_mail", side_effect=smtplib.SMTPServerDisconnected("gone")
        ),
        mock.patch.object(
            compliance_mail.send_email, "retry", return_value=Retry("retry", None)
        ) as retry,
    ):
        compliance_mail.send_email.apply(("Subject", "Body", ["a@example.com"], "a notice"))
    retry.assert_called_once()
    assert 0 < retry.call_args.kwargs["countdown"] <= 30
    assert isinstance(retry.call_args.kwargs["exc"], smtplib.SMTPServerDisconnected)
    assert all(0 < compliance_mail.retry_countdown(n) <= 240 for n in range(20))


def test_a_notice_the_queue_refuses_is_logged_as_an_error_and_sent_in_process(caplog):
    with mock.patch.object(
        compliance_mail.send_email, "delay", side_effect=ConnectionError("broker down")
    ):
        compliance_mail.email_send(
            subject="Visit #1 cleared", body="Body", recipients=["a@example.com"], what="a notice"
        )
    assert "Could not queue a notice" in _errors(caplog)[0].getMessage()
    assert [m.subject for m in mail.outbox] == ["Visit #1 cleared"]


def test_a_facility_name_with_a_line_break_stored_by_force_still_gets_its_notice_on_one_line(
    world, committed, caplog
):
    visit = _file(world, committed)
    mail.outbox.clear()
    Facility.objects.filter(pk=world.mature.pk).update(
        name="Fab 2\nBcc: everyone@example.com\r\n\tX"
    )
    notifications.notify_decisions([(visit.current_decision_id, "pending")])
    assert len(mail.outbox) == 1
    subject = mail.outbox[0].subject
    assert subject == f"Visit #{visit.pk} cleared: Fab 2 Bcc: everyone@example.com X"
    assert mail.outbox[0].to == [world.lam_manager.email]
    assert mail.outbox[0].bcc == []
    assert _errors(caplog) == []


def test_the_approval_notice_subject_is_one_line_too(world, committed):
    visit = _file(world, committed)
    Facility.objects.filter(pk=world.mature.pk).update(name="Fab\u20282\u202e")
    visit.refresh_from_db()
    mail.outbox.clear()
    notifications._mail_each(
        [world.lam_manager],
        f"Visit #{visit.pk} approved: Fab\u20282\u202e",
        "emails/decision.txt",
        {"visit": visit, "decision": visit.current_decision, "findings": []},
        visit,
        what="a test notice",
    )
    assert mail.outbox[0].subject == f"Visit #{visit.pk} approved: Fab 2"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a\nb", "a b"),
        ("a\r\n\tb", "a b"),
        ("  a   b  ", "a b"),
        ("a\x00b\x1bc", "a b c"),
        ("a\u2028b\u2029c", "a b c"),
        ("Fab\u202e1", "Fab 1"),
        ("Fab\u200b1", "Fab 1"),
    ],
)
def test_one_line_turns_every_refused_character_into_a_space(text, line):
    assert compliance_mail.one_line(text) == line


def test_one_line_cuts_a_long_subject():
    subject = compliance_mail.one_line("x" * 500)
    assert len(subject) == compliance_mail.MAX_SUBJECT_LENGTH and subject.endswith("…")
