"""The dispatch board: the vendor's engineers x days, each cell the outcome of filing that visit."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.checks.evaluate import check_document
from compliance.models import Licence, ListSnapshot, RuleSet
from compliance.selectors import visit_document
from compliance.services import board as board_service
from compliance.services.board import dispatch_board
from dispatch import services
from dispatch.models import Engineer, Visit
from tests.factories import EngineerFactory, ToolFactory, VendorFactory

pytestmark = pytest.mark.django_db

DAYS = 30

# (name, citizenships, residencies relative to today as (country, since offset, until offset))
PROFILES = [
    ("Wei Zhang", ["CN"], []),
    ("Sanne Visser", ["NL"], []),
    ("Reza Ahmadi", ["IR"], []),
    ("Olga Petrova", ["RU"], []),
    ("Kenji Mori", ["JP"], []),
    ("Tan Wei Ming", ["SG"], []),
    ("Ana Ruiz", ["US", "MX"], []),
    ("Lena Berg", ["SE"], []),
    ("Ji-ho Kim", ["KR"], []),
    ("Chen Li", ["CN", "CA"], []),
]


@pytest.fixture
def team(world):
    return build_team(world)


def build_team(world):
    """ASML's roster: 52 active engineers of varied nationality, one on the Denied Persons List,
    one whose U.S. residency ends and one whose residency starts within the board's range."""
    today = timezone.localdate()
    world["plain_tool"] = ToolFactory(
        facility=world.fab,
        oem=world.asml,
        model="TWINSCAN NXT:1470",
        classifications={"US": [], "NL": []},
        subject_to_ear=False,
    )
    made = [world.asml_engineer]
    made.append(
        EngineerFactory(vendor=world.asml, name="Nobody Known", citizenships=[], home_country="NL")
    )
    for i in range(47):
        name, citizenships, _ = PROFILES[i % len(PROFILES)]
        made.append(
            EngineerFactory(
                vendor=world.asml,
                name=f"{name} {i:02d}",
                citizenships=citizenships,
                home_country=citizenships[0],
            )
        )
    made.append(
        EngineerFactory(
            vendor=world.asml, name="Abdiel Padron Madrid", citizenships=["MX"], home_country="MX"
        )
    )
    made.append(
        EngineerFactory(
            vendor=world.asml,
            name="Maria Leaving",
            citizenships=["MX"],
            residencies=[("US", today - dt.timedelta(days=900), today + dt.timedelta(days=9))],
            home_country="MX",
        )
    )
    made.append(
        EngineerFactory(
            vendor=world.asml,
            name="Paulo Arriving",
            citizenships=["BR"],
            residencies=[("US", today + dt.timedelta(days=14), None)],
            home_country="BR",
        )
    )
    EngineerFactory(vendor=world.asml, name="Inactive Ivan", citizenships=["NL"], is_active=False)
    EngineerFactory(vendor=VendorFactory(), name="Other Vendor Olaf", citizenships=["NL"])
    return made


def _board(world, *, start=None, days=DAYS, tool=True, length=1):
    return dispatch_board(
        vendor_id=world.asml.pk,
        facility_id=world.fab.pk,
        tool_ids=[world["plain_tool"].pk] if tool else [],
        activity="maintenance",
        mode="on_site",
        start=start or timezone.localdate() + dt.timedelta(days=1),
        days=days,
        length=length,
        user_id=world.asml_manager.pk,
    )


class _VisitShape:
    """What ``visit_document`` reads, for a visit not filed: the board's cell."""

    def __init__(self, world, engineer, start, end, tool=True):
        self.pk = None
        self.activity = "maintenance"
        self.mode = "on_site"
        self.start_date, self.end_date = start, end
        self.vendor = world.asml
        self.facility = world.fab
        self.tools = _All([world["plain_tool"]] if tool else [])
        self.engineers = _All([engineer])


class _All:
    def __init__(self, items):
        self.items = items

    def all(self):
        return self.items


def test_the_board_has_every_active_engineer_of_the_vendor_and_every_day(world, team):
    board = _board(world)
    assert board.problem == ""
    assert len(board.rows) == len(team) >= 50
    names = [r.engineer.name for r in board.rows]
    assert "Inactive Ivan" not in names and "Other Vendor Olaf" not in names
    assert names == sorted(names, key=lambda n: n)  # (name, pk) order
    assert all(len(r.cells) == DAYS for r in board.rows)
    first = timezone.localdate() + dt.timedelta(days=1)
    assert [c.start for c in board.rows[0].cells] == [
        first + dt.timedelta(days=i) for i in range(DAYS)
    ]
    assert all(c.start == c.end and c.reason for r in board.rows for c in r.cells)


def test_every_cell_of_50_engineers_by_30_days_is_the_engines_outcome(world, team):
    """Correctness of the whole grid: each cell equals the dry run of that visit's document
    (the same engine, rules and lists; this world holds no licence)."""
    board = _board(world)
    kinds = Counter()
    for row in board.rows:
        engineer = Engineer.objects.prefetch_related("citizenships", "residencies").get(
            pk=row.engineer.pk
        )
        for cell in row.cells:
            document = visit_document(_VisitShape(world, engineer, cell.start, cell.end))
            expected = check_document(document)
            assert cell.outcome == expected["outcome"], (engineer.name, cell.start, cell.reason)
            kinds[cell.outcome] += 1
    assert set(kinds) == {"clear", "review", "licence_required", "prohibited"}, kinds


