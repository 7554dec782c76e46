"""The list sources (sources.yaml): where each list is published, how it is fetched and checked,
whom it binds, and what a hit on it means for a visit.

Pure Python: the Django side keeps each source's state (enabled, fetch times) and calls
``hit_meaning`` while screening, so that the meaning is stored with the hit in the decision and a
replay gives the same result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from compliance.screening.formats import FORMATS

SOURCES_FILE = Path(__file__).with_name("sources.yaml")
GROUPS_FILE = Path(__file__).parents[1] / "rulepacks" / "reference" / "country_groups.yaml"
EFFECTS = ("review", "licence_required", "prohibited")
CONFIDENCES = ("high", "medium")


class SourceConfigError(ValueError):
    """sources.yaml is not valid: the message names the source and the field."""


@dataclass(frozen=True)
class ListMeaning:
    code: str
    title: str
    effect: str
    confidence: str
    citation: str
    source_url: str
    authority: str | None = None
    jurisdiction: str = "SCREENING"
    implementing: Mapping[str, str] = field(default_factory=dict)
    regimes: Mapping[str, str] = field(default_factory=dict)
    effect_when: tuple[tuple[str, str], ...] = ()  # (measure, effect)


@dataclass(frozen=True)
class SourceSpec:
    key: str
    name: str
    publisher: str
    format: str
    url: str
    page: str
    refresh_hours: float
    max_age_days: float
    max_drop_share: float
    enabled: bool
    binds_all: bool
    vendor_countries: frozenset[str]
    person_countries: frozenset[str]
    origins: frozenset[str]
    lists: Mapping[str, ListMeaning]
    binds_text: str = ""  # whom it binds, as sources.yaml says it ("vendors in @EU, …")

    def binds(self, document: Mapping[str, Any]) -> str:
        """Why this source binds the visit ("" when it does not): the vendor's country, an
        engineer's citizenship, or the origin of a tool or shipped item."""
        if self.binds_all:
            return "it binds every vendor"
        vendor = (document.get("vendor") or {}).get("country") or ""
        if vendor in self.vendor_countries:
            return f"the vendor is in {vendor}"
        for eng in document.get("engineers") or []:
            for c in eng.get("citizenships") or []:
                code = c if isinstance(c, str) else (c or {}).get("country")
                if code in self.person_countries:
                    return f"an engineer is a citizen of {code}"
        things = [
            *(document.get("tools") or []),
            *((document.get("visit") or {}).get("items") or []),
        ]
        for thing in things:
            if (thing or {}).get("origin") in self.origins:
                return f"a tool or item is of {thing['origin']} origin"
        return ""


def _groups() -> dict[str, frozenset[str]]:
    data = yaml.safe_load(GROUPS_FILE.read_text(encoding="utf-8"))
    return {
        g["code"]: frozenset(m["country"] for m in g.get("members") or [] if m.get("country"))
        for g in data.get("groups") or data.get("country_groups") or []
    }


def _countries(values: Iterable[str], groups: Mapping[str, frozenset[str]], where: str) -> set[str]:
    out: set[str] = set()
    for value in values:
        if value.startswith("@"):
            if value[1:] not in groups:
                raise SourceConfigError(f"{where}: unknown country group {value!r}")
            out |= groups[value[1:]]
        elif len(value) == 2 and value.isupper():
            out.add(value)
        else:
            raise SourceConfigError(f"{where}: {value!r} is neither a country code nor a @group")
    return out


def _meaning(
    code: str, raw: Mapping[str, Any], groups: Mapping[str, frozenset[str]], where: str
) -> ListMeaning:
    for key in ("title", "effect", "confidence", "citation"):
        if not raw.get(key):
            raise SourceConfigError(f"{where}.{code}: {key} is required")
    if raw["effect"] not in EFFECTS:
        raise SourceConfigError(f"{where}.{code}.effect: one of {', '.join(EFFECTS)}")
    if raw["confidence"] not in CONFIDENCES:
        raise SourceConfigError(f"{where}.{code}.confidence: one of {', '.join(CONFIDENCES)}")
    if raw["effect"] == "licence_required" and not raw.get("authority"):
        raise SourceConfigError(f"{where}.{code}: a licence_required effect names its authority")
    implementing: dict[str, str] = {}
    for key, text in (raw.get("implementing") or {}).items():
        targets = ["*"] if key == "*" else sorted(_countries([key], groups, f"{where}.{code}"))
        for country in targets:
            implementing.setdefault(country, " ".join(str(text).split()))
    when = []
    for rule in raw.get("effect_when") or []:
        if rule.get("effect") not in EFFECTS or not rule.get("measure"):
            raise SourceConfigError(f"{where}.{code}.effect_when: measure and effect required")
        when.append((str(rule["measure"]).casefold(), rule["effect"]))
    return ListMeaning(
        code=code,
        title=raw["title"],
        effect=raw["effect"],
        confidence=raw["confidence"],
        citation=" ".join(str(raw["citation"]).split()),
        source_url=raw.get("source_url") or "",
        authority=raw.get("authority"),
        jurisdiction=raw.get("jurisdiction") or "SCREENING",
        implementing=implementing,
        regimes={str(k): str(v) for k, v in (raw.get("regimes") or {}).items()},
        effect_when=tuple(when),
    )


