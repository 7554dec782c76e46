"""How much each word of a name counts in a screening score.

A distinctive word counts its length in letters ("huawei" 6). Two kinds of word count little:

- **weak words**: what a company does or where it sits ("technology", "trading", "international",
  "group", a city, a province, a country) and the small words of a name ("and", "of", "al"). They are
  added and dropped freely in the wild ("Beijing X Technology Co., Ltd." for "X Technology"), so each
  counts WEAK_WEIGHT, whatever its length, and with one typo in a word of six letters or more too;
- **middle names** of a listed person: every given name after the first ("KANOKOV, Timur
  Borisovich": "borisovich"), which screened names often leave out. Each counts MIDDLE_NAME_WEIGHT.
  The family name and the first given name count in full: a person is never matched without them.

The weak words follow the list: every word that 30 or more listed organisations share is either in
these tables or reviewed as distinctive (the families of listed parties, "huawei", "gazprom", and
words that are the only telling word of some listed name, "aircraft" in "SHENYANG AIRCRAFT CO."),
and a test over the 2022 list fails when a frequent word is in neither. Frequency alone would not
do: the most frequent words of the 2022 list include exactly the families the product exists to
catch.

A place in a listed name counts little only beside a word that says who the party is: in "Beijing
Huawei Technologies" Beijing is where Huawei sits, in "Tianjin University" it is who. Middle names
are known only on the list side (a screened name carries no type).
"""

from __future__ import annotations

from functools import lru_cache

from compliance.screening.normalise import deletion_keys, normalise_name

WEAK_WEIGHT = 0.6
MIDDLE_NAME_WEIGHT = 1.0
# Typos in weak words are recognised from this length on; shorter ones must be exact.
_FUZZY_WEAK_LENGTH = 6

# In normalised form (normalise.py: stemmed, abbreviations expanded).
BUSINESS_WORDS = frozenset(
    {
        "technology",
        "trading",
        "trade",
        "international",
        "group",
        "holding",
        "industrial",
        "industry",
        "development",
        "import",
        "export",
        "investment",
        "general",
        "service",
        "science",
        "scientific",
        "engineering",
        "electronic",
        "equipment",
        "commercial",
        "enterprise",
        "global",
        "worldwide",
        "overseas",
        "logistic",
        "solution",
        "product",
        "resource",
        "digital",
        "system",
        # The industry's own words: "Semiconductor Manufacturing" says what, not who.
        "semiconductor",
        "manufacturing",
        "microelectronic",
        "integrated",
        "circuit",
        "material",
        "chemical",
        "machinery",
        "optical",
        "photonic",
        "instrument",
        "precision",
        "energy",
        "power",
        "communication",
        "telecommunication",
        "network",
        "software",
        "device",
        "component",
        "aviation",
        "aerospace",
        "electric",
        "metal",
        # Words of praise and size that many unrelated names share.
        "advanced",
        "united",
        "universal",
        "new",
        "modern",
        # Frequent in the organisations of the 2022 list (30 or more entries each) and generic:
        # what a party does or is, in English and as the list transliterates it.
        "exchange",
        "jointstock",
        "private",
        "grupo",
        "servicio",
        "comercializadora",
        "inmobiliaria",
        "inversione",
        "kompaniya",
        "zavod",
        "nauchno",
        # Legal-form and clause words the list leaves in names: "PAO", "S.A.L.", "open joint stock".
        "pao",
        "del",
        "open",
        "entity",
        "subordinate",
    }
)
_SMALL_WORDS = frozenset({"and", "of", "the", "for", "de", "du", "des", "la", "al", "el"})
PLACES = frozenset(
    {
        # Where the list's parties most often sit, as names prefix or suffix them.
        "china",
        "chinese",
        "beijing",
        "shanghai",
        "shenzhen",
        "guangzhou",
        "wuhan",
        "chengdu",
        "hangzhou",
        "tianjin",
        "nanjing",
        "xian",
        "dongguan",
        "suzhou",
        "chongqing",
        "harbin",
        "changsha",
        "hefei",
        "xiamen",
        "qingdao",
        "dalian",
        "shenyang",
        "guangdong",
        "jiangsu",
        "zhejiang",
        "sichuan",
        "hubei",
        "hunan",
        "shaanxi",
        "shandong",
        "hebei",
        "fujian",
        "anhui",
        "liaoning",
        "hong",
        "kong",
        "hk",
        "macau",
        "taiwan",
        "russia",
        "russian",
        "moscow",
        "petersburg",
        "novosibirsk",
        "yekaterinburg",
        "iran",
        "iranian",
        "tehran",
        "isfahan",
        "dubai",
        "sharjah",
        "emirate",
        "uae",
        "syria",
        "syrian",
        "damascus",
        "pakistan",
        "karachi",
        "lahore",
        "korea",
        "korean",
        "pyongyang",
        "singapore",
        "malaysia",
        "turkey",
        "istanbul",
        "belarus",
        "minsk",
        "ukraine",
        "kiev",
        "kyiv",
        "crimea",
        "venezuela",
        "caracas",
        "cuba",
        "havana",
        "india",
        "iraq",
        "baghdad",
        "lebanon",
        "beirut",
        "province",
        "city",
        "district",
    }
)
WEAK_WORDS: frozenset[str] = BUSINESS_WORDS | _SMALL_WORDS | PLACES
# What an institution is rather than who: "Tianjin University", "Sharjah Islamic Bank". They count
# in full, but do not make a name distinctive enough for its place to count little.
INSTITUTION_WORDS = frozenset(
    {
        "university",
        "institute",
        "academy",
        "college",
        "school",
        "bank",
        "hospital",
        "laboratory",
        "center",
        "bureau",
        "ministry",
        "department",
        "research",
        "organization",
        "agency",
        "office",
        "committee",
        "council",
        "association",
        "foundation",
        "society",
        "islamic",
        "national",
        "state",
        "republic",
        "people",
        "army",
        "military",
        "airline",
        "air",
        "shipping",
        "port",
        "company",
        "institution",
    }
)