def test_outcomes_change_with_the_day_where_the_facts_do(world, team):
    board = _board(world)
    by_name = {r.engineer.name: r.cells for r in board.rows}
    leaving = [c.outcome for c in by_name["Maria Leaving"]]
    arriving = [c.outcome for c in by_name["Paulo Arriving"]]
    assert len(set(leaving)) == 2 and len(set(arriving)) == 2, (leaving, arriving)


def _file(world, engineer_id, cell, committed, tool=True):
    with committed():
        visit = services.visit_create(
            requested_by=world.asml_manager,
            vendor=world.asml.pk,
            facility=world.fab.pk,
            engineers=[engineer_id],
            tools=[world["plain_tool"].pk] if tool else [],
            activity="maintenance",
            mode="on_site",
            start_date=cell.start,
            end_date=cell.end,
        )
    visit.refresh_from_db()
    return visit


@pytest.mark.parametrize("tool", [True, False])
def test_the_boards_outcomes_equal_those_of_filing_each_cell(world, team, committed, tool):
    """A sample of cells, with every outcome the board shows, filed through the service: the
    check's decision has the cell's outcome."""
    board = _board(world, tool=tool, days=20)
    by_outcome: dict[str, list] = {}
    for row in board.rows:
        for cell in row.cells:
            by_outcome.setdefault(cell.outcome, []).append((row.engineer.pk, cell))
    assert board_service.UNAVAILABLE not in by_outcome
    rng = random.Random(18)
    sample = []
    for cells in by_outcome.values():
        sample += rng.sample(cells, min(3, len(cells)))
    # The day-dependent engineers on both sides of their change.
    for row in board.rows:
        if row.engineer.name in ("Maria Leaving", "Paulo Arriving"):
            sample += [(row.engineer.pk, row.cells[0]), (row.engineer.pk, row.cells[-1])]
    for engineer_id, cell in sample:
        visit = _file(world, engineer_id, cell, committed, tool=tool)
        assert visit.current_decision is not None
        assert visit.current_decision.outcome == cell.outcome, (engineer_id, cell)
    assert {"clear", "review", "licence_required", "prohibited"} <= set(by_outcome), (
        by_outcome.keys()
    )


def test_a_visit_of_several_days_is_one_cell_per_start_day(world, team, committed):
    board = _board(world, days=5, length=3)
    cell = board.rows[0].cells[2]
    assert cell.end == cell.start + dt.timedelta(days=2)
    visit = _file(world, board.rows[0].engineer.pk, cell, committed)
    assert visit.current_decision.outcome == cell.outcome


def test_the_reason_names_the_rules_that_hold_the_cell(world, team, committed):
    board = _board(world, days=3)
    held = next(
        (row.engineer.pk, c) for row in board.rows for c in row.cells if c.outcome != "clear"
    )
    visit = _file(world, held[0], held[1], committed)
    titles = {
        f["title"] or f["rule"]
        for f in visit.current_decision.result["findings"]
        if f["effect"] != "clear" and not f["covered_by_licence"]
    }
    assert titles and all(t in held[1].reason for t in titles), (titles, held[1].reason)


def test_no_rule_set_fails_closed_every_cell_unavailable(world, team):
    RuleSet.objects.update(is_active=False)
    board = _board(world, days=3)
    assert board.problem
    outcomes = {c.outcome for r in board.rows for c in r.cells}
    assert outcomes == {board_service.UNAVAILABLE}


def test_an_error_in_a_cell_fails_closed_never_clear(world, team, monkeypatch):
    calls = {"n": 0}
    real = board_service.decide_pending

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] % 2:
            raise RuntimeError("engine exploded")
        return real(*args, **kwargs)

    monkeypatch.setattr(board_service, "decide_pending", flaky)
    board = _board(world, days=4)
    broken = [c for r in board.rows for c in r.cells if c.outcome == board_service.UNAVAILABLE]
    assert broken and all("engine exploded" in c.reason for c in broken)
    assert "clear" not in {c.outcome for c in broken}


def test_missing_lists_hold_every_cell_for_review(world, team):
    ListSnapshot.objects.update(is_active=False)
    board = _board(world, days=3)
    outcomes = {c.outcome for r in board.rows for c in r.cells}
    assert "clear" not in outcomes and outcomes, outcomes


