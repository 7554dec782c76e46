"""Generators for the reach tests: rule-set changes derived from the real packs, visits that the
real rules fire on, and the reach shape of a visit read from its document.

A changed rule is written back as YAML and loaded with `load_rule_packs` (so it is a rule the
product accepts), then put in place of the original in the loaded packs; the texts get a marker
so the changed set has its own version, as a stored rule set would.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import yaml
from hypothesis import strategies as st

from compliance.engine import (
    CompiledRuleSet,
    Decision,
    LicenceSpec,
    RulePacks,
    ScreeningHit,
    VisitDocument,
    compile_ruleset,
    document_to_dict,
    evaluate,
    load_rule_packs,
    parse_document,
)
from compliance.engine.celtools import tokenize
from compliance.engine.document import ACTIVITIES
from compliance.engine.reach import VisitShape
from compliance.engine.rulepack import RULE_EFFECTS, GroupMembership, Rule, sha256_json

from .builders import LISTS_VERSION, engineer, hit, licence, packs, raw_document, tool
from .test_document import raw_documents
from .test_every_rule import (
    CASES,
    CN,
    ETCH_EAR,
    EU_PART,
    EUV,
    HOLDER_60,
    KR_ETCH,
    KR_ETCH_OPEN,
    METI,
    METROLOGY,
    NL_ENG,
    NL_SOFTWARE,
    NXT1980,
    NXT2000,
    OPERATOR,
    PURCHASER,
    STAKE_EL,
    STAKE_SDN,
    UNDETERMINED_PART,
    US,
    US_PART,
)

# --- visits ----------------------------------------------------------------------------------

COUNTRIES = (
    "CN", "HK", "MO", "TW", "JP", "KR", "US", "PR", "DE", "NL", "BE", "FR", "RU", "BY", "UA",
    "SY", "KP", "KH", "VE", "IR", "UZ", "IN",
)  # fmt: skip
# Days on which rules of the packs start or stop, and a day either side of each.
BOUNDARIES = tuple(
    d + timedelta(days=k)
    for d in (
        date(2022, 10, 7),
        date(2022, 10, 12),
        date(2023, 1, 17),
        date(2023, 7, 23),
        date(2023, 9, 1),
        date(2023, 11, 17),
        date(2024, 9, 6),
        date(2024, 9, 7),
        date(2024, 12, 2),
        date(2025, 4, 1),
        date(2025, 9, 29),
        date(2025, 11, 10),
        date(2026, 2, 3),
        date(2026, 11, 10),
        date(2026, 12, 7),
    )
    for k in (-1, 0, 1)
)
TOOLS = (
    NXT2000,
    NXT1980,
    METROLOGY,
    METI,
    EUV,
    ETCH_EAR,
    KR_ETCH,
    KR_ETCH_OPEN,
    tool("NCT etcher", kr=["NCT"]),
    tool("Unclassified", us=None),
    tool("Deposition", us=["3B001.f"], subject_to_ear=True),
    tool("Cleaner", us=["3B991"]),
    tool("Mixed", us=["3B001.c"], nl=["3B001.f.4"], jp=["METI-23:etching"], subject_to_ear=True),
)
ITEMS = (
    US_PART,
    UNDETERMINED_PART,
    NL_SOFTWARE,
    EU_PART,
    {"kind": "part", "description": "Seal kit"},
    {**US_PART, "subject_to_ear": False},
)
ENGINEERS = (
    US,
    CN,
    NL_ENG,
    engineer("Kim Min-jun", citizenships=["KR"]),
    engineer("Remote Ray", location="KP"),
    engineer("Nobody", citizenships=[]),
    engineer("Two Flags", citizenships=["CN", "CA"]),
    engineer("Aziz Karimov", citizenships=["UZ"]),
    engineer("Ken Sato", citizenships=["JP"], residencies=["JP"]),
    engineer(),
)
SCREENING = (
    hit("facility.owner", "EL"),
    hit("facility.owner", "SDN", entry_id="E-2"),
    hit("facility.owner", "EL", false_positive=True, entry_id="E-3"),
    hit("engineers[0]", "DPL", entry_id="E-4"),
    hit("engineers[0]", "EL", entry_id="E-5"),
    hit("facility.parties[0]", "EL", name="Acme Trading Ltd", entry_id="E-6"),
    STAKE_EL,
    STAKE_SDN,
)
LICENCES = (
    licence(),
    licence(id=2, authority="METI", number="M-1"),
    licence(id=3, authority="Minister for Foreign Trade", number="NL-1"),
    licence(id=4, activities=("training",), number="D2"),
)


@dataclass(frozen=True)
class Visit:
    """A visit with what the engine is given besides its document."""

    doc: VisitDocument
    screening: tuple[ScreeningHit, ...] = ()
    licences: tuple[LicenceSpec, ...] = ()

    def __repr__(self) -> str:
        hits = [(h.party, h.list_code, h.false_positive) for h in self.screening]
        return (
            f"Visit({document_to_dict(self.doc)!r}, screening={hits!r}, "
            f"licences={[lic.number for lic in self.licences]!r})"
        )


def _window(draw: st.DrawFn) -> dict[str, str]:
    start = draw(
        st.one_of(st.sampled_from(BOUNDARIES), st.dates(date(2019, 1, 1), date(2030, 1, 1)))
    )
    end = start + timedelta(days=draw(st.sampled_from([0, 0, 1, 5, 40, 400])))
    return {"start": start.isoformat(), "end": end.isoformat()}


@st.composite
def built_visits(draw: st.DrawFn) -> Visit:
    """Visits assembled from the tools, items, people and hits of the rules' own cases."""
    facility: dict[str, Any] = draw(
        st.sampled_from(
            [
                {},
                {"logic_node_nm": 28, "non_planar": False},
                {"products": None},
                {"products": ["dram"], "logic_node_nm": None, "dram_half_pitch_nm": 19},
            ]
        )
    )
    country = draw(st.sampled_from(COUNTRIES))
    if country == "UA":
        region = draw(st.sampled_from([None, "UA-43", "UA-09", "UA-40", "UA-30"]))
        facility = {**facility, **({"region": region} if region else {})}
    people = draw(st.lists(st.sampled_from(ENGINEERS), min_size=1, max_size=3, unique_by=id))
    items = draw(st.one_of(st.none(), st.lists(st.sampled_from(ITEMS), max_size=2)))
    doc = raw_document(
        activity=draw(st.sampled_from(ACTIVITIES)),
        mode=draw(st.sampled_from(["on_site", "remote"])),
        vendor_country=draw(st.sampled_from(COUNTRIES)),
        us_branch=draw(st.booleans()),
        country=country,
        tools=draw(st.lists(st.sampled_from(TOOLS), max_size=3)),
        engineers=people,
        items=items,
        owners=draw(st.sampled_from([None, [HOLDER_60], [{"name": "Holder Corp"}]])),
        parties=draw(st.sampled_from([None, [PURCHASER], [OPERATOR]])),
        **_window(draw),
        **facility,
    )
    return Visit(
        parse_document(doc),
        tuple(draw(st.lists(st.sampled_from(SCREENING), max_size=2, unique_by=id))),
        tuple(draw(st.lists(st.sampled_from(LICENCES), max_size=2, unique_by=id))),
    )


