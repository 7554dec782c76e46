"""Which visits a rule-set change can reach: a conservative over-approximation.

A change between two compiled rule sets is the set of rules whose definition differs (added,
removed, edited, switched on or off). Rules that are the same in both sets give the same findings
on the same inputs, so a visit's decision can only change if some changed rule, in its old or its
new version, could fire on it. Whether it could is read from the rule's declared scope and from
the conjuncts at the top of its condition that this module understands:

- its effective dates against the visit window (``Rule.in_force``);
- ``activity == "x"``, ``activity in [...]`` or ``activity in CONSTANT``;
- ``facility.country == "XX"``, ``facility.country in [...]`` / ``in CONSTANT``, and
  ``in_group(facility.country, "G")`` (every country that is ever a member of G, in either set);
- ``has_code(tool, "J", prefixes)``: some tool or item of the visit has a code of J that matches.

Anything else (a disjunction, a negation, a ternary, another fact) constrains nothing, so the
answer errs towards "may reach". A change to the country groups or the named constants reaches
every visit: facts derive from them, not only conditions.

Why a false conjunct is enough: CEL's ``&&`` is false as soon as one operand is false, even when
another operand is an error or not a boolean, so a condition with a false conjunct gives no
finding at all, not even SYSTEM-RULE-ERROR. That holds only if the conjunct itself cannot be an
error: ``activity in "maintenance"`` (``in`` on a string) is a type error on every visit, so it
constrains nothing here. String literals with a backslash escape are not read either (CEL and
Python do not agree on every escape).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from .celtools import Token, string_value, tokenize
from .coverage import PrefixSet
from .rulepack import Rule
from .ruleset import CompiledRuleSet

__all__ = ["RuleChange", "RuleReach", "VisitShape", "rule_change", "rule_reach"]


@dataclass(frozen=True)
class VisitShape:
    """What reach needs of a visit: its activity, facility country, window, and the
    (jurisdiction, code) classifications of its tools and items."""

    activity: str
    facility_country: str
    start: date
    end: date
    codes: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class RuleReach:
    """The visits one version of a rule could fire on. None: no constraint on that dimension."""

    rule: Rule
    activities: frozenset[str] | None
    countries: frozenset[str] | None
    code_tests: tuple[tuple[str, PrefixSet], ...]  # each must match some tool or item

    def may_reach(self, visit: VisitShape) -> bool:
        if not self.rule.in_force(visit.start, visit.end):
            return False
        if self.activities is not None and visit.activity not in self.activities:
            return False
        if self.countries is not None and visit.facility_country not in self.countries:
            return False
        return all(
            any(j == jurisdiction and prefixes.matches(code) for j, code in visit.codes)
            for jurisdiction, prefixes in self.code_tests
        )


@dataclass(frozen=True)
class RuleChange:
    """The difference between two rule sets, as what it can reach."""

    everything: bool  # the change may reach any visit (reference data, no previous set)
    reaches: tuple[RuleReach, ...]  # old and new versions of each changed rule
    changed: tuple[str, ...]  # codes of the changed rules

    def may_reach(self, visit: VisitShape) -> bool:
        return self.everything or any(r.may_reach(visit) for r in self.reaches)


def _enabled(ruleset: CompiledRuleSet) -> dict[str, Rule]:
    return {r.code: r for r in ruleset.rules if ruleset.is_enabled(r.code)}


def rule_change(old: CompiledRuleSet | None, new: CompiledRuleSet) -> RuleChange:
    """What switching from ``old`` to ``new`` can reach (everything when there is no ``old``)."""
    if old is None:
        return RuleChange(True, (), ())
    if old.version == new.version:
        return RuleChange(False, (), ())
    if old.packs.groups != new.packs.groups or old.packs.constants != new.packs.constants:
        return RuleChange(True, (), ())
    before, after = _enabled(old), _enabled(new)
    changed = sorted(
        code for code in before.keys() | after.keys() if before.get(code) != after.get(code)
    )
    reaches = []
    for code in changed:
        for ruleset, rules in ((old, before), (new, after)):
            if code in rules:
                reaches.append(rule_reach(rules[code], ruleset))
    return RuleChange(False, tuple(reaches), tuple(changed))


def _top_conjuncts(tokens: list[Token]) -> list[list[Token]]:
    """The operands of the top-level ``&&`` chain; the whole condition when it is not one."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for t in tokens:
        if t.kind == "op" and t.text in "([{":
            depth += 1
        elif t.kind == "op" and t.text in ")]}":
            depth -= 1
        elif depth == 0 and t.kind == "op" and t.text in ("||", "?"):
            return [tokens]  # lower precedence than &&: the chain is not the whole condition
        elif depth == 0 and t.kind == "op" and t.text == "&&":
            parts.append([])
            continue
        parts[-1].append(t)
    return [p for p in parts if p]


