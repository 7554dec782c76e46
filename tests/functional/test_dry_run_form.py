"""The dry-run page: its own example checks, errors name the field's path, a manager can start from
one of their visits (never another vendor's), and nothing is stored."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from django.test import Client

from compliance.models import Decision
from dispatch import services
from dispatch.models import Visit
from dispatch.views_dry_run import example_document
from tests.factories import EngineerFactory, FacilityFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db


def _editor(body: str) -> dict:
    text = re.search(r"<textarea[^>]*>(.*?)</textarea>", body, re.S).group(1)
    return json.loads(html.unescape(text))


@pytest.fixture
def manager(rules, sample_list):
    vendor = VendorFactory(name="ASML Netherlands B.V.")
    user = make_user("asml", role="service_manager", vendor=vendor)
    c = Client()
    c.force_login(user)
    return c, user, vendor


def test_the_pages_own_example_is_dated_from_today_and_checks(manager):
    c, _, _ = manager
    doc = _editor(c.get("/checks/dry-run/").content.decode())
    assert doc == example_document()
    assert dt.date.fromisoformat(doc["visit"]["start_date"]) > dt.date.today()
    body = c.post("/checks/dry-run/", {"document": json.dumps(doc)}).content.decode()
    assert 'id="dry-run-errors"' not in body
    assert 'id="decision"' in body and "744.6(c)(2)" in body
    assert Visit.objects.count() == 0 and Decision.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("{not json", "Not valid JSON: Expecting property name enclosed in double quotes (line 1"),
        ("[1, 2]", "Expected a JSON object"),
    ],
)
def test_a_document_that_is_not_a_json_object_is_refused_with_where(manager, text, shown):
    c, _, _ = manager
    body = c.post("/checks/dry-run/", {"document": text}).content.decode()
    assert 'id="dry-run-errors"' in body and html.escape(shown)[:60] in body


def test_field_errors_name_the_documents_path(manager):
    c, _, _ = manager
    doc = example_document()
    doc["facility"]["country"] = "XX"
    doc["facility"]["address"] = ""
    body = c.post("/checks/dry-run/", {"document": json.dumps(doc)}).content.decode()
    errors = body.split('id="dry-run-errors"')[1].split("</div>")[0]
    assert "2 fields to fix" in errors
    assert "<code>facility.country</code>" in errors and "<code>facility.address</code>" in errors
    assert 'id="decision"' not in body


def test_a_manager_starts_from_their_own_visit_never_another_vendors(manager, committed):
    c, user, vendor = manager
    fab = FacilityFactory(logic_node_nm=40)
    start = dt.date.today() + dt.timedelta(days=3)

    def file(by, owner):
        with committed():
            return services.visit_create(
                requested_by=by,
                vendor=owner.pk,
                facility=fab.pk,
                engineers=[EngineerFactory(vendor=owner, name=f"Eng {owner.name}").pk],
                activity="maintenance",
                start_date=start,
                end_date=start,
            )

    mine = file(user, vendor)
    other = VendorFactory(name="Lam Research Corporation", country="US")
    theirs = file(make_user("lam", role="service_manager", vendor=other), other)
    doc = _editor(c.get(f"/checks/dry-run/?visit={mine.pk}").content.decode())
    assert doc["engineers"][0]["name"] == "Eng ASML Netherlands B.V."
    body = c.get(f"/checks/dry-run/?visit={theirs.pk}").content.decode()
    assert _editor(body) == example_document()
    assert "Eng Lam Research Corporation" not in body
