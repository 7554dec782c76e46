"""Who owns the fab owner: owners are recorded on the customer, screened like it, and the
Affiliates rule (in force from 2026-11-10 unless extended) holds a visit to a building whose owner
is 50 % or more owned by listed parties."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from config.errors import ApplicationError
from dispatch import services
from dispatch.models import Customer, VisitStatus
from tests.factories import (
    CustomerFactory,
    EngineerFactory,
    FacilityFactory,
    VendorFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

HUAWEI = "Huawei Technologies Co., Ltd."  # an Entity List party of the sample list


@pytest.fixture
def people(rules, sample_list):
    vendor = VendorFactory(name="Tokyo Tools K.K.", country="JP")
    return {
        "vendor": vendor,
        "manager": make_user("tt-manager", role="service_manager", vendor=vendor),
        "approver": make_user("approver", role="approver"),
    }


def _file(committed, people, facility):
    start = max(dt.date.today(), dt.date(2026, 11, 10)) + dt.timedelta(days=10)
    engineer = EngineerFactory(vendor=people["vendor"], name="Kenji Sato", citizenships=["JP"])
    with committed():
        return services.visit_create(
            requested_by=people["manager"],
            vendor=people["vendor"].pk,
            facility=facility.pk,
            engineers=[engineer.pk],
            tools=[],
            activity="maintenance",
            start_date=start,
            end_date=start + dt.timedelta(days=1),
        )


def test_a_fab_owned_60_percent_by_an_entity_list_party_is_held_citing_the_affiliates_rule(
    people, committed
):
    owner = CustomerFactory(name="Vina Microdevices JSC", country="VN")
    with committed():
        services.customer_update(
            customer=owner,
            user=people["approver"],
            owners=[{"name": HUAWEI, "share": 60, "source": "registry", "as_of": "2026-06-30"}],
        )
    fab = FacilityFactory(customer=owner, country="VN", city="Hanoi")
    visit = _file(committed, people, fab)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_HOLD
    findings = {f["rule"]: f for f in visit.current_decision.result["findings"]}
    affiliates = findings["US-EAR-744.11-AFFILIATES"]
    assert affiliates["effect"] == "licence_required"
    assert affiliates["citation"].startswith("BIS Affiliates rule")
    assert f"{HUAWEI} 60 % (EL)" in affiliates["message"]
    assert visit.current_decision.document["facility"]["owners"][0]["share"] == 60
    assert any(h["party"] == "facility.owners[0]" for h in visit.current_decision.screening_input)


def test_a_fab_whose_owner_has_no_recorded_owners_keeps_its_document_form(people, committed):
    fab = FacilityFactory(customer=CustomerFactory(country="VN"), country="VN")
    visit = _file(committed, people, fab)
    visit.refresh_from_db()
    assert "owners" not in visit.current_decision.document["facility"]
    assert visit.current_decision.outcome == "clear"


@pytest.mark.parametrize(
    ("owners", "field"),
    [
        ([{"name": HUAWEI, "share": 150}], "owners[0].share"),
        ([{"name": HUAWEI, "share": True}], "owners[0].share"),
        ([{"name": "", "share": 10}], "owners[0].name"),
        ([{"name": "Holder\u202eCorp"}], "owners[0].name"),
        ([{"name": HUAWEI, "as_of": "30/06/2026"}], "owners[0].as_of"),
        ([{"name": HUAWEI, "stake": 10}], "owners[0]"),
        ("not a list", "owners"),
    ],
)
def test_bad_owners_are_refused_naming_the_field_and_nothing_changes(people, owners, field):
    owner = CustomerFactory()
    with pytest.raises(ApplicationError) as refused:
        services.customer_update(customer=owner, user=people["approver"], owners=owners)
    assert field in refused.value.errors
    assert Customer.objects.get(pk=owner.pk).owners == []


def test_owners_through_the_api(people):
    client = APIClient()
    client.force_authenticate(people["approver"])
    created = client.post(
        "/api/v1/customers/",
        {"name": "Holding Test Ltd.", "country": "VN", "owners": [{"name": HUAWEI, "share": 51}]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["owners"][0] == {
        "name": HUAWEI,
        "share": 51.0,
        "source": None,
        "as_of": None,
    }
    refused = client.post(
        "/api/v1/customers/",
        {"name": "Other Ltd.", "country": "VN", "owners": [{"name": HUAWEI, "share": -5}]},
        format="json",
    )
    assert refused.status_code == 400
    assert "owners[0].share" in refused.json()["errors"]
    assert not Customer.objects.filter(name="Other Ltd.").exists()


def test_an_owner_hit_can_be_marked_a_false_positive_and_the_mark_is_bound_to_it(people, committed):
    from compliance.models import MatchReview
    from compliance.services import match_review_mark

    owner = CustomerFactory(name="Vina Holdings JSC", country="VN")
    services.customer_update(
        customer=owner, user=people["approver"], owners=[{"name": HUAWEI, "share": 60}]
    )
    visit = _file(committed, people, FacilityFactory(customer=owner, country="VN"))
    visit.refresh_from_db()
    hits = [h for h in visit.current_decision.screening_input if h["party"] == "facility.owners[0]"]
    assert hits
    with committed():
        mark = match_review_mark(
            visit=visit,
            party="facility.owners[0]",
            entry_id=hits[0]["entry_id"],
            reason="A namesake: the registry shows another company.",
            actor=people["approver"],
        )
    assert MatchReview.objects.get(pk=mark.pk).party == f"customer-owner:{owner.pk}.0"
    visit.refresh_from_db()
    marked = [h for h in visit.current_decision.screening_input if h["entry_id"] == mark.entry_id]
    assert marked and all(h["false_positive"] for h in marked if h["party"] == "facility.owners[0]")


def test_owners_in_the_admin_are_validated_beside_the_field(people, client):
    owner = CustomerFactory(name="Admin Holdings Ltd.", country="VN")
    client.force_login(make_user("root", superuser=True))
    url = f"/admin/dispatch/customer/{owner.pk}/change/"
    form = {"name": owner.name, "country": "VN", "aliases": "[]"}
    bad = client.post(url, {**form, "owners": '[{"name": "Huawei", "share": 150}]'})
    assert bad.status_code == 200
    assert (
        "owners[0].share: The share is a percentage above 0 and at most 100" in bad.content.decode()
    )
    assert Customer.objects.get(pk=owner.pk).owners == []
    good = client.post(url, {**form, "owners": f'[{{"name": "{HUAWEI}", "share": 60}}]'})
    assert good.status_code == 302
    assert Customer.objects.get(pk=owner.pk).owners[0]["share"] == 60


def test_a_vendor_manager_sees_the_shared_customer_without_its_owners(people):
    owner = CustomerFactory(name="Private Holdings Ltd.", owners=[{"name": HUAWEI, "share": 60}])
    client = APIClient()
    client.force_authenticate(people["manager"])
    seen = client.get(f"/api/v1/customers/{owner.pk}/")
    assert seen.status_code == 200
    assert "owners" not in seen.json()
    client.force_authenticate(people["approver"])
    assert client.get(f"/api/v1/customers/{owner.pk}/").json()["owners"][0]["share"] == 60


def test_an_approver_who_changed_the_owners_may_not_release_the_visits_they_decide(
    people, committed
):
    from compliance.services import visit_approve
    from config.errors import PermissionDenied

    owner = CustomerFactory(name="Edited Holdings JSC", country="VN")
    visit = _file(committed, people, FacilityFactory(customer=owner, country="VN"))
    with committed():
        services.customer_update(
            customer=owner, user=people["approver"], owners=[{"name": HUAWEI, "share": 60}]
        )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_HOLD
    assert people["approver"].pk in visit.editor_ids
    with pytest.raises(PermissionDenied, match="edited"):
        visit_approve(visit=visit, user=people["approver"], justification="Owners checked.")


def test_an_entity_list_owner_finding_carries_the_policy_the_list_states(people, committed):
    fab = FacilityFactory(customer=CustomerFactory(name=HUAWEI, country="CN"), country="CN")
    visit = _file(committed, people, fab)
    visit.refresh_from_db()
    findings = {f["rule"]: f for f in visit.current_decision.result["findings"]}
    assert (
        "policy: Presumption of denial." in findings["US-EAR-744.11-ENTITY-LIST-OWNER"]["message"]
    )
    stored = [h for h in visit.current_decision.screening_input if h["list_code"] == "EL"]
    assert stored and all(h["licence_policy"] == "Presumption of denial" for h in stored)
