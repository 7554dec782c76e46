"""Scoring by word weight and coverage on the real 2022 list: what the yardstick's classes mean,
one example each, and the namesakes that must stay clear."""

from __future__ import annotations

from collections import Counter

import pytest

from compliance.screening import ScreeningIndex
from compliance.screening.names import searchable_names
from compliance.screening.normalise import normalise_name
from compliance.screening.weights import (
    INSTITUTION_WORDS,
    MIDDLE_NAME_WEIGHT,
    WEAK_WEIGHT,
    is_weak,
    name_weights,
)

COMTEL = "EL:2d7cf5d12caaea51f83129dbbc35ad174f98211f"
CHENGDU_HUAWEI = "EL:55da321b8843d47cde0ce279197011fb83b3492d"
HUAWEI_CMIC = "CMIC:30947"


def ids(index: ScreeningIndex, query: str) -> set[str]:
    return {m.entry_id for m in index.search(query)}


def names(index: ScreeningIndex, query: str) -> set[str]:
    return {m.entry_name for m in index.search(query)}


def test_weak_words_count_little_and_middle_names_are_optional():
    tokens = normalise_name("Comtel Technology Limited")
    assert name_weights("Comtel Technology Limited", tokens, person=False) == (6.0, WEAK_WEIGHT)
    tokens = normalise_name("KANOKOV, Timur Borisovich")
    assert name_weights("KANOKOV, Timur Borisovich", tokens, person=True) == (
        7.0,
        5.0,
        MIDDLE_NAME_WEIGHT,
    )
    # A place beside nothing distinctive is who the party is: it counts in full.
    tokens = normalise_name("Tianjin University")
    assert name_weights("Tianjin University", tokens, person=False) == (7.0, 10.0)


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("Shanghai Comtel Technology Limited", "Comtel Technology Limited"),  # an extra city
        ("Zurmat General", "Zurmat General Trading"),  # a missing generic word
        ("KANOKOV, Timur", "KANOKOV, Timur Borisovich"),  # without the patronymic
        ("Timur Borisovich KANOKOV", "KANOKOV, Timur Borisovich"),  # "First LAST"
        ("AVIATION Ind. Corp. OF CHINA", "AVIATION INDUSTRY CORPORATION OF CHINA, LTD."),
        ("Korea Mining Dev. Trdg. Corp.", "Korea Mining Development Trading Corporation"),
        ("조선광업개발무역회사", "Korea Mining Development Trading Corporation"),
    ],
)
def test_variants_of_a_listed_name_hit_it(full_index: ScreeningIndex, query, listed):
    assert listed in names(full_index, query)


def test_a_chinese_script_name_hits_the_romanised_entry(full_index: ScreeningIndex):
    assert HUAWEI_CMIC in ids(full_index, "华为技术有限公司")


def test_a_place_printed_after_the_legal_form_is_optional(full_index: ScreeningIndex):
    [match] = [
        m
        for m in full_index.search("Chengdu Huawei Technologies Co., Ltd.")
        if m.entry_id == CHENGDU_HUAWEI
    ]
    assert match.score == 1.0
    assert match.matched_name == "Chengdu Huawei Technologies Co., Ltd"


def test_the_explanation_says_which_words_counted_little(full_index: ScreeningIndex):
    [match] = [m for m in full_index.search("Shanghai Comtel Technology") if m.entry_id == COMTEL]
    assert "only in the screened name: shanghai" in match.explanation
    assert "counting little (common words, middle names): technology" in match.explanation


