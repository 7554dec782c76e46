"""Classification codes and list codes must have their shape: every code the rule packs and the
demo data use is accepted, markup is refused with a 400 naming the field and the shape expected,
and nothing is written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from compliance.models import Licence, MatchReview
from compliance.screening.entries import LIST_NAMES
from config.codes import classification_code_problem, list_code_problem
from config.errors import ApplicationError
from dispatch import services
from dispatch.demo import data as demo
from dispatch.models import Tool, Visit
from dispatch.validators import classifications_problem

pytestmark = pytest.mark.django_db

MARKUP = ["3B001<script>", '3B001"><img src=x onerror=alert(1)>', "3B 001", "3B001;"]


def _rule_pack_codes() -> list[str]:
    constants = yaml.safe_load(Path("compliance/rulepacks/reference/constants.yaml").read_text())
    items = constants if isinstance(constants, list) else constants.get("constants", constants)
    return [
        code
        for item in items
        if isinstance(item, dict) and item.get("name") == "NL_NATIONAL_CODES"
        for code in item["values"]
    ]


def test_the_rule_packs_dutch_list_codes_are_read():
    assert "3B001.f.4" in _rule_pack_codes()


def test_every_code_of_the_rule_packs_and_the_demo_data_is_accepted():
    codes = {
        *_rule_pack_codes(),
        *(c for tool in demo.TOOLS for cs in tool["classifications"].values() for c in cs),
        *(c for licence in demo.LICENCES for c in licence.get("classifications", [])),
        "EAR99",
        "3B993",
        "3B001.a",
        "3B001.f.4",
        "3D007",
        "METI-23:deposition.4",
        "NCT",
        "NCT:dram-sub-30nm",
    }
    assert len(codes) > 15
    assert {c: classification_code_problem(c) for c in codes} == dict.fromkeys(codes)


def test_a_licence_may_list_a_prefix_ending_in_a_separator_a_tool_may_not():
    for prefix in ("METI-23:", "3B001.f."):
        assert classification_code_problem(prefix, prefix=True) is None
        assert classification_code_problem(prefix) is not None


@pytest.mark.parametrize("code", [*MARKUP, "3B001 ", "", ".3B001", "3B001..f", "３B001", "3" * 51])
def test_a_code_that_is_not_of_the_shape_is_refused_with_the_shape_expected(code):
    problem = classification_code_problem(code)
    assert problem is not None and "expected segments of letters, digits" in problem
    assert classification_code_problem(code, prefix=True) is not None


def test_every_list_code_the_product_knows_is_accepted_and_markup_is_not():
    assert {c: list_code_problem(c) for c in LIST_NAMES} == dict.fromkeys(LIST_NAMES)
    for code in ("UN", "EU", "UK", "JP-EUL", "FTM", "NS-MBS"):
        assert list_code_problem(code) is None
    for code in ("EL<script>", 'EL"', "el", "E", "EL\n", "EL "):
        assert "expected an upper-case letter" in list_code_problem(code)


def test_a_match_review_with_markup_in_its_list_code_is_refused_by_the_model():
    review = MatchReview(party_name="Acme", list_code="EL<b>", reason="Namesake.")
    with pytest.raises(ValidationError) as refused:
        review.clean_fields(exclude=["marked_by", "party", "entry_id", "entry_hash", "entry_name"])
    assert "list code" in " ".join(refused.value.message_dict["list_code"])


# --- Every input path ----------------------------------------------------------------------
@pytest.fixture
def manager_api(world):
    client = APIClient()
    client.force_authenticate(world.lam_manager)
    return client


@pytest.mark.parametrize("code", MARKUP)
def test_the_tool_api_refuses_markup_in_a_classification_naming_the_field(world, manager_api, code):
    tools = Tool.objects.count()
    r = manager_api.post(
        "/api/v1/tools/",
        {
            "facility": world.fab.pk,
            "oem": world.lam.pk,
            "model": "Kiyo",
            "serial_number": "S-900",
            "classifications": {"US": ["3B001.c", code]},
        },
        format="json",
    )
    assert r.status_code == 400, r.json()
    message = " ".join(r.json()["errors"]["classifications.US.1"])
    assert "is not a classification code" in message and "3B001.f.4" in message
    assert Tool.objects.count() == tools


def test_the_tool_api_accepts_codes_of_every_jurisdiction(world, manager_api):
    classifications = {
        "US": ["3B001.c", "EAR99"],
        "NL": ["3B001.f.4"],
        "EU": ["3B001.a"],
        "JP": ["METI-23:etching"],
        "KR": ["NCT:dram-sub-30nm"],
    }
    r = manager_api.post(
        "/api/v1/tools/",
        {
            "facility": world.fab.pk,
            "oem": world.lam.pk,
            "model": "Kiyo",
            "serial_number": "S-901",
            "classifications": classifications,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert Tool.objects.get(serial_number="S-901").classifications == classifications


def test_the_tool_service_and_so_the_admin_refuse_markup_in_a_classification(world):
    tool = world.lam_tool
    before = tool.classifications
    with pytest.raises(ApplicationError) as refused:
        services.tool_update(
            tool=tool, user=world.lam_manager, classifications={"US": ['3B001"><img>']}
        )
    assert "expected segments" in refused.value.errors["classifications"][0]
    tool.refresh_from_db()
    assert tool.classifications == before


def test_a_visit_item_with_markup_in_a_classification_is_refused(world, manager_api):
    start = dt.date.today() + dt.timedelta(days=10)
    r = manager_api.post(
        "/api/v1/visits/",
        {
            "vendor": world.lam.pk,
            "facility": world.mature.pk,
            "engineers": [world.lam_engineer.pk],
            "activity": "spare_parts",
            "start_date": start.isoformat(),
            "end_date": start.isoformat(),
            "items": [
                {
                    "kind": "part",
                    "description": "Chamber liner",
                    "classifications": {"US": ["3B001.h<script>"]},
                    "origin": "US",
                }
            ],
        },
        format="json",
    )
    assert r.status_code == 400, r.json()
    assert "is not a classification code" in " ".join(
        r.json()["errors"]["items[0].classifications"]
    )
    assert not Visit.objects.exists()


def test_the_licence_api_refuses_markup_in_a_classification_and_accepts_prefixes(world):
    client = APIClient()
    client.force_authenticate(world.approver)
    body = {
        "authority": "BIS",
        "number": "D7654321",
        "valid_from": "2026-01-01",
        "valid_until": "2027-12-31",
        "facilities": [world.fab.pk],
    }
    r = client.post(
        "/api/v1/licences/", {**body, "classifications": ['3B001"><img>']}, format="json"
    )
    assert r.status_code == 400, r.json()
    assert "may end in '.' or ':'" in " ".join(r.json()["errors"]["classifications.0"])
    assert not Licence.objects.exists()
    r = client.post(
        "/api/v1/licences/", {**body, "classifications": ["3B001", "METI-23:"]}, format="json"
    )
    assert r.status_code == 201, r.json()


def test_a_licence_with_markup_in_a_classification_is_refused_by_the_model_the_admin_validates():
    licence = Licence(
        authority="BIS",
        number="D1",
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2027, 1, 1),
        classifications=["3B001<script>"],
    )
    with pytest.raises(ValidationError) as refused:
        licence.full_clean()
    assert "Classification 1" in " ".join(refused.value.message_dict["classifications"])


def test_the_stored_shapes_check_names_the_jurisdiction_and_index():
    assert classifications_problem({"US": ["3B001", "3B001<"]}).startswith("US[1]: '3B001<'")
    assert classifications_problem({"US": ["3B001"], "NL": ["3B001.f.4"]}) == ""


@pytest.mark.parametrize("code", MARKUP)
def test_a_dry_run_document_with_markup_in_a_classification_is_refused(world, code):
    api = APIClient()
    api.force_authenticate(world.auditor)
    doc = {
        "visit": {
            "activity": "maintenance",
            "mode": "on_site",
            "start_date": "2026-12-07",
            "end_date": "2026-12-09",
        },
        "vendor": {"name": "V", "country": "NL", "us_branch": False},
        "facility": {"name": "F", "owner": "O", "city": "Wuxi", "country": "CN"},
        "tools": [{"model": "T", "classifications": {"US": ["3B001.c", code]}}],
        "engineers": [{"name": "E", "citizenships": ["NL"]}],
    }
    r = api.post("/api/v1/checks/", doc, format="json")
    assert r.status_code == 400, r.json()
    assert "classification code" in " ".join(r.json()["errors"]["tools[0].classifications.US[1]"])


@pytest.mark.parametrize("code", ["3b001.f.4", "3B001.F.4"])
def test_a_code_typed_in_another_case_holds_the_visit_as_the_canonical_one_does(world, code):
    """A lower-case code used to miss the Dutch rules and clear the visit."""
    api = APIClient()
    api.force_authenticate(world.auditor)

    def outcome(classification: str) -> tuple[str, set[str]]:
        doc = {
            "visit": {
                "activity": "maintenance",
                "mode": "on_site",
                "start_date": "2026-12-21",
                "end_date": "2026-12-22",
            },
            "vendor": {"name": "ASML Netherlands B.V.", "country": "NL", "us_branch": False},
            "facility": {
                "name": "F",
                "owner": "O",
                "city": "Wuxi",
                "country": "CN",
                "products": ["logic"],
                "logic_node_nm": 65,
                "non_planar": False,
            },
            "tools": [
                {
                    "model": "TWINSCAN NXT:2000i",
                    "classifications": {"NL": [classification]},
                    "subject_to_ear": False,
                }
            ],
            "engineers": [{"name": "E", "citizenships": ["NL"]}],
        }
        r = api.post("/api/v1/checks/", doc, format="json")
        assert r.status_code == 200, r.json()
        return r.json()["outcome"], {f["rule"] for f in r.json()["findings"]}

    canonical = outcome("3B001.f.4")
    assert canonical[0] != "clear" and any(rule.startswith("NL-") for rule in canonical[1])
    assert outcome(code) == canonical


@pytest.mark.parametrize("code", ["3B001:f:4", "3B001-f-4", "3B001f4", "3B001.f_4", "3B001.f.04"])
def test_a_misspelt_eccn_that_would_miss_its_rules_is_refused(code):
    problem = classification_code_problem(code)
    assert problem and "ECCN or Annex I" in problem