def case_visit(code: str, index: int, overrides: Mapping[str, Any] | None = None) -> Visit:
    case = CASES[code][index]
    doc = {**case.doc, **(overrides or {})}
    if doc.get("country") != case.doc.get("country"):
        doc.pop("region", None)  # a region belongs to its country
    return Visit(parse_document(raw_document(**doc)), case.screening)


@st.composite
def case_visits(draw: st.DrawFn, codes: Sequence[str] = tuple(sorted(CASES))) -> Visit:
    """The firing or quiet case of a rule, as it is or moved to another place, activity or day."""
    code = draw(st.sampled_from(codes))
    overrides = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "country": st.sampled_from(COUNTRIES),
                "activity": st.sampled_from(ACTIVITIES),
                "vendor_country": st.sampled_from(COUNTRIES),
                "start": st.sampled_from(BOUNDARIES).map(date.isoformat),
            },
        )
    )
    visit = case_visit(code, draw(st.integers(0, 1)), overrides)
    extra = tuple(draw(st.lists(st.sampled_from(LICENCES), max_size=1)))
    return dataclasses.replace(visit, licences=extra)


@st.composite
def random_visits(draw: st.DrawFn) -> Visit:
    """Documents of test_document's `raw_documents`, with a few screening hits."""
    doc = parse_document(draw(raw_documents()))
    lists = draw(st.lists(st.sampled_from(["EL", "DPL", "SDN", "UVL", "MEU"]), max_size=2))
    screening = tuple(
        hit("facility.owner" if i % 2 else "engineers[0]", code, entry_id=str(i))
        for i, code in enumerate(lists)
    )
    return Visit(doc, screening)


