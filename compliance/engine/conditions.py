"""Static checks of a rule's CEL condition and message against the facts of its scope."""

from __future__ import annotations

import re
from collections.abc import Mapping

import cel

from .celtools import Precomputed, analyse, compile_source, string_value, tokenize
from .document import ACTIVITIES, CLASSIFICATION_JURISDICTIONS
from .facts import FACT_VOCABULARY, OBJECT_ROOTS, SCALAR_FACTS
from .rulepack import BUILTIN_FUNCTIONS, HELPERS, PLACEHOLDER, SCOPE_ROOTS, Collector, Rule


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


def check_condition(
    rule: Rule,
    group_codes: frozenset[str],
    constants: Mapping[str, tuple[str, ...]],
    errors: Collector,
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
    for placeholder in PLACEHOLDER.findall(rule.message):
        problem = (
            fact_path_problem(placeholder, rule.scope)
            if placeholder == placeholder.strip()
            else "no spaces inside braces"
        )
        if problem:
            fail(f"in 'message': placeholder {{{placeholder}}}: {problem}")
    if "{" in PLACEHOLDER.sub("", rule.message) or "}" in PLACEHOLDER.sub("", rule.message):
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
