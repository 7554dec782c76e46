"""Single-line names refuse a line break, tab or other control character on every input path (the
API, the admin, the services), also at either end, where a plain text field would trim it
silently; multi-line texts keep their line breaks but refuse the other control characters. A
refused request changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from compliance.api.serializers import JustificationIn, RejectIn
from compliance.models import AuditEvent, Licence, MatchReview
from config.errors import ApplicationError
from dispatch import services
from dispatch.models import Customer, Engineer, Facility, Tool, Vendor, Visit

pytestmark = pytest.mark.django_db

CONTROL = ["Fab\nOne", "Fab One\n", "\nFab One", "Fab\rOne", "Fab\tOne", "Fab One\t", "Fab\x0bOne"]


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(world.boss)
    return client


def _facility(world, **fields):
    return {
        "customer": world.fab.customer_id,
        "name": "Fab 30",
        "city": "Wuxi",
        "country": "CN",
        **fields,
    }


# --- Facilities: the name that goes into every notice's subject ------------------------------
@pytest.mark.parametrize("field", ["name", "building", "address", "city"])
@pytest.mark.parametrize("value", CONTROL)
def test_a_facility_field_with_a_control_character_is_refused_by_the_api_naming_the_field(
    world, api, field, value
):
    facilities, events = Facility.objects.count(), AuditEvent.objects.count()
    r = api.post("/api/v1/facilities/", _facility(world, **{field: value}), format="json")
    assert r.status_code == 400, r.json()
    assert "control character" in " ".join(r.json()["errors"][field])
    assert (Facility.objects.count(), AuditEvent.objects.count()) == (facilities, events)


def test_a_line_break_at_the_end_of_a_facility_name_is_refused_not_trimmed(world, api):
    """The API used to trim it and store "Fab 30": what was typed is not what was stored."""
    r = api.post("/api/v1/facilities/", _facility(world, name="Fab 30\n"), format="json")
    assert r.status_code == 400
    assert r.json()["errors"]["name"] == [
        "Contains a control character, U+000A unnamed character, at position 7. "
        "Type the text without it."
    ]
    assert not Facility.objects.filter(name="Fab 30").exists()


def test_a_facility_renamed_with_a_line_break_through_the_service_is_refused(world):
    before = world.fab.name
    with pytest.raises(ApplicationError) as refused:
        services.facility_update(facility=world.fab, user=world.boss, name="Fab\nOne")
    assert "name" in refused.value.errors
    world.fab.refresh_from_db()
    assert world.fab.name == before


@pytest.mark.parametrize("value", ["Fab 9\n", "Fab\n9", "Fab 9\t"])
def test_the_admin_refuses_a_facility_name_with_a_line_break_beside_the_field(world, client, value):
    client.force_login(world.boss)
    data = {
        "customer": world.fab.customer_id,
        "name": value,
        "building": "",
        "address": "",
        "city": "Wuxi",
        "country": "CN",
        "products": '["logic"]',
        "logic_node_nm": 28,
        "nand_layers": "",
        "dram_half_pitch_nm": "",
        "dram_cell_area_um2": "",
        "capability_assessed_on": "",
        "capability_evidence": "",
    }
    facilities = Facility.objects.count()
    response = client.post("/admin/dispatch/facility/add/", data)
    assert response.status_code == 200
    assert "control character" in " ".join(response.context["adminform"].form.errors["name"])
    assert Facility.objects.count() == facilities


# --- The other single-line names ---------------------------------------------------------------
def test_vendor_customer_engineer_and_tool_names_refuse_a_trailing_line_break(world, api):
    counts = (Vendor.objects.count(), Customer.objects.count(), Engineer.objects.count())
    tools = Tool.objects.count()
    posts = [
        ("/api/v1/vendors/", {"name": "Acme\n", "country": "US"}, "name"),
        ("/api/v1/customers/", {"name": "Acme Fab\n", "country": "CN"}, "name"),
        (
            "/api/v1/customers/",
            {"name": "Acme Fab", "country": "CN", "aliases": ["A\n"]},
            "aliases",
        ),
        (
            "/api/v1/engineers/",
            {
                "vendor": world.lam.pk,
                "name": "Ann Lee\n",
                "employee_id": "E9",
                "home_country": "US",
            },
            "name",
        ),
        (
            "/api/v1/engineers/",
            {
                "vendor": world.lam.pk,
                "name": "Ann Lee",
                "employee_id": "E9\t",
                "home_country": "US",
            },
            "employee_id",
        ),
        (
            "/api/v1/tools/",
            {
                "facility": world.fab.pk,
                "oem": world.lam.pk,
                "model": "Kiyo\n",
                "serial_number": "S9",
            },
            "model",
        ),
        (
            "/api/v1/tools/",
            {
                "facility": world.fab.pk,
                "oem": world.lam.pk,
                "model": "Kiyo",
                "serial_number": "S\r9",
            },
            "serial_number",
        ),
    ]
    for url, body, field in posts:
        r = api.post(url, body, format="json")
        assert r.status_code == 400, (url, body, r.json())
        assert "control character" in " ".join(r.json()["errors"][field]), (url, r.json())
    assert (Vendor.objects.count(), Customer.objects.count(), Engineer.objects.count()) == counts
    assert Tool.objects.count() == tools


def _licence(world, **fields):
    return {
        "authority": "BIS",
        "number": "D1234567",
        "valid_from": "2026-01-01",
        "valid_until": "2027-12-31",
        "facilities": [world.fab.pk],
        **fields,
    }


@pytest.mark.parametrize("number", ["D12\n34567", "D1234567\n", "D1234567\r\nBcc: x@example.com"])
def test_a_licence_number_with_a_line_break_is_refused_by_the_api(world, api, number):
    """The number goes into the subject of the licence's expiry notices."""
    client = APIClient()
    client.force_authenticate(world.approver)
    r = client.post("/api/v1/licences/", _licence(world, number=number), format="json")
    assert r.status_code == 400, r.json()
    assert "control character" in " ".join(r.json()["errors"]["number"])
    assert not Licence.objects.exists()


