"""Build the screening yardstick: `python scripts/build_screening_eval.py [--out DIR]`.

Reads the real 2022 Consolidated Screening List in tests/data/ and writes
tests/data/screening_eval/{positives,negatives}.jsonl (see compliance/screening/yardstick.py for the
scoring and the README there for the classes). Deterministic: a fixed seed, the list's own order.

Positives are derived programmatically from real rows, one variant class at a time, plus hand-written
hard cases (Chinese and Korean script, transliterations). Hard negatives are real unlisted companies
that share words with listed ones, and people whose given name is a listed person's and whose family
name is not. Every label is checked by the neutral key (never by the matcher): a positive's targets
are the entries whose name or alias has the neutral key of the row it came from, and a negative
whose neutral key (or word set) equals a listed name's is dropped. The script refuses to write when
a hand-written case names a party the list does not hold.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

import pycountry
from bench_screening import UNRELATED_COMPANIES, with_typo
from screening_eval_data import (
    ABBREVIATIONS,
    CITIES_BY_COUNTRY,
    GENERIC,
    HAND_WRITTEN,
    HARD_NEGATIVE_COMPANIES,
    LEGAL_FORMS,
    LOOK_ALIKES,
    NEGATIVE_FAMILY_NAMES,
    TRANSLITERATIONS,
)

from compliance.screening import ListEntry, parse_csl_file
from compliance.screening.yardstick import Query, names_by_key, neutral_key, write

LIST_FILE = REPO_ROOT / "tests" / "data" / "csl-full-2022-05-16.csv.gz"
OUT = REPO_ROOT / "tests" / "data" / "screening_eval"
SEED = 20261206
PER_CLASS = 55


def is_individual(entry: ListEntry) -> bool:
    return entry.entity_type == "Individual"


def is_company(entry: ListEntry) -> bool:
    return entry.entity_type in ("Entity", "") and len(neutral_key(entry.name).split()) >= 2


def person_parts(name: str) -> tuple[list[str], list[str]] | None:
    """(family words, given words) of a listed person written "FAMILY, Given" or "Given Family"."""
    if "," in name:
        family, _, given = name.partition(",")
        if "," in given:
            return None
        return family.split(), given.split()
    words = name.split()
    if len(words) < 2:
        return None
    return words[-1:], words[:-1]


Variant = Callable[[ListEntry, random.Random], str | None]


def v_verbatim(entry: ListEntry, rng: random.Random) -> str | None:
    return entry.name


def v_case_punctuation(entry: ListEntry, rng: random.Random) -> str | None:
    plain = re.sub(r"[^\w\s]", " ", entry.name)
    plain = " ".join(plain.split())
    return plain.lower() if rng.random() < 0.5 else plain.upper()


def v_typo(entry: ListEntry, rng: random.Random) -> str | None:
    return with_typo(entry.name, rng)


def v_legal_form(entry: ListEntry, rng: random.Random) -> str | None:
    if not is_company(entry):
        return None
    for form, other in LEGAL_FORMS:
        if entry.name.endswith(form):
            stem = entry.name[: -len(form)].rstrip(" ,")
            return stem if rng.random() < 0.5 else f"{stem} {other}"
    return None


def v_abbreviation(entry: ListEntry, rng: random.Random) -> str | None:
    words = entry.name.split(" ")
    spots = [i for i, w in enumerate(words) if w.strip(",").casefold() in ABBREVIATIONS]
    if not spots or not is_company(entry):
        return None
    for i in rng.sample(spots, k=min(len(spots), 2)):
        trail = "," if words[i].endswith(",") else ""
        words[i] = ABBREVIATIONS[words[i].strip(",").casefold()] + trail
    return " ".join(words)


def v_extra_generic(entry: ListEntry, rng: random.Random) -> str | None:
    if not is_company(entry) or len(entry.name.split()) < 3:
        return None
    cities = next((CITIES_BY_COUNTRY[c] for c in entry.countries if c in CITIES_BY_COUNTRY), None)
    if cities and rng.random() < 0.6:
        city = rng.choice(cities)
        if city.casefold() in entry.name.casefold():
            return None
        return f"{city} {entry.name}"
    for form, _ in LEGAL_FORMS:
        if entry.name.endswith(form):
            stem = entry.name[: -len(form)].rstrip(" ,")
            return f"{stem} {rng.choice(('Group', 'Holdings', 'International', 'Trading'))} {form}"
    return None


def v_missing_generic(entry: ListEntry, rng: random.Random) -> str | None:
    if not is_company(entry):
        return None
    words = entry.name.split(" ")
    spots = [i for i, w in enumerate(words) if w.strip(",").casefold() in GENERIC]
    distinctive = [w for w in words if w.strip(",.").casefold() not in GENERIC]
    if not spots or len(distinctive) < 2:
        return None
    del words[rng.choice(spots)]
    return " ".join(words)


_TRAILING_PLACE = re.compile(
    r"^(?P<name>.*?\b(?:Co\.,? Ltd\.?|Company Limited|Limited|Ltd\.?|Inc\.|Corporation|LLC))"
    r"(?:\s*\([^)]*\))?,\s+\S.*$"
)


def v_trailing_place(entry: ListEntry, rng: random.Random) -> str | None:
    """The name without the place the list prints after it ("…Co., Ltd., Chengdu, Sichuan"): the
    first comma-separated piece after the legal form must be in the entry's address and every piece
    short, so a subsidiary's own name is never cut."""
    match = _TRAILING_PLACE.match(entry.name)
    if not match or "affiliated" in entry.name.casefold():
        return None
    addresses = " ".join(entry.addresses).casefold()
    pieces = [p.strip() for p in entry.name[match.end("name") :].split(",") if p.strip()]
    pieces = [p for p in pieces if not p.startswith("(")]
    if not pieces or pieces[0].casefold() not in addresses or len(pieces) > 4:
        return None
    if any(len(p.split()) > 3 for p in pieces):
        return None
    return match["name"]


