"""What filing reads in one statement (``dispatch.services.visit_refs``): what it finds, in what
order, what it hides from another vendor, and what it makes of ids that cannot exist."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch import roles
from dispatch.services.visit_refs import references_read
from tests.factories import EngineerFactory, FacilityFactory, ToolFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    vendor, other = VendorFactory(), VendorFactory()
    facility = FacilityFactory()
    engineers = [
        EngineerFactory(vendor=vendor, name=name) for name in ("Zoë O'Brien", "Ann Li", "Mia Wu")
    ]
    stranger = EngineerFactory(vendor=other, name="Aaron Other")
    tools = [
        ToolFactory(facility=facility, oem=vendor, model=m, serial_number=sn)
        for m, sn in (("NXT:2000i", "SN-2"), ("NXT:1980i", "SN-9"), ("NXT:1980i", "SN-1"))
    ]
    foreign_tool = ToolFactory(facility=facility, oem=other)
    manager = make_user("refs.manager", role="service_manager", vendor=vendor)
    return vendor, facility, engineers, stranger, tools, foreign_tool, manager


def test_everything_in_one_statement_in_listing_order(world):
    vendor, facility, engineers, stranger, tools, foreign_tool, manager = world
    # As a request has it: the user's roles and profile were read with their token.
    roles.sees_all_vendors(manager)
    roles.user_vendor_id(manager)
    with CaptureQueriesContext(connection) as queries:
        refs = references_read(
            user=manager,
            vendor_id=vendor.pk,
            facility_id=facility.pk,
            engineer_ids=[e.pk for e in engineers] + [stranger.pk],
            tool_ids=[t.pk for t in tools] + [foreign_tool.pk],
            idempotency_key="key-1",
        )
    assert len(queries) == 1
    assert (refs.vendor.pk, refs.vendor.name) == (vendor.pk, vendor.name)
    assert (refs.facility.pk, refs.facility.name) == (facility.pk, facility.name)
    # Engineers by name, the other vendor's left out; tools by model then serial number, the
    # other vendor's tool invisible to this manager.
    assert [e.name for e in refs.engineers] == ["Ann Li", "Mia Wu", "Zoë O'Brien"]
    assert all(e.is_active is True and e.vendor_id == vendor.pk for e in refs.engineers)
    assert [(t.model, t.serial_number) for t in refs.tools] == [
        ("NXT:1980i", "SN-1"),
        ("NXT:1980i", "SN-9"),
        ("NXT:2000i", "SN-2"),
    ]
    assert {t.facility_id for t in refs.tools} == {facility.pk}
    assert refs.existing is None


def test_an_approver_sees_every_vendors_tools_and_a_roleless_user_none(world):
    vendor, facility, _, _, tools, foreign_tool, _ = world
    ids = [t.pk for t in tools] + [foreign_tool.pk]
    approver = make_user("refs.approver", role="approver")
    seen = references_read(
        user=approver, vendor_id=None, facility_id=None, engineer_ids=[], tool_ids=ids
    )
    assert {t.pk for t in seen.tools} == set(ids)
    nobody = make_user("refs.nobody", vendor=vendor)
    nobody.profile.vendor = None
    nobody.profile.save()
    nobody = type(nobody).objects.get(pk=nobody.pk)
    none = references_read(
        user=nobody, vendor_id=vendor.pk, facility_id=facility.pk, engineer_ids=[], tool_ids=ids
    )
    assert none.tools == [] and none.vendor is not None


@pytest.mark.parametrize("huge", [2**63, 2**70, -(2**63) - 1])
def test_ids_no_row_can_have_match_nothing_and_raise_nothing(world, huge):
    _, _, engineers, _, tools, _, manager = world
    refs = references_read(
        user=manager,
        vendor_id=huge,
        facility_id=huge,
        engineer_ids=[huge, engineers[0].pk],
        tool_ids=[huge, tools[0].pk],
    )
    assert refs.vendor is None and refs.facility is None
    assert refs.engineers == []  # none of a vendor that does not exist
    assert [t.pk for t in refs.tools] == [tools[0].pk]


def test_a_vendor_that_is_no_number_is_refused_as_the_orm_refuses_it(world):
    _, _, _, _, _, _, manager = world
    with pytest.raises(ValueError, match="expected a number"):
        references_read(
            user=manager, vendor_id="1 OR 1=1", facility_id=None, engineer_ids=[], tool_ids=[]
        )


def test_the_idempotency_key_finds_only_the_users_own_visit(world):
    vendor, facility, engineers, _, _, _, manager = world
    import datetime as dt

    from dispatch import services

    def keyed(user):
        return references_read(
            user=user,
            vendor_id=None,
            facility_id=None,
            engineer_ids=[],
            tool_ids=[],
            idempotency_key="same-key",
        )

    start = dt.date.today() + dt.timedelta(days=3)
    filed = services.visit_create_once(
        requested_by=manager,
        idempotency_key="same-key",
        vendor=vendor.pk,
        facility=facility.pk,
        engineers=[engineers[0].pk],
        activity="maintenance",
        start_date=start,
        end_date=start,
    )
    mine = keyed(manager)
    assert mine.existing is not None and mine.existing[0] == filed.visit.pk
    assert mine.existing[2] == vendor.pk
    colleague = make_user("refs.colleague", role="service_manager", vendor=vendor)
    theirs = keyed(colleague)
    assert theirs.existing is None


def test_party_ids_of_many_visits_in_one_statement_in_the_models_ordering(world):
    from dispatch.models import Visit
    from dispatch.selectors import visit_party_ids

    vendor, facility, engineers, _, tools, _, manager = world
    twin = EngineerFactory(vendor=vendor, name="Ann Li")  # same name: ties go by id
    import datetime as dt

    from dispatch import services

    start = dt.date.today() + dt.timedelta(days=3)
    filed = [
        services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=facility.pk,
            engineers=[e.pk for e in people],
            tools=[t.pk for t in kit],
            activity="maintenance",
            start_date=start,
            end_date=start,
        )
        for people, kit in (([*engineers, twin], tools), ([engineers[0]], []))
    ]
    ids = [v.pk for v in filed]
    with CaptureQueriesContext(connection) as queries:
        by_engineers, by_tools = visit_party_ids(visit_ids=[*ids, 2**70])
    assert len(queries) == 1
    for visit in Visit.objects.filter(pk__in=ids):
        # The models' own ordering (name; model, serial number), ties by id.
        assert by_engineers[visit.pk] == list(
            visit.engineers.order_by("name", "pk").values_list("pk", flat=True)
        )
        assert by_tools[visit.pk] == list(
            visit.tools.order_by("model", "serial_number", "pk").values_list("pk", flat=True)
        )
    first = by_engineers[ids[0]]
    assert first.index(min(engineers[1].pk, twin.pk)) < first.index(max(engineers[1].pk, twin.pk))
    assert by_tools[ids[1]] == [] and by_engineers[2**70] == []
