"""config.text: the characters a typed name must not carry, and the normal form names take."""

from __future__ import annotations

import unicodedata

import pytest

from config.text import describe, nfc, strip_unsafe, unsafe_characters, unsafe_message

REFUSED = {
    "\u202e": "direction control",  # RIGHT-TO-LEFT OVERRIDE
    "\u2066": "direction control",  # LEFT-TO-RIGHT ISOLATE
    "\u200f": "direction control",  # RIGHT-TO-LEFT MARK
    "\u061c": "direction control",  # ARABIC LETTER MARK
    "\u200b": "invisible character",  # ZERO WIDTH SPACE
    "\u200d": "invisible character",  # ZERO WIDTH JOINER
    "\u2060": "invisible character",  # WORD JOINER
    "\ufeff": "invisible character",  # ZERO WIDTH NO-BREAK SPACE (BOM)
    "\u00ad": "invisible character",  # SOFT HYPHEN
    "\u3164": "invisible character",  # HANGUL FILLER
    "\u115f": "invisible character",  # HANGUL CHOSEONG FILLER
    "\uffa0": "invisible character",  # HALFWIDTH HANGUL FILLER
    "\u034f": "invisible character",  # COMBINING GRAPHEME JOINER
    "\ufe0f": "invisible character",  # VARIATION SELECTOR-16
    "\U000e0041": "invisible character",  # TAG LATIN CAPITAL LETTER A
    "\x00": "control character",
    "\n": "control character",
    "\t": "control character",
    "\x7f": "control character",
    "\x85": "control character",  # NEXT LINE (C1)
    "\u2028": "line separator",
    "\ue000": "unassigned or private-use character",
}


@pytest.mark.parametrize("ch", sorted(REFUSED))
def test_each_evasion_character_is_refused_with_its_kind_and_position(ch):
    text = f"Ab{ch}Cd"
    assert unsafe_characters(text) == [(2, ch, REFUSED[ch])]
    message = unsafe_message(text)
    assert message is not None
    assert f"U+{ord(ch):04X}" in message
    assert REFUSED[ch] in message
    assert "position 3" in message


@pytest.mark.parametrize(
    "name",
    [
        "David Miller",
        "Søren Kierkegaard-Ørsted",
        "O'Brien & Sons, Inc.",
        "中芯国际集成电路制造有限公司",
        "삼성전자 주식회사",
        "Семёнов Сергей",
        "محمد عبد الله",  # Arabic letters alone, no direction control
        "Ünal (Istanbul) — Ltd.",
        "e\u0301",  # a combining accent is a mark, not invisible
    ],
)
def test_real_names_in_any_script_pass(name):
    assert unsafe_characters(name) == []
    assert unsafe_message(name) is None


def test_the_message_counts_every_refused_character():
    message = unsafe_message("\u200bA\u200bB\u202e")
    assert message.startswith(
        "Contains an invisible character, U+200B ZERO WIDTH SPACE, at position 1"
    )
    assert "(3 such characters in all)" in message


def test_describe_names_the_code_point():
    assert describe("\u202e") == "U+202E RIGHT-TO-LEFT OVERRIDE"
    assert describe("\U000e0041") == "U+E0041 TAG LATIN CAPITAL LETTER A"


def test_nfc_composes_and_is_idempotent():
    assert nfc("Ame\u0301lie") == "Amélie"
    assert len(nfc("Ame\u0301lie")) == 6
    assert nfc(nfc("Ame\u0301lie")) == nfc("Ame\u0301lie")
    assert unicodedata.is_normalized("NFC", nfc("\u1100\u1161"))  # Hangul jamo compose too


def test_strip_unsafe_keeps_line_breaks_of_published_lists_and_drops_the_rest():
    assert strip_unsafe("Huawei\u200b Tech\u202enologies\nLtd") == "Huawei Technologies\nLtd"
    assert strip_unsafe("plain") == "plain"
