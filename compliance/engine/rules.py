"""Rule packs: loading and validation (DESIGN sec. 5).

Rule packs are YAML data. `load_rule_packs` validates every file strictly and reports problems
naming the file, the rule code and the problem, because a rule that silently never fires is worse
than a rule pack that does not load. The data types live in `rulepack`, reference files are read
by `reference` and conditions are checked by `conditions`. `ruleset.compile_ruleset` compiles
each CEL condition once; the resulting `CompiledRuleSet` is immutable and is what `evaluate`
takes.

Reference data lives in `reference/*.yaml` (country groups with effective-dated memberships, and
named constants). Constants are inlined into conditions as list literals at compile time, and
country groups are looked up through `in_group()` for the visit window, so the compiled programs
never change between visits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Final

import yaml

from .conditions import check_condition
from .reference import check_unique, load_constants, load_groups
from .rulepack import (
    CONFIDENCES,
    POLICY_FILE,
    REFERENCE_DIR,
    RULE_EFFECTS,
    SCOPES,
    Collector,
    Constant,
    CountryGroup,
    Rule,
    RulePackError,
    RulePacks,
    as_date,
    nonblank,
    normalise_text,
    sha256_json,
    unknown_fields,
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
_LENGTH_LIMITS: Final = {"code": 100, "title": 300, "citation": 300, "source_url": 500}
_CODE = re.compile(r"[A-Z][A-Z0-9]*(?:[.\-][A-Z0-9]+)*")
_JURISDICTION = re.compile(r"[A-Z]{2,12}")
_FACT_KEY = re.compile(r"[a-z][a-z0-9_]*")


__all__ = ["load_rule_packs", "read_rule_pack_dir"]


def read_rule_pack_dir(path: str | Path) -> dict[str, str]:
    """Read `*.yaml` and `reference/*.yaml` under `path` into {relative name: text}."""
    root = Path(path)
    files = sorted(root.glob("*.yaml")) + sorted((root / "reference").glob("*.yaml"))
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in files}


def load_rule_packs(texts: Mapping[str, str]) -> RulePacks:
    """Parse and validate all pack files and reference files; raise RulePackError on any problem."""
    errors = Collector()
    parsed: dict[str, Any] = {}
    for name in sorted(texts):
        if not name.endswith(".yaml"):
            errors.add(name, None, "rule pack files must be .yaml")
            continue
        try:
            parsed[name] = yaml.safe_load(normalise_text(texts[name]))
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
        groups.extend(load_groups(name, data.get("country_groups") or [], errors))
        constants.extend(load_constants(name, data.get("constants") or [], errors))
    check_unique(((g.code, "country group") for g in groups), errors)
    check_unique(((c.name, "constant") for c in constants), errors)

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
                check_condition(rule, group_codes, constant_values, errors)
                rules.append(rule)
    seen: dict[str, str] = {}
    for r in rules:
        if r.code in seen:
            errors.add(r.source_file, r.code, f"duplicate rule code (also in {seen[r.code]})")
        seen.setdefault(r.code, r.source_file)

    if errors.errors:
        file, code, problem = errors.errors[0]
        raise RulePackError(file, code, problem, tuple(errors.errors))
    ordered = tuple(sorted((n, normalise_text(texts[n])) for n in texts))
    return RulePacks(
        rules=tuple(sorted(rules, key=lambda r: r.code)),
        groups=tuple(sorted(groups, key=lambda g: g.code)),
        constants=tuple(sorted(constants, key=lambda c: c.name)),
        texts=ordered,
        content_hash=sha256_json({"files": [list(t) for t in ordered]}),
    )


def _load_rule(file: str, index: int, item: object, policy: bool, errors: Collector) -> Rule | None:
    if not isinstance(item, dict):
        errors.add(file, None, f"item {index} is not a mapping")
        return None
    raw_code = item.get("code")
    code = raw_code if isinstance(raw_code, str) else f"#{index}"
    problems: list[str] = [f"unknown field {k!r}" for k in unknown_fields(item, _RULE_FIELDS)]
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
    start = as_date(item["effective_from"])
    if start is None:
        problems.append("effective_from must be an ISO date (YYYY-MM-DD)")
    end: date | None = None
    if item.get("effective_to") is not None:
        end = as_date(item["effective_to"])
        if end is None:
            problems.append("effective_to must be an ISO date or null")
        elif start is not None and not start < end:
            problems.append("effective_from must be before effective_to")
    authority = item.get("licence_authority")
    if authority is not None and nonblank(authority) is None:
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
