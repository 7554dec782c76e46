"""Visit invariants through the service: refused with the field named, nothing written."""

from __future__ import annotations

import pytest

from compliance.models import AuditEvent
from config.errors import ApplicationError
from dispatch import services
from dispatch.models import Visit, VisitStatus
from tests.factories import (
    EngineerFactory,
    FacilityFactory,
    ToolFactory,
    VendorFactory,
    upcoming,
    window,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    """ASML's vendor, engineer and manager from the persona world, and an ASML tool at the mature
    fab."""
    tool = ToolFactory(facility=world.mature, oem=world.asml)
    return world.asml, world.mature, world.asml_engineer, tool, world.asml_manager


def _create(manager, vendor, facility, engineers, tools, start=None, end=None, **kw):
    first, last = window()
    start, end = start or first.isoformat(), end or last.isoformat()
    return services.visit_create(
        requested_by=manager,
        vendor=vendor.pk,
        facility=facility.pk,
        engineers=[e.pk for e in engineers],
        tools=[t.pk for t in tools],
        activity=kw.pop("activity", "maintenance"),
        start_date=start,
        end_date=end,
        **kw,
    )


def _assert_nothing_written(before_events: int) -> None:
    assert Visit.objects.count() == 0
    assert AuditEvent.objects.count() == before_events


def test_a_valid_visit_is_stored_pending_and_then_decided(setup, committed):
    vendor, facility, engineer, tool, manager = setup
    with committed() as scheduled:
        visit = _create(manager, vendor, facility, [engineer], [tool])
        visit.refresh_from_db()
        # Until the filing commits, the visit is pending with its check asked for.
        assert visit.status == VisitStatus.PENDING and visit.current_decision is None
        assert visit.check_requested_at is not None
    assert len(scheduled) >= 1  # the check's enqueue, then the notices the check scheduled
    visit.refresh_from_db()
    assert visit.current_decision is not None
    assert visit.status in {VisitStatus.CLEARED, VisitStatus.ON_HOLD, VisitStatus.BLOCKED}
    assert visit.check_requested_at is None


def test_an_engineer_of_another_vendor_is_refused_naming_the_engineers_field(setup):
    vendor, facility, _, tool, manager = setup
    stranger = EngineerFactory(vendor=VendorFactory())
    before = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        _create(manager, vendor, facility, [stranger], [tool])
    assert "engineers" in exc.value.errors
    # Answered like an unknown id: nothing about the other vendor's engineer is revealed.
    assert exc.value.errors["engineers"] == [
        f"No such engineer of ASML Netherlands B.V.: {stranger.pk}."
    ]
    assert stranger.name not in str(exc.value.errors)
    _assert_nothing_written(before)


def test_a_tool_of_another_facility_is_refused_naming_the_tools_field(setup):
    vendor, facility, engineer, _, manager = setup
    elsewhere = ToolFactory(facility=FacilityFactory(), oem=vendor)
    before = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        _create(manager, vendor, facility, [engineer], [elsewhere])
    assert "tools" in exc.value.errors
    assert "is not installed at" in exc.value.errors["tools"][0]
    _assert_nothing_written(before)


def test_an_end_date_before_the_start_is_refused_naming_the_end_date(setup):
    vendor, facility, engineer, tool, manager = setup
    before = AuditEvent.objects.count()
    start, end = upcoming(9).isoformat(), upcoming(7).isoformat()  # the end first
    with pytest.raises(ApplicationError) as exc:
        _create(manager, vendor, facility, [engineer], [tool], start=start, end=end)
    assert list(exc.value.errors) == ["end_date"]
    _assert_nothing_written(before)


def test_a_visit_without_engineers_is_refused(setup):
    vendor, facility, _, tool, manager = setup
    with pytest.raises(ApplicationError) as exc:
        _create(manager, vendor, facility, [], [tool])
    assert "engineers" in exc.value.errors
    assert Visit.objects.count() == 0


def test_an_unknown_activity_and_a_malformed_date_are_both_named(setup):
    vendor, facility, engineer, tool, manager = setup
    with pytest.raises(ApplicationError) as exc:
        _create(
            manager,
            vendor,
            facility,
            [engineer],
            [tool],
            start="07/12/2026",
            activity="sightseeing",
        )
    assert {"activity", "start_date"} <= set(exc.value.errors)
    assert Visit.objects.count() == 0


def test_a_manager_cannot_file_for_another_vendor(setup):
    _, facility, _, _, manager = setup
    other = VendorFactory()
    engineer = EngineerFactory(vendor=other)
    with pytest.raises(ApplicationError) as exc:
        _create(manager, other, facility, [engineer], [])
    assert "vendor" in exc.value.errors
    assert Visit.objects.count() == 0


def test_an_unknown_country_code_is_refused_naming_the_country_field(db):
    before = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        services.vendor_create(name="Nowhere Tools GmbH", country="XX")
    assert "country" in exc.value.errors
    with pytest.raises(ApplicationError) as exc:
        services.engineer_create(
            vendor=VendorFactory().pk,
            name="A",
            employee_id="1",
            home_country="NL",
            citizenships=["ZZ"],
        )
    assert "citizenships[0].country" in exc.value.errors
    with pytest.raises(ApplicationError) as exc:
        services.customer_create(name="Lowercase Co", country="cn")
    assert "country" in exc.value.errors
    assert AuditEvent.objects.count() == before


def test_cancelling_a_visit_keeps_it_and_records_the_event(setup):
    vendor, facility, engineer, tool, manager = setup
    visit = _create(manager, vendor, facility, [engineer], [tool])
    services.visit_cancel(visit=visit, user=manager, reason="customer postponed")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED
    assert (
        AuditEvent.objects.filter(event_type="visit_cancelled", object_id=str(visit.pk)).count()
        == 1
    )