@functools.cache
def visits() -> st.SearchStrategy[Visit]:
    return st.one_of(built_visits(), case_visits(), random_visits())


def shape_of(doc: VisitDocument) -> VisitShape:
    """The reach shape as the product reads it from the database: the visit's activity, its
    facility's country, its window, and every (jurisdiction, code) of its tools and items."""
    subjects = [t.classifications for t in doc.tools] + [
        i.classifications for i in doc.visit.items or ()
    ]
    return VisitShape(
        activity=doc.visit.activity,
        facility_country=doc.facility.country,
        start=doc.visit.start_date,
        end=doc.visit.end_date,
        codes=frozenset((j, c) for codes in subjects for j, cs in codes.items() for c in cs),
    )


def decide(visit: Visit, ruleset: CompiledRuleSet) -> Decision:
    return evaluate(
        visit.doc,
        ruleset,
        screening=visit.screening,
        licences=visit.licences,
        lists_version=LISTS_VERSION,
    )


def outcome_of(decision: Decision) -> dict[str, Any]:
    """What a re-confirmation claims stays the same: the decision without its versions and time."""
    out = decision.to_dict()
    for key in ("rules_version", "lists_version", "decided_at"):
        del out[key]
    return out


# --- conditions ------------------------------------------------------------------------------

GROUPS = tuple(g.code for g in packs().groups)
CONSTANTS = tuple(c.name for c in packs().constants)
JURISDICTIONS = ("US", "NL", "JP", "KR", "EU")
PREFIXES = (
    "3B001",
    "3B001.f",
    "3B001.f.4",
    "3b001.F",
    "3B991",
    "3B",
    "METI-23",
    "METI-23:",
    "NCT",
    "3B001.h",
    "3D007",
    "NL-METROLOGY-2025",
)


def _quote(value: str) -> str:
    return '"' + value + '"'


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_quote(v) for v in values) + "]"


_activity = st.sampled_from(ACTIVITIES)
_country = st.sampled_from(COUNTRIES)
_group = st.sampled_from(GROUPS)
_constant = st.sampled_from(CONSTANTS)

