"""Restricted-party screening: CSL importers, name normalisation and the fuzzy matcher.

Pure Python, no Django: the Django side stores snapshots and calls this API. See README.md.
"""

from compliance.screening.entries import (
    LIST_NAMES,
    ListEntry,
    UnknownListSourceError,
    entry_content_hash,
    list_code_from_source,
    list_label,
)
from compliance.screening.explain import CONFIRM_NOTICE
from compliance.screening.importers import (
    CSL_COLUMNS,
    CSL_COLUMNS_WITHOUT_ID,
    ListDiff,
    ListFormatError,
    ParsedList,
    diff_entries,
    parse_csl_csv,
    parse_csl_file,
    parse_csl_json,
)
from compliance.screening.matcher import (
    DEFAULT_THRESHOLD,
    Match,
    ScreeningIndex,
)
from compliance.screening.normalise import normalise_name
from compliance.screening.profile import COUNTRY_BOOST, Profile, make_profile

__all__ = [
    "CONFIRM_NOTICE",
    "COUNTRY_BOOST",
    "CSL_COLUMNS",
    "CSL_COLUMNS_WITHOUT_ID",
    "DEFAULT_THRESHOLD",
    "LIST_NAMES",
    "ListDiff",
    "ListEntry",
    "ListFormatError",
    "Match",
    "ParsedList",
    "Profile",
    "ScreeningIndex",
    "UnknownListSourceError",
    "diff_entries",
    "entry_content_hash",
    "list_code_from_source",
    "list_label",
    "make_profile",
    "normalise_name",
    "parse_csl_csv",
    "parse_csl_file",
    "parse_csl_json",
]
