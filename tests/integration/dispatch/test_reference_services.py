"""Reference-data updates through the services: one audit event with what changed (old and new),
re-checks of exactly the open visits that read it, refusals that name the field and write
nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.models import AuditEvent
from config.errors import ApplicationError, NotFound
from dispatch import services
from dispatch.models import Visit
from tests.factories import (
    CustomerFactory,
    EngineerFactory,
    FacilityFactory,
    ToolFactory,
    VendorFactory,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world, committed):
    """The persona world, with a second Lam engineer and a Lam tool at the mature fab,
    ``visit(...)`` filing a Lam visit there (checked, as the commit would), and ``committed``."""
    world["colleague"] = EngineerFactory(vendor=world.lam, citizenships=["NL"])
    world["tool"] = ToolFactory(facility=world.mature, oem=world.lam)

    def visit(*engineers, tools=(), facility=world.mature, days_ahead=10):
        start = dt.date.today() + dt.timedelta(days=days_ahead)
        with committed():
            return services.visit_create(
                requested_by=world.lam_manager,
                vendor=world.lam.pk,
                facility=facility.pk,
                engineers=[e.pk for e in engineers],
                tools=[t.pk for t in tools],
                activity="maintenance",
                start_date=start,
                end_date=start + dt.timedelta(days=2),
            )

    world["visit"] = visit
    world["committed"] = committed
    return world


def _decisions(visit: Visit) -> int:
    return visit.decisions.count()


def _events(obj):
    return AuditEvent.objects.filter(
        event_type="reference_changed", object_type=obj._meta.label, object_id=str(obj.pk)
    )


def test_a_new_citizenship_is_recorded_old_and_new_and_rechecks_only_the_engineers_open_visits(
    world,
):
    engineer, colleague = world["lam_engineer"], world["colleague"]
    theirs = world["visit"](engineer)
    cancelled = world["visit"](engineer, days_ahead=20)
    services.visit_cancel(visit=cancelled, user=world["lam_manager"])
    not_theirs = world["visit"](colleague)
    counts = {v.pk: _decisions(v) for v in (theirs, cancelled, not_theirs)}

    with world["committed"]():
        services.engineer_update(
            engineer=engineer,
            user=world["lam_manager"],
            citizenships=["US", {"country": "CN", "since": "2010-01-01"}],
        )

    event = _events(engineer).get()
    assert event.actor_name == "lam.manager"
    assert event.old == {"citizenships": [{"country": "US", "since": None}]}
    assert event.new == {
        "citizenships": [{"country": "CN", "since": "2010-01-01"}, {"country": "US", "since": None}]
    }
    assert _decisions(theirs) == counts[theirs.pk] + 1
    assert _decisions(cancelled) == counts[cancelled.pk]
    assert _decisions(not_theirs) == counts[not_theirs.pk]


def test_an_update_that_changes_nothing_records_nothing_and_rechecks_nothing(world):
    engineer = world["lam_engineer"]
    visit = world["visit"](engineer)
    events = AuditEvent.objects.count()
    with world["committed"]():
        services.engineer_update(
            engineer=engineer, user=world["lam_manager"], citizenships=["US"], name=engineer.name
        )
    assert AuditEvent.objects.count() == events
    assert _decisions(visit) == 1


def test_an_unknown_citizenship_country_is_refused_naming_the_row_and_nothing_is_written(world):
    engineer = world["lam_engineer"]
    events = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        services.engineer_update(
            engineer=engineer, user=world["lam_manager"], citizenships=["US", "XX"], name="Renamed"
        )
    assert "citizenships[1].country" in exc.value.errors
    assert AuditEvent.objects.count() == events
    engineer.refresh_from_db()
    assert engineer.name != "Renamed"
    assert list(engineer.citizenships.values_list("country", flat=True)) == ["US"]


def test_a_duplicate_employee_id_is_refused_naming_the_field(world):
    with pytest.raises(ApplicationError) as exc:
        services.engineer_update(
            engineer=world["lam_engineer"],
            user=world["lam_manager"],
            employee_id=world["colleague"].employee_id,
        )
    assert "employee_id" in exc.value.errors


def test_the_vendor_of_an_engineer_cannot_be_changed(world):
    with pytest.raises(ApplicationError) as exc:
        services.engineer_update(
            engineer=world["lam_engineer"], user=world["lam_manager"], vendor=VendorFactory()
        )
    assert "vendor" in exc.value.errors


def test_another_vendors_manager_cannot_change_an_engineer_even_through_an_edited_copy(world):
    stranger_vendor = VendorFactory()
    stranger = make_user("stranger", role="service_manager", vendor=stranger_vendor)
    copy = type(world["lam_engineer"]).objects.get(pk=world["lam_engineer"].pk)
    copy.vendor_id = stranger_vendor.pk  # permission is decided on the stored row
    with pytest.raises(NotFound):
        services.engineer_update(engineer=copy, user=stranger, name="Hijacked")


def test_the_old_facts_come_from_the_stored_row_not_the_callers_edited_instance(world):
    fab = world["mature"]
    visit = world["visit"](world["lam_engineer"])
    fab.logic_node_nm = 14  # as an admin form leaves its instance before saving
    with world["committed"]():
        services.facility_update(facility=fab, user=world["approver"], logic_node_nm=14)
    event = _events(fab).get()
    assert event.old == {"logic_node_nm": 40} and event.new == {"logic_node_nm": 14}
    assert event.actor_name == "approver"
    assert _decisions(visit) == 2


def test_an_unknown_facility_country_is_refused_and_nothing_is_written(world):
    fab = world["mature"]
    with pytest.raises(ApplicationError) as exc:
        services.facility_update(facility=fab, country="XX", logic_node_nm=7)
    assert "country" in exc.value.errors
    fab.refresh_from_db()
    assert (fab.country, fab.logic_node_nm) == ("CN", 40)
    assert not _events(fab).exists()


def test_a_service_manager_may_not_change_a_facility(world):
    with pytest.raises(ApplicationError):
        services.facility_update(
            facility=world["mature"], user=world["lam_manager"], logic_node_nm=7
        )
    assert not _events(world["mature"]).exists()


def test_moving_a_facility_to_another_owner_rechecks_its_visits(world):
    fab = world["mature"]
    visit = world["visit"](world["lam_engineer"])
    new_owner = CustomerFactory()
    old_owner = fab.customer_id
    with world["committed"]():
        services.facility_update(facility=fab, customer=new_owner.pk)
    event = _events(fab).get()
    assert event.old == {"customer": old_owner} and event.new == {"customer": new_owner.pk}
    assert _decisions(visit) == 2


def test_a_customer_alias_rechecks_the_visits_to_its_buildings_and_bad_aliases_are_refused(world):
    customer = world["mature"].customer
    visit = world["visit"](world["lam_engineer"])
    with pytest.raises(ApplicationError) as exc:
        services.customer_update(customer=customer, aliases="not a list")
    assert "aliases" in exc.value.errors
    with world["committed"]():
        services.customer_update(customer=customer, aliases=["SMIC South"])
    event = _events(customer).get()
    assert event.old == {"aliases": []} and event.new == {"aliases": ["SMIC South"]}
    assert _decisions(visit) == 2


def test_a_vendor_becoming_a_us_branch_rechecks_its_visits(world):
    vendor = world["lam"]
    visit = world["visit"](world["lam_engineer"])
    with world["committed"]():
        services.vendor_update(vendor=vendor, is_us_branch=True)
    event = _events(vendor).get()
    assert event.old == {"is_us_branch": False} and event.new == {"is_us_branch": True}
    assert _decisions(visit) == 2


def test_a_tools_classification_change_rechecks_the_visits_that_list_it(world):
    tool = world["tool"]
    with_tool = world["visit"](world["lam_engineer"], tools=[tool])
    without_tool = world["visit"](world["colleague"])
    with world["committed"]():
        services.tool_update(
            tool=tool, user=world["lam_manager"], classifications={"US": ["3B001.c"]}
        )
    event = _events(tool).get()
    assert event.new == {"classifications": {"US": ["3B001.c"]}}
    assert _decisions(with_tool) == 2
    assert _decisions(without_tool) == 1


def test_a_tool_cannot_move_to_another_facility(world):
    with pytest.raises(ApplicationError) as exc:
        services.tool_update(tool=world["tool"], facility=FacilityFactory())
    assert "facility" in exc.value.errors