# The forms reach.py reads (activity, facility.country, in_group of it) and their near misses,
# which must constrain nothing: `in` on a string (a type error on every visit), a negation, a
# comparison of the test with a boolean.
_REACH_VISIT_FORMS = st.one_of(
    _activity.map(lambda a: f"activity == {_quote(a)}"),
    _activity.map(lambda a: f"{_quote(a)} == activity"),
    st.lists(_activity, max_size=3).map(lambda v: f"activity in {_list(v)}"),
    _constant.map(lambda c: f"activity in {c}"),
    _activity.map(lambda a: f"activity in {_quote(a)}"),
    _activity.map(lambda a: f"activity != {_quote(a)}"),
    _activity.map(lambda a: f"activity == {_quote(a)} == false"),
    _country.map(lambda c: f"facility.country == {_quote(c)}"),
    _country.map(lambda c: f"{_quote(c)} == facility.country"),
    _country.map(lambda c: f"facility.country != {_quote(c)}"),
    st.lists(_country, max_size=3).map(lambda v: f"facility.country in {_list(v)}"),
    _constant.map(lambda c: f"facility.country in {c}"),
    _country.map(lambda c: f"facility.country in {_quote(c)}"),
    _country.map(lambda c: f"{_quote(c)} in facility.country"),
    _group.map(lambda g: f'in_group(facility.country, "{g}")'),
    _group.map(lambda g: f'!in_group(facility.country, "{g}")'),
    _group.map(lambda g: f'in_group(facility.country, "{g}") == false'),
)
VISIT_ATOMS = st.one_of(
    _REACH_VISIT_FORMS,
    _country.map(lambda c: f"vendor.country == {_quote(c)}"),
    _group.map(lambda g: f'in_group(vendor.country, "{g}")'),
    st.sampled_from(
        [
            "vendor.us_person",
            "facility.advanced_node",
            "!facility.capability_known",
            "facility.logic_node_nm < 16",  # an error when the node is not known
            '"EL" in facility.owner_hits',
            "size(facility.affiliate_lists) > 0",
            "facility.region == null",
            'mode == "remote"',
            "items_listed",
            "list_missing",
            'as_of >= "2024-01-01"',
        ]
    ),
)
ENGINEER_ATOMS = st.one_of(
    st.sampled_from(
        [
            "engineer.us_person",
            "engineer.foreign_person",
            "!engineer.citizenship_history_complete",
            '"EL" in engineer.screening_hits',
        ]
    ),
    _country.map(lambda c: f"{_quote(c)} in engineer.all_nationalities"),
    _country.map(lambda c: f"engineer.location == {_quote(c)}"),
    _group.map(lambda g: f'in_group(engineer.location, "{g}")'),
    _group.map(lambda g: f'in_group(engineer.deemed_export_country, "{g}")'),
)
_jurisdiction = st.sampled_from(JURISDICTIONS)
TOOL_ATOMS = st.one_of(
    st.builds(
        lambda j, p: f'has_code(tool, "{j}", {_quote(p)})', _jurisdiction, st.sampled_from(PREFIXES)
    ),
    st.builds(
        lambda j, ps: f'has_code(tool, "{j}", {_list(ps)})',
        _jurisdiction,
        st.lists(st.sampled_from(PREFIXES), min_size=1, max_size=3),
    ),
    st.builds(lambda j, c: f'has_code(tool, "{j}", {c})', _jurisdiction, _constant),
    st.builds(
        lambda j, p: f'has_code(tool, "{j}", {_quote(p)}) == false',
        _jurisdiction,
        st.sampled_from(PREFIXES),
    ),
    st.builds(
        lambda j, p: f'!has_code(tool, "{j}", {_quote(p)})',
        _jurisdiction,
        st.sampled_from(PREFIXES),
    ),
    st.sampled_from(
        [
            "tool.subject_to_ear",
            "tool.classified",
            "!tool.ear_recorded",
            'tool.ear_status == "undetermined"',
            'tool.model.matches("NXT")',
        ]
    ),
)
SCOPE_ATOMS: Mapping[str, st.SearchStrategy[str]] = {
    "visit": VISIT_ATOMS,
    "engineer": st.one_of(VISIT_ATOMS, ENGINEER_ATOMS),
    "tool": st.one_of(VISIT_ATOMS, TOOL_ATOMS),
    "engineer_tool": st.one_of(VISIT_ATOMS, ENGINEER_ATOMS, TOOL_ATOMS),
    "item": st.one_of(VISIT_ATOMS, TOOL_ATOMS),
}


@functools.cache
def expressions(scope: str) -> st.SearchStrategy[str]:
    """Atoms of the scope combined with !, &&, || and ?: (each compound in parentheses)."""
    return st.recursive(
        SCOPE_ATOMS[scope],
        lambda inner: st.one_of(
            inner.map(lambda e: f"!({e})"),
            st.builds(lambda a, b: f"({a} && {b})", inner, inner),
            st.builds(lambda a, b: f"({a} || {b})", inner, inner),
            st.builds(lambda a, b, c: f"({a} ? {b} : {c})", inner, inner, inner),
        ),
        max_leaves=4,
    )


