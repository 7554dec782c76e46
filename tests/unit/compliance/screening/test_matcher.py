from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.screening import (
    CONFIRM_NOTICE,
    DEFAULT_THRESHOLD,
    ListEntry,
    Match,
    ParsedList,
    ScreeningIndex,
)
from compliance.screening.names import searchable_names
from compliance.screening.profile import birth_spans

SMIC_EL = "EL:736c2c6ac3e138ed746296f09c18d066c8fddcd0"
SMIC_CMIC = "CMIC:30951"
HUAWEI_EL = {
    "EL:d05d55fa214aff19c1eb3270d54905e4e362d445",
    "EL:1a3ccc08ecbb40155a4cce8d9c9ace917f54cc74",
    "EL:6bcb81e3dedb7bb330d74e8784035bc96d9c9ab3",
}
HUAWEI_CMIC = "CMIC:30947"
KATRINA_SMICH = (
    "EL:11fd34384f357f39176adb771ebb40e5218b7059"  # Mahsa Keivan Bahari, alias Katrina Smich
)
YMTC = "EL:sample-el-yangtze-memory-technologies"

SMIC_QUERIES = [
    "Semiconductor Manufacturing International Corporation",
    "Semiconductor Manufacturing Intl. Corp.",
    "SEMICONDUCTOR MANUFACTURING INT'L CORP",
    "Semiconducter Manufacturing International Corporation",  # one typo
    "Semiconductor Manufacturng Intl Corp",  # one typo
    "Semiconductor Manufacturing International Corportion",  # typo in the legal form
]
SMIC_ACRONYM_QUERIES = ["SMIC", "smic", "S.M.I.C."]
HUAWEI_QUERIES = [
    "Huawei Technologies Co., Ltd",
    "HUAWEI TECHNOLOGIES CO LTD",
    "Huawei Technolgies Co., Ltd",  # one typo
    "Huawei Tecnologies Co Ltd",  # one typo
    "Huawie Technologies Co., Ltd",  # one typo (swap)
    "Hua Wei Technologies Co., Ltd.",  # split word
]
YMTC_QUERIES = [
    "Yangtze Memory Technologies Co Ltd",
    "YANGTZE MEMORY TECHNOLOGIES CO., LTD.",
    "Yangtze Memroy Technologies",  # one typo
    "Yangtze Memory Technolgies Co Ltd",  # one typo
    "Yangtse Memory Technologies Co., Ltd.",  # one typo
    "Yangtze Memory Tech Co",
]
NOT_LISTED = [
    "Taiwan Semiconductor Manufacturing Company Limited",
    "Samsung Electronics Co., Ltd.",
    "Intel Corporation",
    "GlobalFoundries Dresden Module One LLC & Co. KG",
]


def hit_ids(matches: list[Match]) -> set[str]:
    return {m.entry_id for m in matches}


# ------------------------------------------------------------------------------------ acceptance, real 2022 list


@pytest.mark.parametrize("query", SMIC_QUERIES)
def test_smic_names_and_typos_hit_smic_in_the_2022_list(
    full_index: ScreeningIndex, query: str
) -> None:
    matches = full_index.search(query)
    assert {SMIC_EL, SMIC_CMIC} <= hit_ids(matches)
    assert {matches[0].entry_id, matches[1].entry_id} == {SMIC_EL, SMIC_CMIC}
    assert matches[0].score >= 0.95


@pytest.mark.parametrize("query", SMIC_ACRONYM_QUERIES)
def test_the_acronym_smic_hits_smic_and_nothing_else_in_the_2022_list(
    full_index: ScreeningIndex, query: str
) -> None:
    matches = full_index.search(query)
    assert hit_ids(matches) == {SMIC_EL, SMIC_CMIC}
    assert all(m.score == 1.0 and m.matched_alias and m.matched_name == "SMIC" for m in matches)


def test_smic_never_hits_katrina_smich_even_at_a_low_threshold(full_index: ScreeningIndex) -> None:
    assert KATRINA_SMICH not in hit_ids(full_index.search("SMIC", threshold=0.3, limit=1000))
    assert KATRINA_SMICH not in hit_ids(full_index.full_scan("SMIC", threshold=0.3, limit=1000))
    # The party itself is found by its alias.
    assert KATRINA_SMICH in hit_ids(full_index.search("Katrina Smich"))


def test_an_acronym_with_a_typo_is_another_acronym(full_index: ScreeningIndex) -> None:
    # Letters of short words must match exactly: "SMCI" or "SMIH" would otherwise hit every
    # four-letter neighbour in the list.
    assert full_index.search("SMCI") == []