def test_a_licence_that_covers_an_engineer_clears_their_cells_as_the_filing_does(
    world, team, committed
):
    board = _board(world, days=3)
    target = next(r for r in board.rows if all(c.outcome == "licence_required" for c in r.cells))
    today = timezone.localdate()
    licence = Licence.objects.create(
        authority="BIS",
        number="D123456",
        holder=world.asml,
        valid_from=today - dt.timedelta(days=10),
        valid_until=today + dt.timedelta(days=2),
        activities=["maintenance"],
    )
    licence.facilities.add(world.fab)
    licence.engineers.add(target.engineer)
    covered = _board(world, days=3)
    row = next(r for r in covered.rows if r.engineer.pk == target.engineer.pk)
    # Valid for the first two days only, and named for this engineer alone.
    assert [c.outcome for c in row.cells] == ["clear", "clear", "licence_required"], row.cells
    assert "D123456" in row.cells[0].reason
    others = [r for r in covered.rows if r.engineer.pk != target.engineer.pk]
    same_facts = [
        r for r in others if r.engineer.name.split()[:2] == target.engineer.name.split()[:2]
    ]
    assert same_facts and all(r.cells[0].outcome == "licence_required" for r in same_facts)
    for cell in row.cells:
        visit = _file(world, target.engineer.pk, cell, committed)
        assert visit.current_decision.outcome == cell.outcome, (cell, visit.current_decision.result)
    assert Visit.objects.count() == 3


# --- The page --------------------------------------------------------------------------------


def _query(world, **over):
    start = timezone.localdate() + dt.timedelta(days=1)
    data = {
        "facility": world.fab.pk,
        "tool": world["plain_tool"].pk,
        "activity": "maintenance",
        "mode": "on_site",
        "start": start.isoformat(),
        "days": 30,
        "length": 1,
    }
    data.update(over)
    return data


def test_the_page_shows_the_grid_of_the_managers_engineers_only(world, team, client):
    client.force_login(world.asml_manager)
    r = client.get("/board/", _query(world))
    assert r.status_code == 200
    body = r.content.decode()
    assert body.count('class="cell ') == len(team) * 30
    assert "Abdiel Padron Madrid" in body and "David Miller" not in body
    assert "Other Vendor Olaf" not in body and "Inactive Ivan" not in body
    # Another vendor's tool at the same fab is not the manager's to file with.
    r = client.get("/board/", _query(world, tool=world.lam_tool.pk))
    assert r.status_code == 200 and "tool" in r.context["form"].errors
    assert r.context["board"] is None


def test_a_cell_links_to_the_filing_form_prefilled(world, team, client):
    client.force_login(world.asml_manager)
    r = client.get("/board/", _query(world))
    row = r.context["rows"][3]
    item = row["cells"][5]
    url = urlparse(item["href"])
    assert url.path == "/visits/new/"
    q = parse_qs(url.query)
    assert q["engineers"] == [str(row["engineer"].pk)]
    assert q["start_date"] == [item["cell"].start.isoformat()] == q["end_date"]
    assert q["facility"] == [str(world.fab.pk)] and q["tools"] == [str(world["plain_tool"].pk)]
    form = client.get(item["href"]).context["form"]
    assert form.initial["start_date"] == item["cell"].start.isoformat()
    assert [str(v) for v in form.initial["engineers"]] == [str(row["engineer"].pk)]


@pytest.mark.parametrize(
    "over, field",
    [
        ({"days": 63}, "days"),
        ({"days": 0}, "days"),
        ({"length": 15}, "length"),
        ({"start": "2020-01-01"}, "start"),
        ({"start": "not-a-date"}, "start"),
        ({"facility": 999999}, "facility"),
        ({"activity": "=cmd|' /C calc'!A0"}, "activity"),
    ],
)
def test_bad_input_names_the_field_and_computes_nothing(world, team, client, over, field):
    client.force_login(world.asml_manager)
    r = client.get("/board/", _query(world, **over))
    assert r.status_code == 200
    assert field in r.context["form"].errors
    assert r.context["board"] is None


def test_roles_without_a_vendor_get_no_board(world, team, client):
    for user in (world.approver, world.auditor):
        client.force_login(user)
        assert client.get("/board/", _query(world)).status_code == 404
    client.logout()
    assert client.get("/board/").status_code == 302


def test_the_nav_links_to_the_board_for_managers(world, client):
    client.force_login(world.asml_manager)
    assert 'href="/board/"' in client.get("/").content.decode()
    client.force_login(world.approver)
    assert 'href="/board/"' not in client.get("/").content.decode()


def test_the_board_takes_a_fixed_number_of_queries_whatever_the_number_of_engineers(world, team):
    _board(world, days=1)  # compiles the rule set once per process
    with CaptureQueriesContext(connection) as some:
        _board(world, days=3)
    for i in range(20):
        EngineerFactory(vendor=world.asml, name=f"More {i}", citizenships=["SG", "MY"])
    with CaptureQueriesContext(connection) as more:
        board = _board(world, days=30)
    assert len(board.rows) == len(team) + 20
    assert len(more.captured_queries) == len(some.captured_queries)


def test_the_page_fails_closed_without_a_rule_set(world, team, client):
    RuleSet.objects.update(is_active=False)
    client.force_login(world.asml_manager)
    body = client.get("/board/", _query(world, days=5)).content.decode()
    assert "could not be read" in body
    assert body.count('data-outcome="unavailable"') == len(team) * 5
    assert 'data-outcome="clear"' not in body
