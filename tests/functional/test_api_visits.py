"""The visit API answers from rows (DESIGN sec. 9): the same JSON as the documented serializers,
in a fixed number of queries; ``Idempotency-Key`` makes a retried POST file the visit once."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from compliance.models import AuditEvent, AuditEventType
from dispatch import selectors
from dispatch.api.serializers import VisitOut, VisitSummaryOut
from dispatch.models import Visit
from dispatch.services import visits as visit_services
from tests.factories import (
    EngineerFactory,
    ToolFactory,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world, committed):
    """The persona world, with three more Lam engineers and tools at the advanced fab, created in
    an order that differs from the order the API lists them in (by name; by model), and a second
    Lam manager. A visit filed through ``file_visits`` is checked when its filing commits."""
    world["committed"] = committed
    lam, fab = world.lam, world.fab
    world["engineers"] = [
        EngineerFactory(vendor=lam, name=name, citizenships=["US"], home_country="US")
        for name in ("Zoe Young", "Anna Berg", "Mia Costa")
    ]
    world["tools"] = [
        ToolFactory(facility=fab, oem=lam, model=model, classifications={"US": ["3B001.c"]})
        for model in ("Kiyo", "Altus", "Sense.i")
    ]
    world["other_manager"] = make_user("lam.other", role="service_manager", vendor=lam)
    return world


def client_for(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def body(w, *, engineers=(0, 1, 2), tools=(0, 1, 2), facility="fab", **kw):
    start = dt.date.today() + dt.timedelta(days=10)
    return {
        "vendor": w["lam"].pk,
        "facility": w[facility].pk,
        "engineers": [w["engineers"][i].pk for i in engineers],
        "tools": [w["tools"][i].pk for i in tools],
        "activity": "maintenance",
        "mode": "on_site",
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=2)).isoformat(),
        "purpose": "PM",
        **kw,
    }


def ordered(content: bytes):
    """JSON with the order of every object's keys kept."""
    return json.loads(content, object_pairs_hook=list)


def drf(data) -> list:
    return ordered(JSONRenderer().render(data))


def file_visits(w, n: int) -> list[int]:
    c = client_for(w["lam_manager"])
    ids = []
    for i in range(n):
        b = body(w, engineers=(i % 3, (i + 1) % 3), tools=(i % 3,), purpose=f"PM {i}")
        if i % 2:
            b.update(facility=w["mature"].pk, tools=[])
        with w["committed"]():
            r = c.post("/api/v1/visits/", b, format="json")
        assert r.status_code == 201, r.json()
        ids.append(r.json()["id"])
    return ids


# --- Output contract -------------------------------------------------------------------------
def test_the_visit_list_is_the_json_of_the_documented_serializer_key_for_key(world):
    file_visits(world, 4)
    Visit.objects.filter(pk=Visit.objects.order_by("pk")[0].pk).update(purpose="Ünïcode — ok")
    user = world["approver"]
    r = client_for(user).get("/api/v1/visits/?page_size=3&page=1")
    assert r.status_code == 200
    visits = selectors.visits_visible_to(user).order_by("-created_at", "-pk")
    expected = {
        "count": 4,
        "next": "http://testserver/api/v1/visits/?page=2&page_size=3",
        "previous": None,
        "results": VisitSummaryOut(visits[:3], many=True).data,
    }
    assert ordered(r.content) == drf(expected)


def test_a_visit_is_the_json_of_the_documented_serializer_with_and_without_a_decision(world):
    decided, undecided = file_visits(world, 2)
    Visit.objects.filter(pk=undecided).update(current_decision=None)
    c = client_for(world["lam_manager"])
    for pk in (decided, undecided):
        r = c.get(f"/api/v1/visits/{pk}/")
        assert r.status_code == 200
        assert ordered(r.content) == drf(VisitOut(Visit.objects.get(pk=pk)).data)
    assert c.get(f"/api/v1/visits/{decided}/").json()["decision"]["outcome"]
    assert c.get(f"/api/v1/visits/{undecided}/").json()["decision"] is None


# Real commits: the filing's answer is built after its transaction commits and the embedded
# check has run, as in production without a worker.
@pytest.mark.django_db(transaction=True)
def test_the_filing_answer_is_the_visit_as_a_later_read_shows_it(world):
    c = client_for(world["lam_manager"])
    r = c.post("/api/v1/visits/", body(world), format="json")
    assert r.status_code == 201
    filed = r.json()
    assert filed["status"] != "pending"  # embedded mode: the check ran on commit
    assert filed["decision"] is not None
    assert ordered(r.content) == ordered(c.get(f"/api/v1/visits/{filed['id']}/").content)
    by_name = sorted(world["engineers"], key=lambda e: e.name)
    assert filed["engineers"] == [e.pk for e in by_name]
    assert filed["tools"] == [t.pk for t in sorted(world["tools"], key=lambda t: t.model)]