@pytest.mark.parametrize("query", HUAWEI_QUERIES)
def test_huawei_names_and_typos_hit_huawei_in_the_2022_list(
    full_index: ScreeningIndex, query: str
) -> None:
    matches = full_index.search(query)
    assert HUAWEI_EL | {HUAWEI_CMIC} <= hit_ids(matches)
    assert matches[0].score >= 0.92


@pytest.mark.parametrize("query", NOT_LISTED)
def test_unlisted_semiconductor_companies_do_not_hit_the_2022_list(
    full_index: ScreeningIndex, query: str
) -> None:
    assert full_index.search(query) == []
    assert full_index.search(query, country="CN") == []


def test_the_2022_list_has_no_ymtc_entry(full_index: ScreeningIndex) -> None:
    # The 2022 file predates YMTC's listing (2022-12-16): the YMTC tests use the sample list.
    assert full_index.search("Yangtze Memory Technologies Co Ltd") == []


# ------------------------------------------------------------------------------------ acceptance, sample list


@pytest.mark.parametrize("query", YMTC_QUERIES)
def test_ymtc_names_and_typos_hit_ymtc_in_the_sample_list(
    sample_index: ScreeningIndex, query: str
) -> None:
    matches = sample_index.search(query)
    assert [m.entry_id for m in matches] == [YMTC]
    assert matches[0].list_code == "EL"


@pytest.mark.parametrize("query", SMIC_QUERIES + SMIC_ACRONYM_QUERIES)
def test_smic_names_hit_smic_in_the_sample_list(sample_index: ScreeningIndex, query: str) -> None:
    assert {SMIC_EL, SMIC_CMIC} <= hit_ids(sample_index.search(query))
    assert KATRINA_SMICH not in hit_ids(sample_index.search(query, threshold=0.3, limit=100))


@pytest.mark.parametrize("query", HUAWEI_QUERIES)
def test_huawei_names_hit_huawei_in_the_sample_list(
    sample_index: ScreeningIndex, query: str
) -> None:
    assert HUAWEI_EL | {HUAWEI_CMIC} <= hit_ids(sample_index.search(query))


@pytest.mark.parametrize("query", NOT_LISTED)
def test_unlisted_companies_do_not_hit_the_sample_list(
    sample_index: ScreeningIndex, query: str
) -> None:
    assert sample_index.search(query) == []


def test_fujian_jinhua_is_found_by_name_and_by_its_alias(sample_index: ScreeningIndex) -> None:
    jinhua = "EL:be6aa627f2843086addb1bcf563a5763e7594f23"
    assert hit_ids(sample_index.search("Fujian Jinhua Integrated Circuit Co., Ltd.")) == {jinhua}
    assert hit_ids(sample_index.search("JHICC")) == {jinhua}


def test_a_huawei_affiliate_is_found_by_its_own_name_not_by_the_parents(
    sample_index: ScreeningIndex,
) -> None:
    marine = "EL:aadd6c0abb767fa2f457bea14ad47bc7e231db93"
    [match] = sample_index.search("Huawei Marine Networks Co., Ltd.")
    assert match.entry_id == marine
    assert match.matched_name == "Huawei Marine Networks Co., Ltd"
    assert marine not in hit_ids(sample_index.search("Huawei Technologies Co., Ltd.", limit=100))


# ------------------------------------------------------------------------------------ matches and explanations


def test_a_match_carries_the_entry_and_a_plain_explanation(
    sample_index: ScreeningIndex, sample_list: ParsedList
) -> None:
    match = next(m for m in sample_index.search("SMIC") if m.entry_id == SMIC_EL)
    entry = next(e for e in sample_list.entries if e.entry_id == SMIC_EL)
    assert match == Match(
        entry_id=SMIC_EL,
        list_code="EL",
        entry_name="Semiconductor Manufacturing International Corporation (SMIC)",
        matched_name="SMIC",
        matched_alias=True,
        score=1.0,
        matched_tokens=("smic",),
        explanation='Matched alias "SMIC" (given in brackets in the name) of Entity List (EL) entry '
        '"Semiconductor Manufacturing International Corporation (SMIC)" — tokens: smic — score 1.00. '
        "A list hit is a screening aid: confirm it against the official list.",
        entry_hash=entry.content_hash,
        # The entry's review policy travels with the hit, for the Entity List finding to state.
        licence_policy=entry.license_policy,
    )
    assert match.licence_policy.startswith("Presumption of denial")


