"""Fuzzy screening of a name against every name and alias of a list snapshot: the index.

Scoring (the README gives the reasoning, the yardstick's figures and the evidence for the threshold)
----------------------------------------------------------------------------------------------------
Both sides are normalised to tokens (normalise.py). A query token and a list token *correspond*
(`token_pair_lcs`) when they are equal; when both have at least MIN_FUZZY_LENGTH characters and are
one typo apart (a wrong, missing, extra or swapped letter: their longest common subsequence, LCS,
`rapidfuzz.distance.LCSseq`, is at least the longer length minus one); when both have that length
and the same phonetic key (normalise.phonetic_key: "mohamed" ~ "muhammad"); or when one is an
abbreviation written with a full stop ("ind." ~ "industry", `is_abbreviation_of`).

Each token of a list name has a weight (weights.py): its length, less for weak words and middle
names. Corresponding tokens are paired greedily, largest contribution first, each token used once:
a pair earns the list token's weight times `pair_share` (1 when equal). Then

    score = matched / (weight of the list name + cost of the query tokens left unpaired)

An unpaired query token costs UNPAIRED_QUERY_CHARGE of its weight against a name with a distinctive
word, its whole weight against a name of weak words only, and its length against a one-word name;
against weak names a typo also costs the whole Dice loss, and a weak one-word name (an alias
"GROUP") pairs only with the same word. The score is 1.0 for the same words in any
order, and at most 1.0 because a name earns at most its own weight. It is additive over tokens,
which is what makes exact blocking possible (below), and it says which words matched.

The party's countries and date of birth, when given, adjust the score of a near miss both ways
(profile.py): a hint, never a filter, never the reason an unrelated name passes, and never the
reason an exact name is lost.

Blocking (why the index returns exactly what `full_scan` returns)
----------------------------------------------------------------
A query token's *capacity* is the most it can earn from any name: the heaviest weight any
corresponding list token has in any name, times the pair's share. A name that pairs with none of a
set S of query tokens earns at most the capacity C of the others and leaves the weight W of S
unpaired, so it scores at most C / (C + UNPAIRED_QUERY_CHARGE * W) (`scoring.reachable`). The index orders
the query tokens from rarest to most common and looks up only the first few, until that bound for
the rest falls below the threshold (and when one token is indispensable on its own, looking up that
one suffices). Looking a token up means: the exact token, every list token within one typo (a
deletion index: each token of MIN_FUZZY_LENGTH+ characters is stored under itself and under each of
its one-letter deletions), every list token with its phonetic key, and the abbreviations by their
first two letters. Postings are sorted by name weight and read only for names light enough to reach
the threshold, and each candidate's score is bounded from above before it is aligned. Every filter
drops only names that provably score below the threshold, and the survivors are scored by the same
function as `full_scan`, so both return the same matches by construction; the property tests check
it.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from compliance.screening.entries import ListEntry
from compliance.screening.explain import explain_match
from compliance.screening.names import KIND_ORDER, NameKind, searchable_names
from compliance.screening.normalise import (
    ABBREVIATION_MARK,
    MIN_ABBREVIATION_LENGTH,
    deletion_keys,
    normalise_name,
    phonetic_key,
)
from compliance.screening.profile import (
    Adjustment,
    BirthSpan,
    Profile,
    adjusted_score,
    adjustments,
    birth_spans,
    search_profile,
)
from compliance.screening.scoring import (
    MIN_FUZZY_LENGTH,
    STRONG,
    UNPAIRED_QUERY_CHARGE,
    Alignment,
    align,
    capacities,
    is_abbreviation_of,
    reachable,
    token_pair_lcs,
    unpaired_costs,
)
from compliance.screening.weights import is_distinctive, is_weak, name_weights

DEFAULT_THRESHOLD = 0.88
SCORE_DECIMALS = 4
# Blocking keeps every name whose unrounded score is this close below the threshold, so that a score
# rounded up to the threshold (SCORE_DECIMALS) is never lost by the index.
_BLOCKING_MARGIN = 1e-4
Birth = dt.date | str | None


@dataclass(frozen=True)
class Match:
    """One list entry hit by a screened name.

    `matched_name` is the name or alias of the entry that scored best (as printed in the list),
    `matched_alias` whether it is an alias rather than the entry's own name, `score` in 0..1 (with
    the country and date-of-birth adjustments of profile.py), `matched_tokens` the normalised words of `matched_name` that were paired, and
    `entry_hash` the entry's content hash, to which a false-positive mark is bound.
    """

    entry_id: str
    list_code: str
    entry_name: str
    matched_name: str
    matched_alias: bool
    score: float
    matched_tokens: tuple[str, ...]
    explanation: str
    entry_hash: str
    # The entry's licence review policy as the list states it (Entity List entries), or "".
    licence_policy: str = ""
    # The entry's programmes (a UN regime, EU regulation) and measures (UK), for what a hit means.
    programs: tuple[str, ...] = ()
    measures: str = ""


@dataclass(frozen=True)
class _Best:
    score: float
    adjusted_by: tuple[Adjustment, ...]  # the party's countries and date of birth (profile.py)
    name_index: int
    query: tuple[str, ...]
    alignment: Alignment


class ScreeningIndex:
    """An immutable, in-memory index of every searchable name of a list snapshot."""

    def __init__(self, entries: Sequence[ListEntry]) -> None:
        self.entries: tuple[ListEntry, ...] = tuple(entries)
        self._name_entry: list[int] = []
        self._name_text: list[str] = []
        self._name_kind: list[NameKind] = []
        self._name_tokens: list[tuple[str, ...]] = []
        self._name_weights: list[tuple[float, ...]] = []
        self._name_weight: list[float] = []
        # How strong a name is as evidence: STRONG, or weak words only, or one word; it picks the
        # cost of unpaired query words (scoring.unpaired_costs).
        self._name_evidence: list[int] = []
        # A weak one-word name (an alias "GROUP", "TECHNOLOGY") pairs only with the same word.
        self._exact_only: list[bool] = []
        postings: dict[str, list[int]] = {}
        self._birth_spans: list[tuple[BirthSpan, ...]] = []
        for entry_index, entry in enumerate(self.entries):
            person = entry.entity_type == "Individual"
            self._birth_spans.append(birth_spans(entry.dates_of_birth) if person else ())
            for search_name in searchable_names(entry):
                name_index = len(self._name_entry)
                self._name_entry.append(entry_index)
                self._name_text.append(search_name.text)
                self._name_kind.append(search_name.kind)
                self._name_tokens.append(search_name.tokens)
                weights = name_weights(search_name.text, search_name.tokens, person=person)
                self._name_weights.append(weights)
                self._name_weight.append(sum(weights))
                # One word ("ZINC") or no word that says who ("INDUSTRIAL BANK"): weak evidence,
                # the other words of the screened name cost more against it (`unpaired_costs`).
                strong = len(weights) > 1 and is_distinctive(search_name.tokens)
                self._name_evidence.append(STRONG if strong else 1 if len(weights) > 1 else 2)
                self._exact_only.append(len(weights) == 1 and is_weak(search_name.tokens[0]))
                for token in set(search_name.tokens):
                    postings.setdefault(token, []).append(name_index)
        # Postings in order of name weight, so that a query reads only the names light enough to
        # reach the threshold (a bisect on `_posting_weights`).
        self._postings: dict[str, tuple[int, ...]] = {}
        self._posting_weights: dict[str, tuple[float, ...]] = {}
        for token, ids in postings.items():
            ordered = sorted(ids, key=lambda i: (self._name_weight[i], i))
            self._postings[token] = tuple(ordered)
            self._posting_weights[token] = tuple(self._name_weight[i] for i in ordered)
        # Words by their first two letters, for abbreviations on either side.
        self._words_by_start: dict[str, list[str]] = {}
        self._abbreviations_by_start: dict[str, list[str]] = {}
        for token in self._postings:
            if token.endswith(ABBREVIATION_MARK):
                self._abbreviations_by_start.setdefault(token[:2], []).append(token)
            elif len(token) >= MIN_ABBREVIATION_LENGTH:
                self._words_by_start.setdefault(token[:2], []).append(token)
        self._abbreviation_rows: dict[str, dict[str, int]] = {}
        # The most each list token weighs in any name: it bounds what a query token can earn.
        self._heaviest: dict[str, float] = {}
        for tokens, weights in zip(self._name_tokens, self._name_weights, strict=True):
            for token, weight in zip(tokens, weights, strict=True):
                if weight > self._heaviest.get(token, 0.0):
                    self._heaviest[token] = weight
        self._by_phonetic_key: dict[str, list[str]] = {}
        for token in self._postings:
            key = phonetic_key(token)
            if key:
                self._by_phonetic_key.setdefault(key, []).append(token)
        deletions: dict[str, list[str]] = {}
        for token in self._postings:
            if len(token) >= MIN_FUZZY_LENGTH and not token.endswith(ABBREVIATION_MARK):
                for key in deletion_keys(token):
                    deletions.setdefault(key, []).append(token)
        self._deletions: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in deletions.items()}

    @classmethod
    def build(cls, entries: Iterable[ListEntry]) -> ScreeningIndex:
        return cls(tuple(entries))

    @property
    def name_count(self) -> int:
        return len(self._name_entry)

    @property
    def token_count(self) -> int:
        return len(self._postings)

    def _query_variants(self, tokens: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The query, plus each spelling with two neighbouring words joined into a list word
        ("Hua Wei" -> "huawei", "Global Foundries" -> "globalfoundry")."""
        variants = [tokens]
        for i in range(len(tokens) - 1):
            joined = tokens[i] + tokens[i + 1]
            if joined in self._postings:
                variants.append((*tokens[:i], joined, *tokens[i + 2 :]))
        return variants

    def _corresponding(self, token: str) -> dict[str, int]:
        """List tokens corresponding to `token`, with their LCS, via the deletion index and the
        words by their first letters (abbreviations)."""
        if token.endswith(ABBREVIATION_MARK):
            row = self._abbreviation_rows.get(token)
            if row is None:
                stem = token[:-1]
                row = {
                    word: len(stem)
                    for word in self._words_by_start.get(token[:2], ())
                    if is_abbreviation_of(stem, word)
                }
                if token in self._postings:
                    row[token] = len(token)
                if len(self._abbreviation_rows) < 4096:
                    self._abbreviation_rows[token] = row
            return dict(row)
        found = {
            abbreviation: len(abbreviation) - 1
            for abbreviation in self._abbreviations_by_start.get(token[:2], ())
            if is_abbreviation_of(abbreviation[:-1], token)
        }
        for sounding in self._by_phonetic_key.get(phonetic_key(token), ()):
            found[sounding] = token_pair_lcs(token, sounding)
        if len(token) < MIN_FUZZY_LENGTH:
            if token in self._postings:
                found[token] = len(token)
            return found
        for key in deletion_keys(token):
            for list_token in self._deletions.get(key, ()):
                if list_token not in found:
                    lcs = token_pair_lcs(token, list_token)
                    if lcs > 0:
                        found[list_token] = lcs
        return found

    def search(
        self,
        name: str,
        *,
        country: str | None = None,
        countries: Iterable[str] = (),
        date_of_birth: Birth = None,
        threshold: float = DEFAULT_THRESHOLD,
        limit: int = 10,
    ) -> list[Match]:
        """Entries whose best name scores at least `threshold` against `name`, best first; the
        party's `country`/`countries` (ISO codes) and `date_of_birth` adjust near misses."""
        profile = search_profile(country, countries, date_of_birth, threshold, limit)
        floor = threshold - profile.max_boost - _BLOCKING_MARGIN
        best: dict[int, _Best] = {}
        for query in self._query_variants(normalise_name(name)):
            costs = unpaired_costs(query)
            weights = costs[1]
            rows = [self._corresponding(token) for token in query]
            caps = capacities(query, rows, self._heaviest)
            rows_of: dict[str, list[int]] = {}
            for i, row in enumerate(rows):
                for token in row:
                    rows_of.setdefault(token, []).append(i)
            total = sum(weights)
            for name_index in self._candidates(query, weights, caps, rows, floor):
                tokens = self._name_tokens[name_index]
                name_weight = self._name_weight[name_index]
                # Upper bound of the score: every query token with a corresponding token in the name
                # pairs to its capacity, every other one is unpaired. Most candidates share one
                # rare word and nothing else; this drops them before the (costlier) alignment,
                # without changing any result.
                hit = {i for token in tokens for i in rows_of.get(token, ())}
                paired = sum(caps[i] for i in hit)
                unpaired = total - sum(weights[i] for i in hit)
                matchable = min(paired, name_weight)
                if matchable < floor * (name_weight + UNPAIRED_QUERY_CHARGE * unpaired):
                    continue
                alignment = align(
                    query,
                    tokens,
                    self._name_weights[name_index],
                    name_weight,
                    self._name_evidence[name_index] == STRONG,
                    costs[self._name_evidence[name_index]],
                    rows,
                    exact_only=self._exact_only[name_index],
                )
                self._keep_best(best, name_index, query, alignment, profile, threshold)
        return self._matches(best, limit)

    def _candidates(
        self,
        query: tuple[str, ...],
        weights: tuple[float, ...],
        caps: Sequence[float],
        rows: Sequence[Mapping[str, int]],
        floor: float,
    ) -> set[int]:
        """Names light enough to reach `floor` that pair with at least one of the rarest query
        tokens; see the module docstring."""
        if floor <= 0:
            return set(range(self.name_count))
        capacity = sum(caps)
        # A name scores at most what it matches over its weight, and matches at most `capacity`.
        heaviest = capacity / floor * (1 + 1e-9)
        slices: list[list[tuple[str, int]]] = []  # per query token: (token, stop)
        costs: list[int] = []
        for row in rows:
            ranges = []
            for token in row:
                ranges.append((token, bisect_right(self._posting_weights[token], heaviest)))
            slices.append(ranges)
            costs.append(sum(stop for _, stop in ranges))
        # Tokens that every passing name must pair with: without one of them, what the rest can
        # match against what it leaves unpaired stays below the floor. One of them alone is then a
        # complete candidate source.
        mandatory = [
            i
            for i in range(len(query))
            if reachable(capacity - caps[i], weights[i]) < floor * (1 - 1e-9)
        ]
        order = sorted(range(len(query)), key=lambda i: (costs[i], -caps[i], query[i], i))
        # Otherwise, prefix filtering: a name pairing with none of the looked-up tokens leaves all
        # of their weight unpaired and matches at most the capacity of the others.
        chosen: list[int] = []
        rest, looked_up = capacity, 0.0
        for i in order:
            if reachable(rest, looked_up) < floor * (1 - 1e-9):
                break
            chosen.append(i)
            rest -= caps[i]
            looked_up += weights[i]
        if mandatory:
            cheapest = min(mandatory, key=lambda i: (costs[i], i))
            if costs[cheapest] <= sum(costs[i] for i in chosen):
                chosen = [cheapest]
        candidates: set[int] = set()
        for i in chosen:
            for token, stop in slices[i]:
                candidates.update(self._postings[token][:stop])
        return candidates

    def full_scan(
        self,
        name: str,
        *,
        country: str | None = None,
        countries: Iterable[str] = (),
        date_of_birth: Birth = None,
        threshold: float = DEFAULT_THRESHOLD,
        limit: int = 10,
    ) -> list[Match]:
        """The same search without the index: every token pair of every name is compared.

        The benchmark baseline and the test oracle for `search`.
        """
        profile = search_profile(country, countries, date_of_birth, threshold, limit)
        best: dict[int, _Best] = {}
        list_tokens = list(self._postings)
        for query in self._query_variants(normalise_name(name)):
            rows: list[dict[str, int]] = []
            for token in query:
                row: dict[str, int] = {}
                for list_token in list_tokens:
                    lcs = token_pair_lcs(token, list_token)
                    if lcs > 0:
                        row[list_token] = lcs
                rows.append(row)
            costs = unpaired_costs(query)
            for name_index, tokens in enumerate(self._name_tokens):
                alignment = align(
                    query,
                    tokens,
                    self._name_weights[name_index],
                    self._name_weight[name_index],
                    self._name_evidence[name_index] == STRONG,
                    costs[self._name_evidence[name_index]],
                    rows,
                    exact_only=self._exact_only[name_index],
                )
                self._keep_best(best, name_index, query, alignment, profile, threshold)
        return self._matches(best, limit)

    def _keep_best(
        self,
        best: dict[int, _Best],
        name_index: int,
        query: tuple[str, ...],
        alignment: Alignment,
        profile: Profile,
        threshold: float,
    ) -> None:
        if not alignment.pairs:
            return
        entry_index = self._name_entry[name_index]
        found: tuple[Adjustment, ...] = ()
        if profile:
            found = adjustments(
                profile, self.entries[entry_index].countries, self._birth_spans[entry_index]
            )
        score = round(adjusted_score(alignment.raw_score, found, threshold), SCORE_DECIMALS)
        if score < threshold:
            return
        current = best.get(entry_index)
        candidate = _Best(score, found, name_index, query, alignment)
        if current is None or self._rank(candidate) < self._rank(current):
            best[entry_index] = candidate

    def _rank(self, found: _Best) -> tuple[float, float, int, int]:
        # Highest score first; then the unboosted raw score, so a tie on the capped 1.0 prefers the
        # better-spelled name; then the entry's own name over its aliases; then publication order.
        return (
            -found.score,
            -found.alignment.raw_score,
            KIND_ORDER[self._name_kind[found.name_index]],
            found.name_index,
        )

    def _matches(self, best: Mapping[int, _Best], limit: int) -> list[Match]:
        ranked = sorted(
            best.items(),
            key=lambda item: (*self._rank(item[1])[:2], self.entries[item[0]].entry_id),
        )
        return [self._match(entry_index, found) for entry_index, found in ranked[:limit]]

    def _match(self, entry_index: int, found: _Best) -> Match:
        entry = self.entries[entry_index]
        name_tokens = self._name_tokens[found.name_index]
        matched = tuple(
            name_tokens[j] for _, j, _ in sorted(found.alignment.pairs, key=lambda p: p[1])
        )
        return Match(
            licence_policy=entry.license_policy,
            programs=entry.programs,
            measures=entry.license_requirement if entry.list_code == "UK" else "",
            entry_id=entry.entry_id,
            list_code=entry.list_code,
            entry_name=entry.name,
            matched_name=self._name_text[found.name_index],
            matched_alias=self._name_kind[found.name_index] in ("alias", "short_form"),
            score=found.score,
            matched_tokens=matched,
            explanation=explain_match(
                entry,
                kind=self._name_kind[found.name_index],
                text=self._name_text[found.name_index],
                query=found.query,
                name_tokens=name_tokens,
                weights=self._name_weights[found.name_index],
                strong=self._name_evidence[found.name_index] == STRONG,
                pairs=found.alignment.pairs,
                raw_score=found.alignment.raw_score,
                score=found.score,
                adjusted_by=found.adjusted_by,
            ),
            entry_hash=entry.content_hash,
        )
