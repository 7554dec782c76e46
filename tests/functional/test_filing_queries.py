"""Filing a visit costs a fixed number of queries, whatever the number of engineers and tools."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dispatch.models import Visit
from tests.functional.test_api_visits import body
from tests.functional.test_api_visits import world as world  # the fixture, used by name

pytestmark = pytest.mark.django_db

# Token, user, profile and roles (one query); the idempotency key's earlier visit, the vendor,
# the facility, the engineers and the tools (one UNION ALL); the visit, its engineers and its
# tools (one INSERT each; one statement for both parties on PostgreSQL); the audit chain head,
# then the event and the head's update (two statements; one on PostgreSQL). The answer is built
# from what is in hand.
FILING_QUERIES = {"sqlite": 8, "postgresql": 6}


def _statements(queries) -> list[str]:
    """The SQL a filing runs, without the savepoint bookkeeping of nested transactions."""
    return [
        q["sql"]
        for q in queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))
    ]


def _file(client: APIClient, world, n: int, key: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        r = client.post(
            "/api/v1/visits/",
            body(world, engineers=tuple(range(n)), tools=tuple(range(n)), purpose=key),
            format="json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
    assert r.status_code == 201, r.json()
    return _statements(queries.captured_queries)


@pytest.fixture(autouse=True)
def queued(settings):
    """As in production: the check is queued for a worker, not run in the request."""
    settings.CELERY_TASK_ALWAYS_EAGER = False


def test_filing_costs_a_fixed_number_of_queries_whatever_its_parties(world):
    token = Token.objects.create(user=world.lam_manager)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    one = _file(client, world, 1, "one")
    three = _file(client, world, 3, "three")
    assert len(one) == len(three) == FILING_QUERIES[connection.vendor], "\n".join(three)
    assert Visit.objects.count() == 2


def test_the_check_request_is_written_with_the_visit_row(world):
    token = Token.objects.create(user=world.lam_manager)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    statements = _file(client, world, 2, "k")
    assert not any(s.startswith('UPDATE "dispatch_visit"') for s in statements), statements
    visit = Visit.objects.get()
    assert visit.check_requested_at is not None and visit.check_trigger == "submission"


def test_the_answer_built_in_hand_is_the_visit_as_stored(world):
    token = Token.objects.create(user=world.lam_manager)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    r = client.post(
        "/api/v1/visits/",
        body(world, engineers=(0, 1, 2), tools=(0, 1), purpose="Übergabe"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    assert r.status_code == 201, r.json()
    stored = client.get(f"/api/v1/visits/{r.json()['id']}/")
    assert r.json() == stored.json()
    assert r.json()["status"] == "pending" and r.json()["decision"] is None