_BRACKET = re.compile(r"\s*\(([^)]+)\)")


def v_bracket(entry: ListEntry, rng: random.Random) -> str | None:
    found = _BRACKET.search(entry.name)
    if not found or not is_company(entry) or "affiliated" in entry.name.casefold():
        return None
    inner = found[1].strip()
    without = (entry.name[: found.start()] + entry.name[found.end() :]).strip(" ,")
    # An acronym alone is a weak alias; the screen should still find the name without it.
    addresses = " ".join(entry.addresses).casefold()
    if (
        rng.random() < 0.3
        and len(inner) >= 4
        and inner.isalpha()
        and not inner.isupper()
        and inner.casefold() not in addresses  # "(Pakistan)" is where, not who
        and pycountry.countries.get(name=inner) is None
    ):
        return inner
    return without


def v_person_order(entry: ListEntry, rng: random.Random) -> str | None:
    parts = person_parts(entry.name) if is_individual(entry) else None
    if not parts:
        return None
    family, given = parts
    if "," in entry.name:
        return " ".join(given + family)
    return f"{' '.join(family).upper()}, {' '.join(given)}"


def v_person_drop_middle(entry: ListEntry, rng: random.Random) -> str | None:
    parts = person_parts(entry.name) if is_individual(entry) else None
    if not parts or len(parts[1]) < 2:
        return None
    family, given = parts
    # "CHA, Sung Jun": a Korean or Chinese given name of two syllables is one name, not a given
    # name and a middle name.
    if set(entry.countries) & {"KP", "KR", "CN", "TW", "HK", "VN"} and len(given) == 2:
        return None
    given = given[:1]
    return (
        f"{' '.join(family)}, {' '.join(given)}" if "," in entry.name else " ".join(given + family)
    )


def v_transliteration(entry: ListEntry, rng: random.Random) -> str | None:
    words = entry.name.split(" ")
    for i, word in enumerate(words):
        bare = word.strip(",")
        for spelling, other in TRANSLITERATIONS:
            if bare.casefold() == spelling.casefold():
                other = other.upper() if bare.isupper() else other
                words[i] = word.replace(bare, other)
                return " ".join(words)
        if bare.casefold().startswith("al-") and len(bare) > 5:
            words[i] = word.replace(bare, bare[:2] + bare[3:])
            return " ".join(words)
    return None


