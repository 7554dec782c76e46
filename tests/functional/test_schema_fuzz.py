"""Property-based fuzzing of the REST API from its own OpenAPI schema (schemathesis).

Every operation the schema declares becomes its own test item and is called in-process through
the Django WSGI application, authenticated as a superuser (token), on a database holding the rule
packs, the sample screening list and a small world: vendors, engineers, an advanced and a mature
fab, tools, a licence and visits that are held (licence required; review only) and cleared.
Positive and negative (schema-violating) requests are generated deterministically, with a bounded
number of examples per operation, and every response must:

- not be a server error (``not_a_server_error``);
- have a status code the schema documents for the operation (``status_code_conformance``);
- have a content type the schema documents (``content_type_conformance``);
- match the documented body schema of that status (``response_schema_conformance``).

About 20-30 s on SQLite and 30-45 s on PostgreSQL on an idle 2-core machine. The world is built
once per module (in a transaction rolled back at its end) and every test runs in a savepoint.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import TestCase
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from compliance import runtime
from compliance.services import licence_create, ruleset_load
from dispatch import services
from tests.django_fixtures import import_sample_lists
from tests.factories import (
    CustomerFactory,
    EngineerFactory,
    FacilityFactory,
    ToolFactory,
    VendorFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Positive and negative data; the token is sent by the test, so schemathesis must not generate
# its own Authorization values from the security schemes.
CONFIG = """
[generation]
mode = "all"
deterministic = true
with-security-parameters = false
"""


def _generated_schema() -> dict:
    """What /api/schema/ serves (the same generator and settings; a test below compares them)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    data = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(data, renderer_context={}))


def _load_schema() -> schemathesis.BaseSchema:
    # Loaded at import (no database needed), so that every operation is its own test item.
    # schemathesis' lazy `from_fixture` loader would allow loading it over HTTP from a fixture, but
    # it does not work with pytest 9 (it sets the removed `Function._nodeid`).
    schema = schemathesis.openapi.from_dict(
        _generated_schema(), config=schemathesis.Config.from_str(CONFIG)
    )
    schema.app = WSGIHandler()  # call in-process, as schemathesis.openapi.from_wsgi does
    return schema


schema = _load_schema()


@pytest.fixture(scope="module")
def keep_the_test_transaction():
    """Around each WSGI request Django closes connections that are not in autocommit mode, which
    on PostgreSQL ends the test's transaction ("the connection is closed"). Django's test client
    disconnects these handlers too; the fuzzer calls the plain WSGI handler."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def api_world(django_db_setup, django_db_blocker, keep_the_test_transaction):
    """Built once for the module inside a transaction that is rolled back at its end; each test
    runs in a savepoint inside it (pytest-django's ``db``), so writes never leak between tests."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            # The world's visits are checked when their filing would commit (the transaction
            # here never does): the callbacks queued on commit run at the end of the block.
            with TestCase.captureOnCommitCallbacks(execute=True):
                world = _build_world()
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            # The fuzzer's many token requests fill DRF's throttle history (in the cache): do
            # not leave later tests throttled.
            cache.clear()


def _build_world() -> dict:
    runtime.clear()
    ruleset_load()
    import_sample_lists()
    asml = VendorFactory(name="ASML Netherlands B.V.", country="NL")
    lam = VendorFactory(name="Lam Research Corporation", country="US")
    owner = CustomerFactory(name="Example Logic Foundry Co., Ltd.", country="CN")
    fab = FacilityFactory(customer=owner, logic_node_nm=7, non_planar=True)
    mature = FacilityFactory(customer=owner, logic_node_nm=40)
    EngineerFactory(vendor=asml, name="Sanne Bakker", citizenships=["NL"])
    dutch = EngineerFactory(vendor=asml, name="Maarten Visser", citizenships=["NL"])
    american = EngineerFactory(
        vendor=lam, name="David Miller", citizenships=["US"], home_country="US"
    )
    ToolFactory(facility=fab, oem=asml)
    etch = ToolFactory(
        facility=fab,
        oem=lam,
        model="Kiyo",
        classifications={"US": ["3B001.c"]},
        subject_to_ear=True,
    )
    unclassified = ToolFactory(facility=mature, oem=asml, model="PAS 5500", classifications={})
    lam_manager = make_user("lam.manager", role="service_manager", vendor=lam)
    asml_manager = make_user("asml.manager", role="service_manager", vendor=asml)
    make_user("approver", role="approver")
    make_user("auditor", role="auditor")
    admin = make_user("admin", superuser=True)
    start = dt.date.today() + dt.timedelta(days=10)
    visits = [
        (lam_manager, lam, fab, american, [etch.pk]),  # on hold: licence required (744.6)
        (lam_manager, lam, mature, american, []),  # cleared
        (asml_manager, asml, mature, dutch, [unclassified.pk]),  # on hold: review only
    ]
    for manager, vendor, facility, engineer, tools in visits:
        services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=facility.pk,
            engineers=[engineer.pk],
            tools=tools,
            activity="maintenance",
            start_date=start,
            end_date=start + dt.timedelta(days=2),
            purpose="Preventive maintenance.",
        )
    licence_create(
        user=admin,
        authority="BIS",
        number="D1234567",
        holder=lam.pk,
        valid_from=start - dt.timedelta(days=30),
        valid_until=start + dt.timedelta(days=300),
        facilities=[fab.pk],
        activities=["maintenance"],
        classifications=["3B001.c"],
        engineers=[american.pk],
    )
    return {"token": Token.objects.create(user=admin).key}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_every_api_operation_conforms_to_its_schema_and_never_fails(case, api_world):
    # A fuzzed filing or re-check runs its check when the request's work would commit, so that
    # the check path meets the generated data too.
    with TestCase.captureOnCommitCallbacks(execute=True):
        case.call_and_validate(
            headers={"Authorization": f"Token {api_world['token']}"}, checks=CHECKS
        )


def _client(api_world) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_world['token']}")
    return client


def test_the_fuzzed_schema_is_the_served_schema(api_world):
    served = _client(api_world).get("/api/schema/?format=json")
    assert served.status_code == 200
    assert json.loads(served.content) == _generated_schema()


def test_an_api_url_that_matches_no_route_answers_in_the_api_error_shape(api_world):
    """The fuzzer sends ids like ``null,null`` that match no ``<int:pk>`` route. Django's URL
    resolver answers those, not DRF, so the JSON error body needs a JSON ``handler404``."""
    response = _client(api_world).get("/api/v1/visits/not-an-id/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json", (
        "config/urls.py must set handler404 = 'config.api.not_found' so that /api/ URLs that "
        "match no route answer JSON, like every other API error."
    )
    assert set(response.json()) == {"message", "errors"}