def test_the_explanation_names_typos_extra_words_and_the_country_boost(
    full_index: ScreeningIndex,
) -> None:
    [match] = [
        m
        for m in full_index.search(
            "Semiconducter Manufacturing Intl (Beijing) Shanghai", country="CN", threshold=0.8
        )
        if m.entry_id == "EL:90273675549d962ebc2b2b0b280aae3d6b32a586"
    ]
    assert match.matched_alias is False
    assert match.matched_tokens == ("semiconductor", "manufacturing", "international", "beijing")
    assert (
        'Matched the name of Entity List (EL) entry "Semiconductor Manufacturing International (Beijing) Corporation"'
        in match.explanation
    )
    assert 'semiconductor (typed "semiconducter")' in match.explanation
    assert "only in the screened name: shanghai" in match.explanation
    assert "(country CN matches +0.02)" in match.explanation
    assert match.explanation.endswith(CONFIRM_NOTICE)


def test_every_explanation_asks_to_confirm_against_the_official_list(
    full_index: ScreeningIndex,
) -> None:
    for query in ["Huawei", "Mohammed Ali", "Rosoboronexport", "SMIC"]:
        assert all(m.explanation.endswith(CONFIRM_NOTICE) for m in full_index.search(query))


def tiny_index(**fields: object) -> ScreeningIndex:
    entry = ListEntry(
        entry_id="EL:1", list_code="EL", source="Entity List (EL)", name="Abcdefgh", alt_names=(),
        entity_type="", programs=(), countries=("CN",), addresses=("Wuhan, CN",),
        federal_register_notice="", start_date="", license_requirement="", license_policy="",
        remarks="", source_list_url="", source_information_url="",
    )  # fmt: skip
    return ScreeningIndex.build([replace(entry, **fields)])  # type: ignore[arg-type]


def test_the_country_lifts_a_near_miss_and_lowers_a_namesake_but_never_filters() -> None:
    index = tiny_index()
    assert index.search("Abcdefgx") == []  # one typo in eight letters: 0.875
    [boosted] = index.search("Abcdefgx", country="CN")
    assert boosted.score == 0.895
    assert "country CN matches +0.02" in boosted.explanation
    assert index.search("Abcdefgx", country="us") == []
    # Another country lowers the score; an exact name stays a hit, at the threshold at worst.
    [other] = index.search("Abcdefgh", country="US")
    assert other.score == 0.96
    assert "country US is not the list's CN −0.04" in other.explanation
    [strict] = index.search("Abcdefgh", country="US", threshold=0.99)
    assert strict.score == 0.99
    assert "an exact name is never taken below the threshold" in strict.explanation
    # Any shared country of several counts as a match.
    assert index.search("Abcdefgx", countries=["US", "CN"])[0].score == 0.895


def person_index(*dates: str) -> ScreeningIndex:
    return tiny_index(
        entry_id="SDN:7", list_code="SDN", name="KARIMOV, Rustamjon", entity_type="Individual",
        countries=("UZ",), addresses=(), dates_of_birth=dates,
    )  # fmt: skip


def test_a_date_of_birth_lifts_the_listed_person_and_lowers_a_namesake() -> None:
    index = person_index("1971-04-02", "circa 1968")
    near = "Rustamjon Karimow"  # one letter off the family name
    base = index.search(near, threshold=0.5)[0].score
    [same] = index.search(near, date_of_birth="1971-04-02", threshold=0.5)
    assert same.score == pytest.approx(base + 0.03, abs=2e-4)
    assert "date of birth 1971-04-02 matches +0.03" in same.explanation
    # Inside "circa 1968" (1966 to 1970): agrees, changes nothing.
    assert index.search(near, date_of_birth="1969-12-31", threshold=0.5)[0].score == base
    [other] = index.search(near, date_of_birth=dt.date(1990, 1, 1), threshold=0.5)
    assert other.score == pytest.approx(base - 0.06, abs=2e-4)
    assert "outside the list's 1971-04-02, 1966 to 1970 −0.06" in other.explanation
    # The exact name is still a hit whatever the date and the country say.
    exact = {"country": "DE", "date_of_birth": "1990-01-01"}
    assert index.search("Rustamjon Karimov", **exact)[0].score == 0.9  # 1 - 0.04 - 0.06
    assert index.search("Rustamjon Karimov", threshold=0.95, **exact)[0].score == 0.95
    assert DEFAULT_THRESHOLD <= 0.9
    # No date in the list, or none given: nothing changes.
    assert person_index().search(near, date_of_birth="1990-01-01", threshold=0.5)[0].score == base
    with pytest.raises(ValueError, match="date_of_birth"):
        index.search(near, date_of_birth="02/04/1971")