def v_look_alike(entry: ListEntry, rng: random.Random) -> str | None:
    spots = [i for i, ch in enumerate(entry.name) if ch in LOOK_ALIKES]
    if len(spots) < 3:
        return None
    chars = list(entry.name)
    for i in rng.sample(spots, k=rng.randint(1, 3)):
        chars[i] = LOOK_ALIKES[chars[i]]
    return "".join(chars)


VARIANTS: dict[str, Variant] = {
    "verbatim": v_verbatim,
    "case_punctuation": v_case_punctuation,
    "typo": v_typo,
    "legal_form": v_legal_form,
    "abbreviation": v_abbreviation,
    "extra_generic_word": v_extra_generic,
    "missing_generic_word": v_missing_generic,
    "trailing_place": v_trailing_place,
    "bracketed_short_form": v_bracket,
    "person_name_order": v_person_order,
    "person_without_middle_name": v_person_drop_middle,
    "transliteration": v_transliteration,
    "look_alike_letters": v_look_alike,
}


def positives(
    entries: list[ListEntry], by_key: dict[str, set[str]], rng: random.Random
) -> list[Query]:
    queries: list[Query] = []
    for variant, make in VARIANTS.items():
        pool = entries[:]
        rng.shuffle(pool)
        made: set[str] = set()
        for entry in pool:
            if len(made) >= PER_CLASS:
                break
            text = make(entry, rng)
            if not text or text in made or len(neutral_key(text)) < 3:
                continue
            targets = by_key.get(neutral_key(entry.name), set())
            if entry.entry_id not in targets:  # a name with no letters or digits
                continue
            # A variant that is itself another listed name may hit that entry too.
            targets = targets | by_key.get(neutral_key(text), set())
            made.add(text)
            queries.append(Query(text, variant, frozenset(targets), source=entry.name))
    for text, listed, variant in HAND_WRITTEN:
        targets = by_key.get(neutral_key(listed))
        if not targets:
            raise SystemExit(f"hand-written case {text!r}: {listed!r} is not a listed name")
        queries.append(Query(text, variant, frozenset(targets), source=listed))
    return queries


def negatives(
    entries: list[ListEntry], by_key: dict[str, set[str]], rng: random.Random
) -> list[Query]:
    listed_word_sets = {frozenset(key.split()) for key in by_key}
    listed_words = {word for key in by_key for word in key.split() if len(word) >= 4}

    def unlisted(text: str) -> bool:
        key = neutral_key(text)
        return key not in by_key and frozenset(key.split()) not in listed_word_sets

    queries: list[Query] = []
    for text in HARD_NEGATIVE_COMPANIES + UNRELATED_COMPANIES:
        shared = sorted(set(neutral_key(text).split()) & listed_words)
        if unlisted(text) and text not in {q.text for q in queries}:
            why = f"unlisted company; shares {', '.join(shared)}" if shared else "unlisted company"
            queries.append(Query(text, "negative", frozenset(), source=why))
    persons = [e for e in entries if is_individual(e) and person_parts(e.name)]
    rng.shuffle(persons)
    listed_people = {frozenset(neutral_key(e.name).split()) for e in entries if is_individual(e)}
    for entry in persons:
        if len(queries) >= 300:
            break
        _, given = person_parts(entry.name)  # type: ignore[misc]
        first = given[0]
        if len(first) < 3 or not first.isalpha():
            continue
        other = rng.choice(NEGATIVE_FAMILY_NAMES)
        text = f"{first.capitalize()} {other}"
        words = frozenset(neutral_key(text).split())
        # Nobody listed carries both words (in any order, with any other names).
        if any(words <= person for person in listed_people) or not unlisted(text):
            continue
        if text in {q.text for q in queries}:
            continue
        queries.append(Query(text, "negative", frozenset(), source=f"given name of {entry.name}"))
    return queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    entries = list(parse_csl_file(LIST_FILE).entries)
    by_key = names_by_key(entries)
    rng = random.Random(SEED)
    queries = positives(entries, by_key, rng) + negatives(entries, by_key, rng)
    write(args.out, queries)
    classes: dict[str, int] = {}
    for q in queries:
        classes[q.variant] = classes.get(q.variant, 0) + 1
    for name, count in sorted(classes.items()):
        print(f"  {name:<28} {count:>4}")
    print(
        f"  {sum(q.positive for q in queries)} positives, "
        f"{sum(not q.positive for q in queries)} hard negatives -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
