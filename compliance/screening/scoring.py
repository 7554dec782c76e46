"""Token correspondence and the score of one list name against a screened name.

The definitions the index (matcher.py) and its full scan share; the module docstring of matcher.py
and the README explain the score and why blocking on it is exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from compliance.screening.normalise import (
    ABBREVIATION_MARK,
    phonetic_lcs,
    typo_lcs,
)
from compliance.screening.weights import query_weight

# What a word of the screened name that pairs with nothing in the list name costs, as a share of
# its weight: "Beijing X Technology" still meets "X Technology".
UNPAIRED_QUERY_CHARGE = 0.5
MIN_FUZZY_LENGTH = 5
# The evidence level of a name with a distinctive word: the index of its costs in unpaired_costs.
STRONG = 0


def is_abbreviation_of(abbreviation: str, word: str) -> bool:
    """Whether `abbreviation` (without its full stop) abbreviates `word`: the same first two letters
    and the rest of its letters in order inside the word ("ind" industry, "trdg" trading, "indl"
    industrial)."""
    if word.endswith(ABBREVIATION_MARK) or word[:2] != abbreviation[:2]:
        return False
    if len(word) < len(abbreviation):
        return False
    position = 2
    for letter in abbreviation[2:]:
        position = word.find(letter, position) + 1
        if position == 0:
            return False
    return True


def token_pair_lcs(query_token: str, list_token: str) -> int:
    """LCS length when the two tokens correspond (equal, one typo apart, the same phonetic key, or
    one an abbreviation of the other), else -1."""
    if query_token == list_token:
        return len(query_token)
    query_dotted = query_token.endswith(ABBREVIATION_MARK)
    list_dotted = list_token.endswith(ABBREVIATION_MARK)
    if query_dotted or list_dotted:
        if query_dotted and list_dotted:
            return -1
        abbreviation, word = (
            (query_token, list_token) if query_dotted else (list_token, query_token)
        )
        abbreviation = abbreviation[:-1]
        return len(abbreviation) if is_abbreviation_of(abbreviation, word) else -1
    lcs = -1
    if min(len(query_token), len(list_token)) >= MIN_FUZZY_LENGTH:
        lcs = typo_lcs(query_token, list_token)
    # Short tokens (acronyms, "smic" against "smich") must match exactly.
    return lcs if lcs > 0 else phonetic_lcs(query_token, list_token)


@dataclass(frozen=True)
class Alignment:
    raw_score: float
    pairs: tuple[tuple[int, int, int], ...]  # (query position, name position, LCS)


def align(
    query: Sequence[str],
    name: Sequence[str],
    name_weights: Sequence[float],
    name_weight: float,
    strong: bool,
    unpaired_costs: Sequence[float],
    rows: Sequence[Mapping[str, int]],
    *,
    exact_only: bool = False,
) -> Alignment:
    """Greedy one-to-one pairing of corresponding tokens, largest contribution first, and the score
    (module docstring). With `exact_only` (a weak one-word alias: "TECHNOLOGY") only equal tokens
    pair: a typo of a generic word is no evidence at all.

    `rows[i]` maps a list token to its LCS with `query[i]` for the tokens that correspond; the index
    fills it from the deletion index, `full_scan` by comparing against every token.
    """
    candidates: list[tuple[float, int, int, int]] = []
    for i, row in enumerate(rows):
        for j, token in enumerate(name):
            lcs = row.get(token, -1)
            if lcs > 0 and (not exact_only or query[i] == token):
                share = pair_share(lcs, len(query[i]), len(token))
                if not strong:
                    share = 2 * share - 1  # the full Dice loss: "linde" is not "linda"
                contribution = share * name_weights[j]
                candidates.append((-contribution, i, j, lcs))
    if not candidates:
        return Alignment(0.0, ())
    candidates.sort()
    used_query: set[int] = set()
    used_name: set[int] = set()
    pairs: list[tuple[int, int, int]] = []
    matched = 0.0
    for contribution, i, j, lcs in candidates:
        if i in used_query or j in used_name:
            continue
        used_query.add(i)
        used_name.add(j)
        pairs.append((i, j, lcs))
        matched -= contribution
    unpaired = sum(c for i, c in enumerate(unpaired_costs) if i not in used_query)
    return Alignment(matched / (name_weight + unpaired), tuple(sorted(pairs)))


def pair_share(lcs: int, query_length: int, list_length: int) -> float:
    """How much of a list word's weight a corresponding query word earns in a name that says who
    the party is: all of it when they are equal, a little less with one typo (half the Dice loss:
    "huawie" earns 0.92 of "huawei"). Weak names (one word, or no distinctive word) charge the
    full Dice loss (``2 * share - 1``), so "Linde" does not meet "LINDA"."""
    return 0.5 + lcs / (query_length + list_length)


def unpaired_costs(
    query: Sequence[str],
) -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
    """What each query token costs when it pairs with nothing: against a name that says who the
    party is, UNPAIRED_QUERY_CHARGE of its weight; against a name of weak words only ("INDUSTRIAL
    BANK"), all of its weight; against a one-word name ("ZINC"), its full length."""
    weights = tuple(map(query_weight, query))
    return (
        tuple(UNPAIRED_QUERY_CHARGE * w for w in weights),
        weights,
        tuple(float(len(t)) for t in query),
    )


def capacities(
    query: Sequence[str], rows: Sequence[Mapping[str, int]], heaviest: Mapping[str, float]
) -> list[float]:
    """The most each query token can contribute to any name: what its heaviest corresponding list
    token weighs in any name (`heaviest`), scaled by the pair's similarity."""
    caps: list[float] = []
    for token, row in zip(query, rows, strict=True):
        q = len(token)
        caps.append(
            max((pair_share(lcs, q, len(t)) * heaviest[t] for t, lcs in row.items()), default=0.0)
        )
    return caps


def reachable(paired_cap: float, unpaired_weight: float) -> float:
    """The highest score of a name that pairs with query tokens of capacity `paired_cap` at most
    and leaves query tokens of weight `unpaired_weight` unpaired (the name weighs at least what it
    matches, and its charge is at least UNPAIRED_QUERY_CHARGE)."""
    if paired_cap <= 0:
        return 0.0
    return paired_cap / (paired_cap + UNPAIRED_QUERY_CHARGE * unpaired_weight)
