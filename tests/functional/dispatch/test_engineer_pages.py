"""Engineer pages for service managers: list, create, edit, scoping, errors, screening on arrival,
re-check of open visits, and the admin's citizenship and residency inlines."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from compliance.models import AuditEvent
from dispatch import services
from dispatch.models import Citizenship, Engineer, Residency
from tests.factories import (
    EngineerFactory,
    FacilityFactory,
    ToolFactory,
    VendorFactory,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(rules, sample_list):
    vendor = VendorFactory(name="ASML Netherlands B.V.")
    other = VendorFactory(name="Lam Research Corporation", country="US")
    manager = make_user("asml", role="service_manager", vendor=vendor)
    c = Client()
    c.force_login(manager)
    return {
        "client": c,
        "manager": manager,
        "vendor": vendor,
        "mine": EngineerFactory(
            vendor=vendor,
            name="Sanne Bakker",
            employee_id="E-1",
            citizenships=["NL"],
            residencies=[("US", dt.date(2019, 3, 1), None)],
        ),
        "theirs": EngineerFactory(vendor=other, name="David Miller", citizenships=["US"]),
    }


def _post(**over):
    data = {
        "name": "Jan de Vries",
        "employee_id": "E-77",
        "home_country": "NL",
        "date_of_birth": "",
        "is_active": "on",
        "cit-TOTAL_FORMS": "2",
        "cit-INITIAL_FORMS": "0",
        "cit-0-country": "NL",
        "cit-0-since": "",
        "cit-1-country": "DE",
        "cit-1-since": "2015-06-30",
        "res-TOTAL_FORMS": "1",
        "res-INITIAL_FORMS": "0",
        "res-0-country": "US",
        "res-0-since": "2019-03-01",
        "res-0-until": "",
    }
    data.update(over)
    return data


def test_the_list_shows_only_the_managers_engineers_with_us_person_basis(w):
    body = w["client"].get("/engineers/").content.decode()
    assert "Sanne Bakker" in body and "David Miller" not in body
    assert "US permanent resident" in body
    assert 'href="/engineers/"' in body  # the nav link


def test_create_writes_citizenships_residencies_and_an_audit_event(w):
    before = AuditEvent.objects.count()
    r = w["client"].post("/engineers/new/", _post())
    assert r.status_code == 302
    e = Engineer.objects.get(employee_id="E-77")
    assert e.vendor == w["vendor"]
    assert sorted(e.citizenships.values_list("country", "since")) == [
        ("DE", dt.date(2015, 6, 30)),
        ("NL", None),
    ]
    assert list(e.residencies.values_list("country", "since", "until")) == [
        ("US", dt.date(2019, 3, 1), None)
    ]
    assert AuditEvent.objects.count() == before + 1
    body = w["client"].get("/engineers/").content.decode()
    assert "Jan de Vries was screened: no list match." in body


def test_a_vendor_field_in_the_post_is_ignored(w):
    other = w["theirs"].vendor
    w["client"].post("/engineers/new/", _post(vendor=str(other.pk)))
    assert Engineer.objects.get(employee_id="E-77").vendor == w["vendor"]


def test_errors_are_shown_beside_the_fields_and_nothing_is_written(w):
    before = (Engineer.objects.count(), Citizenship.objects.count(), AuditEvent.objects.count())
    r = w["client"].post(
        "/engineers/new/",
        _post(
            **{
                "employee_id": "E-1",
                "res-0-until": "2010-01-01",
                "date_of_birth": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
            }
        ),
    )
    assert r.status_code == 200
    body = r.content.decode()
    assert "An engineer with this employee id already exists at this vendor." in body
    assert "A date of birth cannot be in the future." in body
    assert before == (
        Engineer.objects.count(),
        Citizenship.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_bad_residency_period_is_named_on_its_row(w):
    r = w["client"].post("/engineers/new/", _post(**{"res-0-until": "2010-01-01"}))
    assert r.status_code == 200
    assert "The residency cannot end before it starts." in r.content.decode()
    assert not Engineer.objects.filter(employee_id="E-77").exists()


def file_visit(w, committed):
    """An open visit of the manager's with their engineer, checked."""
    fab = FacilityFactory(logic_node_nm=28)
    tool = ToolFactory(facility=fab, oem=w["vendor"], model="TWINSCAN NXT:1980i")
    start = dt.date.today() + dt.timedelta(days=9)
    with committed():
        visit = services.visit_create(
            requested_by=w["manager"],
            vendor=w["vendor"].pk,
            facility=fab.pk,
            engineers=[w["mine"].pk],
            tools=[tool.pk],
            activity="maintenance",
            start_date=start,
            end_date=start + dt.timedelta(days=1),
        )
    visit.refresh_from_db()
    return visit


