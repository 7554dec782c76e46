"""Screening in the check: list imports, hits, false-positive marks bound to entry content, freshness."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from compliance.models import ListSnapshot, MatchReview
from compliance.selectors import check_inputs
from compliance.services import list_snapshot_import, match_review_mark
from config.errors import ApplicationError
from dispatch import services
from dispatch.models import Visit, VisitStatus
from tests.factories import (
    CustomerFactory,
    EngineerFactory,
    FacilityFactory,
    VendorFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

SAMPLE = Path("compliance/screening/data/sample_csl.csv")
SMIC_NAME = "Semiconductor Manufacturing International Corporation (SMIC)"


@pytest.fixture
def smic_visit(rules, sample_list, committed):
    vendor = VendorFactory(name="ASML Netherlands B.V.", country="NL")
    manager = make_user("asml", role="service_manager", vendor=vendor)
    owner = CustomerFactory(name="Semiconductor Manufacturing Intl. Corp.", country="CN")
    fab = FacilityFactory(customer=owner, logic_node_nm=40)  # mature: only the owner can hold it
    engineer = EngineerFactory(vendor=vendor, name="Sanne Bakker", citizenships=["NL"])
    start = dt.date.today() + dt.timedelta(days=10)
    with committed():
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=fab.pk,
            engineers=[engineer.pk],
            activity="maintenance",
            start_date=start,
            end_date=start,
        )
    visit.refresh_from_db()
    return visit


def _rows() -> tuple[list[str], list[list[str]]]:
    with SAMPLE.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, list(reader)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def test_a_fab_owned_by_an_entity_list_party_is_held_citing_supplement_4(smic_visit):
    decision = smic_visit.current_decision
    assert smic_visit.status == VisitStatus.ON_HOLD
    el = [f for f in decision.result["findings"] if "Supplement No. 4 to Part 744" in f["citation"]]
    assert el, decision.result["findings"]
    hits = [h for h in decision.result["screening"] if h["list"] == "EL"]
    assert hits and hits[0]["entry"] == SMIC_NAME
    assert hits[0]["score"] >= 0.88
    assert "confirm" in hits[0]["notice"].lower()


def test_marking_the_hit_false_positive_clears_and_a_changed_entry_holds_again(
    smic_visit, tmp_path, committed
):
    approver = make_user("approver", role="approver")
    # Every hit on the owner needs a mark of its own (EL and CMIC entries).
    with committed():
        _mark_every_hit(smic_visit, approver)
    smic_visit.refresh_from_db()
    assert smic_visit.status == VisitStatus.CLEARED, smic_visit.current_decision.result
    assert all(h["false_positive"] for h in smic_visit.current_decision.result["screening"])

    # The EL entry changes (a new address) in the next list: the mark lapses and the visit is held.
    header, rows = _rows()
    name_col, addr_col = header.index("name"), header.index("addresses")
    for row in rows:
        if row[name_col] == SMIC_NAME:
            row[addr_col] = row[addr_col] + "; No. 1 New Fab Road, Beijing, CN"
    with committed():
        snapshot = list_snapshot_import(path=str(_write(tmp_path / "csl.csv", header, rows)))
    assert snapshot.diff["changed"] == 1
    smic_visit.refresh_from_db()
    assert smic_visit.status == VisitStatus.ON_HOLD
    assert smic_visit.current_decision.trigger == "list_import"
    el = [h for h in smic_visit.current_decision.result["screening"] if h["list"] == "EL"]
    assert el and not el[0]["false_positive"]


def _mark_every_hit(visit, approver):
    for hit in visit.current_decision.result["screening"]:
        match_review_mark(
            visit=visit,
            party=hit["party"],
            entry_id=hit["entry_id"],
            reason="Different party: verified registration documents.",
            actor=approver,
        )


def _status(visit):
    visit.refresh_from_db()
    return visit.status


def _live_hits(visit):
    visit.refresh_from_db()
    return [h for h in visit.current_decision.result["screening"] if not h["false_positive"]]


def test_a_false_positive_mark_lapses_when_the_party_is_renamed(smic_visit, committed):
    approver = make_user("approver", role="approver")
    # Reference data is kept by someone else: an approver who changes the customer joins the
    # visits it decides, and their own marks would no longer count there.
    keeper = make_user("reference-keeper", superuser=True)
    with committed():
        _mark_every_hit(smic_visit, approver)
    assert _status(smic_visit) == VisitStatus.CLEARED
    # A re-check with the party unchanged keeps the marks.
    with committed():
        services.customer_update(
            customer=smic_visit.facility.customer, user=keeper, aliases=["North Fab Operator"]
        )
    assert smic_visit.current_decision.trigger != "submitted"
    assert not [
        h
        for h in _live_hits(smic_visit)
        if h["party"] == "facility.owner"
        and h["list"] == "EL"
        and h["name"] == smic_visit.facility.customer.name
    ]
    with committed():
        services.customer_update(
            customer=smic_visit.facility.customer,
            user=keeper,
            name="Semiconductor Manufacturing International Corp.",
        )
    live = _live_hits(smic_visit)
    assert _status(smic_visit) == VisitStatus.ON_HOLD
    assert any(h["list"] == "EL" and h["entry"] == SMIC_NAME for h in live), live


def test_an_engineer_mark_lapses_when_a_citizenship_the_birth_date_or_the_spelling_changes(
    rules, sample_list, committed
):
    vendor = VendorFactory(name="Example Tools GmbH", country="DE")
    manager = make_user("manager", role="service_manager", vendor=vendor)
    approver = make_user("approver", role="approver")
    engineer = EngineerFactory(vendor=vendor, name="ABDUL MAJID SAIDI", citizenships=["DE"])
    start = dt.date.today() + dt.timedelta(days=10)
    with committed():
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=FacilityFactory(logic_node_nm=90).pk,
            engineers=[engineer.pk],
            activity="maintenance",
            start_date=start,
            end_date=start,
        )
    visit.refresh_from_db()
    assert _status(visit) != VisitStatus.CLEARED
    assert any(h["list"] == "DPL" for h in _live_hits(visit))
    with committed():
        _mark_every_hit(visit, approver)
    assert _status(visit) == VisitStatus.CLEARED
    with committed():
        services.engineer_update(engineer=engineer, user=manager, citizenships=["DE", "AF"])
    assert any(h["list"] == "DPL" for h in _live_hits(visit))
    assert _status(visit) != VisitStatus.CLEARED
    # Marked again for the new facts, it clears; respelt, the hit is live once more.
    with committed():
        _mark_every_hit(visit, approver)
    assert _status(visit) == VisitStatus.CLEARED
    with committed():
        services.engineer_update(engineer=engineer, user=manager, name="Abdul Majid Saidi")
    assert any(h["list"] == "DPL" for h in _live_hits(visit))
    # Marked again; a date of birth added (or changed) lapses the mark too.
    with committed():
        _mark_every_hit(visit, approver)
    assert _status(visit) == VisitStatus.CLEARED
    with committed():
        services.engineer_update(engineer=engineer, user=manager, date_of_birth="1981-07-14")
    assert any(h["list"] == "DPL" for h in _live_hits(visit))
    assert visit.current_decision.document["engineers"][0]["date_of_birth"] == "1981-07-14"
    assert _status(visit) != VisitStatus.CLEARED


def test_a_mark_without_a_party_fingerprint_counts_for_nobody(smic_visit, committed):
    """Marks recorded before parties were fingerprinted lapse: their hits are flagged again."""
    approver = make_user("approver", role="approver")
    keeper = make_user("reference-keeper", superuser=True)
    (loaded,) = check_inputs([smic_visit.pk])
    for hit in smic_visit.current_decision.result["screening"]:
        MatchReview.objects.create(
            party=loaded.party_keys[hit["party"]],
            party_name=hit["name"],
            entry_id=hit["entry_id"],
            entry_hash=hit["entry_hash"],
            list_code=hit["list"],
            entry_name=hit["entry"],
            reason="Recorded before party fingerprints.",
            marked_by=approver,
        )
    with committed():
        services.customer_update(
            customer=smic_visit.facility.customer, user=keeper, aliases=["North Fab Operator"]
        )
    assert _live_hits(smic_visit)
    assert _status(smic_visit) == VisitStatus.ON_HOLD


def test_a_manager_cannot_mark_a_false_positive(smic_visit):
    manager = smic_visit.requested_by
    hit = smic_visit.current_decision.result["screening"][0]
    with pytest.raises(ApplicationError):
        match_review_mark(
            visit=smic_visit,
            party=hit["party"],
            entry_id=hit["entry_id"],
            reason="not them",
            actor=manager,
        )
    assert MatchReview.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("wrong-header.csv", "id,source,name\n1,Entity List (EL) - BIS,ACME\n", "header"),
        ("truncated.csv", None, "expected 29 fields"),
        ("broken.json", '{"results": [ {"id": "1", "name": ', "JSON"),
        ("no-results.json", '{"entries": []}', "results"),
    ],
)
def test_a_malformed_list_is_rejected_and_the_list_in_force_stays(
    sample_list, tmp_path, name, content, expected
):
    if content is None:
        header, rows = _rows()
        content = ",".join(header) + "\n" + ",".join(rows[0][:12]) + "\n"
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("import_screening_list", str(path), verbosity=0)
    assert expected.lower() in str(exc.value).lower()
    assert "unchanged" in str(exc.value)
    assert ListSnapshot.objects.get(is_active=True, source="us-csl").pk == sample_list.pk
    assert ListSnapshot.objects.filter(source="us-csl").count() == 1


def test_importing_the_same_file_with_if_changed_keeps_the_snapshot(sample_list):
    call_command("import_screening_list", str(SAMPLE), "--if-changed", verbosity=0)
    assert ListSnapshot.objects.filter(source="us-csl").count() == 1


def test_a_stale_list_adds_a_review_finding_to_every_check(smic_visit, settings, committed):
    ListSnapshot.objects.filter(is_active=True, source="us-csl").update(
        imported_at=timezone.now() - dt.timedelta(days=8)
    )
    vendor = smic_visit.vendor
    fab = FacilityFactory(logic_node_nm=40, customer=CustomerFactory(name="Unlisted Foundry Co"))
    start = dt.date.today() + dt.timedelta(days=10)
    with committed():
        visit = services.visit_create(
            requested_by=smic_visit.requested_by,
            vendor=vendor.pk,
            facility=fab.pk,
            engineers=[smic_visit.engineers.first().pk],
            activity="maintenance",
            start_date=start,
            end_date=start,
        )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_HOLD
    assert any("STALE" in f["rule"] for f in visit.current_decision.result["findings"])


def test_importing_a_list_rechecks_only_visits_whose_hits_changed(smic_visit, tmp_path, committed):
    vendor = smic_visit.vendor
    other = FacilityFactory(logic_node_nm=40, customer=CustomerFactory(name="Unlisted Foundry Co"))
    start = dt.date.today() + dt.timedelta(days=10)
    with committed():
        quiet = services.visit_create(
            requested_by=smic_visit.requested_by,
            vendor=vendor.pk,
            facility=other.pk,
            engineers=[smic_visit.engineers.first().pk],
            activity="maintenance",
            start_date=start,
            end_date=start,
        )
    header, rows = _rows()
    name_col = header.index("name")
    rows = [r for r in rows if r[name_col] != SMIC_NAME]  # SMIC's EL entry is removed
    with committed():
        list_snapshot_import(path=str(_write(tmp_path / "csl.csv", header, rows)))
    assert Visit.objects.get(pk=smic_visit.pk).decisions.count() == 2
    assert Visit.objects.get(pk=quiet.pk).decisions.count() == 1


def test_screening_search_api_explains_hits(sample_list, client):
    from rest_framework.test import APIClient

    c = APIClient()
    c.force_authenticate(make_user("approver", role="approver"))
    r = c.post("/api/v1/screening/search/", {"name": "Huawei Technolgies Co., Ltd"}, format="json")
    assert r.status_code == 200
    hits = r.json()["hits"]
    assert any(h["list"] == "EL" and "Huawei" in h["entry"] for h in hits)
    assert "confirm" in hits[0]["explanation"].lower()
    r = c.post(
        "/api/v1/screening/search/",
        {"name": "Taiwan Semiconductor Manufacturing Company Limited"},
        format="json",
    )
    assert r.json()["hits"] == []
    lists = c.get("/api/v1/screening/lists/").json()
    (csl,) = [s for s in lists["results"] if s["source"] == "us-csl"]
    assert csl["counts"]["EL"] >= 1 and csl["is_active"]
    assert {s["source"] for s in lists["results"]} >= {"us-csl", "un-sc"}


def test_a_list_that_newly_lists_a_visits_end_user_rechecks_and_holds_it(
    rules, sample_list, tmp_path, committed
):
    # Found in review: a list import re-screened owners and engineers but not listed parties.
    vendor = VendorFactory(name="Tokyo Electron Limited", country="JP")
    manager = make_user("tel", role="service_manager", vendor=vendor)
    fab = FacilityFactory(country="TW", city="Hsinchu", logic_node_nm=40, non_planar=False)
    engineer = EngineerFactory(vendor=vendor, name="Kenji Sato", citizenships=["JP"])
    start = dt.date.today() + dt.timedelta(days=10)
    with committed():
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=fab.pk,
            engineers=[engineer.pk],
            activity="maintenance",
            start_date=start,
            end_date=start,
            parties=[{"role": "end_user", "name": "Zeta Quantum Foundry Ltd", "country": "TW"}],
        )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CLEARED
    header, rows = _rows()
    entry = dict.fromkeys(header, "")
    entry.update(
        {
            "_id": "zeta-1",
            "source": "Entity List (EL) - Bureau of Industry and Security",
            "entity_number": "99999",
            "type": "Entity",
            "name": "Zeta Quantum Foundry Ltd",
            "addresses": "Hsinchu, TW",
            "license_policy": "Presumption of denial",
        }
    )
    with committed():
        list_snapshot_import(
            path=str(_write(tmp_path / "csl.csv", header, [*rows, [entry[h] for h in header]]))
        )
    visit.refresh_from_db()
    assert visit.decisions.count() == 2
    assert visit.status == VisitStatus.ON_HOLD
    rules_fired = set(visit.current_decision.findings.values_list("rule_code", flat=True))
    assert "US-EAR-744.11-ENTITY-LIST-PARTY" in rules_fired
