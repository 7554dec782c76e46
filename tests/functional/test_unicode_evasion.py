"""Names that read one way and match another are refused, wherever they are typed.

A right-to-left override, a Hangul filler between words or a lone zero-width space made a listed
person's name slip past screening while looking right on the page. Every write path refuses them
with a 400 that names the field and the character, and creates and audits nothing; names are kept
in Unicode NFC; look-alike letters from another script are read as the Latin ones they imitate.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.test import RequestFactory
from rest_framework.test import APIClient

from compliance.models import AuditEvent
from config.errors import ApplicationError
from dispatch import services
from dispatch.models import Customer, Engineer, Visit
from tests.unit.compliance.engine.builders import raw_document

pytestmark = pytest.mark.django_db

START = dt.date.today() + dt.timedelta(days=10)
LISTED = "ABDUL MAJID SAIDI"  # on the Denied Persons List of the sample list

EVASIONS = {
    "right-to-left override": "ABDUL MAJID \u202eIDIAS",
    "Hangul filler between words": "ABDUL\u3164MAJID\u3164SAIDI",
    "zero-width space inside a word": "ABDUL MA\u200bJID SAIDI",
    "a single zero-width space": "\u200b",
    "left-to-right isolate": "\u2066ABDUL MAJID SAIDI\u2069",
    "soft hyphen": "ABDUL MAJ\u00adID SAIDI",
    "byte-order mark": "\ufeffABDUL MAJID SAIDI",
}


@pytest.fixture
def api(world):
    c = APIClient()
    c.force_authenticate(world.lam_manager)
    return c


def _engineer_body(world, name, employee_id="e-1"):
    return {
        "vendor": world.lam.pk,
        "name": name,
        "employee_id": employee_id,
        "home_country": "US",
        "citizenships": ["US"],
    }


@pytest.mark.parametrize("how", sorted(EVASIONS))
def test_an_engineer_named_with_an_evasion_character_is_refused(world, api, how):
    engineers, events = Engineer.objects.count(), AuditEvent.objects.count()
    r = api.post("/api/v1/engineers/", _engineer_body(world, EVASIONS[how]), format="json")
    assert r.status_code == 400, r.json()
    message = " ".join(r.json()["errors"]["name"])
    assert "U+" in message and "Type the text without it" in message
    assert Engineer.objects.count() == engineers
    assert AuditEvent.objects.count() == events


def test_the_error_names_the_character_and_where_it_is(world, api):
    r = api.post(
        "/api/v1/engineers/",
        _engineer_body(world, EVASIONS["right-to-left override"]),
        format="json",
    )
    assert r.json()["errors"]["name"] == [
        "Contains a direction control, U+202E RIGHT-TO-LEFT OVERRIDE, at position 13. "
        "Type the text without it."
    ]


def test_an_employee_id_with_a_control_character_is_refused(world, api):
    r = api.post(
        "/api/v1/engineers/", _engineer_body(world, "Jane Doe", employee_id="e-\n1"), format="json"
    )
    assert r.status_code == 400
    assert "control character" in " ".join(r.json()["errors"]["employee_id"])


def test_a_customer_alias_with_an_invisible_character_is_refused(world, api):
    customers, events = Customer.objects.count(), AuditEvent.objects.count()
    r = api.post(
        "/api/v1/customers/",
        {"name": "Wuhan Memory Co., Ltd.", "country": "CN", "aliases": ["WM", "Wu\u200bhan Mem"]},
        format="json",
    )
    assert r.status_code in (400, 403), r.json()
    if r.status_code == 403:  # managers may not create customers: try as the superuser
        admin_api = APIClient()
        admin_api.force_authenticate(world.boss)
        r = admin_api.post(
            "/api/v1/customers/",
            {"name": "Wuhan Memory Co., Ltd.", "country": "CN", "aliases": ["WM", "Wu\u200bhan"]},
            format="json",
        )
    assert r.status_code == 400, r.json()
    assert "Alias 2" in " ".join(r.json()["errors"]["aliases"])
    assert Customer.objects.count() == customers
    assert AuditEvent.objects.count() == events


def test_a_customer_name_through_the_service_is_refused_by_field(world):
    with pytest.raises(ApplicationError) as caught:
        services.customer_create(name="SMIC\u2066", country="CN", user=world.boss)
    assert "name" in caught.value.errors


@pytest.mark.parametrize("how", ["right-to-left override", "Hangul filler between words"])
def test_a_dry_run_document_with_an_evasion_name_is_refused_at_its_path(world, api, how):
    doc = raw_document(
        logic_node_nm=28,
        non_planar=False,
        engineers=[{"name": EVASIONS[how], "citizenships": ["NL"]}],
    )
    r = api.post("/api/v1/checks/", doc, format="json")
    assert r.status_code == 400, r.json()
    keys = list(r.json()["errors"])
    assert any("engineers" in k and "name" in k for k in keys), keys
    # The plain spelling of the same person is found on the list.
    doc["engineers"][0]["name"] = LISTED
    r = api.post("/api/v1/checks/", doc, format="json")
    assert r.status_code == 200
    assert r.json()["outcome"] != "cleared"


def test_screening_search_refuses_an_evasion_and_finds_the_plain_name(world):
    c = APIClient()
    c.force_authenticate(world.approver)
    r = c.post(
        "/api/v1/screening/search/",
        {"name": EVASIONS["zero-width space inside a word"]},
        format="json",
    )
    assert r.status_code == 400
    assert "name" in r.json()["errors"]
    r = c.post("/api/v1/screening/search/", {"name": LISTED}, format="json")
    assert any(h["list"] == "DPL" for h in r.json()["hits"])


def test_look_alike_letters_from_another_script_still_hit(world):
    c = APIClient()
    c.force_authenticate(world.approver)
    # Cyrillic Н, А, Е, Т, С and О in a Latin name: transliterated letter by letter it would read
    # "NUAWEI TESNNOLOGIES", too far from the listed name to match.
    disguised = (
        "\u041dU\u0410W\u0415I \u0422\u0415\u0421\u041dN\u041eL\u041eGI\u0415S C\u041e., LTD."
    )
    r = c.post("/api/v1/screening/search/", {"name": disguised}, format="json")
    assert r.status_code == 200
    assert any("Huawei" in h["entry"] for h in r.json()["hits"]), r.json()


def test_a_decomposed_name_is_stored_composed(world, api):
    r = api.post("/api/v1/engineers/", _engineer_body(world, "Ame\u0301lie Durand"), format="json")
    assert r.status_code == 201, r.json()
    engineer = Engineer.objects.get(pk=r.json()["id"])
    assert engineer.name == "Amélie Durand" and len(engineer.name) == 13
    # The same person typed composed is a duplicate employee id, not a second person.
    r = api.post("/api/v1/engineers/", _engineer_body(world, "Amélie Durand"), format="json")
    assert r.status_code in (400, 409)


def test_the_admin_form_refuses_an_evasion_name(world):
    request = RequestFactory().post("/admin/dispatch/engineer/add/")
    request.user = world.boss
    model_admin = admin.site._registry[Engineer]
    form_class = model_admin.get_form(request)
    form = form_class(
        data={
            "vendor": world.lam.pk,
            "name": EVASIONS["Hangul filler between words"],
            "employee_id": "adm-1",
            "home_country": "US",
        }
    )
    assert not form.is_valid()
    assert "U+3164 HANGUL FILLER" in " ".join(form.errors["name"])


def test_a_name_stored_with_an_override_before_the_rule_is_never_cleared(world, committed):
    """Rows written before the rule (or past it, straight to the database) fail the check
    closed: the document is refused, and the visit is not cleared."""
    engineer = world.lam_engineer
    Engineer.objects.filter(pk=engineer.pk).update(name="ABDUL MAJID \u202eIDIAS")
    visit = _file(world, committed, engineer, START)
    visit = Visit.objects.get(pk=visit.pk)
    assert visit.status == "on_hold"
    decision = visit.decisions.last()
    assert decision.outcome == "review"
    assert "engineers[0].name" in decision.error and "U+202E" in decision.error
    # The same visit with the name typed plainly is cleared: the hold is the override's doing.
    Engineer.objects.filter(pk=engineer.pk).update(name="Plain Person")
    again = _file(world, committed, engineer, START + dt.timedelta(days=3))
    assert Visit.objects.get(pk=again.pk).status == "cleared"


def _file(world, committed, engineer, start):
    with committed():
        return services.visit_create(
            requested_by=world.lam_manager,
            vendor=world.lam.pk,
            facility=world.mature.pk,
            engineers=[engineer.pk],
            activity="maintenance",
            start_date=start,
            end_date=start,
        )
