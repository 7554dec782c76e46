"""Characters a name must not carry, and the normal form every stored name takes.

A name that is screened against restricted-party lists can be made to look right to a person
and wrong to a matcher: a right-to-left override reorders what is shown, a zero-width space or a
Hangul filler splits a word without showing, a soft hyphen hides inside it. None of them belongs
in a legal name, an address or a serial number, so input carrying one is refused with the
character named; nothing is silently dropped, because what the user typed is what is stored and
screened.

Pure Python: the validators of ``dispatch.models`` and the screening normaliser both use it.
"""

from __future__ import annotations

import unicodedata

# Letters (category Lo) that render as nothing: the Hangul fillers and the Khmer inherent vowels.
# Unicode's Default_Ignorable_Code_Point property lists them; Python's unicodedata does not expose
# that property, so they are named here.
_BLANK_LETTERS = frozenset("\u115f\u1160\u17b4\u17b5\u3164\uffa0")
# Combining marks that show nothing (the grapheme joiner) and variation selectors.
_IGNORABLE_MARKS = frozenset("\u034f\u180b\u180c\u180d\u180f") | frozenset(
    chr(c) for c in range(0xFE00, 0xFE10)
)
# Format characters that change the direction text is shown in.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _kind(ch: str) -> str | None:
    """Why ``ch`` is refused, or None when it may stand in a name."""
    if ch in BIDI_CONTROLS:
        return "direction control"
    if ch in _BLANK_LETTERS or ch in _IGNORABLE_MARKS:
        return "invisible character"
    category = unicodedata.category(ch)
    if category == "Cf":  # zero-width space and joiners, soft hyphen, BOM, tag characters, ...
        return "invisible character"
    if category == "Cc":  # NUL, tabs, line breaks, DEL, C1 controls
        return "control character"
    if category in ("Cs", "Co", "Cn"):  # lone surrogates, private use, unassigned
        return "unassigned or private-use character"
    if category in ("Zl", "Zp"):
        return "line separator"
    return None


def unsafe_characters(text: str) -> list[tuple[int, str, str]]:
    """(position, character, why) for every character of ``text`` a name must not carry."""
    out = []
    for i, ch in enumerate(text):
        kind = _kind(ch)
        if kind is not None:
            out.append((i, ch, kind))
    return out


def describe(ch: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``: the code point and its Unicode name."""
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')}"


def unsafe_message(text: str) -> str | None:
    """A message naming the first character refused in ``text`` (and how many there are)."""
    found = unsafe_characters(text)
    if not found:
        return None
    position, ch, kind = found[0]
    more = f" ({len(found)} such characters in all)" if len(found) > 1 else ""
    article = "an" if kind[0] in "aeiou" else "a"
    return (
        f"Contains {article} {kind}, {describe(ch)}, at position {position + 1}{more}. "
        "Type the text without it."
    )


def strip_unsafe(text: str) -> str:
    """``text`` without the characters :func:`unsafe_characters` reports (for list names, which
    are imported as the government published them, not typed here)."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(ch for ch in text if _kind(ch) is None or ch in "\t\n\r")


def nfc(text: str) -> str:
    """The normal form every stored name takes: composed ("é" as one code point)."""
    return unicodedata.normalize("NFC", text)
