"""Name normalisation for screening: the same rules run on list names and on the names we screen.

`normalise_name("Semiconductor Manufacturing Intl. Corp.")` and
`normalise_name("Semiconductor Manufacturing International Corporation")` both give
`("semiconductor", "manufacturing", "international")`.

Steps, in order (the README explains each choice):
0. Look-alike letters are folded: in a name that has Latin letters, a word written partly or wholly
   in Cyrillic, Greek or another script whose letters all look like Latin ones ("НUАWЕI" with
   Cyrillic Н, А, Е) is read as the Latin word it imitates, by Unicode's confusables data
   (UTS #39, through `confusable_homoglyphs`), not transliterated ("NUAVEI").
1. Unicode NFKC; in Chinese and Korean script, the common words of company names translated as the
   list translates them (romanise.py); then transliteration to ASCII with `anyascii` (accents
   stripped, Cyrillic, Greek, CJK romanised, one word per run; invisible characters dropped), then
   casefold.
2. Apostrophes inside a word are dropped rather than split ("Int'l" -> "intl", "Xi'an" -> "xian");
   the CSL prints some of them as "?" ("Xi?an"), which is treated the same way.
3. "&" -> "and"; every other non-alphanumeric character separates tokens.
4. Runs of single letters are joined: "S.A." -> "sa", "B. V." -> "bv", "K.A. Smich" -> "ka smich".
5. Each token is stemmed bluntly (final "-ies" -> "-y", final "-s" dropped) and then mapped through
   a small abbreviation table ("intl" -> "international", "tech" -> "technology", "mfg" ->
   "manufacturing"), so spelling variants meet on one form. Any other word of three letters or
   more written with a full stop ("Ind.", "Trdg.") keeps it, and the matcher reads it as an
   abbreviation of the list words it abbreviates.
6. Legal-form phrases ("joint stock company", "obshchestvo s ogranichennoi otvetstvennostyu") and
   legal-form words ("co", "ltd", "corp", "gmbh", "bv", ...) are dropped, unless nothing would remain;
   words of six letters or more are also recognised with one typo ("Limietd", "Compny").
   "and" left dangling at either end by that removal ("... LLC & Co. KG") is dropped too.

"group" and "holding(s)" are kept on purpose: "SMIC Holdings Limited" is a different Entity-List
party from "SMIC", and "China Electronics Technology Group" is known by its group name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jellyfish
from anyascii import anyascii
from confusable_homoglyphs.confusables import confusables_data
from rapidfuzz.distance import LCSseq

from compliance.screening.romanise import has_cjk, translate_common_words

# Shorter words are not stemmed: "Bros", "Gas" and acronyms stay as written.
MIN_STEM_LENGTH = 5

_APOSTROPHE_IN_WORD = re.compile(r"(?<=[a-z0-9])['`?](?=[a-z0-9])")
_TOKEN = re.compile(r"([a-z0-9]+)(\.(?![a-z0-9]))?")
# A word written with a full stop that is neither in the abbreviation table nor a legal form
# ("Ind.", "Trdg.", "Res.") keeps the stop: the matcher reads it as an abbreviation of any list word
# it abbreviates (matcher.is_abbreviation_of).
ABBREVIATION_MARK = "."
MIN_ABBREVIATION_LENGTH = 3

# After stemming. Values must be fixed points of the whole pipeline (already stemmed, not legal forms).
ABBREVIATIONS: dict[str, str] = {
    "intl": "international",
    "internat": "international",
    "natl": "national",
    "mfg": "manufacturing",
    "manuf": "manufacturing",
    "tech": "technology",
    "techn": "technology",
    "technol": "technology",
    "technologie": "technology",
    "technological": "technology",
    # "Elec" is ambiguous (Electric or Electronics); in this product's world (fabs, tool makers) it
    # stands for Electronics far more often, and a wrong guess only costs recall on "Electric" names.
    "elec": "electronic",
    "electronica": "electronic",
    "univ": "university",
    "inst": "institute",
    "assoc": "association",
    "assn": "association",
    "dept": "department",
    "ctr": "center",
    "centre": "center",
    "engg": "engineering",
    "equip": "equipment",
    "svc": "service",
    "sys": "system",
    "mgmt": "management",
    "bro": "brother",
    "bros": "brother",
}
# Deliberately absent: "semi" (also SEMI, the industry association, and "semi-" prefixes), "int"
# (integrated? international?), "ind" (industry? industrial? India?), "eng" (engineering? English?).

# Single-word legal forms. Short words that are also personal-name tokens in the 2022 CSL are kept out:
# "pao" (8 Taiwanese individuals surnamed Pao), "se" (Korean given names), "as" (the Arabic article
# in "as-Somali"); dropping them would strip a surname and make unrelated people collide. "ao" (209
# Russian entity names, no individual) and "ag" (35 entities; 9 Tuareg names use "Ag" = "son of",
# which stays consistent on both sides) are dropped.
LEGAL_FORMS: frozenset[str] = frozenset(
    {
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "incorporation",
        "llc",
        "llp",
        "ltd",
        "ltda",
        "limited",
        "plc",
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "kgaa",
        "bv",
        "nv",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "pte",
        "pty",
        "pvt",
        "oy",
        "oyj",
        "ab",
        "asa",
        "aps",
        "kk",
        "jsc",
        "ojsc",
        "pjsc",
        "cjsc",
        "ooo",
        "oao",
        "zao",
        "ao",
        "tov",
        "fze",
        "fzc",
        "fzco",
        "fzllc",
        "bhd",
        "sdn",
    }
)

# Multi-word legal forms, matched word by word after steps 1-5 (long words also with one typo).
LEGAL_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            ("limited", "liability", "company"),
            ("limited", "liability", "partnership"),
            ("joint", "stock", "company"),
            ("public", "joint", "stock", "company"),
            ("closed", "joint", "stock", "company"),
            ("open", "joint", "stock", "company"),
            ("private", "limited"),
            ("public", "limited", "company"),
            ("obshchestvo", "s", "ogranichennoi", "otvetstvennostyu"),
            ("obshchestvo", "s", "ogranichennoy", "otvetstvennostyu"),
            ("aktsionernoe", "obshchestvo"),
            ("zakrytoe", "aktsionernoe", "obshchestvo"),
            ("otkrytoe", "aktsionernoe", "obshchestvo"),
            ("publichnoe", "aktsionernoe", "obshchestvo"),
            ("sociedad", "anonima"),
            ("societe", "anonyme"),
            ("sa", "de", "cv"),
            ("s", "de", "rl"),
            ("sp", "zoo"),
            ("youxian", "gongsi"),
            ("youxian", "zeren", "gongsi"),
            ("gufen", "youxian", "gongsi"),
        ),
        key=len,
        reverse=True,  # longest first, so "public joint stock company" wins over "joint stock company"
    )
)


def _stem(token: str) -> str:
    """Light plural stemming. It runs on both sides, so it only has to be consistent, not correct:
    "Abbas" -> "abba" is harmless. It is deliberately blunt (any final "s" but "-ss"), because a
    typo near the end of a plural ("Electroncis", "Serivs") must still stem like the real word."""
    if len(token) < MIN_STEM_LENGTH or not token.isalpha():
        return token
    if token.endswith("ies"):
        return token[:-3] + "y"
    if token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


# Legal-form words long enough to be recognised with one typo ("Limietd", "Compny", "Corportion"):
# a typo there must not leave a stray word that costs the match. Shorter forms must match exactly.
_FUZZY_LEGAL_LENGTH = 6


def typo_lcs(a: str, b: str) -> int:
    """Length of the longest common subsequence of `a` and `b` when they are at most one typo apart
    (a wrong, missing, extra or swapped letter: each loses at most one letter to the other), else -1."""
    if a == b:
        return len(a)
    longer = max(len(a), len(b))
    if abs(len(a) - len(b)) > 1:
        return -1
    lcs = int(LCSseq.similarity(a, b, score_cutoff=longer - 1))
    return lcs if lcs >= longer - 1 else -1


# Words this long or longer also meet their transliterations ("Mohamed" ~ "Muhammad", "Aleksandr" ~
# "Alexander", "Qasim" ~ "Kassem") through a Metaphone key of three letters or more. Shorter words
# (acronyms, "Ali", "Yuri") must match exactly or within one typo.
MIN_PHONETIC_LENGTH = 5
MIN_PHONETIC_KEY = 3


@lru_cache(maxsize=65536)
def phonetic_key(token: str) -> str:
    """The Metaphone key of a word (``jellyfish.metaphone``), or "" for words too short, with
    digits, or whose key is too short to tell names apart."""
    if len(token) < MIN_PHONETIC_LENGTH or not token.isalpha():
        return ""
    key = jellyfish.metaphone(token)
    return key if len(key) >= MIN_PHONETIC_KEY else ""


def phonetic_lcs(a: str, b: str) -> int:
    """LCS length of two words with the same phonetic key, else -1."""
    key = phonetic_key(a)
    if not key or key != phonetic_key(b):
        return -1
    return int(LCSseq.similarity(a, b))


def deletion_keys(token: str) -> set[str]:
    """`token` and every string made by deleting one of its letters. Two tokens are at most one typo
    apart (typo_lcs > 0) exactly when their deletion keys intersect."""
    return {token} | {token[:i] + token[i + 1 :] for i in range(len(token))}


_LEGAL_WORDS = LEGAL_FORMS | {word for phrase in LEGAL_PHRASES for word in phrase}


def _legal_words_by_key() -> dict[str, set[str]]:
    by_key: dict[str, set[str]] = {}
    for word in _LEGAL_WORDS:
        if len(word) >= _FUZZY_LEGAL_LENGTH:
            for key in deletion_keys(word):
                by_key.setdefault(key, set()).add(word)
    return by_key


_LEGAL_WORDS_BY_KEY = _legal_words_by_key()


@lru_cache(maxsize=65536)
def _legal_words(token: str) -> frozenset[str]:
    """The legal-form words `token` stands for: itself, or, for words of six letters or more,
    any such word one typo away."""
    words = {token} & _LEGAL_WORDS
    if len(token) >= _FUZZY_LEGAL_LENGTH:
        for key in deletion_keys(token):
            words.update(_LEGAL_WORDS_BY_KEY.get(key, ()))
    return frozenset(words)


def _is_legal_form(token: str) -> bool:
    return not _legal_words(token).isdisjoint(LEGAL_FORMS)


def _join_single_letters(tokens: list[str]) -> list[str]:
    joined: list[str] = []
    run: list[str] = []
    for token in tokens:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if run:
            joined.append("".join(run))
            run = []
        joined.append(token)
    if run:
        joined.append("".join(run))
    return joined


def _drop_legal_phrases(tokens: list[str]) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(tokens):
        starts = _legal_words(tokens[i])  # empty for nearly every token: the fast path
        for phrase in LEGAL_PHRASES if starts else ():
            window = tokens[i : i + len(phrase)]
            if len(window) == len(phrase) and all(
                word in _legal_words(token) for token, word in zip(window, phrase, strict=True)
            ):
                i += len(phrase)
                break
        else:
            kept.append(tokens[i])
            i += 1
    return kept


def _strip_dangling_and(tokens: list[str]) -> list[str]:
    start, end = 0, len(tokens)
    while start < end and tokens[start] == "and":
        start += 1
    while end > start and tokens[end - 1] == "and":
        end -= 1
    return tokens[start:end]


_WORD = re.compile(r"\w+")


def _is_foreign_letter(ch: str) -> bool:
    """A letter outside ASCII and outside the Latin script (accented Latin is anyascii's job)."""
    return not ch.isascii() and ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN")


@lru_cache(maxsize=1)
def _look_alikes() -> dict[int, str]:
    """Each non-Latin letter that Unicode lists as confusable with an ASCII letter or digit, mapped
    to it (a ``str.translate`` table). Where the letter's transliteration is itself one of its
    look-alikes (Cyrillic "І" reads "I", listed as confusable with "l"), the transliteration wins."""
    table: dict[int, str] = {}
    for ch, glyphs in confusables_data.items():
        if len(ch) != 1 or not _is_foreign_letter(ch):
            continue
        targets = [
            g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalnum()
        ]
        if not targets:
            continue
        spelt = anyascii(ch)
        spelt_alikes = (
            {g["c"] for g in confusables_data.get(spelt, ())} if len(spelt) == 1 else set()
        )
        table[ord(ch)] = spelt if spelt in targets or targets[0] in spelt_alikes else targets[0]
    return table


def fold_look_alikes(text: str) -> str:
    """Step 0 of the module docstring: words that imitate Latin ones with look-alike letters read
    as the Latin word. A name with no Latin letter at all is left to transliteration."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    if not any(ch.isascii() and ch.isalpha() for ch in text):
        return text
    table = _look_alikes()

    def fold(word: re.Match[str]) -> str:
        w = word.group()
        foreign = [ch for ch in w if _is_foreign_letter(ch)]
        if foreign and all(ord(ch) in table for ch in foreign):
            return w.translate(table)
        return w

    return _WORD.sub(fold, text)


def ascii_fold(text: str) -> str:
    """Look-alikes folded, NFKC, the common words of Chinese and Korean names translated
    (romanise.py), transliterate to ASCII, casefold (steps 0 and 1)."""
    text = unicodedata.normalize("NFKC", fold_look_alikes(text))
    if not text.isascii() and has_cjk(text):
        text = translate_common_words(text)
    return anyascii(text).casefold()


@lru_cache(maxsize=65536)
def normalise_name(text: str) -> tuple[str, ...]:
    """Tokens of `text` for matching; empty when the text has no letters or digits."""
    folded = _APOSTROPHE_IN_WORD.sub("", ascii_fold(text)).replace("&", " and ")
    found = _TOKEN.findall(folded)
    dotted = {word for word, stop in found if stop}
    tokens = []
    for token in _join_single_letters([word for word, _ in found]):
        stemmed = _stem(token)
        if stemmed in ABBREVIATIONS:
            tokens.append(ABBREVIATIONS[stemmed])
        elif (
            token in dotted
            and token.isalpha()
            and len(token) >= MIN_ABBREVIATION_LENGTH
            and not _legal_words(token)
        ):
            tokens.append(token + ABBREVIATION_MARK)
        else:
            tokens.append(stemmed)
    if not tokens:
        return ()
    without_phrases = _drop_legal_phrases(tokens)
    without_forms = _strip_dangling_and([t for t in without_phrases if not _is_legal_form(t)])
    if without_forms:
        return tuple(without_forms)
    # A name that is nothing but legal words ("Company", "AG") keeps them: it must still be findable.
    return tuple(without_phrases or tokens)
