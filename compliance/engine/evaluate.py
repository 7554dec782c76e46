"""Evaluate a visit document against a compiled rule set (DESIGN sec. 4-6, 10).

How it stays fast and exact:

- Facts are derived once per visit, engineer and tool (facts.py), never per rule.
- Rules are evaluated by scope: visit rules once, engineer rules once per engineer, tool rules
  once per tool, engineer_tool rules once per pair.
- One `cel.Context` per visit. Measured with this `cel` package: building a context costs about
  1 us per string converted (map keys included; ~190 us for a context holding every fact as
  nested maps), while evaluating a compiled rule costs 0.2-3 us. So rather than a context per
  engineer x tool pair, the engine swaps in (`Context.update`) only the flat variables that the
  rules in force of that scope read (see `celtools.compile_source` and `ruleset.WindowPlan`).
  Messages and recorded facts are built from the full Python facts.
- `in_group` is a closure over the country groups in force on the visit window, so conditions
  never see a group membership that had ended before the visit or began after it.

Fail closed: a condition that raises or returns a non-boolean becomes a `review` finding
SYSTEM-RULE-ERROR; a missing or stale list snapshot and every screening hit that is not a false
positive hold the visit at `review`; `system_error_decision` is the decision for anything else
that goes wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import cel

from .celtools import code_test_name, flat_name, membership_name
from .coverage import PendingFinding, PrefixSet, apply_licences
from .decision import Decision, FactValue, Finding, LicenceSpec, ScreeningHit
from .document import CodeMap, EngineerInfo, ToolInfo, VisitDocument
from .facts import (
    JUST_US,
    US_GROUP,
    Window,
    engineer_facts,
    facility_facts,
    scalar_facts,
    tool_facts,
    vendor_facts,
)
from .items import shipped_items
from .party_facts import el_policy
from .ruleset import CompiledRule, CompiledRuleSet
from .system import (
    ENGINEER_PARTY_PATH,
    OWNER_PARTY,
    STAKE_PARTY_PATH,
    VISIT_PARTY_PATH,
    ListProblem,
    hit_finding,
    list_findings,
    rule_error_finding,
    separation_findings,
    stray_hit_finding,
)

__all__ = ["VisitRun", "decide_pending", "evaluate"]


# --- helpers registered in CEL -------------------------------------------------------------


def _group_lookup(groups: Mapping[str, frozenset[str]]) -> Callable[[object, str], bool]:
    def in_group(country: object, group: str) -> bool:
        # An unknown group raises KeyError, which becomes SYSTEM-RULE-ERROR (fail closed).
        return country in groups[group]

    return in_group


# --- formatting ----------------------------------------------------------------------------


def _citizenship(item: Mapping[str, Any]) -> str:
    since = item.get("since")
    return f"{item.get('country')}" + (f" since {since}" if since else "")


def _render_scalar(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _render_codes(value: Mapping[str, Sequence[str]]) -> str:
    return "; ".join(f"{k} {', '.join(v)}" for k, v in value.items() if v) or "none"


# How each kind of fact (facts.fact_kind) reads in a message and is recorded in a finding:
# lists join with ", " ("none" when empty), null reads "unknown", booleans "yes"/"no",
# classifications "NL 3B001.f.4; US 3B001.f" in messages and ["NL:3B001.f.4", ...] in facts.
_RENDER: Final[Mapping[str, Callable[[Any], str]]] = {
    "scalar": _render_scalar,
    "list": lambda v: ", ".join(v) or "none",
    "citizenships": lambda v: ", ".join(_citizenship(c) for c in v) or "none",
    "map": _render_codes,
}
_RECORD: Final[Mapping[str, Callable[[Any], FactValue]]] = {
    "scalar": lambda v: v,
    "list": list,
    "citizenships": lambda v: [_citizenship(c) for c in v],
    "map": lambda v: [f"{k}:{c}" for k, codes in v.items() for c in codes],
}


def _format(compiled: CompiledRule, sources: Mapping[str, Mapping[str, Any]]) -> str:
    text = "".join(
        [
            literal + (_RENDER[kind](sources[root][member]) if root is not None else "")
            for literal, root, member, kind in compiled.template
        ]
    )
    return text[:1].upper() + text[1:]


# --- evaluation ----------------------------------------------------------------------------


def _flat(root: str, facts: Mapping[str, Any], members: frozenset[str]) -> dict[str, Any]:
    """The CEL variables for one object: `engineer.us_person` is passed as `engineer__us_person`."""
    return {flat_name(root, m): facts[m] for m in members}


def _code_tests(
    tool: ToolInfo, tests: frozenset[int], table: Sequence[tuple[str, PrefixSet]]
) -> dict[int, bool]:
    """has_code(tool, jurisdiction, prefixes) for each test number, computed once per tool."""
    classifications = tool.classifications
    results: dict[int, bool] = {}
    for i in tests:
        jurisdiction, prefixes = table[i]
        results[i] = any(prefixes.matches(code) for code in classifications.get(jurisdiction, ()))
    return results


def _tool_variables(
    facts: Mapping[str, Any],
    members: frozenset[str],
    code_tests: frozenset[int],
    results: Mapping[int, bool],
) -> dict[str, Any]:
    variables = _flat("tool", facts, members)
    for i in code_tests:
        variables[code_test_name(i)] = results[i]
    return variables


class VisitRun:
    """One visit's prepared facts and CEL context; reused by suggest.py for many candidates."""

    def __init__(
        self,
        document: VisitDocument,
        ruleset: CompiledRuleSet,
        *,
        screening: Sequence[ScreeningHit],
        list_missing: bool,
        list_stale: bool,
    ) -> None:
        visit = document.visit
        self.document = document
        self.ruleset = ruleset
        self.window = Window(visit.start_date, visit.end_date)
        plan = ruleset.plan(visit.start_date, visit.end_date)
        self.plan = plan
        self.by_scope = plan.by_scope

        self.owner_hits: list[ScreeningHit] = []
        self.stake_hits: dict[int, list[ScreeningHit]] = {}
        self.party_hits: dict[int, list[ScreeningHit]] = {}
        self.engineer_hits: dict[int, list[ScreeningHit]] = {}
        self.stray_hits: list[ScreeningHit] = []
        for hit in screening:
            if hit.false_positive:
                continue
            match = ENGINEER_PARTY_PATH.fullmatch(hit.party)
            stake = STAKE_PARTY_PATH.fullmatch(hit.party)
            named = VISIT_PARTY_PATH.fullmatch(hit.party)
            if hit.party == OWNER_PARTY:
                self.owner_hits.append(hit)
            elif stake and int(stake.group(1)) < len(document.facility.owners):
                self.stake_hits.setdefault(int(stake.group(1)), []).append(hit)
            elif named and int(named.group(1)) < len(document.facility.parties):
                self.party_hits.setdefault(int(named.group(1)), []).append(hit)
            elif match and int(match.group(1)) < len(document.engineers):
                self.engineer_hits.setdefault(int(match.group(1)), []).append(hit)
            else:
                self.stray_hits.append(hit)

        self.scalars = scalar_facts(document, list_missing=list_missing, list_stale=list_stale)
        self.united_states = JUST_US | frozenset(plan.groups.get(US_GROUP, ()))
        self.vendor = vendor_facts(document.vendor, united_states=self.united_states)
        self.facility = facility_facts(
            document.facility,
            self.window,
            groups_by_country=plan.groups_by_country,
            owner_hits=(h.list_code for h in self.owner_hits),
            owner_el_policy=el_policy(self.owner_hits),
            party_hits=self.party_hits,
            stake_hits={i: [h.list_code for h in hs] for i, hs in self.stake_hits.items()},
        )
        self.tools = [tool_facts(t, united_states=self.united_states) for t in document.tools]
        members = plan.members
        self.cel_tools: list[dict[str, Any]] = []
        self.cel_pair_tools: list[dict[str, Any]] = []
        for info, facts in zip(document.tools, self.tools, strict=True):
            tests = _code_tests(
                info, plan.code_tests["tool"] | plan.code_tests["pair_tool"], ruleset.code_tests
            )
            self.cel_tools.append(
                _tool_variables(facts, members["tool"], plan.code_tests["tool"], tests)
            )
            self.cel_pair_tools.append(
                _tool_variables(facts, members["pair_tool"], plan.code_tests["pair_tool"], tests)
            )
        # What the visit ships, each seen by item rules as `tool` (items.py).
        self.items = shipped_items(document)
        as_tools = [item.as_tool() for item in self.items]
        self.item_facts = [
            {
                **tool_facts(as_tool, united_states=self.united_states),
                "model": item.label,
                "kind": item.kind,
            }
            for item, as_tool in zip(self.items, as_tools, strict=True)
        ]
        self.cel_items = [
            _tool_variables(
                facts,
                members["item"],
                plan.code_tests["item"],
                _code_tests(as_tool, plan.code_tests["item"], ruleset.code_tests),
            )
            for as_tool, facts in zip(as_tools, self.item_facts, strict=True)
        ]
        self.engineer_members = members["engineer"]

        variables: dict[str, Any] = {name: self.scalars[name] for name in plan.scalars}
        for scalar, constant in plan.memberships:
            variables[membership_name(scalar, constant)] = (
                self.scalars[scalar] in ruleset.constants[constant]
            )
        variables.update(_flat("vendor", self.vendor, members["vendor"]))
        variables.update(_flat("facility", self.facility, members["facility"]))
        self.context = cel.Context(variables, {"in_group": _group_lookup(plan.groups)})

    def _run(
        self,
        rules: Sequence[CompiledRule],
        engineer: Mapping[str, Any] | None,
        tool_index: int | None,
        out: list[PendingFinding],
        item_index: int | None = None,
    ) -> None:
        """Evaluate `rules` on the current context, appending findings to `out`."""
        context = self.context
        subject = self._subject(tool_index, item_index)
        for compiled in rules:
            try:
                result = compiled.program.execute(context)
                if result is False:
                    continue
                if result is not True:
                    raise TypeError(
                        f"condition returned {type(result).__name__} {result!r}, not a bool"
                    )
                out.append(self._finding(compiled, engineer, tool_index, item_index))
            except Exception as exc:  # fail closed: never read an error as "rule does not apply"
                rule = compiled.rule
                out.append(
                    PendingFinding(
                        rule_error_finding(
                            rule.code,
                            rule.title,
                            exc,
                            engineer["name"] if engineer is not None else None,
                            subject["model"] if subject is not None else None,
                        ),
                        tool_index,
                        self._item_codes(item_index),
                    )
                )

    def _subject(self, tool_index: int | None, item_index: int | None) -> Mapping[str, Any] | None:
        """The facts of the tool or item a rule is evaluated for (None: visit or engineer)."""
        if item_index is not None:
            return self.item_facts[item_index]
        return self.tools[tool_index] if tool_index is not None else None

    def _item_codes(self, item_index: int | None) -> CodeMap | None:
        return self.items[item_index].classifications if item_index is not None else None

    def _finding(
        self,
        compiled: CompiledRule,
        engineer: Mapping[str, Any] | None,
        tool_index: int | None,
        item_index: int | None = None,
    ) -> PendingFinding:
        rule = compiled.rule
        tool = self._subject(tool_index, item_index)
        # Keys match CompiledRule.template/recorded roots; "" holds the scalar facts.
        sources: dict[str, Mapping[str, Any]] = {
            "": self.scalars,
            "vendor": self.vendor,
            "facility": self.facility,
            "engineer": engineer or {},
            "tool": tool or {},
        }
        finding = Finding(
            rule=rule.code,
            jurisdiction=rule.jurisdiction,
            citation=rule.citation,
            effect=rule.effect,
            engineer=engineer["name"] if engineer is not None else None,
            tool=tool["model"] if tool is not None else None,
            message=_format(compiled, sources),
            facts={
                key: _RECORD[kind](sources[root][member])
                for key, root, member, kind in compiled.recorded
            },
            title=rule.title,
            source_url=rule.source_url,
            confidence=rule.confidence,
            licence_authority=rule.licence_authority,
        )
        return PendingFinding(finding, tool_index, self._item_codes(item_index))

    def shared_findings(self) -> list[PendingFinding]:
        """Findings that do not depend on which engineers go: visit and tool scope, owner hits."""
        out: list[PendingFinding] = []
        self._run(self.by_scope["visit"], None, None, out)
        if self.by_scope["tool"]:
            for j, cel_tool in enumerate(self.cel_tools):
                self.context.update(cel_tool)
                self._run(self.by_scope["tool"], None, j, out)
        if self.by_scope["item"]:
            for k, cel_item in enumerate(self.cel_items):
                self.context.update(cel_item)
                self._run(self.by_scope["item"], None, None, out, k)
        out.extend(PendingFinding(hit_finding(h, None)) for h in self.owner_hits)
        out.extend(
            PendingFinding(hit_finding(h, None))
            for by_index in (self.stake_hits, self.party_hits)
            for hs in by_index.values()
            for h in hs
        )
        out.extend(PendingFinding(stray_hit_finding(h)) for h in self.stray_hits)
        return out

    def engineer_findings(
        self, engineer: EngineerInfo, hits: Sequence[ScreeningHit]
    ) -> list[PendingFinding]:
        """Findings about one engineer: engineer scope, engineer x tool scope, screening hits."""
        document = self.document
        live_hits = [h for h in hits if not h.false_positive]
        facts = engineer_facts(
            engineer,
            self.window,
            mode=document.visit.mode,
            facility_country=document.facility.country,
            vendor_country=document.vendor.country,
            screening_hits=(h.list_code for h in live_hits),
            united_states=self.united_states,
            el_policy=el_policy(live_hits),
        )
        out: list[PendingFinding] = []
        engineer_rules = self.by_scope["engineer"]
        pair_rules = self.by_scope["engineer_tool"]
        if engineer_rules or (pair_rules and self.cel_pair_tools):
            self.context.update(_flat("engineer", facts, self.engineer_members))
        self._run(engineer_rules, facts, None, out)
        if pair_rules:
            # Tools are the inner loop: a tool's CEL variables are cheaper to swap than an
            # engineer's.
            for j, cel_tool in enumerate(self.cel_pair_tools):
                self.context.update(cel_tool)
                self._run(pair_rules, facts, j, out)
        out.extend(PendingFinding(hit_finding(h, engineer.name)) for h in live_hits)
        return out

    def all_findings(
        self,
        engineers: Sequence[EngineerInfo],
        lists_version: str | None,
        list_is_stale: bool,
        list_problems: Sequence[ListProblem] = (),
    ) -> list[PendingFinding]:
        """Every finding of the visit: shared, each engineer's (with their screening hits), and
        the list's state."""
        pending = self.shared_findings()
        for i, engineer in enumerate(engineers):
            pending.extend(self.engineer_findings(engineer, self.engineer_hits.get(i, ())))
        pending.extend(list_findings(lists_version, list_is_stale, list_problems))
        return pending