def test_the_list_dates_of_birth_are_read_as_printed() -> None:
    spans = birth_spans(["1973-03-25", "1967", "circa 1950", "1958 to 1960", "1973-02-30", "n/a"])
    assert spans == (
        (dt.date(1973, 3, 25), dt.date(1973, 3, 25), True),
        (dt.date(1967, 1, 1), dt.date(1967, 12, 31), False),
        (dt.date(1948, 1, 1), dt.date(1952, 12, 31), False),
        (dt.date(1958, 1, 1), dt.date(1960, 12, 31), False),
    )


def test_a_weak_one_word_alias_meets_only_the_same_word() -> None:
    # "TECHNOLOGY" alone says nothing about who the party is: a typo of it is no evidence.
    index = tiny_index(name="Abcdefgh Microsystems", alt_names=("TECHNOLOGY",))
    [exact] = index.search("Technology")
    assert exact.matched_name == "TECHNOLOGY" and exact.score == 1.0
    assert index.search("Tecnology") == [] and index.search("Technologz") == []
    assert index.full_scan("Tecnology") == []
    # A distinctive one-word alias still forgives a typo.
    assert tiny_index(alt_names=("Zhongxing",)).search("Zhongxinq")[0].matched_name == "Zhongxing"


def test_invalid_arguments_are_rejected() -> None:
    index = tiny_index()
    with pytest.raises(ValueError, match="threshold"):
        index.search("x", threshold=0)
    with pytest.raises(ValueError, match="alpha-2"):
        index.search("x", country="CHN")
    with pytest.raises(ValueError, match="limit"):
        index.search("x", limit=0)


def test_results_are_ordered_by_score_and_limited(full_index: ScreeningIndex) -> None:
    matches = full_index.search("Huawei Technologies", limit=3)
    assert len(matches) == 3
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


# ------------------------------------------------------------------------------------ searchable names


def names_of(name: str, *aliases: str) -> list[tuple[str, str]]:
    entry = tiny_index().entries[0]
    return [
        (n.text, n.kind) for n in searchable_names(replace(entry, name=name, alt_names=aliases))
    ]


def test_a_bracketed_acronym_becomes_a_short_form_and_the_name_stands_without_it() -> None:
    assert names_of("Semiconductor Manufacturing International Corporation (SMIC)") == [
        ("Semiconductor Manufacturing International Corporation (SMIC)", "name"),
        ("Semiconductor Manufacturing International Corporation", "name_part"),
        ("SMIC", "short_form"),
    ]


def test_a_bracketed_place_stays_part_of_the_name() -> None:
    assert names_of("Semiconductor Manufacturing International (Beijing) Corporation") == [
        ("Semiconductor Manufacturing International (Beijing) Corporation", "name")
    ]
    assert names_of("XYZ TRADING CO (BEIJING)") == [("XYZ TRADING CO (BEIJING)", "name")]


def test_aliases_written_into_the_name_are_separated() -> None:
    assert names_of("Far East Trading Company, Inc. (a.k.a. FETCO, Inc.)")[1:] == [
        ("Far East Trading Company, Inc", "name_part"),
        ("FETCO, Inc", "alias"),
    ]
    assert names_of("Asia-Invest LLC and any successor, sub-unit, or subsidiary thereof")[1:] == [
        ("Asia-Invest LLC", "name_part"),
        # "AL-HARAMAIN" is also written "Alharamain": hyphen-less spellings are searchable too.
        ("AsiaInvest LLC and any successor, subunit, or subsidiary thereof", "name"),
        ("AsiaInvest LLC", "name_part"),
    ]


def test_sub_unit_clauses_are_dropped_and_a_subordinate_is_named_with_its_parent() -> None:
    poly = "Poly Technologies Incorporated (PTI), and its sub-units and successors"
    assert names_of(poly)[1:3] == [
        ("Poly Technologies Incorporated", "name_part"),
        ("PTI", "short_form"),
    ]
    paec = "Pakistan Atomic Energy Commission (PAEC), and subordinate entity National Development"
    texts = [text for text, _ in names_of(paec + " Complex (NDC) ")]
    assert texts[1:] == [
        "Pakistan Atomic Energy Commission (PAEC)", "Pakistan Atomic Energy Commission", "PAEC",
        "National Development Complex (NDC)", "National Development Complex", "NDC",
    ]  # fmt: skip


