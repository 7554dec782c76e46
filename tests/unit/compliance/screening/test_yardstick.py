"""The screening yardstick (tests/data/screening_eval): its labels hold by the neutral key, it is
rebuilt byte for byte by its script, and the matcher does not fall below the measured figures.

The floors are the figures of the last closing note less a small margin; raise them when the
matcher improves (``python bench/bench_screening_eval.py`` prints the figures)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from compliance.screening import DEFAULT_THRESHOLD, ParsedList, ScreeningIndex
from compliance.screening.yardstick import Query, evaluate, load, names_by_key, neutral_key

from .conftest import REPO_ROOT, TEST_DATA

YARDSTICK = TEST_DATA / "screening_eval"
RECALL_FLOOR = 0.95  # measured 0.961
PRECISION_FLOOR = 0.985  # measured 0.997
MOST_NEGATIVES_HIT = 1  # measured 0 of 300
CLASS_FLOORS = {
    "verbatim": 1.0,
    "case_punctuation": 0.95,
    "look_alike_letters": 0.98,
    "person_name_order": 0.98,
    "legal_form": 0.98,
    "typo": 0.92,
    "trailing_place": 0.95,
    "abbreviation": 0.87,
    "transliteration": 0.9,
    "person_without_middle_name": 0.88,
    "extra_generic_word": 0.92,
    "missing_generic_word": 0.9,
    "script_korean": 1.0,
    "script_cjk": 0.6,
    "bracketed_short_form": 0.92,
    "hand_structure": 0.9,
}


@pytest.fixture(scope="module")
def queries() -> list[Query]:
    return load(YARDSTICK)


def test_neutral_key_is_letters_and_digits_without_accents():
    assert neutral_key("  Société  Générale, S.A. ") == "societe generale s a"
    assert neutral_key("AL-ZAWAHIRI, Ayman") == "al zawahiri ayman"
    assert neutral_key("华为") == ""


def test_the_yardstick_is_large_enough_and_covers_every_class(queries):
    positives = [q for q in queries if q.positive]
    negatives = [q for q in queries if not q.positive]
    assert len(positives) >= 600
    assert len(negatives) >= 250
    classes = {q.variant for q in positives}
    assert {
        "abbreviation",
        "extra_generic_word",
        "missing_generic_word",
        "trailing_place",
        "bracketed_short_form",
        "person_name_order",
        "person_without_middle_name",
        "transliteration",
        "look_alike_letters",
        "script_cjk",
        "script_korean",
    } <= classes


def test_every_label_holds_by_the_neutral_key(queries, full_list: ParsedList):
    by_key = names_by_key(full_list.entries)
    ids = {e.entry_id for e in full_list.entries}
    for q in queries:
        if q.positive:
            assert q.targets <= ids, q
            # The row the query came from is one of its targets, found by its neutral key.
            assert by_key[neutral_key(q.source)] <= q.targets, q
        else:
            key = neutral_key(q.text)
            assert key not in by_key, q
            assert frozenset(key.split()) not in {frozenset(k.split()) for k in by_key}, q


def test_the_script_rebuilds_the_yardstick_byte_for_byte(tmp_path):
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "build_screening_eval.py"), "--out", tmp_path],
        check=True,
        capture_output=True,
    )
    for name in ("positives.jsonl", "negatives.jsonl"):
        assert (tmp_path / name).read_bytes() == (YARDSTICK / name).read_bytes(), name


def test_recall_and_precision_do_not_regress(queries, full_index: ScreeningIndex):
    outcome = evaluate(
        queries,
        lambda text: [m.entry_id for m in full_index.search(text, threshold=DEFAULT_THRESHOLD)],
    )
    assert outcome.recall >= RECALL_FLOOR, outcome.summary()
    assert outcome.precision >= PRECISION_FLOOR, outcome.summary()
    assert outcome.negatives_hit <= MOST_NEGATIVES_HIT, outcome.false_alarms
    by_class = outcome.summary()["recall_by_class"]
    for variant, floor in CLASS_FLOORS.items():
        assert by_class[variant] >= floor, (variant, by_class[variant])


def test_the_score_counts_a_wrong_entry_as_a_false_alarm():
    listed = Query("Acme", "verbatim", frozenset({"EL:1"}), source="Acme")
    unlisted = Query("Other", "negative", frozenset())
    outcome = evaluate([listed, unlisted], lambda text: ["EL:2"])
    assert outcome.found == 0 and outcome.wrong == 1 and outcome.negatives_hit == 1
    assert outcome.precision == 0.0 and outcome.recall == 0.0
    outcome = evaluate([listed, unlisted], lambda text: ["EL:1"] if text == "Acme" else [])
    assert outcome.recall == 1.0 and outcome.precision == 1.0
