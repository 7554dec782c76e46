"""Static checks on CEL conditions that the `cel` package does not offer.

`cel.compile` checks syntax and `Program.variables()` names the root identifiers, but there is no
AST, so member accesses (`engineer.us_person`), helper-function arguments and comprehension
variables are found here with a small tokenizer. It only has to be right for expressions that
`cel.compile` already accepted.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = [
    "Precomputed",
    "Token",
    "Usage",
    "analyse",
    "code_test_name",
    "compile_source",
    "flat_name",
    "membership_name",
    "tokenize",
]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>(?:[rR][bB]?|[bB][rR]?)?(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
  | (?P<number>0[xX][0-9a-fA-F]+[uU]?|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?[uU]?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%!<>?:.,()\[\]{}])
    """,
    re.VERBOSE | re.DOTALL,
)

MACROS: Final = frozenset({"all", "exists", "exists_one", "map", "filter"})


@dataclass(frozen=True)
class Token:
    kind: str  # string | number | ident | op
    text: str


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:
            raise ValueError(f"cannot tokenize near {source[pos : pos + 20]!r}")
        kind = m.lastgroup or "ws"
        if kind != "ws":
            tokens.append(Token(kind, m.group()))
        pos = m.end()
    return tokens


def string_value(token: Token) -> str | None:
    """The value of a plain string literal (no raw/bytes prefix), else None."""
    if token.kind != "string" or token.text[0] not in "\"'":
        return None
    try:
        value = ast.literal_eval(token.text)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


@dataclass
class Usage:
    """What one condition refers to."""

    members: set[tuple[str, str]]  # (root, member) pairs such as ("engineer", "us_person")
    bare_roots: list[str]  # roots used without a member, other than tool passed to has_code
    bracket_roots: list[str]  # roots indexed with [...] instead of a member name
    bound: set[str]  # comprehension variables
    calls: list[tuple[str, list[list[Token]]]]  # (function, argument token lists)


def _arguments(tokens: list[Token], open_index: int) -> tuple[list[list[Token]], int]:
    """Split the argument list starting at tokens[open_index] == "(" at top-level commas."""
    args: list[list[Token]] = [[]]
    depth = 0
    i = open_index
    while i < len(tokens):
        t = tokens[i]
        if t.kind == "op" and t.text in "([{":
            depth += 1
            if depth > 1:
                args[-1].append(t)
        elif t.kind == "op" and t.text in ")]}":
            depth -= 1
            if depth == 0:
                return [a for a in args if a], i
            args[-1].append(t)
        elif t.kind == "op" and t.text == "," and depth == 1:
            args.append([])
        else:
            args[-1].append(t)
        i += 1
    return args, i


def analyse(source: str, roots: frozenset[str], functions: frozenset[str]) -> Usage:
    tokens = tokenize(source)
    usage = Usage(set(), [], [], set(), [])
    for i, t in enumerate(tokens):
        if t.kind != "ident":
            continue
        after_dot = i > 0 and tokens[i - 1].text == "." and tokens[i - 1].kind == "op"
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if after_dot and t.text in MACROS and nxt is not None and nxt.text == "(":
            if i + 3 < len(tokens) and tokens[i + 2].kind == "ident" and tokens[i + 3].text == ",":
                usage.bound.add(tokens[i + 2].text)
            continue
        if after_dot:
            continue
        if t.text in functions and nxt is not None and nxt.text == "(":
            args, _ = _arguments(tokens, i + 1)
            usage.calls.append((t.text, args))
            continue
        if t.text not in roots:
            continue
        if nxt is not None and nxt.kind == "op" and nxt.text == ".":
            member = tokens[i + 2] if i + 2 < len(tokens) else None
            if member is not None and member.kind == "ident":
                usage.members.add((t.text, member.text))
        elif nxt is not None and nxt.kind == "op" and nxt.text == "[":
            usage.bracket_roots.append(t.text)
        else:
            is_has_code_tool = (
                t.text == "tool"
                and i >= 2
                and tokens[i - 1].text == "("
                and tokens[i - 2].text == "has_code"
            )
            if not is_has_code_tool:
                usage.bare_roots.append(t.text)
    return usage


def _literal(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_quote(v) for v in values) + "]"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def flat_name(root: str, member: str) -> str:
    """The top-level CEL variable that carries `root.member` (see compile_source)."""
    return f"{root}__{member}"


def code_test_name(index: int) -> str:
    """The top-level CEL variable holding the result of the has_code call numbered `index`."""
    return f"tool__has_code__{index}"


