"""Rule-pack loading, validation, compilation and versioning (DESIGN sec. 5)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import cel
import pytest

from compliance.engine import (
    FACT_VOCABULARY,
    SCALAR_FACTS,
    RulePackError,
    compile_ruleset,
    evaluate,
    load_rule_packs,
    read_rule_pack_dir,
)
from compliance.engine.document import ACTIVITIES

from .builders import RULEPACK_DIR, all_policies, document, pack_texts, packs, ruleset

ENGINE_README = Path(__file__).resolve().parents[4] / "compliance" / "engine" / "README.md"
RULEPACK_README = RULEPACK_DIR / "README.md"

GOOD_RULE = """
- code: TEST-RULE
  jurisdiction: US
  title: A test rule
  citation: 15 CFR 744.6(c)(2)
  source_url: https://www.ecfr.gov/current/title-15/part-744/section-744.6
  confidence: high
  effective_from: 2023-11-17
  effective_to: null
  scope: engineer
  effect: licence_required
  licence_authority: BIS
  when: engineer.us_person && facility.advanced_node
  message: "{engineer.name} is a U.S. person ({engineer.us_person_basis})."
  facts: [engineer.us_person_basis]
"""


def texts_with(rule_yaml: str, name: str = "test.yaml") -> dict[str, str]:
    texts = {n: t for n, t in pack_texts() if n.startswith("reference/")}
    texts[name] = textwrap.dedent(rule_yaml)
    return texts


def load_error(rule_yaml: str, name: str = "test.yaml") -> RulePackError:
    with pytest.raises(RulePackError) as caught:
        load_rule_packs(texts_with(rule_yaml, name))
    return caught.value


def test_a_well_formed_rule_loads() -> None:
    loaded = load_rule_packs(texts_with(GOOD_RULE))
    rule = loaded.rule("TEST-RULE")
    assert rule.effect == "licence_required"
    assert rule.facts == ("engineer.us_person_basis",)
    assert rule.fact_keys == ("us_person_basis",)
    assert not rule.policy and rule.enabled_by_default


def test_the_real_rule_packs_load_and_every_rule_has_citation_source_confidence_and_dates() -> None:
    rules = packs().rules
    assert len(rules) >= 30
    for rule in rules:
        assert rule.citation and rule.title and rule.message, rule.code
        assert rule.source_url.startswith("https://"), rule.code
        assert rule.confidence in ("high", "medium", "unverified"), rule.code
        assert rule.effective_from is not None, rule.code
        assert rule.effective_to is None or rule.effective_from < rule.effective_to, rule.code
        if rule.confidence == "unverified":
            assert rule.effect == "review", rule.code
        if rule.effect == "licence_required":
            assert rule.licence_authority, rule.code


def test_every_country_group_and_membership_has_citation_and_confidence() -> None:
    codes = {g.code for g in packs().groups}
    assert codes >= {
        "US:D1",
        "US:D5",
        "US:E1",
        "US:E2",
        "US:A5",
        "US:A6",
        "JP:BULK42",
        "EU",
        "EMBARGO",
    }
    for group in packs().groups:
        assert group.citation and group.source_url.startswith("https://")
        for member in group.members:
            assert member.citation and member.confidence in ("high", "medium", "unverified")


def test_the_three_us_person_rules_have_consecutive_dates() -> None:
    p = packs()
    first, second, third = (
        p.rule("US-EAR-744.6-ADVANCED-FAB-CN-2022"),
        p.rule("US-EAR-744.6-ADVANCED-FAB-CN-MO-2023"),
        p.rule("US-EAR-744.6-ADVANCED-FAB"),
    )
    assert str(first.effective_from) == "2022-10-12"
    assert first.effective_to == second.effective_from
    assert second.effective_to == third.effective_from
    assert str(third.effective_from) == "2023-11-17" and third.effective_to is None


def test_policy_rules_are_off_unless_enabled() -> None:
    policy_codes = all_policies()
    assert policy_codes == {"POLICY-ALLIED-NATIONALS-ADVANCED-CHINA", "POLICY-KR-ENGINEERS-ABROAD"}
    assert not policy_codes & ruleset().enabled
    assert all(not packs().rule(c).enabled_by_default for c in policy_codes)
    assert policy_codes <= ruleset(policy_codes).enabled


def test_the_korean_engineer_policy_is_an_unverified_review_rule() -> None:
    rule = packs().rule("POLICY-KR-ENGINEERS-ABROAD")
    assert (rule.confidence, rule.effect, rule.policy) == ("unverified", "review", True)


# --- validation errors name file, rule and problem -------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "when: engineer.us_person && facility.advanced_node",
            "when: engineer.us_person &&",
            "CEL syntax error",
        ),
        (
            "when: engineer.us_person && facility.advanced_node",
            "when: engineer.nationality == 'CN'",
            "unknown fact 'engineer.nationality'",
        ),
        (
            "when: engineer.us_person && facility.advanced_node",
            "when: engineer.us_person && fab.node < 7",
            "unknown variable 'fab'",
        ),
        (
            "when: engineer.us_person && facility.advanced_node",
            "when: in_grup(facility.country, 'EU')",
            "unknown function 'in_grup'",
        ),
        (
            "when: engineer.us_person && facility.advanced_node",
            "when: in_group(facility.country, 'US:D9')",
            "unknown country group 'US:D9'",
        ),
        (
            "when: engineer.us_person && facility.advanced_node",
            "when: has(engineer.us_person)",
            "has() is not needed",
        ),
        (
            "when: engineer.us_person && facility.advanced_node",
            "when: engineer['us_person']",
            "not engineer[...]",
        ),
        (
            "when: engineer.us_person && facility.advanced_node",
            "when: size(engineer) > 0",
            "not engineer itself",
        ),
        (
            "when: engineer.us_person && facility.advanced_node",
            "when: activity == 'sightseeing'",
            "unknown activity 'sightseeing'",
        ),
        ("effect: licence_required", "effect: forbidden", "effect 'forbidden' is not one of"),
        ("scope: engineer", "scope: planet", "scope 'planet' is not one of"),
        ("confidence: high", "confidence: certain", "confidence 'certain' is not one of"),
        ("confidence: high", "confidence: unverified", "may only have effect 'review'"),
        (
            "effective_to: null",
            "effective_to: 2023-11-17",
            "effective_from must be before effective_to",
        ),
        (
            "effective_from: 2023-11-17",
            "effective_from: 17/11/2023",
            "effective_from must be an ISO date",
        ),
        ("licence_authority: BIS", "licence_authority: null", "needs licence_authority"),
        (
            "source_url: https://www.ecfr.gov/current/title-15/part-744/section-744.6",
            "source_url: ftp://example",
            "https://",
        ),
        (
            "  facts: [engineer.us_person_basis]",
            "  facts: [engineer.shoe_size]",
            "in 'facts': unknown fact",
        ),
        (
            "  facts: [engineer.us_person_basis]",
            "  facts: [facility.country, vendor.country]",
            "would both be recorded as 'country'",
        ),
        (
            "({engineer.us_person_basis})",
            "({engineer.passport})",
            "placeholder {engineer.passport}: unknown fact",
        ),
        ("code: TEST-RULE", "code: SYSTEM-MINE", "reserved for the engine"),
        ("title: A test rule", "title: " + "x" * 301, "title must be at most 300 characters"),
        ("  title: A test rule\n", "", "missing required field 'title'"),
        ("  facts: [engineer.us_person_basis]", "  colour: red", "unknown field 'colour'"),
    ],
)
def test_validation_errors_name_the_file_the_rule_and_the_problem(
    old: str, new: str, problem: str
) -> None:
    assert old in GOOD_RULE
    code = "SYSTEM-MINE" if "SYSTEM-MINE" in new else "TEST-RULE"
    error = load_error(GOOD_RULE.replace(old, new))
    assert (error.file, error.code) == ("test.yaml", code)
    assert problem in error.problem
    assert str(error).startswith(f"test.yaml: rule {code}: ")
    assert problem in str(error)


def test_a_visit_scope_rule_may_not_read_engineer_or_tool() -> None:
    error = load_error(GOOD_RULE.replace("scope: engineer", "scope: visit"))
    assert "engineer is not available in a visit-scope rule" in str(error)
    error = load_error(
        GOOD_RULE.replace("scope: engineer", "scope: engineer").replace(
            "when: engineer.us_person && facility.advanced_node", "when: tool.subject_to_ear"
        )
    )
    assert "tool is not available in a engineer-scope rule" in str(error)


def test_has_code_needs_literal_arguments_and_the_tool() -> None:
    error = load_error(
        GOOD_RULE.replace(
            "when: engineer.us_person && facility.advanced_node",
            "when: has_code(engineer, 'US', '3B001')",
        )
    )
    assert "takes tool as its first argument" in str(error)


def test_duplicate_rule_codes_are_rejected_across_files() -> None:
    texts = texts_with(GOOD_RULE, "a.yaml")
    texts["b.yaml"] = textwrap.dedent(GOOD_RULE)
    with pytest.raises(RulePackError) as caught:
        load_rule_packs(texts)
    assert "duplicate rule code (also in a.yaml)" in str(caught.value)


def test_a_yaml_syntax_error_names_the_file() -> None:
    error = load_error("- code: [unclosed")
    assert error.file == "test.yaml" and error.code is None
    assert "YAML syntax error" in str(error)


def test_all_problems_are_reported_together() -> None:
    error = load_error(
        GOOD_RULE.replace("effect: licence_required", "effect: nope").replace(
            "scope: engineer", "scope: nope"
        )
    )
    assert len(error.errors) >= 2
    assert "effect 'nope'" in str(error) and "scope 'nope'" in str(error)


def test_an_unquoted_norway_in_reference_data_is_caught() -> None:
    texts = dict(pack_texts())
    texts["reference/extra.yaml"] = textwrap.dedent(
        """
        country_groups:
          - code: "TEST:G"
            title: t
            citation: c
            source_url: https://example.org
            confidence: high
            complete: true
            members:
              - {country: NO}
        """
    )
    with pytest.raises(RulePackError) as caught:
        load_rule_packs(texts)
    assert "reference/extra.yaml" in str(caught.value) and "quote it" in str(caught.value)


def test_constants_naming_activities_must_name_known_activities() -> None:
    texts = dict(pack_texts())
    texts["reference/extra.yaml"] = (
        "constants:\n  - {name: ODD_ACTIVITIES, description: d, citation: c, values: [maintenance, juggling]}\n"
    )
    with pytest.raises(RulePackError) as caught:
        load_rule_packs(texts)
    assert "unknown activity 'juggling'" in str(caught.value)


def test_every_constant_of_activities_names_known_activities() -> None:
    for constant in packs().constants:
        if constant.name.endswith("_ACTIVITIES"):
            assert set(constant.values) <= set(ACTIVITIES)


# --- compilation and versions ----------------------------------------------------------------


def test_read_rule_pack_dir_reads_packs_and_reference_data() -> None:
    names = set(read_rule_pack_dir(RULEPACK_DIR))
    assert {"us.yaml", "nl.yaml", "jp.yaml", "kr.yaml", "data_quality.yaml", "policy.yaml"} <= names
    assert {"reference/country_groups.yaml", "reference/constants.yaml"} <= names


def test_the_same_inputs_always_give_the_same_version() -> None:
    again = compile_ruleset(load_rule_packs(dict(pack_texts())))
    assert again.version == ruleset().version
    assert re.fullmatch(r"[0-9a-f]{64}", again.version)


def test_line_endings_do_not_change_the_version() -> None:
    crlf = {n: t.replace("\n", "\r\n") for n, t in pack_texts()}
    assert compile_ruleset(load_rule_packs(crlf)).version == ruleset().version


def test_switching_a_policy_on_changes_the_version() -> None:
    assert ruleset(frozenset({"POLICY-KR-ENGINEERS-ABROAD"})).version != ruleset().version


def test_disabling_a_rule_changes_the_version_and_stops_it() -> None:
    disabled = ruleset(disabled=frozenset({"US-EAR-744.6-ADVANCED-FAB"}))
    assert disabled.version != ruleset().version
    assert not disabled.is_enabled("US-EAR-744.6-ADVANCED-FAB")
    assert "US-EAR-744.6-ADVANCED-FAB" in {r.code for r in disabled.rules}  # still visible


def test_unknown_codes_in_the_switches_are_ignored() -> None:
    assert (
        compile_ruleset(
            packs(), disabled=frozenset({"NO-SUCH"}), enabled_policies=frozenset({"NOPE"})
        ).version
        == ruleset().version
    )


def test_a_change_to_reference_data_changes_the_version() -> None:
    texts = dict(pack_texts())
    texts["reference/constants.yaml"] += "\n# comment\n"
    assert compile_ruleset(load_rule_packs(texts)).version != ruleset().version


def test_conditions_are_compiled_once_not_per_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = ruleset()
    assert len(rules.compiled) == len(rules.enabled)

    def refuse(_: str) -> None:
        raise AssertionError("cel.compile called during evaluation")

    monkeypatch.setattr(cel, "compile", refuse)
    evaluate(document(engineers=[{"name": "A", "citizenships": ["US"]}]), rules, lists_version="x")


# --- documentation stays in step with the code -----------------------------------------------


def test_the_engine_readme_documents_every_fact_and_helper() -> None:
    readme = ENGINE_README.read_text(encoding="utf-8")
    for root, members in FACT_VOCABULARY.items():
        for member in members:
            assert f"`{root}.{member}`" in readme, f"{root}.{member}"
    for scalar in SCALAR_FACTS:
        assert f"`{scalar}`" in readme, scalar
    for helper in ("in_group", "has_code"):
        assert helper in readme


def test_the_rulepack_readme_names_every_group_and_the_known_gaps() -> None:
    readme = RULEPACK_README.read_text(encoding="utf-8")
    for group in packs().groups:
        assert group.code in readme, group.code
    assert "Known gaps" in readme
    assert "Crimea" in readme and "METI" in readme


def test_the_rulepack_readme_lists_every_rule_as_the_packs_have_it() -> None:
    """The README's table of every rule (file, effect, confidence, dates) is the packs' own."""
    readme = RULEPACK_README.read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip().strip("`"): [c.strip() for c in line.split("|")[2:6]]
        for line in readme.splitlines()
        if line.startswith("| `") and line.count("|") == 7
    }
    expected = {}
    for r in packs().rules:
        start = (
            "—" if r.effective_from.isoformat() == "2000-01-01" else r.effective_from.isoformat()
        )
        end = r.effective_to.isoformat() if r.effective_to else "open"
        effect = r.effect + (" (policy)" if r.policy else "")
        expected[r.code] = [f"`{r.source_file}`", effect, r.confidence, f"{start} → {end}"]
    assert rows == expected