@functools.cache
def top_conjuncts(scope: str) -> st.SearchStrategy[str]:
    """What a top-level conjunct is: half the time a form reach.py reads or a near miss."""
    forms = (
        st.one_of(_REACH_VISIT_FORMS, TOOL_ATOMS)
        if scope in ("tool", "engineer_tool", "item")
        else _REACH_VISIT_FORMS
    )
    return st.one_of(forms, expressions(scope))


@functools.cache
def conditions(scope: str) -> st.SearchStrategy[str]:
    """A top-level && chain of 1-4 conjuncts, the shape most rules have."""
    return st.lists(top_conjuncts(scope), min_size=1, max_size=4).map(" && ".join)


def conjuncts(when: str) -> list[str]:
    """The operands of the top-level && chain of a condition (the whole when there is none)."""
    parts: list[list[str]] = [[]]
    depth = 0
    tokens = tokenize(when)
    if any(t.text in ("||", "?") for t in tokens):  # may be at the top: do not split
        return [when]
    for t in tokens:
        if t.kind == "op" and t.text in ("(", "[", "{"):
            depth += 1
        elif t.kind == "op" and t.text in (")", "]", "}"):
            depth -= 1
        elif depth == 0 and t.text == "&&":
            parts.append([])
            continue
        parts[-1].append(t.text)
    return [" ".join(p) for p in parts if p]


@st.composite
def edited_conditions(draw: st.DrawFn, rule: Rule) -> str:
    """The rule's condition with a conjunct added, dropped, negated or replaced, or wrapped in a
    disjunction or a negation, or replaced by a new one."""
    parts = conjuncts(rule.when)
    atom = draw(top_conjuncts(rule.scope))
    i = draw(st.integers(0, len(parts) - 1))
    edits: list[Callable[[], str]] = [
        lambda: " && ".join([*parts, atom]),
        lambda: " && ".join([atom, *parts]),
        lambda: f"({rule.when}) && {atom}",
        lambda: f"({rule.when}) || {atom}",
        lambda: f"{atom} || ({rule.when})",
        lambda: f"!({rule.when})",
        lambda: " && ".join(parts[:i] + [f"!({parts[i]})"] + parts[i + 1 :]),
        lambda: " && ".join(parts[:i] + [atom] + parts[i + 1 :]),
        lambda: f"({rule.when}) ? {atom} : false",
        lambda: draw(conditions(rule.scope)),
    ]
    if len(parts) > 1:
        edits.append(lambda: " && ".join(parts[:i] + parts[i + 1 :]))
    return draw(st.sampled_from(edits))()


# --- rules -----------------------------------------------------------------------------------


@functools.cache
def _reference_texts() -> dict[str, str]:
    """A short reference file with the groups and constants of the packs: what checking a rule
    needs (group codes, constant values), a fraction of the YAML to parse."""
    base = packs()
    groups = [
        {
            "code": g.code,
            "title": g.title,
            "citation": g.citation,
            "source_url": g.source_url,
            "confidence": g.confidence,
            "complete": g.complete,
            "members": [{"country": g.members[0].country}],
        }
        for g in base.groups
    ]
    constants = [
        {
            "name": c.name,
            "description": c.description,
            "citation": c.citation,
            "values": list(c.values),
        }
        for c in base.constants
    ]
    text = yaml.safe_dump({"country_groups": groups, "constants": constants}, sort_keys=False)
    return {"reference/all.yaml": text}


def rule_mapping(rule: Rule) -> dict[str, Any]:
    """The YAML mapping a rule pack would hold for `rule`."""
    facts = [
        path if key == path.rpartition(".")[2] else f"{path} as {key}"
        for path, key in zip(rule.facts, rule.fact_keys, strict=True)
    ]
    mapping: dict[str, Any] = {
        "code": rule.code,
        "jurisdiction": rule.jurisdiction,
        "title": rule.title,
        "citation": rule.citation,
        "source_url": rule.source_url,
        "confidence": rule.confidence,
        "effective_from": rule.effective_from,
        "effective_to": rule.effective_to,
        "scope": rule.scope,
        "effect": rule.effect,
        "licence_authority": rule.licence_authority,
        "when": rule.when,
        "message": rule.message,
        "facts": facts,
    }
    if rule.notes:
        mapping["notes"] = rule.notes
    return mapping


