"""The screening yardstick: a labelled set of queries and how a matcher scores on it.

The set lives in ``tests/data/screening_eval/`` and is built by ``scripts/build_screening_eval.py``
(fixed seed) from the real 2022 Consolidated Screening List. Each positive query names the list
entries it must hit; each hard negative must hit nothing. Labels are decided by a *neutral key* (a
plain letters-and-digits spelling of a name, below) and never by the matcher being measured, so a
matcher cannot grade its own homework.

Scoring, per query, at the matcher's default threshold:

- a positive query is *found* when any returned entry is one of its targets (recall = found /
  positives); when it returns entries but none of its targets, that is a wrong hit;
- a negative query that returns any entry is a hard negative hit;
- precision = found / (found + wrong hits + hard negatives hit): of the queries that raised an
  alarm, the share that raised it for the right party.
"""

from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from compliance.screening.entries import ListEntry

_ALNUM = re.compile(r"[a-z0-9]+")


def neutral_key(name: str) -> str:
    """Lower-case ASCII letters and digits of ``name``, one space between words: accents dropped
    (NFKD), everything else a word break. Independent of the matcher's normalisation."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(_ALNUM.findall(plain))


def names_by_key(entries: Iterable[ListEntry]) -> dict[str, set[str]]:
    """Entry ids under the neutral key of each of their names and aliases."""
    by_key: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        for text in (entry.name, *entry.alt_names):
            key = neutral_key(text)
            if key:
                by_key[key].add(entry.entry_id)
    return by_key


@dataclass(frozen=True)
class Query:
    text: str
    variant: str  # the variant class; "negative" for a hard negative
    targets: frozenset[str]  # entry ids any of which counts as found; empty for a negative
    source: str = ""  # the list name the query was derived from, or why it is a negative

    @property
    def positive(self) -> bool:
        return bool(self.targets)


def load(directory: Path) -> list[Query]:
    """The positives and hard negatives of a yardstick directory, in file order."""
    queries: list[Query] = []
    for filename in ("positives.jsonl", "negatives.jsonl"):
        with (directory / filename).open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                queries.append(
                    Query(
                        text=row["query"],
                        variant=row["variant"],
                        targets=frozenset(row.get("targets", ())),
                        source=row.get("source", ""),
                    )
                )
    return queries


def write(directory: Path, queries: Sequence[Query]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for filename, positive in (("positives.jsonl", True), ("negatives.jsonl", False)):
        with (directory / filename).open("w", encoding="utf-8") as handle:
            for q in queries:
                if q.positive != positive:
                    continue
                row: dict[str, object] = {"query": q.text, "variant": q.variant}
                if positive:
                    row["targets"] = sorted(q.targets)
                row["source"] = q.source
                handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


@dataclass
class Outcome:
    """What a matcher did on the yardstick."""

    positives: int = 0
    negatives: int = 0
    found: int = 0
    wrong: int = 0
    negatives_hit: int = 0
    per_class: dict[str, list[int]] = field(default_factory=dict)  # class -> [found, total]
    seconds: list[float] = field(default_factory=list)
    misses: list[Query] = field(default_factory=list)
    false_alarms: list[tuple[Query, tuple[str, ...]]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.positives if self.positives else 0.0

    @property
    def precision(self) -> float:
        alarms = self.found + self.wrong + self.negatives_hit
        return self.found / alarms if alarms else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def negatives_hit_share(self) -> float:
        return self.negatives_hit / self.negatives if self.negatives else 0.0

    def summary(self) -> dict[str, object]:
        ordered = sorted(self.seconds)
        return {
            "positives": self.positives,
            "negatives": self.negatives,
            "recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
            "f1": round(self.f1, 4),
            "wrong_hits": self.wrong,
            "negatives_hit": self.negatives_hit,
            "negatives_hit_share": round(self.negatives_hit_share, 4),
            "recall_by_class": {
                name: round(found / total, 4)
                for name, (found, total) in sorted(self.per_class.items())
            },
            "median_ms": round(statistics.median(ordered) * 1000, 4) if ordered else None,
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 4) if ordered else None,
        }


def evaluate(queries: Sequence[Query], search: Callable[[str], Sequence[str]]) -> Outcome:
    """Run ``search`` (a query to the entry ids it hits) over every query and score it."""
    outcome = Outcome()
    clock = time.perf_counter
    for q in queries:
        started = clock()
        hit = tuple(search(q.text))
        outcome.seconds.append(clock() - started)
        if q.positive:
            outcome.positives += 1
            tally = outcome.per_class.setdefault(q.variant, [0, 0])
            tally[1] += 1
            if q.targets.intersection(hit):
                outcome.found += 1
                tally[0] += 1
            else:
                outcome.misses.append(q)
                if hit:
                    outcome.wrong += 1
                    outcome.false_alarms.append((q, hit))
        else:
            outcome.negatives += 1
            if hit:
                outcome.negatives_hit += 1
                outcome.false_alarms.append((q, hit))
    return outcome
