"""The parties the law names besides the owner (DOMAIN sec. 6): a visit lists its purchaser,
consignee, end user or operator where they differ from the owner, and each is screened."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from rest_framework.test import APIClient

from compliance import services as compliance_services
from compliance.models import MatchReview
from dispatch import services
from dispatch.models import Visit, VisitStatus
from tests.factories import EngineerFactory, FacilityFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db

HUAWEI = "Huawei Technologies Co., Ltd."  # an Entity List party of the sample list
START = dt.date.today() + dt.timedelta(days=10)


@pytest.fixture
def tel(rules, sample_list):
    vendor = VendorFactory(name="Tokyo Electron Limited", country="JP")
    manager = make_user("tel", role="service_manager", vendor=vendor)
    engineer = EngineerFactory(vendor=vendor, name="Kenji Sato", citizenships=["JP"])
    fab = FacilityFactory(country="TW", city="Hsinchu", logic_node_nm=28, non_planar=False)
    return {"vendor": vendor, "manager": manager, "engineer": engineer, "fab": fab}


def _post(w, parties):
    client = APIClient()
    client.force_authenticate(w["manager"])
    body = {
        "vendor": w["vendor"].pk,
        "facility": w["fab"].pk,
        "engineers": [w["engineer"].pk],
        "activity": "maintenance",
        "start_date": START.isoformat(),
        "end_date": START.isoformat(),
        "parties": parties,
    }
    return client.post("/api/v1/visits/", body, format="json")


def test_a_listed_purchaser_holds_the_visit_citing_the_entity_list(tel, committed):
    with committed():
        response = _post(tel, [{"role": "purchaser", "name": HUAWEI, "country": "CN"}])
    assert response.status_code == 201, response.content
    assert response.json()["parties"] == [{"role": "purchaser", "name": HUAWEI, "country": "CN"}]
    visit = Visit.objects.get(pk=response.json()["id"])
    assert visit.status == VisitStatus.ON_HOLD
    decision = visit.current_decision
    assert decision.document["facility"]["parties"][0]["name"] == HUAWEI
    finding = decision.findings.get(rule_code="US-EAR-744.11-ENTITY-LIST-PARTY")
    assert finding.effect == "licence_required"
    assert f"purchaser {HUAWEI} (" in finding.message and "EL)" in finding.message
    assert "Presumption of denial" in finding.message
    # The manager's page names the parties.
    page = Client()
    page.force_login(tel["manager"])
    assert HUAWEI in page.get(f"/visits/{visit.pk}/").content.decode()


@pytest.mark.parametrize(
    ("parties", "field"),
    [
        ([{"role": "buyer", "name": "Acme"}], "parties[0].role"),
        ([{"role": "purchaser", "name": "  "}], "parties[0].name"),
        ([{"role": "purchaser", "name": "Acme\nBcc: x"}], "parties[0].name"),
        ([{"role": "purchaser", "name": "Acme", "country": "XX"}], "parties[0].country"),
        ([{"role": "purchaser", "name": "Acme", "share": 5}], "parties[0].share"),
    ],
)
def test_a_bad_party_is_refused_naming_the_field_and_nothing_is_filed(tel, parties, field):
    before = Visit.objects.count()
    response = _post(tel, parties)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert Visit.objects.count() == before


def test_a_false_positive_on_a_party_counts_for_that_visit_only(tel, committed):
    with committed():
        visit = services.visit_create(
            requested_by=tel["manager"],
            vendor=tel["vendor"].pk,
            facility=tel["fab"].pk,
            engineers=[tel["engineer"].pk],
            activity="maintenance",
            start_date=START,
            end_date=START,
            parties=[{"role": "consignee", "name": HUAWEI, "country": "CN"}],
        )
    visit.refresh_from_db()
    hit = next(
        h for h in visit.current_decision.screening_input if h["party"] == "facility.parties[0]"
    )
    approver = make_user("approver", role="approver")
    with committed():
        mark = compliance_services.match_review_mark(
            visit=visit,
            party="facility.parties[0]",
            entry_id=hit["entry_id"],
            reason="A different company of the same name, registry checked.",
            actor=approver,
        )
    assert mark.party == f"visit-party:{visit.pk}.0"
    visit.refresh_from_db()
    live = [h for h in visit.current_decision.screening_input if not h["false_positive"]]
    assert not any(
        h["party"] == "facility.parties[0]" and h["entry_id"] == hit["entry_id"] for h in live
    )
    assert MatchReview.objects.filter(party=f"visit-party:{visit.pk}.0").count() == 1
