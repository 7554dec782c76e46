"""The decision card: one verdict line, findings merged per rule and party, who acts next and by
when, the last approval or rejection, times in the user's time zone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from compliance import services as compliance_services
from compliance.presentation.card import merged_findings, party_label
from dispatch import services
from dispatch.models import VisitStatus
from tests.factories import CustomerFactory, EngineerFactory, FacilityFactory, make_user

pytestmark = pytest.mark.django_db

DOCUMENT = {
    "facility": {"owner": "Example Foundry", "owners": [{"name": "Holding Co"}]},
    "engineers": [{"name": "Jan de Vries"}],
}


def _hit_finding(entry_id: str, entry: str, score: float, party: str = "facility.owner") -> dict:
    return {
        "rule": "SYSTEM-SCREENING-HIT",
        "effect": "review",
        "jurisdiction": "SYSTEM",
        "title": "Possible restricted-party match",
        "message": f"may match {entry}",
        "facts": {
            "party": party,
            "list": "EL",
            "entry_id": entry_id,
            "entry": entry,
            "score": score,
        },
        "covered_by_licence": None,
    }


def test_screening_findings_merge_per_party_with_entries_best_first():
    result = {
        "findings": [
            _hit_finding("EL:1", "Example Foundry (Beijing)", 0.89),
            _hit_finding("EL:2", "Example Foundry Corporation", 1.0),
            _hit_finding("EL:3", "Example Foundry Holdings", 0.9),
            _hit_finding("EL:9", "Jan de Vries", 0.95, party="engineers[0]"),
        ],
        "screening": [
            {
                "party": "facility.owner",
                "entry_id": "EL:2",
                "name": "Example Foundry",
                "score": 1.0,
            },
            {"party": "facility.owner", "entry_id": "EL:1", "name": "EF", "score": 0.89},
            {"party": "facility.owner", "entry_id": "EL:3", "name": "EF", "score": 0.9},
            {"party": "engineers[0]", "entry_id": "EL:9", "name": "Jan de Vries", "score": 0.95},
        ],
    }
    blocking, covered = merged_findings(result, DOCUMENT)
    assert covered == []
    assert len(blocking) == 2
    owner = next(i for i in blocking if i["who"].startswith("The facility owner"))
    assert [e["entry_id"] for e in owner["entries"]] == ["EL:2", "EL:3", "EL:1"]
    assert owner["entries"][0]["name"] == "Example Foundry"
    assert owner["count"] == 3
    assert "3 list entries" in owner["message"] and "score 1.00" in owner["message"]
    engineer = next(i for i in blocking if i is not owner)
    assert engineer["who"] == "Engineer Jan de Vries"


def test_duplicate_findings_of_one_rule_and_party_show_once_and_covered_ones_apart():
    finding = {
        "rule": "US-EAR-744.6-ADVANCED-FAB",
        "effect": "licence_required",
        "jurisdiction": "US",
        "engineer": "Jan de Vries",
        "tool": None,
        "message": "Jan is a U.S. person.",
        "facts": {"us_person_basis": ["citizen:US"], "groups": []},
        "covered_by_licence": None,
    }
    other_tool = {**finding, "tool": "Kiyo"}
    covered = {**finding, "engineer": "Ann Lee", "covered_by_licence": "BIS-123"}
    blocking, cov = merged_findings(
        {"findings": [finding, dict(finding), other_tool, covered]}, DOCUMENT
    )
    assert [(i["who"], i["count"]) for i in blocking] == [
        ("Jan de Vries", 2),
        ("Jan de Vries · Kiyo", 1),
    ]
    assert blocking[0]["facts"] == ["us person basis: citizen:US", "groups: none"]
    assert [(i["who"], i["covered_by_licence"]) for i in cov] == [("Ann Lee", "BIS-123")]


def test_party_labels_name_the_party_from_the_document():
    assert party_label("facility.owner", DOCUMENT) == "The facility owner (Example Foundry)"
    assert party_label("facility.owners[0]", DOCUMENT) == "Owner Holding Co (stake)"
    assert party_label("engineers[0]", DOCUMENT) == "Engineer Jan de Vries"
    assert party_label("engineers[7]", DOCUMENT) == "engineers[7]"


@pytest.fixture
def held(rules, sample_list, committed):
    from tests.factories import VendorFactory

    vendor = VendorFactory(name="ASML Netherlands B.V.")
    manager = make_user("asml", role="service_manager", vendor=vendor)
    fab = FacilityFactory(
        customer=CustomerFactory(name="Semiconductor Manufacturing Intl. Corp."), logic_node_nm=40
    )
    start = dt.date.today() + dt.timedelta(days=5)
    with committed():
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=fab.pk,
            engineers=[EngineerFactory(vendor=vendor, name="Sanne Bakker").pk],
            activity="maintenance",
            start_date=start,
            end_date=start,
        )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_HOLD
    c = Client()
    c.force_login(manager)
    return visit, c, manager


def test_the_visit_page_says_what_holds_it_and_who_acts_next_by_when(held):
    visit, c, _ = held
    body = c.get(f"/visits/{visit.pk}/").content.decode()
    assert 'id="verdict">On hold: ' in body
    assert "possible list match" in body
    assert (
        "An approver must approve it with a licence that covers it or reject it before travel"
        in body
    )
    assert "the trip starts in 5 days" in body
    start = visit.start_date
    assert f"travel {start:%-d %b %Y} – {start:%-d %b %Y}, the trip starts in 5 days" in body
    assert "Neither asml nor anyone who edited the visit may decide it." in body
    # Raw codes and versions stay in the folded details only.
    card = body.split('id="decision-card"')[1]
    before_details = re.sub(r"<[^>]+>", " ", card.split('id="decision-details"')[0])
    assert "licence_required" not in before_details and "Licence required" in before_details
    assert visit.current_decision.rules_version not in before_details
    assert visit.current_decision.rules_version in body


def test_after_a_rejection_the_manager_sees_who_rejected_when_and_why(held, committed):
    visit, c, _ = held
    approver = make_user("approver", role="approver")
    with committed():
        compliance_services.visit_reject(
            visit=visit, user=approver, justification="Customer is a listed party; not sending."
        )
    body = c.get(f"/visits/{visit.pk}/").content.decode()
    assert 'id="verdict">Rejected by approver.' in body
    assert "Customer is a listed party; not sending." in body
    assert "<strong>Rejected</strong> by approver on" in body
    assert "can re-file it as a new visit" in body


@pytest.mark.parametrize(
    ("cookie", "zone", "label"),
    [("Asia/Tokyo", "Asia/Tokyo", "JST"), ("Mars/Olympus", "UTC", "UTC"), ("", "UTC", "UTC")],
)
def test_times_are_shown_in_the_browsers_time_zone_and_labelled(held, cookie, zone, label):
    visit, c, _ = held
    if cookie:
        c.cookies["tz"] = cookie
    body = c.get(f"/visits/{visit.pk}/").content.decode()
    assert f"times in {zone}" in body
    decided = visit.current_decision.decided_at.astimezone(dt.UTC)
    if zone == "Asia/Tokyo":
        decided = decided + dt.timedelta(hours=9)
    assert f"Decided {decided:%-d %b %Y, %H:%M} {label}" in body


def test_the_hold_page_shows_the_same_card_with_the_travel_dates(held):
    visit, _, _ = held
    c = Client()
    c.force_login(make_user("approver", role="approver"))
    body = c.get(f"/admin/compliance/hold/{visit.pk}/change/").content.decode()
    start = visit.start_date
    assert 'id="decision-card"' in body and 'id="verdict">On hold: ' in body
    assert f"travel {start:%-d %b %Y} – {start:%-d %b %Y}, the trip starts in 5 days" in body
