"""Admin edits of engineers, facilities and customers go through the services: audited with the
actor and the old and new facts, the open visits that read them re-checked, bad input refused
with nothing written."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.urls import reverse

from compliance.models import AuditEvent
from dispatch import services
from dispatch.models import Citizenship, Engineer, Facility, VisitStatus
from tests.factories import (
    CustomerFactory,
    FacilityFactory,
    ToolFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world, client, committed):
    """The persona world with a cleared Lam visit to the mature fab, and the client logged in as
    the superuser."""
    start = dt.date.today() + dt.timedelta(days=10)
    with committed():
        visit = services.visit_create(
            requested_by=world.lam_manager,
            vendor=world.lam.pk,
            facility=world.mature.pk,
            engineers=[world.lam_engineer.pk],
            activity="maintenance",
            start_date=start,
            end_date=start + dt.timedelta(days=2),
        )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CLEARED and visit.decisions.count() == 1
    client.force_login(world.boss)
    world["client"] = client
    world["visit"] = visit
    return world


def _engineer_form(engineer, *, citizenships, residencies=(), **fields):
    """The engineer's change form as posted: its fields and both inlines (existing rows first)."""
    data = {
        "name": engineer.name,
        "employee_id": engineer.employee_id,
        "home_country": engineer.home_country,
        "is_active": "on" if engineer.is_active else "",
        **fields,
    }
    if engineer.us_protected_individual:
        data["us_protected_individual"] = "on"
    existing = list(engineer.citizenships.order_by("pk")) if engineer.pk else []
    rows = [{"id": c.pk, "country": c.country, "since": c.since or ""} for c in existing] + list(
        citizenships
    )
    for prefix, items, initial in (
        ("citizenships", rows, len(existing)),
        ("residencies", list(residencies), 0),
    ):
        data |= {
            f"{prefix}-TOTAL_FORMS": len(items),
            f"{prefix}-INITIAL_FORMS": initial,
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
        for i, item in enumerate(items):
            for key, value in item.items():
                data[f"{prefix}-{i}-{key}"] = "on" if value is True else value
            data[f"{prefix}-{i}-engineer"] = engineer.pk if engineer.pk else ""
    return {k: v for k, v in data.items() if v is not None}


def _facility_form(fab, **fields):
    data = {
        "customer": fab.customer_id,
        "name": fab.name,
        "building": fab.building,
        "address": fab.address,
        "city": fab.city,
        "country": fab.country,
        "products": '["logic"]',
        "logic_node_nm": fab.logic_node_nm or "",
        "nand_layers": fab.nand_layers or "",
        "dram_half_pitch_nm": "",
        "dram_cell_area_um2": "",
        "capability_assessed_on": "",
        "capability_evidence": fab.capability_evidence,
        **fields,
    }
    if data.pop("non_planar", fab.non_planar):
        data["non_planar"] = "on"
    return data


def _reference_events(obj):
    return AuditEvent.objects.filter(
        event_type="reference_changed", object_type=obj._meta.label, object_id=str(obj.pk)
    ).order_by("pk")


def _audit_chain_ok() -> bool:
    out = io.StringIO()
    call_command("verify_audit_log", stdout=out)
    return out.getvalue().startswith("OK")


def test_adding_a_citizenship_in_the_admin_is_audited_and_rechecks_the_engineers_open_visit(
    world, committed
):
    client, engineer, visit = world["client"], world["lam_engineer"], world["visit"]
    with committed():
        response = client.post(
            f"/admin/dispatch/engineer/{engineer.pk}/change/",
            _engineer_form(engineer, citizenships=[{"country": "CN", "since": "2019-05-01"}]),
        )
    assert response.status_code == 302, response.content[:3000]

    assert set(engineer.citizenships.values_list("country", flat=True)) == {"US", "CN"}
    event = _reference_events(engineer).get()
    assert event.actor == world["boss"] and event.actor_name == "boss"
    assert event.old == {"citizenships": [{"country": "US", "since": None}]}
    assert event.new == {
        "citizenships": [{"country": "CN", "since": "2019-05-01"}, {"country": "US", "since": None}]
    }
    visit.refresh_from_db()
    assert visit.decisions.count() == 2
    assert visit.current_decision.trigger == "edit"
    assert visit.check_requested_at is None  # the requested check has run (eager mode)
    assert LogEntry.objects.filter(object_id=str(engineer.pk)).exists()
    assert _audit_chain_ok()


def test_removing_a_citizenship_in_the_admin_records_the_old_and_new_lists(world, committed):
    client, engineer = world["client"], world["lam_engineer"]
    Citizenship.objects.create(engineer=engineer, country="CN")
    data = _engineer_form(engineer, citizenships=[])
    cn_row = next(i for i in range(2) if data[f"citizenships-{i}-country"] == "CN")
    data[f"citizenships-{cn_row}-DELETE"] = "on"
    with committed():
        response = client.post(f"/admin/dispatch/engineer/{engineer.pk}/change/", data)
    assert response.status_code == 302, response.content[:3000]
    assert list(engineer.citizenships.values_list("country", flat=True)) == ["US"]
    event = _reference_events(engineer).get()
    assert [c["country"] for c in event.old["citizenships"]] == ["CN", "US"]
    assert [c["country"] for c in event.new["citizenships"]] == ["US"]


def test_changing_a_facilitys_logic_node_in_the_admin_is_audited_and_rechecks_its_visits(
    world, committed
):
    client, fab, visit = world["client"], world["mature"], world["visit"]
    elsewhere = FacilityFactory(logic_node_nm=28)
    with committed():
        other_visit = services.visit_create(
            requested_by=world["lam_manager"],
            vendor=world["lam"].pk,
            facility=elsewhere.pk,
            engineers=[world["lam_engineer"].pk],
            activity="maintenance",
            start_date=visit.start_date,
            end_date=visit.end_date,
        )
    before_other = other_visit.decisions.count()

    with committed():
        response = client.post(
            f"/admin/dispatch/facility/{fab.pk}/change/",
            _facility_form(fab, logic_node_nm=14, non_planar=True),
        )
    assert response.status_code == 302, response.content[:3000]

    fab.refresh_from_db()
    assert (fab.logic_node_nm, fab.non_planar) == (14, True)
    event = _reference_events(fab).get()
    assert event.actor_name == "boss"
    assert event.old == {"logic_node_nm": 40, "non_planar": False}
    assert event.new == {"logic_node_nm": 14, "non_planar": True}
    visit.refresh_from_db()
    assert visit.decisions.count() == 2
    assert visit.current_decision.trigger == "edit"
    assert visit.status == VisitStatus.ON_HOLD  # a US person at a FinFET fab
    assert other_visit.decisions.count() == before_other  # a visit elsewhere is not re-checked
    assert _audit_chain_ok()


def test_an_unknown_citizenship_country_is_refused_beside_the_row_and_nothing_is_recorded(
    world, committed
):
    client, engineer, visit = world["client"], world["lam_engineer"], world["visit"]
    events = AuditEvent.objects.count()
    with committed():
        response = client.post(
            f"/admin/dispatch/engineer/{engineer.pk}/change/",
            _engineer_form(engineer, citizenships=[{"country": "XX", "since": ""}]),
        )
    assert response.status_code == 200
    inline_errors = [
        form.errors
        for formset in response.context["inline_admin_formsets"]
        for form in formset.formset.forms
        if form.errors
    ]
    assert any("country" in errors for errors in inline_errors)
    assert AuditEvent.objects.count() == events
    assert list(engineer.citizenships.values_list("country", flat=True)) == ["US"]
    visit.refresh_from_db()
    assert visit.decisions.count() == 1 and visit.check_requested_at is None


def test_an_unknown_facility_country_is_refused_beside_the_field_and_nothing_is_recorded(
    world, committed
):
    client, fab, visit = world["client"], world["mature"], world["visit"]
    events = AuditEvent.objects.count()
    with committed():
        response = client.post(
            f"/admin/dispatch/facility/{fab.pk}/change/",
            _facility_form(fab, country="XX", logic_node_nm=14),
        )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get("country")
    assert AuditEvent.objects.count() == events
    fab.refresh_from_db()
    assert (fab.country, fab.logic_node_nm) == ("CN", 40)
    visit.refresh_from_db()
    assert visit.decisions.count() == 1 and visit.check_requested_at is None


def test_a_refusal_only_the_service_makes_is_shown_on_the_form_and_changes_nothing(
    world, committed
):
    """The form accepts a citizenship acquired in 1850; the service does not (before 1900)."""
    client, engineer, visit = world["client"], world["lam_engineer"], world["visit"]
    events = AuditEvent.objects.count()
    with committed():
        response = client.post(
            f"/admin/dispatch/engineer/{engineer.pk}/change/",
            _engineer_form(
                engineer, citizenships=[{"country": "CN", "since": "1850-01-01"}], name="Renamed"
            ),
        )
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any("citizenships[1].since" in e for e in errors), errors
    assert AuditEvent.objects.count() == events
    assert Engineer.objects.get(pk=engineer.pk).name == engineer.name
    assert list(engineer.citizenships.values_list("country", flat=True)) == ["US"]
    visit.refresh_from_db()
    assert visit.decisions.count() == 1


def test_saving_an_unchanged_engineer_in_the_admin_records_nothing(world, committed):
    client, engineer, visit = world["client"], world["lam_engineer"], world["visit"]
    events = AuditEvent.objects.count()
    with committed():
        response = client.post(
            f"/admin/dispatch/engineer/{engineer.pk}/change/",
            _engineer_form(engineer, citizenships=[]),
        )
    assert response.status_code == 302, response.content[:3000]
    assert AuditEvent.objects.count() == events
    assert visit.decisions.count() == 1


def test_an_engineer_added_in_the_admin_is_recorded_with_their_citizenships(world, committed):
    client, vendor = world["client"], world["lam"]
    new = Engineer(vendor=vendor, name="Mei Chen", employee_id="E-NEW", home_country="US")
    data = _engineer_form(new, citizenships=[{"country": "TW", "since": ""}], vendor=vendor.pk)
    with committed():
        response = client.post("/admin/dispatch/engineer/add/", data)
    assert response.status_code == 302, response.content[:3000]
    engineer = Engineer.objects.get(employee_id="E-NEW")
    assert list(engineer.citizenships.values_list("country", flat=True)) == ["TW"]
    event = _reference_events(engineer).get()
    assert event.actor_name == "boss" and event.old is None
    assert event.new["citizenships"] == [{"country": "TW", "since": None}]
    assert LogEntry.objects.filter(object_id=str(engineer.pk), action_flag=1).exists()


def test_a_service_manager_cannot_move_their_engineer_to_another_vendor(world, client, committed):
    engineer = world["lam_engineer"]
    client.force_login(world["lam_manager"])
    other = VendorFactory()
    data = _engineer_form(engineer, citizenships=[], vendor=other.pk, name="Renamed")
    # Service managers see (and post) the citizenship and residency inlines, unchanged here.
    with committed():
        response = client.post(f"/admin/dispatch/engineer/{engineer.pk}/change/", data)
    assert response.status_code == 302, response.content[:3000]
    engineer.refresh_from_db()
    assert (engineer.vendor_id, engineer.name) == (world["lam"].pk, "Renamed")
    event = _reference_events(engineer).get()
    assert event.actor_name == "lam.manager"
    assert set(event.old) == {"name"} and event.new == {"name": "Renamed"}


def test_a_customer_alias_added_in_the_admin_rechecks_the_visits_to_its_buildings(world, committed):
    client, fab, visit = world["client"], world["mature"], world["visit"]
    customer = fab.customer
    with committed():
        response = client.post(
            f"/admin/dispatch/customer/{customer.pk}/change/",
            {"name": customer.name, "country": customer.country, "aliases": '["SMIC South"]'},
        )
    assert response.status_code == 302, response.content[:3000]
    event = _reference_events(customer).get()
    assert event.old == {"aliases": []} and event.new == {"aliases": ["SMIC South"]}
    visit.refresh_from_db()
    assert visit.decisions.count() == 2


def test_a_facility_added_in_the_admin_is_recorded(world, committed):
    client = world["client"]
    customer = CustomerFactory()
    template = Facility(customer=customer, name="Fab 9", city="Wuxi", country="CN")
    with committed():
        response = client.post(
            "/admin/dispatch/facility/add/", _facility_form(template, logic_node_nm=28)
        )
    assert response.status_code == 302, response.content[:3000]
    fab = Facility.objects.get(name="Fab 9")
    event = _reference_events(fab).get()
    assert event.new["logic_node_nm"] == 28 and event.new["customer"] == customer.pk


def test_the_admin_deletes_no_reference_data_that_open_visits_use(world):
    """Deleting an engineer or tool would take it off open visits with no audit and no re-check;
    the admin offers no delete (engineers are deactivated instead)."""
    from dispatch.models import Tool

    client, engineer = world["client"], world["lam_engineer"]
    tool = ToolFactory(facility=world["mature"], oem=world["lam"])
    for model, obj in ((Engineer, engineer), (Tool, tool)):
        url = reverse(f"admin:dispatch_{model._meta.model_name}_delete", args=[obj.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, {"post": "yes"}).status_code == 403
        changelist = reverse(f"admin:dispatch_{model._meta.model_name}_changelist")
        client.post(
            changelist, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
        )
        assert model.objects.filter(pk=obj.pk).exists()
    assert world["visit"].engineers.filter(pk=engineer.pk).exists()


def test_a_recorded_ear_determination_without_a_justification_is_refused_in_the_admin(world):
    tool = ToolFactory(
        facility=world["mature"], oem=world["lam"], subject_to_ear=None, ear_justification=""
    )
    events = AuditEvent.objects.count()
    url = reverse("admin:dispatch_tool_change", args=[tool.pk])
    form = {
        "model": tool.model,
        "serial_number": tool.serial_number,
        "classifications": '{"US": ["3B001.c"]}',
        "origin": "KR",
        "us_content_percent": "",
        "made_with_us_technology": "unknown",
        "subject_to_ear": "false",
        "ear_justification": "",
    }
    refused = world["client"].post(url, form)
    assert refused.status_code == 200
    assert "say why it holds" in refused.content.decode()
    tool.refresh_from_db()
    assert tool.subject_to_ear is None and tool.origin == ""
    assert AuditEvent.objects.count() == events
    accepted = world["client"].post(url, {**form, "ear_justification": "Classification file 17."})
    assert accepted.status_code == 302
    tool.refresh_from_db()
    assert tool.subject_to_ear is False and tool.origin == "KR"
    event = AuditEvent.objects.filter(event_type="reference_changed", object_id=str(tool.pk)).last()
    assert event.new["ear_justification"] == "Classification file 17." and event.actor == world.boss
