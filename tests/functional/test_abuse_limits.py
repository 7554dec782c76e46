"""Abuse limits: dry-run caps, per-user throttles, the trusted-proxy rule for client addresses,
strict JSON and query parameters, and the schema behind a login."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from compliance.models import AuditEvent
from dispatch.models import Visit

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _doc(engineers: int = 1, tools: int = 1) -> dict:
    return {
        "visit": {
            "activity": "maintenance",
            "mode": "on_site",
            "start_date": "2026-12-07",
            "end_date": "2026-12-09",
        },
        "vendor": {"name": "V", "country": "NL", "us_branch": False},
        "facility": {
            "name": "F",
            "owner": "O",
            "city": "Shanghai",
            "country": "CN",
            "products": ["logic"],
            "logic_node_nm": 7,
            "non_planar": True,
        },
        "tools": [
            {"model": f"T{i}", "classifications": {"US": ["3B001.c"]}, "subject_to_ear": True}
            for i in range(tools)
        ],
        "engineers": [{"name": f"E{i}", "citizenships": ["US"]} for i in range(engineers)],
    }


def _rates(settings, **rates: str) -> None:
    current = settings.REST_FRAMEWORK
    settings.REST_FRAMEWORK = {
        **current,
        "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **rates},
    }


# --- Dry-run caps ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("engineers", "tools", "field", "setting"),
    [
        (51, 1, "engineers", "DRY_RUN_MAX_ENGINEERS"),
        (1, 51, "tools", "DRY_RUN_MAX_TOOLS"),
        (30, 30, "engineers", "DRY_RUN_MAX_PAIRS"),
    ],
)
def test_a_dry_run_over_a_cap_is_a_400_naming_the_limit(world, engineers, tools, field, setting):
    before = AuditEvent.objects.count()
    r = _api(world.auditor).post(
        "/api/v1/checks/", _doc(engineers=engineers, tools=tools), format="json"
    )
    assert r.status_code == 400, r.content[:300]
    assert setting in r.json()["message"]
    assert setting in r.json()["errors"][field][0]
    assert AuditEvent.objects.count() == before and Visit.objects.count() == 0


def test_the_attack_document_of_200_by_200_is_refused_before_evaluation(world):
    r = _api(world.auditor).post("/api/v1/checks/", _doc(200, 200), format="json")
    assert r.status_code == 400
    assert len(r.content) < 2000


def test_a_dry_run_within_the_caps_is_answered(world):
    r = _api(world.auditor).post("/api/v1/checks/", _doc(engineers=10, tools=10), format="json")
    assert r.status_code == 200
    assert r.json()["findings"]


def test_the_caps_are_settings(world, settings):
    settings.DRY_RUN_MAX_ENGINEERS = 2
    r = _api(world.auditor).post("/api/v1/checks/", _doc(engineers=3), format="json")
    assert r.status_code == 400
    assert "at most 2 engineers" in r.json()["errors"]["engineers"][0]


def test_an_answer_over_the_response_cap_is_refused(world, settings):
    settings.DRY_RUN_MAX_RESPONSE_BYTES = 1500
    r = _api(world.auditor).post("/api/v1/checks/", _doc(engineers=3, tools=3), format="json")
    assert r.status_code == 400
    assert "DRY_RUN_MAX_RESPONSE_BYTES" in r.json()["errors"]["document"][0]


def test_the_dry_run_page_shows_the_cap(world, settings):
    import json

    settings.DRY_RUN_MAX_TOOLS = 1
    c = Client()
    c.force_login(world.lam_manager)
    r = c.post("/checks/dry-run/", {"document": json.dumps(_doc(tools=2))})
    assert r.status_code == 200
    assert b"DRY_RUN_MAX_TOOLS" in r.content


# --- Per-user throttles ---------------------------------------------------------------------
def _third_is_throttled(call) -> None:
    codes = [call().status_code for _ in range(3)]
    assert codes[:2] != [429, 429] and codes[2] == 429, codes


def test_the_dry_run_is_throttled_per_user(world, settings):
    _rates(settings, dry_run="2/min")
    api = _api(world.auditor)
    _third_is_throttled(lambda: api.post("/api/v1/checks/", _doc(), format="json"))
    r = api.post("/api/v1/checks/", _doc(), format="json")
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    assert set(r.json()) == {"message", "errors"}
    # Another user has their own allowance.
    assert _api(world.approver).post("/api/v1/checks/", _doc(), format="json").status_code == 200


def test_the_dry_run_page_is_throttled_too(world, settings):
    import json

    _rates(settings, dry_run="1/min")
    c = Client()
    c.force_login(world.lam_manager)
    assert c.post("/checks/dry-run/", {"document": json.dumps(_doc())}).status_code == 200
    r = c.post("/checks/dry-run/", {"document": json.dumps(_doc())})
    assert r.status_code == 429
    assert b"Too many dry runs" in r.content


def test_screening_search_is_throttled(world, settings):
    _rates(settings, screening_search="2/min")
    api = _api(world.approver)
    _third_is_throttled(
        lambda: api.post("/api/v1/screening/search/", {"name": "Huawei"}, format="json")
    )


def test_suggestions_are_throttled(world, settings):
    _rates(settings, suggestions="2/min")
    api = _api(world.lam_manager)
    _third_is_throttled(lambda: api.get("/api/v1/visits/999999/suggestions/"))


def test_the_impact_preview_is_throttled(world, settings):
    _rates(settings, impact="2/min")
    api = _api(world.approver)
    _third_is_throttled(lambda: api.post("/api/v1/rules/impact/", {}, format="json"))


# --- Client addresses: X-Forwarded-For only through trusted proxies --------------------------
def _token(client: APIClient, xff: str | None) -> int:
    """A failed login attempt of lam.manager (wrong password) from ``xff``."""
    extra = {"HTTP_X_FORWARDED_FOR": xff} if xff else {}
    return client.post(
        "/api/v1/auth/token/",
        {"username": "lam.manager", "password": "not-the-password"},
        format="json",
        **extra,
    ).status_code


def test_a_new_forwarded_for_on_each_request_does_not_reset_the_token_throttle(world, settings):
    _rates(settings, token="3/min")
    settings.AXES_FAILURE_LIMIT = 1000
    client = APIClient()
    codes = [_token(client, f"203.0.113.{i}") for i in range(5)]
    assert codes[:3] == [400, 400, 400] and codes[3:] == [429, 429], codes


def test_behind_one_trusted_proxy_the_proxys_last_entry_is_the_client(world, settings):
    _rates(settings, token="2/min")
    settings.AXES_FAILURE_LIMIT = 1000
    settings.TRUSTED_PROXY_COUNT = 1
    client = APIClient()
    # The client forges the left part; the proxy appends the real address on the right.
    codes = [_token(client, f"198.51.100.{i}, 192.0.2.7") for i in range(3)]
    assert codes == [400, 400, 429], codes
    # A different real client behind the same proxy has its own allowance.
    assert _token(client, "192.0.2.8") == 400


def test_the_login_lockout_ignores_a_forged_forwarded_for(world, settings):
    _rates(settings, token="1000/min")
    settings.AXES_FAILURE_LIMIT = 3
    client = APIClient()
    for i in range(3):
        assert _token(client, f"203.0.113.{i}") == 400
    # Locked out: even the right password from a "new" address is refused.
    r = client.post(
        "/api/v1/auth/token/",
        {"username": "lam.manager", "password": "pw-lam.manager"},
        format="json",
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert r.status_code in (400, 403, 429) and "token" not in r.json()


# --- Strict JSON and query parameters -------------------------------------------------------
def test_a_duplicate_json_key_is_a_400_naming_the_key(world):
    before = AuditEvent.objects.count()
    body = '{"visit": {"activity": "maintenance", "activity": "repair"}}'
    r = _api(world.lam_manager).post("/api/v1/visits/", body, content_type="application/json")
    assert r.status_code == 400
    assert "'activity'" in r.json()["message"]
    assert "activity" in r.json()["errors"]
    assert AuditEvent.objects.count() == before and Visit.objects.count() == 0


def test_a_duplicate_key_in_the_dry_run_page_is_refused(world):
    c = Client()
    c.force_login(world.lam_manager)
    r = c.post("/checks/dry-run/", {"document": '{"vendor": {}, "vendor": {}}'})
    assert b"appears twice" in r.content


def test_an_unknown_status_filter_is_a_400_naming_the_parameter_and_the_values(world):
    r = _api(world.lam_manager).get("/api/v1/visits/?status=bogus")
    assert r.status_code == 400
    message = r.json()["errors"]["status"][0]
    assert "bogus" in message and "on_hold" in message and "cleared" in message


def test_a_known_status_list_still_filters(world):
    r = _api(world.lam_manager).get("/api/v1/visits/?status=on_hold,cleared")
    assert r.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/visits/?stauts=on_hold",
        "/api/v1/engineers/?vendor=1",
        "/api/v1/tools/?facilty=1",
        "/api/v1/audit/events/?type=x",
        "/api/v1/reports/weekly/?week=2026-W45",
        "/api/v1/reports/weekly/2026-W45/?fromat=pdf",
    ],
)
def test_an_unknown_query_parameter_is_a_400_naming_it(world, url):
    user = world.auditor if "audit" in url or "reports" in url else world.lam_manager
    r = _api(user).get(url)
    assert r.status_code == 400, r.content[:200]
    name = url.split("?")[1].split("=")[0]
    assert name in r.json()["errors"]
    assert "page" in r.json()["errors"][name][0]


def test_a_tool_facility_filter_that_is_not_an_id_is_a_400(world):
    api = _api(world.lam_manager)
    r = api.get("/api/v1/tools/?facility=abc")
    assert r.status_code == 400 and "facility" in r.json()["errors"]
    r = api.get(f"/api/v1/tools/?facility={world.fab.pk}")
    assert r.status_code == 200 and r.json()["count"] >= 1


# --- Schema and docs ------------------------------------------------------------------------
def test_the_schema_and_docs_need_a_login_by_default(world):
    assert Client().get("/api/schema/").status_code == 401
    r = Client().get("/api/docs/")
    assert (r.status_code == 302 and r["Location"].startswith("/accounts/login/")) or (
        r.status_code == 302 and "login" in r["Location"]
    )
    c = Client()
    c.force_login(world.lam_manager)
    assert c.get("/api/schema/").status_code == 200
    assert c.get("/api/docs/").status_code == 200


def test_a_setting_opens_the_schema_and_docs_for_development(world, settings):
    settings.API_DOCS_PUBLIC = True
    assert Client().get("/api/schema/").status_code == 200
    assert Client().get("/api/docs/").status_code == 200


def test_development_settings_open_the_docs_and_the_rest_do_not():
    import importlib

    base = importlib.import_module("config.settings.base")
    local = importlib.import_module("config.settings.local")
    assert base.API_DOCS_PUBLIC is False
    assert local.API_DOCS_PUBLIC is True


@pytest.mark.parametrize("size", ["0", "201", "abc", "-5", "1000000", "１"])
def test_a_page_size_out_of_range_is_a_400_naming_it(world, size):
    r = _api(world.auditor).get(f"/api/v1/licences/?page_size={size}")
    assert r.status_code == 400
    assert "page_size" in r.json()["errors"]


def test_a_page_size_in_range_is_used(world):
    r = _api(world.auditor).get("/api/v1/rules/?page_size=3")
    assert r.status_code == 200 and len(r.json()["results"]) == 3
