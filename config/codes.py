"""The shapes of the codes a visit carries: export classification codes and screening list codes.

A code is matched segment by segment (``coverage.code_matches``) and shown in messages, emails
and pages; anything beyond its letters, digits and separators (markup, quotes, spaces) is refused
at input, with the shape expected.

Classification codes, as the rule packs and the demo data write them:

- ECCNs and EU/NL/KR Annex I codes: ``3B001``, ``3B001.f.4``, ``3B993``, ``3D007``, ``EAR99``;
- Japanese codes: ``METI-23:etching``, ``METI-23:deposition.4`` (jp.yaml);
- Korean codes: ``NCT``, ``NCT:dram-sub-30nm`` (kr.yaml).

That is: segments of letters, digits, ``-`` and ``_``, each starting with a letter or a digit,
separated by ``.`` or ``:``. A licence lists classification *prefixes*, which may also end in a
separator (``METI-23:`` covers every Japanese tool type).

List codes (``EL``, ``SDN``, ``NS-MBS``, ``JP-EUL``): an upper-case letter, then upper-case
letters, digits and hyphens, at most 12 characters (``compliance.screening.entries``).

Pure Python (no Django), so that the engine's document parser can share it too.
"""

from __future__ import annotations

import re
from typing import Final

MAX_CODE_LENGTH: Final = 50

CLASSIFICATION_CODE_FORMAT: Final = (
    "segments of letters, digits, '-' and '_', each starting with a letter or digit, separated "
    "by '.' or ':', at most 50 characters (e.g. 3B001.f.4, 3B993, EAR99, METI-23:etching, "
    "NCT:dram-sub-30nm)"
)
LIST_CODE_FORMAT: Final = (
    "an upper-case letter followed by 1 to 11 upper-case letters, digits or hyphens "
    "(e.g. EL, SDN, NS-MBS, JP-EUL)"
)

_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9_-]*"
_CODE: Final = re.compile(rf"{_SEGMENT}(?:[.:]{_SEGMENT})*")
_PREFIX: Final = re.compile(rf"{_SEGMENT}(?:[.:]{_SEGMENT})*[.:]?")
_LIST_CODE: Final = re.compile(r"[A-Z][A-Z0-9-]{1,11}")
# A code that starts like an ECCN or an Annex I entry (a digit, a letter) must be one: a category
# digit, a product group A-E, three digits, then paragraphs of letters or of numbers without a
# leading zero, each after a '.'. Matching is by whole segment and ignores case, so "3B001f4",
# "3B001:f:4", "3B001-f-4" or "3B001.f.04" would silently miss every rule on 3B001.f.4: they are
# refused instead.
_ECCN_START: Final = re.compile(r"\d[A-Za-z]")
_ECCN: Final = re.compile(r"\d[A-Ea-e]\d{3}(?:\.(?:[A-Za-z]{1,3}|[1-9]\d{0,2}))*")
_ECCN_PREFIX: Final = re.compile(r"\d[A-Ea-e]\d{3}(?:\.(?:[A-Za-z]{1,3}|[1-9]\d{0,2}))*\.?")
ECCN_FORMAT: Final = (
    "a code starting with a digit and a letter is an ECCN or Annex I entry: a digit, a letter "
    "A-E, three digits, then paragraphs after '.', each letters or a number without a leading "
    "zero (e.g. 3B001.f.4, 3B993, 5A002.a.1)"
)


def classification_code_problem(code: object, *, prefix: bool = False) -> str | None:
    """Why ``code`` is not a classification code (with ``prefix``: nor a licence's prefix of
    one, which may end in '.' or ':'); None when it is one."""
    pattern = _PREFIX if prefix else _CODE
    shown = repr(code) if not isinstance(code, str) or len(code) <= 60 else repr(code[:60] + "…")
    what = "a classification code or prefix" if prefix else "a classification code"
    ending = "; a prefix may end in '.' or ':'" if prefix else ""
    if (
        isinstance(code, str)
        and len(code) <= MAX_CODE_LENGTH
        and code.isascii()
        and pattern.fullmatch(code)
    ):
        if _ECCN_START.match(code) and not (_ECCN_PREFIX if prefix else _ECCN).fullmatch(code):
            return f"{shown} is not {what}: {ECCN_FORMAT}{ending}."
        return None
    return f"{shown} is not {what}: expected {CLASSIFICATION_CODE_FORMAT}{ending}."


def list_code_problem(code: object) -> str | None:
    """Why ``code`` is not a screening list code; None when it is one."""
    if isinstance(code, str) and code.isascii() and _LIST_CODE.fullmatch(code):
        return None
    shown = repr(code) if not isinstance(code, str) or len(code) <= 60 else repr(code[:60] + "…")
    return f"{shown} is not a list code: expected {LIST_CODE_FORMAT}."