def test_a_licence_number_with_a_line_break_is_refused_by_the_model_the_admin_validates(world):
    licence = Licence(
        authority="BIS",
        number="D12\n34567",
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2027, 12, 31),
    )
    with pytest.raises(ValidationError) as refused:
        licence.full_clean()
    assert "number" in refused.value.message_dict


def test_a_false_positive_naming_a_party_or_entry_with_a_line_break_is_refused(world):
    client = APIClient()
    client.force_authenticate(world.approver)
    for field, value in (("party", "customer:1\n"), ("entry_id", "E\n1")):
        body = {
            "visit": 1,
            "party": "customer:1",
            "entry_id": "E1",
            "reason": "Namesake.",
            field: value,
        }
        r = client.post("/api/v1/screening/false-positives/", body, format="json")
        assert r.status_code == 400, r.json()
        assert "control character" in " ".join(r.json()["errors"][field])
    assert not MatchReview.objects.exists()


def test_a_match_review_party_name_and_list_code_are_validated_by_the_model():
    review = MatchReview(party_name="Acme\nCorp", list_code="EL", reason="Namesake.\nChecked.")
    with pytest.raises(ValidationError) as refused:
        review.clean_fields(exclude=["marked_by", "party", "entry_id", "entry_hash", "entry_name"])
    assert set(refused.value.message_dict) == {"party_name"}


# --- Multi-line texts: line breaks and tabs, nothing else ---------------------------------------
def _visit(world, **fields):
    start = dt.date.today() + dt.timedelta(days=10)
    return {
        "vendor": world.lam.pk,
        "facility": world.mature.pk,
        "engineers": [world.lam_engineer.pk],
        "activity": "maintenance",
        "start_date": start.isoformat(),
        "end_date": start.isoformat(),
        **fields,
    }