def decide_pending(
    pending: Sequence[PendingFinding],
    document: VisitDocument,
    ruleset: CompiledRuleSet,
    *,
    licences: Sequence[LicenceSpec],
    screening: Sequence[ScreeningHit],
    lists_version: str | None,
    decided_at: datetime | None,
) -> Decision:
    findings = apply_licences(pending, document, licences)
    return Decision.from_findings(
        findings,
        screening=screening,
        rules_version=ruleset.version,
        lists_version=lists_version,
        as_of=document.visit.start_date,
        decided_at=decided_at,
    )


def pending_findings(
    document: VisitDocument,
    ruleset: CompiledRuleSet,
    *,
    screening: Sequence[ScreeningHit] = (),
    licences: Sequence[LicenceSpec] = (),
    lists_version: str | None = None,
    list_is_stale: bool = False,
    list_problems: Sequence[ListProblem] = (),
) -> list[PendingFinding]:
    """The findings of `evaluate` before licence coverage (what a licence would have to cover)."""
    run = VisitRun(
        document,
        ruleset,
        screening=screening,
        list_missing=lists_version is None,
        list_stale=list_is_stale,
    )
    pending = run.all_findings(document.engineers, lists_version, list_is_stale, list_problems)
    pending.extend(separation_findings(screening, licences, pending, document))
    return pending


def evaluate(
    document: VisitDocument,
    ruleset: CompiledRuleSet,
    *,
    screening: Sequence[ScreeningHit] = (),
    licences: Sequence[LicenceSpec] = (),
    lists_version: str | None = None,
    list_is_stale: bool = False,
    list_problems: Sequence[ListProblem] = (),
    decided_at: datetime | None = None,
) -> Decision:
    """Decide one visit. Pure: the same arguments always give the same Decision.

    `lists_version` None means no list snapshot was available (the visit is held);
    `list_is_stale` is the caller's judgement of the snapshots' age, `list_problems` names each
    source that binds the visit and is missing or stale.
    """
    pending = pending_findings(
        document,
        ruleset,
        screening=screening,
        licences=licences,
        lists_version=lists_version,
        list_is_stale=list_is_stale,
        list_problems=list_problems,
    )
    return decide_pending(
        pending,
        document,
        ruleset,
        licences=licences,
        screening=screening,
        lists_version=lists_version,
        decided_at=decided_at,
    )