@functools.lru_cache(maxsize=1024)
def _load(file: str, text: str) -> tuple[Rule, ...]:
    return load_rule_packs({**_reference_texts(), file: text}).rules


def load_rules(file: str, mappings: Sequence[Mapping[str, Any]]) -> tuple[Rule, ...]:
    """The rules of a pack file holding `mappings`, as load_rule_packs reads and checks them."""
    return _load(file, yaml.safe_dump(list(mappings), sort_keys=False, allow_unicode=True))


def load_rule(mapping: Mapping[str, Any], file: str) -> Rule:
    (rule,) = load_rules(file, [mapping])
    return rule


def packs_with(base: RulePacks, rules: Mapping[str, Rule | None], **reference: Any) -> RulePacks:
    """`base` with the rules of `rules` replaced, added or (None) removed, and `groups` or
    `constants` replaced when given; its texts carry a marker naming the change."""
    by_code = {r.code: r for r in base.rules}
    for code, rule in rules.items():
        if rule is None:
            by_code.pop(code, None)
        else:
            by_code[code] = rule
    marker = repr(sorted((c, repr(r)) for c, r in rules.items())) + repr(sorted(reference.items()))
    texts = (*base.texts, ("zz-change.yaml", marker))
    return RulePacks(
        rules=tuple(sorted(by_code.values(), key=lambda r: r.code)),
        groups=reference.get("groups", base.groups),
        constants=reference.get("constants", base.constants),
        texts=texts,
        content_hash=sha256_json({"files": [list(t) for t in texts]}),
    )


# --- changes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A switch from one compiled rule set to another, and the rules whose cases to try."""

    description: str
    old: CompiledRuleSet
    new: CompiledRuleSet
    codes: tuple[str, ...] = ()  # rules of the packs it touches (their cases are tried)

    def __repr__(self) -> str:
        return f"Change({self.description!r})"


def _shift(day: date, days: int) -> date:
    return min(max(day + timedelta(days=days), date(1995, 1, 1)), date(2040, 1, 1))


@st.composite
def rule_edits(draw: st.DrawFn, rule: Rule) -> dict[str, Any]:
    """The mapping of `rule` with one thing changed: effect, dates or condition."""
    mapping = rule_mapping(rule)
    kind = draw(st.sampled_from(["effect", "dates", "condition", "condition"]))
    if kind == "effect":
        effect = draw(st.sampled_from([e for e in RULE_EFFECTS if e != rule.effect]))
        mapping["effect"] = effect
        if effect == "licence_required" and mapping["licence_authority"] is None:
            mapping["licence_authority"] = "BIS"
        if effect != "review" and mapping["confidence"] == "unverified":
            mapping["confidence"] = "medium"
    elif kind == "dates":
        days = st.one_of(st.sampled_from([-1, 1, -400, 400]), st.integers(-3000, 3000))
        start = _shift(rule.effective_from, draw(days))
        mapping["effective_from"] = start
        mapping["effective_to"] = draw(
            st.one_of(
                st.none(),
                st.just(rule.effective_to)
                if rule.effective_to and rule.effective_to > start
                else st.none(),
                st.integers(1, 2000).map(lambda n: start + timedelta(days=n)),
            )
        )
    else:
        mapping["when"] = draw(edited_conditions(rule))
    return mapping


