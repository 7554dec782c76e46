"""A bulk licence covers the destination countries it lists (DOMAIN sec. 8: METI's simplified
bulk licences), is validated on input and re-checks the open visits to those countries."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance import services as compliance_services
from compliance.models import AuditEvent, Licence
from config.errors import ApplicationError
from dispatch import services
from dispatch.models import VisitStatus
from tests.factories import (
    EngineerFactory,
    FacilityFactory,
    ToolFactory,
    VendorFactory,
    make_user,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def tel(rules, sample_list):
    vendor = VendorFactory(name="Tokyo Electron Limited", country="JP")
    return vendor, make_user("tel", role="service_manager", vendor=vendor)


def _bulk(approver, vendor, countries, **fields):
    return compliance_services.licence_create(
        user=approver,
        authority=fields.pop("authority", "METI"),
        kind="bulk",
        number=fields.pop("number", "METI-BULK-1"),
        holder=vendor.pk,
        valid_from=TODAY,
        valid_until=TODAY + dt.timedelta(days=365),
        countries=countries,
        **fields,
    )


@pytest.mark.parametrize(
    ("kind", "authority", "countries", "message"),
    [
        ("bulk", "METI", [], "must list the destination countries"),
        ("bulk", "METI", ["KR", "CN"], "cannot cover CN"),
        ("bulk", "METI", ["KR", "XX"], "Not ISO 3166-1"),
        ("licence", "BIS", ["KR"], "Only a bulk licence lists countries"),
    ],
)
def test_a_bad_country_scope_is_refused_naming_the_field(tel, kind, authority, countries, message):
    vendor, _ = tel
    approver = make_user("approver", role="approver")
    before = (Licence.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ApplicationError) as caught:
        compliance_services.licence_create(
            user=approver,
            authority=authority,
            kind=kind,
            number="N-1",
            holder=vendor.pk,
            valid_from=TODAY,
            valid_until=TODAY + dt.timedelta(days=30),
            facilities=[FacilityFactory().pk],
            countries=countries,
        )
    assert any(message in m for m in caught.value.errors["countries"])
    assert (Licence.objects.count(), AuditEvent.objects.count()) == before


def test_a_meti_bulk_licence_releases_the_visits_to_its_countries(tel, committed):
    vendor, manager = tel
    korea = FacilityFactory(country="KR", city="Pyeongtaek", logic_node_nm=28, non_planar=False)
    singapore = FacilityFactory(country="SG", city="Singapore", logic_node_nm=28, non_planar=False)
    engineer = EngineerFactory(vendor=vendor, name="Kenji Sato", citizenships=["JP"])
    start = TODAY + dt.timedelta(days=10)
    visits = {}
    for fab in (korea, singapore):
        coater = ToolFactory(
            facility=fab, oem=vendor, classifications={"JP": ["METI-23:deposition"]}
        )
        with committed():
            visits[fab.country] = services.visit_create(
                requested_by=manager,
                vendor=vendor.pk,
                facility=fab.pk,
                engineers=[engineer.pk],
                tools=[coater.pk],
                activity="installation",
                start_date=start,
                end_date=start,
            )
    for visit in visits.values():
        visit.refresh_from_db()
        assert visit.status == VisitStatus.ON_HOLD
    approver = make_user("approver", role="approver")
    with committed():
        licence = _bulk(approver, vendor, ["KR", "TW"])
    event = AuditEvent.objects.filter(event_type="licence_changed", object_id=str(licence.pk)).get()
    assert event.new["countries"] == ["KR", "TW"] and event.new["kind"] == "bulk"
    kr, sg = visits["KR"], visits["SG"]
    kr.refresh_from_db()
    sg.refresh_from_db()
    finding = kr.current_decision.findings.get(rule_code="JP-FEFTA-23-TOOLS")
    assert finding.covered_by_licence == "METI-BULK-1"
    assert kr.status == VisitStatus.CLEARED
    assert sg.status == VisitStatus.ON_HOLD
    assert sg.current_decision.findings.get(rule_code="JP-FEFTA-23-TOOLS").covered_by_licence in (
        None,
        "",
    )


@pytest.mark.parametrize(
    ("authority", "countries", "holder", "field", "message"),
    [
        ("BIS", ["KR"], True, "kind", "Only METI issues bulk licences"),
        ("METI", ["KR"], False, "holder", "name the holder"),
        ("METI", ["KR", "RU"], True, "countries", "RU: not among the destinations"),
        ("METI", ["IR"], True, "countries", "IR: not among the destinations"),
    ],
)
def test_only_a_held_meti_bulk_licence_for_known_destinations_is_recorded(
    tel, authority, countries, holder, field, message
):
    vendor, _ = tel
    approver = make_user("approver", role="approver")
    before = (Licence.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ApplicationError) as caught:
        compliance_services.licence_create(
            user=approver,
            authority=authority,
            kind="bulk",
            number="N-2",
            holder=vendor.pk if holder else None,
            valid_from=TODAY,
            valid_until=TODAY + dt.timedelta(days=30),
            countries=countries,
        )
    assert any(message in m for m in caught.value.errors[field])
    assert (Licence.objects.count(), AuditEvent.objects.count()) == before


def test_a_bulk_licence_of_another_holder_covers_nothing(tel, committed):
    vendor, manager = tel
    korea = FacilityFactory(country="KR", city="Pyeongtaek", logic_node_nm=28, non_planar=False)
    engineer = EngineerFactory(vendor=vendor, name="Kenji Sato", citizenships=["JP"])
    coater = ToolFactory(facility=korea, oem=vendor, classifications={"JP": ["METI-23:deposition"]})
    start = TODAY + dt.timedelta(days=10)
    with committed():
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=korea.pk,
            engineers=[engineer.pk],
            tools=[coater.pk],
            activity="installation",
            start_date=start,
            end_date=start,
        )
    other = VendorFactory(name="Screen Holdings Co., Ltd.", country="JP")
    with committed():
        _bulk(make_user("approver", role="approver"), other, ["KR"], number="OTHER-BULK")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_HOLD
    finding = visit.current_decision.findings.get(rule_code="JP-FEFTA-23-TOOLS")
    assert not finding.covered_by_licence
