"""Rule pack data types, the vocabulary rules may use, and shared validation helpers."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

SCOPES: Final = ("visit", "engineer", "tool", "engineer_tool", "item")
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
    # An item shipped, handed over or transferred, seen as `tool` (compliance/engine/items.py).
    "item": frozenset({"vendor", "facility", "tool"}),
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


# Sane limits, also those of the database columns the rules are copied into.

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


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
        self.lines = lines = [_describe(*e) for e in self.errors]
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


class Collector:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str | None, str]] = []

    def add(self, file: str, code: str | None, problem: str) -> None:
        self.errors.append((file, code, problem))


def normalise_text(text: str) -> str:
    # Same version on every checkout, whatever the line endings.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def as_date(value: object) -> date | None:
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


def nonblank(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def unknown_fields(item: Mapping[str, Any], allowed: frozenset[str]) -> list[str]:
    return sorted(str(k) for k in item if k not in allowed)


def sha256_json(payload: object) -> str:
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
