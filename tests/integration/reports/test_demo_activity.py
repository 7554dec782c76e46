"""``manage.py load_demo_activity``: a few weeks of past activity, so the demo's reports are not
empty — made through the services, so every decision replays and the audit chain holds."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from compliance.audit import audit_chain_verify
from compliance.models import Approval, AuditReport, Decision, MatchReview
from dispatch.models import Visit

# The command commits step by step on a simulated clock, as it does when the demo is set up, so
# the checks each filing asks for run at their step: a real transaction, not a test one.
pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_activity_fills_the_past_weeks_reports_and_a_second_run_adds_nothing(
    rules, sample_list, capsys
):
    call_command("load_demo")
    present = set(Visit.objects.values_list("pk", flat=True))
    call_command("load_demo_activity", "--weeks", "2")
    out = capsys.readouterr().out
    assert "weekly audit report" in out

    reports = list(AuditReport.objects.order_by("period_start"))
    assert len(reports) == 2
    for report in reports:
        c = report.content
        assert c["visits_filed"]["total"] >= 8
        assert c["decisions"]["total"] >= c["visits_filed"]["total"]
        assert c["replay"]["sampled"] > 0 and c["replay"]["not_reproduced"] == 0
        assert c["audit_chain"]["verified"] is True
    first = reports[0].content
    assert first["false_positives"] and first["outcome_changes"]["total"] >= 2
    assert {"false_positive", "edit"} <= {
        t for t, n in first["outcome_changes"]["by_trigger"].items() if n
    }
    assert reports[1].content["outcome_changes"]["by_trigger"]["licence_change"] >= 1
    assert any(r.content["approvals"] for r in reports)
    assert Approval.objects.filter(action="approve").exists()
    assert Approval.objects.filter(action="reject").exists()
    assert MatchReview.objects.count() == 1
    assert audit_chain_verify().ok

    # The present-day demo visits got no backdated decision.
    assert not Decision.objects.filter(
        visit__in=present, decided_at__lt=reports[-1].period_end
    ).exists()

    counts = (Visit.objects.count(), Decision.objects.count(), AuditReport.objects.count())
    call_command("load_demo_activity", "--weeks", "2")
    assert "already loaded" in capsys.readouterr().out
    assert (Visit.objects.count(), Decision.objects.count(), AuditReport.objects.count()) == counts


def test_demo_activity_asks_for_load_demo_first(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="load_demo"):
        call_command("load_demo_activity")
