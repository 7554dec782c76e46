"""Notifications: the requester hears of each decision that changes the visit; approvers of each
new hold; both after commit, with a link to the visit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from dispatch import services
from tests.factories import EngineerFactory, FacilityFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db


def test_a_new_hold_mails_the_requester_and_the_approvers_with_a_link(
    rules, sample_list, committed
):
    vendor = VendorFactory(name="Lam Research Corporation", country="US")
    manager = make_user("lam", role="service_manager", vendor=vendor)
    make_user("approver", role="approver")
    make_user("auditor", role="auditor")
    fab = FacilityFactory(logic_node_nm=7, non_planar=True)
    start = dt.date.today() + dt.timedelta(days=5)
    mail.outbox.clear()
    with committed():  # the check runs, then the notices it schedules
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=fab.pk,
            engineers=[EngineerFactory(vendor=vendor, citizenships=["US"], home_country="US").pk],
            activity="repair",
            start_date=start,
            end_date=start,
        )
    recipients = {tuple(m.to) for m in mail.outbox}
    assert recipients == {("lam@example.com",), ("approver@example.com",)}
    for m in mail.outbox:
        # The manager is sent to the visit page, the approver to the admin hold page.
        page = "/admin/compliance/hold/" if m.to == ["approver@example.com"] else "/visits/"
        assert f"{page}{visit.pk}/" in m.body
        assert "744.6(c)(2)" in m.body
    # A re-check that changes nothing does not mail anyone again.
    mail.outbox.clear()
    from compliance.checks.requests import visit_request_recheck

    with committed():
        visit_request_recheck(visit=visit, user=manager)
    assert visit.reconfirmations.count() == 1  # the re-check ran and gave the same decision
    assert mail.outbox == []


def test_a_cleared_visit_mails_only_the_requester(rules, sample_list, committed):
    vendor = VendorFactory(name="ASML Netherlands B.V.")
    manager = make_user("asml", role="service_manager", vendor=vendor)
    make_user("approver", role="approver")
    fab = FacilityFactory(logic_node_nm=40)
    start = dt.date.today() + dt.timedelta(days=5)
    mail.outbox.clear()
    with committed():  # the check runs, then the notices it schedules
        services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=fab.pk,
            engineers=[EngineerFactory(vendor=vendor).pk],
            activity="repair",
            start_date=start,
            end_date=start,
        )
    assert [m.to for m in mail.outbox] == [["asml@example.com"]]
    assert "Cleared" in mail.outbox[0].body


def test_links_in_mails_use_the_configured_site_url(rules, sample_list, settings, committed):
    settings.SITE_URL = "http://dispatch.example.test:8765/"
    vendor = VendorFactory(name="ASML Netherlands B.V.")
    manager = make_user("asml", role="service_manager", vendor=vendor)
    start = dt.date.today() + dt.timedelta(days=5)
    mail.outbox.clear()
    with committed():  # the check runs, then the notices it schedules
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=FacilityFactory(logic_node_nm=40).pk,
            engineers=[EngineerFactory(vendor=vendor).pk],
            activity="repair",
            start_date=start,
            end_date=start,
        )
    assert f"http://dispatch.example.test:8765/visits/{visit.pk}/" in mail.outbox[0].body