def test_edit_replaces_citizenships_and_rechecks_open_visits(w, committed):
    visit = file_visit(w, committed)
    checks_before = visit.decisions.count()
    assert checks_before >= 1
    with committed():
        r = w["client"].post(
            f"/engineers/{w['mine'].pk}/edit/",
            _post(
                **{
                    "name": "Sanne Bakker",
                    "employee_id": "E-1",
                    "cit-TOTAL_FORMS": "1",
                    "cit-0-country": "CN",
                    "res-0-country": "",
                    "res-0-since": "",
                }
            ),
        )
    assert r.status_code == 302
    e = Engineer.objects.get(pk=w["mine"].pk)
    assert list(e.citizenships.values_list("country", flat=True)) == ["CN"]
    assert not Residency.objects.filter(engineer=e).exists()
    visit.refresh_from_db()
    assert visit.decisions.count() == checks_before + 1
    document = visit.current_decision.document
    assert [
        c if isinstance(c, str) else c["country"] for c in document["engineers"][0]["citizenships"]
    ] == ["CN"]


def test_an_unchanged_save_does_not_recheck(w, committed):
    visit = file_visit(w, committed)
    checks_before = visit.decisions.count()
    with committed():
        w["client"].post(
            f"/engineers/{w['mine'].pk}/edit/",
            _post(
                **{
                    "name": "Sanne Bakker",
                    "employee_id": "E-1",
                    "home_country": w["mine"].home_country,
                    "cit-TOTAL_FORMS": "1",
                    "cit-0-country": "NL",
                    "res-0-since": "2019-03-01",
                }
            ),
        )
    assert visit.decisions.count() == checks_before


def test_another_vendors_engineer_is_404(w):
    assert w["client"].get(f"/engineers/{w['theirs'].pk}/edit/").status_code == 404
    r = w["client"].post(f"/engineers/{w['theirs'].pk}/edit/", _post(name="Taken over"))
    assert r.status_code == 404
    assert Engineer.objects.get(pk=w["theirs"].pk).name == "David Miller"
    assert w["client"].get("/engineers/999999/edit/").status_code == 404


def test_approvers_and_auditors_have_no_engineer_pages(w):
    for role in ("approver", "auditor"):
        c = Client()
        c.force_login(make_user(f"u-{role}", role=role))
        assert c.get("/engineers/").status_code == 404
        assert c.post("/engineers/new/", _post()).status_code == 404
    assert not Engineer.objects.filter(employee_id="E-77").exists()


def test_an_engineer_on_a_list_is_screened_on_arrival(w):
    r = w["client"].post(
        "/engineers/new/",
        _post(
            **{"name": "Jinhua Hong", "cit-0-country": "CN", "cit-1-country": "", "cit-1-since": ""}
        ),
        follow=True,
    )
    body = r.content.decode()
    assert "Jinhua Hong was screened: possible match on SDN" in body


def test_the_admin_shows_a_manager_the_citizenship_and_residency_inlines(w):
    body = w["client"].get(f"/admin/dispatch/engineer/{w['mine'].pk}/change/").content.decode()
    assert "citizenships-TOTAL_FORMS" in body and "residencies-TOTAL_FORMS" in body
    r = w["client"].get(f"/admin/dispatch/engineer/{w['theirs'].pk}/change/")
    assert r.status_code == 404


def test_a_manager_adds_a_citizenship_in_the_admin(w):
    e = w["mine"]
    existing = list(e.citizenships.order_by("pk"))
    data = {
        "name": e.name,
        "employee_id": e.employee_id,
        "home_country": e.home_country,
        "is_active": "on",
        "citizenships-TOTAL_FORMS": len(existing) + 1,
        "citizenships-INITIAL_FORMS": len(existing),
        "citizenships-MIN_NUM_FORMS": 0,
        "citizenships-MAX_NUM_FORMS": 1000,
        "residencies-TOTAL_FORMS": 0,
        "residencies-INITIAL_FORMS": 0,
        "residencies-MIN_NUM_FORMS": 0,
        "residencies-MAX_NUM_FORMS": 1000,
    }
    for i, c in enumerate(existing):
        data |= {
            f"citizenships-{i}-id": c.pk,
            f"citizenships-{i}-engineer": e.pk,
            f"citizenships-{i}-country": c.country,
        }
    n = len(existing)
    data |= {
        f"citizenships-{n}-engineer": e.pk,
        f"citizenships-{n}-country": "US",
        f"citizenships-{n}-since": "2020-05-01",
    }
    r = w["client"].post(f"/admin/dispatch/engineer/{e.pk}/change/", data)
    assert r.status_code == 302, r.content[:2000]
    assert sorted(e.citizenships.values_list("country", flat=True)) == ["NL", "US"]
    event = AuditEvent.objects.filter(event_type="reference_changed", object_id=str(e.pk)).last()
    assert event.actor_name == "asml" and "citizenships" in event.new