def test_the_list_filters_searches_and_pages_over_the_rows(world):
    ids = file_visits(world, 5)
    c = client_for(world["approver"])

    def listed(query: str) -> list[int]:
        r = c.get("/api/v1/visits/" + query)
        assert r.status_code == 200, r.json()
        return [v["id"] for v in r.json()["results"]]

    newest_first = ids[::-1]
    assert listed("") == newest_first
    assert listed(f"?facility={world['mature'].pk}") == [ids[3], ids[1]]
    assert listed("?search=pm 4") == [ids[4]]
    assert listed("?search=LOGIC found") == [ids[4], ids[2], ids[0]]  # the owner's name
    assert listed(f"?vendor={world['lam'].pk}&page_size=2&page=3") == [ids[0]]
    statuses = {v["status"] for v in c.get("/api/v1/visits/").json()["results"]}
    for status in statuses:
        got = c.get(f"/api/v1/visits/?status={status}").json()["results"]
        assert got and all(v["status"] == status for v in got)
    assert len(listed("?status=" + ",".join(statuses))) == 5
    assert c.get("/api/v1/visits/?page=9").status_code == 404
    assert "start_to" in c.get("/api/v1/visits/?start_to=soon").json()["errors"]
    assert client_for(world["auditor"]).get("/api/v1/visits/").json()["count"] == 5


def test_a_page_of_visits_costs_the_same_queries_however_many_parties_it_lists(world):
    c = client_for(world["approver"])
    file_visits(world, 1)
    c.get("/api/v1/visits/")  # the user's roles are cached from here on
    with CaptureQueriesContext(connection) as one:
        c.get("/api/v1/visits/")
    file_visits(world, 9)
    with CaptureQueriesContext(connection) as ten:
        assert len(c.get("/api/v1/visits/").json()["results"]) == 10
    assert len(one) == len(ten) == 3  # count, page, the parties (engineers and tools)


# --- Idempotency-Key -------------------------------------------------------------------------
def submitted_events() -> int:
    return AuditEvent.objects.filter(event_type=AuditEventType.VISIT_SUBMITTED).count()


def test_a_retry_with_the_same_key_and_body_files_nothing_and_returns_the_first_visit(world):
    c = client_for(world["lam_manager"])
    first = c.post("/api/v1/visits/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    events = submitted_events()
    retry = c.post(
        "/api/v1/visits/",
        body(world, engineers=(2, 1, 0), tools=(1, 0, 2)),  # the order of ids does not matter
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert retry.status_code == 200
    assert retry.json() == c.get(f"/api/v1/visits/{first.json()['id']}/").json()
    assert Visit.objects.count() == 1
    assert submitted_events() == events


def test_the_same_key_with_a_different_body_is_a_conflict_naming_the_header(world):
    c = client_for(world["lam_manager"])
    c.post("/api/v1/visits/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    r = c.post(
        "/api/v1/visits/", body(world, purpose="Other"), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert r.status_code == 409
    assert "Idempotency-Key" in r.json()["errors"]
    assert "different request" in r.json()["message"]
    assert Visit.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "tab\tkey", "new\nline"])
def test_a_malformed_key_gets_400_naming_the_header_and_files_nothing(world, key):
    r = client_for(world["lam_manager"]).post(
        "/api/v1/visits/", body(world), format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert r.status_code == 400
    assert list(r.json()["errors"]) == ["Idempotency-Key"]
    assert Visit.objects.count() == 0


def test_keys_are_per_user_and_a_255_character_key_is_fine(world):
    key = "~ A-z 0-9 " + "k" * 245
    mine = client_for(world["lam_manager"]).post(
        "/api/v1/visits/", body(world), format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    theirs = client_for(world["other_manager"]).post(
        "/api/v1/visits/", body(world), format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert Visit.objects.count() == 2


def test_without_a_key_every_post_files_a_visit(world):
    c = client_for(world["lam_manager"])
    assert c.post("/api/v1/visits/", body(world), format="json").status_code == 201
    assert c.post("/api/v1/visits/", body(world), format="json").status_code == 201
    assert Visit.objects.count() == 2
    assert set(Visit.objects.values_list("idempotency_key", flat=True)) == {""}


def test_a_concurrent_duplicate_that_loses_the_race_returns_the_winners_visit(world, monkeypatch):
    c = client_for(world["lam_manager"])
    first = c.post("/api/v1/visits/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    events = submitted_events()
    real = visit_services.references_for
    calls = []

    def not_yet_committed(*args, **kwargs):
        # The first look finds no earlier visit, as when the winner had not committed yet; the
        # insert then hits the unique constraint, and the key's visit is looked up again.
        calls.append(args)
        refs = real(*args, **kwargs)
        refs.existing = None
        return refs

    monkeypatch.setattr(visit_services, "references_for", not_yet_committed)
    retry = c.post("/api/v1/visits/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
    assert len(calls) == 1
    assert Visit.objects.count() == 1
    assert submitted_events() == events


def test_a_key_does_not_let_a_read_only_user_file_or_see_a_visit(world):
    client_for(world["lam_manager"]).post(
        "/api/v1/visits/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    r = client_for(world["auditor"]).post(
        "/api/v1/visits/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert r.status_code == 403
    assert Visit.objects.count() == 1


def test_the_schema_documents_the_header_the_replay_and_the_conflict(world):
    schema = client_for(world["approver"]).get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/v1/visits/"]["post"]
    header = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and not header.get("required", False)
    assert header["schema"]["maxLength"] == 255
    assert {"200", "201", "400", "409"} <= set(post["responses"])
