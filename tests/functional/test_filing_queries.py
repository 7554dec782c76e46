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

# Token, user, profile and roles (one query), the idempotency key, vendor, facility, engineers
# and tools (one query each, set-wise), the visit, its engineers and tools (one INSERT each), the
# audit chain head, the audit event, the chain head again, and the visit read back for the answer.
FILING_QUERIES = 13


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


def test_filing_costs_a_fixed_number_of_queries_whatever_its_parties(world):
    token = Token.objects.create(user=world.lam_manager)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    one = _file(client, world, 1, "one")
    three = _file(client, world, 3, "three")
    assert len(one) == len(three) == FILING_QUERIES, "\n".join(three)
    assert Visit.objects.count() == 2


def test_the_check_request_is_written_with_the_visit_row(world):
    token = Token.objects.create(user=world.lam_manager)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    statements = _file(client, world, 2, "k")
    assert not any(s.startswith('UPDATE "dispatch_visit"') for s in statements), statements
    visit = Visit.objects.get()
    assert visit.check_requested_at is not None and visit.check_trigger == "submission"
