"""A Python client generated from the served schema drives a live server through typed models.

The client comes from ``/api/schema/`` by openapi-python-client (pinned in requirements-dev.txt),
as an integrator would make it. Its models read every documented field (a required field missing
from a response raises) and collect undocumented ones in ``additional_properties``, which the test
requires to be empty everywhere but in the maps (facts, classifications, counts): a response that
drifts from the schema, either way, fails here. Undeclared status codes raise too
(``raise_on_unexpected_status``).
"""

from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from compliance.models import Licence
from compliance.reports import services as report_services
from dispatch.models import Visit, VisitStatus
from tests.factories import (
    EngineerFactory,
    ToolFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "fab_client"
# Maps by design: their keys are data (fact names, jurisdictions, list codes), not fields.
MAPS = {"FindingFacts", "ToolClassifications", "SnapshotCounts", "ReportDownloads"}
START = dt.date.today() + dt.timedelta(days=14)


def _generate(schema: bytes, where: Path) -> Any:
    (where / "schema.yaml").write_bytes(schema)
    (where / "config.yaml").write_text(
        f"package_name_override: {PACKAGE}\nproject_name_override: fab-client\npost_hooks: []\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(where / "schema.yaml"),
            "--config",
            str(where / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(where / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The generator warns about what it could not type; a typed contract leaves nothing to warn.
    assert "Warning" not in done.stdout, done.stdout
    sys.path.insert(0, str(where))
    try:
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))


def _api(name: str) -> Any:
    """``fab_client.api.<tag>.<operation>``, imported on demand."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def _models() -> Any:
    return importlib.import_module(f"{PACKAGE}.models")


def _undocumented(value: Any, path: str = "$") -> list[str]:
    """Paths of fields a response carried that the schema does not declare."""
    out: list[str] = []
    if isinstance(value, list):
        for i, item in enumerate(value):
            out += _undocumented(item, f"{path}[{i}]")
    elif attrs.has(type(value)):
        extra = getattr(value, "additional_properties", {})
        if extra and type(value).__name__ not in MAPS:
            out += [f"{path}.{key}" for key in sorted(extra)]
        for field in attrs.fields(type(value)):
            if field.name != "additional_properties":
                out += _undocumented(getattr(value, field.name), f"{path}.{field.name}")
    return out


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:500])
    parsed = response.parsed
    models = _models()
    assert not isinstance(parsed, models.Error), parsed
    assert _undocumented(parsed) == [], _undocumented(parsed)
    return parsed


@pytest.fixture
def world(world):
    """The persona world, with a Dutch Lam engineer and a Lam tool nobody has classified yet (a
    data-quality review): with the controlled etch tool, the hold outlives the licence."""
    world["nl_engineer"] = EngineerFactory(
        vendor=world.lam, name="Joris Bakker", citizenships=["NL"], home_country="NL"
    )
    world["unclassified"] = ToolFactory(facility=world.fab, oem=world.lam, classifications={})
    return world


def _login(client_module: Any, base_url: str, username: str) -> Any:
    models = _models()
    anonymous = client_module.Client(base_url=base_url, raise_on_unexpected_status=True)
    token = _ok(
        _api("auth.v1_auth_token_create").sync_detailed(
            client=anonymous,
            body=models.TokenRequest(username=username, password="pw-" + username),
        )
    )
    assert isinstance(token.token, str) and token.expires_at > dt.datetime.now(dt.UTC)
    return client_module.AuthenticatedClient(
        base_url=base_url, token=token.token, prefix="Token", raise_on_unexpected_status=True
    )


def test_a_generated_client_files_reads_approves_and_reports_through_typed_models(
    world, live_server, tmp_path
):
    # The schema needs a login (API_DOCS_PUBLIC is off, as in production).
    assert httpx.get(f"{live_server.url}/api/schema/", timeout=30).status_code == 401
    reader = httpx.post(
        f"{live_server.url}/api/v1/auth/token/",
        json={"username": "lam.manager", "password": "pw-lam.manager"},
        timeout=30,
    ).json()["token"]
    schema = httpx.get(
        f"{live_server.url}/api/schema/", headers={"Authorization": f"Token {reader}"}, timeout=30
    )
    assert schema.status_code == 200
    client_module = _generate(schema.content, tmp_path)
    models = _models()

    # A manager logs in, looks up the reference data and files a visit.
    manager = _login(client_module, live_server.url, "lam.manager")
    engineers = _ok(_api("engineers.v1_engineers_list").sync_detailed(client=manager))
    assert {e.name for e in engineers.results} == {"David Miller", "Joris Bakker"}
    us = next(e for e in engineers.results if e.name == "David Miller")
    assert [c.country for c in us.citizenships] == ["US"]
    facilities = _ok(_api("facilities.v1_facilities_list").sync_detailed(client=manager))
    fab = next(f for f in facilities.results if f.id == world["fab"].pk)
    assert fab.logic_node_nm == 7 and fab.non_planar is True
    tools = _ok(_api("tools.v1_tools_list").sync_detailed(client=manager, facility=fab.id))
    by_serial = {t.serial_number: t for t in tools.results}
    etch = by_serial[world["lam_tool"].serial_number]
    assert etch.classifications.additional_properties == {"US": ["3B001.c"]}

    filed = _ok(
        _api("visits.v1_visits_create").sync_detailed(
            client=manager,
            body=models.VisitRequest(
                vendor=world["lam"].pk,
                facility=fab.id,
                tools=[t.id for t in tools.results],
                engineers=[e.id for e in engineers.results],
                activity=models.ActivityEnum.MAINTENANCE,
                start_date=START,
                end_date=START + dt.timedelta(days=2),
                purpose="Chamber clean and calibration",
            ),
            idempotency_key="generated-client-1",
        ),
        status=201,
    )
    assert filed.status == models.VisitStatusEnum.ON_HOLD

    # The decision, typed all the way down to each finding's citation and facts.
    visit = _ok(_api("visits.v1_visits_retrieve").sync_detailed(filed.id, client=manager))
    decision = visit.decision
    assert isinstance(decision, models.VisitDecision)
    assert decision.outcome == models.EffectEnum.LICENCE_REQUIRED
    assert decision.status == models.DecisionStatusEnum.ON_HOLD
    assert decision.rules_version and decision.lists_version
    assert decision.as_of == START
    us_person = next(f for f in decision.findings if f.rule == "US-EAR-744.6-ADVANCED-FAB")
    assert us_person.citation.startswith("15 CFR 744.6(c)(2)")
    assert us_person.effect == models.EffectEnum.LICENCE_REQUIRED
    assert us_person.engineer == "David Miller"
    assert us_person.covered_by_licence is None
    assert "us_person_basis" in us_person.facts.additional_properties
    assert any(f.rule == "DQ-TOOL-NOT-CLASSIFIED" for f in decision.findings)

    history = _ok(_api("visits.v1_visits_history_retrieve").sync_detailed(filed.id, client=manager))
    assert history.visit == filed.id and history.decisions
    assert history.decisions[0].result.outcome == decision.outcome
    assert {e.event_type for e in history.events} >= {"visit_submitted", "decision_recorded"}

    suggestions = _ok(
        _api("visits.v1_visits_suggestions_retrieve").sync_detailed(filed.id, client=manager)
    )
    assert suggestions.visit == filed.id
    # Nobody clears it while a tool is unclassified; the U.S. person's licence need stays with her.
    assert suggestions.candidates == []
    without = {w.name: w for w in suggestions.without}
    assert set(without) == {"David Miller", "Joris Bakker"}
    assert without["Joris Bakker"].outcome == models.EffectEnum.LICENCE_REQUIRED
    assert without["Joris Bakker"].engineer == world["nl_engineer"].pk

    dry_run = _ok(
        _api("checks.v1_checks_create").sync_detailed(
            client=manager,
            body=models.V1ChecksCreateBody.from_dict(
                {
                    "visit": {
                        "activity": "maintenance",
                        "mode": "on_site",
                        "start_date": START.isoformat(),
                        "end_date": START.isoformat(),
                    },
                    "vendor": {"name": "Lam Research Corporation", "country": "US"},
                    "facility": {
                        "name": "Fab 1",
                        "owner": "Wuxi Advanced Logic Co., Ltd.",
                        "city": "Wuxi",
                        "country": "CN",
                        "products": ["logic"],
                        "logic_node_nm": 7,
                        "non_planar": True,
                    },
                    "tools": [{"model": "Etch 1", "classifications": {"US": ["3B001.c"]}}],
                    "engineers": [{"name": "David Miller", "citizenships": ["US"]}],
                }
            ),
        )
    )
    assert isinstance(dry_run, models.Decision)
    assert any(f.citation.startswith("15 CFR 744.6(c)(2)") for f in dry_run.findings)

    # An approver records the licence (the visit is re-checked: still held for the review) and
    # approves with it.
    approver = _login(client_module, live_server.url, "approver")
    licence = _ok(
        _api("licences.v1_licences_create").sync_detailed(
            client=approver,
            body=models.LicenceRequest(
                authority="BIS",
                number="D1234567",
                holder=world["lam"].pk,
                valid_from=dt.date.today(),
                valid_until=START + dt.timedelta(days=365),
                facilities=[fab.id],
                classifications=["3B001"],
            ),
        ),
        status=201,
    )
    rechecked = _ok(_api("visits.v1_visits_retrieve").sync_detailed(filed.id, client=approver))
    assert rechecked.status == models.VisitStatusEnum.ON_HOLD
    assert rechecked.decision.outcome == models.EffectEnum.REVIEW
    covered = next(f for f in rechecked.decision.findings if f.rule == us_person.rule)
    assert covered.covered_by_licence and "D1234567" in covered.covered_by_licence
    approved = _ok(
        _api("visits.v1_visits_approve_create").sync_detailed(
            filed.id,
            client=approver,
            body=models.JustificationRequest(
                justification="BIS licence D1234567 covers the etch tool; the second tool is "
                "a wet bench (EAR99) per the OEM's statement.",
                licence=licence.id,
            ),
        )
    )
    assert approved.status == models.VisitStatusEnum.APPROVED
    assert Visit.objects.get(pk=filed.id).status == VisitStatus.APPROVED
    assert Licence.objects.get(pk=licence.id).number == "D1234567"

    # The manager may not approve (403, declared), and the error is typed too.
    refused = _api("visits.v1_visits_approve_create").sync_detailed(
        filed.id,
        client=manager,
        body=models.JustificationRequest(justification="I approve my own visit."),
    )
    assert refused.status_code == 403 and isinstance(refused.parsed, models.Error)
    assert refused.parsed.message

    # An auditor reads last week's report and lists the reports. (All of this test's activity is
    # this week, so last week is before the first recorded activity: the API would not generate
    # it; the weekly task stores it.)
    auditor = _login(client_module, live_server.url, "auditor")
    year, week, _ = (dt.date.today() - dt.timedelta(days=7)).isocalendar()
    label = f"{year}-W{week:02d}"
    report_services.report_weekly_generate(week=report_services.report_week_parse(label))
    assert (
        _api("reports.v1_reports_weekly_retrieve").sync_detailed(label, client=auditor).status_code
        == 200
    )
    reports = _ok(_api("reports.v1_reports_weekly_list").sync_detailed(client=auditor))
    assert [r.week for r in reports.results] == [label]
    assert reports.results[0].downloads.pdf.endswith(f"/{label}/?format=pdf")
