"""A visit lists what it ships (items with their own classifications and origin): each item is
judged by the item rules, validated on input, and shown on the manager's page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from rest_framework.test import APIClient

from dispatch.models import Visit, VisitStatus
from tests.factories import EngineerFactory, FacilityFactory, ToolFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db
START = dt.date.today() + dt.timedelta(days=10)
US_PART = {
    "kind": "part",
    "description": "RF generator",
    "classifications": {"US": ["3B001.h"]},
    "origin": "US",
}


@pytest.fixture
def semes(rules, sample_list):
    vendor = VendorFactory(name="SEMES Co., Ltd.", country="KR")
    fab = FacilityFactory(country="CN", city="Wuxi", logic_node_nm=28, non_planar=False)
    # A Korean-made tool with no US content and no US technology: not subject to the EAR.
    tool = ToolFactory(
        facility=fab,
        oem=vendor,
        classifications={"US": ["3B001.c"]},
        subject_to_ear=None,
        ear_justification="",
        origin="KR",
        us_content_percent=0,
        made_with_us_technology=False,
    )
    return {
        "vendor": vendor,
        "fab": fab,
        "tool": tool,
        "manager": make_user("semes", role="service_manager", vendor=vendor),
        "engineer": EngineerFactory(vendor=vendor, name="Kim Min-jun", citizenships=["KR"]),
    }


def _post(w, items):
    client = APIClient()
    client.force_authenticate(w["manager"])
    body = {
        "vendor": w["vendor"].pk,
        "facility": w["fab"].pk,
        "engineers": [w["engineer"].pk],
        "tools": [w["tool"].pk],
        "activity": "spare_parts",
        "start_date": START.isoformat(),
        "end_date": START.isoformat(),
        "items": items,
    }
    return client.post("/api/v1/visits/", body, format="json")


def test_a_us_made_part_for_a_korean_tool_at_a_china_fab_holds_the_visit(semes, committed):
    with committed():
        response = _post(semes, [US_PART])
    assert response.status_code == 201, response.content
    visit = Visit.objects.get(pk=response.json()["id"])
    assert visit.status == VisitStatus.ON_HOLD
    finding = visit.current_decision.findings.get(rule_code="US-EAR-738-NS-3B-ITEM-CN")
    assert finding.effect == "licence_required" and finding.tool == "part: RF generator"
    [item] = visit.current_decision.document["visit"]["items"]
    assert item["origin"] == "US" and "ear_justification" not in item
    page = Client()
    page.force_login(semes["manager"])
    assert "RF generator" in page.get(f"/visits/{visit.pk}/").content.decode()


def test_without_items_the_same_visit_is_judged_on_the_tool_alone(semes, committed):
    with committed():
        response = _post(semes, None)
    visit = Visit.objects.get(pk=response.json()["id"])
    rules = set(visit.current_decision.findings.values_list("rule_code", flat=True))
    assert "US-EAR-738-NS-3B-ITEM-CN" not in rules
    assert "items" not in visit.current_decision.document["visit"]


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([{"kind": "gadget", "description": "X"}], "items[0].kind"),
        ([{"kind": "part", "description": ""}], "items[0].description"),
        (
            [{"kind": "part", "description": "X", "classifications": {"XX": ["1"]}}],
            "items[0].classifications",
        ),
        (
            [{"kind": "part", "description": "X", "us_content_percent": 101}],
            "items[0].us_content_percent",
        ),
        (
            [{"kind": "part", "description": "X", "subject_to_ear": False}],
            "items[0].ear_justification",
        ),
        ([{"kind": "part", "description": "X", "price": 3}], "items[0].price"),
        # Found in review: these were a 500 or were stored and failed later in the check.
        (
            [{"kind": "part", "description": "X", "ear_justification": {"a": 1}}],
            "items[0].ear_justification",
        ),
        (
            [{"kind": "part", "description": "X", "ear_justification": "x" * 501}],
            "items[0].ear_justification",
        ),
        (
            [{"kind": "part", "description": "X", "classifications": {"US": ["3B\u202e001"]}}],
            "items[0].classifications",
        ),
        (
            [{"kind": "part", "description": "X", "classifications": {"US": ["3" * 60]}}],
            "items[0].classifications",
        ),
        (
            [{"kind": "part", "description": "X", "classifications": {"US": ["3B991"] * 21}}],
            "items[0].classifications",
        ),
        (
            [
                {
                    "kind": "part",
                    "description": "X",
                    "subject_to_ear": False,
                    "ear_justification": "ours",
                }
            ],
            "items[0].origin",
        ),
    ],
)
def test_a_bad_item_is_refused_naming_the_field_and_nothing_is_filed(semes, items, field):
    before = Visit.objects.count()
    response = _post(semes, items)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert Visit.objects.count() == before
