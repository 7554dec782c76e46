from __future__ import annotations

import pytest

from compliance.screening import normalise_name


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        (
            "Semiconductor Manufacturing International Corporation",
            ("semiconductor", "manufacturing", "international"),
        ),
        (
            "Semiconductor Manufacturing Intl. Corp.",
            ("semiconductor", "manufacturing", "international"),
        ),
        ("SEMICONDUCTOR MFG INTL CORP", ("semiconductor", "manufacturing", "international")),
        ("Yangtze Memory Technologies Co., Ltd.", ("yangtze", "memory", "technology")),
        ("YANGTZE MEMORY TECHNOLOGIES CO LTD", ("yangtze", "memory", "technology")),
        ("Yangtze Memory Tech", ("yangtze", "memory", "technology")),
        ("Huawei Technologies Co., Ltd", ("huawei", "technology")),
        ("ASML Netherlands B.V.", ("asml", "netherland")),
        ("Müller Präzision GmbH", ("muller", "prazision")),
        ("Société Générale S.A.", ("societe", "generale")),
        ("Газпром", ("gazprom",)),
        ("Xi'an Aero Engine", ("xian", "aero", "engine")),
        ("Xi?an Aero Engine", ("xian", "aero", "engine")),
        ("Johnson & Johnson", ("johnson", "and", "johnson")),
        (
            "GlobalFoundries Dresden Module One LLC & Co. KG",
            ("globalfoundry", "dresden", "module", "one"),
        ),
        ("Public Joint Stock Company Sberbank of Russia", ("sberbank", "of", "russia")),
        ("Obshchestvo S Ogranichennoi Otvetstvennostyu Apex", ("apex",)),
        ("K.A. Smich", ("ka", "smich")),
        ("SMIC", ("smic",)),
        ("SMIC Holdings Limited", ("smic", "holding")),
        (
            "China Electronics Technology Group Corporation",
            ("china", "electronic", "technology", "group"),
        ),
        ("Huawei Technologies Co., Limietd", ("huawei", "technology")),
        ("Precision Image Compnay", ("precision", "image")),
        ("Company", ("company",)),
        ("AG", ("ag",)),
        ("PAO, Yu Hsiang", ("pao", "yu", "hsiang")),
        ("  ", ()),
        ("!!!", ()),
    ],
)
def test_names_normalise_to_the_expected_tokens(text: str, tokens: tuple[str, ...]) -> None:
    assert normalise_name(text) == tokens


def test_spelling_variants_of_one_name_meet_on_the_same_tokens() -> None:
    variants = [
        "Semiconductor Manufacturing International Corporation",
        "Semiconductor Manufacturing Intl. Corp.",
        "semiconductor-manufacturing international corp",
        "SEMICONDUCTOR MANUFACTURING INT'L CORPORATION",
    ]
    assert len({normalise_name(v) for v in variants}) == 1


def test_group_and_holding_are_kept_because_they_tell_parties_apart() -> None:
    assert normalise_name("SMIC Holdings Limited") != normalise_name("SMIC")
    assert "group" in normalise_name("Kronshtadt Group")


def test_a_typo_at_the_end_of_a_plural_still_stems_like_the_word() -> None:
    # "Electroncis" must stay one typo away from "electronic".
    assert normalise_name("Electroncis") == ("electronci",)
    assert normalise_name("Electronics") == ("electronic",)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        # Cyrillic Н, А, Е, Т, С, О posing as Latin letters inside a Latin name
        (
            "\u041dU\u0410W\u0415I \u0422\u0415\u0421\u041dN\u041eL\u041eGI\u0415S",
            ("huawei", "technology"),
        ),
        # Cyrillic С, М, І in an acronym
        ("S\u041c\u0406\u0421 Holdings Limited", ("smic", "holding")),
        # Greek Α, Ι, Ο in a word of Latin letters
        ("SEMIC\u039fNDUCT\u039fR M\u0391NUF\u0391CTURING", ("semiconductor", "manufacturing")),
        # A name wholly in Cyrillic is transliterated, not folded: Газпром is "gazprom", not "ra3npom"
        ("Газпром", ("gazprom",)),
        # A Cyrillic word beside Latin ones keeps its own reading when it has letters that look
        # like no Latin letter (П, Л)
        ("Rosneft \u041f\u041b\u0410\u041d", ("rosneft", "plan")),
    ],
)
def test_look_alike_letters_are_read_as_the_latin_ones_they_imitate(text, tokens):
    assert normalise_name(text) == tokens
