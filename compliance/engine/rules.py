"""Rule packs: loading, validation and compilation (DESIGN sec. 5).

Rule packs are YAML data. `load_rule_packs` validates every file strictly and reports problems
naming the file, the rule code and the problem, because a rule that silently never fires is worse
than a rule pack that does not load. `compile_ruleset` compiles each CEL condition once; the
resulting `CompiledRuleSet` is immutable and is what `evaluate` takes.

Reference data lives in `reference/*.yaml` (country groups with effective-dated memberships, and
named constants). Constants are inlined into conditions as list literals at compile time, and
country groups are looked up through `in_group()` for the visit window, so the compiled programs
never change between visits.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import cel
import yaml

from .celtools import Precomputed, analyse, compile_source, string_value, tokenize
from .coverage import PrefixSet
from .document import ACTIVITIES, CLASSIFICATION_JURISDICTIONS, COUNTRY_CODES
from .facts import FACT_VOCABULARY, OBJECT_ROOTS, SCALAR_FACTS, Window, fact_kind

__all__ = [
    "CONFIDENCES",
    "RULE_EFFECTS",
    "SCOPES",
    "CompiledRuleSet",
    "Constant",
    "CountryGroup",
    "GroupMembership",
    "Rule",
    "RulePackError",
    "RulePacks",
    "compile_ruleset",
    "load_rule_packs",
    "read_rule_pack_dir",
]

SCOPES: Final = ("visit", "engineer", "tool", "engineer_tool")
RULE_EFFECTS: Final = ("review", "licence_required", "prohibited")
CONFIDENCES: Final = ("high", "medium", "unverified")
POLICY_FILE: Final = "policy.yaml"
REFERENCE_DIR: Final = "reference/"

# Which object roots a condition may use in each scope; scalar facts are always available.
SCOPE_ROOTS: Final[Mapping[str, frozenset[str]]] = {
    "visit": frozenset({"vendor", "facility"}),
    "engineer": frozenset({"vendor", "facility", "engineer"}),
    "tool": frozenset({"vendor", "facility", "tool"}),
    "engineer_tool": frozenset({"vendor", "facility", "engineer", "tool"}),
}
HELPERS: Final = frozenset({"in_group", "has_code"})
# CEL built-ins implemented natively by the Rust core (the Python stdlib extras are not
# registered, so they would fail at run time).
BUILTIN_FUNCTIONS: Final = frozenset(
    {
        "size",
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "int",
        "uint",
        "double",
        "string",
        "bytes",
        "bool",
        "type",
        "dyn",
        "timestamp",
        "duration",
    }
)

_RULE_FIELDS: Final = frozenset(
    {
        "code",
        "jurisdiction",
        "title",
        "citation",
        "source_url",
        "confidence",
        "effective_from",
        "effective_to",
        "scope",
        "effect",
        "licence_authority",
        "when",
        "message",
        "facts",
        "notes",
    }
)
_REQUIRED_RULE_FIELDS: Final = (
    "code",
    "jurisdiction",
    "title",
    "citation",
    "source_url",
    "confidence",
    "effective_from",
    "scope",
    "effect",
    "when",
    "message",
)
_GROUP_FIELDS: Final = frozenset(
    {"code", "title", "citation", "source_url", "confidence", "complete", "notes", "members"}
)
_MEMBER_FIELDS: Final = frozenset({"country", "from", "to", "citation", "confidence", "notes"})
_CONSTANT_FIELDS: Final = frozenset({"name", "description", "citation", "values"})

# Sane limits, also those of the database columns the rules are copied into.
_LENGTH_LIMITS: Final = {"code": 100, "title": 300, "citation": 300, "source_url": 500}

_CODE = re.compile(r"[A-Z][A-Z0-9]*(?:[.\-][A-Z0-9]+)*")
_JURISDICTION = re.compile(r"[A-Z]{2,12}")
_GROUP_CODE = re.compile(r"[A-Z][A-Z0-9]*(?::[A-Z0-9]+)?")
_CONSTANT_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_FACT_KEY = re.compile(r"[a-z][a-z0-9_]*")


class RulePackError(ValueError):
    """A rule pack or reference file is invalid.

    `file`, `code` and `problem` describe the first problem; `errors` lists all of them.
    """

    def __init__(
        self,
        file: str,
        code: str | None,
        problem: str,
        errors: tuple[tuple[str, str | None, str], ...] = (),
    ) -> None:
        self.file = file
        self.code = code
        self.problem = problem
        self.errors = errors or ((file, code, problem),)
        lines = [_describe(*e) for e in self.errors]
        more = (
            f" (and {len(lines) - 1} more: " + "; ".join(lines[1:]) + ")" if len(lines) > 1 else ""
        )
        super().__init__(lines[0] + more)


def _describe(file: str, code: str | None, problem: str) -> str:
    return f"{file}: rule {code}: {problem}" if code else f"{file}: {problem}"


@dataclass(frozen=True)
class Rule:
    code: str
    jurisdiction: str
    title: str
    citation: str
    source_url: str
    confidence: str
    effective_from: date
    effective_to: date | None  # exclusive
    scope: str
    effect: str
    licence_authority: str | None
    when: str
    message: str
    facts: tuple[str, ...] = ()  # fact paths recorded in each finding
    policy: bool = False
    enabled_by_default: bool = True
    source_file: str = ""
    notes: str = ""
    # Key under which each of `facts` is recorded: its last segment, or the name given with
    # "path as key" in YAML (needed when two facts share a last segment, e.g. two countries).
    fact_keys: tuple[str, ...] = ()

    def in_force(self, start: date, end: date) -> bool:
        """Effective on any day of [start, end] (DESIGN sec. 4: a rule starting mid-visit applies)."""
        return self.effective_from <= end and (
            self.effective_to is None or self.effective_to > start
        )


@dataclass(frozen=True)
class GroupMembership:
    country: str
    from_date: date | None  # None: since before any date this product evaluates
    to_date: date | None  # exclusive; None: still a member
    citation: str
    confidence: str
    notes: str = ""


@dataclass(frozen=True)
class CountryGroup:
    code: str
    title: str
    citation: str
    source_url: str
    confidence: str
    complete: bool
    members: tuple[GroupMembership, ...]
    notes: str = ""


@dataclass(frozen=True)
class Constant:
    name: str
    values: tuple[str, ...]
    description: str
    citation: str


@dataclass(frozen=True)
class RulePacks:
    rules: tuple[Rule, ...]
    groups: tuple[CountryGroup, ...]
    constants: tuple[Constant, ...]
    texts: tuple[tuple[str, str], ...]  # (file name, normalised text), sorted by name
    content_hash: str  # sha256 of the texts alone

    def rule(self, code: str) -> Rule:
        for r in self.rules:
            if r.code == code:
                return r
        raise KeyError(code)


# --- loading -------------------------------------------------------------------------------


class _Collector:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str | None, str]] = []

    def add(self, file: str, code: str | None, problem: str) -> None:
        self.errors.append((file, code, problem))


def _normalise(text: str) -> str:
    # Same version on every checkout, whatever the line endings.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
        except ValueError:
            return None
    return None


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def read_rule_pack_dir(path: str | Path) -> dict[str, str]:
    """Read `*.yaml` and `reference/*.yaml` under `path` into {relative name: text}."""
    root = Path(path)
    files = sorted(root.glob("*.yaml")) + sorted((root / "reference").glob("*.yaml"))
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in files}


def load_rule_packs(texts: Mapping[str, str]) -> RulePacks:
    """Parse and validate all pack files and reference files; raise RulePackError on any problem."""
    errors = _Collector()
    parsed: dict[str, Any] = {}
    for name in sorted(texts):
        if not name.endswith(".yaml"):
            errors.add(name, None, "rule pack files must be .yaml")
            continue
        try:
            parsed[name] = yaml.safe_load(_normalise(texts[name]))
        except yaml.YAMLError as exc:
            errors.add(name, None, f"YAML syntax error: {exc}")

    groups: list[CountryGroup] = []
    constants: list[Constant] = []
    for name, data in parsed.items():
        if not name.startswith(REFERENCE_DIR):
            continue
        if not isinstance(data, dict) or not set(data) <= {"country_groups", "constants"}:
            errors.add(
                name, None, "a reference file is a mapping with 'country_groups' and/or 'constants'"
            )
            continue
        groups.extend(_load_groups(name, data.get("country_groups") or [], errors))
        constants.extend(_load_constants(name, data.get("constants") or [], errors))
    _check_unique(((g.code, "country group") for g in groups), errors)
    _check_unique(((c.name, "constant") for c in constants), errors)

    group_codes = frozenset(g.code for g in groups)
    constant_values = {c.name: c.values for c in constants}
    rules: list[Rule] = []
    for name, data in parsed.items():
        if name.startswith(REFERENCE_DIR):
            continue
        if data is None:
            data = []
        if not isinstance(data, list):
            errors.add(name, None, "a rule pack is a YAML list of rules")
            continue
        policy = Path(name).name == POLICY_FILE
        for index, item in enumerate(data):
            rule = _load_rule(name, index, item, policy, errors)
            if rule is not None:
                _check_condition(rule, group_codes, constant_values, errors)
                rules.append(rule)
    seen: dict[str, str] = {}
    for r in rules:
        if r.code in seen:
            errors.add(r.source_file, r.code, f"duplicate rule code (also in {seen[r.code]})")
        seen.setdefault(r.code, r.source_file)

    if errors.errors:
        file, code, problem = errors.errors[0]
        raise RulePackError(file, code, problem, tuple(errors.errors))
    ordered = tuple(sorted((n, _normalise(texts[n])) for n in texts))
    return RulePacks(
        rules=tuple(sorted(rules, key=lambda r: r.code)),
        groups=tuple(sorted(groups, key=lambda g: g.code)),
        constants=tuple(sorted(constants, key=lambda c: c.name)),
        texts=ordered,
        content_hash=_sha256({"files": [list(t) for t in ordered]}),
    )


def _check_unique(items: Any, errors: _Collector) -> None:
    seen: set[str] = set()
    for code, kind in items:
        if code in seen:
            errors.add(REFERENCE_DIR, None, f"duplicate {kind} {code}")
        seen.add(code)


def _unknown_fields(item: Mapping[str, Any], allowed: frozenset[str]) -> list[str]:
    return sorted(str(k) for k in item if k not in allowed)


def _load_groups(file: str, raw: object, errors: _Collector) -> list[CountryGroup]:
    if not isinstance(raw, list):
        errors.add(file, None, "country_groups must be a list")
        return []
    groups: list[CountryGroup] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.add(file, None, f"country_groups[{i}] must be a mapping")
            continue
        code = item.get("code")
        label = f"country group {code}" if isinstance(code, str) else f"country_groups[{i}]"
        problems: list[str] = [f"unknown field {k!r}" for k in _unknown_fields(item, _GROUP_FIELDS)]
        if not isinstance(code, str) or not _GROUP_CODE.fullmatch(code):
            problems.append("code must look like US:D5, JP:BULK42 or EU")
        for key in ("title", "citation", "source_url"):
            if _text(item.get(key)) is None:
                problems.append(f"missing {key}")
        if item.get("confidence") not in CONFIDENCES:
            problems.append(f"confidence must be one of {', '.join(CONFIDENCES)}")
        if not isinstance(item.get("complete"), bool):
            problems.append("complete must be true or false (is the member list exhaustive?)")
        members: list[GroupMembership] = []
        raw_members = item.get("members")
        if not isinstance(raw_members, list) or not raw_members:
            problems.append("members must be a non-empty list")
            raw_members = []
        for j, m in enumerate(raw_members):
            if not isinstance(m, dict):
                problems.append(f"members[{j}] must be a mapping")
                continue
            problems.extend(
                f"members[{j}]: unknown field {k!r}" for k in _unknown_fields(m, _MEMBER_FIELDS)
            )
            country = m.get("country")
            if not isinstance(country, str) or country not in COUNTRY_CODES:
                # YAML reads an unquoted NO (Norway) as false: quote country codes.
                problems.append(
                    f"members[{j}]: {country!r} is not an ISO 3166-1 alpha-2 code (quote it)"
                )
                continue
            start = _as_date(m["from"]) if m.get("from") is not None else None
            end = _as_date(m["to"]) if m.get("to") is not None else None
            if (m.get("from") is not None and start is None) or (
                m.get("to") is not None and end is None
            ):
                problems.append(f"members[{j}] {country}: from/to must be ISO dates")
                continue
            if start is not None and end is not None and not start < end:
                problems.append(f"members[{j}] {country}: from must be before to")
                continue
            confidence = m.get("confidence", item.get("confidence"))
            if confidence not in CONFIDENCES:
                problems.append(f"members[{j}] {country}: bad confidence")
                continue
            members.append(
                GroupMembership(
                    country=country,
                    from_date=start,
                    to_date=end,
                    citation=_text(m.get("citation")) or str(item.get("citation", "")),
                    confidence=str(confidence),
                    notes=_text(m.get("notes")) or "",
                )
            )
        for p in problems:
            errors.add(file, None, f"{label}: {p}")
        if not problems:
            groups.append(
                CountryGroup(
                    code=str(code),
                    title=str(item["title"]).strip(),
                    citation=str(item["citation"]).strip(),
                    source_url=str(item["source_url"]).strip(),
                    confidence=str(item["confidence"]),
                    complete=bool(item["complete"]),
                    members=tuple(members),
                    notes=_text(item.get("notes")) or "",
                )
            )
    return groups


def _load_constants(file: str, raw: object, errors: _Collector) -> list[Constant]:
    if not isinstance(raw, list):
        errors.add(file, None, "constants must be a list")
        return []
    reserved = OBJECT_ROOTS | frozenset(SCALAR_FACTS) | HELPERS
    constants: list[Constant] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.add(file, None, f"constants[{i}] must be a mapping")
            continue
        name = item.get("name")
        label = f"constant {name}" if isinstance(name, str) else f"constants[{i}]"
        problems = [f"unknown field {k!r}" for k in _unknown_fields(item, _CONSTANT_FIELDS)]
        if not isinstance(name, str) or not _CONSTANT_NAME.fullmatch(name) or name in reserved:
            problems.append("name must be UPPER_CASE and not a fact or helper name")
        values = item.get("values")
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) and v for v in values)
        ):
            problems.append("values must be a non-empty list of strings (quote country codes)")
        for key in ("description", "citation"):
            if _text(item.get(key)) is None:
                problems.append(f"missing {key}")
        if isinstance(name, str) and name.endswith("_ACTIVITIES") and isinstance(values, list):
            problems.extend(f"unknown activity {v!r}" for v in values if v not in ACTIVITIES)
        for p in problems:
            errors.add(file, None, f"{label}: {p}")
        if not problems and isinstance(values, list):
            constants.append(
                Constant(
                    name=str(name),
                    values=tuple(str(v) for v in values),
                    description=str(item["description"]).strip(),
                    citation=str(item["citation"]).strip(),
                )
            )
    return constants


def _load_rule(
    file: str, index: int, item: object, policy: bool, errors: _Collector
) -> Rule | None:
    if not isinstance(item, dict):
        errors.add(file, None, f"item {index} is not a mapping")
        return None
    raw_code = item.get("code")
    code = raw_code if isinstance(raw_code, str) else f"#{index}"
    problems: list[str] = [f"unknown field {k!r}" for k in _unknown_fields(item, _RULE_FIELDS)]
    for key in _REQUIRED_RULE_FIELDS:
        if item.get(key) is None or (isinstance(item.get(key), str) and not item[key].strip()):
            problems.append(f"missing required field {key!r}")
    if problems:
        for p in problems:
            errors.add(file, code, p)
        return None

    if not _CODE.fullmatch(code):
        problems.append("code must be upper case letters, digits, '.' and '-'")
    if code.startswith("SYSTEM-"):
        problems.append("codes starting with SYSTEM- are reserved for the engine")
    for key in ("jurisdiction", "title", "citation", "source_url", "when", "message"):
        if not isinstance(item[key], str):
            problems.append(f"{key} must be a string")
    for key, limit in _LENGTH_LIMITS.items():
        if isinstance(item.get(key), str) and len(item[key].strip()) > limit:
            problems.append(f"{key} must be at most {limit} characters")
    jurisdiction = str(item["jurisdiction"])
    if not _JURISDICTION.fullmatch(jurisdiction):
        problems.append("jurisdiction must be upper-case letters, e.g. US, NL, JP, KR, DATA")
    if not str(item["source_url"]).startswith("https://"):
        problems.append("source_url must be an https:// URL")
    effect = item["effect"]
    if effect not in RULE_EFFECTS:
        problems.append(f"effect {effect!r} is not one of {', '.join(RULE_EFFECTS)}")
    scope = item["scope"]
    if scope not in SCOPES:
        problems.append(f"scope {scope!r} is not one of {', '.join(SCOPES)}")
    confidence = item["confidence"]
    if confidence not in CONFIDENCES:
        problems.append(f"confidence {confidence!r} is not one of {', '.join(CONFIDENCES)}")
    elif confidence == "unverified" and effect != "review":
        problems.append(
            "a rule with confidence 'unverified' may only have effect 'review' (DOMAIN: [?] facts)"
        )
    start = _as_date(item["effective_from"])
    if start is None:
        problems.append("effective_from must be an ISO date (YYYY-MM-DD)")
    end: date | None = None
    if item.get("effective_to") is not None:
        end = _as_date(item["effective_to"])
        if end is None:
            problems.append("effective_to must be an ISO date or null")
        elif start is not None and not start < end:
            problems.append("effective_from must be before effective_to")
    authority = item.get("licence_authority")
    if authority is not None and _text(authority) is None:
        problems.append("licence_authority must be a non-empty string or null")
    if effect == "licence_required" and authority is None:
        problems.append(
            "a licence_required rule needs licence_authority (licence coverage matches on it)"
        )
    raw_facts = item.get("facts") or []
    if not isinstance(raw_facts, list) or not all(isinstance(f, str) for f in raw_facts):
        problems.append("facts must be a list of fact paths such as engineer.us_person_basis")
        raw_facts = []
    paths: list[str] = []
    keys: list[str] = []
    for entry in raw_facts:
        path, _, key = (part.strip() for part in entry.partition(" as "))
        key = key or path.rpartition(".")[2]
        if not _FACT_KEY.fullmatch(key):
            problems.append(
                f"in 'facts': {entry!r}: the key must be lower_case (write 'path as key')"
            )
        paths.append(path)
        keys.append(key)
    notes = item.get("notes")
    if notes is not None and not isinstance(notes, str):
        problems.append("notes must be a string")
    if problems:
        for p in problems:
            errors.add(file, code, p)
        return None
    assert start is not None
    return Rule(
        code=code,
        jurisdiction=jurisdiction,
        title=str(item["title"]).strip(),
        citation=str(item["citation"]).strip(),
        source_url=str(item["source_url"]).strip(),
        confidence=str(confidence),
        effective_from=start,
        effective_to=end,
        scope=str(scope),
        effect=str(effect),
        licence_authority=str(authority).strip() if authority is not None else None,
        when=str(item["when"]).strip(),
        message=" ".join(str(item["message"]).split()),
        facts=tuple(paths),
        fact_keys=tuple(keys),
        policy=policy,
        enabled_by_default=not policy,
        source_file=file,
        notes=" ".join(str(notes).split()) if notes else "",
    )


def fact_path_problem(path: str, scope: str) -> str | None:
    """Why `path` is not a fact available in `scope`, or None if it is."""
    if path in SCALAR_FACTS:
        return None
    root, _, member = path.partition(".")
    if root not in OBJECT_ROOTS or not member or "." in member:
        return f"unknown fact {path!r}"
    if root not in SCOPE_ROOTS[scope]:
        return f"{root} is not available in a {scope}-scope rule (fact {path!r})"
    if member not in FACT_VOCABULARY[root]:
        return f"unknown fact {path!r}"
    return None


def _check_condition(
    rule: Rule,
    group_codes: frozenset[str],
    constants: Mapping[str, tuple[str, ...]],
    errors: _Collector,
) -> None:
    def fail(problem: str) -> None:
        errors.add(rule.source_file, rule.code, problem)

    try:
        program = cel.compile(rule.when)
    except Exception as exc:  # the cel package raises ValueError; be safe with its Rust core
        fail(f"CEL syntax error in 'when': {exc}")
        return
    allowed_roots = SCOPE_ROOTS[rule.scope]
    usage = analyse(rule.when, OBJECT_ROOTS, HELPERS)
    for root, member in sorted(usage.members):
        problem = fact_path_problem(f"{root}.{member}", rule.scope)
        if problem:
            fail(f"in 'when': {problem}")
    for root in usage.bare_roots:
        fail(
            f"in 'when': use a fact of {root} (such as {root}.{next(iter(FACT_VOCABULARY[root]))}), not {root} itself"
        )
    for root in usage.bracket_roots:
        fail(f"in 'when': write {root}.<fact>, not {root}[...]")
    reserved = OBJECT_ROOTS | frozenset(SCALAR_FACTS) | frozenset(constants)
    for name in sorted(usage.bound & reserved):
        fail(f"in 'when': comprehension variable {name!r} hides a fact or constant")
    for name in program.variables():
        if name in usage.bound or name in constants or name in SCALAR_FACTS:
            continue
        if name in OBJECT_ROOTS:
            if name not in allowed_roots:
                fail(f"in 'when': {name} is not available in a {rule.scope}-scope rule")
        else:
            fail(f"in 'when': unknown variable {name!r}")
    for i, token in enumerate(tokens := tokenize(rule.when)):
        if token.kind == "ident" and "__" in token.text:
            fail(f"in 'when': identifier {token.text!r}: names containing '__' are reserved")
        if (
            token.kind == "ident"
            and token.text == "has"
            and i + 1 < len(tokens)
            and tokens[i + 1].text == "("
            and (i == 0 or tokens[i - 1].text != ".")
        ):
            fail("in 'when': has() is not needed: every fact is always present (null when unknown)")
    for fn in program.functions():
        if fn[0] in "_@!" or fn in HELPERS or fn in BUILTIN_FUNCTIONS:
            continue
        fail(f"in 'when': unknown function {fn!r}")
    for fn, args in usage.calls:
        if fn == "in_group":
            value = string_value(args[1][0]) if len(args) == 2 and len(args[1]) == 1 else None
            if value is None:
                fail("in 'when': in_group(country, group) needs the group as a string literal")
            elif value not in group_codes:
                fail(f"in 'when': unknown country group {value!r}")
        elif fn == "has_code":
            if len(args) != 3 or [t.text for t in args[0]] != ["tool"]:
                fail(
                    "in 'when': has_code(tool, jurisdiction, prefix) takes tool as its first argument"
                )
                continue
            jurisdiction = string_value(args[1][0]) if len(args[1]) == 1 else None
            if jurisdiction not in CLASSIFICATION_JURISDICTIONS:
                fail("in 'when': has_code needs a jurisdiction string literal such as \"US\"")
            prefixes = args[2]
            literal = len(prefixes) == 1 and string_value(prefixes[0]) is not None
            listed = (
                len(prefixes) >= 3
                and prefixes[0].text == "["
                and prefixes[-1].text == "]"
                and all(string_value(t) is not None for t in prefixes[1:-1:2])
                and all(t.text == "," for t in prefixes[2:-1:2])
            )
            is_constant = len(prefixes) == 1 and prefixes[0].text in constants
            if not (literal or listed or is_constant):
                fail(
                    "in 'when': has_code needs the prefix as a string literal, a list of them or a constant"
                )
    keys: dict[str, str] = {}
    for path, key in zip(rule.facts, rule.fact_keys, strict=True):
        problem = fact_path_problem(path, rule.scope)
        if problem:
            fail(f"in 'facts': {problem}")
            continue
        if key in keys:
            fail(
                f"in 'facts': {path!r} and {keys[key]!r} would both be recorded as {key!r}; "
                f"name one with '{path} as <key>'"
            )
        keys[key] = path
    for placeholder in _PLACEHOLDER.findall(rule.message):
        problem = (
            fact_path_problem(placeholder, rule.scope)
            if placeholder == placeholder.strip()
            else "no spaces inside braces"
        )
        if problem:
            fail(f"in 'message': placeholder {{{placeholder}}}: {problem}")
    if "{" in _PLACEHOLDER.sub("", rule.message) or "}" in _PLACEHOLDER.sub("", rule.message):
        fail("in 'message': unbalanced { or }")
    for activity in _activities_named(rule.when):
        if activity not in ACTIVITIES:
            fail(f"in 'when': unknown activity {activity!r}")
    if not any(e[0] == rule.source_file and e[1] == rule.code for e in errors.errors):
        try:
            source, _, _ = compile_source(
                rule.when, OBJECT_ROOTS, frozenset(SCALAR_FACTS), constants, Precomputed.empty()
            )
            cel.compile(source)
        except Exception as exc:  # a bug in the rewrite, not in the rule: still refuse to load
            fail(f"in 'when': cannot be compiled after rewriting: {exc}")


_ACTIVITY_COMPARISON = re.compile(r"""activity\s*==\s*["']([^"']*)["']""")


def _activities_named(source: str) -> list[str]:
    return _ACTIVITY_COMPARISON.findall(source)


# --- compilation ---------------------------------------------------------------------------


def _sha256(payload: object) -> str:
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True, eq=False)
class CompiledRule:
    rule: Rule
    program: Any  # cel.Program
    source: str  # the condition as rewritten by compile_source and compiled
    # The message split into (literal text, root, member, kind) parts; root "" is a scalar
    # fact and root None ends the message; kind is facts.fact_kind. Pre-split so formatting a
    # finding is a few dict lookups.
    template: tuple[tuple[str, str | None, str, str], ...]
    # (key, root, member, kind) of each fact recorded in a finding.
    recorded: tuple[tuple[str, str, str, str], ...]
    members: frozenset[tuple[str, str]]  # (root, member) facts the condition reads
    code_tests: frozenset[int]  # has_code calls, as indexes into CompiledRuleSet.code_tests
    memberships: frozenset[tuple[str, str]]  # (scalar, constant) tests, e.g. activity in X
    scalars: frozenset[str]  # scalar facts the rewritten condition still reads


def _split_path(path: str) -> tuple[str, str, str]:
    """(root, member, kind) of a fact path; root "" for scalar facts."""
    root, _, member = path.partition(".")
    if not member:
        root, member = "", root
    return root, member, fact_kind(root, member)


SCOPE_ORDER: Final = ("visit", "engineer", "tool", "engineer_tool")


@dataclass(frozen=True, eq=False)
class WindowPlan:
    """What evaluating a visit with a given window needs, computed once per window and cached.

    `members[slot]` names the facts to pass to CEL for each object slot: "vendor" and
    "facility" (the visit context), "engineer" (set once per engineer, read by engineer and
    engineer_tool rules), "tool" (set per tool for tool rules) and "pair_tool" (set per
    engineer x tool for engineer_tool rules). Each swap passes exactly what the rules in force
    of that scope read; values left over from an earlier swap are never read by them.
    """

    groups: Mapping[str, frozenset[str]]
    groups_by_country: Mapping[str, tuple[str, ...]]
    by_scope: Mapping[str, tuple[CompiledRule, ...]]
    members: Mapping[str, frozenset[str]]
    code_tests: Mapping[str, frozenset[int]]  # "tool" / "pair_tool" -> has_code tests to pass
    scalars: frozenset[str]
    memberships: frozenset[tuple[str, str]]


def _template(message: str) -> tuple[tuple[str, str | None, str, str], ...]:
    parts: list[tuple[str, str | None, str, str]] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(message):
        parts.append((message[pos : m.start()], *_split_path(m.group(1))))
        pos = m.end()
    parts.append((message[pos:], None, "", ""))
    return tuple(parts)


@dataclass(frozen=True, eq=False)
class CompiledRuleSet:
    """Immutable, compiled rule set. Identify it by `version`.

    `rules` holds every rule of the packs; `enabled` the codes that evaluate (policy rules only
    when switched on, minus `disabled`). `cel_members` lists, per object root, the facts the
    enabled conditions read: only those are passed to CEL, because converting a value into a
    `cel.Context` costs about 1 us per string. `code_tests` lists the distinct has_code calls
    (jurisdiction, prefixes) and `memberships` the (scalar, constant) tests that compile_source
    lifted out of the conditions.
    """

    version: str
    packs: RulePacks
    rules: tuple[Rule, ...]
    enabled: frozenset[str]
    compiled: tuple[CompiledRule, ...]
    cel_members: Mapping[str, frozenset[str]]
    code_tests: tuple[tuple[str, PrefixSet], ...]  # has_code call i: (jurisdiction, prefixes)
    memberships: tuple[tuple[str, str], ...]
    constants: Mapping[str, tuple[str, ...]]
    disabled: frozenset[str]
    enabled_policies: frozenset[str]
    _window_cache: dict[tuple[date, date], WindowPlan] = field(default_factory=dict, repr=False)

    @property
    def enabled_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.code in self.enabled)

    def is_enabled(self, code: str) -> bool:
        return code in self.enabled

    def rule(self, code: str) -> Rule:
        return self.packs.rule(code)

    @property
    def groups(self) -> tuple[CountryGroup, ...]:
        return self.packs.groups

    def groups_for_window(self, start: date, end: date) -> Mapping[str, frozenset[str]]:
        """group code -> countries that are members on any day of [start, end]."""
        return self.plan(start, end).groups

    def plan(self, start: date, end: date) -> WindowPlan:
        key = (start, end)
        cached = self._window_cache.get(key)
        if cached is not None:
            return cached
        window = Window(start, end)
        groups = {
            g.code: frozenset(
                m.country for m in g.members if window.overlaps(m.from_date, m.to_date)
            )
            for g in self.packs.groups
        }
        by_country: dict[str, list[str]] = {}
        for code in sorted(groups):
            for country in groups[code]:
                by_country.setdefault(country, []).append(code)
        in_force = [c for c in self.compiled if c.rule.in_force(start, end)]
        by_scope = {s: tuple(c for c in in_force if c.rule.scope == s) for s in SCOPE_ORDER}

        def read(scopes: tuple[str, ...], root: str) -> frozenset[str]:
            return frozenset(
                m for s in scopes for c in by_scope[s] for r, m in c.members if r == root
            )

        plan = WindowPlan(
            groups=groups,
            groups_by_country={c: tuple(codes) for c, codes in by_country.items()},
            by_scope=by_scope,
            members={
                "vendor": read(SCOPE_ORDER, "vendor"),
                "facility": read(SCOPE_ORDER, "facility"),
                "engineer": read(("engineer", "engineer_tool"), "engineer"),
                "tool": read(("tool",), "tool"),
                "pair_tool": read(("engineer_tool",), "tool"),
            },
            code_tests={
                "tool": frozenset(i for c in by_scope["tool"] for i in c.code_tests),
                "pair_tool": frozenset(i for c in by_scope["engineer_tool"] for i in c.code_tests),
            },
            scalars=frozenset(n for c in in_force for n in c.scalars),
            memberships=frozenset(m for c in in_force for m in c.memberships),
        )
        if len(self._window_cache) > 4096:  # bounded; visits share few distinct windows
            self._window_cache.clear()
        self._window_cache[key] = plan
        return plan


def compile_ruleset(
    packs: RulePacks,
    *,
    disabled: frozenset[str] = frozenset(),
    enabled_policies: frozenset[str] = frozenset(),
) -> CompiledRuleSet:
    """Compile every enabled condition once. Unknown codes in the arguments are ignored."""
    codes = {r.code for r in packs.rules}
    policies = frozenset(r.code for r in packs.rules if r.policy) & enabled_policies
    disabled = frozenset(disabled) & codes
    enabled = frozenset(
        r.code
        for r in packs.rules
        if (not r.policy or r.code in policies) and r.code not in disabled
    )
    constants = {c.name: c.values for c in packs.constants}
    compiled: list[CompiledRule] = []
    members: dict[str, set[str]] = {root: set() for root in OBJECT_ROOTS}
    precomputed = Precomputed.empty()
    for rule in packs.rules:
        if rule.code not in enabled:
            continue
        source, code_tests, memberships = compile_source(
            rule.when, OBJECT_ROOTS, frozenset(SCALAR_FACTS), constants, precomputed
        )
        usage = analyse(rule.when, OBJECT_ROOTS, HELPERS)
        program = cel.compile(source)
        compiled.append(
            CompiledRule(
                rule=rule,
                program=program,
                source=source,
                template=_template(rule.message),
                recorded=tuple(
                    (key, *_split_path(path))
                    for path, key in zip(rule.facts, rule.fact_keys, strict=True)
                ),
                members=frozenset(usage.members),
                code_tests=code_tests,
                memberships=memberships,
                scalars=frozenset(program.variables()) & frozenset(SCALAR_FACTS),
            )
        )
        for root, member in usage.members:
            members[root].add(member)
    version = _sha256(
        {
            "files": [list(t) for t in packs.texts],
            "enabled_policies": sorted(policies),
            "disabled": sorted(disabled),
        }
    )
    return CompiledRuleSet(
        version=version,
        packs=packs,
        rules=packs.rules,
        enabled=enabled,
        compiled=tuple(compiled),
        cel_members={root: frozenset(m) for root, m in members.items()},
        code_tests=tuple(
            (jurisdiction, PrefixSet(prefixes))
            for jurisdiction, prefixes in sorted(
                precomputed.code_tests, key=precomputed.code_tests.__getitem__
            )
        ),
        memberships=tuple(sorted(precomputed.memberships)),
        constants=constants,
        disabled=disabled,
        enabled_policies=policies,
    )


# Exposed for the README test and for tooling that lists what a condition may call.
HELPER_SIGNATURES: Final[Mapping[str, str]] = {
    "in_group": "in_group(country: string, group: string literal) -> bool",
    "has_code": "has_code(tool, jurisdiction: string literal, prefix: string | list<string>) -> bool",
}