def _weak_by_key() -> dict[str, str]:
    by_key: dict[str, str] = {}
    for word in WEAK_WORDS:
        if len(word) >= _FUZZY_WEAK_LENGTH:
            for key in deletion_keys(word):
                by_key.setdefault(key, word)
    return by_key


_WEAK_BY_KEY = _weak_by_key()


@lru_cache(maxsize=65536)
def is_weak(token: str) -> bool:
    """Whether ``token`` is a weak word, or one typo from one (six letters or more)."""
    if token in WEAK_WORDS:
        return True
    if len(token) < _FUZZY_WEAK_LENGTH:
        return False
    return any(key in _WEAK_BY_KEY for key in deletion_keys(token))


def query_weight(token: str) -> float:
    """The weight of a word of a screened name: a place prefixed or appended to a name is weak."""
    return WEAK_WEIGHT if is_weak(token) else float(len(token))


def _person_parts(text: str, tokens: tuple[str, ...]) -> tuple[int, int] | None:
    """(number of family-name tokens, number of given-name tokens) of a person's name as the list
    writes it: "FAMILY, Given Middle" or "Given Middle Family"; None when the tokens do not split
    that way."""
    if "," in text:
        family, _, given = text.partition(",")
        if "," in given:
            return None
        family_tokens, given_tokens = normalise_name(family), normalise_name(given)
        if family_tokens + given_tokens != tokens or not family_tokens or not given_tokens:
            return None
        return len(family_tokens), len(given_tokens)
    if len(tokens) < 2:
        return None
    return -1, len(tokens) - 1  # the last token is the family name


def is_distinctive(tokens: tuple[str, ...]) -> bool:
    """Whether a name has a word that says who the party is: neither weak, nor an institution
    word, nor a number."""
    return any(not is_weak(t) and t not in INSTITUTION_WORDS and not t.isdigit() for t in tokens)


def name_weights(text: str, tokens: tuple[str, ...], *, person: bool) -> tuple[float, ...]:
    """The weight of each token of a listed name (``text`` as printed, ``tokens`` normalised)."""
    # A place counts little only beside a word that says who the party is: in "Beijing Huawei
    # Technologies" Beijing is where Huawei sits, in "Tianjin University" it is who.
    distinctive = is_distinctive(tokens)
    weights = [
        float(len(t)) if t in PLACES and not distinctive else query_weight(t) for t in tokens
    ]
    parts = _person_parts(text, tokens) if person else None
    if parts is None:
        return tuple(weights)
    family, given = parts
    # "Given Middle Family", or "FAMILY, Given Middle".
    middle = range(1, len(tokens) - 1) if family == -1 else range(family + 1, family + given)
    for i in middle:
        if not is_weak(tokens[i]):
            weights[i] = min(weights[i], MIDDLE_NAME_WEIGHT)
    return tuple(weights)