@pytest.mark.parametrize(
    "query",
    [
        "Korea Zinc Company, Ltd.",  # the one-word alias "ZINC" of the Lazarus Group
        "Linde plc",  # one typo from the one-word name "LINDA"
        "Industrial Bank of Korea",  # "INDUSTRIAL BANK": common words only
        "Damascus University",  # "Tianjin University", "Sichuan University"
        "Taiwan Semiconductor Manufacturing Company Limited",  # SMIC's words are the industry's
        "United Microelectronics Corporation",
        "Advanced Energy Industries, Inc.",
        "Bachrumsyah Lee",  # the one-word alias "BACHRUMSYAH"
    ],
)
def test_namesakes_made_of_common_or_single_words_stay_clear(full_index: ScreeningIndex, query):
    assert full_index.search(query) == []


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("Markel Closed Joint Stock Company", "Markel Closed Joint Stock Company (Markel CJSC)"),
        (
            "China Aerospace Science and Industry Corporation 3rd Academy",
            "China Aerospace Science and Industry Corporation (CASIC) 3rd Academy",
        ),
        (
            "Guangzhou Tongguang Communication Technology Co., Ltd.",
            "Guangzhou Tongguang Communication Technology Co., Ltd. "
            "(a subordinate institute of CETC-7)",
        ),
        ("Elkomtex", "OOO Elkomtekh (Elkomtex)"),
        ("HiSilicon", "HiSilicon Technologies Co., Ltd (HiSilicon), Bantian Longgang District"),
        (
            "HiSilicon Technologies Co., Ltd.",
            "HiSilicon Technologies Co., Ltd (HiSilicon), Bantian Longgang District",
        ),
    ],
)
def test_what_the_list_prints_in_brackets_and_after_the_name_is_optional(
    full_index: ScreeningIndex, query, listed
):
    assert listed in names(full_index, query)


# Words that 30 or more organisations of the 2022 list carry and that stay distinctive: the families
# of listed parties (Huawei's affiliates, Gazprom's, Sberbank's...), and words that are the only
# word saying who a listed party is in some of its names ("SHENYANG AIRCRAFT CO. LTD.", "BEHRAN OIL
# CO.", "CENTRAL BANK OF IRAN"): counting them little would make such a name weak, and one extra
# typed word would lose it.
REVIEWED_DISTINCTIVE = frozenset(
    [
        "ali",
        "cetc",
        "cssc",
        "east",
        "force",
        "gazprom",
        "huawei",
        "missile",
        "north",
        "pars",
        "sberbank",
        "sea",
        "shahid",
        "ship",
        "star",
        "tactical",
        "vtb",
        "aircraft",
        "branch",
        "building",
        "capital",
        "central",
        "complex",
        "construction",
        "defense",
        "design",
        "establishment",
        "factory",
        "federal",
        "foreign",
        "fund",
        "information",
        "insurance",
        "joint",
        "machine",
        "management",
        "marine",
        "offshore",
        "oil",
        "petrochemical",
        "plant",
        "production",
        "public",
        "sal",
        "security",
        "shipbuilding",
        "shipyard",
        "steel",
        "stock",
    ]
)


def test_every_frequent_word_of_the_list_is_reviewed_as_generic_or_distinctive(full_list):
    """The weights follow the list: a word many listed organisations share is either in the
    generic tables (weights.py) or reviewed here as distinctive. A new list that brings a frequent
    word nobody has looked at fails this test."""
    counts: Counter[str] = Counter()
    for entry in full_list.entries:
        if entry.entity_type != "Individual":
            counts.update({t for n in searchable_names(entry) for t in n.tokens})
    frequent = {
        t for t, n in counts.items() if n >= 30 and len(t) >= 3 and not t.isdigit() and t[-1] != "."
    }
    unreviewed = {
        t
        for t in frequent
        if not is_weak(t) and t not in INSTITUTION_WORDS and t not in REVIEWED_DISTINCTIVE
    }
    assert unreviewed == set()
    assert frequent >= REVIEWED_DISTINCTIVE  # the review names no word that is not frequent
    # The families keep their full weight beside a generic word.
    assert name_weights("Huawei Zavod", ("huawei", "zavod"), person=False) == (6.0, WEAK_WEIGHT)


@pytest.mark.parametrize(
    ("query", "entry"),
    [
        ("United Aircraft Corporation Trading", "United Aircraft Corporation"),
        ("Marine Systems Pvt. Ltd. Trading", "Marine Systems Pvt. Ltd."),
        ("Behran Oil Co. Trading", "BEHRAN OIL CO."),
        ("PJSC Power Machines Trading", "PJSC Power Machines"),
    ],
)
def test_a_name_whose_only_telling_word_is_common_survives_an_extra_word(
    full_index: ScreeningIndex, query: str, entry: str
) -> None:
    assert entry in names(full_index, query)
