"""The hold queue and hold page: soonest travel first with days to travel, finished trips flagged,
filters kept across the decide pages, readable times, and only the actions the user may take."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from compliance.admin_holds import travel_urgency
from dispatch import services
from dispatch.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture
def world(world, committed):
    world["committed"] = committed
    return world


def _file(w, *, by="lam_manager", facility="fab", days=10):
    start = TODAY + dt.timedelta(days=days)
    with w["committed"]():
        visit = services.visit_create(
            requested_by=w[by],
            vendor=w["lam"].pk,
            facility=w[facility].pk,
            engineers=[w["lam_engineer"].pk],
            tools=[w["lam_tool"].pk] if facility == "fab" else [],
            activity="maintenance",
            start_date=start,
            end_date=start + dt.timedelta(days=1),
        )
    return Visit.objects.get(pk=visit.pk)


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_travel_urgency_reads_as_days_to_travel():
    assert "in 3 days" in travel_urgency(TODAY + dt.timedelta(days=3), TODAY + dt.timedelta(days=4))
    assert "tomorrow" in travel_urgency(TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=1))
    assert "today" in travel_urgency(TODAY, TODAY + dt.timedelta(days=2))
    assert "started 2 days ago" in travel_urgency(TODAY - dt.timedelta(days=2), TODAY)
    ended = travel_urgency(TODAY - dt.timedelta(days=5), TODAY - dt.timedelta(days=1))
    assert "Trip ended — reject or cancel" in ended


def test_the_queue_is_sorted_by_travel_date_and_flags_finished_trips(world):
    late = _file(world, days=20)
    soon = _file(world, days=3)
    ended = _file(world, days=8)
    # Filed for the future, and the trip has since passed (dates changed behind the product).
    Visit.objects.filter(pk=ended.pk).update(
        start_date=TODAY - dt.timedelta(days=6), end_date=TODAY - dt.timedelta(days=4)
    )
    body = _client(world.approver).get("/admin/compliance/hold/").content.decode()
    order = [int(m) for m in re.findall(r"/admin/compliance/hold/(\d+)/change/", body)]
    order = list(dict.fromkeys(order))
    assert order == [ended.pk, soon.pk, late.pk]
    for header in ("Requested by", "Start date", "Age", "Travel"):
        assert header in body
    assert "in 3 days" in body and "in 20 days" in body
    assert body.count("Trip ended — reject or cancel") == 1


def test_filters_are_kept_through_the_decide_page_and_back(world):
    visit = _file(world)
    c = _client(world.approver)
    filters = "status__exact=on_hold"
    page = c.get(
        f"/admin/compliance/hold/{visit.pk}/change/", {"_changelist_filters": filters}
    ).content.decode()
    approve_link = re.search(r'href="([^"]*/approve/[^"]*)"', page).group(1)
    assert "_changelist_filters=status__exact%3Don_hold" in approve_link
    r = c.post(
        approve_link.replace("&amp;", "&"),
        {"justification": "Released after review of the hold."},
    )
    # Refused (a licence is required): the page keeps the queue's filters in its way back.
    assert r.status_code == 200
    assert "/admin/compliance/hold/?status__exact=on_hold" in r.content.decode()
    r = c.post(
        f"/admin/compliance/hold/{visit.pk}/reject/?_changelist_filters=status__exact%3Don_hold",
        {"justification": "The customer fab is not eligible."},
    )
    assert r.status_code == 302
    assert r["Location"] == "/admin/compliance/hold/?status__exact=on_hold"
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.REJECTED


def test_times_on_the_hold_page_are_readable_and_labelled(world):
    visit = _file(world)
    body = (
        _client(world.approver).get(f"/admin/compliance/hold/{visit.pk}/change/").content.decode()
    )
    decided = visit.current_decision.decided_at
    assert f"{decided.day} {decided:%b %Y %H:%M} UTC" in body
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d{6}", body)  # no raw microseconds
    assert "+00:00" not in body


def test_the_requester_is_not_offered_approve_and_reads_why(world):
    visit = _file(world, by="lam_lead")  # a service manager who is also an approver
    c = _client(world.lam_lead)
    body = c.get(f"/admin/compliance/hold/{visit.pk}/change/").content.decode()
    assert "You requested this visit: another approver must decide" in body
    assert f"/admin/compliance/hold/{visit.pk}/approve/" not in body
    decide = c.get(f"/admin/compliance/hold/{visit.pk}/approve/").content.decode()
    assert "You requested this visit: another approver must decide" in decide
    assert 'name="justification"' not in decide
    # The service stays the guard: a crafted POST is refused and changes nothing.
    r = c.post(
        f"/admin/compliance/hold/{visit.pk}/reject/",
        {"justification": "Rejecting my own request."},
    )
    assert b"own request" in r.content
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.ON_HOLD
    # Another approver is offered both.
    other = _client(world.approver).get(f"/admin/compliance/hold/{visit.pk}/change/")
    assert f"/admin/compliance/hold/{visit.pk}/approve/" in other.content.decode()


def test_a_prohibited_visit_offers_reject_only(world):
    visit = _file(world, facility="tehran")
    assert visit.status == VisitStatus.BLOCKED
    body = (
        _client(world.approver).get(f"/admin/compliance/hold/{visit.pk}/change/").content.decode()
    )
    assert "Prohibited: cannot be approved" in body
    assert f"/admin/compliance/hold/{visit.pk}/approve/" not in body
    assert f"/admin/compliance/hold/{visit.pk}/reject/" in body


def test_an_auditor_reads_the_hold_without_decide_actions(world):
    visit = _file(world)
    body = _client(world.auditor).get(f"/admin/compliance/hold/{visit.pk}/change/").content.decode()
    assert "Your role (auditor) does not decide holds" in body
    assert "/approve/" not in body and "/reject/" not in body


def test_the_queue_actions_give_the_same_reason(world):
    visit = _file(world, facility="tehran")
    c = _client(world.approver)
    r = c.post(
        "/admin/compliance/hold/",
        {"action": "approve_selected", "_selected_action": [visit.pk]},
        follow=True,
    )
    assert f"Visit #{visit.pk}: Prohibited: cannot be approved" in r.content.decode()
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.BLOCKED
    r = c.post(
        "/admin/compliance/hold/", {"action": "reject_selected", "_selected_action": [visit.pk]}
    )
    assert r.status_code == 302 and r["Location"].endswith(f"/{visit.pk}/reject/")
