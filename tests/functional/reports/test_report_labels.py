"""The weekly reports' labels: the ISO week with its Monday to Sunday in the report list, and the
PDF's sentence on the rule set in force (true when every activation is recorded after the week)."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from compliance.audit import audit_record
from compliance.models import AuditEventType, AuditReport, Decision, RuleSet
from compliance.reports import sections
from compliance.reports.admin import week_dates_label
from compliance.reports.simulation import simulated_time
from compliance.reports.weeks import ReportWeek, parse_week
from tests.factories import (
    EngineerFactory,
    FacilityFactory,
    ToolFactory,
    VendorFactory,
    make_user,
)
from tests.integration.reports.scenario import _file, local

pytestmark = pytest.mark.django_db

AMS = "Europe/Amsterdam"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("2026-W49", "2026-W49 (30 Nov – 6 Dec 2026)"),
        ("2026-W53", "2026-W53 (28 Dec 2026 – 3 Jan 2027)"),
        ("2026-W50", "2026-W50 (7 – 13 Dec 2026)"),
        ("2027-W01", "2027-W01 (4 – 10 Jan 2027)"),
        ("2020-W01", "2020-W01 (30 Dec 2019 – 5 Jan 2020)"),
    ],
)
def test_a_week_is_labelled_with_its_monday_to_sunday(label, expected):
    assert week_dates_label(parse_week(label, AMS)) == expected


def _stored_report(week: ReportWeek) -> AuditReport:
    return AuditReport.objects.create(
        week=week.label,
        period_start=week.starts_at,
        period_end=week.ends_at,
        time_zone=week.time_zone,
        generated_at=timezone.now(),
        content_hash="0" * 64,
        content={"period": {}},
        html="",
        pdf=b"",
        csv_zip=b"",
    )


def test_the_report_list_shows_each_week_with_its_own_dates(client):
    for label in ("2026-W49", "2026-W53"):
        week = parse_week(label, AMS)
        # Monday 00:00 in Amsterdam is still Sunday in UTC: the trap of labelling from it.
        assert week.starts_at.astimezone(dt.UTC).date() == week.first_day - dt.timedelta(days=1)
        _stored_report(week)
    client.force_login(make_user("labels-auditor", role="auditor"))
    r = client.get("/admin/compliance/auditreport/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "2026-W49 (30 Nov – 6 Dec 2026)" in html
    assert "2026-W53 (28 Dec 2026 – 3 Jan 2027)" in html
    assert "29 Nov" not in html and "27 Dec" not in html
    assert html.index("2026-W53") < html.index("2026-W49")  # newest first
    report = AuditReport.objects.get(week="2026-W53")
    page = client.get(f"/admin/compliance/auditreport/{report.pk}/change/").content.decode()
    assert "2026-W53 (28 Dec 2026 – 3 Jan 2027)" in page


# --- The rule set in force ------------------------------------------------------------------
WEEK = ReportWeek(2026, 45, AMS)


def _activate(at: dt.datetime, version: str) -> None:
    with mock.patch("compliance.audit.timezone.now", return_value=at):
        audit_record(
            event_type=AuditEventType.RULESET_ACTIVATED,
            object_type="compliance.RuleSet",
            object_id=version[:8],
            new={"version": version, "note": ""},
        )


def _week_of_decisions(committed) -> None:
    """Visits filed in the week on a simulated clock, decided by the active rule set."""
    vendor = VendorFactory(name="Lam Research Corporation", country="US")
    manager = make_user("labels.manager", role="service_manager", vendor=vendor)
    mature = FacilityFactory(logic_node_nm=28)
    tool = ToolFactory(facility=mature, oem=vendor, classifications={})
    nl = EngineerFactory(vendor=vendor, name="Sanne Bakker", citizenships=["NL"])
    with simulated_time(local("2026-11-03", "09:00")) as clock:
        _file(committed, manager, vendor, mature, [nl], [tool], clock.current)
        clock.set(local("2026-11-04", "11:00"))
        _file(committed, manager, vendor, mature, [nl], [], clock.current)


def _decisions():
    return Decision.objects.filter(decided_at__gte=WEEK.starts_at, decided_at__lt=WEEK.ends_at)


def test_the_latest_activation_in_time_is_the_one_in_force(rules, sample_list, committed):
    _week_of_decisions(committed)
    # Recorded in this order, but the second happened earlier: time, not the id, decides.
    _activate(local("2026-11-06", "12:00"), "later-in-time")
    _activate(local("2026-11-05", "12:00"), "earlier-in-time")
    v = sections.versions_section(WEEK, _decisions())
    assert v["rules_in_force_at_end"] == "later-in-time"
    assert v["rules_used_without_prior_activation"] == []
    assert [a["version"] for a in v["rule_sets_activated"]] == ["earlier-in-time", "later-in-time"]


def test_decisions_of_a_week_before_any_activation_name_the_rule_set_they_used(
    rules, sample_list, committed, settings
):
    settings.AUDIT_REPORT = {**settings.AUDIT_REPORT, "TIME_ZONE": AMS}
    # As in a back-dated history: the rule set was activated (now) after the week it decided.
    assert not _activated_before(WEEK.ends_at)
    _week_of_decisions(committed)
    active = RuleSet.objects.get(is_active=True)
    decisions = _decisions()
    assert decisions.count() >= 2
    assert set(decisions.values_list("rules_version", flat=True)) == {active.version}
    _activate(local("2026-11-20", "10:00"), active.version)
    _activate(local("2026-11-27", "10:00"), active.version)

    v = sections.versions_section(WEEK, decisions)
    assert v["rules_in_force_at_end"] is None
    assert v["rules_used_without_prior_activation"] == [
        {
            "version": active.version,
            "decisions": decisions.count(),
            "activated_at": "2026-11-20T10:00:00+01:00",
        }
    ]

    from compliance.reports.services import report_weekly_generate

    report = report_weekly_generate(week=WEEK).report
    html = report.html
    assert "No activation is recorded before the end of the week." in html
    assert f'Decisions this week used rule set <span class="mono">{active.version}</span>' in html
    assert "whose activation is recorded later, on 2026-11-20 10:00" in html
    assert "no activation recorded before the end of the week" not in html.lower().replace(
        "no activation is recorded", ""
    )
    assert bytes(report.pdf).startswith(b"%PDF")
    if pdf_dir := _keep_pdf_dir():
        (pdf_dir / "report-W45-no-prior-activation.pdf").write_bytes(bytes(report.pdf))


def _activated_before(moment: dt.datetime) -> bool:
    from compliance.models import AuditEvent

    return AuditEvent.objects.filter(
        event_type=AuditEventType.RULESET_ACTIVATED, created_at__lt=moment
    ).exists()


def _keep_pdf_dir():
    import os
    import pathlib

    path = os.environ.get("REPORT_PDF_DIR")
    return pathlib.Path(path) if path else None
