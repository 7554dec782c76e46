"""The approver's hold queue in the admin: queue, explained detail page, false-positive marks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from compliance.models import MatchReview
from dispatch import services
from dispatch.models import VisitStatus
from tests.factories import (
    CustomerFactory,
    EngineerFactory,
    FacilityFactory,
    VendorFactory,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(rules, sample_list, committed):
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
            engineers=[EngineerFactory(vendor=vendor, name="Sanne <b>Bakker</b>").pk],
            activity="maintenance",
            start_date=start,
            end_date=start,
        )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_HOLD
    c = Client()
    c.force_login(make_user("approver", role="approver"))
    return visit, c


def test_the_queue_lists_holds_oldest_first_with_their_rules(held):
    visit, c = held
    r = c.get("/admin/compliance/hold/")
    assert r.status_code == 200
    assert f">{visit.pk}<" in r.content.decode()
    assert (
        "Supplement" not in r.content.decode()
    )  # the list shows rule codes, the page explains them
    assert "US-" in r.content.decode()


def test_the_hold_page_explains_the_decision_and_escapes_names(held):
    visit, c = held
    body = c.get(f"/admin/compliance/hold/{visit.pk}/change/").content.decode()
    assert "Supplement No. 4 to Part 744" in body
    assert "Approve…" in body and "Reject…" in body
    assert "Sanne &lt;b&gt;Bakker&lt;/b&gt;" in body
    assert "<b>Bakker</b>" not in body


def test_a_false_positive_mark_in_the_admin_needs_a_reason_and_then_rechecks(held, committed):
    visit, c = held
    hits = visit.current_decision.screening_input
    r = c.post(
        f"/admin/compliance/hold/{visit.pk}/false-positive/",
        {"hit": f"{hits[0]['party']}|{hits[0]['entry_id']}", "reason": ""},
    )
    assert r.status_code == 200 and MatchReview.objects.count() == 0
    for h in hits:
        with committed():
            r = c.post(
                f"/admin/compliance/hold/{visit.pk}/false-positive/",
                {
                    "hit": f"{h['party']}|{h['entry_id']}",
                    "reason": "Different company: registration number differs.",
                },
            )
        assert r.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CLEARED
