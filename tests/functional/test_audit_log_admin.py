"""The audit log in the admin: newest first, filtered by date and type, linked to its objects."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from compliance.audit import audit_record
from compliance.models import AuditEvent, AuditEventType, Licence
from dispatch import services
from dispatch.models import Visit, VisitStatus
from tests.factories import (
    CustomerFactory,
    EngineerFactory,
    FacilityFactory,
    VendorFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

URL = "/admin/compliance/auditevent/"


def _event_at(moment: dt.datetime, **kwargs) -> AuditEvent:
    with mock.patch("compliance.audit.timezone.now", return_value=moment):
        return audit_record(**kwargs)


def _row_ids(html: str) -> list[int]:
    """The event ids of the change list, in the order shown."""
    return [int(i) for i in re.findall(r'<th class="field-id"><a href="[^"]*">(\d+)</a>', html)]


@pytest.fixture
def approver_client() -> Client:
    c = Client()
    c.force_login(make_user("auditlog-approver", role="approver"))
    return c


@pytest.fixture
def held_visit(rules, sample_list, committed) -> Visit:
    vendor = VendorFactory(name="ASML Netherlands B.V.")
    manager = make_user("auditlog-asml", role="service_manager", vendor=vendor)
    fab = FacilityFactory(
        customer=CustomerFactory(name="Semiconductor Manufacturing Intl. Corp."), logic_node_nm=40
    )
    start = dt.date.today() + dt.timedelta(days=5)
    with committed():
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=fab.pk,
            engineers=[EngineerFactory(vendor=vendor).pk],
            activity="maintenance",
            start_date=start,
            end_date=start,
        )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_HOLD
    return visit


def test_the_log_lists_newest_first_even_when_ids_disagree(approver_client):
    now = timezone.now()
    # Written in this order, but the second one happened earlier: time order decides.
    late = _event_at(now - dt.timedelta(hours=1), event_type="reference_changed", object_id="a")
    early = _event_at(now - dt.timedelta(days=2), event_type="reference_changed", object_id="b")
    latest = _event_at(now, event_type="reference_changed", object_id="c")
    r = approver_client.get(URL)
    assert r.status_code == 200
    ids = [i for i in _row_ids(r.content.decode()) if i in {late.pk, early.pk, latest.pk}]
    assert ids == [latest.pk, late.pk, early.pk]


def test_the_log_filters_by_type_and_by_date(approver_client):
    now = timezone.now()
    old = _event_at(
        now - dt.timedelta(days=40), event_type=AuditEventType.LIST_IMPORTED, object_id="x"
    )
    recent = _event_at(now, event_type=AuditEventType.ACCESS_CHANGED, object_id="y")

    by_type = _row_ids(approver_client.get(URL, {"event_type": "list_imported"}).content.decode())
    assert old.pk in by_type and recent.pk not in by_type

    # The "past 7 days" choice of the created_at filter, as the admin builds its link.
    html = approver_client.get(URL).content.decode()
    assert "Past 7 days" in html  # the date filter
    assert "created_at__year=" in html  # and the date hierarchy
    since = str(now - dt.timedelta(days=7))
    until = str(now + dt.timedelta(days=1))
    by_date = _row_ids(
        approver_client.get(
            URL, {"created_at__gte": since, "created_at__lt": until}
        ).content.decode()
    )
    assert recent.pk in by_date and old.pk not in by_date

    year = old.created_at.year
    month = old.created_at.month
    by_month = _row_ids(
        approver_client.get(
            URL, {"created_at__year": year, "created_at__month": month}
        ).content.decode()
    )
    assert old.pk in by_month
    assert (recent.pk in by_month) == (
        (recent.created_at.year, recent.created_at.month) == (year, month)
    )


def test_each_event_links_to_its_object(approver_client, held_visit):
    visit = held_visit
    licence = Licence.objects.create(
        authority="BIS",
        number="D-1234",
        valid_from=dt.date.today(),
        valid_until=dt.date.today() + dt.timedelta(days=90),
    )
    lic_event = audit_record(
        event_type=AuditEventType.LICENCE_CHANGED, obj=licence, new={"number": "D-1234"}
    )
    other = audit_record(
        event_type=AuditEventType.REFERENCE_CHANGED, object_type="dispatch.Tool", object_id="7"
    )
    odd = audit_record(
        event_type=AuditEventType.VISIT_EDITED, object_type="dispatch.Visit", object_id="１２"
    )

    html = approver_client.get(URL).content.decode()
    # A held visit: its events open the hold page, where it is decided.
    assert f'href="/admin/compliance/hold/{visit.pk}/change/">Hold #{visit.pk}</a>' in html
    assert (
        f'href="/admin/compliance/licence/{licence.pk}/change/">Licence #{licence.pk}</a>' in html
    )
    row = lambda e: re.search(  # noqa: E731
        rf'<th class="field-id"><a href="[^"]*">{e.pk}</a>.*?</tr>', html, re.S
    ).group(0)
    assert "<a " not in row(other).split("field-object_link")[1]
    assert "<a " not in row(odd).split("field-object_link")[1]
    assert lic_event.pk in _row_ids(html)

    # Once the visit is no longer held, the same events open the visit page.
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.APPROVED)
    html = approver_client.get(URL).content.decode()
    assert f'href="/visits/{visit.pk}/">Visit #{visit.pk}</a>' in html
    assert f"/admin/compliance/hold/{visit.pk}/" not in html

    # The event's own page carries the link too.
    page = approver_client.get(f"{URL}{lic_event.pk}/change/").content.decode()
    assert f'href="/admin/compliance/licence/{licence.pk}/change/"' in page


def test_the_log_pages_use_a_fixed_number_of_queries(
    approver_client, held_visit, django_assert_max_num_queries
):
    for _ in range(30):
        audit_record(event_type=AuditEventType.VISIT_EDITED, obj=held_visit)
    with django_assert_max_num_queries(20):
        r = approver_client.get(URL)
    assert r.content.decode().count(f"Hold #{held_visit.pk}<") >= 30


def test_managers_still_see_no_audit_log(held_visit):
    c = Client()
    c.force_login(held_visit.requested_by)
    r = c.get(URL)
    assert r.status_code in (302, 403)
    assert b"Hold #" not in r.content
