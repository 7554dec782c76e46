"""Acceptance of the weekly audit report (issue 7): a week of activity, the command in every
format, every figure of the JSON form against a direct count in the database, a PDF whose first
page is not blank, a stable content hash that changes when a decision of the week is tampered with.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import statistics
import subprocess
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.audit import audit_chain_verify
from compliance.models import (
    Approval,
    AuditEvent,
    AuditReport,
    Decision,
    Effect,
    Finding,
    ListSnapshot,
    MatchReview,
    RuleSet,
    Trigger,
)
from compliance.reports.content import content_hash, report_content_build
from compliance.reports.services import report_weekly_generate
from compliance.reports.simulation import simulated_time
from dispatch.models import Visit, VisitStatus
from tests.integration.reports.scenario import _file, local

pytestmark = pytest.mark.django_db

HOLD = (VisitStatus.ON_HOLD, VisitStatus.BLOCKED)
CSV_FILES = {
    "report.csv",
    "visits_filed_by_vendor.csv",
    "decisions_by_outcome.csv",
    "decisions_by_day.csv",
    "decisions_by_trigger.csv",
    "decisions_by_jurisdiction.csv",
    "rules_fired.csv",
    "holds.csv",
    "open_holds_at_end.csv",
    "approvals.csv",
    "false_positives.csv",
    "licences_used.csv",
    "outcome_changes.csv",
    "versions_used_by_decisions.csv",
    "versions_in_force.csv",
    "audit_chain.csv",
    "replay_sample.csv",
    "reconfirmations.csv",
    "reconfirmations_replay_sample.csv",
}


def _run_command(tmp_path, week="2026-W45", fmt="all"):
    call_command("audit_report", "--week", week, "--format", fmt, "--output", str(tmp_path))
    return json.loads((tmp_path / f"audit-report-{week}.json").read_text())


def _seconds(delta: dt.timedelta) -> int:
    return int(delta.total_seconds())


def _stats(values):
    return {
        "count": len(values),
        "median_seconds": round(statistics.median(values)) if values else None,
        "max_seconds": max(values) if values else None,
    }


def assert_every_figure_matches_the_database(doc, week):
    """Each figure of the JSON form, recounted straight from the tables (no report code)."""
    c = doc["content"]
    start, end = week.starts_at, week.ends_at
    in_week = {"decided_at__gte": start, "decided_at__lt": end}
    decisions = Decision.objects.filter(**in_week)
    findings = Finding.objects.filter(decision__in=decisions)
    approvals = Approval.objects.filter(created_at__gte=start, created_at__lt=end)

    # 1. Visits filed
    filed = Visit.objects.filter(created_at__gte=start, created_at__lt=end)
    assert c["visits_filed"]["total"] == filed.count()
    for row in c["visits_filed"]["by_vendor"]:
        assert row["visits"] == filed.filter(vendor__name=row["vendor"]).count()
    assert sum(r["visits"] for r in c["visits_filed"]["by_vendor"]) == filed.count()

    # 2. Decisions
    d = c["decisions"]
    assert d["total"] == decisions.count()
    assert d["system_errors"] == decisions.exclude(error="").count()
    for outcome in Effect.values:
        assert d["by_outcome"][outcome] == decisions.filter(outcome=outcome).count()
    for trigger in Trigger.values:
        assert d["by_trigger"][trigger] == decisions.filter(trigger=trigger).count()
    assert [row["date"] for row in d["by_day"]] == [day.isoformat() for day in week.days]
    for row in d["by_day"]:
        lo, hi = week.day_bounds(dt.date.fromisoformat(row["date"]))
        day = Decision.objects.filter(decided_at__gte=lo, decided_at__lt=hi)
        assert row["total"] == day.count()
        for outcome in Effect.values:
            assert row[outcome] == day.filter(outcome=outcome).count()
    assert {r["jurisdiction"] for r in d["by_jurisdiction"]} == set(
        findings.values_list("jurisdiction", flat=True)
    )
    for row in d["by_jurisdiction"]:
        of = findings.filter(jurisdiction=row["jurisdiction"])
        assert row["findings"] == of.count()
        assert row["decisions"] == of.values("decision").distinct().count()
        assert row["covered_by_licence"] == of.exclude(covered_by_licence="").count()
    assert {r["rule"] for r in d["by_rule"]} == set(findings.values_list("rule_code", flat=True))
    for row in d["by_rule"]:
        of = findings.filter(rule_code=row["rule"], jurisdiction=row["jurisdiction"])
        assert row["findings"] == of.count()
        assert row["decisions"] == of.values("decision").distinct().count()
        assert row["covered_by_licence"] == of.exclude(covered_by_licence="").count()
    counts = [r["findings"] for r in d["by_rule"]]
    assert counts == sorted(counts, reverse=True)

    # 3. Holds
    h = c["holds"]
    assert h["approved"] == approvals.filter(action="approve").count()
    assert h["rejected"] == approvals.filter(action="reject").count()
    hold_statuses = {s.value for s in HOLD}
    opened = [
        e
        for e in AuditEvent.objects.filter(
            event_type="decision_recorded", created_at__gte=start, created_at__lt=end
        )
        if e.new["status"] in hold_statuses and e.old["status"] not in hold_statuses
    ]
    assert h["opened"] == len(opened)
    # Nothing but filing happened after the week, so what is held now among the visits filed
    # before its end is what was held at its end.
    still_held = Visit.objects.filter(status__in=HOLD, created_at__lt=end)
    assert h["open_at_end"] == still_held.count()
    assert [r["visit"] for r in h["open"]] == sorted(still_held.values_list("pk", flat=True))
    for row in h["open"]:
        held_since = (
            AuditEvent.objects.filter(
                object_type="dispatch.Visit", object_id=str(row["visit"]), created_at__lt=end
            )
            .filter(new__has_key="status")
            .latest("id")
            .created_at
        )
        assert row["age_seconds"] == _seconds(end - held_since)
    first_decisions = decisions.filter(previous__isnull=True)
    assert h["filing_to_decision"] == _stats(
        [_seconds(x.decided_at - x.visit.created_at) for x in first_decisions]
    )
    assert h["hold_to_approval"] == _stats(
        [_seconds(a.created_at - a.decision.decided_at) for a in approvals.filter(action="approve")]
    )
    assert h["hold_to_rejection"] == _stats(
        [_seconds(a.created_at - a.decision.decided_at) for a in approvals.filter(action="reject")]
    )
    assert h["open_at_end_age"]["count"] == still_held.count()

    # 4. Approvals and rejections, each with its approver and justification
    assert [a["id"] for a in c["approvals"]] == list(
        approvals.order_by("created_at", "id").values_list("pk", flat=True)
    )
    for row in c["approvals"]:
        approval = Approval.objects.get(pk=row["id"])
        assert row["approver"] == approval.actor.username
        assert row["justification"] == approval.justification
        assert row["action"] == approval.action
        assert row["hold_seconds"] == _seconds(approval.created_at - approval.decision.decided_at)

    # 5. False positives
    marks = MatchReview.objects.filter(marked_at__gte=start, marked_at__lt=end)
    assert [f["id"] for f in c["false_positives"]] == list(
        marks.order_by("marked_at", "id").values_list("pk", flat=True)
    )

    # 6. Licences used
    covered = findings.exclude(covered_by_licence="")
    assert {r["licence"] for r in c["licences_used"]} == set(
        covered.values_list("covered_by_licence", flat=True)
    ) | set(approvals.exclude(licence=None).values_list("licence__number", flat=True))
    for row in c["licences_used"]:
        of = covered.filter(covered_by_licence=row["licence"])
        assert row["covered_findings"] == of.count()
        assert row["covered_decisions"] == of.values("decision").distinct().count()
        assert row["approvals"] == approvals.filter(licence__number=row["licence"]).count()

    # 7. Re-checks that changed an outcome
    changed = decisions.exclude(change_reason="")
    assert c["outcome_changes"]["total"] == changed.count()
    for trigger in Trigger.values:
        assert (
            c["outcome_changes"]["by_trigger"][trigger] == changed.filter(trigger=trigger).count()
        )
    for row in c["outcome_changes"]["items"]:
        decision = Decision.objects.get(pk=row["decision"])
        assert (row["trigger"], row["to"], row["reason"]) == (
            decision.trigger,
            decision.outcome,
            decision.change_reason,
        )
        assert row["from"] == decision.previous.outcome

    # 8. Versions
    v = c["versions"]
    for row in v["used_by_decisions"]:
        assert (
            row["decisions"]
            == decisions.filter(
                rules_version=row["rules_version"], lists_version=row["lists_version"]
            ).count()
        )
    assert sum(r["decisions"] for r in v["used_by_decisions"]) == decisions.count()
    assert v["rules_in_force_at_end"] == RuleSet.objects.get(is_active=True).version
    assert v["list_in_force_at_end"] == "; ".join(
        f"{s.source}={s.version}"
        for s in ListSnapshot.objects.filter(is_active=True).order_by("source")
    )
    assert (
        len(v["rule_sets_activated"])
        == AuditEvent.objects.filter(
            event_type="ruleset_activated", created_at__gte=start, created_at__lt=end
        ).count()
    )
    assert (
        len(v["lists_imported"])
        == ListSnapshot.objects.filter(imported_at__gte=start, imported_at__lt=end).count()
    )

    # 9. Audit chain
    chain = c["audit_chain"]
    events = AuditEvent.objects.filter(created_at__gte=start, created_at__lt=end)
    assert chain["events_in_period"] == events.count()
    assert chain["first_event"] == events.order_by("id").first().pk
    assert chain["last_event"] == events.order_by("id").last().pk
    head = AuditEvent.objects.filter(created_at__lt=end).order_by("id").last()
    assert (chain["head_event_at_end"], chain["head_hash_at_end"]) == (head.pk, head.hash)
    verdict = audit_chain_verify()
    assert chain["verified"] is verdict.ok
    assert doc["generation"]["audit_events_checked"] == verdict.events_checked

    # 10. Replay sample
    r = c["replay"]
    eligible = decisions.filter(error="")
    assert r["eligible"] == eligible.count()
    assert r["sampled"] == min(r["sample_size"], eligible.count()) == len(r["items"])
    assert r["reproduced"] == sum(1 for i in r["items"] if i["reproduced"])
    assert r["not_reproduced"] == r["sampled"] - r["reproduced"]


def test_the_command_writes_every_format_and_every_json_figure_equals_a_count_in_the_database(
    activity, tmp_path
):
    doc = _run_command(tmp_path)

    assert doc["week"] == "2026-W45"
    assert doc["content_hash"] == content_hash(doc["content"])
    assert doc["content"]["notice"] == "Decision support, not legal advice."
    assert_every_figure_matches_the_database(doc, activity.week)
    # The scenario's own numbers, so that a silently empty report cannot pass.
    c = doc["content"]
    assert c["visits_filed"]["total"] == 6
    assert c["decisions"]["total"] == 9
    assert c["decisions"]["by_outcome"] == {
        "clear": 4,
        "review": 1,
        "licence_required": 3,
        "prohibited": 1,
    }
    assert (c["holds"]["approved"], c["holds"]["rejected"], c["holds"]["open_at_end"]) == (2, 1, 1)
    assert c["holds"]["opened"] == 5
    assert [h["visit"] for h in c["holds"]["open"]] == [activity.visits["F"].pk]
    assert c["outcome_changes"]["by_trigger"]["false_positive"] == 1
    assert c["outcome_changes"]["by_trigger"]["edit"] == 1
    assert c["outcome_changes"]["by_trigger"]["licence_change"] == 1
    assert [f["party_name"] for f in c["false_positives"]] == ["Hong Jinhua"]
    assert [lic["licence"] for lic in c["licences_used"]] == ["BIS-TEST-0001"]
    assert c["replay"]["sampled"] == 9 and c["replay"]["not_reproduced"] == 0
    assert c["audit_chain"]["verified"] is True

    assert (tmp_path / "audit-report-2026-W45.html").read_text().count(
        "Decision support, not legal advice."
    ) >= 1
    with zipfile.ZipFile(tmp_path / "audit-report-2026-W45-csv.zip") as zf:
        names = {n.rsplit("/", 1)[-1] for n in zf.namelist()}
        assert names == CSV_FILES
        decisions_csv = zf.read("audit-report-2026-W45/decisions_by_outcome.csv").decode(
            "utf-8-sig"
        )
    assert "licence_required,3" in decisions_csv.splitlines()
    pdf = (tmp_path / "audit-report-2026-W45.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")


def test_page_one_of_the_pdf_renders_to_a_png_that_is_not_blank_and_shows_the_cover(
    activity, tmp_path
):
    from PIL import Image

    assert shutil.which("pdftoppm"), "pdftoppm is missing: install poppler-utils (.ci/run does)"
    call_command("audit_report", "--week", "2026-W45", "--format", "pdf", "--output", str(tmp_path))
    pdf = tmp_path / "audit-report-2026-W45.pdf"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    png = next(tmp_path.glob("page*.png"))
    image = Image.open(png).convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:200])  # pixels clearly darker than the white page
    assert dark / (image.width * image.height) > 0.05, "page 1 of the PDF is blank"
    assert image.getextrema()[0] < 60  # there is text or the cover band on it

    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    report = AuditReport.objects.get(week="2026-W45")
    assert "2026-W45" in text
    assert "Monday 02 November 2026 – Sunday 08 November 2026" in text
    assert report.content_hash in text.replace("\n", "")
    assert "Decision support, not legal advice." in text
    assert "Generated" in text
    pages = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    count = int(next(line for line in pages.splitlines() if line.startswith("Pages:")).split()[1])
    last = subprocess.run(
        ["pdftotext", "-f", str(count), "-l", str(count), str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert f"Page {count} of {count}" in last


def test_running_the_report_twice_gives_the_same_hash_and_keeps_the_stored_report(activity):
    first = report_weekly_generate(week=activity.week)
    second = report_weekly_generate(week=activity.week)
    assert first.created and second.unchanged
    assert second.report.content_hash == first.report.content_hash
    assert second.report.generated_at == first.report.generated_at
    assert AuditReport.objects.count() == 1
    # The content itself, rebuilt from scratch, hashes the same.
    assert content_hash(report_content_build(week=activity.week)) == first.report.content_hash


def test_tampering_with_one_decision_of_the_week_changes_the_hash_and_is_kept_in_the_history(
    activity,
):
    first = report_weekly_generate(week=activity.week).report
    decision = activity.visits["B"].current_decision
    # Decisions are append-only (save/update raise), so a change can only be made behind the
    # application's back — which is what tampering looks like: a raw SQL UPDATE.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE compliance_decision SET outcome = %s WHERE id = %s", ["review", decision.pk]
        )
    again = report_weekly_generate(week=activity.week)
    assert again.changed
    assert again.report.content_hash != first.content_hash
    assert again.report.previous_hashes[-1]["content_hash"] == first.content_hash
    assert again.report.content["decisions"]["by_outcome"]["review"] == 2
    assert AuditReport.objects.count() == 1


def test_a_decision_whose_stored_document_was_altered_fails_the_replay_and_is_listed_in_red(
    activity, tmp_path
):
    decision = activity.visits["B"].current_decision
    document = dict(decision.document)
    document["facility"] = {**document["facility"], "logic_node_nm": 7, "non_planar": True}
    with connection.cursor() as cursor:  # tampering: the model refuses updates
        cursor.execute(
            "UPDATE compliance_decision SET document = %s WHERE id = %s",
            [json.dumps(document), decision.pk],
        )
    doc = _run_command(tmp_path, fmt="json")
    replay = doc["content"]["replay"]
    assert replay["not_reproduced"] == 1
    failed = [i for i in replay["items"] if not i["reproduced"]]
    assert [i["decision"] for i in failed] == [decision.pk]
    assert failed[0]["differences"]
    html = AuditReport.objects.get(week="2026-W45").html
    assert f'<tr class="mismatch"><td class="num">#{decision.pk}</td>' in html
    assert "did NOT reproduce" in html


def test_the_content_is_built_in_the_same_number_of_queries_for_a_busier_week(activity, committed):
    from compliance.audit import audit_chain_verify as verify

    chain = verify()
    with CaptureQueriesContext(connection) as small:
        report_content_build(week=activity.week, chain=chain)
    # Triple the week's filings (same kinds of visits, same week).
    visits = list(Visit.objects.filter(pk__in=[activity.visits[k].pk for k in "ABCDEF"]))
    with simulated_time(local("2026-11-07", "10:00")) as clock:
        for visit in visits * 2:
            clock.set(clock.current + dt.timedelta(minutes=5))
            _file(
                committed,
                activity.users["manager"],
                visit.vendor,
                visit.facility,
                list(visit.engineers.all()),
                list(visit.tools.all()),
                clock.current,
            )
    chain = verify()
    with CaptureQueriesContext(connection) as busy:
        content = report_content_build(week=activity.week, chain=chain)
    assert content["visits_filed"]["total"] == 18
    assert len(busy.captured_queries) == len(small.captured_queries)


def test_the_command_refuses_a_malformed_a_non_existent_and_a_future_week(db, tmp_path):
    with pytest.raises(CommandError, match=r"not an ISO week: write it as YYYY-Www"):
        call_command("audit_report", "--week", "2026-47", "--output", str(tmp_path))
    with pytest.raises(CommandError, match=r"2025-W53 does not exist: 2025 has ISO weeks 01 to 52"):
        call_command("audit_report", "--week", "2025-W53", "--output", str(tmp_path))
    with pytest.raises(CommandError, match=r"2099-W01 is in the future"):
        call_command("audit_report", "--week", "2099-W01", "--output", str(tmp_path))
    assert not AuditReport.objects.exists()
    assert not list(tmp_path.iterdir())


def test_the_current_week_is_refused_until_it_has_ended(db, tmp_path, settings):
    from django.utils import timezone

    settings.AUDIT_REPORT = {**settings.AUDIT_REPORT, "TIME_ZONE": "Europe/Amsterdam"}

    from compliance.reports.weeks import week_containing

    current = week_containing(timezone.now(), "Europe/Amsterdam")
    with pytest.raises(CommandError, match=rf"{current.label} has not ended yet"):
        call_command("audit_report", "--week", current.label, "--output", str(tmp_path))


def test_one_format_writes_one_file(activity, tmp_path):
    call_command("audit_report", "--week", "2026-W45", "--format", "csv", "--output", str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["audit-report-2026-W45-csv.zip"]
