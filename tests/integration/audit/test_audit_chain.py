"""The audit log is append-only and hash-chained; tampering is found and named."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from compliance.audit import audit_chain_verify, audit_record
from compliance.models import AppendOnlyError, AuditEvent, Decision

pytestmark = pytest.mark.django_db


def _events(n: int) -> list[AuditEvent]:
    return [
        audit_record(event_type="reference_changed", object_type="test", object_id=i, new={"n": i})
        for i in range(n)
    ]


def test_an_intact_chain_verifies_ok(capsys):
    _events(5)
    assert audit_chain_verify().ok
    call_command("verify_audit_log")
    assert "OK: 5 audit events" in capsys.readouterr().out


def test_changing_one_stored_payload_fails_verification_and_names_that_event(capsys):
    events = _events(5)
    target = events[2]
    with connection.cursor() as cur:  # tampering bypasses the model, as an attacker would
        cur.execute(
            "UPDATE compliance_auditevent SET new = %s WHERE id = %s", ['{"n": 99}', target.pk]
        )
    result = audit_chain_verify()
    assert not result.ok
    assert result.first_broken_id == target.pk
    with pytest.raises(SystemExit):
        call_command("verify_audit_log")
    assert f"BROKEN at event #{target.pk}" in capsys.readouterr().out


def test_deleting_an_event_breaks_the_chain_at_the_next_one():
    events = _events(4)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM compliance_auditevent WHERE id = %s", [events[1].pk])
    result = audit_chain_verify()
    assert not result.ok
    assert result.first_broken_id == events[2].pk


def test_audit_events_and_decisions_refuse_updates_and_deletes():
    event = _events(1)[0]
    event.new = {"n": 1000}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(actor_name="x")
    with pytest.raises(AppendOnlyError):
        Decision.objects.all().delete()
