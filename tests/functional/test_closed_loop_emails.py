"""The closed loop: approvals, rejections and re-holds mail the requester and the editors (never a
user of another vendor) with who decided, when and why, and a link to the page each recipient acts
on: the visit page for a manager, the admin hold page for an approver."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from compliance import services as compliance_services
from compliance.checks.requests import visit_request_recheck
from dispatch import services
from dispatch.models import Visit, VisitStatus
from tests.factories import (
    EngineerFactory,
    FacilityFactory,
    ToolFactory,
    VendorFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

SITE = "http://dispatch.example.test"


@pytest.fixture
def held(rules, sample_list, committed, settings):
    """A visit on hold for review (an unclassified tool), filed by one manager and edited by a
    colleague; a manager of another vendor is in its editors too (moved vendor since)."""
    settings.SITE_URL = SITE + "/"
    vendor = VendorFactory(name="ASML Netherlands B.V.")
    other_vendor = VendorFactory(name="Lam Research Corporation", country="US")
    requester = make_user("asml_manager", role="service_manager", vendor=vendor)
    editor = make_user("asml_lead", role="service_manager", vendor=vendor)
    outsider = make_user("lam_manager", role="service_manager", vendor=other_vendor)
    approver = make_user("approver", role="approver")
    fab = FacilityFactory(logic_node_nm=40)
    start = dt.date.today() + dt.timedelta(days=6)
    with committed():
        visit = services.visit_create(
            requested_by=requester,
            vendor=vendor.pk,
            facility=fab.pk,
            engineers=[EngineerFactory(vendor=vendor).pk],
            activity="repair",
            start_date=start,
            end_date=start,
        )
    unclassified = ToolFactory(facility=fab, oem=vendor, classifications={})
    with committed():
        services.visit_update(visit=visit, user=editor, tools=[unclassified.pk])
    Visit.objects.filter(pk=visit.pk).update(editor_ids=[editor.pk, outsider.pk])
    visit = Visit.objects.get(pk=visit.pk)
    assert visit.status == VisitStatus.ON_HOLD, visit.current_decision.result["findings"]
    mail.outbox.clear()
    return {
        "visit": visit,
        "requester": requester,
        "editor": editor,
        "outsider": outsider,
        "approver": approver,
        "vendor": vendor,
    }


def _by_recipient() -> dict[str, mail.EmailMessage]:
    out: dict[str, mail.EmailMessage] = {}
    for m in mail.outbox:
        assert len(m.to) == 1, m.to  # one mail per person: each gets the link for their role
        out[m.to[0]] = m
    return out


def test_an_approval_mails_the_requester_and_editors_who_when_why_and_the_visit_page(
    held, committed
):
    visit = held["visit"]
    with committed():
        compliance_services.visit_approve(
            visit=visit,
            user=held["approver"],
            justification="Tool is EAR99 per the OEM statement of 3 March.",
        )
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.APPROVED
    mails = _by_recipient()
    assert set(mails) == {"asml_manager@example.com", "asml_lead@example.com"}
    for m in mails.values():
        assert m.subject.startswith(f"Visit #{visit.pk} approved")
        assert "approved by approver on" in m.body
        assert "Tool is EAR99 per the OEM statement of 3 March." in m.body
        assert f"{SITE}/visits/{visit.pk}/" in m.body
        assert "/admin/" not in m.body


def test_a_rejection_mails_the_requester_and_editors_but_no_one_of_another_vendor(held, committed):
    visit = held["visit"]
    with committed():
        compliance_services.visit_reject(
            visit=visit, user=held["approver"], justification="The customer cancelled the job."
        )
    mails = _by_recipient()
    assert "lam_manager@example.com" not in mails
    assert "approver@example.com" not in mails
    assert set(mails) == {"asml_manager@example.com", "asml_lead@example.com"}
    body = mails["asml_manager@example.com"].body
    assert "rejected by approver" in body
    assert "The customer cancelled the job." in body
    assert f"{SITE}/visits/{visit.pk}/" in body


def test_a_failed_approval_mails_nobody(held, committed):
    visit = held["visit"]
    with committed(), pytest.raises(Exception, match="justification"):
        compliance_services.visit_approve(visit=visit, user=held["approver"], justification="ok")
    assert mail.outbox == []


def test_a_rehold_mails_the_manager_the_visit_page_and_the_approvers_the_hold_page(held, committed):
    visit = held["visit"]
    with committed():
        compliance_services.visit_approve(
            visit=visit, user=held["approver"], justification="Tool is EAR99 per the OEM."
        )
    mail.outbox.clear()
    # A finding that was not approved: an engineer without a citizenship.
    Visit.objects.get(pk=visit.pk).engineers.add(
        EngineerFactory(vendor=held["vendor"], name="Kim Tan", citizenships=[])
    )
    with committed():
        visit_request_recheck(visit=visit, user=held["requester"])
    visit = Visit.objects.get(pk=visit.pk)
    assert visit.status == VisitStatus.ON_HOLD
    mails = _by_recipient()
    assert set(mails) == {
        "asml_manager@example.com",
        "asml_lead@example.com",
        "approver@example.com",
    }
    manager_mail = mails["asml_manager@example.com"].body
    assert "on hold again" in manager_mail
    assert "Decided by: the compliance check" in manager_mail
    assert visit.current_decision.change_reason.split("\n")[0] in manager_mail
    assert f"{SITE}/visits/{visit.pk}/" in manager_mail
    approver_mail = mails["approver@example.com"]
    assert approver_mail.subject.startswith("Hold to review")
    assert f"{SITE}/admin/compliance/hold/{visit.pk}/change/" in approver_mail.body
    assert f"/visits/{visit.pk}/" not in approver_mail.body


def test_the_first_hold_sends_approvers_to_the_admin_hold_page(
    rules, sample_list, committed, settings, client
):
    settings.SITE_URL = SITE
    vendor = VendorFactory(name="Lam Research Corporation", country="US")
    manager = make_user("lam", role="service_manager", vendor=vendor)
    approver = make_user("approver", role="approver")
    start = dt.date.today() + dt.timedelta(days=5)
    mail.outbox.clear()
    with committed():
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=FacilityFactory(logic_node_nm=7, non_planar=True).pk,
            engineers=[EngineerFactory(vendor=vendor, citizenships=["US"], home_country="US").pk],
            activity="repair",
            start_date=start,
            end_date=start,
        )
    mails = _by_recipient()
    link = f"{SITE}/admin/compliance/hold/{visit.pk}/change/"
    assert link in mails["approver@example.com"].body
    assert f"{SITE}/visits/{visit.pk}/" in mails["lam@example.com"].body
    # The link opens the hold page for the approver.
    client.force_login(approver)
    assert client.get(link.removeprefix(SITE)).status_code == 200