def test_sub_units_and_subordinates_of_the_2022_list_are_found_by_their_own_names(
    full_index: ScreeningIndex,
) -> None:
    assert "ISN:7cffd56cd2681f137ea9125752ed3c60b3ab7986" in hit_ids(
        full_index.search("Poly Technologies Incorporated")
    )
    assert "EL:d6ef32a3d0cec5a4e91ee694e628af34b3ed454b" in hit_ids(
        full_index.search("National Development Complex")
    )
    casic = full_index.search("China Aerospace Science and Industry Corporation Fourth Academy")
    assert "ISN:0a18c80887d991d861ef4f2ef22bbea80542156d" in hit_ids(casic)


def test_no_acronym_is_invented_from_initials() -> None:
    texts = [text for text, _ in names_of("Semiconductor Manufacturing International Corporation")]
    assert texts == ["Semiconductor Manufacturing International Corporation"]


# ------------------------------------------------------------------------------------ index == full scan


def perturb(text: str, rng: random.Random) -> str:
    words = text.split() or [text]
    for _ in range(rng.randint(0, 3)):
        operation = rng.choice(
            ["typo", "typo", "drop", "swap", "add", "join", "case", "abbreviate"]
        )
        i = rng.randrange(len(words))
        word = words[i]
        if operation == "typo" and len(word) > 2:
            j = rng.randrange(len(word))
            words[i] = word[:j] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[j + 1 :]
        elif operation == "drop" and len(words) > 1:
            del words[i]
        elif operation == "swap" and len(words) > 1:
            k = rng.randrange(len(words))
            words[i], words[k] = words[k], words[i]
        elif operation == "add":
            words.insert(i, rng.choice(["Trading", "Co", "Shanghai", "Group", "Al", "Technology"]))
        elif operation == "join" and i + 1 < len(words):
            words[i : i + 2] = [words[i] + words[i + 1]]
        elif operation == "case":
            words[i] = word.upper()
        elif operation == "abbreviate" and len(word) > 4:
            words[i] = word[: rng.randint(3, 4)] + "."
    return " ".join(words)


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def assert_same_hits(
    index: ScreeningIndex,
    query: str,
    country: str | None,
    threshold: float,
    date_of_birth: str | None = None,
) -> None:
    facts = {"country": country, "date_of_birth": date_of_birth}
    found = index.search(query, threshold=threshold, limit=1000, **facts)  # type: ignore[arg-type]
    expected = index.full_scan(query, threshold=threshold, limit=1000, **facts)  # type: ignore[arg-type]
    assert found == expected, query


def all_names(entries: tuple[ListEntry, ...]) -> list[str]:
    return [name.text for entry in entries for name in searchable_names(entry)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    country=st.sampled_from([None, "CN", "IR", "RU", "US"]),
    threshold=st.sampled_from([0.6, 0.75, 0.85, 0.88, 0.9, 0.97]),
    with_birth=st.booleans(),
)
def test_the_index_finds_exactly_what_the_full_scan_finds_on_the_2022_list(
    full_index: ScreeningIndex,
    full_list: ParsedList,
    seed: int,
    country: str | None,
    threshold: float,
    with_birth: bool,
) -> None:
    rng = random.Random(seed)
    entry = rng.choice(full_list.entries)
    names = [name.text for name in searchable_names(entry)]
    query = perturb(rng.choice(names), rng)
    # The listed person's own date of birth (a boost) or another one (a penalty).
    # Only whole ISO dates: the list also has "circa 1949", which is ten characters too.
    listed = [d for d in entry.dates_of_birth if ISO_DAY.fullmatch(d)]
    birth = (
        (rng.choice(listed) if listed and rng.random() < 0.5 else "1990-06-15")
        if with_birth
        else None
    )
    assert_same_hits(full_index, query, country, threshold, birth)


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    country=st.sampled_from([None, "CN", "HK"]),
    threshold=st.floats(0.5, 1.0),
)
def test_the_index_finds_exactly_what_the_full_scan_finds_on_the_sample_list(
    sample_index: ScreeningIndex,
    sample_list: ParsedList,
    seed: int,
    country: str | None,
    threshold: float,
) -> None:
    rng = random.Random(seed)
    query = perturb(rng.choice(all_names(sample_list.entries)), rng)
    assert_same_hits(sample_index, query, country, threshold)


@settings(max_examples=100, deadline=None)
@given(query=st.text(alphabet="abcdeiouhnrst .&-'.", min_size=1, max_size=30))
def test_the_index_finds_exactly_what_the_full_scan_finds_for_arbitrary_text(
    sample_index: ScreeningIndex, query: str
) -> None:
    assert_same_hits(sample_index, query, None, 0.7)
