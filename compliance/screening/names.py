"""The searchable names of a list entry: its name, its aliases, and the forms the list prints inside them.

CSL names carry more than a name. From the 2022 file:
- "Semiconductor Manufacturing International Corporation (SMIC)": a short form in brackets;
- "Huawei Technologies Co., Ltd. (Huawei).  Affiliated Entity:  Huawei Marine Networks Co., Ltd.":
  the listed party is the affiliate after "Affiliated Entity:";
- "Far East Trading Company, Inc. (a.k.a. FETCO, Inc.)", "Gazprom Telekom, OOO (f.k.a. ...)":
  aliases written into the name;
- "Baotou Guanghua ... Corporation (Parent Organization: China National Nuclear Group Corporation)";
- "Asia-Invest LLC and any successor, sub-unit, or subsidiary thereof", "Poly Technologies
  Incorporated (PTI), and its sub-units and successors" (Nonproliferation Sanctions);
- "Pakistan Atomic Energy Commission (PAEC), and subordinate entity National Development Complex
  (NDC)": the subordinate and its parent.
Each becomes a separate searchable name of the same entry, so that a query for "SMIC" or for
"Huawei Marine Networks" meets the exact words the list uses, while the published text stays intact.

Acronyms are never generated from initials: "SMIC" finds SMIC because the list prints "(SMIC)" and
the alias "SMIC", not because S-M-I-C are the initials of the name. Generated initials would make every
short query hit dozens of unrelated names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from compliance.screening.entries import ListEntry
from compliance.screening.normalise import LEGAL_FORMS, normalise_name
from compliance.screening.weights import BUSINESS_WORDS, INSTITUTION_WORDS, PLACES

NameKind = Literal["name", "name_part", "short_form", "alias"]

# The order in which equal-scoring names of one entry are preferred for the explanation.
KIND_ORDER: dict[NameKind, int] = {"name": 0, "name_part": 1, "short_form": 2, "alias": 3}


@dataclass(frozen=True)
class SearchName:
    text: str
    kind: NameKind
    tokens: tuple[str, ...]


_SUCCESSOR_CLAUSE = re.compile(
    r"[,;]?\s*(?:and\s+)?(?:any\s+successor|its\s+sub-?units?)\b.*$", re.IGNORECASE | re.DOTALL
)
# "Pakistan Atomic Energy Commission (PAEC), and subordinate entity National Development Complex
# (NDC)": the row lists the subordinate, named with its parent; both names are searchable.
_SUBORDINATE = re.compile(
    r"^(?P<parent>.+?)[,;]?\s+and\s+subordinate\s+entit(?:y|ies)\s*:?\s*(?P<child>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_AFFILIATE = re.compile(r"Affiliated\s+Entit(?:y|ies)\s*:\s*(.+)$", re.IGNORECASE | re.DOTALL)
_ALIAS_MARKER = re.compile(
    r"^\s*(?:a\.?k\.?a\.?|f\.?k\.?a\.?|d\.?b\.?a\.?|formerly(?:\s+known\s+as)?|also\s+known\s+as)"
    r"\s*[,:]?\s*",
    re.IGNORECASE,
)
_INLINE_ALIAS = re.compile(
    r",?\s+(?:a\.k\.a\.|f\.k\.a\.|d\.b\.a\.)\s*,?\s*([^()\[\]]+)", re.IGNORECASE
)
_TRAILING_PUNCTUATION = re.compile(r"[\s.,;:]+$")
_SHORT_FORM = re.compile(r"[A-Za-z][A-Za-z0-9&-]*(?:[ -]\d+)?")
_HYPHEN_IN_WORD = re.compile(r"(?<=[A-Za-z])-(?=[A-Za-z])")

# Bracketed words that qualify a name rather than abbreviate it: "(HK)", "(Pvt.)", "(USA)".
_NOT_SHORT_FORMS = frozenset(
    {"hk", "uk", "usa", "us", "private", "offshore", "off", "shore", "group"}
)


def _clean(text: str) -> str:
    return _TRAILING_PUNCTUATION.sub("", text.strip())


def _split_aliases(text: str) -> list[str]:
    return [part for part in (_clean(p) for p in text.split(";")) if part]


def _is_short_form(content: str, name_outside: str) -> bool:
    """Whether a trailing bracket such as "(SMIC)" or "(Huawei)" abbreviates the name before it."""
    content = content.strip()
    if not _SHORT_FORM.fullmatch(content) or sum(c.isalpha() for c in content) < 2:
        return False
    tokens = normalise_name(content)
    if not tokens or all(t in LEGAL_FORMS or t in _NOT_SHORT_FORMS for t in tokens):
        return False
    words = name_outside.split()
    if words and content.casefold() == words[0].casefold():
        return True  # "Huawei Technologies Co., Ltd. (Huawei)"
    if " " not in content and len(content) >= 5 and not set(tokens) & PLACES:
        if sum(c.isupper() for c in content) >= 3 and any(c.islower() for c in content):
            return True  # a mixed-case acronym: "(GkNIPAS)"
        stem = content[:5].casefold()
        if any(w.casefold().startswith(stem) for w in words):
            return True  # another spelling of a word of the name: "OOO Elkomtekh (Elkomtex)"
    if not content.replace("-", "").replace(" ", "").isupper():
        return False  # "(Beijing)", "(Pakistan)": places, part of the name
    if any(c.islower() for c in name_outside):
        return True  # an all-capitals word in a mixed-case name is an acronym
    # An all-capitals name ("... (BEIJING)"): only accept letters that are initials of the name.
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z0-9]+", name_outside)).upper()
    letters = [c for c in content.upper() if c.isalpha()]
    position = 0
    for letter in letters:
        position = initials.find(letter, position) + 1
        if position == 0:
            return False
    return True


_DESCRIPTION = re.compile(r"(?:a|an|the)\s+[a-z]")


def _repeats_the_name(content: str, outside: str) -> bool:
    """Whether a bracket only repeats words of the name around it (legal forms aside)."""
    tokens = set(normalise_name(content))
    return bool(tokens) and tokens <= set(normalise_name(outside))


def _is_code(content: str) -> bool:
    """An upper-case code such as "CASIC" or "CETC-7"."""
    letters = content.replace("-", "").replace(" ", "")
    return letters.isalnum() and letters.isupper() and sum(c.isalpha() for c in letters) >= 2


def _top_level_brackets(text: str) -> list[tuple[int, int]]:
    """(start, end) of each outermost "(...)" or "[...]" group; unbalanced brackets are left alone."""
    groups: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for position, char in enumerate(text):
        if char in "([":
            if depth == 0:
                start = position
            depth += 1
        elif char in ")]" and depth > 0:
            depth -= 1
            if depth == 0:
                groups.append((start, position + 1))
    return groups


def _derive(text: str, kind: NameKind) -> list[tuple[str, NameKind]]:
    """(text, kind) pairs for one published name or alias; the published text comes first."""
    published = text.strip()
    found: list[tuple[str, NameKind]] = [(published, kind)]
    part_kind: NameKind = "name_part" if kind == "name" else "alias"
    short_kind: NameKind = "short_form" if kind == "name" else "alias"

    core = _SUCCESSOR_CLAUSE.sub("", published)
    affiliate = _AFFILIATE.search(core)
    if affiliate:
        # The listed party is the affiliate; the parent's name before the marker is context, and
        # indexing it would make every affiliate row answer to the parent's name.
        return found + _derive(_clean(affiliate.group(1)), part_kind)
    subordinate = _SUBORDINATE.match(core)
    if subordinate:
        return (
            found
            + _derive(_clean(subordinate["parent"]), part_kind)
            + _derive(_clean(subordinate["child"]), part_kind)
        )

    aliases: list[str] = []
    inline = _INLINE_ALIAS.search(core)
    if inline:
        aliases.extend(_split_aliases(inline.group(1)))
        core = core[: inline.start()] + " " + core[inline.end() :]

    core = _clean(core)
    kept: list[str] = []
    short_form = ""
    position = 0
    groups = _top_level_brackets(core)
    for index, (start, end) in enumerate(groups):
        kept.append(core[position:start])
        position = end
        content = core[start + 1 : end - 1].strip()
        if _ALIAS_MARKER.match(content):
            aliases.extend(_split_aliases(_ALIAS_MARKER.sub("", content, count=1)))
        elif ":" in content or _DESCRIPTION.match(content):
            pass  # "(Parent Organization: ...)", "(a subordinate institute of ...)" describe it
        elif _repeats_the_name(content, "".join(kept) + core[end:]):
            pass  # "Markel Closed Joint Stock Company (Markel CJSC)": nothing new
        elif core[end:].strip() and _is_code(content) and any(c.islower() for c in core):
            pass  # "China Aerospace ... Corporation (CASIC) 3rd Academy": the parent's code
        elif (
            index == len(groups) - 1
            and not core[end:].strip()
            and _is_short_form(content, "".join(kept))
        ):
            short_form = content
        else:
            kept.append(core[start:end])
    kept.append(core[position:])
    base = _clean(" ".join("".join(kept).split()))
    if base and base != published:
        found.append((base, part_kind))
    if short_form:
        found.append((short_form, short_kind))
    found.extend((alias, "alias") for alias in aliases)
    return found


_TRAILING_PLACE = re.compile(
    r"^(?P<name>.*?\b(?:Co\.?,?\s*Ltd\.?|Company\s+Limited|Limited|Ltd\.?|Inc\.?|Corporation|Corp\.?"
    r"|LLC|JSC|GmbH)(?:\s*\([^()]*\))?)\s*,\s*(?P<place>[^()]+?)[\s,.]*$",
    re.IGNORECASE,
)


# A piece ending in one of these is a place: "Bantian Longgang District".
_PLACE_KINDS = frozenset({"district", "province", "city", "county", "oblast", "region", "town"})


def _without_trailing_place(text: str, addresses: str) -> str | None:
    """The name without the place the list prints after its legal form ("Chengdu Huawei
    Technologies Co., Ltd., Chengdu, Sichuan"), or None. The first piece after the legal form must
    be in the entry's address or a known place, and no piece may name a business or an institution
    ("..., Xi'an Research Institute" and "..., KB Mashinostroeniya" are parties of their own)."""
    found = _TRAILING_PLACE.match(text)
    if not found:
        return None
    pieces = [p.strip() for p in found["place"].split(",") if p.strip()]
    if not 1 <= len(pieces) <= 4 or any(len(p.split()) > 3 for p in pieces):
        return None
    tokens = [t for p in pieces for t in normalise_name(p) if not t.isdigit()]
    if any(t in BUSINESS_WORDS or t in INSTITUTION_WORDS for t in tokens):
        return None
    first = pieces[0].casefold()
    first_tokens = normalise_name(first)
    if (
        first not in addresses
        and not all(t in PLACES for t in first_tokens)
        and not (first_tokens and first_tokens[-1] in _PLACE_KINDS)
    ):
        return None
    return _clean(found["name"])


def searchable_names(entry: ListEntry) -> tuple[SearchName, ...]:
    """Every distinct searchable name of `entry`, the published name first."""
    pairs = _derive(entry.name, "name")
    for alias in entry.alt_names:
        pairs.extend(_derive(alias, "alias"))
    addresses = " ".join(entry.addresses).casefold()
    for text, kind in list(pairs):
        stripped = _without_trailing_place(text, addresses)
        if stripped:
            # The stripped name may still carry a short form: "... Co., Ltd (HiSilicon), Bantian".
            derived = _derive(stripped, "alias" if kind == "alias" else "name")
            pairs.append((derived[0][0], "alias" if kind == "alias" else "name_part"))
            pairs.extend(derived[1:])
    # "AL-HARAMAIN" is also written "Alharamain": index the hyphen-less spelling as well.
    pairs.extend(
        (_HYPHEN_IN_WORD.sub("", text), kind)
        for text, kind in list(pairs)
        if _HYPHEN_IN_WORD.search(text)
    )
    names: list[SearchName] = []
    seen: set[tuple[str, ...]] = set()
    for text, kind in pairs:
        tokens = normalise_name(text)
        if tokens and tokens not in seen:
            seen.add(tokens)
            names.append(SearchName(text=text, kind=kind, tokens=tokens))
    return tuple(names)
