"""Compiling validated rule packs into an immutable `CompiledRuleSet` (DESIGN sec. 5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import cel

from .celtools import Precomputed, analyse, compile_source
from .coverage import PrefixSet
from .facts import OBJECT_ROOTS, SCALAR_FACTS, Window, fact_kind
from .rulepack import HELPERS, PLACEHOLDER, CountryGroup, Rule, RulePacks, sha256_json


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


SCOPE_ORDER: Final = ("visit", "engineer", "tool", "engineer_tool", "item")


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
    for m in PLACEHOLDER.finditer(message):
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
                # Item rules see the shipped item as `tool`.
                "item": read(("item",), "tool"),
            },
            code_tests={
                "tool": frozenset(i for c in by_scope["tool"] for i in c.code_tests),
                "pair_tool": frozenset(i for c in by_scope["engineer_tool"] for i in c.code_tests),
                "item": frozenset(i for c in by_scope["item"] for i in c.code_tests),
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
    version = sha256_json(
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