def membership_name(scalar: str, constant: str) -> str:
    """The top-level CEL variable holding `scalar in CONSTANT` (e.g. activity in SUPPORT_ACTIVITIES)."""
    return f"{scalar}__in__{constant}"


@dataclass
class Precomputed:
    """Tests lifted out of conditions by compile_source, shared by all rules of a rule set.

    `code_tests[i]` is (jurisdiction, prefixes) of has_code call number i; `memberships` holds
    (scalar fact, constant) pairs of `activity in CONSTANT` tests.
    """

    code_tests: dict[tuple[str, tuple[str, ...]], int]
    memberships: set[tuple[str, str]]

    @classmethod
    def empty(cls) -> Precomputed:
        return cls({}, set())


def has_code_prefixes(
    args: list[list[Token]], constants: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """The prefixes of a validated has_code call: a string, a list of strings or a constant."""
    tokens = args[2]
    if len(tokens) == 1 and tokens[0].kind == "ident":
        return tuple(constants[tokens[0].text])
    return tuple(v for t in tokens if (v := string_value(t)) is not None)


_OPEN_CONTEXT: Final = frozenset({None, "(", "&&", "||", ",", "?", ":", "[", "{"})
_CLOSE_CONTEXT: Final = frozenset({None, ")", "&&", "||", ",", "?", ":", "]", "}", "==", "!="})


def compile_source(
    source: str,
    roots: frozenset[str],
    scalars: frozenset[str],
    constants: Mapping[str, tuple[str, ...]],
    precomputed: Precomputed,
) -> tuple[str, frozenset[int], frozenset[tuple[str, str]]]:
    """Rewrite a validated condition into the form that is compiled and executed.

    Returns the new source, the has_code tests it uses and the scalar-in-constant tests it uses.
    The rewrites keep the meaning of the condition (a test evaluates every rule both ways) and
    exist because converting values into a `cel.Context` dominates the cost of evaluation
    (measured with this package: ~1 us per string, map keys included; ~0.1 us per boolean):

    - `engineer.us_person` becomes the top-level variable `engineer__us_person`, so swapping the
      engineer or tool of an evaluation passes flat values instead of nested maps.
    - `has_code(tool, "NL", P)` depends on the tool only; it becomes a boolean variable
      `tool__has_code__<i>` computed in Python once per tool (see coverage.code_matches).
    - `activity in CONSTANT` depends on the visit only; it becomes `activity__in__CONSTANT`,
      computed once per visit.
    - Any other use of a constant becomes a list literal.
    """
    tokens = tokenize(source)
    out: list[str] = []
    code_tests: set[int] = set()
    memberships: set[tuple[str, str]] = set()
    i = 0
    while i < len(tokens):
        t = tokens[i]
        prev = tokens[i - 1].text if i > 0 else None
        nxt = tokens[i + 1].text if i + 1 < len(tokens) else None
        if t.kind == "ident" and prev != ".":
            if t.text == "has_code" and nxt == "(":
                args, end = _arguments(tokens, i + 1)
                jurisdiction = string_value(args[1][0]) or ""
                key = (jurisdiction, has_code_prefixes(args, constants))
                index = precomputed.code_tests.setdefault(key, len(precomputed.code_tests))
                code_tests.add(index)
                out.append(code_test_name(index))
                i = end + 1
                continue
            after = tokens[i + 3].text if i + 3 < len(tokens) else None
            if (
                t.text in scalars
                and nxt == "in"
                and i + 2 < len(tokens)
                and tokens[i + 2].text in constants
                # Only where `in` is the outermost operator of the operands (CEL gives
                # arithmetic and unary operators higher precedence than `in`).
                and prev in _OPEN_CONTEXT
                and after in _CLOSE_CONTEXT
            ):
                pair = (t.text, tokens[i + 2].text)
                precomputed.memberships.add(pair)
                memberships.add(pair)
                out.append(membership_name(*pair))
                i += 3
                continue
            if t.text in constants:
                out.append(_literal(constants[t.text]))
                i += 1
                continue
            if (
                t.text in roots
                and nxt == "."
                and i + 2 < len(tokens)
                and tokens[i + 2].kind == "ident"
            ):
                out.append(flat_name(t.text, tokens[i + 2].text))
                i += 3
                continue
        out.append(t.text)
        i += 1
    return " ".join(out), frozenset(code_tests), frozenset(memberships)