def test_a_visit_purpose_keeps_its_line_breaks_but_refuses_other_control_characters(world):
    client = APIClient()
    client.force_authenticate(world.lam_manager)
    r = client.post("/api/v1/visits/", _visit(world, purpose="Chamber\x0bclean"), format="json")
    assert r.status_code == 400, r.json()
    assert "control character" in " ".join(r.json()["errors"]["purpose"])
    assert not Visit.objects.exists()
    r = client.post(
        "/api/v1/visits/",
        _visit(world, purpose="Chamber clean.\n\tThen a test wafer."),
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert Visit.objects.get().purpose == "Chamber clean.\n\tThen a test wafer."


def test_the_visit_service_refuses_a_purpose_with_a_control_character(world):
    start = dt.date.today() + dt.timedelta(days=10)
    with pytest.raises(ApplicationError) as refused:
        services.visit_create(
            requested_by=world.lam_manager,
            vendor=world.lam.pk,
            facility=world.mature.pk,
            engineers=[world.lam_engineer.pk],
            activity="maintenance",
            start_date=start,
            end_date=start,
            purpose="Bell\x07",
        )
    assert "purpose" in refused.value.errors
    assert not Visit.objects.exists()


def test_capability_evidence_and_licence_conditions_refuse_a_control_character(world, api):
    r = api.post(
        "/api/v1/facilities/",
        _facility(world, capability_evidence="Site visit\x1b[31m"),
        format="json",
    )
    assert r.status_code == 400
    assert "control character" in " ".join(r.json()["errors"]["capability_evidence"])
    client = APIClient()
    client.force_authenticate(world.approver)
    r = client.post(
        "/api/v1/licences/", _licence(world, conditions="No\x0cre-export"), format="json"
    )
    assert r.status_code == 400
    assert "control character" in " ".join(r.json()["errors"]["conditions"])
    r = client.post(
        "/api/v1/licences/",
        _licence(world, conditions="No re-export.\nReport yearly."),
        format="json",
    )
    assert r.status_code == 201, r.json()


def test_an_approval_or_rejection_justification_refuses_a_control_character_keeps_lines():
    for serializer in (JustificationIn, RejectIn):
        refused = serializer(data={"justification": "Checked\x1b[2J"})
        assert not refused.is_valid()
        assert "control character" in " ".join(refused.errors["justification"])
        assert serializer(data={"justification": "Checked.\nLicence on file."}).is_valid()


@pytest.mark.parametrize("value", ["Wei Zhang\n", "Wei\tZhang", "\nWei Zhang"])
def test_the_engineer_page_refuses_a_control_character_in_the_name_not_trimming_it(world, value):
    from dispatch.forms_engineers import EngineerForm

    form = EngineerForm(data={"name": value, "employee_id": "E-1", "home_country": "NL"})
    assert not form.is_valid()
    assert "control character" in " ".join(form.errors["name"])


def test_the_false_positive_form_refuses_a_control_character_in_the_reason():
    from compliance.admin_hold_views import FalsePositiveForm

    form = FalsePositiveForm(
        data={"hit": "a", "reason": "Different registration number\x0b and address."},
        choices=[("a", "a")],
    )
    assert not form.is_valid()
    assert "reason" in form.errors


def test_the_user_admin_refuses_a_control_character_in_a_persons_name(world):
    from django.test import Client
    from django.urls import reverse

    target = world.lam_manager
    c = Client()
    c.force_login(world.boss)
    url = reverse("admin:auth_user_change", args=[target.pk])
    form = c.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        {
            "username": target.username,
            "first_name": "Ann\nBcc: victim@example.com",
            "last_name": "Lee",
            "groups": [g.pk for g in target.groups.all()],
            "date_joined_0": target.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": target.date_joined.strftime("%H:%M:%S"),
        }
    )
    data.pop("password", None)
    data.pop("date_joined", None)
    data.pop("last_login", None)
    r = c.post(url, data)
    assert r.status_code == 200
    assert "first_name" in r.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.first_name == ""
