"""Filing and changing visits on the manager's pages: past start dates refused (pages and API), an
edit re-checks and drops the approval, a suggested engineer swapped in with one click, a rejected
visit re-filed as a new one; the visit list searches by number and engineer, pages, sorts and
exports CSV with formula-safe cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from compliance import services as compliance_services
from config.csv_cells import safe_cell
from dispatch import services
from dispatch.models import Visit, VisitStatus
from tests.factories import EngineerFactory, FacilityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world, committed):
    c = Client()
    c.force_login(world.lam_manager)
    world["client"] = c
    world["committed"] = committed
    world["dutch"] = EngineerFactory(
        vendor=world.lam, name="Sanne de Wit", citizenships=["NL"], home_country="NL"
    )
    return world


def _file(w, *, days=6, engineers=None, facility=None, **kw):
    start = dt.date.today() + dt.timedelta(days=days)
    with w["committed"]():
        visit = services.visit_create(
            requested_by=w.lam_manager,
            vendor=w.lam.pk,
            facility=(facility or w.fab).pk,
            engineers=[e.pk for e in (engineers or [w.lam_engineer])],
            activity="maintenance",
            start_date=start,
            end_date=start + dt.timedelta(days=1),
            **kw,
        )
    visit.refresh_from_db()
    return visit


def _form(w, visit=None, **over):
    start = dt.date.today() + dt.timedelta(days=8)
    data = {
        "facility": w.fab.pk,
        "engineers": [w.lam_engineer.pk],
        "tools": [],
        "activity": "maintenance",
        "mode": "on_site",
        "start_date": start.isoformat(),
        "end_date": start.isoformat(),
        "purpose": "PM",
    }
    data.update(over)
    return data


def test_a_start_date_in_the_past_is_refused_on_the_page_and_by_the_api(w):
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    r = w["client"].post("/visits/new/", _form(w, start_date=yesterday, end_date=yesterday))
    assert r.status_code == 200
    body = r.content.decode()
    errors = body.split('id="id_start_date_errors"')[1].split("</ul>")[0]
    assert f"The start date {yesterday} is in the past" in errors
    api = APIClient()
    api.force_authenticate(w.lam_manager)
    r = api.post(
        "/api/v1/visits/",
        {
            "vendor": w.lam.pk,
            "facility": w.fab.pk,
            "engineers": [w.lam_engineer.pk],
            "activity": "maintenance",
            "start_date": yesterday,
            "end_date": yesterday,
        },
        format="json",
    )
    assert r.status_code == 400
    assert "start_date" in r.json()["errors"]
    assert Visit.objects.count() == 0
    # Today is not the past.
    today = dt.date.today().isoformat()
    assert (
        w["client"].post("/visits/new/", _form(w, start_date=today, end_date=today)).status_code
        == 302
    )


def test_an_edit_rechecks_drops_the_approval_and_bars_the_editor(w):
    visit = _file(w, facility=w.mature)
    assert visit.status == VisitStatus.CLEARED
    lead = w.lam_lead
    page = Client()
    page.force_login(lead)
    later = dt.date.today() + dt.timedelta(days=20)
    with w["committed"]():
        r = page.post(
            f"/visits/{visit.pk}/edit/",
            _form(w, facility=w.fab.pk, start_date=later.isoformat(), end_date=later.isoformat()),
        )
    assert r.status_code == 302 and r["Location"] == f"/visits/{visit.pk}/"
    visit.refresh_from_db()
    assert visit.start_date == later and visit.facility_id == w.fab.pk
    assert visit.status == VisitStatus.ON_HOLD  # re-checked at the advanced fab
    assert lead.pk in visit.editor_ids
    with pytest.raises(Exception, match="edited"):
        compliance_services.visit_approve(
            visit=visit, user=lead, justification="Reviewed the findings and the licence position."
        )


def test_an_edit_to_a_past_start_date_is_refused_and_changes_nothing(w):
    visit = _file(w)
    before = (visit.start_date, visit.status, visit.current_decision_id)
    past = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    r = w["client"].post(f"/visits/{visit.pk}/edit/", _form(w, start_date=past, end_date=past))
    assert r.status_code == 200 and "is in the past" in r.content.decode()
    visit.refresh_from_db()
    assert (visit.start_date, visit.status, visit.current_decision_id) == before


def test_one_click_swaps_in_the_suggested_engineer_and_rechecks(w):
    # An ASML visit by a U.S. citizen to the advanced-node fab is held (15 CFR 744.6); a Dutch
    # colleague with no U.S. ties clears it, so the page offers the swap.
    american = EngineerFactory(vendor=w.asml, name="Ann Carter", citizenships=["US"])
    dutch = w.asml_engineer
    start = dt.date.today() + dt.timedelta(days=6)
    with w["committed"]():
        visit = services.visit_create(
            requested_by=w.asml_manager,
            vendor=w.asml.pk,
            facility=w.fab.pk,
            engineers=[american.pk],
            activity="maintenance",
            start_date=start,
            end_date=start,
        )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_HOLD
    c = Client()
    c.force_login(w.asml_manager)
    page = c.get(f"/visits/{visit.pk}/").content.decode()
    assert f"Send {dutch.name} instead of {american.name}" in page
    with w["committed"]():
        r = c.post(f"/visits/{visit.pk}/swap/", {"out": american.pk, "in": dutch.pk})
    assert r.status_code == 302
    visit.refresh_from_db()
    assert [e.pk for e in visit.engineers.all()] == [dutch.pk]
    assert visit.current_decision.trigger == "edit"
    assert visit.status == VisitStatus.CLEARED
    # Another vendor's engineer cannot be swapped in, and nothing changes.
    r = c.post(f"/visits/{visit.pk}/swap/", {"out": dutch.pk, "in": w.lam_engineer.pk}, follow=True)
    assert "The engineer was not swapped" in r.content.decode()
    assert [e.pk for e in visit.engineers.all()] == [dutch.pk]


def test_another_vendors_manager_cannot_edit_swap_or_refile(w):
    visit = _file(w)
    other = Client()
    other.force_login(w.asml_manager)
    assert other.get(f"/visits/{visit.pk}/edit/").status_code == 404
    assert other.post(f"/visits/{visit.pk}/swap/", {"out": 1, "in": 2}).status_code == 404
    assert other.get(f"/visits/{visit.pk}/refile/").status_code == 404


def test_a_rejected_visit_is_refiled_as_a_new_one_prefilled(w):
    visit = _file(w)
    with w["committed"]():
        compliance_services.visit_reject(
            visit=visit, user=w.approver, justification="No licence on file for this fab."
        )
    body = w["client"].get(f"/visits/{visit.pk}/").content.decode()
    assert 'id="refile-visit"' in body and 'id="edit-visit"' not in body
    form = w["client"].get(f"/visits/{visit.pk}/refile/").content.decode()
    assert 'action="/visits/new/"' in form
    assert re.search(rf'name="engineers" value="{w.lam_engineer.pk}"[^>]*checked', form)
    assert f"Prefilled from visit #{visit.pk}" in form
    assert w["client"].get(f"/visits/{visit.pk}/edit/", follow=True).status_code == 200
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REJECTED


def test_the_list_searches_by_number_and_engineer_pages_sorts_and_exports(w):
    visits = [_file(w, days=5 + i, facility=w.mature) for i in range(3)]
    named = _file(w, days=30, engineers=[w["dutch"]], facility=w.mature, purpose="=HYPERLINK(1)")
    c = w["client"]
    assert f"#{visits[1].pk}<" in c.get(f"/?q=%23{visits[1].pk}").content.decode()
    found = c.get("/?q=Sanne+de+Wit").content.decode()
    assert f">#{named.pk}<" in found and f">#{visits[0].pk}<" not in found
    body = c.get("/?sort=start").content.decode()
    order = [body.index(f">#{v.pk}<") for v in [*visits, named]]
    assert order == sorted(order)
    body = c.get("/?sort=-start").content.decode()
    assert body.index(f">#{named.pk}<") < body.index(f">#{visits[0].pk}<")
    r = c.get("/?sort=purpose;drop")
    assert r.status_code == 200 and "Cannot sort by" in r.content.decode()
    rows = list(csv.reader(io.StringIO(b"".join(c.get("/?format=csv").streaming_content).decode())))
    assert rows[0][0] == "number" and len(rows) == 5
    assert {int(r[0]) for r in rows[1:]} == {v.pk for v in [*visits, named]}
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and safe_cell("-1") == "'-1"


def test_the_list_pages_fifty_at_a_time_keeping_the_filter(w):
    fab = FacilityFactory(logic_node_nm=90)
    for _ in range(52):
        Visit.objects.create(
            vendor=w.lam,
            facility=fab,
            activity="maintenance",
            mode="on_site",
            start_date=dt.date.today() + dt.timedelta(days=3),
            end_date=dt.date.today() + dt.timedelta(days=3),
            requested_by=w.lam_manager,
            status=VisitStatus.PENDING,
        )
    body = w["client"].get("/?status=pending").content.decode()
    assert "52 visits · page 1 of 2" in body
    assert 'href="?status=pending&amp;page=2"' in body
    assert body.count('<tr><td><a href="/visits/') == 50
    assert (
        w["client"]
        .get("/?status=pending&page=2")
        .content.decode()
        .count('<tr><td><a href="/visits/')
        == 2
    )


def test_a_refiled_visit_keeps_its_parties_and_items_so_it_is_checked_on_them(w):
    parties = [{"role": "consignee", "name": "Acme Trading Ltd", "country": "HK"}]
    visit = _file(w, parties=parties)
    with w["committed"]():
        services.visit_cancel(visit=visit, user=w.lam_manager, reason="Dates moved.")
    form = w["client"].get(f"/visits/{visit.pk}/refile/").content.decode()
    assert f'name="refile_of" value="{visit.pk}"' in form and "with its 1 party" in form
    with w["committed"]():
        r = w["client"].post("/visits/new/", _form(w, refile_of=visit.pk))
    assert r.status_code == 302
    new = Visit.objects.exclude(pk=visit.pk).get()
    assert [p["name"] for p in new.parties] == ["Acme Trading Ltd"]
    # Another vendor's visit, or an open one, is not a source: nothing is carried from it.
    theirs = services.visit_create(
        requested_by=w.asml_manager,
        vendor=w.asml.pk,
        facility=w.fab.pk,
        engineers=[w.asml_engineer.pk],
        activity="maintenance",
        start_date=dt.date.today() + dt.timedelta(days=4),
        end_date=dt.date.today() + dt.timedelta(days=4),
        parties=[{"role": "end_user", "name": "Other Co", "country": "CN"}],
    )
    with w["committed"]():
        w["client"].post("/visits/new/", _form(w, refile_of=theirs.pk))
    latest = Visit.objects.filter(vendor=w.lam).latest("pk")
    assert latest.parties == []


@pytest.mark.parametrize(
    "url",
    [
        "/visits/new/?facility=%C2%B2",
        "/visits/new/?facility=99999999999999999999",
        "/?q=%C2%B2",
        "/?q=%2399999999999999999999",
        "/checks/dry-run/?visit=%C2%B2",
        "/board/?facility=%C2%B2",
        "/board/?facility=1&start=9999-12-31",
    ],
)
def test_odd_ids_in_queries_are_answered_not_crashed(w, url):
    assert w["client"].get(url).status_code == 200


def test_a_swap_with_odd_ids_changes_nothing(w):
    visit = _file(w)
    for bad in ("²", "99999999999999999999", ""):
        r = w["client"].post(f"/visits/{visit.pk}/swap/", {"out": w.lam_engineer.pk, "in": bad})
        assert r.status_code == 302
    assert [e.pk for e in visit.engineers.all()] == [w.lam_engineer.pk]


def test_the_time_zone_cookie_does_not_move_today_for_the_past_date_rule(w):
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    w["client"].cookies["tz"] = "Etc/GMT+12"
    r = w["client"].post("/visits/new/", _form(w, start_date=yesterday, end_date=yesterday))
    assert r.status_code == 200 and "is in the past" in r.content.decode()
    assert Visit.objects.count() == 0


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    for text in ("=1+1", " =1+1", "\n=1", "+A1", "@SUM(A1)", "-2"):
        assert safe_cell(text).startswith("'")
    assert safe_cell("Fab 8") == "Fab 8" and safe_cell(None) == ""


def test_a_deeply_nested_dry_run_document_is_refused_with_a_message(w):
    r = w["client"].post("/checks/dry-run/", {"document": "[" * 100_000 + "]" * 100_000})
    assert r.status_code == 200 and "nested too deeply" in r.content.decode()