@st.composite
def new_rules(draw: st.DrawFn, n: int) -> Rule:
    scope = draw(st.sampled_from(["visit", "engineer", "tool", "engineer_tool", "item"]))
    start = draw(st.sampled_from(BOUNDARIES + (date(2000, 1, 1),)))
    mapping = {
        "code": f"TEST-NEW-{n}",
        "jurisdiction": draw(st.sampled_from(["US", "NL", "JP", "KR", "EU"])),
        "title": f"Test rule {n}",
        "citation": "test",
        "source_url": "https://example.org/test",
        "confidence": "high",
        "effective_from": start,
        "effective_to": draw(st.sampled_from([None, start + timedelta(days=300)])),
        "scope": scope,
        "effect": draw(st.sampled_from(RULE_EFFECTS)),
        "licence_authority": "BIS",
        "when": draw(conditions(scope)),
        "message": f"Test rule {n} fired.",
    }
    return load_rule(mapping, draw(st.sampled_from(["us.yaml", "custom.yaml"])))


_POLICIES = frozenset(r.code for r in packs().rules if r.policy)


@functools.lru_cache(maxsize=64)
def compiled(
    rule_packs: RulePacks,
    policies: frozenset[str] = frozenset(),
    disabled: frozenset[str] = frozenset(),
) -> CompiledRuleSet:
    return compile_ruleset(rule_packs, enabled_policies=policies, disabled=disabled)


@st.composite
def rule_set_changes(draw: st.DrawFn) -> Change:
    """One to three rules removed, edited or added; or a policy switched on or off; or a rule
    disabled; or a country group or a constant changed."""
    base = packs()
    policies = draw(st.sampled_from([frozenset(), _POLICIES]))
    old = compiled(base, policies)
    kind = draw(
        st.sampled_from(["rules", "rules", "rules", "rules", "policy", "disabled", "reference"])
    )
    if kind == "policy":
        code = draw(st.sampled_from(sorted(_POLICIES)))
        return Change(f"policy {code} switched", old, compiled(base, policies ^ {code}), (code,))
    if kind == "disabled":
        code = draw(st.sampled_from([r.code for r in base.rules]))
        return Change(f"{code} disabled", old, compiled(base, policies, frozenset({code})), (code,))
    if kind == "reference":
        if draw(st.booleans()):
            i = draw(st.integers(0, len(base.groups) - 1))
            group = base.groups[i]
            members = list(group.members)
            if len(members) > 1 and draw(st.booleans()):
                members.pop(draw(st.integers(0, len(members) - 1)))
            else:
                country = draw(_country)
                members.append(GroupMembership(country, None, None, "test", "high"))
            groups = list(base.groups)
            groups[i] = dataclasses.replace(group, members=tuple(members))
            new_packs = packs_with(base, {}, groups=tuple(groups))
            return Change(f"group {group.code} changed", old, compiled(new_packs, policies))
        i = draw(st.integers(0, len(base.constants) - 1))
        constant = base.constants[i]
        values = list(constant.values)
        if len(values) > 1 and draw(st.booleans()):
            values.pop(draw(st.integers(0, len(values) - 1)))
        else:
            values.append(draw(st.one_of(_activity, _country, st.sampled_from(PREFIXES))))
        constants = list(base.constants)
        constants[i] = dataclasses.replace(constant, values=tuple(values))
        new_packs = packs_with(base, {}, constants=tuple(constants))
        return Change(f"constant {constant.name} changed", old, compiled(new_packs, policies))
    many = draw(st.sampled_from([1, 1, 1, 2, 3]))
    targets = draw(
        st.lists(st.sampled_from(base.rules), min_size=many, max_size=many, unique_by=id)
    )
    changes: dict[str, Rule | None] = {}
    what: list[str] = []
    for n, rule in enumerate(targets):
        action = draw(st.sampled_from(["remove", "edit", "edit", "add", "add"]))
        if action == "remove":
            changes[rule.code] = None
            what.append(f"{rule.code} removed")
        elif action == "edit":
            changes[rule.code] = edited = load_rule(draw(rule_edits(rule)), rule.source_file)
            what.append(f"{rule.code} -> {edited!r}")
        else:
            added = draw(new_rules(n))
            changes[added.code] = added
            what.append(f"added {added!r}")
    new = compiled(packs_with(base, changes), policies)
    return Change("; ".join(what), old, new, tuple(r.code for r in targets))