def _binds_text(applies: Mapping[str, Any]) -> str:
    if applies.get("all"):
        return "every vendor"
    labels = (
        ("vendor_countries", "vendors in {}"),
        ("person_countries", "engineers who are citizens of {}"),
        ("origins", "tools or items of {} origin"),
    )
    return ", ".join(
        text.format(" or ".join(v.lstrip("@") for v in applies[key]))
        for key, text in labels
        if applies.get(key)
    )


def parse_sources(text: str) -> dict[str, SourceSpec]:
    data = yaml.safe_load(text) or {}
    groups = _groups()
    out: dict[str, SourceSpec] = {}
    for key, raw in (data.get("sources") or {}).items():
        where = f"sources.{key}"
        if raw.get("format") not in FORMATS:
            raise SourceConfigError(f"{where}.format: one of {', '.join(FORMATS)}")
        applies = raw.get("applies_to") or {}
        out[key] = SourceSpec(
            key=key,
            name=raw.get("name") or key,
            publisher=raw.get("publisher") or "",
            format=raw["format"],
            url=raw.get("url") or "",
            page=raw.get("page") or "",
            refresh_hours=float(raw.get("refresh_hours", 24)),
            max_age_days=float(raw.get("max_age_days", 7)),
            max_drop_share=float(raw.get("max_drop_share", 0.2)),
            enabled=bool(raw.get("enabled", False)),
            binds_all=bool(applies.get("all")),
            vendor_countries=frozenset(
                _countries(applies.get("vendor_countries") or [], groups, where)
            ),
            person_countries=frozenset(
                _countries(applies.get("person_countries") or [], groups, where)
            ),
            origins=frozenset(_countries(applies.get("origins") or [], groups, where)),
            lists={
                code: _meaning(code, m or {}, groups, where)
                for code, m in (raw.get("lists") or {}).items()
            },
            binds_text=_binds_text(applies),
        )
        if not 0 < out[key].max_drop_share < 1:
            raise SourceConfigError(f"{where}.max_drop_share: between 0 and 1")
    if "us-csl" not in out:
        raise SourceConfigError("sources: the us-csl source is required")
    return out


@cache
def sources() -> dict[str, SourceSpec]:
    return parse_sources(SOURCES_FILE.read_text(encoding="utf-8"))


@cache
def mapping_version() -> str:
    """sha256 (first 12 hex digits) of sources.yaml, stored with every decision's list versions."""
    return hashlib.sha256(SOURCES_FILE.read_bytes()).hexdigest()[:12]


def source_of_list(list_code: str) -> SourceSpec | None:
    """The source whose meanings name `list_code` ("UN", "EU", …); None for the CSL's codes."""
    for spec in sources().values():
        if list_code in spec.lists:
            return spec
    return None


def hit_meaning(
    list_code: str,
    *,
    programs: Iterable[str],
    measures: str,
    document: Mapping[str, Any],
) -> dict[str, Any] | None:
    """What a hit on `list_code` means for the visit of `document`, as stored on the hit: effect,
    rule id, title, jurisdiction, citation (with the implementing act and regime), licence
    authority, confidence and source URL. None for a list judged by the rule packs (the CSL)."""
    spec = source_of_list(list_code)
    if spec is None:
        return None
    meaning = spec.lists[list_code]
    effect = meaning.effect
    folded = measures.casefold()
    for measure, when_effect in meaning.effect_when:
        if measure in folded:
            effect = when_effect
    citation = meaning.citation
    regimes = [meaning.regimes[p] for p in programs if p in meaning.regimes]
    if regimes:
        citation += f"; regime: {'; '.join(regimes)}"
    vendor = (document.get("vendor") or {}).get("country") or ""
    act = meaning.implementing.get(vendor) or meaning.implementing.get("*")
    if act:
        citation += f"; implemented for a vendor in {vendor or 'its country'} by {act}"
    bound = spec.binds(document)
    if not bound:
        # A listed party is still a listed party: held for review, never dropped.
        effect = "review"
        citation += f"; {spec.name} does not bind this visit's vendor, engineers or items"
    return {
        "effect": effect,
        "rule": f"LIST-{list_code}-HIT",
        "title": meaning.title,
        "jurisdiction": meaning.jurisdiction,
        "citation": citation,
        "authority": meaning.authority if effect == "licence_required" else None,
        "confidence": meaning.confidence,
        "source_url": meaning.source_url,
        "binds": bound,
    }
