"""Which visits a rule-set change can reach (compliance/engine/reach.py).

The product re-confirms the decision of every open visit that `RuleChange.may_reach` says False
for, without evaluating it. So the property tested first: whenever evaluating a visit under the
old and under the new rule set gives a different decision (outcome, findings or screening), the
change may reach it. Then that the answer is not "everything", and rule_reach on conditions
written by hand.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from compliance.engine.coverage import PrefixSet
from compliance.engine.reach import RuleChange, RuleReach, VisitShape, rule_change, rule_reach
from compliance.engine.rulepack import GroupMembership, Rule

from .builders import all_policies, packs
from .rule_changes import (
    CASES,
    Change,
    Visit,
    case_visit,
    case_visits,
    compiled,
    conjuncts,
    decide,
    load_rule,
    load_rules,
    new_rules,
    outcome_of,
    packs_with,
    rule_mapping,
    rule_set_changes,
    shape_of,
    visits,
)


def unreached(
    change: Change, tried: list[Visit], before: list[dict[str, Any]] | None = None
) -> list[str]:
    """Problems: a visit whose decision changes (either way) although the change says it cannot
    reach it. `before`: the decisions under change.old, when already known."""
    ways = (
        ("old->new", rule_change(change.old, change.new)),
        ("new->old", rule_change(change.new, change.old)),
    )
    problems = []
    for i, visit in enumerate(tried):
        old = before[i] if before is not None else outcome_of(decide(visit, change.old))
        if old == outcome_of(decide(visit, change.new)):
            continue
        shape = shape_of(visit.doc)
        problems += [
            f"{name}: {change.description}\n  visit {shape}\n  changed {rc.changed}"
            for name, rc in ways
            if not rc.may_reach(shape)
        ]
    return problems


# --- the property ----------------------------------------------------------------------------


@st.composite
def changes_and_visits(draw: st.DrawFn) -> tuple[Change, list[Visit]]:
    change = draw(rule_set_changes())
    own = [c for c in change.codes if c in CASES]
    tried = draw(st.lists(visits(), min_size=2, max_size=6))
    if own:  # the changed rules' own cases, as they are and moved
        tried += [case_visit(code, i) for code in own for i in (0, 1)]
        tried += draw(st.lists(case_visits(tuple(own)), min_size=1, max_size=4))
    return change, tried


# No shrinking: a failure names the change and the visit, and shrinking a rule set takes
# minutes on two cores.
PROPERTY = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


@settings(PROPERTY, max_examples=100)
@given(changes_and_visits())
def test_a_change_reaches_every_visit_whose_decision_it_changes(
    generated: tuple[Change, list[Visit]],
) -> None:
    change, tried = generated
    note(change.description)
    changed = [
        v for v in tried if outcome_of(decide(v, change.old)) != outcome_of(decide(v, change.new))
    ]
    event(f"visits whose decision changed: {min(len(changed), 3)}{'+' if len(changed) > 2 else ''}")
    problems = unreached(change, changed)
    assert not problems, "\n".join(problems)


@settings(PROPERTY, max_examples=60)
@given(new_rules(0), st.lists(visits(), min_size=4, max_size=8))
def test_an_added_rule_reaches_every_visit_whose_decision_it_changes(
    added: Rule, tried: list[Visit]
) -> None:
    base = compiled(packs())
    change = Change(f"added {added!r}", base, compiled(packs_with(packs(), {added.code: added})))
    problems = unreached(change, tried)
    assert not problems, "\n".join(problems)


# Every rule of the packs removed, on every case of the table: deterministic, and the firing
# case of the rule itself always changes its decision.
ALL = all_policies()
EVERY_CASE = [case_visit(c, i) for c in sorted(CASES) for i in (0, 1)]
DECIDED = [outcome_of(decide(v, compiled(packs(), ALL))) for v in EVERY_CASE]


@pytest.mark.parametrize("code", sorted(CASES))
def test_removing_or_disabling_any_rule_reaches_every_case_it_changes(code: str) -> None:
    base = compiled(packs(), ALL)
    removed = Change(f"{code} removed", base, compiled(packs_with(packs(), {code: None}), ALL))
    disabled = Change(f"{code} disabled", base, compiled(packs(), ALL, frozenset({code})))
    firing = case_visit(code, 0)
    for change in (removed, disabled):
        assert outcome_of(decide(firing, change.old)) != outcome_of(decide(firing, change.new))
        assert unreached(change, [firing]) == []
    assert unreached(removed, EVERY_CASE, DECIDED) == []


# --- not "everything" ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "most_out"),
    [
        ("JP-FEFTA-23-TOOLS", 0.9),
        ("KR-ITPA-11-NATIONAL-CORE-TECHNOLOGY", 0.9),
        ("NL-NATIONAL-EQUIPMENT", 0.9),
        ("US-EAR-738-NS-3B-TOOL-CN", 0.7),
        ("US-EAR-744.6-TRAINING", 0.7),
        ("EU-US-SANCTIONS-RU-BY", 0.9),
    ],
)
def test_a_one_rule_change_of_a_narrow_rule_leaves_most_visits_out_of_reach(
    code: str, most_out: float
) -> None:
    base = compiled(packs(), ALL)
    change = rule_change(base, compiled(packs_with(packs(), {code: None}), ALL))
    assert change.changed == (code,) and not change.everything
    reached = [v for v in EVERY_CASE if change.may_reach(shape_of(v.doc))]
    assert change.may_reach(shape_of(case_visit(code, 0).doc))
    assert len(EVERY_CASE) - len(reached) >= most_out * len(EVERY_CASE)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(visits(), min_size=20, max_size=20))
def test_a_jp_only_change_leaves_generated_visits_out_of_reach(tried: list[Visit]) -> None:
    base = compiled(packs())
    edited = load_rule(
        {**rule_mapping(packs().rule("JP-FEFTA-23-TOOLS")), "effect": "review"}, "jp.yaml"
    )
    change = rule_change(base, compiled(packs_with(packs(), {edited.code: edited})))
    # A visit reached needs a JP code under METI-23, a technology-release activity and a window
    # reaching 2023-07-23 or later: every generated visit without such a code is out.
    without_meti = [
        v
        for v in tried
        if not any(
            j == "JP" and c.casefold().startswith("meti-23") for j, c in shape_of(v.doc).codes
        )
    ]
    assert without_meti
    assert not [v for v in without_meti if change.may_reach(shape_of(v.doc))]


# --- rule_reach on hand-written conditions ---------------------------------------------------

BASE = compiled(packs())


def reach_of(when: str, scope: str = "tool") -> RuleReach:
    mapping = {
        "code": "TEST-REACH",
        "jurisdiction": "US",
        "title": "Test rule",
        "citation": "test",
        "source_url": "https://example.org/test",
        "confidence": "high",
        "effective_from": date(2024, 1, 1),
        "effective_to": date(2025, 1, 1),
        "scope": scope,
        "effect": "review",
        "licence_authority": None,
        "when": when,
        "message": "Test rule fired.",
    }
    return rule_reach(load_rule(mapping, "custom.yaml"), BASE)


def shape(
    activity: str = "maintenance",
    country: str = "CN",
    codes: frozenset[tuple[str, str]] = frozenset(),
    start: date = date(2024, 6, 1),
    end: date | None = None,
) -> VisitShape:
    return VisitShape(activity, country, start, end or start, codes)


def unconstrained(r: RuleReach) -> bool:
    return r.activities is None and r.countries is None and r.code_tests == ()


def members(group: str) -> frozenset[str]:
    return frozenset(m.country for g in packs().groups if g.code == group for m in g.members)


@pytest.mark.parametrize(
    ("when", "activities"),
    [
        ('activity == "training"', {"training"}),
        ('"training" == activity', {"training"}),
        ('activity in ["training", "repair"]', {"training", "repair"}),
        ("activity in []", set()),
        ("activity in NL_EQUIPMENT_ACTIVITIES", {"installation"}),
        ('activity == "training" && activity in ["training", "repair"]', {"training"}),
        ('activity == "training" && activity == "repair"', set()),
    ],
)
def test_an_activity_conjunct_narrows_to_its_activities(when: str, activities: set[str]) -> None:
    r = reach_of(when)
    assert r.activities == frozenset(activities)
    assert (r.countries, r.code_tests) == (None, ())
    assert r.may_reach(shape(activity="training")) is ("training" in activities)
    assert not r.may_reach(shape(activity="decommissioning"))


@pytest.mark.parametrize(
    ("when", "countries"),
    [
        ('facility.country == "JP"', frozenset({"JP"})),
        ('"JP" == facility.country', frozenset({"JP"})),
        ('facility.country in ["JP", "KR"]', frozenset({"JP", "KR"})),
        ('in_group(facility.country, "US:D5")', members("US:D5")),
        (
            'in_group(facility.country, "US:D5") && facility.country in ["CN", "JP"]',
            frozenset({"CN"}),
        ),
        ('vendor.country == "NL" && facility.country == "RU"', frozenset({"RU"})),
    ],
)
def test_a_facility_country_conjunct_narrows_to_its_countries(
    when: str, countries: frozenset[str]
) -> None:
    r = reach_of(when)
    assert r.countries == countries and r.activities is None
    assert all(r.may_reach(shape(country=c)) for c in countries)
    assert not r.may_reach(shape(country="DE"))


def test_a_group_counts_every_country_that_is_ever_a_member() -> None:
    # Cambodia was in D:5 from 2021-12-09 to 2026-02-03 only.
    kh = [m for g in packs().groups if g.code == "US:D5" for m in g.members if m.country == "KH"]
    assert kh and kh[0].to_date is not None
    assert "KH" in reach_of('in_group(facility.country, "US:D5")').countries  # type: ignore[operator]


@pytest.mark.parametrize(
    ("when", "tests"),
    [
        ('has_code(tool, "JP", "METI-23")', [("JP", ["METI-23"])]),
        ('has_code(tool, "US", ["3B001", "3B002"])', [("US", ["3B001", "3B002"])]),
        ('has_code(tool, "NL", NL_EQUIPMENT_ACTIVITIES)', [("NL", ["installation"])]),
        (
            'has_code(tool, "JP", "METI-23") && has_code(tool, "US", "3B001")',
            [("JP", ["METI-23"]), ("US", ["3B001"])],
        ),
    ],
)
def test_a_has_code_conjunct_needs_a_matching_code(
    when: str, tests: list[tuple[str, list[str]]]
) -> None:
    r = reach_of(when)
    assert [(j, sorted(p.whole | p.open)) for j, p in r.code_tests] == [
        (j, sorted(x.casefold() for x in ps)) for j, ps in tests
    ]
    every = frozenset((j, p + ".x") for j, ps in tests for p in ps)
    assert r.may_reach(shape(codes=every))
    assert not r.may_reach(shape(codes=frozenset()))
    # Same code in another jurisdiction: no match.
    assert not r.may_reach(shape(codes=frozenset(("KR", c) for _, c in every)))


def test_a_has_code_prefix_matches_whole_segments_in_any_case() -> None:
    r = reach_of('has_code(tool, "US", "3B001")')
    assert r.may_reach(shape(codes=frozenset({("US", "3b001.F")})))
    assert not r.may_reach(shape(codes=frozenset({("US", "3B0011")})))


@pytest.mark.parametrize(
    "when",
    [
        'activity == "training" || facility.country == "JP"',
        'facility.country == "JP" ? true : activity == "training"',
        '!(activity == "training")',
        'activity != "training"',
        'facility.country != "JP"',
        '(activity == "training" && facility.country == "JP")',
        'activity == "training" == true',
        'activity in "training"',  # a type error on every visit: a SYSTEM-RULE-ERROR finding
        'facility.country in "JP"',
        'facility.country == "J\\x50"',  # an escape: not read
        'activity == r"training"',
        'vendor.country == "JP"',
        'engineer.location == "JP"',
        'in_group(vendor.country, "EU")',
        'in_group(facility.country, "US:D5") == false',
        'has_code(tool, "US", "3B001") == false',
        '!has_code(tool, "US", "3B001")',
        'has_code(tool, "US", "3B001") || tool.subject_to_ear',
        'tool.model.matches("NXT")',
        "facility.logic_node_nm < 16",
    ],
)
def test_a_form_that_is_not_recognised_constrains_nothing(when: str) -> None:
    r = reach_of(when, "engineer_tool")
    assert unconstrained(r), r
    assert r.may_reach(shape(activity="decommissioning", country="DE"))


def test_an_unrecognised_conjunct_leaves_the_recognised_ones_narrowing() -> None:
    r = reach_of('tool.subject_to_ear && activity == "repair" && !facility.advanced_node')
    assert r.activities == frozenset({"repair"}) and r.countries is None


def test_the_effective_dates_bound_the_reach() -> None:
    r = reach_of("tool.subject_to_ear")  # in force 2024-01-01 .. 2025-01-01 (exclusive)
    assert r.may_reach(shape(start=date(2023, 12, 1), end=date(2024, 1, 1)))
    assert r.may_reach(shape(start=date(2024, 12, 31)))
    assert not r.may_reach(shape(start=date(2023, 1, 1), end=date(2023, 12, 31)))
    assert not r.may_reach(shape(start=date(2025, 1, 1)))


def test_the_real_packs_narrow_as_their_conditions_say() -> None:
    jp = rule_reach(packs().rule("JP-FEFTA-23-TOOLS"), BASE)
    assert jp.countries is None  # facility.country != "JP" is not read
    assert jp.activities == frozenset(BASE.constants["TECHNOLOGY_RELEASE_ACTIVITIES"])
    assert [(j, p.whole) for j, p in jp.code_tests] == [("JP", frozenset({"meti-23"}))]
    ru = rule_reach(packs().rule("EU-US-SANCTIONS-RU-BY"), BASE)
    assert ru.countries == frozenset({"RU", "BY"}) and ru.activities is None


# --- rule_change -----------------------------------------------------------------------------


def test_no_previous_rule_set_reaches_everything() -> None:
    change = rule_change(None, BASE)
    assert change.everything and change.may_reach(shape())


def test_the_same_rule_set_changes_nothing() -> None:
    assert rule_change(BASE, BASE) == RuleChange(False, (), ())
    assert not rule_change(BASE, compiled(packs())).may_reach(shape())


def test_a_new_version_with_the_same_rules_changes_nothing() -> None:
    same = compiled(packs_with(packs(), {}))
    assert same.version != BASE.version
    change = rule_change(BASE, same)
    assert change == RuleChange(False, (), ()) and not change.may_reach(shape())


def test_written_back_as_yaml_every_rule_loads_as_it_was() -> None:
    by_file: dict[str, list[Rule]] = {}
    for r in packs().rules:
        by_file.setdefault(r.source_file, []).append(r)
    for file, rules in by_file.items():
        assert load_rules(file, [rule_mapping(r) for r in rules]) == tuple(rules)


def test_a_changed_country_group_or_constant_reaches_everything() -> None:
    base = packs()
    group = base.groups[0]
    extra = GroupMembership("IS", None, None, "test", "high")
    groups = (dataclasses.replace(group, members=(*group.members, extra)), *base.groups[1:])
    constant = base.constants[0]
    constants = (dataclasses.replace(constant, values=constant.values[1:]), *base.constants[1:])
    for new in (packs_with(base, {}, groups=groups), packs_with(base, {}, constants=constants)):
        change = rule_change(BASE, compiled(new))
        assert change.everything and change.may_reach(shape(country="IS"))


@pytest.mark.parametrize("code", sorted(r.code for r in packs().rules if r.policy))
def test_a_policy_switched_on_or_off_is_a_changed_rule(code: str) -> None:
    on = compiled(packs(), frozenset({code}))
    for change in (rule_change(BASE, on), rule_change(on, BASE)):
        assert change.changed == (code,) and not change.everything
        assert [r.rule.code for r in change.reaches] == [code]


def test_a_rule_disabled_or_enabled_again_is_a_changed_rule() -> None:
    off = compiled(packs(), disabled=frozenset({"KR-ITPA-11-NATIONAL-CORE-TECHNOLOGY"}))
    for change in (rule_change(BASE, off), rule_change(off, BASE)):
        assert change.changed == ("KR-ITPA-11-NATIONAL-CORE-TECHNOLOGY",)
        kr = shape(country="DE", codes=frozenset({("KR", "NCT")}))
        assert change.may_reach(kr)
        assert not change.may_reach(shape(country="DE", codes=frozenset({("US", "NCT")})))


def test_an_edited_rule_reaches_what_its_old_or_its_new_version_reaches() -> None:
    old = packs().rule("US-EAR-744.6-TRAINING")
    moved = load_rule(
        {
            **rule_mapping(old),
            "when": old.when.replace('activity == "training"', 'activity == "repair"'),
        },
        old.source_file,
    )
    change = rule_change(BASE, compiled(packs_with(packs(), {old.code: moved})))
    assert change.changed == (old.code,) and len(change.reaches) == 2
    for activity in ("training", "repair"):
        assert change.may_reach(shape(activity=activity, country="CN"))
    assert not change.may_reach(shape(activity="maintenance", country="CN"))
    assert not change.may_reach(shape(activity="training", start=date(2023, 11, 16)))


def test_conjuncts_of_the_generator_split_only_a_plain_chain() -> None:
    assert conjuncts("a && (b && c) && f(d, e)") == ["a", "( b && c )", "f ( d , e )"]
    assert conjuncts("a && b || c") == ["a && b || c"]


def test_a_prefix_set_of_a_has_code_test_is_the_engine_s() -> None:
    r = reach_of('has_code(tool, "JP", ["METI-23:", "NCT"])')
    ((j, prefixes),) = r.code_tests
    assert j == "JP" and isinstance(prefixes, PrefixSet)
    assert prefixes.matches("METI-23:etching") and prefixes.matches("NCT")
    assert not prefixes.matches("METI-230")