def _string(token: Token) -> str | None:
    """The value of a plain string literal without escapes; None otherwise."""
    return None if "\\" in token.text else string_value(token)


def _values(
    tokens: list[Token], constants: Mapping[str, tuple[str, ...]], *, single: bool = True
) -> frozenset[str] | None:
    """The strings of a literal (when ``single``), a list of literals or a named constant; None
    otherwise."""
    if len(tokens) == 1:
        t = tokens[0]
        if t.kind == "ident" and t.text in constants:
            return frozenset(constants[t.text])
        value = _string(t) if single else None
        return None if value is None else frozenset({value})
    if len(tokens) >= 2 and tokens[0].text == "[" and tokens[-1].text == "]":
        inner = tokens[1:-1]
        values = set()
        for i, t in enumerate(inner):
            if i % 2 == 1:
                if t.text != ",":
                    return None
                continue
            value = _string(t)
            if value is None:
                return None
            values.add(value)
        return frozenset(values)
    return None


def _texts(tokens: list[Token]) -> list[str]:
    return [t.text for t in tokens]


def _group_members(ruleset: CompiledRuleSet, group: str) -> frozenset[str] | None:
    for g in ruleset.groups:
        if g.code == group:
            return frozenset(m.country for m in g.members)
    return None


def rule_reach(rule: Rule, ruleset: CompiledRuleSet) -> RuleReach:
    """The visits ``rule`` (compiled in ``ruleset``) could fire on, from its top conjuncts."""
    constants = ruleset.constants
    activities: frozenset[str] | None = None
    countries: frozenset[str] | None = None
    code_tests: list[tuple[str, PrefixSet]] = []

    def narrow(current: frozenset[str] | None, values: frozenset[str]) -> frozenset[str]:
        return values if current is None else current & values

    for part in _top_conjuncts(tokenize(rule.when)):
        texts = _texts(part)
        # activity == "x" / "x" == activity / activity in [...] / activity in CONSTANT
        values = _compared(part, texts, ("activity",), constants)
        if values is not None:
            activities = narrow(activities, values)
        values = _compared(part, texts, ("facility", ".", "country"), constants)
        if values is not None:
            countries = narrow(countries, values)
        if texts[:6] == ["in_group", "(", "facility", ".", "country", ","] and texts[-1] == ")":
            group = _string(part[6]) if len(part) == 8 else None
            members = _group_members(ruleset, group) if group else None
            if members is not None:
                countries = narrow(countries, members)
        if texts[:4] == ["has_code", "(", "tool", ","] and texts[-1] == ")" and len(part) > 6:
            jurisdiction = _string(part[4])
            if jurisdiction is not None and texts[5] == ",":
                prefixes = _values(part[6:-1], constants)
                if prefixes is not None:
                    code_tests.append((jurisdiction, PrefixSet(sorted(prefixes))))
    return RuleReach(rule, activities, countries, tuple(code_tests))


def _compared(
    part: list[Token],
    texts: list[str],
    subject: tuple[str, ...],
    constants: Mapping[str, tuple[str, ...]],
) -> frozenset[str] | None:
    """The values of ``subject == value``, ``subject in value`` or ``value == subject``."""
    n = len(subject)
    if tuple(texts[:n]) == subject and len(texts) > n and texts[n] in ("==", "in"):
        # `x in "text"` is a type error (on every visit), not a test of x.
        return _values(part[n + 1 :], constants, single=texts[n] == "==")
    if tuple(texts[-n:]) == subject and len(texts) == n + 2 and texts[1] == "==":
        return _values(part[:1], constants)
    return None
